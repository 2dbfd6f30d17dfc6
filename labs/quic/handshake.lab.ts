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

export default defineLab({
  id: 'quic-handshake',
  title: 'The QUIC handshake: packet types and keys, number spaces, token, parameters, one round trip',
  topic: 'quic',
  claims: [
    'quic.header.tls-in-payload', 'quic.handshake.server-initial-flight', 'quic.handshake.client-finished', 'quic.handshake.initial-keys', 'quic.tls.built-in',
    'quic.packet-number-spaces', 'quic.handshake.one-rtt', 'quic.transport.udp-userspace', 'quic.handshake.first-token-empty', 'quic.handshake.server-initial-token',
    'quic.handshake.transport-parameters', 'quic.streams.flow-control',
  ],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic', 'ngtcp2'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 25 ms apart each way (round trip measured with ping); quic-go (HTTP/3, UDP 443) and ngtcp2 (UDP 4433) servers; tcpdump on the client.',
    does: "One HTTP/3 request per implementation on a new connection (quic-go's to a URL naming no port), each client logging its TLS secrets.",
    observes: 'Every QUIC packet decoded by tshark twice: with the key logs, and with no secrets (what anyone on the path can read).',
    zh: {
      title: 'QUIC 握手：包类型与密钥、包号空间、Token、传输参数、一个往返',
      starts: '客户端和服务端两个命名空间，单向各延迟 25 ms（用 ping 测量往返时间）；quic-go（HTTP/3，UDP 443）和 ngtcp2（UDP 4433）服务器；客户端上运行 tcpdump。',
      does: '每种实现各在一条新连接上发出一个 HTTP/3 请求（quic-go 请求的 URL 不写端口），客户端记录 TLS 密钥。',
      observes: 'tshark 对每个 QUIC 包解码两次：一次使用密钥日志，一次不用任何密钥（即路径上任何人都能读到的内容）。',
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
    ].map((c) => withEvidence(c, ...files));
  },
});
