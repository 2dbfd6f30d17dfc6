/**
 * Lab: name resolution on a private DNS hierarchy: /etc/hosts, no cache in Linux itself, a
 * recursive resolver walking root → TLD → authoritative, and its cache.
 *
 * Starts: on one LAN of namespaces, three BIND name servers (a root zone, the TLD "lab.", and
 * "example.lab."), an Unbound resolver whose root hints name only this root, and a client whose
 * /etc/hosts and /etc/resolv.conf are its own (iproute2's /etc/netns/<name>/ files); tcpdump on the
 * resolver.
 *
 * Does: asks (getent, i.e. glibc as any program would) for a name listed in the client's hosts file;
 * asks twice in a row for www.example.lab through the resolver; reads Debian's root hints.
 *
 * Observes: every DNS message on the resolver's interface (who asked whom for what), getent's
 * answers, and the root hints file.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { observeCommand } from '../../src/observers/command.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { spawnLabelled } from '../../src/resources/process.ts';

export const IP = { root: '198.18.90.1', tld: '198.18.90.2', auth: '198.18.90.3', resolver: '198.18.90.53', client: '198.18.90.10', www: '198.18.90.80', hostsOnly: '198.18.90.99' } as const;
export const DNS_FIELDS = ['frame.number', 'frame.time_relative', 'ip.src', 'ip.dst', 'dns.flags.response', 'dns.qry.name', 'dns.qry.type', 'dns.a'] as const;
export type DnsRow = Record<(typeof DNS_FIELDS)[number], string>;
const ROLE: Record<string, string> = Object.fromEntries(Object.entries(IP).map(([k, v]) => [v, k]));
const TYPE: Record<string, string> = { '1': 'A', '2': 'NS', '5': 'CNAME', '6': 'SOA', '28': 'AAAA' };

const zone = (origin: string, records: string) => `$TTL 3600
@ IN SOA ns.${origin === '.' ? 'root.' : origin} hostmaster.${origin === '.' ? 'root.' : origin} 1 3600 600 86400 3600
${records}
`;

/** The queries the resolver sent upstream, in order, with the server each went to. */
export function upstreamQueries(rows: DnsRow[]): { to: string; name: string; type: string }[] {
  return rows.filter((r) => r['ip.src'] === IP.resolver && r['dns.flags.response'] !== '1' && r['dns.flags.response'] !== 'True').map((r) => ({ to: ROLE[r['ip.dst']] ?? r['ip.dst'], name: r['dns.qry.name'], type: TYPE[r['dns.qry.type']] ?? r['dns.qry.type'] }));
}

export function judgeIterative(first: DnsRow[]): ClaimResult {
  const queries = upstreamQueries(first);
  if (!queries.length) return notObserved('dns.resolver.iterative', { en: 'The capture holds no query the resolver sent upstream during the first lookup.', zh: '抓包中没有解析器在第一次查找时向上游发出的任何查询。' });
  const servers = queries.map((q) => q.to).filter((to, i, all) => all.indexOf(to) === i);
  const asked = (role: string) => queries.filter((q) => q.to === role).map((q) => `${q.name} ${q.type}`);
  const minimised = queries.some((q) => q.to === 'root' && q.name !== 'www.example.lab') && !queries.some((q) => q.to === 'root' && q.name === 'www.example.lab');
  const observed = { serversInOrder: servers, askedRoot: asked('root'), askedTld: asked('tld'), askedAuthoritative: asked('auth'), qnameMinimisation: minimised };
  const holds = servers.slice(0, 3).join(' → ') === 'root → tld → auth';
  return {
    id: 'dns.resolver.iterative',
    verdict: !holds ? 'refuted' : minimised ? 'nuanced' : 'confirmed',
    summary: !holds
      ? `The resolver asked ${servers.join(' → ')}.`
      : minimised
        ? `The resolver went root → TLD → authoritative, as the sheet says, but did not tell each server the whole name: it asked the root only about ${observed.askedRoot.join(', ')} and the TLD about ${observed.askedTld.join(', ')} (QNAME minimisation, RFC 9156, on by default in Unbound), and only the authoritative server heard "www.example.lab".`
        : 'The resolver asked the root, then the TLD server, then the authoritative server, each for www.example.lab.',
    summaryZh: !holds
      ? `解析器依次询问了 ${servers.join(' → ')}。`
      : minimised
        ? `解析器按学习资料所说的顺序依次询问了根 → TLD → 权威服务器，但并没有把完整的名字告诉每台服务器：它只向根询问了 ${observed.askedRoot.join(', ')}，向 TLD 询问了 ${observed.askedTld.join(', ')}（QNAME 最小化，RFC 9156，Unbound 默认开启），只有权威服务器收到了“www.example.lab”。`
        : '解析器先后询问了根服务器、TLD 服务器和权威服务器，每次查询的都是 www.example.lab。',
    observed,
    evidence: [{ kind: 'path', title: 'Who the resolver asked, in order', hops: [{ address: IP.client, note: 'client asks the resolver' }, ...queries.map((q) => ({ address: q.to, note: `${q.name} ${q.type}` }))] }],
  };
}

/** `clientQueries` counts the client's own queries captured during the repeat: none means the capture missed it. */
export function judgeCache(second: DnsRow[], answer: string, clientQueries: number): ClaimResult {
  if (clientQueries === 0) return notObserved('dns.resolver.cache', { en: "The capture holds none of the repeat lookup's queries from the client, so it cannot show that the resolver asked nobody upstream.", zh: '抓包中没有客户端在重复查找时发出的任何查询，无法说明解析器没有向上游询问。' }, { answer });
  const queries = upstreamQueries(second);
  const observed = { upstreamQueriesOnRepeat: queries.length, answer };
  const holds = queries.length === 0 && answer.startsWith(IP.www);
  return {
    id: 'dns.resolver.cache',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `Asked again, the resolver answered ${IP.www} without sending a single query upstream: from its cache.` : `On the repeat the resolver sent ${queries.length} queries upstream.`,
    summaryZh: holds ? `再次查询时，解析器没有向上游发送任何查询就答复了 ${IP.www}：答案来自它的缓存。` : `重复查询时，解析器向上游发送了 ${queries.length} 个查询。`,
    observed,
    evidence: [],
  };
}

export function judgeHostsFile(rows: DnsRow[], answer: string): ClaimResult {
  if (!rows.length) return notObserved('dns.client.hosts-file', { en: 'The capture on the resolver holds no DNS message at all, so it cannot show that none asked for the name.', zh: '解析器上的抓包中没有任何 DNS 消息，无法说明没有报文查询该名字。' }, { answer });
  const asked = rows.filter((r) => r['dns.qry.name'] === 'hosts-only.example.lab');
  const holds = answer.startsWith(IP.hostsOnly) && asked.length === 0;
  return {
    id: 'dns.client.hosts-file',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `getent answered ${IP.hostsOnly} from the client's /etc/hosts and no DNS query for the name crossed the wire.` : `getent answered "${answer}"; ${asked.length} DNS messages asked for the name.`,
    summaryZh: holds ? `getent 从客户端的 /etc/hosts 得到了 ${IP.hostsOnly}，网络上没有出现查询该名字的 DNS 报文。` : `getent 的答案为“${answer}”；有 ${asked.length} 条 DNS 消息查询了该名字。`,
    observed: { answer, dnsMessagesForTheName: asked.length },
    evidence: [],
  };
}

/** The sheet: "Linux/Mac: no system-level cache (left to applications)". Only the Linux half can be observed here. */
export function judgeNoLinuxCache(firstClientQueries: number, secondClientQueries: number): ClaimResult {
  const id = 'dns.client.linux-no-cache';
  const observed = { clientQueriesFirstLookup: firstClientQueries, clientQueriesSecondLookup: secondClientQueries };
  if (firstClientQueries === 0)
    return { id, verdict: 'unverifiable', summary: "The capture holds none of the first lookup's queries, so there is nothing to compare the second with.", summaryZh: '抓包中没有第一次查找的任何查询，无法与第二次比较。', observed, evidence: [] };
  if (secondClientQueries === 0)
    return { id, verdict: 'refuted', summary: `The first lookup sent ${firstClientQueries} queries and the second none: something on this Linux client answered from a cache.`, summaryZh: `第一次查找发送了 ${firstClientQueries} 个查询，第二次一个也没有：这台 Linux 客户端上有东西从缓存作答。`, observed, evidence: [] };
  return {
    id,
    verdict: 'nuanced',
    summary: `On Linux, two lookups in a row by the client each sent their queries to the resolver again (${firstClientQueries} and ${secondClientQueries}): glibc keeps no cache of its own, as the sheet says. That holds while no caching daemon (nscd, systemd-resolved) is configured; this client's resolv.conf names the resolver directly. The sheet's Mac half cannot be observed on this Linux machine (macOS resolves through mDNSResponder, which does cache).`,
    summaryZh: `在 Linux 上，客户端连续两次查找，每次都重新向解析器发送了查询（分别为 ${firstClientQueries} 个和 ${secondClientQueries} 个）：正如学习资料所说，glibc 自身不做缓存。前提是没有配置缓存守护进程（nscd、systemd-resolved）；这个客户端的 resolv.conf 直接指向解析器。学习资料中关于 Mac 的一半无法在这台 Linux 机器上观察（macOS 通过 mDNSResponder 解析，而它会缓存）。`,
    observed,
    evidence: [],
  };
}

export function judgeRootHints(hints: string): ClaimResult {
  const names = [...new Set([...hints.matchAll(/^\.\s+\d+\s+(?:IN\s+)?NS\s+(\S+)/gim)].map((m) => m[1]!.toLowerCase()))];
  if (!names.length) return notObserved('dns.root.thirteen', { en: 'The root hints file lists no NS record for the root.', zh: '根提示文件中没有任何根区的 NS 记录。' });
  const letters = names.map((n) => n.match(/^([a-m])\.root-servers\.net\.?$/)?.[1]).filter(Boolean);
  const holds = names.length === 13 && letters.join('') === 'abcdefghijklm';
  return {
    id: 'dns.root.thirteen',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? "Debian's root hints list 13 root servers, a.root-servers.net to m.root-servers.net (each an anycast name for many machines, which cannot be counted offline)." : `The root hints list ${names.length} names.`,
    summaryZh: holds ? 'Debian 的根提示文件列出了 13 个根服务器，从 a.root-servers.net 到 m.root-servers.net（每个名字都对应一个由许多台机器提供的任播服务，离线无法统计机器数量）。' : `根提示文件列出了 ${names.length} 个名字。`,
    observed: { names },
    evidence: [{ kind: 'command', title: 'Root servers in /usr/share/dns/root.hints', command: 'grep NS /usr/share/dns/root.hints', output: hints.split('\n').filter((l) => /\sNS\s/.test(l)).join('\n') }],
  };
}

export default defineLab({
  id: 'dns-resolution',
  title: 'DNS on a private hierarchy: /etc/hosts, no OS cache, root → TLD → authoritative, the resolver cache',
  topic: 'dns',
  claims: ['dns.client.hosts-file', 'dns.client.linux-no-cache', 'dns.resolver.iterative', 'dns.resolver.cache', 'dns.root.thirteen'],
  requires: ['root', 'netns', 'tcpdump', 'tshark', 'named', 'unbound'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'BIND serving a root zone, "lab." and "example.lab."; Unbound recursing from that root; a client with its own hosts file and resolv.conf; all on one namespaced LAN.',
    does: 'Looks up a hosts-file name, then www.example.lab twice, with getent; reads the root hints.',
    observes: 'Every DNS message on the resolver (who asked whom), getent answers, the root hints file.',
    zh: {
      title: '私有域名层级上的 DNS：/etc/hosts、操作系统不做缓存、根 → TLD → 权威服务器、解析器缓存',
      starts: 'BIND 提供根区、“lab.” 和 “example.lab.” 三个区；Unbound 从该根开始递归解析；一个带自己的 hosts 文件和 resolv.conf 的客户端；全部位于同一个由网络命名空间搭建的局域网中。',
      does: '用 getent 先查询一个 hosts 文件中的名字，再连续两次查询 www.example.lab；读取根提示（root hints）文件。',
      observes: '解析器上的每一条 DNS 消息（谁在向谁查询）、getent 的结果、根提示文件。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, resolver: {}, root: {}, tld: {}, auth: {} },
      lans: [{ name: 'lan', members: [['client', `${IP.client}/24`], ['resolver', `${IP.resolver}/24`], ['root', `${IP.root}/24`], ['tld', `${IP.tld}/24`], ['auth', `${IP.auth}/24`]] }],
    },
  },
  async run(ctx) {
    const { scope, runId } = ctx;
    const net = ctx.hosts;
    ctx.environment.named = await toolVersion('named', ['-v']);
    ctx.environment.unbound = (await toolVersion('unbound', ['-V'])).replace(/^Version /, 'unbound ');

    const zones: Record<'root' | 'tld' | 'auth', [string, string]> = {
      root: ['.', `@ IN NS ns.root.\nns.root. IN A ${IP.root}\nlab. IN NS ns.lab.\nns.lab. IN A ${IP.tld}`],
      tld: ['lab.', `@ IN NS ns.lab.\nns IN A ${IP.tld}\nexample IN NS ns.example\nns.example IN A ${IP.auth}`],
      auth: ['example.lab.', `@ IN NS ns\nns IN A ${IP.auth}\nwww IN A ${IP.www}`],
    };
    for (const [role, [origin, records]] of Object.entries(zones) as [keyof typeof zones, [string, string]][]) {
      const dir = join(ctx.workDir, role);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'zone'), zone(origin, records));
      writeFileSync(join(dir, 'named.conf'), `options { directory "${dir}"; pid-file "${dir}/named.pid"; listen-on { ${IP[role]}; }; listen-on-v6 { none; }; recursion no; dnssec-validation no; };\nzone "${origin}" { type primary; file "${dir}/zone"; };\n`);
      const named = spawnLabelled(scope, runId, 'named', ['-g', '-u', 'root', '-c', join(dir, 'named.conf')], { netns: net[role]!.netns });
      await named.waitForLine(/running$/, 10_000);
    }
    const unboundConf = join(ctx.workDir, 'unbound.conf');
    writeFileSync(join(ctx.workDir, 'root.hints'), `. 3600 IN NS ns.root.\nns.root. 3600 IN A ${IP.root}\n`);
    writeFileSync(unboundConf, `server:\n  interface: ${IP.resolver}\n  access-control: 198.18.90.0/24 allow\n  root-hints: "${join(ctx.workDir, 'root.hints')}"\n  do-not-query-localhost: no\n  module-config: "iterator"\n  username: ""\n  chroot: ""\n  pidfile: ""\n  use-syslog: no\n  verbosity: 1\n  do-ip6: no\n`);
    const unbound = spawnLabelled(scope, runId, 'unbound', ['-d', '-c', unboundConf], { netns: net.resolver!.netns });
    await unbound.waitForLine(/start of service/, 10_000);

    // iproute2 bind-mounts /etc/netns/<namespace>/* over /etc/* for commands run with `ip netns exec`.
    const etc = join('/etc/netns', net.client!.netns);
    mkdirSync(etc, { recursive: true });
    scope.defer(`files in ${etc}`, () => rmSync(etc, { recursive: true, force: true }));
    writeFileSync(join(etc, 'hosts'), `127.0.0.1 localhost\n${IP.hostsOnly} hosts-only.example.lab\n`);
    writeFileSync(join(etc, 'resolv.conf'), `nameserver ${IP.resolver}\noptions attempts:1 timeout:2\n`);

    const capture = await startCapture(scope, runId, { dir: ctx.workDir, name: 'dns', netns: net.resolver!.netns, iface: 'eth0', filter: 'udp port 53 or tcp port 53' });
    const lookup = (title: string, name: string) => observeCommand(title, 'getent', ['ahostsv4', name], net.client!.netns);
    const marks: number[] = [];
    const mark = async () => marks.push((await readFields(capture.file, 'dns', ['frame.number'])).length);

    ctx.step('a name from /etc/hosts');
    const fromHosts = await lookup('getent: a name only the hosts file knows', 'hosts-only.example.lab');
    // tcpdump writes each packet as it comes; a short pause lets the last ones reach the file
    // before the lab counts them to split the capture between steps.
    await new Promise((r) => setTimeout(r, 200));
    await mark();
    ctx.step('www.example.lab, twice');
    const first = await lookup('getent: first lookup', 'www.example.lab');
    await new Promise((r) => setTimeout(r, 200));
    await mark();
    const second = await lookup('getent: second lookup', 'www.example.lab');
    await capture.stop();
    const rows = (await readFields(capture.file, 'dns', DNS_FIELDS)) as DnsRow[];
    const [afterHosts, afterFirst] = marks as [number, number];
    const firstRows = rows.slice(afterHosts, afterFirst);
    const secondRows = rows.slice(afterFirst);
    const fromClient = (rs: DnsRow[]) => rs.filter((r) => r['ip.src'] === IP.client).length;
    const files = keptFile(ctx, capture.file, 'capture on the resolver (pcap)');
    const table: Evidence = { kind: 'table', title: 'DNS messages on the resolver', columns: ['#', 'from', 'to', 'query', 'type', 'response', 'answer'], rows: rows.map((r) => [r['frame.number'], ROLE[r['ip.src']] ?? r['ip.src'], ROLE[r['ip.dst']] ?? r['ip.dst'], r['dns.qry.name'], r['dns.qry.type'], r['dns.flags.response'], r['dns.a']]) };
    return [
      { ...judgeHostsFile(rows, fromHosts.output), evidence: [fromHosts.evidence, ...files] },
      { ...judgeNoLinuxCache(fromClient(firstRows), fromClient(secondRows)), evidence: [first.evidence, second.evidence, table] },
      withEvidence(judgeIterative(firstRows), table, ...files),
      { ...judgeCache(secondRows, second.output, fromClient(secondRows)), evidence: [second.evidence, table] },
      judgeRootHints(readFileSync('/usr/share/dns/root.hints', 'utf8')),
    ];
  },
});
