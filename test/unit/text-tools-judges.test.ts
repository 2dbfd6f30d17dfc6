import { describe, expect, it } from 'vitest';
import { AWK_PATTERN, COMBINED_WORDS, judgeAwkFirstField, judgeAwkPattern, judgeAwkSum, judgeCurlProtocols, judgeSedStripQuotes, REFERER_IP, type AwkAndSed, judgeSedFilter, judgeTail, judgeWc, judgeWcChars, judgeWcIntegrity, WC_TEXT, type Sent, type WcAndCurl } from '../../labs/linux/text-tools.lab.ts';
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

  /** A real run's nginx log (with one Referer holding a second address) and what the sheet's awk and sed lines printed. */
  const awkSed = realSample<AwkAndSed>('linux-awk-sed-observation.json.gz');

  it("awk '{print $1}' as 'all the IP addresses' is refuted on the real log: the Referer's address is missed", () => {
    const result = judgeAwkFirstField(awkSed.real.log, awkSed.real.firstField);
    expect(result).toMatchObject({ verdict: 'refuted', observed: { missed: [REFERER_IP] } });
    const oneAddressALine = awkSed.real.log.replaceAll(REFERER_IP, 'example.com');
    expect(judgeAwkFirstField(oneAddressALine, awkSed.real.firstField).verdict).toBe('confirmed');
    expect(judgeAwkFirstField('no addresses here\n', awkSed.real.firstField).verdict).toBe('unverifiable');
  });

  it("awk's sum of $1 is nuanced on the real run: all numbers with one a line, the first column with two", () => {
    expect(judgeAwkSum(awkSed.real.sum, awkSed.real.sumPairs, 21)).toMatchObject({ verdict: 'nuanced', observed: { oneNumberPerLine: '5050', twoNumbersPerLine: '9' } });
    expect(judgeAwkSum(awkSed.real.sum, awkSed.real.sumPairs, 9).verdict).toBe('confirmed');
    expect(judgeAwkSum(awkSed.altered((o) => (o.sum.output = '5049\n')).sum, awkSed.real.sumPairs, 21).verdict).toBe('refuted');
    expect(judgeAwkSum(awkSed.altered((o) => (o.sumPairs.output = '')).sum, awkSed.altered((o) => (o.sumPairs.output = '')).sumPairs, 21).verdict).toBe('unverifiable');
  });

  it("awk '/pattern/' as 'lines containing a string' is nuanced on the real run: a regular expression matched more", () => {
    const result = judgeAwkPattern(awkSed.real.log, awkSed.real.plainWord, AWK_PATTERN, awkSed.real.pattern);
    expect(result.verdict).toBe('nuanced');
    const exact = awkSed.altered((o) => (o.pattern.output = o.log.split('\n').filter((l) => l.includes(AWK_PATTERN)).join('\n')));
    expect(judgeAwkPattern(exact.log, exact.plainWord, AWK_PATTERN, exact.pattern).verdict).toBe('confirmed');
    expect(judgeAwkPattern(awkSed.real.log, awkSed.altered((o) => (o.plainWord.output = '')).plainWord, AWK_PATTERN, awkSed.real.pattern).verdict).toBe('refuted');
    expect(judgeAwkPattern(awkSed.real.log, awkSed.real.plainWord, 'no-such-string', awkSed.real.pattern).verdict).toBe('unverifiable');
  });

  it("sed removing 'the quotes in the CSV file' is nuanced on the real run: printed only, single quotes kept", () => {
    const { stripQuotes, csvBefore, csvAfter } = awkSed.real;
    expect(judgeSedStripQuotes(stripQuotes, csvBefore, csvAfter)).toMatchObject({ verdict: 'nuanced', observed: { fileChanged: false, singleQuotesLeftInOutput: 2 } });
    const inPlace = awkSed.altered((o) => (o.stripQuotes.output = o.stripQuotes.output.replaceAll("'", '')));
    expect(judgeSedStripQuotes(inPlace.stripQuotes, csvBefore, inPlace.stripQuotes.output).verdict).toBe('confirmed');
    expect(judgeSedStripQuotes(awkSed.altered((o) => (o.stripQuotes.output = '"id"')).stripQuotes, csvBefore, csvAfter).verdict).toBe('refuted');
    expect(judgeSedStripQuotes(awkSed.altered((o) => (o.stripQuotes.output = '')).stripQuotes, csvBefore, csvAfter).verdict).toBe('unverifiable');
  });
});
