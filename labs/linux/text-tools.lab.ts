/**
 * Lab: the sheet's own wc, tail, sed, awk and curl commands, run on an access log that a real nginx
 * wrote for requests this lab sent, so every output can be checked against what is known.
 *
 * Starts: nginx in front of one backend, and clients at known addresses (two in one /24, one in
 * another), on one Docker network.
 *
 * Does: runs the sheet's curl commands (GET, -O, -X POST) from a client; sends numbered requests
 * from each client in a known order; copies nginx's access log; runs the sheet's commands on it
 * (and on small files the lab writes), with the sheet's IP and file names replaced by this run's;
 * runs wc on the sheet's own line about wc (English and Chinese) in a UTF-8 and the C locale, and on
 * two damaged copies of the log (its last line cut, one GET changed to PUT) beside sha256sum; lists
 * the protocols this machine's curl was built with (curl -V).
 *
 * Observes: each command's exact output, compared with the list of requests the lab sent.
 */
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { confirmedIf, keptJson, notObserved, withEvidence, type Said } from '../../src/core/verdict.ts';
import type { ClaimResult } from '../../src/core/types.ts';
import { observeShell, type Observation } from '../../src/observers/command.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { execIn } from '../../src/resources/docker.ts';
import { nginxConf, startNginxStack } from '../../src/systems/nginx-stack.ts';
import { sleep } from '../../src/resources/cancel.ts';

export interface Sent {
  ip: string;
  method: string;
  path: string;
}

/** Words per line of nginx's default "combined" format when the user agent has no spaces (curl's). */
export const COMBINED_WORDS = 12;

const verdict = (id: string, holds: boolean, yes: Said, no: Said, observed: Record<string, unknown>, ...seen: Observation[]): ClaimResult =>
  confirmedIf(id, holds, yes, no, observed, seen.map((o) => o.evidence));

/** The sheet's own words about wc, in English and in Chinese: a text whose characters and bytes differ. */
export const WC_TEXT = 'count the words and characters\n计算文档的单词数和字符数\n';

const firstNumber = (o: Observation) => Number(o.output.trim().match(/^\d+/)?.[0] ?? NaN);

type Counts = { original: string; truncated: string; changed: string };

/** The sheet's three curl commands, run from a client against nginx, each with its exit code and exactly what it printed. */
export interface CurlRuns {
  /** `curl http://nginx:8080/`. */
  get: Observation;
  /** `curl -O http://nginx:8080/file.zip` in /tmp. */
  download: Observation;
  /** Then `ls -l file.zip && cat file.zip` in /tmp: what curl -O saved, under which name. */
  saved: Observation;
  /** `curl -X POST http://nginx:8080/users`; nginx's access log (AwkAndSed.log) shows what reached it. */
  post: Observation;
}

/** What the lab saw of wc and curl beyond the log: each command's output, and the damaged copies' counts and SHA-256 sums. */
export interface WcAndCurl {
  words: Observation;
  charsUtf8: Observation;
  charsC: Observation;
  bytes: Observation;
  damaged: Observation;
  counts: Counts;
  sums: Counts;
  curlVersion: Observation;
  curl: CurlRuns;
}

export function judgeWcChars(text: string, { words, charsUtf8, charsC, bytes }: WcAndCurl): ClaimResult {
  const id = 'linux.wc.chars';
  const characters = [...text].length;
  const byteCount = Buffer.byteLength(text);
  const spaceSeparated = text.split(/\s+/).filter(Boolean).length;
  const chineseCharacters = [...text.split('\n')[1]!].length;
  const observed = { characters, bytes: byteCount, wcW: firstNumber(words), wcMUtf8: firstNumber(charsUtf8), wcMC: firstNumber(charsC), wcC: firstNumber(bytes), spaceSeparatedRuns: spaceSeparated };
  const evidence = [words, charsUtf8, charsC, bytes].map((o) => o.evidence);
  if (![observed.wcW, observed.wcMUtf8, observed.wcMC, observed.wcC].every(Number.isFinite)) return { id, verdict: 'unverifiable', summary: 'wc printed no counts.', summaryZh: 'wc 没有输出计数。', observed, evidence };
  if (observed.wcMUtf8 !== characters || observed.wcW !== spaceSeparated)
    return { id, verdict: 'refuted', summary: `wc -m printed ${observed.wcMUtf8} for ${characters} characters, wc -w ${observed.wcW}.`, summaryZh: `对 ${characters} 个字符，wc -m 输出 ${observed.wcMUtf8}，wc -w 输出 ${observed.wcW}。`, observed, evidence };
  const cLocale = observed.wcMC === characters ? 'in the C locale too' : `but in the C locale it printed ${observed.wcMC}, the bytes (wc -c: ${observed.wcC})`;
  const cLocaleZh = observed.wcMC === characters ? '在 C locale 下也一样' : `但在 C locale 下它输出 ${observed.wcMC}，即字节数（wc -c：${observed.wcC}）`;
  return {
    id,
    verdict: 'nuanced',
    summary: `On the sheet's own line about wc, in English and Chinese, wc -m counted the ${characters} characters in a UTF-8 locale, ${cLocale}: characters depend on the locale. And a word is a run without white space: wc -w printed ${observed.wcW}, five English words and the whole Chinese line (${chineseCharacters} characters) as one.`,
    summaryZh: `对学习资料中关于 wc 的那句话（英文和中文各一行），在 UTF-8 locale 下 wc -m 数出了 ${characters} 个字符，${cLocaleZh}：“字符”取决于 locale。而“单词”是不含空白的一段文字：wc -w 输出 ${observed.wcW}，即五个英文单词，加上被当作一个单词的整行中文（${chineseCharacters} 个字）。`,
    observed,
    evidence,
  };
}

export function judgeWcIntegrity({ counts, sums, damaged: shown }: WcAndCurl): ClaimResult {
  const id = 'linux.wc.integrity';
  const caughtTruncation = counts.truncated !== counts.original;
  const caughtChange = counts.changed !== counts.original;
  const changedForSure = sums.changed !== sums.original;
  const observed = { counts, sha256: sums, truncationCaught: caughtTruncation, sameLengthChangeCaught: caughtChange };
  const evidence = [shown.evidence];
  if (!counts.original || !sums.original) return { id, verdict: 'unverifiable', summary: 'wc or sha256sum printed nothing.', summaryZh: 'wc 或 sha256sum 没有输出。', observed, evidence };
  const uncounted = (['truncated', 'changed'] as const).filter((k) => !counts[k]).map((k) => `${k}.log`);
  if (uncounted.length) return { ...notObserved(id, { en: `wc printed no counts for ${uncounted.join(' and ')}, so whether it tells the damaged copies from the original was not observed.`, zh: `wc 没有输出 ${uncounted.join(' 和 ')} 的计数，因此无从观察它能否把损坏的副本与原文件区分开。` }, observed), evidence };
  if (caughtTruncation && caughtChange) return { id, verdict: 'confirmed', summary: `wc's counts changed for both damaged copies: ${counts.truncated} and ${counts.changed} against ${counts.original}.`, summaryZh: `两个损坏副本的 wc 计数都变了：${counts.truncated} 和 ${counts.changed}，原文件为 ${counts.original}。`, observed, evidence };
  if (!caughtTruncation) return { id, verdict: 'refuted', summary: `A copy missing its last line had the same counts as the original (${counts.original}).`, summaryZh: `少了最后一行的副本与原文件计数相同（${counts.original}）。`, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `wc catches a file that lost its last line (lines, words, bytes ${counts.truncated} against ${counts.original}), but not one with GET changed to PUT in place: the same ${counts.changed}, though ${changedForSure ? 'its SHA-256 differs' : 'its content differs'}. A count checks completeness, not integrity: that takes a checksum.`,
    summaryZh: `wc 能发现丢了最后一行的文件（行数、单词数、字节数为 ${counts.truncated}，原文件为 ${counts.original}），但发现不了把 GET 原地改成 PUT 的文件：计数仍是 ${counts.changed}，${changedForSure ? '而它的 SHA-256 已经不同' : '而它的内容已经不同'}。计数只能检查是否完整，不能检查内容是否正确：那需要校验和。`,
    observed,
    evidence,
  };
}

/** An address from the documentation range (TEST-NET-3) sent as a Referer, so that one log line holds two addresses. */
export const REFERER_IP = '203.0.113.7';
/** A string with a character that is special in a regular expression: "?" makes the "c" before it optional. */
export const AWK_PATTERN = 'c?n=1';

/** Two numbers a line: all of them sum to PAIRS_TOTAL, the first column to 9. */
const PAIRS = '1 2\n3 4\n5 6\n';
const PAIRS_TOTAL = 21;

/** The two .conf files the lab writes before running the sheet's `sed -i.bak` on them: web.conf sets port 80, api.conf 9000. */
export const SED_CONF_FILES = { 'web.conf': 'name=web\nserver_port=80\n', 'api.conf': 'server_port=9000\nname=api\n' };

/** The sheet's sed -i.bak line (server_port set to 8080 in *.conf) on SED_CONF_FILES: the command, then each file as read afterwards (null: no such file). */
export interface SedInPlace {
  command: Observation;
  /** web.conf and api.conf, in that order. */
  edited: (string | null)[];
  /** web.conf.bak and api.conf.bak, in that order. */
  backups: (string | null)[];
}

/** What awk and sed printed for the sheet's lines, with the log and the CSV file before and after. */
export interface AwkAndSed {
  log: string;
  firstField: Observation;
  sum: Observation;
  sumPairs: Observation;
  plainWord: Observation;
  pattern: Observation;
  stripQuotes: Observation;
  csvBefore: string;
  csvAfter: string;
  sedInPlace: SedInPlace;
}

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;

/** The sheet: `awk '{print $1}' log.txt` "extracts all the IP addresses in the file". */
export function judgeAwkFirstField(log: string, printed: Observation): ClaimResult {
  const id = 'linux.awk.first-field';
  const inFile = log.match(IPV4) ?? [];
  const extracted = printed.output.split('\n').filter(Boolean);
  const left = [...extracted];
  const missed = inFile.filter((ip) => {
    const at = left.indexOf(ip);
    if (at < 0) return true;
    left.splice(at, 1);
    return false;
  });
  const observed = { addressesInFile: inFile.length, printed: extracted.length, missed };
  const evidence = [printed.evidence];
  if (printed.exitCode !== 0) return { ...notObserved(id, { en: `awk failed (exit ${printed.exitCode}), so what it extracts was not observed.`, zh: `awk 执行失败（退出码 ${printed.exitCode}），无从观察它提取出了什么。` }, observed), evidence };
  if (!inFile.length) return { id, verdict: 'unverifiable', summary: 'The log holds no IP address.', summaryZh: '日志中没有 IP 地址。', observed, evidence };
  if (!missed.length) return { id, verdict: 'confirmed', summary: `awk printed all ${inFile.length} IP addresses in the file.`, summaryZh: `awk 输出了文件中全部 ${inFile.length} 个 IP 地址。`, observed, evidence };
  return {
    id,
    verdict: 'refuted',
    summary: `awk printed the first field of each of the ${extracted.length} lines, the client addresses, but not every IP address in the file: ${missed.join(', ')} stood later on a line (a Referer header nginx logged) and was not extracted. '{print $1}' prints a field, not the addresses; grep -oE with an address pattern finds them all.`,
    summaryZh: `awk 输出了 ${extracted.length} 行各自的第一个字段，也就是客户端地址，但并没有提取出文件中所有的 IP 地址：${missed.join('、')} 位于行中靠后的位置（nginx 记录下的 Referer 请求头），没有被提取出来。'{print $1}' 输出的是一个字段，而不是地址；要找出全部地址，应使用带地址模式的 grep -oE。`,
    observed,
    evidence,
  };
}

/** The sheet: `awk '{sum += $1} END {print sum}' numbers.txt` "computes the sum of all the numbers in the file". */
export function judgeAwkSum(oneColumn: Observation, twoColumns: Observation, twoColumnsTotal: number): ClaimResult {
  const id = 'linux.awk.sum';
  const observed = { oneNumberPerLine: oneColumn.output.trim(), expected: '5050', twoNumbersPerLine: twoColumns.output.trim(), allNumbersThere: twoColumnsTotal };
  const evidence = [oneColumn.evidence, twoColumns.evidence];
  if (!oneColumn.output.trim() || !twoColumns.output.trim()) return { id, verdict: 'unverifiable', summary: 'awk printed nothing.', summaryZh: 'awk 没有输出。', observed, evidence };
  if (observed.oneNumberPerLine !== '5050') return { id, verdict: 'refuted', summary: `awk printed ${observed.oneNumberPerLine} for the numbers 1 to 100.`, summaryZh: `对 1 到 100 这些数字，awk 输出的是 ${observed.oneNumberPerLine}。`, observed, evidence };
  if (Number(observed.twoNumbersPerLine) === twoColumnsTotal) return { id, verdict: 'confirmed', summary: `awk summed every number in both files: 5050 and ${twoColumnsTotal}.`, summaryZh: `awk 对两个文件中的所有数字求和：5050 和 ${twoColumnsTotal}。`, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `With one number per line awk summed them all (1 to 100: 5050). With two numbers per line it printed ${observed.twoNumbersPerLine}, not ${twoColumnsTotal}: $1 is the first column, so it sums the first number of each line, which is "all the numbers" only when each line holds one.`,
    summaryZh: `每行一个数字时，awk 对全部数字求和（1 到 100：5050）。每行两个数字时，它输出 ${observed.twoNumbersPerLine}，而不是 ${twoColumnsTotal}：$1 是第一列，所以它只对每行的第一个数字求和，只有每行只有一个数字时才等于“所有数字的总和”。`,
    observed,
    evidence,
  };
}

/** The sheet: `awk '/pattern/ {print $0}' log.txt` "filters the lines containing a specific string". */
export function judgeAwkPattern(log: string, plain: Observation, pattern: string, printed: Observation): ClaimResult {
  const id = 'linux.awk.pattern';
  const lines = log.split('\n').filter(Boolean);
  const containing = lines.filter((l) => l.includes(pattern));
  const out = printed.output.split('\n').filter(Boolean);
  const plainPrinted = plain.output.split('\n').filter(Boolean);
  const plainContaining = lines.filter((l) => l.includes('POST'));
  const observed = { plainWordLinesPrinted: plainPrinted.length, plainWordLinesContaining: plainContaining.length, pattern, linesContainingTheString: containing.length, linesPrinted: out.length };
  const evidence = [plain.evidence, printed.evidence];
  const failed = [plain, printed].filter((o) => o.exitCode !== 0);
  if (failed.length) return { ...notObserved(id, { en: `awk failed (${failed.map((o) => `${o.evidence.command}: exit ${o.exitCode}`).join('; ')}), so the lines it prints were not observed.`, zh: `awk 执行失败（${failed.map((o) => `${o.evidence.command}：退出码 ${o.exitCode}`).join('；')}），无从观察它输出哪些行。` }, observed), evidence };
  if (plainPrinted.join('\n') !== plainContaining.join('\n')) return { id, verdict: 'refuted', summary: `awk '/POST/' printed ${plainPrinted.length} lines; ${plainContaining.length} contain POST.`, summaryZh: `awk '/POST/' 输出了 ${plainPrinted.length} 行，而包含 POST 的有 ${plainContaining.length} 行。`, observed, evidence };
  if (!containing.length) return { id, verdict: 'unverifiable', summary: `No line contains ${pattern}.`, summaryZh: `没有任何一行包含 ${pattern}。`, observed, evidence };
  if (out.length === containing.length && out.every((l) => l.includes(pattern))) return { id, verdict: 'confirmed', summary: `awk printed exactly the ${out.length} lines containing ${pattern}.`, summaryZh: `awk 恰好输出了包含 ${pattern} 的 ${out.length} 行。`, observed, evidence };
  if (!containing.every((l) => out.includes(l))) return { id, verdict: 'refuted', summary: `awk missed lines containing ${pattern}: ${out.length} printed, ${containing.length} contain it.`, summaryZh: `awk 漏掉了包含 ${pattern} 的行：输出 ${out.length} 行，而包含它的有 ${containing.length} 行。`, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `For a plain word awk printed exactly the lines containing it (/POST/: ${plainPrinted.length}). But /${pattern}/ is a regular expression, not a string: ${containing.length} lines contain "${pattern}", awk printed ${out.length}, every line with "n=1" after an optional "c" ("?" makes the "c" optional). A string with such characters has to be escaped, or matched with index().`,
    summaryZh: `对普通单词，awk 恰好输出包含它的行（/POST/：${plainPrinted.length} 行）。但 /${pattern}/ 是正则表达式而不是字符串：包含 "${pattern}" 的有 ${containing.length} 行，awk 却输出了 ${out.length} 行，即所有在可选的 "c" 后面带 "n=1" 的行（"?" 让 "c" 变成可选）。要按含有这类字符的字符串过滤，必须转义，或者用 index()。`,
    observed,
    evidence,
  };
}

/** The sheet: `sed 's/"//g' data.csv` "removes the quotes in the CSV file". */
export function judgeSedStripQuotes(printed: Observation, fileBefore: string, fileAfter: string): ClaimResult {
  const id = 'linux.sed.strip-quotes';
  const observed = { printed: printed.output, fileChanged: fileBefore !== fileAfter, doubleQuotesLeftInOutput: (printed.output.match(/"/g) ?? []).length, singleQuotesLeftInOutput: (printed.output.match(/'/g) ?? []).length };
  const evidence = [printed.evidence];
  if (!printed.output) return { id, verdict: 'unverifiable', summary: 'sed printed nothing.', summaryZh: 'sed 没有输出。', observed, evidence };
  if (observed.doubleQuotesLeftInOutput) return { id, verdict: 'refuted', summary: `${observed.doubleQuotesLeftInOutput} double quotes were left in sed's output.`, summaryZh: `sed 的输出中仍有 ${observed.doubleQuotesLeftInOutput} 个双引号。`, observed, evidence };
  if (observed.fileChanged && !observed.singleQuotesLeftInOutput) return { id, verdict: 'confirmed', summary: 'The file lost all its quotes.', summaryZh: '文件中的引号全部被删除了。', observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `sed printed the file without its double quotes, but ${observed.fileChanged ? 'changed the file itself' : 'data.csv itself was left as it was: without -i sed only prints'}${observed.singleQuotesLeftInOutput ? `, and the ${observed.singleQuotesLeftInOutput} single quotes stayed` : ''}. Note also the third line: "api, v2" had held a comma inside a field, which now reads as a separator.`,
    summaryZh: `sed 输出了去掉双引号后的内容，但${observed.fileChanged ? '文件本身也被改了' : ' data.csv 文件本身原封未动：不加 -i 时 sed 只是输出'}${observed.singleQuotesLeftInOutput ? `，而且 ${observed.singleQuotesLeftInOutput} 个单引号仍然保留` : ''}。另外注意第三行："api, v2" 原本是字段内部带逗号的值，去掉引号后这个逗号就会被当成分隔符。`,
    observed,
    evidence,
  };
}

/** The sheet names HTTP, HTTPS, FTP and SMTP. */
export const SHEET_PROTOCOLS = ['http', 'https', 'ftp', 'smtp'];

export function judgeCurlProtocols(version: Observation): ClaimResult {
  const id = 'linux.curl.protocols';
  const listed = version.output.match(/^Protocols:\s*(.*)$/m)?.[1]?.trim().split(/\s+/) ?? [];
  const missing = SHEET_PROTOCOLS.filter((p) => !listed.includes(p));
  const observed = { protocols: listed, missing };
  const evidence = [version.evidence];
  if (!listed.length) return { id, verdict: 'unverifiable', summary: 'curl -V listed no protocols.', summaryZh: 'curl -V 没有列出协议。', observed, evidence };
  if (missing.length) return { id, verdict: 'nuanced', summary: `This curl was built with ${listed.length} protocols but not ${missing.join(', ')}: which protocols curl speaks depends on how it was built.`, summaryZh: `这个 curl 编译时支持 ${listed.length} 种协议，但不包括 ${missing.join('、')}：curl 支持哪些协议取决于它的编译方式。`, observed, evidence };
  return { id, verdict: 'confirmed', summary: `This curl lists ${listed.length} protocols, ${SHEET_PROTOCOLS.join(', ')} among them (${listed.join(' ')}).`, summaryZh: `这个 curl 列出了 ${listed.length} 种协议，其中包括 ${SHEET_PROTOCOLS.join('、')}（${listed.join(' ')}）。`, observed, evidence };
}

const requestOf = (line: string) => line.match(/"(\w+) (\S+) HTTP/)?.slice(1, 3).join(' ') ?? '';

/** A wc that succeeded and printed a count first. */
const counted = (o: Observation) => o.exitCode === 0 && /^\d+/.test(o.output.trim());

/** A wc that failed or printed no count: nothing was counted, so the claim is not decided. */
const noCount = (id: string, flag: string, o: Observation) =>
  withEvidence(notObserved(id, { en: `wc ${flag} printed no count (exit ${o.exitCode}), so what it counts was not observed.`, zh: `wc ${flag} 没有输出计数（退出码 ${o.exitCode}），无从观察它数出了什么。` }), o.evidence);

export function judgeWc(sent: Sent[], lines: Observation, words: Observation): ClaimResult[] {
  const l = Number(lines.output.trim().split(/\s+/)[0]);
  const w = Number(words.output.trim().split(/\s+/)[0]);
  return [
    !counted(lines) ? noCount('linux.wc.lines', '-l', lines) : verdict('linux.wc.lines', l === sent.length, { en: `wc -l printed ${l}: the ${sent.length} requests the lab sent, one log line each.`, zh: `wc -l 输出 ${l}：正是实验发送的 ${sent.length} 个请求，每个请求一行日志。` }, { en: `wc -l printed ${l} for ${sent.length} requests.`, zh: `对于 ${sent.length} 个请求，wc -l 输出的是 ${l}。` }, { printed: l, requestsSent: sent.length }, lines),
    !counted(words) ? noCount('linux.wc.words', '-w', words) : verdict('linux.wc.words', w === sent.length * COMBINED_WORDS, { en: `wc -w printed ${w}: ${sent.length} lines of ${COMBINED_WORDS} space-separated words in nginx's combined format.`, zh: `wc -w 输出 ${w}：共 ${sent.length} 行，nginx 的 combined 格式下每行是 ${COMBINED_WORDS} 个以空格分隔的词。` }, { en: `wc -w printed ${w}, expected ${sent.length * COMBINED_WORDS}.`, zh: `wc -w 输出 ${w}，预期为 ${sent.length * COMBINED_WORDS}。` }, { printed: w, expected: sent.length * COMBINED_WORDS }, words),
  ];
}

export function judgeTail(sent: Sent[], tail: Observation, follow: Observation, followed: string[]): ClaimResult[] {
  const shown = tail.output.split('\n').filter(Boolean).map(requestOf);
  const expected = sent.slice(-10).map((s) => `${s.method} ${s.path}`);
  const appeared = followed.every((p) => follow.output.includes(`GET ${p} `));
  return [
    tail.exitCode !== 0 || !tail.output.trim()
      ? withEvidence(notObserved('linux.tail.default-ten', { en: `tail printed nothing (exit ${tail.exitCode}), so which lines it shows was not observed.`, zh: `tail 没有输出（退出码 ${tail.exitCode}），无从观察它显示哪些行。` }), tail.evidence)
      : verdict('linux.tail.default-ten', shown.join('|') === expected.join('|'), { en: `tail printed ${shown.length} lines: the last 10 requests, in order.`, zh: `tail 输出了 ${shown.length} 行：正是最后 10 个请求，顺序一致。` }, { en: `tail printed ${shown.join(', ')}; the last 10 requests were ${expected.join(', ')}.`, zh: `tail 输出的是 ${shown.join(', ')}；而最后 10 个请求是 ${expected.join(', ')}。` }, { linesPrinted: shown.length, lastTenSent: expected }, tail),
    // tail -f first prints the log's last lines: printing nothing at all means it did not run on the log.
    !follow.output.trim()
      ? withEvidence(notObserved('linux.tail.follow', { en: 'tail -f printed nothing, not even the lines already in the log when it started, so whether it prints appended lines was not observed.', zh: 'tail -f 什么也没有输出，连它启动时日志中已有的行都没有输出，因此无从观察它是否会打印新追加的行。' }), follow.evidence)
      : verdict('linux.tail.follow', appeared, { en: `tail -f, started before two more requests, printed their lines as nginx appended them (${followed.join(', ')}).`, zh: `tail -f 在另外两个请求之前启动，nginx 一追加这两行日志，它就随即打印了出来（${followed.join(', ')}）。` }, { en: 'tail -f did not print the lines appended after it started.', zh: 'tail -f 没有打印它启动之后追加的日志行。' }, { requestsAfterStart: followed, printedThem: appeared }, follow),
  ];
}

export function judgeSedFilter(sent: Sent[], ip: string, exact: Observation, prefix: Observation, prefixIp: string): ClaimResult {
  const failed = [exact, prefix].filter((o) => o.exitCode !== 0);
  if (failed.length)
    return { ...notObserved('linux.sed.filter-ip', { en: `sed failed (${failed.map((o) => `${o.evidence.command}: exit ${o.exitCode}`).join('; ')}), so the lines it selects were not observed.`, zh: `sed 执行失败（${failed.map((o) => `${o.evidence.command}：退出码 ${o.exitCode}`).join('；')}），无从观察它选出了哪些行。` }, { ip, prefixPattern: prefixIp }), evidence: [exact.evidence, prefix.evidence] };
  const printed = exact.output.split('\n').filter(Boolean);
  const fromIp = sent.filter((s) => s.ip === ip).length;
  const prefixPrinted = prefix.output.split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
  const strangers = [...new Set(prefixPrinted.filter((p) => p !== prefixIp))];
  const observed = { ip, linesPrinted: printed.length, requestsFromIp: fromIp, allFromIp: printed.every((l) => l.startsWith(`${ip} `)), prefixPattern: prefixIp, prefixMatchedOtherAddresses: strangers };
  const holds = printed.length === fromIp && observed.allFromIp;
  return {
    id: 'linux.sed.filter-ip',
    verdict: !holds ? 'refuted' : strangers.length ? 'nuanced' : 'confirmed',
    summary: !holds
      ? `sed printed ${printed.length} lines for ${fromIp} requests from ${ip}.`
      : strangers.length
        ? `sed -n '/…/p' printed exactly the ${fromIp} lines of ${ip}; but it matches text, not addresses: the pattern for ${prefixIp}, a host that sent nothing, printed the lines of ${strangers.join(' and ')}. As in the sheet, /192\\.168\\.1\\.1/ also matches 192.168.1.10-19 and .100-199; anchor it (/^192\\.168\\.1\\.1 /) to select one client.`
        : `sed printed exactly the ${fromIp} lines of ${ip}.`,
    summaryZh: !holds
      ? `对于来自 ${ip} 的 ${fromIp} 个请求，sed 输出了 ${printed.length} 行。`
      : strangers.length
        ? `sed -n '/…/p' 恰好输出了 ${ip} 的 ${fromIp} 行；但它匹配的是文本而不是地址：针对 ${prefixIp}（一个没有发送任何请求的主机）的模式，打印出了 ${strangers.join(' 和 ')} 的日志行。和资料中一样，/192\\.168\\.1\\.1/ 也会匹配 192.168.1.10-19 和 .100-199；要只选出一个客户端，需要加锚点（/^192\\.168\\.1\\.1 /）。`
        : `sed 恰好输出了 ${ip} 的 ${fromIp} 行。`,
    observed,
    evidence: [exact.evidence, prefix.evidence],
  };
}

// The sheet: `sed -i.bak 's/^server_port=.*/server_port=8080/' *.conf` "edits the files in place and keeps .bak copies".
/** The sheet's sed -i.bak line, judged on the files it left. */
export function judgeSedInPlaceBackup({ command, edited, backups }: SedInPlace): ClaimResult {
  const id = 'linux.sed.in-place-backup';
  // 127: the shell found no sed; it ran nothing, so the files say nothing about what sed -i does.
  if (command.exitCode === 127 && backups.every((b) => b === null))
    return withEvidence(notObserved(id, { en: 'The shell found no sed (exit 127), so no in-place edit was observed.', zh: 'shell 找不到 sed（退出码 127），无从观察原地修改。' }, { edited, backups }), command.evidence);
  if (edited.some((t) => t === null)) return withEvidence(notObserved(id, { en: 'sed ran, but an edited .conf file could not be read back, so what the edit did was not observed.', zh: 'sed 已执行，但有被修改的 .conf 文件无法读回，无从观察修改的结果。' }, { edited, backups }), command.evidence);
  const holds = edited.every((t) => t!.includes('server_port=8080\n')) && !!backups[0]?.includes('server_port=80\n') && !!backups[1]?.includes('server_port=9000\n');
  const port = (text: string | null) => (text === null ? 'no such file' : (text.match(/server_port=\S*/)?.[0] ?? 'no server_port line'));
  const found = `web.conf: ${port(edited[0]!)}, api.conf: ${port(edited[1]!)}; web.conf.bak: ${port(backups[0]!)}, api.conf.bak: ${port(backups[1]!)}`;
  return verdict(
    id,
    holds,
    { en: 'sed -i.bak rewrote server_port to 8080 in both .conf files and left the originals in web.conf.bak and api.conf.bak.', zh: 'sed -i.bak 把两个 .conf 文件中的 server_port 都改成了 8080，并把原文件保留为 web.conf.bak 和 api.conf.bak。' },
    { en: `After sed -i.bak: ${found}.`, zh: `执行 sed -i.bak 之后：${found}。` },
    { edited, backups },
    command,
  );
}

/** What the lab's backend b1 answers to any request: its name. */
export const BACKEND_BODY = 'b1\n';

/** The sheet: `curl URL` "sends a GET request and prints the body". */
export function judgeCurlGet(get: Observation): ClaimResult {
  const id = 'linux.curl.get';
  if (get.exitCode !== 0) return withEvidence(notObserved(id, { en: `curl failed (exit ${get.exitCode}): no complete response was received, so what it prints for one was not observed.`, zh: `curl 执行失败（退出码 ${get.exitCode}）：没有收到完整的响应，无从观察它会输出什么。` }, { printed: get.output }), get.evidence);
  return verdict(id, get.output === BACKEND_BODY, { en: 'curl printed the body the backend sent (b1).', zh: 'curl 输出了后端返回的响应体（b1）。' }, { en: `curl printed ${JSON.stringify(get.output)}.`, zh: `curl 输出的是 ${JSON.stringify(get.output)}。` }, { printed: get.output }, get);
}

/** The sheet: `curl -O URL` "saves the body under the URL's file name"; `saved` is `ls -l file.zip && cat file.zip` run afterwards in the same directory. */
export function judgeCurlDownload(download: Observation, saved: Observation): ClaimResult {
  const id = 'linux.curl.download';
  if (download.exitCode !== 0)
    return { ...notObserved(id, { en: `curl -O failed (exit ${download.exitCode}): nothing was downloaded, so where it saves a body was not observed.`, zh: `curl -O 执行失败（退出码 ${download.exitCode}）：没有下载到任何内容，无从观察它把响应体保存在哪里。` }, { output: saved.output }), evidence: [download.evidence, saved.evidence] };
  const holds = saved.exitCode === 0 && saved.output.includes('file.zip') && saved.output.endsWith(BACKEND_BODY);
  const no: Said =
    saved.exitCode !== 0
      ? { en: 'curl -O did not save file.zip.', zh: 'curl -O 没有保存出 file.zip。' }
      : { en: `ls -l file.zip && cat file.zip printed ${JSON.stringify(saved.output)}, not the backend's body (b1) saved as file.zip.`, zh: `ls -l file.zip && cat file.zip 输出的是 ${JSON.stringify(saved.output)}，而不是以 file.zip 保存的后端响应体（b1）。` };
  return verdict(id, holds, { en: 'curl -O saved the body as file.zip, the last part of the URL.', zh: 'curl -O 把响应体保存为 file.zip，即 URL 的最后一段。' }, no, { output: saved.output }, download, saved);
}

/** The sheet: `curl -X POST URL` "sends a POST request"; `log` is nginx's access log, which shows what reached it. */
export function judgeCurlPost(post: Observation, log: string): ClaimResult {
  const id = 'linux.curl.post';
  const logged = log.split('\n').filter(Boolean);
  const loggedPost = logged.filter((l) => requestOf(l) === 'POST /users');
  if (post.exitCode !== 0) return withEvidence(notObserved(id, { en: `curl -X POST failed (exit ${post.exitCode}), so what it sends was not observed.`, zh: `curl -X POST 执行失败（退出码 ${post.exitCode}），无从观察它发送了什么。` }, { loggedPost }), post.evidence);
  if (!logged.length) return withEvidence(notObserved(id, { en: "nginx's access log was empty, so what reached nginx was not observed.", zh: 'nginx 的访问日志是空的，无从观察到达 nginx 的请求。' }, { loggedPost }), post.evidence);
  return verdict(id, loggedPost.length > 0, { en: 'nginx logged "POST /users" for curl -X POST.', zh: 'nginx 为 curl -X POST 记录了 "POST /users"。' }, { en: 'No POST reached nginx.', zh: '没有 POST 请求到达 nginx。' }, { loggedPost }, post);
}

/** A file's content, or null when there is no such file. */
const readIfThere = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);

export default defineLab({
  id: 'linux-text-tools',
  title: "The sheet's wc, tail, sed, awk and curl commands on a real nginx access log",
  topic: 'linux',
  claims: ['linux.wc.lines', 'linux.wc.words', 'linux.wc.chars', 'linux.wc.integrity', 'linux.curl.protocols', 'linux.tail.default-ten', 'linux.tail.follow', 'linux.sed.filter-ip', 'linux.sed.in-place-backup', 'linux.sed.strip-quotes', 'linux.awk.first-field', 'linux.awk.sum', 'linux.awk.pattern', 'linux.curl.get', 'linux.curl.download', 'linux.curl.post'],
  requires: ['docker'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'nginx with one backend and three clients on a Docker network (two clients share a /24).',
    does: "Sends known requests, including the sheet's curl commands; runs the sheet's wc, tail, sed and awk commands on nginx's access log and on small files; wc on Chinese text in two locales and on two damaged copies of the log; curl -V.",
    observes: 'Each command line and its exact output, against the list of requests the lab sent.',
    zh: {
      title: '在真实的 nginx 访问日志上运行学习资料中的 wc、tail、sed、awk 和 curl 命令',
      starts: '同一 Docker 网络上的 nginx、一个后端和三个客户端（其中两个客户端位于同一个 /24）。',
      does: '发送一组已知的请求，其中包括学习资料中的 curl 命令；在 nginx 访问日志和几个小文件上运行学习资料中的 wc、tail、sed 和 awk 命令；在两种 locale 下对中文文本运行 wc，并对日志的两个损坏副本运行 wc；运行 curl -V。',
      observes: '每条命令及其原样输出，并与实验实际发送的请求清单对照。',
    },
  },
  async run(ctx) {
    const stack = await startNginxStack(ctx.scope, ctx.runId, {
      backends: [{ name: 'b1' }],
      clients: { alice: 0, bob: 0, carol: 1 },
      conf: (a) => nginxConf(`server ${a.b1}:8000;`),
    });
    ctx.environment.nginx = stack.version;
    for (const tool of ['wc', 'tail', 'sed']) ctx.environment[tool] = await toolVersion(tool);
    // `-W version` is what both mawk (Debian's default awk) and gawk accept.
    ctx.environment.awk = await toolVersion('awk', ['-W', 'version']);
    ctx.environment['curl (client)'] = (await execIn(stack.clients.carol!.id, ['curl', '--version'])).stdout.split('\n')[0]!;
    const ip = (client: string) => stack.clients[client]!.address;
    const sent: Sent[] = [];
    const inClient = async (client: string, line: string): Promise<Observation> => {
      const r = await execIn(stack.clients[client]!.id, ['sh', '-c', line]);
      return { exitCode: r.exitCode, output: r.stdout, evidence: { kind: 'command' as const, title: `in client ${client} (${ip(client)})`, command: line, output: r.stdout + r.stderr } };
    };

    ctx.step("the sheet's curl commands");
    const get = await inClient('carol', 'curl http://nginx:8080/');
    sent.push({ ip: ip('carol'), method: 'GET', path: '/' });
    const download = await inClient('carol', 'cd /tmp && curl -O http://nginx:8080/file.zip');
    sent.push({ ip: ip('carol'), method: 'GET', path: '/file.zip' });
    const saved = await inClient('carol', 'cd /tmp && ls -l file.zip && cat file.zip');
    const post = await inClient('carol', 'curl -X POST http://nginx:8080/users');
    sent.push({ ip: ip('carol'), method: 'POST', path: '/users' });
    // A second address on a line: nginx logs the Referer.
    await inClient('carol', `curl -s -e http://${REFERER_IP}/from http://nginx:8080/referred`);
    sent.push({ ip: ip('carol'), method: 'GET', path: '/referred' });

    ctx.step('numbered requests from each client');
    for (const [client, path, count] of [['alice', '/a', 5], ['bob', '/b', 4], ['carol', '/c', 6]] as const) {
      await stack.get(client, path, count);
      for (let n = 1; n <= count; n++) sent.push({ ip: ip(client), method: 'GET', path: `${path}?n=${n}` });
    }

    ctx.step('tail -f while nginx appends');
    const tailLine = 'timeout 3 tail -f /var/log/nginx/access.log';
    const following = execIn(stack.nginx.id, ['sh', '-c', tailLine]).then((r) => ({ exitCode: r.exitCode, output: r.stdout, evidence: { kind: 'command' as const, title: 'in the nginx container, ended by timeout after 3 s', command: tailLine, output: r.stdout } }));
    await sleep(1000);
    await stack.get('alice', '/follow', 2);
    const followed = ['/follow?n=1', '/follow?n=2'];
    for (const path of followed) sent.push({ ip: ip('alice'), method: 'GET', path });
    const follow = await following;

    ctx.step("the sheet's commands on the log");
    const dir = ctx.workDir;
    writeFileSync(join(dir, 'access.log'), (await execIn(stack.nginx.id, ['cat', '/var/log/nginx/access.log'])).stdout);
    ctx.keep(join(dir, 'access.log'));
    const shell = (title: string, line: string) => observeShell(title, line, dir);
    const escaped = (address: string) => address.replaceAll('.', '\\.');
    const wcL = await shell('wc -l', 'wc -l access.log');
    const wcW = await shell('wc -w', 'wc -w access.log');
    const tail = await shell('tail', 'tail access.log');
    const prefixIp = ip('alice').replace(/\.\d+$/, '.10');
    const sedExact = await shell('sed -n, the address of alice', `sed -n '/${escaped(ip('alice'))}/p' access.log`);
    const sedPrefix = await shell(`sed -n, the address ${prefixIp} (no client)`, `sed -n '/${escaped(prefixIp)}/p' access.log`);
    for (const [file, text] of Object.entries(SED_CONF_FILES)) writeFileSync(join(dir, file), text);
    const sedI = await shell('sed -i.bak on *.conf', "sed -i.bak 's/^server_port=.*/server_port=8080/' *.conf && head *.conf *.bak");
    const sedInPlace: SedInPlace = { command: sedI, edited: Object.keys(SED_CONF_FILES).map((f) => readIfThere(join(dir, f))), backups: Object.keys(SED_CONF_FILES).map((f) => readIfThere(join(dir, `${f}.bak`))) };
    const csv = '"id","server","port"\n"1","web","8080"\n"2","api, v2","9000"\n"3","\'db\'","5432"\n';
    writeFileSync(join(dir, 'data.csv'), csv);
    const sedQ = await shell("sed 's/\"//g'", `sed 's/"//g' data.csv`);
    const csvAfter = readFileSync(join(dir, 'data.csv'), 'utf8');
    const awk1 = await shell("awk '{print $1}'", "awk '{print $1}' access.log");
    writeFileSync(join(dir, 'numbers.txt'), `${Array.from({ length: 100 }, (_, i) => i + 1).join('\n')}\n`);
    const awkSum = await shell('awk sum', "awk '{sum += $1} END {print sum}' numbers.txt");
    writeFileSync(join(dir, 'pairs.txt'), PAIRS);
    const awkSumPairs = await shell('awk sum, two numbers per line', "awk '{sum += $1} END {print sum}' pairs.txt");
    const awkPost = await shell('awk /POST/', "awk '/POST/ {print $0}' access.log");
    const awkPattern = await shell(`awk /${AWK_PATTERN}/`, `awk '/${AWK_PATTERN}/ {print $0}' access.log`);

    ctx.step('wc on multibyte text and on damaged copies; the protocols curl knows');
    writeFileSync(join(dir, 'wc.txt'), WC_TEXT);
    const wcWords = await shell('wc -w', 'wc -w wc.txt');
    const wcUtf8 = await shell('wc -m in a UTF-8 locale', 'LC_ALL=C.UTF-8 wc -m wc.txt');
    const wcC = await shell('wc -m in the C locale', 'LC_ALL=C wc -m wc.txt');
    const wcBytes = await shell('wc -c', 'wc -c wc.txt');
    const original = readFileSync(join(dir, 'access.log'), 'utf8');
    writeFileSync(join(dir, 'truncated.log'), original.slice(0, original.lastIndexOf('\n', original.length - 2) + 1));
    writeFileSync(join(dir, 'changed.log'), original.replace('GET', 'PUT'));
    const damaged = await shell('wc and sha256sum on the log, a copy without its last line, a copy with GET changed to PUT once', 'wc access.log truncated.log changed.log && sha256sum access.log truncated.log changed.log');
    const field = (file: string, sha: boolean) => damaged.output.split('\n').find((l) => l.trim().endsWith(file) && (sha ? /^[0-9a-f]{64}\s/.test(l) : !/^[0-9a-f]{64}\s/.test(l)))?.trim().replace(/\s+\S+$/, '').replace(/\s+/g, ' ') ?? '';
    const files = { original: 'access.log', truncated: 'truncated.log', changed: 'changed.log' } as const;
    const counts = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, field(f, false)])) as Record<keyof typeof files, string>;
    const sums = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, field(f, true)])) as Record<keyof typeof files, string>;
    const curlVersion = await shell('curl -V on this machine', 'curl -V');
    const awkAndSed: AwkAndSed = { log: readFileSync(join(dir, 'access.log'), 'utf8'), firstField: awk1, sum: awkSum, sumPairs: awkSumPairs, plainWord: awkPost, pattern: awkPattern, stripQuotes: sedQ, csvBefore: csv, csvAfter, sedInPlace };
    const keptAwkAndSed = keptJson(ctx, 'awk-sed.json', awkAndSed, "the log, what awk and sed printed for the sheet's lines, and the files sed -i.bak left (JSON)");
    const wcAndCurl: WcAndCurl = { words: wcWords, charsUtf8: wcUtf8, charsC: wcC, bytes: wcBytes, damaged, counts, sums, curlVersion, curl: { get, download, saved, post } };
    const kept = keptJson(ctx, 'wc-curl.json', wcAndCurl, "wc on multibyte text and damaged copies, curl -V, and the sheet's curl commands (JSON)");

    return [
      ...judgeWc(sent, wcL, wcW),
      ...judgeTail(sent, tail, follow, followed),
      judgeSedFilter(sent, ip('alice'), sedExact, sedPrefix, prefixIp),
      judgeSedInPlaceBackup(awkAndSed.sedInPlace),
      judgeSedStripQuotes(awkAndSed.stripQuotes, awkAndSed.csvBefore, awkAndSed.csvAfter),
      withEvidence(judgeAwkFirstField(awkAndSed.log, awkAndSed.firstField), ...keptAwkAndSed),
      judgeAwkSum(awkAndSed.sum, awkAndSed.sumPairs, PAIRS_TOTAL),
      judgeAwkPattern(awkAndSed.log, awkAndSed.plainWord, AWK_PATTERN, awkAndSed.pattern),
      judgeCurlGet(wcAndCurl.curl.get),
      judgeCurlDownload(wcAndCurl.curl.download, wcAndCurl.curl.saved),
      withEvidence(judgeWcChars(WC_TEXT, wcAndCurl), ...kept),
      judgeWcIntegrity(wcAndCurl),
      judgeCurlProtocols(wcAndCurl.curlVersion),
      judgeCurlPost(wcAndCurl.curl.post, awkAndSed.log),
    ];
  },
});
