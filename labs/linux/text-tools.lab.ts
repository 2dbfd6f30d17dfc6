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
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { confirmedIf, keptJson, withEvidence, type Said } from '../../src/core/verdict.ts';
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

export function judgeWc(sent: Sent[], lines: Observation, words: Observation): ClaimResult[] {
  const l = Number(lines.output.trim().split(/\s+/)[0]);
  const w = Number(words.output.trim().split(/\s+/)[0]);
  return [
    verdict('linux.wc.lines', l === sent.length, { en: `wc -l printed ${l}: the ${sent.length} requests the lab sent, one log line each.`, zh: `wc -l 输出 ${l}：正是实验发送的 ${sent.length} 个请求，每个请求一行日志。` }, { en: `wc -l printed ${l} for ${sent.length} requests.`, zh: `对于 ${sent.length} 个请求，wc -l 输出的是 ${l}。` }, { printed: l, requestsSent: sent.length }, lines),
    verdict('linux.wc.words', w === sent.length * COMBINED_WORDS, { en: `wc -w printed ${w}: ${sent.length} lines of ${COMBINED_WORDS} space-separated words in nginx's combined format.`, zh: `wc -w 输出 ${w}：共 ${sent.length} 行，nginx 的 combined 格式下每行是 ${COMBINED_WORDS} 个以空格分隔的词。` }, { en: `wc -w printed ${w}, expected ${sent.length * COMBINED_WORDS}.`, zh: `wc -w 输出 ${w}，预期为 ${sent.length * COMBINED_WORDS}。` }, { printed: w, expected: sent.length * COMBINED_WORDS }, words),
  ];
}

export function judgeTail(sent: Sent[], tail: Observation, follow: Observation, followed: string[]): ClaimResult[] {
  const shown = tail.output.split('\n').filter(Boolean).map(requestOf);
  const expected = sent.slice(-10).map((s) => `${s.method} ${s.path}`);
  const appeared = followed.every((p) => follow.output.includes(`GET ${p} `));
  return [
    verdict('linux.tail.default-ten', shown.join('|') === expected.join('|'), { en: `tail printed ${shown.length} lines: the last 10 requests, in order.`, zh: `tail 输出了 ${shown.length} 行：正是最后 10 个请求，顺序一致。` }, { en: `tail printed ${shown.join(', ')}; the last 10 requests were ${expected.join(', ')}.`, zh: `tail 输出的是 ${shown.join(', ')}；而最后 10 个请求是 ${expected.join(', ')}。` }, { linesPrinted: shown.length, lastTenSent: expected }, tail),
    verdict('linux.tail.follow', appeared, { en: `tail -f, started before two more requests, printed their lines as nginx appended them (${followed.join(', ')}).`, zh: `tail -f 在另外两个请求之前启动，nginx 一追加这两行日志，它就随即打印了出来（${followed.join(', ')}）。` }, { en: 'tail -f did not print the lines appended after it started.', zh: 'tail -f 没有打印它启动之后追加的日志行。' }, { requestsAfterStart: followed, printedThem: appeared }, follow),
  ];
}

export function judgeSedFilter(sent: Sent[], ip: string, exact: Observation, prefix: Observation, prefixIp: string): ClaimResult {
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
    const inClient = async (client: string, line: string) => {
      const r = await execIn(stack.clients[client]!.id, ['sh', '-c', line]);
      return { exitCode: r.exitCode, output: r.stdout, evidence: { kind: 'command' as const, title: `in client ${client} (${ip(client)})`, command: line, output: r.stdout + r.stderr } };
    };

    ctx.step("the sheet's curl commands");
    const get = await inClient('carol', 'curl http://nginx:8080/');
    sent.push({ ip: ip('carol'), method: 'GET', path: '/' });
    const download = await inClient('carol', 'cd /tmp && curl -O http://nginx:8080/file.zip && ls -l file.zip && cat file.zip');
    sent.push({ ip: ip('carol'), method: 'GET', path: '/file.zip' });
    const post = await inClient('carol', 'curl -X POST http://nginx:8080/users');
    sent.push({ ip: ip('carol'), method: 'POST', path: '/users' });

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
    writeFileSync(join(dir, 'web.conf'), 'name=web\nserver_port=80\n');
    writeFileSync(join(dir, 'api.conf'), 'server_port=9000\nname=api\n');
    const sedI = await shell('sed -i.bak on *.conf', "sed -i.bak 's/^server_port=.*/server_port=8080/' *.conf && head *.conf *.bak");
    const edited = ['web.conf', 'api.conf'].map((f) => readFileSync(join(dir, f), 'utf8'));
    const backups = ['web.conf.bak', 'api.conf.bak'].map((f) => readFileSync(join(dir, f), 'utf8'));
    writeFileSync(join(dir, 'data.csv'), '"id","server","port"\n"1","web","8080"\n"2","api, v2","9000"\n');
    const sedQ = await shell("sed 's/\"//g'", `sed 's/"//g' data.csv`);
    const awk1 = await shell("awk '{print $1}'", "awk '{print $1}' access.log");
    writeFileSync(join(dir, 'numbers.txt'), `${Array.from({ length: 100 }, (_, i) => i + 1).join('\n')}\n`);
    const awkSum = await shell('awk sum', "awk '{sum += $1} END {print sum}' numbers.txt");
    const awkPost = await shell('awk /POST/', "awk '/POST/ {print $0}' access.log");
    const logged = readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter(Boolean);

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
    const wcAndCurl: WcAndCurl = { words: wcWords, charsUtf8: wcUtf8, charsC: wcC, bytes: wcBytes, damaged, counts, sums, curlVersion };
    const kept = keptJson(ctx, 'wc-curl.json', wcAndCurl, 'wc on multibyte text and damaged copies, and curl -V (JSON)');

    const ips = awk1.output.split('\n');
    const postLines = awkPost.output.split('\n').filter(Boolean);
    return [
      ...judgeWc(sent, wcL, wcW),
      ...judgeTail(sent, tail, follow, followed),
      judgeSedFilter(sent, ip('alice'), sedExact, sedPrefix, prefixIp),
      verdict('linux.sed.in-place-backup', edited.every((t) => t.includes('server_port=8080\n')) && backups[0]!.includes('server_port=80\n') && backups[1]!.includes('server_port=9000\n'), { en: 'sed -i.bak rewrote server_port to 8080 in both .conf files and left the originals in web.conf.bak and api.conf.bak.', zh: 'sed -i.bak 把两个 .conf 文件中的 server_port 都改成了 8080，并把原文件保留为 web.conf.bak 和 api.conf.bak。' }, { en: 'The files or their backups were not as expected.', zh: '文件或其备份与预期不符。' }, { edited, backups }, sedI),
      verdict('linux.sed.strip-quotes', sedQ.output === 'id,server,port\n1,web,8080\n2,api, v2,9000', { en: `Every double quote was removed. Note the third line: "api, v2" had held a comma inside a field, which now reads as a separator.`, zh: `所有双引号都被删除了。注意第三行："api, v2" 原本是字段内部带逗号的值，去掉引号后这个逗号就会被当成分隔符。` }, { en: `sed printed ${JSON.stringify(sedQ.output)}.`, zh: `sed 输出的是 ${JSON.stringify(sedQ.output)}。` }, { printed: sedQ.output }, sedQ),
      verdict('linux.awk.first-field', ips.join(' ') === sent.map((s) => s.ip).join(' '), { en: `awk printed the client address of each of the ${sent.length} lines, in the order the lab sent them.`, zh: `awk 输出了全部 ${sent.length} 行各自的客户端地址，顺序与实验发送请求的顺序一致。` }, { en: 'The first fields were not the senders in order.', zh: '第一个字段并不是按顺序排列的各请求发送方。' }, { printed: ips.length, matchesSenders: ips.join(' ') === sent.map((s) => s.ip).join(' ') }, awk1),
      verdict('linux.awk.sum', awkSum.output === '5050', { en: 'awk summed 1..100 to 5050.', zh: 'awk 对 1..100 求和，得到 5050。' }, { en: `awk printed ${awkSum.output}.`, zh: `awk 输出的是 ${awkSum.output}。` }, { printed: awkSum.output, expected: '5050' }, awkSum),
      verdict('linux.awk.pattern', postLines.length === 1 && requestOf(postLines[0]!) === 'POST /users', { en: 'awk printed the one line matching /POST/: the curl -X POST request.', zh: 'awk 输出了匹配 /POST/ 的唯一一行：即 curl -X POST 发出的请求。' }, { en: `awk printed ${postLines.length} lines.`, zh: `awk 输出了 ${postLines.length} 行。` }, { printed: postLines }, awkPost),
      verdict('linux.curl.get', get.exitCode === 0 && get.output === 'b1\n', { en: 'curl printed the body the backend sent (b1).', zh: 'curl 输出了后端返回的响应体（b1）。' }, { en: `curl printed ${JSON.stringify(get.output)}.`, zh: `curl 输出的是 ${JSON.stringify(get.output)}。` }, { printed: get.output }, get),
      verdict('linux.curl.download', download.exitCode === 0 && download.output.includes('file.zip') && download.output.endsWith('b1\n'), { en: 'curl -O saved the body as file.zip, the last part of the URL.', zh: 'curl -O 把响应体保存为 file.zip，即 URL 的最后一段。' }, { en: 'curl -O did not save file.zip.', zh: 'curl -O 没有保存出 file.zip。' }, { output: download.output }, download),
      withEvidence(judgeWcChars(WC_TEXT, wcAndCurl), ...kept),
      judgeWcIntegrity(wcAndCurl),
      judgeCurlProtocols(wcAndCurl.curlVersion),
      verdict('linux.curl.post', post.exitCode === 0 && logged.some((l) => requestOf(l) === 'POST /users'), { en: 'nginx logged "POST /users" for curl -X POST.', zh: 'nginx 为 curl -X POST 记录了 "POST /users"。' }, { en: 'No POST reached nginx.', zh: '没有 POST 请求到达 nginx。' }, { loggedPost: logged.filter((l) => requestOf(l) === 'POST /users') }, post),
    ];
  },
});
