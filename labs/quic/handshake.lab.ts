/**
 * Lab: the QUIC handshake: which packet carries which TLS message under which keys, the packet-number
 * spaces, the token, the transport parameters, and when the first request can leave.
 *
 * Starts: a client and a server namespace 25 ms apart each way (the round trip is measured with
 * ping); on the server, the labs' quic-go peer (HTTP/3 on UDP 443) and ngtcp2's example server (UDP
 * 4433); tcpdump on the client.
 *
 * Does: one HTTP/3 request per implementation on a new connection (quic-go's to a URL naming no
 * port), each client logging its TLS secrets.
 *
 * Observes: every QUIC packet, decoded by tshark twice: with the clients' key logs, and with no
 * secrets at all (what anyone on the path can read).
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { QuicPacketType } from '../../src/observers/quic.ts';
import { IMPLEMENTATIONS, observeQuicConnections, type ConnectionsObservation, type Implementation } from '../../src/systems/quic-connections.ts';

type Packet = ConnectionsObservation['packets'][number];

const CLIENT = '198.18.87.1';
const SERVER = '198.18.87.2';
const SERVER_FLIGHT = ['EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'];
const of = (packets: Packet[], implementation: Implementation, from?: 'client' | 'server') => packets.filter((p) => p.implementation === implementation && (!from || p.from === from));
const present = (packets: Packet[]) => IMPLEMENTATIONS.map((i) => i.name).filter((name) => of(packets, name).some((p) => p.decrypted));
const NO_DECRYPTED = { en: 'No decrypted QUIC packets were captured (the key logs did not open the capture), so nothing shows where the TLS messages travelled.', zh: '没有捕获到可解密的 QUIC 包（密钥日志未能解开捕获），无法看出 TLS 消息在哪里传输。' };

/** Where each TLS handshake message travelled: the type of the packet whose CRYPTO frame completed it. */
export function carriers(packets: Packet[]): { implementation: Implementation; from: 'client' | 'server'; message: string; packet: QuicPacketType; datagram: number }[] {
  return packets.flatMap((p) => p.frames.flatMap((f) => f.tls.map((message) => ({ implementation: p.implementation, from: p.from, message, packet: p.type, datagram: p.datagram }))));
}

const carrierTable = (packets: Packet[]): Evidence => ({
  kind: 'table',
  title: 'Which packet carried each TLS handshake message',
  columns: ['implementation', 'from', 'TLS message', 'packet type', 'datagram'],
  rows: carriers(packets).map((c) => [c.implementation, c.from, c.message, c.packet, c.datagram]),
});

/** The quic-go handshake as a sequence diagram: each packet, its type and number, its frames and the TLS messages they carry. */
export function handshakePicture(packets: Packet[], implementation: Implementation): Evidence {
  const connection = of(packets, implementation).slice(0, 14);
  return {
    kind: 'messages',
    title: `The ${implementation} handshake, packet by packet (type, packet number, frames [TLS messages])`,
    parties: ['client', 'server'],
    messages: connection.map((p) => {
      const frames = [...new Set(p.frames.map((f) => (f.tls.length ? `${f.type}[${f.tls.join(',')}]` : f.type)))].filter((f) => f !== 'PADDING');
      return { atMs: p.timeMs, from: p.from === 'client' ? 0 : 1, label: `${p.type} #${p.packetNumber ?? '?'}: ${frames.join(' ')}`, detail: `datagram ${p.datagram}, ${p.packetBytes} bytes` };
    }),
  };
}

export function judgeTlsInPayload(packets: Packet[]): ClaimResult {
  const c = carriers(packets);
  if (!c.length) return notObserved('quic.header.tls-in-payload', NO_DECRYPTED);
  const where = (message: string) => [...new Set(c.filter((x) => x.message === message).map((x) => x.packet))];
  const observed = Object.fromEntries(['ClientHello', 'ServerHello', 'Certificate', 'Finished'].map((m) => [m, where(m)]));
  const holds = observed['ClientHello']!.every((t) => t === 'Initial') && ['ServerHello', 'Certificate', 'Finished'].every((m) => observed[m]!.length > 0 && observed[m]!.every((t) => t === 'Handshake'));
  const evidence = [handshakePicture(packets, 'quic-go'), carrierTable(packets)];
  return confirmedIf(
    'quic.header.tls-in-payload',
    holds,
    { en: `ClientHello travelled in Initial packets and ServerHello, Certificate and Finished in Handshake packets, in CRYPTO frames (${present(packets).join(', ')}).`, zh: `ClientHello 在 Initial 包中传输，ServerHello、Certificate 和 Finished 在 Handshake 包中传输，均位于 CRYPTO 帧内（${present(packets).join('、')}）。` },
    {
      en: `Every TLS message did travel inside QUIC packets (CRYPTO frames), ClientHello in Initial packets, but ServerHello was not in a Handshake packet: it went in ${observed['ServerHello']!.join(' and ')} packets, protected only by initial keys, since the handshake keys come from it. Certificate and Finished went in ${[...new Set([...observed['Certificate']!, ...observed['Finished']!])].join(', ')} packets (${present(packets).join(' and ')} alike).`,
      zh: `所有 TLS 消息确实都在 QUIC 包内（CRYPTO 帧）传输，ClientHello 在 Initial 包中；但 ServerHello 并不在 Handshake 包里：它在 ${observed['ServerHello']!.join('、')} 包中发出，只受初始密钥保护，因为握手密钥正是由它导出的。Certificate 和 Finished 在 ${[...new Set([...observed['Certificate']!, ...observed['Finished']!])].join('、')} 包中（${present(packets).join('、')} 都是如此）。`,
    },
    observed,
    evidence,
  );
}

export function judgeServerInitialFlight(packets: Packet[]): ClaimResult {
  const c = carriers(packets).filter((x) => x.from === 'server');
  if (!c.some((x) => x.message === 'ServerHello')) return notObserved('quic.handshake.server-initial-flight', NO_DECRYPTED);
  const inInitial = [...new Set(c.filter((x) => x.packet === 'Initial').map((x) => x.message))];
  const elsewhere = c.filter((x) => SERVER_FLIGHT.includes(x.message) && x.packet !== 'Initial');
  const observed = { inServerInitial: inInitial, elsewhere: elsewhere.map((x) => `${x.implementation}: ${x.message} in ${x.packet}`) };
  return confirmedIf(
    'quic.handshake.server-initial-flight',
    elsewhere.length === 0 && SERVER_FLIGHT.every((m) => inInitial.includes(m)),
    { en: `The server's Initial packets carried ${inInitial.join(', ')}.`, zh: `服务端的 Initial 包携带了 ${inInitial.join('、')}。` },
    {
      en: `The server's Initial packets carried only ${inInitial.join(', ')}, under initial keys. ${[...new Set(elsewhere.map((x) => x.message))].join(', ')} went in Handshake packets, encrypted with the handshake keys derived from that ServerHello's key exchange (${present(packets).join(' and ')} alike): one flight, two packet types, often coalesced in one datagram.`,
      zh: `服务端的 Initial 包只携带了 ${inInitial.join('、')}，使用初始密钥。${[...new Set(elsewhere.map((x) => x.message))].join('、')} 都在 Handshake 包中，用由该 ServerHello 密钥交换导出的握手密钥加密（${present(packets).join('、')} 都是如此）：同一轮发送，两种包类型，常常合并在同一个 UDP 数据报里。`,
    },
    observed,
    [carrierTable(packets)],
  );
}

export function judgeClientFinished(packets: Packet[]): ClaimResult {
  const finished = carriers(packets).filter((x) => x.from === 'client' && x.message === 'Finished');
  if (!finished.length) return notObserved('quic.handshake.client-finished', NO_DECRYPTED);
  const rows = finished.map((f) => {
    const request = of(packets, f.implementation, 'client').find((p) => p.frames.some((x) => x.type === 'STREAM' && x.stream === 0));
    return { implementation: f.implementation, finishedIn: f.packet, finishedDatagram: f.datagram, requestIn: request?.type, requestDatagram: request?.datagram };
  });
  const holds = rows.every((r) => r.finishedIn === '1-RTT');
  const sameDatagram = rows.filter((r) => r.finishedDatagram === r.requestDatagram).map((r) => r.implementation);
  return confirmedIf(
    'quic.handshake.client-finished',
    holds,
    { en: `The client's Finished travelled in 1-RTT packets, under the application keys, with the request.`, zh: `客户端的 Finished 与请求一起在 1-RTT 包中传输，使用应用密钥。` },
    {
      en: `The client's Finished travelled in ${[...new Set(rows.map((r) => r.finishedIn))].join(', ')} packets, encrypted with the handshake keys, not the application keys; the request (stream 0) went in ${[...new Set(rows.map((r) => r.requestIn ?? 'no captured'))].join(', ')} packets${sameDatagram.length ? `, coalesced into the same UDP datagram by ${sameDatagram.join(' and ')}` : ''}.`,
      zh: `客户端的 Finished 在 ${[...new Set(rows.map((r) => r.finishedIn))].join('、')} 包中传输，用的是握手密钥而不是应用密钥；请求（流 0）在 ${[...new Set(rows.map((r) => r.requestIn ?? '未捕获的'))].join('、')} 包中${sameDatagram.length ? `，${sameDatagram.join('、')} 把二者合并在同一个 UDP 数据报中` : ''}。`,
    },
    { rows },
  );
}

export function judgeInitialKeys(o: ConnectionsObservation): ClaimResult {
  const initials = o.withoutKeys.filter((p) => p.type === 'Initial');
  const opened = initials.filter((p) => p.decrypted);
  const others = o.withoutKeys.filter((p) => p.type !== 'Initial');
  const othersOpened = others.filter((p) => p.decrypted).length;
  const readable = [...new Set(opened.flatMap((p) => p.tls))];
  const observed = { initialsWithoutKeys: initials.length, decryptedWithoutKeys: opened.length, tlsReadWithoutKeys: readable, otherPackets: others.length, otherPacketsDecryptedWithoutKeys: othersOpened };
  if (!initials.length) return notObserved('quic.handshake.initial-keys', { en: 'No Initial packets were captured.', zh: '没有捕获到 Initial 包。' }, observed);
  if (!opened.length) return notObserved('quic.handshake.initial-keys', { en: `tshark could not open any of the ${initials.length} Initial packets without secrets; this does not show what their keys are derived from.`, zh: `tshark 在没有密钥的情况下无法解开 ${initials.length} 个 Initial 包中的任何一个；这不能说明其密钥由什么导出。` }, observed);
  return {
    id: 'quic.handshake.initial-keys',
    verdict: 'refuted',
    summary: `tshark, given no secrets at all, decrypted ${opened.length} of ${initials.length} Initial packets and read the ${readable.join(' and ')} in them, but none of the ${others.length} Handshake and 1-RTT packets (${othersOpened} opened). Initial keys are derived from the client's first destination connection ID, which is in the clear, and a salt fixed by the QUIC version, not from the client random (which is inside the encrypted ClientHello): they protect against tampering by those who cannot see the packet, not against anyone on the path.`,
    summaryZh: `在完全没有密钥的情况下，tshark 解密了 ${initials.length} 个 Initial 包中的 ${opened.length} 个，并读出其中的 ${readable.join('、')}，但 ${others.length} 个 Handshake 与 1-RTT 包一个也没能解开（解开 ${othersOpened} 个）。Initial 密钥由客户端首个目标连接 ID（明文可见）和 QUIC 版本规定的固定 salt 导出，而不是由客户端随机数（它位于加密的 ClientHello 之内）导出：它只防看不到报文的人篡改，防不了路径上的任何人。`,
    observed,
    evidence: [{ kind: 'table', title: 'What tshark opened with no key log', columns: ['implementation', 'from', 'packet', 'decrypted', 'TLS messages read'], rows: o.withoutKeys.map((p) => [p.implementation, p.from, p.type, p.decrypted ? 'yes' : 'no', p.tls.join(', ')]) }],
  };
}

export function judgeTlsBuiltIn(o: ConnectionsObservation): ClaimResult {
  const hello = o.packets.find((p) => p.from === 'client' && p.frames.some((f) => f.tls.includes('ClientHello')));
  if (!hello) return notObserved('quic.tls.built-in', NO_DECRYPTED);
  const parameters = hello.frames.flatMap((f) => f.transportParameters).filter((n) => n !== 'GREASE');
  const readable = [...new Set(o.withoutKeys.filter((p) => p.decrypted).flatMap((p) => p.tls))];
  const requests = requestRoundTrips(o);
  const observed = { transportParametersInClientHello: parameters.length, readableWithoutKeys: readable, rttMs: o.rtt.avgMs, requestLeftAfterRtts: Object.fromEntries(requests.map((r) => [r.implementation, r.roundTrips])) };
  const merged = parameters.length > 0;
  if (!merged) return { id: 'quic.tls.built-in', verdict: 'refuted', summary: "The ClientHello carried no QUIC transport parameters: the transport and TLS handshakes were not merged.", summaryZh: 'ClientHello 中没有 QUIC 传输参数：传输握手与 TLS 握手并未合并。', observed, evidence: [] };
  if (!requests.length) return notObserved('quic.tls.built-in', { en: 'No request (client stream 0) was seen in the capture, so the round trips the merged handshake takes are not measured.', zh: '捕获中没有看到请求（客户端流 0），无法测出合并后的握手用了几个往返。' }, observed);
  const trips = requests.map((r) => `${r.roundTrips} RTT (${r.implementation})`).join(' and ');
  const slow = requests.filter((r) => r.roundTrips >= 1.5);
  if (slow.length) {
    return { id: 'quic.tls.built-in', verdict: 'refuted', summary: `The transport parameters rode in the ClientHello, but the merged handshake saved no round trip: with a ${o.rtt.avgMs} ms round trip, the request left after ${trips}, as long as a transport handshake followed by a TLS one.`, summaryZh: `传输参数确实放在 ClientHello 中，但合并后的握手没有省下往返：往返时间为 ${o.rtt.avgMs} ms 时，请求在 ${trips.replace(/ and /g, '、')} 后才发出，与先传输握手、再 TLS 握手一样久。`, observed, evidence: [] };
  }
  const mergedSaid = {
    en: `The handshakes are merged: the transport's own parameters (${parameters.length}, e.g. ${parameters.slice(0, 3).join(', ')}) rode inside the TLS ClientHello as its quic_transport_parameters extension, TLS messages travelled in QUIC CRYPTO frames, and with a ${o.rtt.avgMs} ms round trip the request left after ${trips}: one round trip served both.`,
    zh: `两个握手确实合并了：传输层自己的参数（${parameters.length} 个，例如 ${parameters.slice(0, 3).join('、')}）作为 quic_transport_parameters 扩展放在 TLS ClientHello 里，TLS 消息在 QUIC 的 CRYPTO 帧中传输；往返时间为 ${o.rtt.avgMs} ms 时，请求在 ${trips.replace(/ and /g, '、')} 后发出：一个往返同时完成了两者。`,
  };
  return {
    id: 'quic.tls.built-in',
    verdict: readable.length ? 'nuanced' : 'confirmed',
    summary: readable.length
      ? `${mergedSaid.en} Everything after the first flight was encrypted, but not "all data, the handshake included": the Initial packets are encrypted with keys anyone can derive, so without any secret tshark read the ${readable.join(' and ')} (cipher suites, key shares, transport parameters) here.`
      : `${mergedSaid.en} Without secrets tshark could read no handshake message.`,
    summaryZh: readable.length
      ? `${mergedSaid.zh}首轮之后的内容都加密了，但并非“所有数据（包括握手过程）均加密”：Initial 包所用的密钥任何人都能导出，所以这里在没有任何密钥的情况下，tshark 读出了 ${readable.join('、')}（密码套件、密钥共享、传输参数）。`
      : `${mergedSaid.zh}没有密钥时 tshark 读不出任何握手消息。`,
    observed,
    evidence: [],
  };
}

/** First packet number each sender used in each space, and whether every ACK acknowledged a number from its own space. */
export function numberSpaces(packets: Packet[]) {
  return IMPLEMENTATIONS.map(({ name }) => {
    const firsts: Record<string, Partial<Record<QuicPacketType, number>>> = { client: {}, server: {} };
    for (const p of of(packets, name)) if (p.packetNumber !== undefined) firsts[p.from]![p.type] ??= p.packetNumber;
    let ownSpace = 0;
    const crossSpace: string[] = [];
    for (const p of of(packets, name)) {
      for (const f of p.frames.filter((x) => x.largestAcknowledged !== undefined)) {
        const peer = of(packets, name, p.from === 'client' ? 'server' : 'client');
        const space = (t: QuicPacketType) => (t === '0-RTT' ? '1-RTT' : t);
        const same = peer.some((q) => space(q.type) === space(p.type) && q.packetNumber === f.largestAcknowledged);
        const other = peer.find((q) => space(q.type) !== space(p.type) && q.packetNumber === f.largestAcknowledged);
        if (same) ownSpace++;
        else if (other) crossSpace.push(`${p.from} ${p.type} ACK of ${f.largestAcknowledged} (a ${other.type} number)`);
      }
    }
    const restarts = (['client', 'server'] as const).every((side) => Object.values(firsts[side]!).every((n) => n === 0));
    return { implementation: name, firsts, restarts, acksInOwnSpace: ownSpace, crossSpace };
  });
}

export function judgePacketNumberSpaces(packets: Packet[]): ClaimResult {
  const spaces = numberSpaces(packets).filter((s) => Object.keys(s.firsts['client']!).length > 1);
  if (!spaces.length) return notObserved('quic.packet-number-spaces', NO_DECRYPTED);
  const firstsText = (s: (typeof spaces)[number]) => (['client', 'server'] as const).map((side) => `${side} ${Object.entries(s.firsts[side]!).map(([t, n]) => `${t} ${n}`).join(', ')}`).join('; ');
  const observed = { spaces };
  const table: Evidence = { kind: 'table', title: 'First packet number in each space, per sender', columns: ['implementation', 'sender', 'Initial', 'Handshake', '1-RTT'], rows: spaces.flatMap((s) => (['client', 'server'] as const).map((side) => [s.implementation, side, s.firsts[side]!.Initial ?? '', s.firsts[side]!.Handshake ?? '', s.firsts[side]!['1-RTT'] ?? ''])) };
  const crossing = spaces.flatMap((s) => s.crossSpace);
  if (crossing.length) {
    return { id: 'quic.packet-number-spaces', verdict: 'refuted', summary: `ACKs acknowledged numbers from another space: ${crossing.join('; ')}.`, summaryZh: `有 ACK 确认了另一个空间的包号：${crossing.join('；')}。`, observed, evidence: [table] };
  }
  const restart = spaces.filter((s) => s.restarts).map((s) => s.implementation);
  const continued = spaces.filter((s) => !s.restarts).map((s) => s.implementation);
  const acks = spaces.reduce((n, s) => n + s.acksInOwnSpace, 0);
  if (!continued.length) {
    return { id: 'quic.packet-number-spaces', verdict: 'confirmed', summary: `Each space was numbered from 0 (${spaces.map((s) => `${s.implementation}: ${firstsText(s)}`).join(' | ')}), and all ${acks} ACKs acknowledged numbers of their own space.`, summaryZh: `每个空间都从 0 开始编号（${spaces.map((s) => `${s.implementation}：${firstsText(s)}`).join(' | ')}），全部 ${acks} 个 ACK 都只确认本空间的包号。`, observed, evidence: [table] };
  }
  return {
    id: 'quic.packet-number-spaces',
    verdict: 'nuanced',
    summary: `The spaces are separate where it matters: all ${acks} ACKs acknowledged a number of their own packet's space. But the numbering differs by implementation: ${restart.length ? `${restart.join(', ')} started each space at 0, while ` : ''}${continued.join(', ')} carried on from one space into the next (${spaces.filter((s) => !s.restarts).map((s) => firstsText(s)).join(' | ')}), so the numbers alone do not show three spaces.`,
    summaryZh: `在关键之处各空间是独立的：全部 ${acks} 个 ACK 都只确认与自身所在包同一空间的包号。但编号方式因实现而异：${restart.length ? `${restart.join('、')} 每个空间都从 0 开始，而 ` : ''}${continued.join('、')} 的编号跨空间连续（${spaces.filter((s) => !s.restarts).map((s) => firstsText(s)).join(' | ')}），所以仅看包号看不出三个空间。`,
    observed,
    evidence: [table],
  };
}

/** For each implementation, when its request (client stream 0) left, after its first Initial: in ms and in round trips. */
export function requestRoundTrips(o: ConnectionsObservation): { implementation: Implementation; requestAfterMs: number; roundTrips: number }[] {
  return IMPLEMENTATIONS.flatMap(({ name }) => {
    const client = of(o.packets, name, 'client');
    const request = client.find((p) => p.frames.some((f) => f.type === 'STREAM' && f.stream === 0));
    if (!client[0] || !request) return [];
    const afterMs = Math.round((request.timeMs - client[0].timeMs) * 10) / 10;
    return [{ implementation: name, requestAfterMs: afterMs, roundTrips: Math.round((afterMs / o.rtt.avgMs) * 100) / 100 }];
  });
}

export function judgeOneRtt(o: ConnectionsObservation): ClaimResult {
  const rows = requestRoundTrips(o);
  const observed = { rttMs: o.rtt.avgMs, rows };
  if (!rows.length) return notObserved('quic.handshake.one-rtt', { en: 'No request (client stream 0) was seen in the capture.', zh: '捕获中没有看到请求（客户端流 0）。' }, observed);
  const holds = rows.every((r) => r.roundTrips >= 0.5 && r.roundTrips < 1.5);
  return confirmedIf(
    'quic.handshake.one-rtt',
    holds,
    {
      en: `With a measured round trip of ${o.rtt.avgMs} ms, the request left ${rows.map((r) => `${r.requestAfterMs} ms (${r.roundTrips} RTT) after the first Initial with ${r.implementation}`).join(' and ')}: one round trip for the handshake, then the request.`,
      zh: `测得往返时间为 ${o.rtt.avgMs} ms，请求在首个 Initial 之后 ${rows.map((r) => `${r.requestAfterMs} ms（${r.roundTrips} 个 RTT，${r.implementation}）`).join('、')} 发出：握手用一个往返，随后就发请求。`,
    },
    { en: `With a measured round trip of ${o.rtt.avgMs} ms, the request left after ${rows.map((r) => `${r.roundTrips} RTT (${r.implementation})`).join(', ')}.`, zh: `测得往返时间为 ${o.rtt.avgMs} ms，请求在 ${rows.map((r) => `${r.roundTrips} 个 RTT（${r.implementation}）`).join('、')} 后发出。` },
    observed,
    [{ kind: 'bars', title: `When the request left, in ms after the first Initial (RTT ${o.rtt.avgMs} ms)`, bars: rows.map((r) => ({ label: r.implementation, value: r.requestAfterMs })) }],
  );
}

export function judgeUdpUserspace(o: ConnectionsObservation): ClaimResult {
  const inKernel = o.kernelProtocols.filter((p) => /quic/i.test(p));
  const observed = { quicGoDestinationPort: o.portForUrlWithoutPort, kernelProtocols: o.kernelProtocols, quicInKernel: inKernel, udpDatagrams: new Set(o.packets.map((p) => p.datagram)).size };
  if (!o.portForUrlWithoutPort) return notObserved('quic.transport.udp-userspace', { en: "quic-go's connection was not captured.", zh: '没有捕获到 quic-go 的连接。' }, observed);
  if (o.portForUrlWithoutPort !== 443) {
    return { id: 'quic.transport.udp-userspace', verdict: 'refuted', summary: `Asked for an https URL with no port, quic-go sent its UDP datagrams to port ${o.portForUrlWithoutPort}, not 443.`, summaryZh: `请求一个未写端口的 https URL 时，quic-go 把 UDP 数据报发往了 ${o.portForUrlWithoutPort} 端口，而不是 443。`, observed, evidence: [] };
  }
  return {
    id: 'quic.transport.udp-userspace',
    verdict: inKernel.length ? 'nuanced' : 'confirmed',
    summary: `Both implementations spoke QUIC in ordinary UDP datagrams (${observed.udpDatagrams} captured), from processes of their own: this kernel implements ${o.kernelProtocols.length} protocols (/proc/net/protocols) and ${inKernel.length ? `QUIC among them (${inKernel.join(', ')}), though these programs did not use it` : 'QUIC is not one of them'}. Asked for https://server/hello, naming no port, quic-go sent to UDP 443: the https default port, used for HTTP/3 as for HTTPS over TCP.`,
    summaryZh: `两种实现都用普通 UDP 数据报承载 QUIC（捕获到 ${observed.udpDatagrams} 个），协议栈在各自的进程里：这个内核实现了 ${o.kernelProtocols.length} 种协议（/proc/net/protocols），${inKernel.length ? `其中包括 QUIC（${inKernel.join('、')}），但这些程序没有用它` : 'QUIC 不在其中'}。请求未写端口的 https://server/hello 时，quic-go 发往 UDP 443：这是 https 的默认端口，HTTP/3 与基于 TCP 的 HTTPS 一样使用它。`,
    observed,
    evidence: [],
  };
}

export function judgeFirstTokenEmpty(packets: Packet[]): ClaimResult {
  const first = present(packets).flatMap((i) => of(packets, i, 'client').filter((p) => p.type === 'Initial').slice(0, 1));
  if (!first.length) return notObserved('quic.handshake.first-token-empty', NO_DECRYPTED);
  const observed = Object.fromEntries(first.map((p) => [p.implementation, p.tokenLength]));
  return confirmedIf(
    'quic.handshake.first-token-empty',
    first.every((p) => p.tokenLength === 0),
    { en: `The first Initial of each first connection carried a zero-length token (${first.map((p) => p.implementation).join(', ')}).`, zh: `每个首次连接的第一个 Initial 包中 Token 长度都为 0（${first.map((p) => p.implementation).join('、')}）。` },
    { en: `A first connection's Initial carried a token: ${JSON.stringify(observed)} bytes.`, zh: `首次连接的 Initial 包携带了 Token：${JSON.stringify(observed)} 字节。` },
    { tokenLength: observed },
  );
}

export function judgeServerInitialToken(packets: Packet[]): ClaimResult {
  const serverInitials = packets.filter((p) => p.from === 'server' && p.type === 'Initial' && p.tokenLength !== undefined);
  if (!serverInitials.length) return notObserved('quic.handshake.server-initial-token', NO_DECRYPTED);
  const withToken = serverInitials.filter((p) => p.tokenLength! > 0);
  const newToken = packets.filter((p) => p.from === 'server' && p.frames.some((f) => f.type === 'NEW_TOKEN'));
  const observed = { serverInitials: serverInitials.length, withToken: withToken.length, newTokenFrames: newToken.map((p) => `${p.implementation} ${p.type}`) };
  return confirmedIf(
    'quic.handshake.server-initial-token',
    withToken.length > 0,
    { en: `${withToken.length} of ${serverInitials.length} server Initial packets carried a token.`, zh: `${serverInitials.length} 个服务端 Initial 包中有 ${withToken.length} 个携带 Token。` },
    {
      en: `All ${serverInitials.length} server Initial packets had a token length of 0. ${newToken.length ? `The token for later connections came after the handshake, in a NEW_TOKEN frame inside an encrypted ${[...new Set(newToken.map((p) => p.type))].join('/')} packet (${[...new Set(newToken.map((p) => p.implementation))].join(', ')})` : 'No NEW_TOKEN frame was seen'}. What makes a later 0-RTT possible is the TLS session ticket (NewSessionTicket), not the token, which only proves the client's address.`,
      zh: `全部 ${serverInitials.length} 个服务端 Initial 包的 Token 长度都为 0。${newToken.length ? `供后续连接使用的 Token 在握手之后才下发，放在加密的 ${[...new Set(newToken.map((p) => p.type))].join('/')} 包内的 NEW_TOKEN 帧中（${[...new Set(newToken.map((p) => p.implementation))].join('、')}）` : '没有看到 NEW_TOKEN 帧'}。让后续连接能用 0-RTT 的是 TLS 会话票据（NewSessionTicket），而不是 Token；Token 只用于证明客户端地址。`,
    },
    observed,
  );
}

/** Transport parameters the client sent in its ClientHello, per implementation. */
export function clientParameters(packets: Packet[]): Record<string, string[]> {
  return Object.fromEntries(
    present(packets).map((i) => [i, [...new Set(of(packets, i, 'client').flatMap((p) => p.frames.filter((f) => f.tls.includes('ClientHello')).flatMap((f) => f.transportParameters)))].filter((n) => n !== 'GREASE')]),
  );
}

export function judgeTransportParameters(packets: Packet[]): ClaimResult {
  const params = clientParameters(packets);
  const all = [...new Set(Object.values(params).flat())];
  if (!all.length) return notObserved('quic.handshake.transport-parameters', NO_DECRYPTED);
  const congestion = all.filter((n) => /congestion|\bcc\b|cubic|bbr|reno/i.test(n));
  const observed = { parameters: params, congestionParameters: congestion, maxPacketSize: all.includes('max_udp_payload_size') };
  return confirmedIf(
    'quic.handshake.transport-parameters',
    congestion.length > 0 && observed.maxPacketSize,
    { en: `The ClientHello's transport parameters included max_udp_payload_size and ${congestion.join(', ')}.`, zh: `ClientHello 的传输参数包括 max_udp_payload_size 和 ${congestion.join('、')}。` },
    {
      en: `The client's first flight did carry QUIC transport parameters${observed.maxPacketSize ? ', max_udp_payload_size among them' : ''}: ${Object.entries(params).map(([i, p]) => `${i} sent ${p.join(', ')}`).join('; ')}. None names a congestion controller: congestion control is each sender's own local choice and is never negotiated.`,
      zh: `客户端首轮确实携带了 QUIC 传输参数${observed.maxPacketSize ? '，其中包括 max_udp_payload_size' : ''}：${Object.entries(params).map(([i, p]) => `${i} 发送了 ${p.join('、')}`).join('；')}。没有一个参数涉及拥塞控制算法：拥塞控制是各发送方自己的本地选择，从不协商。`,
    },
    observed,
  );
}

export function judgeFlowControl(packets: Packet[]): ClaimResult {
  const params = clientParameters(packets);
  const all = [...new Set(Object.values(params).flat())];
  if (!all.length) return notObserved('quic.streams.flow-control', NO_DECRYPTED);
  const stream = all.filter((n) => n.startsWith('initial_max_stream_data'));
  const connection = all.filter((n) => n === 'initial_max_data');
  const updates = [...new Set(packets.flatMap((p) => p.frames.map((f) => f.type)).filter((t) => t === 'MAX_DATA' || t === 'MAX_STREAM_DATA'))];
  const observed = { streamLevel: stream, connectionLevel: connection, windowUpdateFrames: updates };
  return confirmedIf(
    'quic.streams.flow-control',
    stream.length > 0 && connection.length > 0,
    {
      en: `Both levels were announced in the handshake: per stream (${stream.join(', ')}) and for the whole connection (${connection.join(', ')})${updates.length ? `; ${updates.join(' and ')} frames raise them later` : ''}.`,
      zh: `握手中同时声明了两级窗口：每个流的（${stream.join('、')}）和整个连接的（${connection.join('、')}）${updates.length ? `；之后由 ${updates.join('、')} 帧提高` : ''}。`,
    },
    { en: `Flow-control limits announced: stream level ${stream.join(', ') || 'none'}, connection level ${connection.join(', ') || 'none'}.`, zh: `声明的流量控制上限：流级别 ${stream.join('、') || '无'}，连接级别 ${connection.join('、') || '无'}。` },
    observed,
  );
}

const hellos = (packets: Packet[], message: 'ClientHello' | 'ServerHello') =>
  present(packets).flatMap((implementation) => {
    const packet = of(packets, implementation).find((p) => p.frames.some((f) => f.hello?.message === message));
    const frame = packet?.frames.find((f) => f.hello?.message === message);
    return packet && frame ? [{ implementation, packet, frame, hello: frame.hello! }] : [];
  });
const NO_HELLO = { en: 'The ClientHello and ServerHello were not decoded with their fields (random, cipher suites, supported_versions), so what they held is not seen.', zh: '没有解码出 ClientHello 和 ServerHello 的字段（随机数、密码套件、supported_versions），看不到其中的内容。' };
const TLS_VERSIONS: Record<string, string> = { '0x0304': 'TLS 1.3', '0x0303': 'TLS 1.2', '0x0302': 'TLS 1.1', '0x0301': 'TLS 1.0' };
const versionName = (v: string | undefined) => (v ? `${v} (${TLS_VERSIONS[v] ?? 'GREASE or unknown'})` : 'none');

export function judgeTlsV13(packets: Packet[]): ClaimResult {
  const clients = hellos(packets, 'ClientHello');
  const servers = hellos(packets, 'ServerHello');
  if (!clients.length || !servers.length) return notObserved('quic.tls.v13', NO_HELLO);
  const rows = clients.map((c) => {
    const s = servers.find((x) => x.implementation === c.implementation);
    const serverParameters = of(packets, c.implementation, 'server').flatMap((p) => p.frames.filter((f) => f.tls.includes('EncryptedExtensions')).flatMap((f) => f.transportParameters)).filter((n) => n !== 'GREASE');
    const tlsFrames = of(packets, c.implementation).flatMap((p) => p.frames.filter((f) => f.tls.length));
    return {
      implementation: c.implementation,
      offered: c.hello.supportedVersions,
      chosen: s?.hello.supportedVersions[0],
      clientHelloTransportParameters: c.frame.transportParameters.filter((n) => n !== 'GREASE').length,
      encryptedExtensionsTransportParameters: serverParameters.length,
      tlsMessagesInCryptoFrames: tlsFrames.filter((f) => f.type === 'CRYPTO').length,
      tlsMessagesElsewhere: tlsFrames.filter((f) => f.type !== 'CRYPTO').length,
    };
  });
  const holds = rows.every((r) => r.chosen === '0x0304' && r.clientHelloTransportParameters > 0 && r.tlsMessagesElsewhere === 0);
  const offered = [...new Set(rows.flatMap((r) => r.offered))];
  const observed = { handshakes: rows };
  return confirmedIf(
    'quic.tls.v13',
    holds,
    {
      en: `Both handshakes were TLS 1.3 run inside QUIC: the ClientHellos' supported_versions listed ${offered.map(versionName).join(', ')}${rows.every((r) => r.offered.length === 1) ? ' and nothing else' : ''} (${rows.map((r) => r.implementation).join(' and ')} alike), both ServerHellos chose ${versionName(rows[0]!.chosen)}, all TLS handshake messages travelled in QUIC CRYPTO frames, and the transport's own parameters rode inside them: in the ClientHello's quic_transport_parameters extension (${rows.map((r) => `${r.implementation} ${r.clientHelloTransportParameters}`).join(', ')}) and in the server's EncryptedExtensions (${rows.map((r) => `${r.implementation} ${r.encryptedExtensionsTransportParameters}`).join(', ')}). One exchange set up the TLS 1.3 keys and the transport's settings together.`,
      zh: `两次握手都是在 QUIC 内部进行的 TLS 1.3：ClientHello 的 supported_versions ${rows.every((r) => r.offered.length === 1) ? '只' : ''}列出 ${offered.map(versionName).join('、')}（${rows.map((r) => r.implementation).join('、')} 都是如此），两个 ServerHello 都选择了 ${versionName(rows[0]!.chosen)}，所有 TLS 握手消息都在 QUIC 的 CRYPTO 帧中传输，传输层自己的参数也放在其中：ClientHello 的 quic_transport_parameters 扩展（${rows.map((r) => `${r.implementation} ${r.clientHelloTransportParameters} 个`).join('、')}）和服务器的 EncryptedExtensions（${rows.map((r) => `${r.implementation} ${r.encryptedExtensionsTransportParameters} 个`).join('、')}）。一次交换同时建立了 TLS 1.3 密钥和传输层设置。`,
    },
    {
      en: `The handshakes were not TLS 1.3 merged with the transport's: ${rows.map((r) => `${r.implementation} offered ${r.offered.join('/') || 'no supported_versions'}, the server chose ${versionName(r.chosen)}, ${r.clientHelloTransportParameters} transport parameters in the ClientHello, ${r.tlsMessagesElsewhere} TLS messages outside CRYPTO frames`).join('; ')}.`,
      zh: `握手并非与传输层合并的 TLS 1.3：${rows.map((r) => `${r.implementation} 提出 ${r.offered.join('/') || '（无 supported_versions）'}，服务器选择 ${versionName(r.chosen)}，ClientHello 中有 ${r.clientHelloTransportParameters} 个传输参数，CRYPTO 帧之外有 ${r.tlsMessagesElsewhere} 条 TLS 消息`).join('；')}。`,
    },
    observed,
  );
}

const EXTENSION_NAMES: Record<number, string> = {
  0: 'server_name', 5: 'status_request', 10: 'supported_groups', 11: 'ec_point_formats', 13: 'signature_algorithms', 16: 'alpn', 18: 'signed_certificate_timestamp', 22: 'encrypt_then_mac',
  23: 'extended_master_secret', 28: 'record_size_limit', 35: 'session_ticket', 41: 'pre_shared_key', 42: 'early_data', 43: 'supported_versions', 45: 'psk_key_exchange_modes',
  50: 'signature_algorithms_cert', 51: 'key_share', 57: 'quic_transport_parameters', 65281: 'renegotiation_info',
};
const CIPHER_SUITES: Record<string, string> = { '0x1301': 'TLS_AES_128_GCM_SHA256', '0x1302': 'TLS_AES_256_GCM_SHA384', '0x1303': 'TLS_CHACHA20_POLY1305_SHA256', '0x1304': 'TLS_AES_128_CCM_SHA256', '0x1305': 'TLS_AES_128_CCM_8_SHA256' };
const PRE_SHARED_KEY = 41;
const SESSION_TICKET = 35;
const colonHexBytes = (hex: string) => (hex ? (hex.length + 1) / 3 : 0);

export function judgeClientHelloContents(o: ConnectionsObservation): ClaimResult {
  const clients = hellos(o.packets, 'ClientHello').filter((c) => c.packet.from === 'client');
  if (!clients.length) return notObserved('quic.handshake.client-hello-contents', NO_HELLO);
  const rows = clients.map((c) => ({
    implementation: c.implementation,
    packetType: c.packet.type,
    initialPackets: of(o.packets, c.implementation, 'client').filter((p) => p.type === 'Initial' && p.datagram <= c.packet.datagram && p.frames.some((f) => f.type === 'CRYPTO')).length,
    cipherSuites: c.hello.cipherSuites,
    extensions: c.frame.tlsExtensions.map((e) => EXTENSION_NAMES[e] ?? String(e)),
    randomBytes: colonHexBytes(c.hello.random),
    random: c.hello.random,
    sessionTicketBytes: c.hello.sessionTicketBytes,
    sessionTicketExtension: c.frame.tlsExtensions.includes(SESSION_TICKET),
    preSharedKey: c.frame.tlsExtensions.includes(PRE_SHARED_KEY),
  }));
  const readable = [...new Set(o.withoutKeys.filter((p) => p.from === 'client' && p.decrypted && p.tls.includes('ClientHello')).map((p) => p.implementation))];
  const wrong = rows.filter((r) => r.packetType !== 'Initial' || !r.cipherSuites.length || !r.extensions.length || r.randomBytes !== 32 || (r.sessionTicketBytes ?? 0) > 0 || r.preSharedKey);
  const observed = { clientHellos: rows.map(({ random: _random, ...r }) => r), readableWithoutKeys: readable };
  const table: Evidence = { kind: 'table', title: "What each first connection's ClientHello held", columns: ['implementation', 'packet', 'cipher suites', 'extensions', 'random', 'session_ticket'], rows: rows.map((r) => [r.implementation, `${r.packetType} (${r.initialPackets} packet${r.initialPackets > 1 ? 's' : ''})`, r.cipherSuites.map((c) => CIPHER_SUITES[c] ?? c).join(', '), r.extensions.join(', '), `${r.randomBytes} bytes: ${r.random.slice(0, 23)}…`, r.sessionTicketExtension ? `${r.sessionTicketBytes} bytes` : 'absent']) };
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.handshake.client-hello-contents', verdict, summary: en, summaryZh: zh, observed, evidence: [table] });
  if (wrong.length) {
    return result(
      'refuted',
      `A first connection's ClientHello was not as the sheet says: ${wrong.map((r) => `${r.implementation}: in ${r.packetType} packets, ${r.cipherSuites.length} cipher suites, ${r.extensions.length} extensions, a ${r.randomBytes}-byte random, session_ticket ${r.sessionTicketExtension ? `${r.sessionTicketBytes} bytes` : 'absent'}${r.preSharedKey ? ', a pre_shared_key (a ticket offered)' : ''}`).join('; ')}.`,
      `首次连接的 ClientHello 与资料不符：${wrong.map((r) => `${r.implementation}：位于 ${r.packetType} 包，${r.cipherSuites.length} 个密码套件，${r.extensions.length} 个扩展，${r.randomBytes} 字节随机数，session_ticket ${r.sessionTicketExtension ? `${r.sessionTicketBytes} 字节` : '不存在'}${r.preSharedKey ? '，带有 pre_shared_key（提供了票据）' : ''}`).join('；')}。`,
    );
  }
  const contents = {
    en: rows.map((r) => `${r.implementation}'s, in ${r.initialPackets} Initial packet${r.initialPackets > 1 ? 's' : ''}, offered ${r.cipherSuites.length} cipher suites (${r.cipherSuites.map((c) => CIPHER_SUITES[c] ?? c).join(', ')}) and ${r.extensions.length} extensions, with a ${r.randomBytes}-byte random and a session_ticket extension ${r.sessionTicketExtension ? `of ${r.sessionTicketBytes} bytes` : 'absent'}`).join('; '),
    zh: rows.map((r) => `${r.implementation} 的位于 ${r.initialPackets} 个 Initial 包中，提供 ${r.cipherSuites.length} 个密码套件（${r.cipherSuites.map((c) => CIPHER_SUITES[c] ?? c).join('、')}）和 ${r.extensions.length} 个扩展，带 ${r.randomBytes} 字节随机数，session_ticket 扩展${r.sessionTicketExtension ? `为 ${r.sessionTicketBytes} 字节` : '不存在'}`).join('；'),
  };
  const said = {
    en: `Each client's first Initial packets carried its ClientHello, holding what the sheet lists: ${contents.en}. The ticket was empty on these first connections, and no pre_shared_key was offered (where TLS 1.3 puts a ticket to resume).`,
    zh: `每个客户端的首批 Initial 包都携带其 ClientHello，其中包含资料所列的内容：${contents.zh}。这些首次连接的票据为空，也没有提供 pre_shared_key（TLS 1.3 恢复会话时票据放在这里）。`,
  };
  if (!readable.length) return result('confirmed', `${said.en} With no secrets tshark could not read it.`, `${said.zh}没有密钥时 tshark 读不出它。`);
  return result(
    'nuanced',
    `${said.en} "Encrypted" holds only in form: Initial packets are encrypted with keys derived from the client's first destination connection ID, sent in the clear, and a salt the QUIC version fixes, so tshark, given no secrets at all, read the ClientHello of ${readable.join(' and ')}, every field above included.`,
    `${said.zh}“加密”只是形式上的：Initial 包的密钥由明文发送的客户端首个目标连接 ID 和 QUIC 版本规定的固定 salt 导出，所以 tshark 在没有任何密钥的情况下读出了 ${readable.join('、')} 的 ClientHello，上面的每个字段都在其中。`,
  );
}

export function judgeServerCid(packets: Packet[]): ClaimResult {
  const rows = present(packets).flatMap((i) => {
    const clientFirst = of(packets, i, 'client').find((p) => p.type === 'Initial');
    const serverInitial = of(packets, i, 'server').find((p) => p.type === 'Initial');
    if (!clientFirst || !serverInitial) return [];
    const next = of(packets, i, 'client').find((p) => p.timeMs > serverInitial.timeMs);
    const newIds = of(packets, i, 'server').filter((p) => p.timeMs <= (next?.timeMs ?? Infinity)).flatMap((p) => p.frames.filter((f) => f.type === 'NEW_CONNECTION_ID')).length;
    return [{ implementation: i, clientFirstDcid: clientFirst.dcid, clientScid: clientFirst.scid ?? '', serverScid: serverInitial.scid ?? '', serverScidBytes: serverInitial.fields['scid']?.bytes ?? colonHexBytes(serverInitial.scid ?? ''), clientThenAddressed: next?.dcid, newConnectionIdsBefore: newIds }];
  });
  if (!rows.length) return notObserved('quic.handshake.server-cid', { en: 'No client and server Initial of one connection were captured.', zh: '没有捕获到同一连接的客户端与服务器 Initial 包。' });
  const own = rows.filter((r) => r.serverScidBytes > 0 && r.serverScid !== r.clientFirstDcid && r.serverScid !== r.clientScid);
  const observed = { connections: rows };
  const evidence: Evidence[] = [{ kind: 'table', title: "Connection IDs: the client's choices and the server's Initial", columns: ['implementation', "client's first DCID (its choice)", "client's SCID", "server Initial's SCID", 'client then addressed'], rows: rows.map((r) => [r.implementation, r.clientFirstDcid, r.clientScid, r.serverScid, r.clientThenAddressed ?? '']) }];
  const then = (r: (typeof rows)[number]) =>
    r.clientThenAddressed === r.serverScid
      ? { en: `${r.implementation}'s client then addressed the server by it`, zh: `${r.implementation} 的客户端随后就以它作为目标连接 ID` }
      : { en: `${r.implementation}'s client addressed its next packets to ${r.clientThenAddressed} instead (the server's first flight had also held ${r.newConnectionIdsBefore} NEW_CONNECTION_ID frames)`, zh: `${r.implementation} 的客户端随后改用 ${r.clientThenAddressed} 作为目标（服务器首轮还带有 ${r.newConnectionIdsBefore} 个 NEW_CONNECTION_ID 帧）` };
  return confirmedIf(
    'quic.handshake.server-cid',
    own.length === rows.length,
    {
      en: `Each server's Initial carried, in its long header's Source Connection ID, an ID of its own: ${rows.map((r) => `${r.implementation} ${r.serverScid} (${r.serverScidBytes} bytes)`).join(', ')}, neither the ID the client had chosen for its first Destination Connection ID (${rows.map((r) => `${r.implementation} ${colonHexBytes(r.clientFirstDcid)} bytes`).join(', ')}) nor the client's own. ${rows.map((r) => then(r).en).join('; ')}.`,
      zh: `每个服务器的 Initial 包都在长头部的源连接 ID 中放入了自己的 ID：${rows.map((r) => `${r.implementation} ${r.serverScid}（${r.serverScidBytes} 字节）`).join('、')}，既不是客户端为首个目标连接 ID 选的那个（${rows.map((r) => `${r.implementation} ${colonHexBytes(r.clientFirstDcid)} 字节`).join('、')}），也不是客户端自己的。${rows.map((r) => then(r).zh).join('；')}。`,
    },
    {
      en: `Not every server Initial carried an ID of the server's own: ${rows.filter((r) => !own.includes(r)).map((r) => `${r.implementation}'s Source Connection ID was ${r.serverScid || 'empty'}${r.serverScid === r.clientFirstDcid ? ', the very ID the client had chosen' : ''}`).join('; ')}.`,
      zh: `并非每个服务器 Initial 都带有服务器自己的 ID：${rows.filter((r) => !own.includes(r)).map((r) => `${r.implementation} 的源连接 ID 为 ${r.serverScid || '空'}${r.serverScid === r.clientFirstDcid ? '，正是客户端选的那个 ID' : ''}`).join('；')}。`,
    },
    observed,
    evidence,
  );
}

/** Whether an ACK frame acknowledges packet number `pn` in its first range (the largest acknowledged and the ones just below it). */
export const acknowledges = (f: { largestAcknowledged?: number; firstAckRange?: number }, pn: number | undefined) =>
  pn !== undefined && f.largestAcknowledged !== undefined && pn <= f.largestAcknowledged && pn >= f.largestAcknowledged - (f.firstAckRange ?? 0);
/** Whether every ACK frame's first range was decoded (observations made before the observer read it have only the largest acknowledged). */
const rangesRead = (packets: Packet[]) => packets.every((p) => p.frames.every((f) => f.type !== 'ACK' || f.firstAckRange !== undefined));
const NO_RANGES = { en: "The ACK frames' ranges were not decoded (only each largest acknowledged number), so which packets each ACK covered is not seen.", zh: '没有解码出 ACK 帧的确认区间（只有最大确认号），看不出每个 ACK 覆盖了哪些包。' };
const ackedText = (f: { largestAcknowledged?: number; firstAckRange?: number }) => (f.firstAckRange ? `${f.largestAcknowledged! - f.firstAckRange}-${f.largestAcknowledged}` : `${f.largestAcknowledged}`);

export function judgeServerAcksClientInitial(packets: Packet[]): ClaimResult {
  if (!rangesRead(packets)) return notObserved('quic.handshake.server-acks-client-initial', NO_RANGES);
  const rows = present(packets).flatMap((i) => {
    const clientInitials = of(packets, i, 'client').filter((p) => p.type === 'Initial' && p.packetNumber !== undefined);
    const server = of(packets, i, 'server');
    const helloAt = server.findIndex((p) => p.frames.some((f) => f.tls.includes('ServerHello')));
    const initials = server.slice(0, helloAt < 0 ? server.length : helloAt + 1).filter((p) => p.type === 'Initial' && p.decrypted);
    if (!clientInitials.length || !initials.length) return [];
    const acks = initials.flatMap((p) => p.frames.filter((f) => f.type === 'ACK').map((f) => ({ serverPacket: p.packetNumber, withServerHello: p.frames.some((x) => x.tls.includes('ServerHello')), acknowledged: ackedText(f), clientInitials: clientInitials.filter((c) => acknowledges(f, c.packetNumber)).map((c) => c.packetNumber!) })));
    return [{ implementation: i, serverInitials: initials.length, acks, clientInitialNumbers: clientInitials.map((c) => c.packetNumber!) }];
  });
  if (!rows.length) return notObserved('quic.handshake.server-acks-client-initial', NO_DECRYPTED);
  const acking = rows.filter((r) => r.acks.some((a) => a.clientInitials.length));
  const observed = { connections: rows };
  const where = (r: (typeof rows)[number]) => r.acks.filter((a) => a.clientInitials.length).map((a) => ({ en: `${r.implementation}'s Initial #${a.serverPacket}${a.withServerHello ? ' (the one with the ServerHello)' : ' (before the one with the ServerHello)'} acknowledged the client's Initial ${a.acknowledged}`, zh: `${r.implementation} 的 Initial #${a.serverPacket}${a.withServerHello ? '（携带 ServerHello 的那个）' : '（在携带 ServerHello 的包之前）'}确认了客户端的 Initial ${a.acknowledged}` }));
  return confirmedIf(
    'quic.handshake.server-acks-client-initial',
    acking.length === rows.length,
    {
      en: `Each server's Initial carried an ACK frame for the client's Initial packets: ${rows.flatMap((r) => where(r).map((w) => w.en)).join('; ')}. The acknowledged numbers are those of the client's Initials (${rows.map((r) => `${r.implementation}: ${r.clientInitialNumbers.join(', ')}`).join('; ')}), in the Initial number space.`,
      zh: `每个服务器的 Initial 包都带有确认客户端 Initial 包的 ACK 帧：${rows.flatMap((r) => where(r).map((w) => w.zh)).join('；')}。被确认的正是客户端 Initial 包的编号（${rows.map((r) => `${r.implementation}：${r.clientInitialNumbers.join('、')}`).join('；')}），属于 Initial 包号空间。`,
    },
    {
      en: `Not every server's first Initial packets acknowledged the client's Initial: ${rows.filter((r) => !acking.includes(r)).map((r) => `${r.implementation}: ${r.serverInitials} server Initial(s) up to the ServerHello, ACK frames ${r.acks.map((a) => a.acknowledged).join(', ') || 'none'}`).join('; ')}.`,
      zh: `并非每个服务器的首批 Initial 包都确认了客户端的 Initial：${rows.filter((r) => !acking.includes(r)).map((r) => `${r.implementation}：到 ServerHello 为止共 ${r.serverInitials} 个服务器 Initial，ACK 帧 ${r.acks.map((a) => a.acknowledged).join('、') || '无'}`).join('；')}。`,
    },
    observed,
  );
}

const inRtts = (ms: number, rttMs: number) => Math.round((ms / rttMs) * 100) / 100;

export function judgeClientAcksServerInitial(o: ConnectionsObservation): ClaimResult {
  if (!rangesRead(o.packets)) return notObserved('quic.handshake.client-acks-server-initial', NO_RANGES);
  const rows = present(o.packets).flatMap((i) => {
    const client = of(o.packets, i, 'client');
    const server = of(o.packets, i, 'server');
    const serverInitials = server.filter((p) => p.type === 'Initial' && p.packetNumber !== undefined);
    const ack = client.find((p) => p.type === 'Initial' && p.frames.some((f) => f.type === 'ACK' && serverInitials.some((s) => acknowledges(f, s.packetNumber))));
    const finished = client.find((p) => p.frames.some((f) => f.tls.includes('Finished')));
    const request = client.find((p) => p.frames.some((f) => f.type === 'STREAM' && f.stream === 0));
    if (!client[0] || !finished || !request || !serverInitials.length) return [];
    const times = [ack, finished, request].flatMap((p) => (p ? [p.timeMs] : []));
    const serverBetween = server.filter((p) => p.timeMs > Math.min(...times) && p.timeMs < Math.max(...times)).length;
    const frame = ack?.frames.find((f) => f.type === 'ACK');
    return [{
      implementation: i,
      ackInPacket: ack ? `${ack.type} #${ack.packetNumber}` : undefined,
      acknowledged: frame ? ackedText(frame) : undefined,
      ackAfterRtts: ack ? inRtts(ack.timeMs - client[0].timeMs, o.rtt.avgMs) : undefined,
      finishedIn: `${finished.type} #${finished.packetNumber}`,
      requestIn: `${request.type} #${request.packetNumber}`,
      datagrams: [...new Set([ack?.datagram, finished.datagram, request.datagram].filter((d) => d !== undefined))],
      spreadMs: Math.round((Math.max(...times) - Math.min(...times)) * 100) / 100,
      serverPacketsBetween: serverBetween,
    }];
  });
  if (!rows.length) return notObserved('quic.handshake.client-acks-server-initial', { en: "No client Finished and request were captured with the server's Initial.", zh: '没有捕获到客户端的 Finished、请求以及服务器的 Initial。' });
  const good = rows.filter((r) => r.ackAfterRtts !== undefined && r.ackAfterRtts >= 0.5 && r.ackAfterRtts < 1.5 && r.serverPacketsBetween === 0);
  const observed = { rttMs: o.rtt.avgMs, connections: rows };
  const each = (r: (typeof rows)[number]) => ({
    en: `${r.implementation}'s client ${r.ackAfterRtts} RTT after its first Initial, in ${r.ackInPacket} (acknowledging the server's Initial ${r.acknowledged}), with its Finished in ${r.finishedIn} and its request in ${r.requestIn}, ${r.datagrams.length === 1 ? 'all three coalesced in one datagram' : `in ${r.datagrams.length} datagrams sent within ${r.spreadMs} ms`}`,
    zh: `${r.implementation} 的客户端在首个 Initial 之后 ${r.ackAfterRtts} 个 RTT，用 ${r.ackInPacket} 确认了服务器的 Initial ${r.acknowledged}，同时 Finished 在 ${r.finishedIn} 中、请求在 ${r.requestIn} 中，${r.datagrams.length === 1 ? '三者合并在同一个数据报里' : `分在 ${r.spreadMs} ms 内发出的 ${r.datagrams.length} 个数据报中`}`,
  });
  return confirmedIf(
    'quic.handshake.client-acks-server-initial',
    good.length === rows.length,
    {
      en: `At about one round trip (${o.rtt.avgMs} ms by ping), in the flight that carried its Finished and its first application data, each client acknowledged the server's Initial: ${rows.map((r) => each(r).en).join('; ')}. The three went in three packets of their own: the ACK in an Initial packet, under Initial keys and in the Initial number space it acknowledges.`,
      zh: `约一个往返时（ping 测得 ${o.rtt.avgMs} ms），在携带 Finished 和首个应用数据的那一轮中，每个客户端都确认了服务器的 Initial：${rows.map((r) => each(r).zh).join('；')}。三者分属三个包：ACK 位于 Initial 包中，使用 Initial 密钥，属于它所确认的 Initial 包号空间。`,
    },
    {
      en: `Not every client acknowledged the server's Initial with its Finished at about one round trip: ${rows.filter((r) => !good.includes(r)).map((r) => (r.ackInPacket ? `${r.implementation} ${r.ackAfterRtts} RTT after its first Initial, ${r.serverPacketsBetween} server packets between the ACK, the Finished and the request` : `${r.implementation} sent no ACK of the server's Initial`)).join('; ')}.`,
      zh: `并非每个客户端都在约一个往返时随 Finished 确认服务器的 Initial：${rows.filter((r) => !good.includes(r)).map((r) => (r.ackInPacket ? `${r.implementation} 在首个 Initial 之后 ${r.ackAfterRtts} 个 RTT，ACK、Finished 与请求之间有 ${r.serverPacketsBetween} 个服务器包` : `${r.implementation} 没有发送确认服务器 Initial 的 ACK`)).join('；')}。`,
    },
    observed,
  );
}

/**
 * When the server answered, in round trips after the client's first Initial. The capture at the
 * client shows each packet one one-way delay after its sender sent it (the lab delays each direction
 * at the sender, before the client's interface), so offsets in it are offsets between sending times.
 */
export function judgeServerResponse(o: ConnectionsObservation): ClaimResult {
  if (!rangesRead(o.packets)) return notObserved('quic.handshake.server-response', NO_RANGES);
  const rows = present(o.packets).flatMap((i) => {
    const client = of(o.packets, i, 'client');
    const server = of(o.packets, i, 'server');
    const request = client.find((p) => p.frames.some((f) => f.type === 'STREAM' && f.stream === 0));
    const response = server.find((p) => p.frames.some((f) => f.type === 'STREAM' && f.stream === 0));
    if (!client[0] || !request || !response) return [];
    const ack = server.find((p) => (p.type === '1-RTT') === (request.type === '1-RTT') && p.frames.some((f) => f.type === 'ACK' && acknowledges(f, request.packetNumber)));
    const frame = ack?.frames.find((f) => f.type === 'ACK' && acknowledges(f, request.packetNumber));
    const serverInitial = server.find((p) => p.type === 'Initial');
    const at = (p: Packet) => inRtts(p.timeMs - client[0]!.timeMs, o.rtt.avgMs);
    return [{
      implementation: i,
      request: `${request.type} #${request.packetNumber}`,
      responseIn: `${response.type} #${response.packetNumber}`,
      responseType: response.type,
      responseAfterRtts: at(response),
      ackIn: ack ? `${ack.type} #${ack.packetNumber}` : undefined,
      ackType: ack?.type,
      acknowledged: frame ? ackedText(frame) : undefined,
      ackAfterRtts: ack ? at(ack) : undefined,
      samePacket: ack === response,
      serverInitialAfterRtts: serverInitial ? at(serverInitial) : undefined,
    }];
  });
  if (!rows.length) return notObserved('quic.handshake.server-response', { en: 'No request and response on stream 0 were captured.', zh: '没有捕获到流 0 上的请求和响应。' });
  const near = (x: number | undefined) => x !== undefined && Math.abs(x - 1.5) <= 0.25;
  const good = rows.filter((r) => r.responseType === '1-RTT' && r.ackType === '1-RTT' && near(r.responseAfterRtts) && near(r.ackAfterRtts));
  const observed = { rttMs: o.rtt.avgMs, connections: rows };
  const each = (r: (typeof rows)[number]) => ({
    en: `${r.implementation}'s server at ${r.responseAfterRtts} RTT, the response (stream 0) in ${r.responseIn}${r.samePacket ? ` with the ACK of the client's ${r.acknowledged}` : `, the ACK of the client's ${r.acknowledged} in ${r.ackIn} at ${r.ackAfterRtts} RTT`}`,
    zh: `${r.implementation} 的服务器在 ${r.responseAfterRtts} 个 RTT 时，响应（流 0）在 ${r.responseIn} 中${r.samePacket ? `，同一个包里确认了客户端的 ${r.acknowledged}` : `，对客户端 ${r.acknowledged} 的 ACK 在 ${r.ackAfterRtts} 个 RTT 时的 ${r.ackIn} 中`}`,
  });
  const timing = {
    en: `Times count from the client's first Initial, as sent: the capture at the client shows every packet one one-way delay after its sender sent it, so the servers' own Initials appear at ${rows.map((r) => r.serverInitialAfterRtts).join(' and ')} RTT, where the sheet puts them at 0.5.`,
    zh: `时间从客户端发出首个 Initial 算起，均为发送时刻：客户端上的抓包中，每个包都在其发送方发出后一个单程延迟才出现，因此服务器自己的 Initial 出现在 ${rows.map((r) => r.serverInitialAfterRtts).join('、')} 个 RTT 处，资料把它放在 0.5。`,
  };
  return confirmedIf(
    'quic.handshake.server-response',
    good.length === rows.length,
    {
      en: `At about 1.5 round trips (${o.rtt.avgMs} ms by ping) each server sent its response to GET /hello and an ACK of the client packet that carried the request (${rows.map((r) => r.request).join(', ')}), both in 1-RTT packets, under the application keys: ${rows.map((r) => each(r).en).join('; ')}. ${timing.en}`,
      zh: `约 1.5 个往返时（ping 测得 ${o.rtt.avgMs} ms），每个服务器都发出了对 GET /hello 的响应，以及对携带请求的客户端包（${rows.map((r) => r.request).join('、')}）的 ACK，二者都在 1-RTT 包中，使用应用密钥：${rows.map((r) => each(r).zh).join('；')}。${timing.zh}`,
    },
    {
      en: `Not every server answered as the sheet says: ${rows.filter((r) => !good.includes(r)).map((r) => `${r.implementation}: response in ${r.responseIn} at ${r.responseAfterRtts} RTT, ${r.ackIn ? `ACK of the request in ${r.ackIn} at ${r.ackAfterRtts} RTT` : 'no ACK of the request packet'}`).join('; ')}. ${timing.en}`,
      zh: `并非每个服务器都如资料所说那样应答：${rows.filter((r) => !good.includes(r)).map((r) => `${r.implementation}：响应在 ${r.responseAfterRtts} 个 RTT 时的 ${r.responseIn} 中，${r.ackIn ? `对请求的 ACK 在 ${r.ackAfterRtts} 个 RTT 时的 ${r.ackIn} 中` : '没有确认请求包的 ACK'}`).join('；')}。${timing.zh}`,
    },
    observed,
  );
}

export function judgeBidirectional(packets: Packet[]): ClaimResult {
  const streams = new Map<string, { implementation: Implementation; id: number; senders: Set<'client' | 'server'>; bytes: Record<string, number> }>();
  for (const p of packets) {
    for (const f of p.frames.filter((x) => x.type === 'STREAM' && x.stream !== undefined)) {
      const key = `${p.implementation} ${f.stream}`;
      const s = streams.get(key) ?? { implementation: p.implementation, id: f.stream!, senders: new Set(), bytes: {} };
      s.senders.add(p.from);
      s.bytes[p.from] = (s.bytes[p.from] ?? 0) + (f.length ?? 0);
      streams.set(key, s);
    }
  }
  if (!streams.size) return notObserved('quic.streams.bidirectional', { en: 'No STREAM frame was decoded.', zh: '没有解码出任何 STREAM 帧。' });
  const rows = [...streams.values()].map((s) => ({ implementation: s.implementation, stream: s.id, kind: s.id & 0x2 ? 'unidirectional' : 'bidirectional', openedBy: s.id & 0x1 ? 'server' : 'client', carriedDataFrom: [...s.senders].sort(), bytes: s.bytes }));
  const both = rows.filter((r) => r.carriedDataFrom.length === 2);
  const oneWay = rows.filter((r) => r.carriedDataFrom.length === 1);
  const oneWayUni = oneWay.filter((r) => r.kind === 'unidirectional');
  const observed = { streams: rows.map(({ bytes: _bytes, ...r }) => r) };
  const table: Evidence = { kind: 'table', title: 'Every stream that carried data: its ID, its kind by the ID\'s two low bits, and who sent data on it (bytes)', columns: ['implementation', 'stream', 'kind (by ID)', 'opened by', 'client sent', 'server sent'], rows: rows.map((r) => [r.implementation, r.stream, r.kind, r.openedBy, r.bytes['client'] ?? '', r.bytes['server'] ?? '']) };
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.streams.bidirectional', verdict, summary: en, summaryZh: zh, observed, evidence: [table] });
  const list = (rs: typeof rows) => [...new Set(rs.map((r) => r.stream))].sort((a, b) => a - b).join(', ');
  const bothText = { en: `stream ${list(both)} carried the request from the client and the response from the server (${[...new Set(both.map((r) => r.implementation))].join(' and ')})`, zh: `流 ${list(both)} 既承载客户端发出的请求，也承载服务器返回的响应（${[...new Set(both.map((r) => r.implementation))].join('、')}）` };
  if (!both.length) return result('refuted', `No stream carried data both ways: each of the ${rows.length} streams with data carried it from one side only (${rows.map((r) => `${r.implementation} ${r.stream} from the ${r.carriedDataFrom[0]}`).join(', ')}).`, `没有任何流双向承载数据：${rows.length} 个有数据的流都只由一方发送（${rows.map((r) => `${r.implementation} ${r.stream} 由${r.carriedDataFrom[0] === 'client' ? '客户端' : '服务器'}发送`).join('、')}）。`);
  if (!oneWayUni.length) return result('confirmed', `Every stream that carried data carried it both ways: ${bothText.en}.`, `每个有数据的流都双向承载了数据：${bothText.zh}。`);
  const fromClients = oneWayUni.filter((r) => r.openedBy === 'client');
  const fromServers = oneWayUni.filter((r) => r.openedBy === 'server');
  return result(
    'nuanced',
    `Only streams of the bidirectional kind: ${bothText.en}. The other ${oneWay.length} streams carried data one way only, from the side that opened them (${fromClients.length ? `${list(fromClients)} from the clients` : ''}${fromClients.length && fromServers.length ? ', ' : ''}${fromServers.length ? `${list(fromServers)} from the servers` : ''}): each is unidirectional by its ID (second-lowest bit set), here HTTP/3's control and QPACK streams. Whether a QUIC stream may carry data both ways is fixed by its ID when it is opened.`,
    `只有双向类型的流如此：${bothText.zh}。其余 ${oneWay.length} 个流只由打开它的一方单向发送数据（${fromClients.length ? `客户端的 ${list(fromClients).replace(/, /g, '、')}` : ''}${fromClients.length && fromServers.length ? '，' : ''}${fromServers.length ? `服务器的 ${list(fromServers).replace(/, /g, '、')}` : ''}）：它们的 ID 表明是单向流（次低位为 1），这里是 HTTP/3 的控制流和 QPACK 流。QUIC 流能否双向传输数据，在打开时就由其 ID 决定。`,
  );
}

export default defineLab({
  id: 'quic-handshake',
  title: 'The QUIC handshake: packet types and keys, number spaces, token, parameters, one round trip',
  topic: 'quic',
  claims: [
    'quic.header.tls-in-payload', 'quic.handshake.server-initial-flight', 'quic.handshake.client-finished', 'quic.handshake.initial-keys', 'quic.tls.built-in',
    'quic.packet-number-spaces', 'quic.handshake.one-rtt', 'quic.transport.udp-userspace', 'quic.handshake.first-token-empty', 'quic.handshake.server-initial-token',
    'quic.handshake.transport-parameters', 'quic.streams.flow-control',
    'quic.tls.v13', 'quic.handshake.client-hello-contents', 'quic.handshake.server-cid', 'quic.handshake.server-acks-client-initial', 'quic.handshake.client-acks-server-initial',
    'quic.handshake.server-response', 'quic.streams.bidirectional',
  ],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic', 'ngtcp2'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 25 ms apart each way (round trip measured with ping); quic-go (HTTP/3, UDP 443) and ngtcp2 (UDP 4433) servers; tcpdump on the client.',
    does: "One HTTP/3 request per implementation on a new connection (quic-go's to a URL naming no port), each client logging its TLS secrets.",
    observes: "Every QUIC packet decoded by tshark twice: with the key logs, and with no secrets (what anyone on the path can read); each hello's random, cipher suites and TLS versions, each side's connection IDs, which packets each ACK acknowledged and when, and which streams carried data each way.",
    zh: {
      title: 'QUIC 握手：包类型与密钥、包号空间、Token、传输参数、一个往返',
      starts: '客户端和服务端两个命名空间，单向各延迟 25 ms（用 ping 测量往返时间）；quic-go（HTTP/3，UDP 443）和 ngtcp2（UDP 4433）服务器；客户端上运行 tcpdump。',
      does: '每种实现各在一条新连接上发出一个 HTTP/3 请求（quic-go 请求的 URL 不写端口），客户端记录 TLS 密钥。',
      observes: 'tshark 对每个 QUIC 包解码两次：一次使用密钥日志，一次不用任何密钥（即路径上任何人都能读到的内容）；每个 hello 的随机数、密码套件和 TLS 版本，双方的连接 ID，每个 ACK 确认了哪些包、何时确认，以及哪些流双向承载了数据。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { a: { delayMs: 25 }, b: { delayMs: 25 } } }],
    },
  },
  async run(ctx) {
    const { observation: o, files } = await observeQuicConnections(ctx, ctx.hosts.client!, ctx.hosts.server!);
    return [
      judgeTlsInPayload(o.packets),
      judgeServerInitialFlight(o.packets),
      judgeClientFinished(o.packets),
      judgeInitialKeys(o),
      judgeTlsBuiltIn(o),
      judgePacketNumberSpaces(o.packets),
      judgeOneRtt(o),
      judgeUdpUserspace(o),
      judgeFirstTokenEmpty(o.packets),
      judgeServerInitialToken(o.packets),
      judgeTransportParameters(o.packets),
      judgeFlowControl(o.packets),
      judgeTlsV13(o.packets),
      judgeClientHelloContents(o),
      judgeServerCid(o.packets),
      judgeServerAcksClientInitial(o.packets),
      judgeClientAcksServerInitial(o),
      judgeServerResponse(o),
      judgeBidirectional(o.packets),
    ].map((c) => withEvidence(c, ...files));
  },
});
