/**
 * The linux-text-tools verdicts the older unit tests left out (wc -w refuted, tail -f both ways), on the real nginx access
 * log of a run (test/fixtures/linux-awk-sed-observation.json.gz): the requests the lab sent are that log's lines, and
 * the tools' outputs are what they print for that log.
 */
import { describe, expect, it } from 'vitest';
import { COMBINED_WORDS, judgeTail, judgeWc, type AwkAndSed, type Sent } from '../../labs/linux/text-tools.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { realSample } from '../helpers/samples.ts';

const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const { real } = realSample<AwkAndSed>('linux-awk-sed-observation.json.gz');
const lines = real.log.split('\n').filter(Boolean);
/** One request per logged line, in the order nginx logged them. */
const sent: Sent[] = lines.map((l) => {
  const [, method, path] = l.match(/"(\w+) (\S+) HTTP/)!;
  return { ip: l.split(' ')[0]!, method: method!, path: path! };
});
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
/** The two requests sent after `tail -f` had started: the last two of the log. */
const followed = sent.slice(-2).map((s) => s.path);

describe('wc', () => {
  it('counts on the real log: lines and words confirmed, 12 words a line in the combined format', () => {
    expect(words(real.log)).toBe(lines.length * COMBINED_WORDS);
    const [l, w] = judgeWc(sent, said(`${lines.length} access.log`), said(`${words(real.log)} access.log`));
    expect([l!.verdict, w!.verdict]).toEqual(['confirmed', 'confirmed']);
  });

  it('words refuted when a client\'s user agent held spaces (one real line given a browser\'s agent): wc -w no longer 12 a line', () => {
    const browser = real.log.replace('"curl/7.88.1"', '"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"');
    const [l, w] = judgeWc(sent, said(`${lines.length} access.log`), said(`${words(browser)} access.log`));
    expect(l!.verdict).toBe('confirmed');
    expect(w!.verdict).toBe('refuted');
  });
});

describe('tail -f', () => {
  it('is confirmed when the lines nginx appended after tail -f started were printed (its last ten lines, then the two new ones)', () => {
    expect(followed).toEqual(['/follow?n=1', '/follow?n=2']);
    const [ten, follow] = judgeTail(sent, said(lines.slice(-10).join('\n')), said(lines.slice(-12).join('\n')), followed);
    expect(ten!.verdict).toBe('confirmed');
    expect(follow!.verdict).toBe('confirmed');
  });

  it('is refuted when tail -f printed only what was there when it started', () => {
    const [, follow] = judgeTail(sent, said(lines.slice(-10).join('\n')), said(lines.slice(-12, -2).join('\n')), followed);
    expect(follow!.verdict).toBe('refuted');
  });
});
