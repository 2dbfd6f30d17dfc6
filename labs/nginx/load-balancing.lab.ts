/**
 * Lab: every load-balancing method of the sheet on a real nginx, the distribution measured.
 *
 * Starts: on one Docker network of the run, nginx (Debian's, one worker so that the order of choices
 * is one worker's), backends that answer with their name (some after a delay), and client
 * containers at fixed addresses in eight different /24 networks.
 *
 * Does, for each method, a configuration and a workload: sequential requests for round robin and
 * weights; requests from every client for ip_hash, then again with the busiest backend stopped;
 * concurrent requests against fast and slow backends for least_conn, compared with round robin;
 * 200 URLs for `hash $request_uri`, before and after removing a backend, with and without
 * `consistent`; 900 requests for `random`, and `random two least_conn` against a slow backend;
 * `nginx -t` of a least_time configuration.
 *
 * Observes: which backend answered each request, in order, and nginx's own output.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { nginxConf, startNginxStack, type NginxStack } from '../../src/systems/nginx-stack.ts';

export const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const bars = (title: string, xs: string[], order: string[]): Evidence => ({ kind: 'bars', title, bars: order.map((label) => ({ label, value: count(xs)[label] ?? 0 })) });
const B = ['b1', 'b2', 'b3'];

/** The shortest block that the whole sequence repeats. */
export function period(sequence: string[]): string[] {
  for (let n = 1; n <= sequence.length / 2; n++) {
    if (sequence.every((x, i) => x === sequence[i % n])) return sequence.slice(0, n);
  }
  return sequence;
}

export function judgeRoundRobin(sequence: string[]): ClaimResult {
  if (!sequence.length) return notObserved('nginx.lb.round-robin', { en: 'No response under round robin said which backend served it.', zh: '轮询配置下没有任何响应表明是哪个后端提供的服务。' });
  const cycle = period(sequence);
  const counts = count(sequence);
  const observed = { requests: sequence.length, cycle, counts };
  const holds = cycle.length === B.length && new Set(cycle).size === B.length && Object.values(counts).every((c) => c === sequence.length / B.length);
  return {
    id: 'nginx.lb.round-robin',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `${sequence.length} requests went ${cycle.join(' → ')} and round again, ${sequence.length / B.length} each.` : `The order was not a rotation: ${sequence.join(' ')}.`,
    summaryZh: holds ? `${sequence.length} 个请求按 ${cycle.join(' → ')} 的顺序循环分配，每个后端 ${sequence.length / B.length} 个。` : `分配顺序并不是轮转：${sequence.join(' ')}。`,
    observed,
    evidence: [{ kind: 'choices', title: 'Backend chosen for each request, in order', choices: sequence }, bars('Requests per backend', sequence, B)],
  };
}

export function judgeWeighted(sequence: string[], weights: Record<string, number>): ClaimResult {
  const cycle = period(sequence);
  const counts = count(cycle);
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const proportional = cycle.length === total && Object.entries(weights).every(([b, w]) => counts[b] === w);
  const runs = Math.max(...cycle.map((_, i) => cycle.slice(i).findIndex((x) => x !== cycle[i])).map((r) => (r < 0 ? 0 : r)));
  const observed = { weights, requests: sequence.length, cycle, countsPerCycle: counts, longestRunOfOneBackend: runs };
  return {
    id: 'nginx.lb.weighted',
    verdict: proportional ? 'confirmed' : 'refuted',
    summary: proportional
      ? `With weights ${Object.entries(weights).map(([b, w]) => `${b}=${w}`).join(', ')} every ${total} requests went ${cycle.join(' ')}: exactly in proportion, and interleaved (nginx's smooth weighted round robin), not ${Object.entries(weights).map(([b, w]) => `${w}×${b}`).join(' then ')}.`
      : `The shares did not follow the weights: ${JSON.stringify(counts)} per ${cycle.length}.`,
    summaryZh: proportional
      ? `权重为 ${Object.entries(weights).map(([b, w]) => `${b}=${w}`).join(', ')} 时，每 ${total} 个请求的分配顺序都是 ${cycle.join(' ')}：严格按权重比例，而且交错分布（nginx 的平滑加权轮询），而不是依次按 ${Object.entries(weights).map(([b, w]) => `${w}×${b}`).join('、')} 成批发送。`
      : `分配比例没有遵循权重：每 ${cycle.length} 个请求中为 ${JSON.stringify(counts)}。`,
    observed,
    evidence: [{ kind: 'choices', title: `Order with weights ${JSON.stringify(weights)}`, choices: sequence }, bars('Requests per backend', sequence, Object.keys(weights))],
  };
}

export interface IpHashObservation {
  /** Client name → its /24 index, address, and backends seen. */
  clients: { name: string; subnet: number; address: string; backends: string[] }[];
  /** The backend stopped, and what its clients got afterwards. */
  failover: { stopped: string; clients: { name: string; before: string; after: string[] }[] };
}

export function judgeIpHash(o: IpHashObservation): ClaimResult {
  if (!o.clients.length) return notObserved('nginx.lb.ip-hash', { en: 'No client under ip_hash was recorded.', zh: '没有记录到 ip_hash 配置下的任何客户端。' });
  const silent = o.clients.filter((c) => !c.backends.length).map((c) => c.name);
  if (silent.length) return notObserved('nginx.lb.ip-hash', { en: `No response under ip_hash was recorded for client ${silent.join(', ')}.`, zh: `没有记录到客户端 ${silent.join(', ')} 在 ip_hash 配置下收到的任何响应。` }, { clientsWithoutResponses: silent });
  const sticky = o.clients.every((c) => new Set(c.backends).size === 1);
  const bySubnet = new Map<number, Set<string>>();
  for (const c of o.clients) bySubnet.set(c.subnet, new Set([...(bySubnet.get(c.subnet) ?? []), ...c.backends]));
  const subnetShares = [...bySubnet.values()].every((s) => s.size === 1);
  const distinctAcrossSubnets = new Set(o.clients.map((c) => c.backends[0])).size;
  const afterUnrecorded = o.failover.clients.some((c) => !c.after.length);
  const movedAway = !afterUnrecorded && o.failover.clients.every((c) => c.after.every((b) => b !== o.failover.stopped) && new Set(c.after).size === 1);
  const observed = {
    clientsSticky: sticky,
    clientsInOneSlash24ShareABackend: subnetShares,
    backendsUsedAcrossSlash24s: distinctAcrossSubnets,
    assignment: o.clients.map((c) => `${c.address} → ${c.backends[0]}`),
    failover: o.failover,
  };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Client address and the backend that served it (6 requests each)', columns: ['client', 'address', '/24', 'backends seen'], rows: o.clients.map((c) => [c.name, c.address, c.subnet, [...new Set(c.backends)].join(', ')]) },
    { kind: 'table', title: `After stopping ${o.failover.stopped}`, columns: ['client', 'before', 'after'], rows: o.failover.clients.map((c) => [c.name, c.before, [...new Set(c.after)].join(', ')]) },
  ];
  if (!sticky) return { id: 'nginx.lb.ip-hash', verdict: 'refuted', summary: 'A client was served by more than one backend.', summaryZh: '有客户端先后由不止一个后端提供服务。', observed, evidence };
  return {
    id: 'nginx.lb.ip-hash',
    verdict: subnetShares && distinctAcrossSubnets > 1 ? 'nuanced' : 'confirmed',
    summary:
      subnetShares && distinctAcrossSubnets > 1
        ? `Every client kept its backend, but the hash is of the first three octets only: the two clients of each /24 always shared a backend, while ${distinctAcrossSubnets} backends served the eight /24s. When ${o.failover.stopped} stopped, ${afterUnrecorded ? 'no response to some of its clients was recorded' : `its clients moved ${movedAway ? 'together to one other backend and stayed there' : 'elsewhere'}`}.`
        : `Every client kept its backend; clients within one /24 ${subnetShares ? 'shared' : 'did not always share'} one.`,
    summaryZh:
      subnetShares && distinctAcrossSubnets > 1
        ? `每个客户端始终由同一个后端服务，但哈希只取地址的前三个字节：每个 /24 内的两个客户端总是共用一个后端，八个 /24 网段共由 ${distinctAcrossSubnets} 个后端服务。停掉 ${o.failover.stopped} 后，${afterUnrecorded ? '没有记录到其中一些客户端收到的响应' : `它的客户端${movedAway ? '一起转到了另一个后端，并一直留在那里' : '转到了别的后端'}`}。`
        : `每个客户端始终由同一个后端服务；同一 /24 内的客户端${subnetShares ? '共用' : '并不总是共用'}同一个后端。`,
    observed,
    evidence,
  };
}

export function judgeLeastConn(leastConn: string[], roundRobin: string[], fast: string): ClaimResult {
  if (!leastConn.length || !roundRobin.length) {
    const [en, zh] = !leastConn.length ? ['least_conn', 'least_conn'] : ['round robin (the comparison)', '轮询（用于对比）'];
    return notObserved('nginx.lb.least-conn', { en: `No response under ${en} said which backend served it.`, zh: `${zh}配置下没有任何响应表明是哪个后端提供的服务。` });
  }
  const share = (xs: string[]) => +((count(xs)[fast] ?? 0) / xs.length).toFixed(2);
  const observed = { fastBackend: fast, fastShareLeastConn: share(leastConn), fastShareRoundRobin: share(roundRobin), leastConn: count(leastConn), roundRobin: count(roundRobin) };
  const holds = observed.fastShareLeastConn > observed.fastShareRoundRobin + 0.2;
  return {
    id: 'nginx.lb.least-conn',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `With requests held open by two slow backends, least_conn sent ${Math.round(observed.fastShareLeastConn * 100)}% to the fast one (whose connections finish at once), where round robin sent ${Math.round(observed.fastShareRoundRobin * 100)}%.`
      : `least_conn did not favour the backend with fewer active connections: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `两个慢后端一直占着请求不放时，least_conn 把 ${Math.round(observed.fastShareLeastConn * 100)}% 的请求发给了快后端（它的连接会立即结束），而轮询只发给它 ${Math.round(observed.fastShareRoundRobin * 100)}%。`
      : `least_conn 并没有偏向活动连接更少的后端：${JSON.stringify(observed)}。`,
    observed,
    evidence: [bars('least_conn: requests per backend (b1 fast, b2 and b3 slow)', leastConn, B), bars('round robin, same load', roundRobin, B)],
  };
}

export function judgeWeightedLeastConn(sequence: string[], weights: Record<string, number>): ClaimResult {
  if (!sequence.length) return notObserved('nginx.lb.weighted-least-conn', { en: 'No response under weighted least_conn said which backend served it.', zh: '加权 least_conn 配置下没有任何响应表明是哪个后端提供的服务。' }, { weights });
  const counts = count(sequence);
  const [heavy, light] = Object.keys(weights) as [string, string];
  const ratio = +((counts[heavy] ?? 0) / Math.max(1, counts[light] ?? 0)).toFixed(2);
  const expected = weights[heavy]! / weights[light]!;
  const observed = { weights, counts, ratio, expectedRatio: expected };
  const evidence: Evidence[] = [bars(`least_conn with weights ${JSON.stringify(weights)}`, sequence, Object.keys(weights))];
  const split = `${counts[heavy] ?? 0}:${counts[light] ?? 0}`;
  // Within 35% of the weights' ratio they held; within 35% of an even split they did nothing; between, they shaped it only in part.
  if (Math.abs(ratio - expected) / expected < 0.35)
    return { id: 'nginx.lb.weighted-least-conn', verdict: 'confirmed', summary: `Two equally slow backends weighted ${weights[heavy]}:${weights[light]} under least_conn got ${split} requests (ratio ${ratio}): nginx compares active connections divided by weight.`, summaryZh: `在 least_conn 下，两个同样慢、权重为 ${weights[heavy]}:${weights[light]} 的后端分别收到 ${split} 个请求（比例 ${ratio}）：nginx 比较的是活动连接数除以权重。`, observed, evidence };
  if (ratio < 1.35)
    return { id: 'nginx.lb.weighted-least-conn', verdict: 'refuted', summary: `The weights did not shape least_conn: backends weighted ${weights[heavy]}:${weights[light]} got ${split} requests (ratio ${ratio}).`, summaryZh: `权重没有影响 least_conn 的分配：权重为 ${weights[heavy]}:${weights[light]} 的后端分别收到 ${split} 个请求（比例 ${ratio}）。`, observed, evidence };
  return { id: 'nginx.lb.weighted-least-conn', verdict: 'nuanced', summary: `The weights shaped least_conn, but not in their proportion: backends weighted ${weights[heavy]}:${weights[light]} got ${split} requests (ratio ${ratio}, not ${expected}); how far the connections each held overlapped decides how closely the split follows the weights.`, summaryZh: `权重影响了 least_conn 的分配，但没有按权重比例：权重为 ${weights[heavy]}:${weights[light]} 的后端分别收到 ${split} 个请求（比例 ${ratio}，而不是 ${expected}）；各自占用的连接重叠多少，决定了分配与权重的接近程度。`, observed, evidence };
}

/** `test`: `nginx -t` of an upstream with `least_time header`; the lab measures no distribution under it. */
export function judgeLeastTime(test: { ok: boolean; output: string }, version: string): ClaimResult {
  const observed = { nginx: version, accepted: test.ok, nginxT: test.output.split('\n')[0], distributionMeasured: false };
  return {
    id: 'nginx.lb.least-time',
    verdict: test.ok ? 'nuanced' : 'unverifiable',
    summary: test.ok
      ? `${version} accepted an upstream with least_time header (nginx -t: "${observed.nginxT}"). Only the directive's acceptance was observed: which backend the requests then went to, and whether it was the one with the lowest average response time, was not measured.`
      : `least_time exists only in the commercial NGINX Plus; ${version} rejects it ("${observed.nginxT}"), so the claim cannot be observed here.`,
    summaryZh: test.ok
      ? `${version} 接受了带 least_time header 的 upstream（nginx -t："${observed.nginxT}"）。观察到的只是这个指令被接受：请求随后被分配到了哪个后端、是否是平均响应时间最短的那个，都没有测量。`
      : `least_time 只存在于商业版 NGINX Plus 中；${version} 不接受它（"${observed.nginxT}"），因此这一说法无法在这里观察验证。`,
    observed,
    evidence: [{ kind: 'command', title: 'nginx -t of an upstream with least_time header', command: 'nginx -t', output: test.output }],
  };
}

export interface UrlHashObservation {
  first: string[];
  repeat: string[];
  afterRemoval: { plain: string[]; consistent: string[] };
  consistentBefore: string[];
  removed: string;
}

export function judgeUrlHash(o: UrlHashObservation): ClaimResult {
  const same = o.first.every((b, i) => b === o.repeat[i]);
  const moved = (before: string[], after: string[]) => before.filter((b, i) => b !== after[i]).length;
  const ownedByRemoved = (before: string[]) => before.filter((b) => b === o.removed).length;
  const observed = {
    keys: o.first.length,
    sameBackendOnRepeat: same,
    plainMoved: moved(o.first, o.afterRemoval.plain),
    plainOwnedByRemoved: ownedByRemoved(o.first),
    consistentMoved: moved(o.consistentBefore, o.afterRemoval.consistent),
    consistentOwnedByRemoved: ownedByRemoved(o.consistentBefore),
  };
  const pct = (n: number) => `${Math.round((100 * n) / o.first.length)}%`;
  return {
    id: 'nginx.lb.url-hash',
    verdict: same ? 'confirmed' : 'refuted',
    summary: same
      ? `All ${o.first.length} URLs went to the same backend the second time. Removing ${o.removed} moved ${pct(observed.plainMoved)} of the URLs with plain \`hash\`, though only ${pct(observed.plainOwnedByRemoved)} had been on it; with \`hash … consistent\` it moved ${pct(observed.consistentMoved)} (${pct(observed.consistentOwnedByRemoved)} had been on it).`
      : 'Some URLs changed backend between two identical passes.',
    summaryZh: same
      ? `全部 ${o.first.length} 个 URL 第二次请求时都落到了同一个后端。移除 ${o.removed} 后，普通 \`hash\` 下有 ${pct(observed.plainMoved)} 的 URL 换了后端，而原本只有 ${pct(observed.plainOwnedByRemoved)} 在它上面；使用 \`hash … consistent\` 时换了后端的是 ${pct(observed.consistentMoved)}（原本有 ${pct(observed.consistentOwnedByRemoved)} 在它上面）。`
      : '两轮完全相同的请求之间，有些 URL 换了后端。',
    observed,
    evidence: [
      bars('URLs per backend, hash $request_uri', o.first, [...B, 'b4']),
      { kind: 'bars', title: `URLs that changed backend when ${o.removed} was removed`, bars: [{ label: 'hash', value: observed.plainMoved }, { label: 'hash consistent', value: observed.consistentMoved }, { label: `were on ${o.removed}`, value: observed.plainOwnedByRemoved }] },
    ],
  };
}

/** Pearson's chi-square statistic of counts against a uniform expectation. */
export function chiSquare(counts: number[]): number {
  const expected = counts.reduce((a, b) => a + b, 0) / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** 0.001 critical values of chi-square by degrees of freedom (1 to 4). */
const CHI2_P001 = [NaN, 10.83, 13.82, 16.27, 18.47];

/**
 * Pearson's test of independence of each choice from the one before it (the transition counts of
 * consecutive requests, Anderson and Goodman's test of a Markov chain of order 0 against order 1):
 * a rotation b1 b2 b3 b1 … has perfectly even counts but every choice is fixed by the previous one.
 */
export function serialIndependence(sequence: string[]): { transitions: Record<string, number>; chiSquare: number; degreesOfFreedom: number } {
  const pairs = sequence.slice(1).map((b, i) => [sequence[i]!, b] as const);
  const labels = [...new Set(sequence)].sort();
  const transitions = Object.fromEntries(labels.flatMap((a) => labels.map((b) => [`${a}→${b}`, pairs.filter(([x, y]) => x === a && y === b).length])));
  const from = Object.fromEntries(labels.map((a) => [a, pairs.filter(([x]) => x === a).length]));
  const to = Object.fromEntries(labels.map((b) => [b, pairs.filter(([, y]) => y === b).length]));
  const rows = labels.filter((a) => from[a]! > 0);
  const cols = labels.filter((b) => to[b]! > 0);
  let chi2 = 0;
  for (const a of rows) for (const b of cols) {
    const expected = (from[a]! * to[b]!) / pairs.length;
    chi2 += (transitions[`${a}→${b}`]! - expected) ** 2 / expected;
  }
  return { transitions, chiSquare: +chi2.toFixed(2), degreesOfFreedom: Math.max(0, rows.length - 1) * Math.max(0, cols.length - 1) };
}

/** `two`: the same backends under `random two least_conn`, one of them slow; not part of the claim, reported beside it. */
export function judgeRandom(random: string[], two: string[], slow: string): ClaimResult {
  if (!random.length) return notObserved('nginx.lb.random', { en: 'No response under random said which backend served it.', zh: 'random 配置下没有任何响应表明是哪个后端提供的服务。' });
  const counts = B.map((b) => count(random)[b] ?? 0);
  const chi2 = +chiSquare(counts).toFixed(2);
  // 13.8 is the 0.001 critical value of chi-square with 2 degrees of freedom.
  const uniform = chi2 < 13.8;
  const serial = serialIndependence(random);
  const independent = serial.degreesOfFreedom > 0 && serial.chiSquare < CHI2_P001[Math.min(serial.degreesOfFreedom, 4)]!;
  const slowShareTwo = two.length ? +((count(two)[slow] ?? 0) / two.length).toFixed(2) : null;
  const observed = { requests: random.length, counts: count(random), chiSquare: chi2, uniformAtP001: uniform, transitions: serial.transitions, serialChiSquare: serial.chiSquare, serialDegreesOfFreedom: serial.degreesOfFreedom, independentOfPreviousAtP001: independent, twoLeastConn: count(two), slowShareWithTwo: slowShareTwo };
  const holds = uniform && independent;
  const twoEn = slowShareTwo === null ? '' : ` (Not part of the claim: under \`random two least_conn\`, with ${slow} slow, ${slow} got ${Math.round(slowShareTwo * 100)}% of ${two.length} concurrent requests.)`;
  const twoZh = slowShareTwo === null ? '' : `（不属于这一说法：在 \`random two least_conn\` 下，${slow} 较慢，它分到了 ${two.length} 个并发请求中的 ${Math.round(slowShareTwo * 100)}%。）`;
  return {
    id: 'nginx.lb.random',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `${random.length} requests spread ${counts.join('/')} over three backends (chi-square ${chi2}, consistent with uniform), and each choice was independent of the one before it (chi-square ${serial.chiSquare} on the ${random.length - 1} consecutive pairs, ${serial.degreesOfFreedom} degrees of freedom).${twoEn}`
      : !uniform
        ? `The spread ${counts.join('/')} is not uniform (chi-square ${chi2}).`
        : `The spread ${counts.join('/')} is even (chi-square ${chi2}), but each choice depended on the one before it (chi-square ${serial.chiSquare} on consecutive pairs, ${serial.degreesOfFreedom} degrees of freedom; transitions ${JSON.stringify(serial.transitions)}): not a random pick.`,
    summaryZh: holds
      ? `${random.length} 个请求在三个后端上的分布为 ${counts.join('/')}（卡方值 ${chi2}，符合均匀分布），而且每次选择都与前一次无关（对 ${random.length - 1} 对相邻请求做独立性检验，卡方值 ${serial.chiSquare}，自由度 ${serial.degreesOfFreedom}）。${twoZh}`
      : !uniform
        ? `分布 ${counts.join('/')} 不均匀（卡方值 ${chi2}）。`
        : `分布 ${counts.join('/')} 是均匀的（卡方值 ${chi2}），但每次选择都取决于前一次（相邻请求的独立性检验卡方值 ${serial.chiSquare}，自由度 ${serial.degreesOfFreedom}；转移计数 ${JSON.stringify(serial.transitions)}）：这不是随机选择。`,
    observed,
    evidence: [bars('random: requests per backend', random, B), { kind: 'table', title: 'random: consecutive requests, previous backend → next backend', columns: ['transition', 'count'], rows: Object.entries(serial.transitions) }, ...(two.length ? [bars(`random two least_conn, ${slow} slow (not part of the claim)`, two, B)] : [])],
  };
}

async function ipHash(stack: NginxStack, use: (upstream: string) => Promise<void>, addresses: Record<string, string>): Promise<IpHashObservation> {
  await use('ip_hash;\n' + B.map((b) => `server ${addresses[b]}:8000;`).join('\n'));
  const names = Object.keys(stack.clients);
  const clients = await Promise.all(
    names.map(async (name) => ({ name, subnet: Number(name.replace('c', '').split('x')[0]), address: stack.clients[name]!.address, backends: await stack.get(name, '/', 6) })),
  );
  const tally = count(clients.map((c) => c.backends[0]!));
  const stopped = Object.entries(tally).sort((a, b) => b[1] - a[1])[0]![0];
  await stack.setBackend(stopped, false);
  const affected = clients.filter((c) => c.backends[0] === stopped);
  const after = [];
  for (const c of affected) after.push({ name: c.name, before: stopped, after: await stack.get(c.name, '/', 6) });
  await stack.setBackend(stopped, true);
  return { clients, failover: { stopped, clients: after } };
}

export default defineLab({
  id: 'nginx-load-balancing',
  title: 'nginx load balancing, method by method: the order and the distribution measured',
  topic: 'nginx',
  claims: ['nginx.lb.round-robin', 'nginx.lb.weighted', 'nginx.lb.ip-hash', 'nginx.lb.least-conn', 'nginx.lb.weighted-least-conn', 'nginx.lb.least-time', 'nginx.lb.url-hash', 'nginx.lb.random'],
  requires: ['docker'],
  timeLimitMs: 240_000,
  handout: {
    starts: 'nginx (one worker), backends b1-b4 that answer with their name (b2/b3 slow where needed), clients in eight /24 networks, on one Docker network.',
    does: 'Configures each method in turn and sends the workload that tells it apart, reloading nginx between them.',
    observes: 'Which backend answered each request, in order; nginx -t output.',
    zh: {
      title: '逐一测试 nginx 负载均衡方法：实测请求顺序与分布',
      starts: '同一 Docker 网络上的 nginx（单个 worker）、会返回自己名字的后端 b1-b4（需要时让 b2/b3 变慢），以及分布在八个 /24 网段中的客户端。',
      does: '依次配置每种方法，发送能将其与其他方法区分开的请求负载，两次切换之间 reload nginx。',
      observes: '按顺序记录每个请求由哪个后端响应；nginx -t 的输出。',
    },
  },
  async run(ctx) {
    ctx.step('starting nginx, backends and clients');
    const clients = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`c${Math.floor(i / 2)}x${i % 2}`, Math.floor(i / 2)]));
    const server = (addresses: Record<string, string>, names: string[], suffix = () => '') => names.map((b) => `server ${addresses[b]}:8000${suffix()};`).join('\n');
    let addresses: Record<string, string> = {};
    const stack = await startNginxStack(ctx.scope, ctx.runId, {
      backends: [{ name: 'b1' }, { name: 'b2' }, { name: 'b3' }, { name: 'b4' }, { name: 'slow1', delayMs: 400 }, { name: 'slow2', delayMs: 400 }, { name: 'hold1', delayMs: 300 }, { name: 'hold2', delayMs: 300 }],
      clients,
      conf: (a) => ((addresses = a), nginxConf(server(a, B))),
    });
    ctx.environment.nginx = stack.version;
    const upstreams: Record<string, string[]> = {};
    const use = async (claim: string, upstream: string) => {
      (upstreams[claim] ??= []).push(upstream);
      await stack.configure(nginxConf(upstream));
    };
    upstreams['nginx.lb.round-robin'] = [server(addresses, B)];
    ctx.environment['nginx worker_processes'] = '1';
    const asNames = (xs: string[], map: Record<string, string>) => xs.map((x) => map[x] ?? x);

    ctx.step('round robin');
    const rr = await stack.get('c0x0', '/', 30);

    ctx.step('weighted round robin');
    const weights = { b1: 5, b2: 1, b3: 1 };
    await use('nginx.lb.weighted', B.map((b) => `server ${addresses[b]}:8000 weight=${weights[b as keyof typeof weights]};`).join('\n'));
    const weighted = await stack.get('c0x0', '/', 28);

    ctx.step('ip_hash');
    const hashed = await ipHash(stack, (upstream) => use('nginx.lb.ip-hash', upstream), addresses);

    ctx.step('least_conn against round robin, one fast and two slow backends');
    // Slow backends are named b2/b3 in the report: they stand where b2 and b3 stood.
    const slowAsB = { slow1: 'b2', slow2: 'b3' };
    const mixed = `server ${addresses.b1}:8000;\nserver ${addresses.slow1}:8000;\nserver ${addresses.slow2}:8000;`;
    await use('nginx.lb.least-conn', mixed);
    const rrUnderLoad = asNames(await stack.getParallel('c1x0', '/', 60, 12), slowAsB);
    await use('nginx.lb.least-conn', `least_conn;\n${mixed}`);
    const leastConn = asNames(await stack.getParallel('c1x0', '/', 60, 12), slowAsB);

    ctx.step('weighted least_conn');
    const lcWeights = { hold1: 3, hold2: 1 };
    await use('nginx.lb.weighted-least-conn', `least_conn;\nserver ${addresses.hold1}:8000 weight=3;\nserver ${addresses.hold2}:8000 weight=1;`);
    const weightedLeastConn = await stack.getParallel('c1x0', '/', 80, 16);

    ctx.step('least_time');
    upstreams['nginx.lb.least-time'] = [`least_time header;\n${server(addresses, B)}`];
    const leastTime = await stack.test(nginxConf(upstreams['nginx.lb.least-time'][0]!));

    ctx.step('hash $request_uri, plain and consistent, before and after removing b4');
    const four = ['b1', 'b2', 'b3', 'b4'];
    const urls = async () => stack.get('c2x0', '/key', 200);
    await use('nginx.lb.url-hash', `hash $request_uri;\n${server(addresses, four)}`);
    const first = await urls();
    const repeat = await urls();
    await use('nginx.lb.url-hash', `hash $request_uri;\n${server(addresses, B)}`);
    const plainAfter = await urls();
    await use('nginx.lb.url-hash', `hash $request_uri consistent;\n${server(addresses, four)}`);
    const consistentBefore = await urls();
    await use('nginx.lb.url-hash', `hash $request_uri consistent;\n${server(addresses, B)}`);
    const consistentAfter = await urls();

    ctx.step('random, and random two least_conn');
    await use('nginx.lb.random', `random;\n${server(addresses, B)}`);
    const random = await stack.get('c3x0', '/', 900);
    await use('nginx.lb.random', `random two least_conn;\nserver ${addresses.b1}:8000;\nserver ${addresses.b2}:8000;\nserver ${addresses.slow1}:8000;`);
    const two = asNames(await stack.getParallel('c3x0', '/', 60, 12), { slow1: 'b3' });

    const configuration = (claim: string): Evidence => ({
      kind: 'command',
      title: 'The upstream blocks used, in order (the rest of nginx.conf is nginxConf() in src/systems/nginx-stack.ts)',
      command: `upstream app { … }`,
      output: (upstreams[claim] ?? []).join('\n---\n'),
    });
    const urlHash = { first, repeat, afterRemoval: { plain: plainAfter, consistent: consistentAfter }, consistentBefore, removed: 'b4' };
    const sequences = { rr, weighted, weights, hashed, leastConn, rrUnderLoad, weightedLeastConn, lcWeights, leastTime, urlHash, random, two };
    const kept = keptJson(ctx, 'sequences.json', sequences, 'which backend answered each request, per method (JSON)');
    return [
      withEvidence(judgeRoundRobin(rr), ...kept),
      judgeWeighted(weighted, weights),
      judgeIpHash(hashed),
      judgeLeastConn(leastConn, rrUnderLoad, 'b1'),
      judgeWeightedLeastConn(weightedLeastConn, lcWeights),
      judgeLeastTime(leastTime, stack.version),
      judgeUrlHash(urlHash),
      judgeRandom(random, two, 'b3'),
    ].map((c) => withEvidence(c, configuration(c.id)));
  },
});
