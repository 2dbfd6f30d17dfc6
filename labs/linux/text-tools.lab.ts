/**
 * Lab: the sheet's own wc, tail, sed, awk and curl commands, run on an access log that a real nginx
 * wrote for requests this lab sent, so every output can be checked against what is known.
 *
 * Starts: nginx in front of one backend, and clients at known addresses (two in one /24, one in
 * another), on one Docker network.
 *
 * Does: runs the sheet's curl commands (GET, -O, -X POST) from a client; sends numbered requests
 * from each client in a known order; copies nginx's access log; runs the sheet's commands on it
 * (and on small files the lab writes), with the sheet's IP and file names replaced by this run's.
 *
 * Observes: each command's exact output, compared with the list of requests the lab sent.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { confirmedIf, type Said } from '../../src/core/verdict.ts';
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
  claims: ['linux.wc.lines', 'linux.wc.words', 'linux.tail.default-ten', 'linux.tail.follow', 'linux.sed.filter-ip', 'linux.sed.in-place-backup', 'linux.sed.strip-quotes', 'linux.awk.first-field', 'linux.awk.sum', 'linux.awk.pattern', 'linux.curl.get', 'linux.curl.download', 'linux.curl.post'],
  requires: ['docker'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'nginx with one backend and three clients on a Docker network (two clients share a /24).',
    does: "Sends known requests, including the sheet's curl commands; runs the sheet's wc, tail, sed and awk commands on nginx's access log and on small files.",
    observes: 'Each command line and its exact output, against the list of requests the lab sent.',
    zh: {
      title: '在真实的 nginx 访问日志上运行学习资料中的 wc、tail、sed、awk 和 curl 命令',
      starts: '同一 Docker 网络上的 nginx、一个后端和三个客户端（其中两个客户端位于同一个 /24）。',
      does: '发送一组已知的请求，其中包括学习资料中的 curl 命令；在 nginx 访问日志和几个小文件上运行学习资料中的 wc、tail、sed 和 awk 命令。',
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
      verdict('linux.curl.post', post.exitCode === 0 && logged.some((l) => requestOf(l) === 'POST /users'), { en: 'nginx logged "POST /users" for curl -X POST.', zh: 'nginx 为 curl -X POST 记录了 "POST /users"。' }, { en: 'No POST reached nginx.', zh: '没有 POST 请求到达 nginx。' }, { loggedPost: logged.filter((l) => requestOf(l) === 'POST /users') }, post),
    ];
  },
});
