/**
 * Workshop mode (`labs run <lab> --workshop`): the room reads each claim and predicts its verdict
 * (one key each) before the lab runs; then each verdict is revealed in turn, with the evidence and
 * the prediction beside it. Needs a terminal: it reads single keys.
 */
import type { LabInfo } from '../core/registry.ts';
import { findClaim } from '../catalog/index.ts';
import type { Evidence, LabResult, Verdict } from '../core/types.ts';
import { UsageError } from '../core/usage-error.ts';
import { handoutIn, summaryIn, VERDICT_WORDS, WORDS, type Lang } from '../report/lang.ts';

const KEYS: Record<string, Verdict> = { c: 'confirmed', r: 'refuted', n: 'nuanced', u: 'unverifiable' };
const CTRL_C = '\u0003';

/** The workshop's own words; the rest comes from the report's (WORDS). */
const TEXT = {
  en: { claim: 'Claim', predict: 'Your prediction', run: 'Press any key to run the lab.', next: 'Press any key for the next verdict.', predicted: 'you predicted', score: (k: number, n: number) => `The room predicted ${k} of ${n} verdicts.`, noVerdict: 'no verdict' },
  zh: { claim: '论断', predict: '你的预测', run: '按任意键运行实验。', next: '按任意键查看下一个结论。', predicted: '你的预测', score: (k: number, n: number) => `全场猜中 ${k}/${n} 个结论。`, noVerdict: '没有结论' },
} as const;

export interface Workshop {
  /** Waits for a key, then the caller runs the lab. */
  ready(): Promise<void>;
  /** Reveals each verdict beside its prediction, a key press apart. */
  reveal(results: LabResult[]): Promise<void>;
}

/** Refuses without a terminal or with more than one lab; otherwise shows the handout and collects the predictions. */
export async function startWorkshop(labs: LabInfo[], lang: Lang): Promise<Workshop> {
  if (labs.length !== 1) throw new UsageError(`--workshop runs one lab at a time (${labs.length} selected)`);
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('--workshop needs a terminal: it reads one key per prediction (stdin or stdout is not a terminal)');
  const lab = labs[0]!;
  const t = { ...WORDS[lang], ...TEXT[lang] };
  const verdictWords = VERDICT_WORDS[lang];
  const choices = Object.entries(KEYS).map(([key, verdict]) => `[${key}] ${verdictWords[verdict]}`).join('  ');
  const claimLine = (i: number, id: string) => `${t.claim} ${i + 1}/${lab.claims.length} (${id}): ${findClaim(id)![lang]}`;
  const say = (line = '') => process.stdout.write(`${line}\n`);
  const handout = handoutIn(lab, lang)!;
  say(`${lab.id}: ${handout.title}`);
  say(`  ${t.starts}: ${handout.starts}`);
  say(`  ${t.does}: ${handout.does}`);
  say(`  ${t.observes}: ${handout.observes}`);
  const keys = new Keys();
  keys.on();
  const predictions = new Map<string, Verdict>();
  for (const [i, id] of lab.claims.entries()) {
    say();
    say(claimLine(i, id));
    say(`${t.predict}? ${choices}`);
    const verdict = KEYS[await keys.next(Object.keys(KEYS))]!;
    predictions.set(id, verdict);
    say(`  → ${verdictWords[verdict]}`);
  }
  return {
    async ready() {
      say();
      say(t.run);
      await keys.next();
      keys.off();
    },
    async reveal(results) {
      const claims = results.flatMap((r) => r.claims);
      keys.on();
      let right = 0;
      for (const [i, id] of lab.claims.entries()) {
        const result = claims.find((c) => c.id === id);
        const predicted = predictions.get(id)!;
        say();
        say(claimLine(i, id));
        if (!result) {
          say(`  ${t.verdict}: ${t.noVerdict} (${results[0]?.reason ?? results[0]?.status ?? ''}); ${t.predicted}: ${verdictWords[predicted]}`);
        } else {
          if (result.verdict === predicted) right++;
          say(`  ${t.verdict}: ${verdictWords[result.verdict]}   ${t.predicted}: ${verdictWords[predicted]} ${result.verdict === predicted ? '✔' : '✘'}`);
          say(`  ${summaryIn(result, lang)}`);
          for (const item of result.evidence) for (const line of evidenceLines(item)) say(`    ${line}`);
        }
        if (i < lab.claims.length - 1) {
          say(t.next);
          await keys.next();
        }
      }
      keys.off();
      say();
      say(t.score(right, lab.claims.length));
    },
  };
}

/** A few lines of an evidence item, as a terminal can show it. */
export function evidenceLines(item: Evidence, maxRows = 6): string[] {
  const more = (n: number) => (n > maxRows ? [`… ${n - maxRows} more`] : []);
  switch (item.kind) {
    case 'table':
      return [`${item.title}:`, `  ${item.columns.join(' | ')}`, ...item.rows.slice(0, maxRows).map((r) => `  ${r.join(' | ')}`), ...more(item.rows.length)];
    case 'command': {
      const lines = item.output.split('\n');
      return [`${item.title}:`, `  $ ${item.command}`, ...lines.slice(0, maxRows).map((l) => `  ${l}`), ...more(lines.length)];
    }
    case 'bars':
      return [`${item.title}:`, ...item.bars.slice(0, maxRows).map((b) => `  ${b.label}: ${b.value}`), ...more(item.bars.length)];
    case 'path':
      return [`${item.title}:`, `  ${item.hops.map((h) => `${h.address} (${h.note})`).join(' → ')}`];
    case 'stacks':
      return [`${item.title}:`, ...item.columns.map((c) => `  ${c.name}: ${c.boxes.map((b) => b.label).join(' / ')}`)];
    case 'messages':
      return [`${item.title}:`, ...item.messages.slice(0, maxRows).map((m) => `  ${m.atMs.toFixed(1)} ms ${item.parties[m.from]} → ${item.parties[1 - m.from]}: ${m.label}`), ...more(item.messages.length)];
    case 'file':
      return [`${item.title}: ${item.path}`];
    default:
      return [`${item.title} (${item.kind}: see the HTML report)`];
  }
}

/**
 * The terminal's keys, one at a time, while the room is asked: raw mode and a queue, so that a key
 * pressed a moment early is kept, not lost; Ctrl-C exits as an interrupt would. Off while the lab
 * runs, so that Ctrl-C stops it as usual.
 */
class Keys {
  private queue: string[] = [];
  private waiting?: () => void;
  private readonly onData = (data: Buffer) => {
    for (const pressed of data.toString('utf8').toLowerCase()) {
      if (pressed === CTRL_C) {
        this.off();
        process.stdout.write('\n');
        process.exit(130);
      }
      this.queue.push(pressed);
    }
    this.waiting?.();
  };

  on(): void {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on('data', this.onData);
  }

  off(): void {
    process.stdin.off('data', this.onData);
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }

  /** The next key among `allowed` (others are dropped), or any key. */
  async next(allowed?: string[]): Promise<string> {
    for (;;) {
      const pressed = this.queue.shift();
      if (pressed !== undefined && (!allowed || allowed.includes(pressed))) return pressed;
      if (pressed === undefined) await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}
