/**
 * Lab: is QUIC's congestion control pluggable? The same download from ngtcp2's example server run
 * with each congestion controller it offers, over a lossy, delayed link.
 *
 * Starts: a client and a server namespace 20 ms apart each way, 1% of the server's datagrams dropped
 * at random on arrival; ngtcp2's example server four times, one per controller (--cc=reno, cubic,
 * bbr, bbr2), each on its own port serving the same 1 MB file.
 *
 * Does: downloads the file from each server three times with ngtcp2's example client (whose own controller
 * stays the default: the sender's controller is the one that paces the data).
 *
 * Observes: each download's duration and how many datagrams the link dropped meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { defineLab } from '../../src/core/lab.ts';
import { quantile } from '../../src/core/stats.ts';
import type { ClaimResult } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { measureRoundTrip } from '../../src/observers/ping.ts';
import { impair } from '../../src/resources/impairment.ts';
import { fetchWithNgtcp2, ngtcp2Version, startNgtcp2Server } from '../../src/systems/quic-connections.ts';

const CLIENT = '198.18.92.1';
const SERVER = '198.18.92.2';
const CONTROLLERS = ['reno', 'cubic', 'bbr', 'bbr2'] as const;
const FILE_BYTES = 1_000_000;
const TRIALS = 3;
const LOSS = 0.01;
const portOf = (i: number) => 4441 + i;

export interface Download {
  controller: (typeof CONTROLLERS)[number];
  seconds: number;
  dropped: number;
}


export function judgePluggable(downloads: Download[]): ClaimResult {
  const by = CONTROLLERS.map((c) => ({ controller: c, seconds: quantile(downloads.filter((d) => d.controller === c).map((d) => d.seconds), 0.5) })).filter((c) => c.seconds > 0);
  if (by.length < 2) return notObserved('quic.congestion.pluggable', { en: 'Fewer than two controllers completed a download.', zh: '完成下载的拥塞控制算法不足两种。' });
  const slowest = by.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const fastest = by.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const ratio = Math.round((slowest.seconds / fastest.seconds) * 10) / 10;
  const list = by.map((c) => `${c.controller} ${c.seconds} s`).join(', ');
  const observed = { medianSeconds: Object.fromEntries(by.map((c) => [c.controller, c.seconds])), slowestOverFastest: ratio, lossRate: LOSS, fileBytes: FILE_BYTES };
  const evidence = [{ kind: 'bars' as const, title: `Median time to download 1 MB with 1% loss and a 40 ms round trip, by the server's congestion controller (s)`, bars: by.map((c) => ({ label: c.controller, value: c.seconds })) }];
  const common = {
    en: `ngtcp2 lets each endpoint pick its controller with a local option (--cc=${CONTROLLERS.join('|')}); the choice travels nowhere on the wire (no transport parameter names one: see quic.handshake.transport-parameters), so it is a property of an implementation, not of the protocol.`,
    zh: `ngtcp2 允许每个端点用本地选项选择算法（--cc=${CONTROLLERS.join('|')}）；这个选择不会出现在线上（没有任何传输参数携带它：见 quic.handshake.transport-parameters），所以它是某个实现的特性，而不是协议的特性。`,
  };
  if (ratio >= 1.3) {
    return { id: 'quic.congestion.pluggable', verdict: 'confirmed', summary: `The same download over the same lossy link took ${list}: ${slowest.controller} ${ratio}× as long as ${fastest.controller}. ${common.en}`, summaryZh: `同一链路上的同一次下载耗时：${list}；${slowest.controller} 是 ${fastest.controller} 的 ${ratio} 倍。${common.zh}`, observed, evidence };
  }
  return { id: 'quic.congestion.pluggable', verdict: 'nuanced', summary: `Every controller could be chosen, but on this link they made little difference: ${list} (at most ${ratio}×). ${common.en}`, summaryZh: `每种算法都可以选用，但在这条链路上差别不大：${list}（最多相差 ${ratio} 倍）。${common.zh}`, observed, evidence };
}

export default defineLab({
  id: 'quic-congestion',
  title: "Pluggable congestion control: one download under each of ngtcp2's controllers, over a lossy link",
  topic: 'quic',
  claims: ['quic.congestion.pluggable'],
  requires: ['root', 'netns', 'nfqueue', 'iptables', 'ping', 'ngtcp2'],
  timeLimitMs: 180_000,
  alone: true,
  handout: {
    starts: "A client and a server namespace 20 ms apart each way, 1% of the server's datagrams dropped at random; ngtcp2's example server once per congestion controller (reno, cubic, bbr, bbr2), each serving the same 1 MB file.",
    does: "Downloads the file from each server three times with ngtcp2's example client.",
    observes: "Each download's duration and the datagrams dropped meanwhile.",
    zh: {
      title: '可插拔拥塞控制：在丢包链路上，用 ngtcp2 的每种拥塞控制算法各下载一次',
      starts: '客户端和服务端两个命名空间，单向各延迟 20 ms，服务器发出的数据报随机丢弃 1%；ngtcp2 示例服务器按每种拥塞控制算法（reno、cubic、bbr、bbr2）各启动一个，提供同一个 1 MB 文件。',
      does: '用 ngtcp2 示例客户端从每个服务器各下载三次。',
      observes: '每次下载的耗时，以及期间被丢弃的数据报数。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { a: { delayMs: 20 }, b: { delayMs: 20 } } }],
    },
  },
  async run(ctx) {
    const { client, server } = ctx.hosts;
    ctx.environment.ngtcp2 = await ngtcp2Version();
    const rtt = await measureRoundTrip(client!.netns, SERVER);
    ctx.environment.roundTrip = `${rtt.avgMs} ms (ping, ${rtt.count} probes)`;
    for (const [i, cc] of CONTROLLERS.entries()) await startNgtcp2Server(ctx, server!, { port: portOf(i), files: { file: FILE_BYTES }, args: [`--cc=${cc}`] });
    const loss = await impair(ctx.scope, ctx.runId, client!.netns, 'eth0', { lossIn: { random: LOSS }, match: ['-p', 'udp', '-s', SERVER] });
    ctx.environment.loss = loss.description;
    const downloads: Download[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      for (const [i, controller] of CONTROLLERS.entries()) {
        ctx.step(`${controller}, download ${trial + 1}`);
        const before = await loss.dropped();
        const started = performance.now();
        await fetchWithNgtcp2(client!, new URL(`https://${SERVER}:${portOf(i)}/file`));
        downloads.push({ controller, seconds: Math.round((performance.now() - started) / 10) / 100, dropped: (await loss.dropped()) - before });
      }
    }
    return [withEvidence(judgePluggable(downloads), ...keptJson(ctx, 'downloads.json', downloads, 'every download: controller, seconds, datagrams dropped (JSON)'))];
  },
});
