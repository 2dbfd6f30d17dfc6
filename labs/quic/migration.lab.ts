/**
 * Lab: connection migration. A QUIC client moves its connection to a new UDP port in the middle of it.
 *
 * Starts: a client and a server namespace 10 ms apart each way (the round trip is measured with
 * ping); the labs' quic-go peer serving HTTP/3 on UDP 443 and logging where each request came from;
 * tcpdump on the client.
 *
 * Does: GET /hello; then the client opens a second UDP socket, probes the path from it
 * (PATH_CHALLENGE), switches the connection to it once validated, and GETs /hello again on the same
 * connection. Then, on a new connection and with the capture stopped, a long download (GET
 * /bytes/2000000000, read for 2 s) during which, 800 ms in, the client moves the connection to a
 * new port the same way.
 *
 * Observes: every packet of the first connection, decrypted with the client's TLS secrets: its port,
 * packet type, destination connection ID, key phase and frames; the server's request log; every read
 * of the download (time and bytes so far) and when the move was probed, validated and switched.
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, keptFile, keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { measureRoundTrip } from '../../src/observers/ping.ts';
import { decodeQuic, type QuicPacket } from '../../src/observers/quic.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { portOf, quicClient, recordQuicPeer, startQuicServer, type ServedRequest } from '../../src/resources/quic-peer.ts';

const CLIENT = '198.18.90.1';
const SERVER = '198.18.90.2';

/** The download during which the connection moved, as the quic-peer client reported it. */
export interface DownloadMigration {
  path: string;
  status: number;
  oldLocalAddr: string;
  bytes: number;
  readForMs: number;
  switchAfterMs: number;
  /** When (ms after the response headers) the new path was probed, validated and switched to; or why not. */
  move: { newLocalAddr?: string; probeStartedAtMs?: number; validatedAtMs?: number; switchedAtMs?: number; error?: string };
  /** [ms after the response headers, bytes read so far]: one a millisecond, and both ends of every longer pause. */
  reads: [number, number][];
  readError: string;
}

export interface MigrationObservation {
  oldPort: number;
  newPort: number;
  validatedAtMs: number;
  afterStatus: number;
  served: ServedRequest[];
  packets: QuicPacket[];
  /** The round trip measured with ping. */
  rttMs: number;
  duringDownload: DownloadMigration;
}

/** How long into the download the move starts, how long the download is read, and what it fetches. */
const SWITCH_AFTER_MS = 800;
const READ_FOR_MS = 2000;
const BULK_PATH = '/bytes/2000000000';
/** "Seamless": no pause longer than both twice the longest before the move and one round trip, and at least this share of the throughput before it. */
export const SEAMLESS_SHARE = 0.8;

const clientPort = (p: QuicPacket) => (p.srcPort === 443 ? p.dstPort : p.srcPort);
const has = (p: QuicPacket, frame: string) => p.frames.some((f) => f.type === frame);

function pathPicture(o: MigrationObservation): Evidence {
  const firstOnNew = o.packets.findIndex((p) => clientPort(p) === o.newPort);
  const shown = o.packets.slice(Math.max(0, firstOnNew - 3), firstOnNew + 9);
  return {
    kind: 'messages',
    title: `Around the move from client port ${o.oldPort} to ${o.newPort}: port, packet type, destination connection ID, frames`,
    parties: ['client', 'server'],
    messages: shown.map((p) => ({
      atMs: p.timeMs,
      from: p.srcPort === 443 ? 1 : 0,
      label: `:${clientPort(p)} ${p.type} dcid=${p.dcid.slice(0, 11)} ${[...new Set(p.frames.map((f) => f.type))].filter((f) => f !== 'PADDING').join(' ')}`,
      detail: `datagram ${p.datagram}, key phase ${p.bits['key_phase'] ?? '-'}, ${p.decrypted ? 'decrypted with the handshake\'s secrets' : 'not decrypted'}`,
    })),
  };
}

/**
 * The download around the move: the window is ten round trips (at least 100 ms); "before" ends when the
 * probing starts, "after" begins at the switch; the pause after is the longest between the probe and the
 * window's end. Rates are in MB/s.
 */
export function downloadAcrossMove(d: DownloadMigration, rttMs: number) {
  const { probeStartedAtMs: probe, validatedAtMs: validated, switchedAtMs: switched } = d.move;
  if (probe === undefined || switched === undefined) return undefined;
  const windowMs = Math.round(Math.max(10 * rttMs, 100));
  const bytesAt = (t: number) => d.reads.filter(([at]) => at <= t).at(-1)?.[1] ?? 0;
  const rate = (from: number, to: number) => Math.round(((bytesAt(to) - bytesAt(from)) / (to - from) / 1000) * 10) / 10;
  const longestPause = (from: number, to: number) => {
    let longest = 0;
    for (let i = 1; i < d.reads.length; i++) if (d.reads[i]![0] > from && d.reads[i]![0] <= to) longest = Math.max(longest, d.reads[i]![0] - d.reads[i - 1]![0]);
    return Math.round(longest * 10) / 10;
  };
  const lastRead = d.reads.at(-1)?.[0] ?? 0;
  return {
    windowMs,
    probeAtMs: probe,
    validatedAtMs: validated,
    switchedAtMs: switched,
    covered: probe - windowMs >= (d.reads[0]?.[0] ?? Infinity) && switched + windowMs <= lastRead,
    bytesAfterSwitch: bytesAt(lastRead) - bytesAt(switched),
    rateBeforeMBps: rate(probe - windowMs, probe),
    rateAfterMBps: rate(switched, switched + windowMs),
    longestPauseBeforeMs: longestPause(probe - windowMs, probe),
    longestPauseAcrossMs: longestPause(probe, switched + windowMs),
  };
}

/** Megabytes read over time, with the move marked. */
function downloadPicture(d: DownloadMigration): Evidence {
  const step = Math.max(1, Math.ceil(d.reads.length / 400));
  const points = d.reads.filter((_, i) => i % step === 0 || i === d.reads.length - 1).map(([at, bytes]) => [Math.round(at), Math.round(bytes / 1e5) / 10] as [number, number]);
  const markers = [
    ...(d.move.probeStartedAtMs !== undefined ? [{ x: Math.round(d.move.probeStartedAtMs), label: 'PATH_CHALLENGE sent' }] : []),
    ...(d.move.switchedAtMs !== undefined ? [{ x: Math.round(d.move.switchedAtMs), label: 'switched to the new port' }] : []),
  ];
  return { kind: 'series', title: 'The download across the move: megabytes read by the client over time', xLabel: 'ms after the response headers', yLabel: 'MB read', series: [{ name: d.path, points }], markers };
}

export function judgeMigration(o: MigrationObservation): ClaimResult {
  const onNew = o.packets.filter((p) => clientPort(p) === o.newPort);
  const challenge = onNew.find((p) => p.srcPort !== 443 && has(p, 'PATH_CHALLENGE'));
  const response = onNew.find((p) => p.srcPort === 443 && has(p, 'PATH_RESPONSE'));
  const served = o.served.map((r) => portOf(r.remote));
  const observed = { oldPort: o.oldPort, newPort: o.newPort, pathChallenge: !!challenge, pathResponse: !!response, requestPorts: served, statusAfterMove: o.afterStatus };
  if (!onNew.length) return notObserved('quic.migration', { en: 'No packet from the new port was captured.', zh: '没有捕获到来自新端口的包。' }, observed);
  const oldIds = new Set(o.packets.filter((p) => clientPort(p) === o.oldPort && p.srcPort !== 443).map((p) => p.dcid));
  const newIds = [...new Set(onNew.filter((p) => p.srcPort !== 443).map((p) => p.dcid))];
  const freshId = newIds.every((id) => !oldIds.has(id));
  const moved = !!challenge && !!response && served.includes(o.newPort) && o.afterStatus === 200;
  const allObserved = { ...observed, newPathUsedFreshConnectionId: freshId };
  if (!moved) return { id: 'quic.migration', verdict: 'refuted', summary: `The move did not complete as described: ${JSON.stringify(observed)}.`, summaryZh: `迁移没有按所述完成：${JSON.stringify(observed)}。`, observed: allObserved, evidence: [pathPicture(o)] };
  const movedSaid = {
    en: `The client probed the new path from port ${o.newPort} with PATH_CHALLENGE, the server answered PATH_RESPONSE to that port, and after the switch the same connection's second GET was answered, logged by the server as coming from port ${o.newPort} (the first from ${o.oldPort}). On the new path the client addressed the server by ${freshId ? 'a connection ID it had not used before (one the server issued in NEW_CONNECTION_ID), so that the two paths cannot be linked by an observer' : 'the same connection ID as before'}: the server found the connection by its connection IDs, not by the address and port.`,
    zh: `客户端从新端口 ${o.newPort} 发送 PATH_CHALLENGE 探测新路径，服务器向该端口回复 PATH_RESPONSE；切换之后，同一条连接上的第二个 GET 得到了响应，服务器记录其来源端口为 ${o.newPort}（第一个来自 ${o.oldPort}）。在新路径上，客户端用${freshId ? '一个此前未用过的连接 ID（服务器在 NEW_CONNECTION_ID 中签发的）来寻址服务器，使旁观者无法把两条路径关联起来' : '与之前相同的连接 ID 寻址服务器'}：服务器靠连接 ID 而不是地址和端口找到这条连接。`,
  };
  const d = o.duringDownload;
  if (!d) {
    return notObserved('quic.migration', { en: `${movedSaid.en} But that move was made between two requests, with nothing in flight: no move during a transfer was measured, so "seamless" is untested.`, zh: `${movedSaid.zh}但那次迁移发生在两个请求之间，途中没有数据：没有测量传输过程中的迁移，“无缝”未经检验。` }, allObserved);
  }
  const across = downloadAcrossMove(d, o.rttMs);
  const withDownload = { ...allObserved, rttMs: o.rttMs, downloadStatus: d.status, downloadBytes: d.bytes, moveDuringDownload: d.move, readError: d.readError, acrossMove: across };
  const evidence: Evidence[] = [pathPicture(o), downloadPicture(d)];
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.migration', verdict, summary: `${movedSaid.en} ${en}`, summaryZh: `${movedSaid.zh}${zh}`, observed: withDownload, evidence });
  if (d.status !== 200 || d.move.error || d.readError || !across || across.bytesAfterSwitch <= 0) {
    const why = d.status !== 200
      ? { en: `the download answered ${d.status}`, zh: `下载的响应状态为 ${d.status}` }
      : d.move.error
        ? { en: `the move failed: ${d.move.error}`, zh: `迁移失败：${d.move.error}` }
        : d.readError
          ? { en: `the download broke: ${d.readError}`, zh: `下载中断：${d.readError}` }
          : !across
            ? { en: 'the client reported no switch', zh: '客户端没有报告切换' }
            : { en: 'nothing more was read after the switch', zh: '切换之后再也没有读到数据' };
    return result('refuted', `But on a second connection, moved in the middle of a download (${d.switchAfterMs} ms into it), the transfer did not carry on: ${why.en}.`, `但在第二条连接上，下载进行中（开始后 ${d.switchAfterMs} ms）迁移时，传输没能继续：${why.zh}。`);
  }
  if (!across.covered) {
    return { ...notObserved('quic.migration', { en: `${movedSaid.en} The download moved too, but the reads do not cover ${across.windowMs} ms on each side of the move, so its effect on delivery is not measured.`, zh: `${movedSaid.zh}下载中的连接也完成了迁移，但读取记录没有覆盖迁移前后各 ${across.windowMs} ms，无法测出迁移对交付的影响。` }, withDownload), evidence };
  }
  const share = across.rateBeforeMBps > 0 ? Math.round((across.rateAfterMBps / across.rateBeforeMBps) * 100) / 100 : 0;
  const pauseLimit = Math.max(2 * across.longestPauseBeforeMs, o.rttMs);
  const measured = {
    en: `On a second connection, moved in the middle of a download (probe sent ${Math.round(across.probeAtMs)} ms into it, switched at ${Math.round(across.switchedAtMs)} ms, round trip ${o.rttMs} ms), the connection kept delivering: the longest pause in reading was ${across.longestPauseAcrossMs} ms from the probe to ${across.windowMs} ms after the switch (${across.longestPauseBeforeMs} ms in the ${across.windowMs} ms before), and the download ran at ${across.rateAfterMBps} MB/s over the ${across.windowMs} ms after the switch against ${across.rateBeforeMBps} MB/s before (${Math.round(share * 100)}%).`,
    zh: `在第二条连接上，下载进行中迁移（开始后 ${Math.round(across.probeAtMs)} ms 发出探测，${Math.round(across.switchedAtMs)} ms 切换，往返时间 ${o.rttMs} ms），连接一直在交付数据：从探测到切换后 ${across.windowMs} ms，读取中最长的停顿为 ${across.longestPauseAcrossMs} ms（迁移前 ${across.windowMs} ms 内为 ${across.longestPauseBeforeMs} ms）；切换后 ${across.windowMs} ms 内下载速率为 ${across.rateAfterMBps} MB/s，迁移前为 ${across.rateBeforeMBps} MB/s（${Math.round(share * 100)}%）。`,
  };
  const stalled = across.longestPauseAcrossMs > pauseLimit;
  const slowed = share < SEAMLESS_SHARE;
  if (!stalled && !slowed) {
    return result('confirmed', `${measured.en} That is seamless by this lab's measure: no pause longer than ${pauseLimit} ms (twice the longest before, or one round trip) and at least ${SEAMLESS_SHARE * 100}% of the throughput. The old path was still working while the new one was validated, and only the port changed: no address change (as from Wi-Fi to 4G) was made here.`, `${measured.zh}按本实验的标准这是无缝的：没有超过 ${pauseLimit} ms（迁移前最长停顿的两倍，或一个往返）的停顿，吞吐量保持在 ${SEAMLESS_SHARE * 100}% 以上。新路径验证期间旧路径仍然可用，而且只换了端口：这里没有做地址变更（如从 Wi-Fi 切换到 4G）。`);
  }
  return result(
    'nuanced',
    `${measured.en} So not seamless: ${[stalled ? `reading paused for ${across.longestPauseAcrossMs} ms, longer than ${pauseLimit} ms (twice the longest pause before, or one round trip)` : '', slowed ? `throughput fell to ${Math.round(share * 100)}% of what it was` : ''].filter(Boolean).join(', and ')}, although the old path still worked while the new one was validated and only the port changed: the connection survives the move, the transfer feels it.`,
    `${measured.zh}所以并非无缝：${[stalled ? `读取停顿了 ${across.longestPauseAcrossMs} ms，超过 ${pauseLimit} ms（迁移前最长停顿的两倍，或一个往返）` : '', slowed ? `吞吐量降到迁移前的 ${Math.round(share * 100)}%` : ''].filter(Boolean).join('，并且')}，尽管新路径验证期间旧路径仍然可用，而且只换了端口：连接挺过了迁移，传输却受到了影响。`,
  );
}

export function judgeSameKeys(o: MigrationObservation): ClaimResult {
  const firstOnNew = o.packets.find((p) => clientPort(p) === o.newPort);
  if (!firstOnNew) return notObserved('quic.migration.same-keys', { en: 'No packet from the new port was captured.', zh: '没有捕获到来自新端口的包。' });
  const after = o.packets.filter((p) => p.timeMs >= firstOnNew.timeMs);
  const handshakeAfter = after.filter((p) => p.type !== '1-RTT');
  const decrypted = after.filter((p) => p.decrypted).length;
  const phases = [...new Set(o.packets.filter((p) => p.form === 'short').map((p) => p.bits['key_phase']))];
  const observed = { packetsAfterMove: after.length, decryptedWithOriginalSecrets: decrypted, longHeaderPacketsAfterMove: handshakeAfter.length, keyPhases: phases };
  return confirmedIf(
    'quic.migration.same-keys',
    handshakeAfter.length === 0 && decrypted === after.length && after.length > 0,
    {
      en: `After the move there was no Initial or Handshake packet: all ${after.length} packets were 1-RTT, key phase ${phases.join('/')} as before, and tshark decrypted every one of them with the secrets the client logged during the original handshake. The connection kept its keys; only the path was validated.`,
      zh: `迁移之后没有任何 Initial 或 Handshake 包：全部 ${after.length} 个包都是 1-RTT，密钥阶段与之前一样为 ${phases.join('/')}，tshark 用客户端在最初握手时记录的密钥解密了其中每一个。连接保留了原有密钥，只对路径做了验证。`,
    },
    { en: `After the move: ${JSON.stringify(observed)}.`, zh: `迁移之后：${JSON.stringify(observed)}。` },
    observed,
  );
}

export default defineLab({
  id: 'quic-migration',
  title: 'Connection migration: a QUIC connection moves to a new client port and carries on',
  topic: 'quic',
  claims: ['quic.migration', 'quic.migration.same-keys'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 10 ms apart each way (round trip measured with ping); the quic-go peer serving HTTP/3 on UDP 443 and logging where each request came from; tcpdump on the client.',
    does: 'GET /hello; then the client probes a path from a second UDP socket (PATH_CHALLENGE), switches the connection to it, and GETs /hello again on the same connection. Then a 2 s download on a new connection, moved to a new port the same way 800 ms in.',
    observes: "Every packet of the first connection decrypted with the client's secrets (port, type, destination connection ID, key phase, frames), the server's request log, and every read of the download with the times of the move.",
    zh: {
      title: '连接迁移：QUIC 连接换到新的客户端端口后继续',
      starts: '客户端和服务端两个命名空间，单向各延迟 10 ms（用 ping 测量往返时间）；quic-go 在 UDP 443 上提供 HTTP/3 并记录每个请求的来源；客户端上运行 tcpdump。',
      does: 'GET /hello；然后客户端从第二个 UDP 套接字探测路径（PATH_CHALLENGE），把连接切换过去，在同一条连接上再次 GET /hello。随后在一条新连接上下载 2 秒，下载开始 800 ms 后以同样方式迁移到新端口。',
      observes: '用客户端密钥解密的首条连接的每个包（端口、类型、目标连接 ID、密钥阶段、帧）、服务器的请求日志，以及下载的每次读取和迁移各步骤的时间。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { a: { delayMs: 10 }, b: { delayMs: 10 } } }],
    },
  },
  async run(ctx) {
    const { client, server } = ctx.hosts;
    recordQuicPeer(ctx.environment);
    ctx.environment.tshark = await toolVersion('tshark');
    const rtt = await measureRoundTrip(client!.netns, SERVER);
    ctx.environment.roundTrip = `${rtt.avgMs} ms (ping, ${rtt.count} probes)`;
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'migration', netns: client!.netns, iface: 'eth0', filter: 'udp' });
    const quic = await startQuicServer(ctx.scope, ctx.runId, server!, { port: 443 });
    const keylog = join(ctx.workDir, 'keys.log');
    ctx.step('a request, a move to a new port, another request');
    const result = await quicClient<{ oldLocalAddr: string; newLocalAddr: string; validatedAtMs: number; after: { status: number } }>(client!, 'migrate', ['-url', `https://${SERVER}/hello`, '-keylog', keylog]);
    await capture.stop();
    const served = [...quic.requests];
    // The capture is stopped: the download is gigabytes, and its reads are what this step observes.
    ctx.step(`a download, moved to a new port ${SWITCH_AFTER_MS} ms into it`);
    const duringDownload = await quicClient<DownloadMigration>(client!, 'migrate', ['-url', `https://${SERVER}/hello`, '-bulk', BULK_PATH, '-switch-after', `${SWITCH_AFTER_MS}ms`, '-read-for', `${READ_FOR_MS}ms`]);
    const o: MigrationObservation = {
      oldPort: portOf(result.oldLocalAddr),
      newPort: portOf(result.newLocalAddr),
      validatedAtMs: result.validatedAtMs,
      afterStatus: result.after.status,
      served,
      packets: await decodeQuic(capture.file, { keylog }),
      rttMs: rtt.avgMs,
      duringDownload,
    };
    const files = [...keptFile(ctx, capture.file, 'capture (pcap)'), ...keptFile(ctx, keylog, 'TLS key log'), ...keptJson(ctx, 'migration.json', o, 'ports, requests served and decoded packets (JSON)')];
    return [judgeMigration(o), judgeSameKeys(o)].map((c) => withEvidence(c, ...files));
  },
});
