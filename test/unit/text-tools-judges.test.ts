import { describe, expect, it } from 'vitest';
import { COMBINED_WORDS, judgeCurlProtocols, judgeSedFilter, judgeTail, judgeWc, judgeWcChars, judgeWcIntegrity, WC_TEXT, type Sent, type WcAndCurl } from '../../labs/linux/text-tools.lab.ts';
import { realSample } from '../helpers/samples.ts';
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

  /** A real run's wc on the sheet's line about wc and on damaged copies of nginx's log, and this machine's curl -V (Debian's curl 7.88). */
  const { real, altered } = realSample<WcAndCurl>('linux-wc-curl-observation.json.gz');

  it('wc -m is nuanced on the real run: characters in UTF-8, bytes in the C locale, a Chinese line one word', () => {
    const result = judgeWcChars(WC_TEXT, real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ characters: 44, bytes: 68, wcMUtf8: 44, wcMC: 68, wcC: 68, wcW: 6 });
    expect(judgeWcChars(WC_TEXT, altered((o) => (o.charsUtf8.output = '68 wc.txt\n'))).verdict).toBe('refuted');
    expect(judgeWcChars(WC_TEXT, altered((o) => (o.words.output = ''))).verdict).toBe('unverifiable');
    expect(judgeWcChars(WC_TEXT, altered((o) => (o.charsC.output = '44 wc.txt\n'))).summary).toContain('in the C locale too');
  });

  it('wc as an integrity check is nuanced on the real run: truncation caught, a same-length change not', () => {
    const result = judgeWcIntegrity(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ truncationCaught: true, sameLengthChangeCaught: false });
    expect(judgeWcIntegrity(altered((o) => (o.counts.changed = o.counts.truncated))).verdict).toBe('confirmed');
    expect(judgeWcIntegrity(altered((o) => (o.counts.truncated = o.counts.original))).verdict).toBe('refuted');
    expect(judgeWcIntegrity(altered((o) => (o.counts.original = ''))).verdict).toBe('unverifiable');
  });

  it("curl's protocols are confirmed on the real run, nuanced for a build without FTP, unverifiable without a list", () => {
    expect(judgeCurlProtocols(real.curlVersion).verdict).toBe('confirmed');
    const noFtp = altered((o) => (o.curlVersion.output = o.curlVersion.output.replace(/ ftp /, ' ')));
    expect(judgeCurlProtocols(noFtp.curlVersion)).toMatchObject({ verdict: 'nuanced', observed: { missing: ['ftp'] } });
    expect(judgeCurlProtocols(altered((o) => (o.curlVersion.output = 'curl 7.88.1')).curlVersion).verdict).toBe('unverifiable');
  });
});
