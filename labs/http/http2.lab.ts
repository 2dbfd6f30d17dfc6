/**
 * Lab: HTTP/2 on the wire: binary frames, several requests at once on one connection, header
 * compression, server push.
 *
 * Starts: a client and a server namespace on one veth link (the server's side delayed 20 ms); a
 * node:http2 server (cleartext, prior knowledge) whose /slow/* paths answer after 300 ms and whose
 * /pushed page pushes /style.css; tcpdump on the client.
 *
 * Does: from one node:http2 session, requests /slow/a, /b and /c at once; then /b three times;
 * then /pushed.
 *
 * Observes: every HTTP/2 frame tshark decodes (type, stream, length), the TCP connections opened,
 * when each response ended, and which streams the server pushed.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult } from '../../src/core/types.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';

const CLIENT = '198.18.85.1';
const SERVER = '198.18.85.2';
const PORT = 8080;
export const SLOW_MS = 300;
export const H2_FIELDS = ['frame.number', 'ip.src', 'tcp.stream', 'tcp.flags', 'http2.type', 'http2.streamid', 'http2.length'] as const;
export type H2Row = Record<(typeof H2_FIELDS)[number], string>;
const FRAME_TYPES: Record<string, string> = { '0': 'DATA', '1': 'HEADERS', '2': 'PRIORITY', '3': 'RST_STREAM', '4': 'SETTINGS', '5': 'PUSH_PROMISE', '6': 'PING', '7': 'GOAWAY', '8': 'WINDOW_UPDATE', '9': 'CONTINUATION' };

export interface H2Frame {
  from: 'client' | 'server';
  tcpStream: number;
  type: string;
  stream: number;
  length: number;
}

/** One record per HTTP/2 frame (a packet may carry several; tshark lists their fields in step). */
export function framesOf(rows: H2Row[]): H2Frame[] {
  return rows.flatMap((r) => {
    const types = r['http2.type'].split(',').filter(Boolean);
    const streams = r['http2.streamid'].split(',');
    const lengths = r['http2.length'].split(',');
    return types.map((t, i) => ({ from: r['ip.src'] === CLIENT ? ('client' as const) : ('server' as const), tcpStream: Number(r['tcp.stream']), type: FRAME_TYPES[t] ?? `type ${t}`, stream: Number(streams[i]), length: Number(lengths[i]) }));
  });
}

export interface Exchange {
  results: { path: string; bytes: number; endedMs: number; streamId: number }[];
  pushed: string[];
}

export function judgeFraming(frames: H2Frame[]): ClaimResult {
  if (!frames.length) return notObserved('http.h2.binary-framing', { en: 'The capture holds no HTTP/2 frame of the first connection, so how its messages travelled is unknown.', zh: '抓包中没有第一条连接的任何 HTTP/2 帧，无从得知其消息以何种形式传输。' });
  const types = [...new Set(frames.map((f) => f.type))];
  const holds = ['SETTINGS', 'HEADERS', 'DATA'].every((t) => types.includes(t));
  return {
    id: 'http.h2.binary-framing',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `Every message travelled as binary frames, each with a type, a stream and a length: ${types.join(', ')}.` : `Frame types seen: ${types.join(', ')}.`,
    summaryZh: holds ? `所有消息都以二进制帧传输，每一帧都带有类型、所属流和长度：${types.join(', ')}。` : `观察到的帧类型：${types.join(', ')}。`,
    observed: { frameTypes: types, frames: frames.length },
    evidence: [{ kind: 'table', title: 'The first HTTP/2 frames of the connection', columns: ['from', 'type', 'stream', 'length'], rows: frames.slice(0, 16).map((f) => [f.from, f.type, f.stream, f.length]) }],
  };
}

export function judgeMultiplexing(exchange: Exchange, frames: H2Frame[], connections: number): ClaimResult {
  const by = (p: string) => exchange.results.find((r) => r.path === p)!;
  const unanswered = ['/slow/a', '/b', '/c'].filter((p) => !exchange.results.some((r) => r.path === p));
  if (unanswered.length) return notObserved('http.h2.multiplexing', { en: `The client recorded no response for ${unanswered.join(', ')}, so the order the responses ended in is unknown.`, zh: `客户端没有记录到 ${unanswered.join('、')} 的响应，无从得知各响应结束的先后。` }, { paths: exchange.results.map((r) => r.path) });
  if (!frames.length || !connections) return notObserved('http.h2.multiplexing', { en: `The capture holds no ${frames.length ? 'TCP handshake' : 'HTTP/2 frame'} of the session, so the connections and streams it used are unknown.`, zh: `抓包中没有该会话的${frames.length ? ' TCP 握手' : '任何 HTTP/2 帧'}，无从得知它用了几条连接、哪些流。` });
  const streams = [...new Set(frames.filter((f) => f.type === 'HEADERS' && f.from === 'client').map((f) => f.stream))];
  const fastFirst = by('/b').endedMs < by('/slow/a').endedMs && by('/c').endedMs < by('/slow/a').endedMs;
  const observed = { tcpConnections: connections, requestStreams: streams, endedMs: Object.fromEntries(exchange.results.map((r) => [r.path, r.endedMs])) };
  const holds = connections === 1 && streams.length >= 3 && fastFirst;
  return {
    id: 'http.h2.multiplexing',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Three requests went out at once on one TCP connection as streams ${streams.slice(0, 3).join(', ')}; /b and /c came back after ${by('/b').endedMs} and ${by('/c').endedMs} ms while /slow/a, asked first, took ${by('/slow/a').endedMs} ms: no response waited for another.`
      : `Multiplexing: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `三个请求同时在一条 TCP 连接上发出，分别是流 ${streams.slice(0, 3).join(', ')}；/b 和 /c 分别在 ${by('/b').endedMs} ms 和 ${by('/c').endedMs} ms 后返回，而最先发出的 /slow/a 用了 ${by('/slow/a').endedMs} ms：没有哪个响应需要等待其他响应。`
      : `多路复用：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'bars', title: 'When each response ended (ms), requested at the same moment', bars: exchange.results.map((r) => ({ label: r.path, value: r.endedMs })) }],
  };
}

export function judgeHpack(frames: H2Frame[]): ClaimResult {
  if (!frames.length) return notObserved('http.h2.hpack', { en: 'The capture holds no HTTP/2 frame of the second connection (the same request three times), so the size of its header blocks is unknown.', zh: '抓包中没有第二条连接（同一请求发送三次）的任何 HTTP/2 帧，无从得知其首部块的大小。' });
  const sizes = frames.filter((f) => f.from === 'client' && f.type === 'HEADERS').map((f) => f.length);
  if (sizes.length < 3) return notObserved('http.h2.hpack', { en: `The capture holds ${sizes.length} of the client's three HEADERS frames for the same request, so whether the repeated headers shrank cannot be compared.`, zh: `抓包中只有客户端对同一请求所发三个 HEADERS 帧中的 ${sizes.length} 个，无法比较重复的首部是否变小。` }, { clientHeaderBlockBytes: sizes });
  const holds = sizes.slice(1).every((s) => s < sizes[0]!);
  return {
    id: 'http.h2.hpack',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The client's header blocks shrank once its headers had been sent: ${sizes.join(', ')} bytes for three identical requests. Repeated headers went as references to HPACK's dynamic table, not as text.`
      : `Header block sizes: ${sizes.join(', ')}.`,
    summaryZh: holds
      ? `首部发送过一次之后，客户端的首部块明显变小：三个完全相同的请求分别为 ${sizes.join(', ')} 字节。重复的首部是以 HPACK 动态表的索引引用发送的，而不是文本。`
      : `首部块大小：${sizes.join(', ')}。`,
    observed: { clientHeaderBlockBytes: sizes },
    evidence: [{ kind: 'bars', title: "Size of each request's HEADERS frame (bytes)", bars: sizes.map((s, i) => ({ label: `request ${i + 1}`, value: s })) }],
  };
}

export function judgePush(exchange: Exchange, frames: H2Frame[]): ClaimResult {
  if (!frames.length) return notObserved('http.h2.server-push', { en: 'The capture holds no HTTP/2 frame of the /pushed connection, so whether the server sent a PUSH_PROMISE is unknown.', zh: '抓包中没有 /pushed 那条连接的任何 HTTP/2 帧，无从得知服务器是否发出了 PUSH_PROMISE。' }, { pushed: exchange.pushed });
  const promises = frames.filter((f) => f.type === 'PUSH_PROMISE').length;
  const holds = exchange.pushed.includes('/style.css') && promises > 0;
  return {
    id: 'http.h2.server-push',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `Asked for /pushed, the server sent a PUSH_PROMISE and then /style.css on a stream of its own, which the client had not requested.` : `No push: ${JSON.stringify({ pushed: exchange.pushed, promises })}.`,
    summaryZh: holds ? `请求 /pushed 时，服务器先发出 PUSH_PROMISE，随后在一个单独的流上发送了客户端并未请求的 /style.css。` : `没有发生推送：${JSON.stringify({ pushed: exchange.pushed, promises })}。`,
    observed: { pushed: exchange.pushed, pushPromiseFrames: promises },
    evidence: [],
  };
}

export default defineLab({
  id: 'http-2',
  title: 'HTTP/2 on the wire: binary frames, multiplexed streams, HPACK, server push',
  topic: 'http',
  claims: ['http.h2.binary-framing', 'http.h2.multiplexing', 'http.h2.hpack', 'http.h2.server-push'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 20 ms apart; a node:http2 server (cleartext) with a slow path and a page that pushes a stylesheet.',
    does: 'Requests /slow/a, /b and /c at once on one session; /b three times; /pushed.',
    observes: 'HTTP/2 frames decoded by tshark (type, stream, length), TCP connections, response end times, pushed streams.',
    zh: {
      title: '报文层面的 HTTP/2：二进制帧、多路复用的流、HPACK、服务器推送',
      starts: '客户端和服务端两个命名空间，相距 20 ms；一个 node:http2 服务器（明文），带一个慢路径和一个会推送样式表的页面。',
      does: '在同一个会话上同时请求 /slow/a、/b 和 /c；请求 /b 三次；请求 /pushed。',
      observes: 'tshark 解码出的 HTTP/2 帧（类型、流、长度）、TCP 连接、各响应的结束时间、推送的流。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { b: { delayMs: 20 } } }],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    ctx.environment.tshark = await toolVersion('tshark');
    ctx.environment.impairment = net.server!.impairments.map((i) => i.description).join('; ');
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'h2', netns: net.client!.netns, iface: 'eth0', filter: `tcp port ${PORT}` });
    const [client, server] = await startSocketAgents(ctx.scope, ctx.runId, net.client!, net.server!);
    await server.request('h2-listen', { port: PORT, slowMs: SLOW_MS, bodyBytes: 2000 });
    ctx.step('three requests at once');
    const together = await client.request<Exchange>('h2-get', { host: SERVER, port: PORT, paths: ['/slow/a', '/b', '/c'] });
    ctx.step('the same request three times');
    await client.request<Exchange>('h2-get', { host: SERVER, port: PORT, paths: ['/b', '/b', '/b'] });
    ctx.step('a page with a pushed stylesheet');
    const pushed = await client.request<Exchange>('h2-get', { host: SERVER, port: PORT, paths: ['/pushed'] });
    await capture.stop();
    const rows = (await readFields(capture.file, 'tcp', H2_FIELDS, [], [`tcp.port==${PORT},http2`])) as H2Row[];
    const frames = framesOf(rows);
    const connection = (n: number) => frames.filter((f) => f.tcpStream === n);
    const syns = rows.filter((r) => r['tcp.flags'] === '0x0002');
    const file = keptFile(ctx, capture.file, 'capture (pcap; decode port 8080 as HTTP/2)');
    return [
      judgeFraming(connection(0)),
      judgeMultiplexing(together, connection(0), syns.filter((r) => r['tcp.stream'] === '0').length),
      judgeHpack(connection(1)),
      judgePush(pushed, connection(2)),
    ].map((c) => withEvidence(c, ...file));
  },
});
