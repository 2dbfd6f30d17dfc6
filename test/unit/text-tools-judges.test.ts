import { describe, expect, it } from 'vitest';
import { COMBINED_WORDS, judgeSedFilter, judgeTail, judgeWc, type Sent } from '../../labs/linux/text-tools.lab.ts';
import type { Observation } from '../../src/observers/command.ts';

const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const line = (ip: string, path: string) => `${ip} - - [25/Nov/2026:16:45:46 +0000] "GET ${path} HTTP/1.1" 200 3 "-" "curl/7.88.1"`;
const sent: Sent[] = Array.from({ length: 12 }, (_, i) => ({ ip: i % 2 ? '10.0.0.101' : '10.0.0.102', method: 'GET', path: `/p${i}` }));
const log = sent.map((s) => line(s.ip, s.path));

describe('text tool judges', () => {
  it('a log line of the combined format has the 12 words wc counts', () => {
    expect(log[0]!.split(/\s+/)).toHaveLength(COMBINED_WORDS);
    const [lines, words] = judgeWc(sent, said(`12 access.log`), said(`${12 * COMBINED_WORDS} access.log`));
    expect([lines!.verdict, words!.verdict]).toEqual(['confirmed', 'confirmed']);
    expect(judgeWc(sent, said('11 access.log'), said('0'))[0]!.verdict).toBe('refuted');
  });

  it('tail: the last ten in order confirm, anything else refutes', () => {
    const [ten] = judgeTail(sent, said(log.slice(-10).join('\n')), said(''), []);
    expect(ten!.verdict).toBe('confirmed');
    expect(judgeTail(sent, said(log.slice(-11, -1).join('\n')), said(''), [])[0]!.verdict).toBe('refuted');
  });

  it('sed: an exact filter is nuanced when its prefix also matches other addresses', () => {
    const alice = log.filter((l) => l.startsWith('10.0.0.101 ')).join('\n');
    const prefix = log.join('\n');
    expect(judgeSedFilter(sent, '10.0.0.101', said(alice), said(prefix), '10.0.0.10').verdict).toBe('nuanced');
    expect(judgeSedFilter(sent, '10.0.0.101', said(alice), said(''), '10.0.0.10').verdict).toBe('confirmed');
    expect(judgeSedFilter(sent, '10.0.0.101', said(prefix), said(''), '10.0.0.10').verdict).toBe('refuted');
  });
});
