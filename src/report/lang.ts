/** The language of what a person reads: claim texts, handouts' headings, the report's headings. Machine fields stay English. */
import { findClaim } from '../catalog/index.ts';
import { didYouMean } from '../core/nearest.ts';
import type { ClaimResult, Handout, LabResult, Verdict } from '../core/types.ts';
import { UsageError } from '../core/usage-error.ts';

export const LANGS = ['en', 'zh'] as const;
export type Lang = (typeof LANGS)[number];

/** --lang if given (en or zh; zh-CN, zh_TW, cn and en-US are read as such), else Chinese when LC_ALL, LC_MESSAGES or LANG says so, else English. */
export function resolveLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  if (flag !== undefined) {
    if (/^(zh|cn)([-_].*)?$/i.test(flag)) return 'zh';
    if (/^en([-_].*)?$/i.test(flag)) return 'en';
    throw new UsageError(`--lang takes en or zh, not "${flag}"${didYouMean(flag, LANGS)}`);
  }
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** The claim as the study sheet says it, and the sheet's section it comes from. */
export interface Statement {
  section: string;
  en: string;
  zh: string;
}

/** A result's statement: carried in the results since they record it, else from the catalog. */
export function statementOf(result: ClaimResult): Statement | undefined {
  if (result.statement) return result.statement;
  const claim = findClaim(result.id);
  return claim && { section: claim.section, en: claim.en, zh: claim.zh };
}

/** The results with each claim's statement recorded in them, so that results.json reads on its own. */
export function withStatements(results: LabResult[]): LabResult[] {
  return results.map((lab) => ({ ...lab, claims: lab.claims.map((c) => ({ ...c, statement: statementOf(c) })) }));
}

/** What the lab observed, in `lang` (English when the judge gave no Chinese). */
export function summaryIn(result: ClaimResult, lang: Lang): string {
  return (lang === 'zh' && result.summaryZh) || result.summary;
}

export const VERDICT_WORDS: Record<Lang, Record<Verdict, string>> = {
  en: { confirmed: 'confirmed', refuted: 'refuted', nuanced: 'nuanced', unverifiable: 'unverifiable' },
  zh: { confirmed: '成立', refuted: '不成立', nuanced: '有条件成立', unverifiable: '无法验证' },
};

/** The project's own words around the claims, in both languages. */
export const WORDS = {
  en: { lab: 'lab', claim: 'claim', verdict: 'verdict', says: 'the sheet says', observed: 'what the lab observed', report: 'labs report', run: 'run', started: 'started', labs: 'lab(s)', status: 'status', time: 'time', environment: 'environment', measured: 'measured values', starts: 'starts', does: 'does', observes: 'observes', timeline: 'timeline', events: 'events', allTopics: 'all topics', search: 'search the claims', retried: 'attempts set aside for lack of evidence', node: 'node', ranOn: 'ran on node', job: 'Job', matrix: 'each claim on each node', runner: 'the runner\'s host' },
  zh: { lab: '实验', claim: '论断', verdict: '结论', says: '学习资料原文', observed: '实验观察到的', report: 'labs 实验报告', run: '运行', started: '开始于', labs: '个实验', status: '状态', time: '用时', environment: '运行环境', measured: '测量值', starts: '启动', does: '操作', observes: '观察', timeline: '时间线', events: '个事件', allTopics: '全部主题', search: '搜索论断', retried: '因缺少证据而作废的尝试', node: '节点', ranOn: '运行于节点', job: 'Job', matrix: '各节点上每个论断的结论', runner: '运行器所在主机' },
} satisfies Record<Lang, Record<string, string>>;

/** A lab's title and handout in `lang` (English when it has no Chinese one). */
export function handoutIn(lab: { title: string; handout?: Handout }, lang: Lang): { title: string; starts: string; does: string; observes: string } | undefined {
  if (!lab.handout) return undefined;
  const zh = lang === 'zh' ? lab.handout.zh : undefined;
  return zh ?? { title: lab.title, starts: lab.handout.starts, does: lab.handout.does, observes: lab.handout.observes };
}
