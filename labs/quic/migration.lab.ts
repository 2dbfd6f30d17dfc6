/**
 * Lab: connection migration. A QUIC client moves its connection to a new UDP port in the middle of it.
 *
 * Starts: a client and a server namespace 10 ms apart each way; the labs' quic-go peer serving HTTP/3
 * on UDP 443 and logging where each request came from; tcpdump on the client.
 *
 * Does: GET /hello; then the client opens a second UDP socket, probes the path from it
 * (PATH_CHALLENGE), switches the connection to it once validated, and GETs /hello again on the same
 * connection.
 *
 * Observes: every packet, decrypted with the client's TLS secrets: its port, packet type, destination
 * connection ID, key phase and frames; the server's request log.
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, keptFile, keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { decodeQuic, type QuicPacket } from '../../src/observers/quic.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { portOf, quicClient, recordQuicPeer, startQuicServer, type ServedRequest } from '../../src/resources/quic-peer.ts';

const CLIENT = '198.18.90.1';
const SERVER = '198.18.90.2';

export interface MigrationObservation {
  oldPort: number;
  newPort: number;
  validatedAtMs: number;
  afterStatus: number;
  served: ServedRequest[];
  packets: QuicPacket[];
}

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
  const holds = !!challenge && !!response && served.includes(o.newPort) && o.afterStatus === 200;
  return confirmedIf(
    'quic.migration',
    holds,
    {
      en: `The client probed the new path from port ${o.newPort} with PATH_CHALLENGE, the server answered PATH_RESPONSE to that port, and after the switch the same connection's second GET was answered, logged by the server as coming from port ${o.newPort} (the first from ${o.oldPort}). On the new path the client addressed the server by ${freshId ? 'a connection ID it had not used before (one the server issued in NEW_CONNECTION_ID), so that the two paths cannot be linked by an observer' : 'the same connection ID as before'}: the server found the connection by its connection IDs, not by the address and port.`,
      zh: `客户端从新端口 ${o.newPort} 发送 PATH_CHALLENGE 探测新路径，服务器向该端口回复 PATH_RESPONSE；切换之后，同一条连接上的第二个 GET 得到了响应，服务器记录其来源端口为 ${o.newPort}（第一个来自 ${o.oldPort}）。在新路径上，客户端用${freshId ? '一个此前未用过的连接 ID（服务器在 NEW_CONNECTION_ID 中签发的）来寻址服务器，使旁观者无法把两条路径关联起来' : '与之前相同的连接 ID 寻址服务器'}：服务器靠连接 ID 而不是地址和端口找到这条连接。`,
    },
    { en: `The move did not complete as described: ${JSON.stringify(observed)}.`, zh: `迁移没有按所述完成：${JSON.stringify(observed)}。` },
    { ...observed, newPathUsedFreshConnectionId: freshId },
    [pathPicture(o)],
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
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'quic'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 10 ms apart each way; the quic-go peer serving HTTP/3 on UDP 443 and logging where each request came from; tcpdump on the client.',
    does: 'GET /hello; then the client probes a path from a second UDP socket (PATH_CHALLENGE), switches the connection to it, and GETs /hello again on the same connection.',
    observes: "Every packet decrypted with the client's secrets (port, type, destination connection ID, key phase, frames) and the server's request log.",
    zh: {
      title: '连接迁移：QUIC 连接换到新的客户端端口后继续',
      starts: '客户端和服务端两个命名空间，单向各延迟 10 ms；quic-go 在 UDP 443 上提供 HTTP/3 并记录每个请求的来源；客户端上运行 tcpdump。',
      does: 'GET /hello；然后客户端从第二个 UDP 套接字探测路径（PATH_CHALLENGE），把连接切换过去，在同一条连接上再次 GET /hello。',
      observes: '用客户端密钥解密的每个包（端口、类型、目标连接 ID、密钥阶段、帧），以及服务器的请求日志。',
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
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'migration', netns: client!.netns, iface: 'eth0', filter: 'udp' });
    const quic = await startQuicServer(ctx.scope, ctx.runId, server!, { port: 443 });
    const keylog = join(ctx.workDir, 'keys.log');
    ctx.step('a request, a move to a new port, another request');
    const result = await quicClient<{ oldLocalAddr: string; newLocalAddr: string; validatedAtMs: number; after: { status: number } }>(client!, 'migrate', ['-url', `https://${SERVER}/hello`, '-keylog', keylog]);
    await capture.stop();
    const o: MigrationObservation = {
      oldPort: portOf(result.oldLocalAddr),
      newPort: portOf(result.newLocalAddr),
      validatedAtMs: result.validatedAtMs,
      afterStatus: result.after.status,
      served: quic.requests,
      packets: await decodeQuic(capture.file, { keylog }),
    };
    const files = [...keptFile(ctx, capture.file, 'capture (pcap)'), ...keptFile(ctx, keylog, 'TLS key log'), ...keptJson(ctx, 'migration.json', o, 'ports, requests served and decoded packets (JSON)')];
    return [judgeMigration(o), judgeSameKeys(o)].map((c) => withEvidence(c, ...files));
  },
});
