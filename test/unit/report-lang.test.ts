import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/types.ts';
import { resolveLang, withStatements } from '../../src/report/lang.ts';
import { toHtml } from '../../src/report/html.ts';
import { toJunit } from '../../src/report/junit.ts';
import { verdictTable } from '../../src/report/terminal.ts';

/** results.json of a real run of k8s-etcd-quorum, written before results carried their statements. */
const report = JSON.parse(readFileSync(new URL('../fixtures/results-k8s-etcd-quorum.json', import.meta.url), 'utf8')) as RunReport;
const EN = 'etcd is deployed for high availability, usually with an odd number of members (3, 5, 7).';
const ZH = 'etcd 支持高可用部署（通常为奇数个节点，如 3、5、7 个）。';

describe('the claim beside its verdict, in English or Chinese', () => {
  it('picks the language from --lang, else from the locale', () => {
    expect(resolveLang('zh', {})).toBe('zh');
    expect(resolveLang('zh-CN', {})).toBe('zh');
    expect(resolveLang('en', { LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(resolveLang(undefined, { LANG: 'zh_CN.UTF-8' })).toBe('zh');
    expect(resolveLang(undefined, { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(resolveLang(undefined, {})).toBe('en');
    expect(() => resolveLang('fr', {})).toThrow(/--lang takes en or zh, not "fr"/);
  });

  it('records each claim as the sheet says it in the results', () => {
    const claim = withStatements(report.labs)[0]!.claims[0]!;
    expect(claim.statement).toEqual({ section: 'Kubernetes › 控制平面组件（Master）', en: EN, zh: ZH });
  });

  it('puts the claim on the verdict row and what was observed below it', () => {
    const en = verdictTable(report.labs, 'en').split('\n');
    expect(en[0]).toMatch(/^lab\s+claim\s+verdict\s+the sheet says \/ → what the lab observed$/);
    expect(en[1]).toMatch(new RegExp(`^k8s-etcd-quorum\\s+k8s.etcd.odd-members\\s+confirmed\\s+${EN.replace(/[()]/g, '\\$&')}$`));
    expect(en[2]!.trim()).toMatch(/^→ Clusters of 1, 2, 3, 4, 5 members/);
    const zh = verdictTable(report.labs, 'zh');
    expect(zh).toContain('结论');
    expect(zh).toContain(`成立  ${ZH}`);
  });

  it('writes the claim into the JUnit case output and the HTML report, headings in the chosen language', () => {
    expect(toJunit({ ...report, lang: 'en' })).toContain(`<system-out>${EN}\nconfirmed: Clusters of 1`);
    const html = toHtml({ ...report, lang: 'zh' });
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain(`<span class="label">学习资料原文</span> ${ZH}`);
    expect(html).toContain('<span class="badge confirmed">成立</span>');
    const handout = { starts: 'Five hosts', does: 'Writes', observes: 'Each write', zh: { title: 'etcd 集群', starts: '五台主机', does: '写入', observes: '每次写入' } };
    const withHandout = toHtml({ ...report, lang: 'zh', labs: report.labs.map((l) => ({ ...l, handout })) });
    expect(withHandout).toContain('<dt>启动</dt><dd>五台主机</dd>');
    expect(withHandout).toContain('etcd 集群');
    expect(toHtml({ ...report, lang: 'en', labs: report.labs.map((l) => ({ ...l, handout })) })).toContain('<dt>starts</dt><dd>Five hosts</dd>');
  });
});
