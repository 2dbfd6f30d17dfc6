import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAIMS, findClaim } from '../../src/catalog/index.ts';
import { drift, drifted, readBaseline, withExpected, writeBaseline } from '../../src/core/expect.ts';
import { toJunit } from '../../src/report/junit.ts';
import { stabilityTable } from '../../src/report/terminal.ts';
import { firstProblem, labSchema, type Lab } from '../../src/core/lab.ts';
import { loadLabs, selectLabs } from '../../src/core/registry.ts';
import { checkVerdicts } from '../../src/core/runner.ts';
import type { LabResult } from '../../src/core/types.ts';
import { topologySchema } from '../../src/resources/netns.ts';
import { Cancelled } from '../../src/resources/cancel.ts';
import { Scope } from '../../src/resources/scope.ts';
import { Failed, Timeline } from '../../src/resources/timeline.ts';

describe('claims catalog', () => {
  it('has unique, well-formed ids with English and Chinese text', () => {
    const ids = CLAIMS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const claim of CLAIMS) {
      expect(claim.id).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+){1,3}$/);
      expect(claim.en.length).toBeGreaterThan(10);
      expect(claim.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(claim.section.length).toBeGreaterThan(1);
    }
  });

  it('covers every section of the sheet, each topic with several claims', () => {
    const topics = new Set(CLAIMS.map((c) => c.topic));
    for (const t of ['tcp', 'udp', 'quic', 'ip', 'dns', 'http', 'tls', 'icmp', 'linux', 'os', 'nginx', 'mysql', 'k8s', 'docker', 'kafka', 'rocketmq']) expect(topics.has(t)).toBe(true);
    expect(CLAIMS.length).toBeGreaterThan(150);
  });

  it('holds the ids that the issues name', () => {
    for (const id of ['tcp.congestion.fast-recovery', 'udp.checksum', 'icmp.redirect', 'nginx.lb.least-time', 'mysql.btree.leaf-links', 'os.deadlock.four-conditions', 'linux.awk.sum']) {
      expect(findClaim(id), id).toBeDefined();
    }
  });
});

describe('scope', () => {
  it('disposes newest first, once, and carries on past failures', async () => {
    const order: string[] = [];
    const scope = new Scope();
    scope.defer('a', () => void order.push('a'));
    scope.defer('b', () => {
      throw new Error('boom');
    });
    const early = scope.defer('c', () => void order.push('c'));
    await early();
    expect(await scope.dispose()).toEqual(['b: boom']);
    expect(await scope.dispose()).toEqual(['b: boom']);
    expect(order).toEqual(['c', 'a']);
    expect(() => scope.defer('d', () => {})).toThrow(/closed/);
  });
});

describe('lab registry', () => {
  const fixtures = new URL('../fixtures/labs', import.meta.url).pathname;

  it('loads the project labs and selects by lab id or claim id', async () => {
    const labs = await loadLabs();
    expect(selectLabs(labs, ['tcp-lifecycle']).map((l) => l.id)).toEqual(['tcp-lifecycle']);
    expect(selectLabs(labs, ['tcp.close.time-wait', 'tcp-lifecycle']).map((l) => l.id)).toEqual(['tcp-lifecycle']);
    expect(() => selectLabs(labs, ['nope'])).toThrow('unknown lab or claim "nope"');
    expect(() => selectLabs(labs, ['tcp.handshake.why-three'])).toThrow('claim "tcp.handshake.why-three" has no lab yet');
  });

  it('gives every project lab a Chinese title and handout', async () => {
    const cjk = /[\u4e00-\u9fff]/;
    const lacking = (await loadLabs()).filter((l) => !l.handout.zh || ![l.handout.zh.title, l.handout.zh.starts, l.handout.zh.does, l.handout.zh.observes].every((t) => cjk.test(t)));
    expect(lacking.map((l) => l.id)).toEqual([]);
  });

  it('gives every summary a judge writes a Chinese one beside it', () => {
    const labsDir = new URL('../../labs/', import.meta.url).pathname;
    const files = readdirSync(labsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lab.ts'));
    const count = (text: string, key: string) => text.match(new RegExp(`\\b${key}:`, 'g'))?.length ?? 0;
    const uneven = files.filter((f) => {
      const text = readFileSync(join(labsDir, f), 'utf8');
      return count(text, 'summary') !== count(text, 'summaryZh');
    });
    expect(files.length).toBeGreaterThan(40);
    expect(uneven).toEqual([]);
  });

  it('rejects a malformed lab with a one-line reason', async () => {
    await expect(loadLabs(join(fixtures, 'malformed'))).rejects.toThrow(/^malformed lab .*bad\.lab\.ts: timeLimitMs: /);
  });

  it('rejects a lab that names a claim the catalog lacks', async () => {
    await expect(loadLabs(join(fixtures, 'unknown-claim'))).rejects.toThrow(/unknown claim id\(s\) tcp\.made-up\.claim/);
  });
});

describe('verdict checks and baselines', () => {
  const lab = { claims: ['a.b.c', 'a.b.d'] } as unknown as Lab;
  const claim = (id: string, verdict = 'confirmed') => ({ id, verdict, summary: 's', observed: {}, evidence: [] }) as never;

  it('a lab must give one verdict per declared claim', () => {
    expect(checkVerdicts(lab, [claim('a.b.c'), claim('a.b.d')])).toBeUndefined();
    expect(checkVerdicts(lab, [claim('a.b.c')])).toBe('no verdict for a.b.d');
    expect(checkVerdicts(lab, [claim('a.b.c'), claim('a.b.d'), claim('x.y.z')])).toBe('verdicts for undeclared claims x.y.z');
    expect(checkVerdicts(lab, [claim('a.b.c'), claim('a.b.d', 'probably')])).toMatch(/verdict "probably"/);
  });

  it('reports every changed or unknown verdict', () => {
    const results = [{ claims: [claim('a.b.c', 'nuanced'), claim('a.b.d')] }] as unknown as LabResult[];
    expect(drift({ 'a.b.c': 'nuanced', 'a.b.d': 'confirmed' }, results)).toEqual([]);
    expect(drift({ 'a.b.c': 'confirmed' }, results)).toEqual(['a.b.c: expected confirmed, got nuanced', 'a.b.d: confirmed (not in the baseline)']);
  });

  it('records the baseline verdict beside each result, and JUnit makes a drift a failure naming both verdicts', () => {
    const results = withExpected({ 'a.b.c': 'confirmed' }, [{ id: 'lab-a', title: 'A', topic: 'tcp', status: 'passed', durationMs: 1, environment: {}, claims: [claim('a.b.c', 'nuanced'), claim('a.b.d')] }] as LabResult[]);
    expect(results[0]!.claims.map((c) => [c.expected, drifted(c)])).toEqual([['confirmed', true], [null, true]]);
    const xml = toJunit({ runId: 'r', startedAt: '', labs: results });
    expect(xml).toContain('failures="2"');
    expect(xml).toContain('<failure type="drift" message="verdict drifted: expected confirmed, got nuanced">s</failure>');
    expect(xml).toContain('message="verdict drifted: not in the baseline, got confirmed"');
    const steady = withExpected({ 'a.b.c': 'nuanced', 'a.b.d': 'confirmed' }, results);
    expect(toJunit({ runId: 'r', startedAt: '', labs: steady })).toContain('failures="0"');
    expect(toJunit({ runId: 'r', startedAt: '', labs: steady })).not.toContain('<failure');
  });

  it('lists the verdicts seen over repeated runs, steady claims first and flips last', () => {
    const table = stabilityTable({ runs: 3, verdicts: { 'a.b.c': ['nuanced', 'confirmed', 'nuanced'], 'a.b.d': ['confirmed', 'confirmed', 'confirmed'] } });
    expect(table.split('\n')).toEqual(['verdicts over 3 runs:', '  a.b.d  confirmed ×3', '  a.b.c  nuanced ×2, confirmed ×1  FLIPPED', '1 claim(s) flipped between runs']);
    expect(stabilityTable({ runs: 2, verdicts: { 'a.b.d': ['refuted', 'refuted'] } }, 'zh')).toContain('没有结论发生翻转');
  });

  it('holds a verdict per host condition, compares a run with the one for its recorded value, and writes only that one', () => {
    const baseline = { 'a.b.c': { 'cgroup version': { v1: 'nuanced', v2: 'confirmed' } }, 'a.b.d': 'confirmed' } as const;
    const on = (version: string, verdict: string) => [{ id: 'lab-a', environment: { 'cgroup version': version }, claims: [claim('a.b.c', verdict), claim('a.b.d')] }] as unknown as LabResult[];
    expect(drift(baseline, on('v1', 'nuanced'))).toEqual([]);
    expect(drift(baseline, on('v2', 'confirmed'))).toEqual([]);
    expect(drift(baseline, on('v2', 'nuanced'))).toEqual(['a.b.c: expected confirmed, got nuanced']);
    expect(drift(baseline, on('v3', 'nuanced'))).toEqual(['a.b.c: nuanced (not in the baseline)']);
    const dir = mkdtempSync(join(tmpdir(), 'labs-test-'));
    const file = join(dir, 'expected.json');
    writeFileSync(file, JSON.stringify(baseline));
    writeBaseline(file, on('v3', 'refuted'));
    expect(readBaseline(file)).toEqual({ 'a.b.c': { 'cgroup version': { v1: 'nuanced', v2: 'confirmed', v3: 'refuted' } }, 'a.b.d': 'confirmed' });
    writeFileSync(file, '{"a.b.c": {"x": {"1": "confirmed"}, "y": {"1": "confirmed"}}}');
    expect(() => readBaseline(file)).toThrow(/exactly one environment value/);
  });

  it('rejects a malformed baseline file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'labs-test-'));
    writeFileSync(join(dir, 'bad.json'), '{"a.b.c": "maybe"}');
    expect(() => readBaseline(join(dir, 'bad.json'))).toThrow(/^malformed baseline .*a\.b\.c: /);
    expect(() => readBaseline(join(dir, 'missing.json'))).toThrow(/baseline not found/);
  });
});

describe('needs validation', () => {
  const lab = (needs: unknown) => ({ id: 'x', title: 'x', topic: 'tcp', claims: ['tcp.header.fields'], requires: [], timeLimitMs: 1, handout: { starts: 'x', does: 'x', observes: 'x' }, needs, run: async () => [] });
  const firstIssue = (needs: unknown) => {
    const result = labSchema.safeParse(lab(needs));
    return result.error && firstProblem(result.error);
  };

  it('accepts a topology with services and a shared resource', () => {
    const shared = { key: 'k', describe: 'something', start: async () => 1 };
    expect(firstIssue({ topology: { hosts: { a: {} } }, services: { web: { image: 'nginx', ready: { port: 80 } } }, shared: { k: shared } })).toBeUndefined();
  });

  it('names the field of a bad declaration', () => {
    expect(firstIssue({ topology: { hosts: { A: {} } } })).toBe('needs.topology.hosts.A: host names are 1-12 lower-case letters or digits');
    expect(firstIssue({ topology: { hosts: { a: {} }, links: [{ a: ['a', '198.18.0.1'], b: ['a', '198.18.0.2/24'] }] } })).toMatch(/^needs\.topology\.links\.0\.a\.1: expected an address with prefix/);
    expect(firstIssue({ services: { web: { image: 'nginx', capAdd: ['net_admin'] } } })).toBe('needs.services.web.capAdd.0: capabilities are named as Docker names them, e.g. NET_ADMIN');
    expect(firstIssue({ services: { web: { image: 'nginx', ready: { port: 0 } } } })).toMatch(/^needs\.services\.web\.ready/);
    expect(firstIssue({ services: { web: { image: 'nginx', volumes: [] } } })).toMatch(/^needs\.services\.web: Unrecognized key/);
    expect(firstIssue({ topology: { hosts: { web: {} } }, services: { web: { image: 'nginx' } } })).toBe('needs.services.web: "web" is both a topology host and a service');
    expect(firstIssue({ shared: { k: { key: 'k', describe: 'x' } } })).toBe('needs.shared.k.start: start must be a function');
  });

  it('fails loading a lab with a bad declaration in one line, naming the field', async () => {
    await expect(loadLabs(new URL('../fixtures/labs/bad-needs', import.meta.url).pathname)).rejects.toThrow(/^malformed lab .*link\.lab\.ts: needs\.topology: unknown host "ghost" \(hosts: a\)$/);
  });
});

describe('timeline', () => {
  it('records an operation as invoke then ok, fail (certainly not done) or info (unknown)', async () => {
    const timeline = new Timeline();
    expect(await timeline.op('p0', 'write', async () => 7, 1)).toEqual({ type: 'ok', value: 7 });
    expect(await timeline.op('p0', 'write', async () => { throw new Failed('refused'); }, 2)).toEqual({ type: 'fail', error: 'refused' });
    expect(await timeline.op('p1', 'read', async () => { throw new Error('timed out'); })).toEqual({ type: 'info', error: 'timed out' });
    await expect(timeline.op('p1', 'read', async () => { throw new Cancelled('lab timed out'); })).rejects.toThrow('cancelled: lab timed out');
    expect(timeline.events.map((e) => `${e.type}${'process' in e ? ` ${e.process}` : ''}`)).toEqual(['invoke p0', 'ok p0', 'invoke p0', 'fail p0', 'invoke p1', 'info p1', 'invoke p1']);
    expect(timeline.completedOps()).toBe(3);
    expect(timeline.events.every((e, i, all) => i === 0 || e.atMs >= all[i - 1]!.atMs)).toBe(true);
  });
});

describe('topology validation', () => {
  it('names an unknown host before anything is built', () => {
    const result = topologySchema.safeParse({ hosts: { a: {} }, links: [{ a: ['a', '198.18.0.1/24'], b: ['b', '198.18.0.2/24'] }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('unknown host "b" (hosts: a)');
  });
});
