import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import type { ConnectionsObservation } from '../../src/systems/quic-connections.ts';
import { decodeQuic } from '../../src/observers/quic.ts';
import { parsePingSummary } from '../../src/observers/ping.ts';
import { parseStraceSummary } from '../../src/observers/strace.ts';
import {
  judgeCidLength, judgeFixedBit, judgeLongForm, judgeLongLayout, judgePacketNumberLength, judgePayloadLength, judgeShortForm, judgeShortReservedBits,
} from '../../labs/quic/headers.lab.ts';
import {
  carriers, judgeClientFinished, judgeFirstTokenEmpty, judgeFlowControl, judgeInitialKeys, judgeOneRtt, judgePacketNumberSpaces, judgeServerInitialFlight,
  judgeServerInitialToken, judgeTlsBuiltIn, judgeTlsInPayload, judgeTransportParameters, judgeUdpUserspace,
} from '../../labs/quic/handshake.lab.ts';
import { judgeForwardSecrecy, judgeH3ZeroRtt, judgeTlsZeroRtt, judgeTokenAntiReplay, judgeZeroRtt, type ResumptionObservation } from '../../labs/quic/resumption.lab.ts';
import { echoEffect, judgeAckRanges, judgeHttpTransport, judgeFastRetransmit, judgeH2TcpHol, judgeH3Quic, judgeQuicNoHol, judgeUdpRealtime, outcomeOf, type EchoTrial, type Trial } from '../../labs/quic/streams.lab.ts';
import { judgeMigration, judgeSameKeys, type MigrationObservation } from '../../labs/quic/migration.lab.ts';
import { judgeFewerSwitches, type Download } from '../../labs/quic/cost.lab.ts';
import type { ServedRequest } from '../../src/resources/quic-peer.ts';
import { judgePluggable, type Download as CcDownload } from '../../labs/quic/congestion.lab.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

/** One quic-go and one ngtcp2 connection across a 50 ms link, decoded with and without the key logs (a real run of quic-handshake). */
const connections = realSample<ConnectionsObservation>('quic-connections-observation.json.gz');
const packets = connections.real.packets;
type Packet = ConnectionsObservation['packets'][number];
const withPackets = (change: (p: Packet[]) => Packet[] | void) => connections.altered((o) => { o.packets = change(o.packets) ?? o.packets; }).packets;
/** A resumed quic-go connection in 0-RTT and a replay of its first flight (a real run of quic-resumption). */
const resumption = realSample<ResumptionObservation>('quic-resumption-observation.json.gz');
/** Three HTTP/2 and three HTTP/3 trials, one packet dropped in each, and 100 messages echoed over UDP and TCP with one drop (a real run of quic-streams). */
const streams = realSample<{ rttMs: number; trials: Trial[]; echoes: EchoTrial[]; served: ServedRequest[] }>('quic-streams-trials.json.gz');
const { rttMs } = streams.real;
/** A quic-go connection moved to a new client port, and another moved in the middle of a download (a real run of quic-migration). */
const migration = realSample<MigrationObservation>('quic-migration-observation.json.gz');
/** A 1 MB download three times under each of ngtcp2's congestion controllers, 1% loss (a real run of quic-congestion). */
const controllers = realSample<CcDownload[]>('quic-congestion-downloads.json.gz');
/** 20 MB over HTTP/2 and over HTTP/3, system calls and CPU time (a real run of quic-cost). */
const cost = realSample<Download[]>('quic-cost-downloads.json.gz');

describe('QUIC observer', () => {
  it('decodes every packet of a real capture, each header field with its offset and size', async () => {
    const decoded = await decodeQuic(fixture('quic-two-implementations.pcap'), { keylog: fixture('quic-two-implementations.keys'), ports: [443, 4433] });
    const initial = decoded.find((p) => p.type === 'Initial')!;
    expect(initial.fields['version']).toMatchObject({ offset: 1, bytes: 4, value: '0x00000001' });
    expect(initial.fields['dcil']!.offset).toBe(5);
    expect(initial.firstByteOnWire >> 6).toBe(3);
    expect(new Set(decoded.map((p) => p.type))).toEqual(new Set(['Initial', 'Handshake', '1-RTT']));
    expect(decoded.every((p) => p.decrypted)).toBe(true);
    expect(decoded.flatMap((p) => p.frames.flatMap((f) => f.tls))).toContain('ClientHello');
    const undecrypted = await decodeQuic(fixture('quic-two-implementations.pcap'), { ports: [443, 4433] });
    expect(undecrypted.filter((p) => p.type === 'Handshake').every((p) => !p.decrypted)).toBe(true);
  });

  it('reads ping and strace -c summaries as the tools print them', () => {
    expect(parsePingSummary(readFileSync(fixture('ping-loopback.txt'), 'utf8'))).toMatchObject({ count: 3, minMs: 0.049, avgMs: 0.051 });
    expect(() => parsePingSummary('3 packets transmitted, 0 received, 100% packet loss')).toThrow('no round trip');
    const summary = parseStraceSummary(readFileSync(fixture('strace-c-ls.txt'), 'utf8'));
    expect(summary.calls).toBe(summary.bySyscall.reduce((n, s) => n + s.calls, 0));
    expect(summary.errors).toBeGreaterThan(0);
    expect(() => parseStraceSummary('nothing')).toThrow('no strace -c summary');
  });
});

describe('QUIC headers', () => {
  it('long form: confirmed on the real packets, refuted by a short first bit, unverifiable without packets', () => {
    expect(judgeLongForm(packets).verdict).toBe('confirmed');
    expect(judgeLongForm(withPackets((ps) => { ps.find((p) => p.form === 'long')!.firstByteOnWire &= 0x7f; })).verdict).toBe('refuted');
    expect(judgeLongForm([]).verdict).toBe('unverifiable');
  });

  it('fixed bit: refuted by ngtcp2 greasing it in some connections; confirmed had none of them', () => {
    const result = judgeFixedBit(connections.real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed['ngtcp2ConnectionsGreased']).toBeGreaterThan(0);
    const noGrease = connections.altered((o) => {
      o.packets = o.packets.filter((p) => p.implementation === 'quic-go');
      o.greaseProbe.greased = 0;
    });
    expect(judgeFixedBit(noGrease).verdict).toBe('confirmed');
    expect(judgeFixedBit(connections.altered((o) => { o.packets = []; })).verdict).toBe('unverifiable');
  });

  it('long layout: refuted by the length bytes and token; confirmed when a header holds only the drawn fields', () => {
    expect(judgeLongLayout(packets).observed['notInTheSheet']).toEqual(['dcil', 'scil', 'token_length']);
    expect(judgeLongLayout(packets).verdict).toBe('refuted');
    const drawnOnly = withPackets((ps) => ps.forEach((p) => { for (const f of ['dcil', 'scil', 'token_length', 'token']) delete p.fields[f]; }));
    expect(judgeLongLayout(drawnOnly).verdict).toBe('confirmed');
    expect(judgeLongLayout(packets.filter((p) => p.type !== 'Initial')).verdict).toBe('unverifiable');
  });

  it('connection-ID length: refuted by the real high nibbles; confirmed if they matched', () => {
    expect(judgeCidLength(packets).verdict).toBe('refuted');
    const matching = withPackets((ps) => ps.forEach((p) => { if (p.fields['dcil']) p.fields['dcil'].value = String(p.firstByteOnWire >> 4); }));
    expect(judgeCidLength(matching).verdict).toBe('confirmed');
    expect(judgeCidLength([]).verdict).toBe('unverifiable');
  });

  it('payload length: refuted (a varint that counts the packet number); confirmed for a 2-byte payload-only length', () => {
    const real = judgePayloadLength(packets);
    expect(real.verdict).toBe('refuted');
    expect(real.observed['lengthCountsPacketNumber']).toBe(packets.filter((p) => p.form === 'long' && p.length !== undefined).length);
    const payloadOnly = withPackets((ps) => ps.forEach((p) => {
      if (p.length === undefined || !p.fields['packet_number']) return;
      p.length = p.packetBytes - p.fields['packet_number'].offset - p.packetNumberBytes!;
      p.lengthBytes = 2;
    }));
    expect(judgePayloadLength(payloadOnly).verdict).toBe('confirmed');
    expect(judgePayloadLength([]).verdict).toBe('unverifiable');
  });

  it('packet-number length: refuted by lengths varying within a type, or read from the first byte; nuanced when the bits disagree', () => {
    expect(judgePacketNumberLength(packets).verdict).toBe('refuted');
    const oneLength = withPackets((ps) => ps.forEach((p) => { p.packetNumberBytes = 2; p.bits['packet_number_length'] = 1; }));
    expect(judgePacketNumberLength(oneLength).verdict).toBe('refuted');
    expect(judgePacketNumberLength(oneLength).observed['lengthMatchesFirstByteBits']).toBe(true);
    const bitsDisagree = withPackets((ps) => ps.forEach((p) => { p.packetNumberBytes = 2; p.bits['packet_number_length'] = 0; }));
    expect(judgePacketNumberLength(bitsDisagree).verdict).toBe('nuanced');
    expect(judgePacketNumberLength([]).verdict).toBe('unverifiable');
  });

  it('short form: confirmed; refuted by a 21-byte connection ID', () => {
    expect(judgeShortForm(packets).verdict).toBe('confirmed');
    expect(judgeShortForm(withPackets((ps) => { ps.find((p) => p.form === 'short')!.fields['dcid']!.bytes = 21; })).verdict).toBe('refuted');
    expect(judgeShortForm([]).verdict).toBe('unverifiable');
  });

  it('short reserved bits: refuted by non-zero packet-number-length bits; unverifiable when every number took one byte', () => {
    expect(judgeShortReservedBits(packets).verdict).toBe('refuted');
    expect(judgeShortReservedBits(withPackets((ps) => ps.forEach((p) => { p.bits['packet_number_length'] = 0; }))).verdict).toBe('unverifiable');
  });
});

describe('QUIC handshake', () => {
  /** The packets with those carrying any of these TLS messages given another packet type. */
  const retype = (messages: string[], type: Packet['type'], from?: 'client' | 'server') =>
    withPackets((ps) => ps.forEach((p) => { if ((!from || p.from === from) && p.frames.some((f) => f.tls.some((m) => messages.includes(m)))) p.type = type; }));

  it('finds where every TLS message travelled', () => {
    const c = carriers(packets);
    expect(c.filter((x) => x.message === 'ServerHello').map((x) => x.packet)).toEqual(['Initial', 'Initial']);
    expect(c.filter((x) => x.message === 'Certificate').map((x) => x.packet)).toEqual(['Handshake', 'Handshake']);
  });

  it('TLS in payload: refuted by ServerHello in Initial; confirmed had it gone in a Handshake packet', () => {
    expect(judgeTlsInPayload(packets).verdict).toBe('refuted');
    expect(judgeTlsInPayload(retype(['ServerHello'], 'Handshake')).verdict).toBe('confirmed');
    expect(judgeTlsInPayload([]).verdict).toBe('unverifiable');
  });

  it("server Initial flight: refuted; confirmed had the whole flight been in Initial packets", () => {
    expect(judgeServerInitialFlight(packets).verdict).toBe('refuted');
    expect(judgeServerInitialFlight(retype(['EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'], 'Initial', 'server')).verdict).toBe('confirmed');
    expect(judgeServerInitialFlight([]).verdict).toBe('unverifiable');
  });

  it("client Finished: refuted (a Handshake packet); confirmed in a 1-RTT packet", () => {
    expect(judgeClientFinished(packets).verdict).toBe('refuted');
    expect(judgeClientFinished(retype(['Finished'], '1-RTT', 'client')).verdict).toBe('confirmed');
    expect(judgeClientFinished([]).verdict).toBe('unverifiable');
  });

  it('initial keys: refuted because tshark opened Initials with no secrets; unverifiable when it could not', () => {
    const result = judgeInitialKeys(connections.real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed['otherPacketsDecryptedWithoutKeys']).toBe(0);
    expect(judgeInitialKeys(connections.altered((o) => o.withoutKeys.forEach((p) => { p.decrypted = false; }))).verdict).toBe('unverifiable');
    expect(judgeInitialKeys(connections.altered((o) => { o.withoutKeys = []; })).verdict).toBe('unverifiable');
  });

  it('TLS built in: nuanced (Initials readable by anyone); confirmed if nothing were; refuted without transport parameters', () => {
    expect(judgeTlsBuiltIn(connections.real).verdict).toBe('nuanced');
    expect(judgeTlsBuiltIn(connections.altered((o) => o.withoutKeys.forEach((p) => { p.decrypted = false; }))).verdict).toBe('confirmed');
    expect(judgeTlsBuiltIn(connections.altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { f.transportParameters = []; })))).verdict).toBe('refuted');
    expect(judgeTlsBuiltIn(connections.altered((o) => { o.packets = []; })).verdict).toBe('unverifiable');
  });

  it('packet-number spaces: nuanced (quic-go numbers across them); confirmed on ngtcp2 alone; refuted by an ACK of another space', () => {
    const result = judgePacketNumberSpaces(packets);
    expect(result.verdict).toBe('nuanced');
    expect(judgePacketNumberSpaces(packets.filter((p) => p.implementation === 'ngtcp2')).verdict).toBe('confirmed');
    const crossing = withPackets((ps) => {
      const serverOneRtt = ps.find((p) => p.implementation === 'quic-go' && p.from === 'server' && p.type === '1-RTT' && p.packetNumber! > 1)!;
      const clientInitialAck = ps.find((p) => p.implementation === 'quic-go' && p.from === 'client' && p.type === 'Initial' && p.frames.some((f) => f.type === 'ACK'))!;
      clientInitialAck.frames.find((f) => f.type === 'ACK')!.largestAcknowledged = serverOneRtt.packetNumber;
    });
    expect(judgePacketNumberSpaces(crossing).verdict).toBe('refuted');
    expect(judgePacketNumberSpaces([]).verdict).toBe('unverifiable');
  });

  it('one round trip: confirmed at the measured RTT; refuted had the round trip been a fifth as long', () => {
    expect(judgeOneRtt(connections.real).verdict).toBe('confirmed');
    expect(judgeOneRtt(connections.altered((o) => { o.rtt.avgMs /= 5; })).verdict).toBe('refuted');
    expect(judgeOneRtt(connections.altered((o) => { o.packets = []; })).verdict).toBe('unverifiable');
  });

  it('UDP in user space on 443: confirmed; nuanced with QUIC in the kernel; refuted on another port', () => {
    expect(judgeUdpUserspace(connections.real).verdict).toBe('confirmed');
    expect(judgeUdpUserspace(connections.altered((o) => o.kernelProtocols.push('QUIC'))).verdict).toBe('nuanced');
    expect(judgeUdpUserspace(connections.altered((o) => { o.portForUrlWithoutPort = 8443; })).verdict).toBe('refuted');
    expect(judgeUdpUserspace(connections.altered((o) => { o.portForUrlWithoutPort = 0; })).verdict).toBe('unverifiable');
  });

  it('tokens: the first Initial carries none (confirmed); the server Initial carries none either (refuted)', () => {
    expect(judgeFirstTokenEmpty(packets).verdict).toBe('confirmed');
    expect(judgeFirstTokenEmpty(withPackets((ps) => ps.forEach((p) => { if (p.from === 'client' && p.type === 'Initial') p.tokenLength = 16; }))).verdict).toBe('refuted');
    expect(judgeFirstTokenEmpty([]).verdict).toBe('unverifiable');
    expect(judgeServerInitialToken(packets).verdict).toBe('refuted');
    expect(judgeServerInitialToken(withPackets((ps) => ps.forEach((p) => { if (p.from === 'server' && p.type === 'Initial') p.tokenLength = 16; }))).verdict).toBe('confirmed');
    expect(judgeServerInitialToken([]).verdict).toBe('unverifiable');
  });

  it('transport parameters: refuted (no congestion control); confirmed if one were sent; flow control at both levels confirmed', () => {
    expect(judgeTransportParameters(packets).verdict).toBe('refuted');
    const withCc = withPackets((ps) => ps.forEach((p) => p.frames.forEach((f) => { if (f.tls.includes('ClientHello')) f.transportParameters.push('congestion_control'); })));
    expect(judgeTransportParameters(withCc).verdict).toBe('confirmed');
    expect(judgeTransportParameters([]).verdict).toBe('unverifiable');
    expect(judgeFlowControl(packets).verdict).toBe('confirmed');
    expect(judgeFlowControl(withPackets((ps) => ps.forEach((p) => p.frames.forEach((f) => { f.transportParameters = f.transportParameters.filter((n) => n !== 'initial_max_data'); })))).verdict).toBe('refuted');
    expect(judgeFlowControl([]).verdict).toBe('unverifiable');
  });
});

describe('QUIC 0-RTT', () => {
  const noReplayServed = resumption.altered((o) => { o.served = o.served.filter((r) => !r.remote.endsWith(`:${o.replayedFrom.split(':').pop()}`)); });
  const noEarly = resumption.altered((o) => o.packets.forEach((p) => { if (p.type === '0-RTT') p.type = '1-RTT'; }));

  it('0-RTT: nuanced on the resumed connection (early data in its first flight, not its first datagram, and none on the first connection); refuted without 0-RTT packets; unverifiable without the connection', () => {
    expect(judgeZeroRtt(resumption.real).verdict).toBe('nuanced');
    expect(judgeZeroRtt(noEarly).verdict).toBe('refuted');
    expect(judgeZeroRtt(resumption.altered((o) => { o.packets = o.packets.filter((p) => p.connection !== 'resumed'); })).verdict).toBe('unverifiable');
  });

  it('HTTP/3 timing: confirmed (the first request after a round trip, the resumed one in the first flight); refuted had the first request waited two; unverifiable without it', () => {
    const real = judgeH3ZeroRtt(resumption.real);
    expect(real.verdict).toBe('confirmed');
    expect(real.observed['requestLeftAfterRtts']).toMatchObject({ first: 1.08, resumed: 0, resumedBeforeAnyReply: true });
    const late = resumption.altered((o) => o.packets.filter((p) => p.connection === 'full' && p.frames.some((f) => f.type === 'STREAM' && f.stream === 0)).forEach((p) => { p.timeMs += 2 * o.rttMs; }));
    expect(judgeH3ZeroRtt(late).verdict).toBe('refuted');
    const noZeroRtt = resumption.altered((o) => { o.packets.forEach((p) => { if (p.type === '0-RTT') p.type = '1-RTT'; }); o.resumed.used0RTT = false; });
    expect(judgeH3ZeroRtt(noZeroRtt).verdict).toBe('refuted');
    // The client says it used 0-RTT but the capture shows no 0-RTT packet: the capture is incomplete.
    expect(judgeH3ZeroRtt(noEarly).verdict).toBe('unverifiable');
    expect(judgeH3ZeroRtt(resumption.altered((o) => { o.packets = o.packets.filter((p) => p.connection !== 'full'); })).verdict).toBe('unverifiable');
  });

  it('TLS early data: confirmed (sent early and replayed); nuanced when the replay is refused; unverifiable without early data', () => {
    expect(judgeTlsZeroRtt(resumption.real).verdict).toBe('confirmed');
    expect(judgeTlsZeroRtt(resumption.real).observed['requestsServedFromReplay']).toBe(1);
    expect(judgeTlsZeroRtt(noReplayServed).verdict).toBe('nuanced');
    expect(judgeTlsZeroRtt(noEarly).verdict).toBe('unverifiable');
  });

  it('token against replay: refuted (the replay carried it and was served); confirmed had the replay been refused', () => {
    expect(judgeTokenAntiReplay(resumption.real).verdict).toBe('refuted');
    expect(judgeTokenAntiReplay(noReplayServed).verdict).toBe('confirmed');
    expect(judgeTokenAntiReplay(resumption.altered((o) => o.packets.forEach((p) => { p.tokenLength = 0; }))).verdict).toBe('unverifiable');
  });

  it('forward secrecy: nuanced (0-RTT data before any key share); confirmed without 0-RTT; refuted without key shares', () => {
    expect(judgeForwardSecrecy(resumption.real).verdict).toBe('nuanced');
    expect(judgeForwardSecrecy(noEarly).verdict).toBe('confirmed');
    expect(judgeForwardSecrecy(resumption.altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { f.tlsExtensions = f.tlsExtensions.filter((e) => e !== 51); })))).verdict).toBe('refuted');
    expect(judgeForwardSecrecy(resumption.altered((o) => { o.packets = []; })).verdict).toBe('unverifiable');
  });
});

describe('head-of-line blocking', () => {
  const { trials } = streams.real;
  /** The trials as if the application had received nothing in the window after each drop. */
  const silent = (proto: 'h2' | 'h3') => streams.altered((o) => o.trials.filter((t) => t.proto === proto).forEach((t) => t.streams.forEach((s) => {
    const at = t.droppedAtMs!;
    s.reads = s.reads.filter(([ms]) => ms <= at || ms > at + rttMs);
  }))).trials;

  it('finds the window after each real drop', () => {
    expect(trials.every((t) => t.dropped === 1)).toBe(true);
    expect(trials.filter((t) => t.proto === 'h2').map((t) => outcomeOf(t, rttMs).outcome)).toEqual(['all-streams-waited', 'all-streams-waited', 'all-streams-waited']);
    expect(trials.filter((t) => t.proto === 'h3').map((t) => outcomeOf(t, rttMs).outcome)).toEqual(['streams-kept-receiving', 'streams-kept-receiving', 'streams-kept-receiving']);
    expect(outcomeOf({ ...trials[0]!, arrivedAfterDropMs: [] }, rttMs).outcome).toBe('nothing-arrived');
    const h3 = trials.find((t) => t.proto === 'h3')!;
    const everyStream = { ...h3, recovery: { ...h3.recovery!, lostStreamFrames: [4, 8, 12].map((stream) => ({ stream, offset: 0, length: 300 })) } };
    expect(outcomeOf(everyStream, rttMs).outcome).toBe('lost-packet-carried-every-stream');
    expect(outcomeOf({ ...trials[0]!, dropped: 0 }, rttMs).outcome).toBe('no-drop');
  });

  it('QUIC streams: confirmed; refuted had the other streams received nothing; unverifiable without a drop', () => {
    expect(judgeQuicNoHol(trials, rttMs).verdict).toBe('confirmed');
    expect(judgeQuicNoHol(silent('h3'), rttMs).verdict).toBe('refuted');
    expect(judgeQuicNoHol(trials.map((t) => ({ ...t, dropped: 0 })), rttMs).verdict).toBe('unverifiable');
    const everyStreamHit = streams.altered((o) => o.trials.forEach((t) => t.recovery?.lostStreamFrames.splice(0, Infinity, ...[4, 8, 12].map((stream) => ({ stream, offset: 0, length: 300 }))))).trials;
    expect(judgeQuicNoHol(everyStreamHit, rttMs).verdict).toBe('unverifiable');
  });

  it('HTTP/2 over TCP: confirmed; refuted had bytes reached the streams before the retransmission', () => {
    expect(judgeH2TcpHol(trials, rttMs).verdict).toBe('confirmed');
    const leaky = streams.altered((o) => o.trials.filter((t) => t.proto === 'h2').forEach((t) => {
      const s = t.streams[0]!;
      const before = s.reads.filter(([ms]) => ms <= t.droppedAtMs!).at(-1)?.[1] ?? 0;
      s.reads.push([t.droppedAtMs! + 1, before + 100]);
      s.reads.sort((a, b) => a[0] - b[0]);
    })).trials;
    expect(judgeH2TcpHol(leaky, rttMs).verdict).toBe('refuted');
    expect(judgeH2TcpHol(trials.map((t) => ({ ...t, dropped: 0 })), rttMs).verdict).toBe('unverifiable');
  });

  it('HTTP/3 "completely": nuanced (the lost stream still waited); refuted if all streams waited; unverifiable without recovery', () => {
    expect(judgeH3Quic(trials, rttMs).verdict).toBe('nuanced');
    expect(judgeH3Quic(silent('h3'), rttMs).verdict).toBe('refuted');
    expect(judgeH3Quic(trials.map((t) => ({ ...t, recovery: undefined })), rttMs).verdict).toBe('unverifiable');
  });

  it('loss recovery: refuted (ACKs of later packets, no duplicates); nuanced if resent before any; unverifiable without it', () => {
    expect(judgeFastRetransmit(trials, rttMs).verdict).toBe('refuted');
    expect(judgeFastRetransmit(trials, rttMs).observed['newPacketNumbers']).toBe(true);
    expect(judgeFastRetransmit(streams.altered((o) => o.trials.forEach((t) => { if (t.recovery) t.recovery.acksBefore = []; })).trials, rttMs).verdict).toBe('nuanced');
    expect(judgeFastRetransmit(trials.map((t) => ({ ...t, recovery: undefined })), rttMs).verdict).toBe('unverifiable');
  });

  it('ACK ranges: nuanced (selective, but of packets); refuted with no gap; unverifiable with no ACK', () => {
    expect(judgeAckRanges(trials).verdict).toBe('nuanced');
    expect(judgeAckRanges(streams.altered((o) => o.trials.forEach((t) => t.recovery?.acksBefore.forEach((a) => { a.ackRanges = 0; }))).trials).verdict).toBe('refuted');
    expect(judgeAckRanges(streams.altered((o) => o.trials.forEach((t) => { if (t.recovery) t.recovery.acksBefore = []; })).trials).verdict).toBe('unverifiable');
  });
});

describe('what a loss costs UDP and TCP messages', () => {
  const { echoes } = streams.real;

  it('finds the lost UDP message and the late TCP ones', () => {
    const udp = echoEffect(echoes.find((e) => e.proto === 'udp')!);
    const tcp = echoEffect(echoes.find((e) => e.proto === 'tcp')!);
    expect(udp.lost).toHaveLength(1);
    expect(udp.late).toEqual([]);
    expect(tcp.lost).toEqual([]);
    expect(tcp.late.length).toBeGreaterThan(1);
  });

  it('confirmed on the real runs; refuted had the UDP messages behind the loss waited too; unverifiable without one drop each', () => {
    expect(judgeUdpRealtime(echoes).verdict).toBe('confirmed');
    const lost = echoEffect(echoes.find((e) => e.proto === 'udp')!).lost[0]!;
    const delay = (from: number, to: number) => streams.altered((o) => o.echoes.find((e) => e.proto === 'udp')!.messages.filter((m) => m.seq >= from && m.seq <= to).forEach((m) => { m.rttMs = 500; })).echoes;
    expect(judgeUdpRealtime(delay(lost + 1, lost + 3))).toMatchObject({ verdict: 'refuted', observed: { udpLateBehindLoss: [lost + 1, lost + 2, lost + 3] } });
    // One message stalled by the scheduler far from the loss (as under a loaded machine) is jitter, not a wait.
    const far = lost > 50 ? 5 : 90;
    const jittered = judgeUdpRealtime(delay(far, far));
    expect(jittered).toMatchObject({ verdict: 'confirmed', observed: { udpLateBehindLoss: [] } });
    expect(jittered.summary).toContain(`1 elsewhere, ${far}, late by the scheduler`);
    expect(judgeUdpRealtime(echoes.map((e) => ({ ...e, dropped: 0 }))).verdict).toBe('unverifiable');
  });
});

describe('HTTP over TCP, TLS or QUIC', () => {
  it('nuanced: the same requests answered over TLS on TCP and over QUIC; unverifiable without HTTP/3', () => {
    const result = judgeHttpTransport(streams.real.served);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed['http3OverQuicUdp']).toBeGreaterThan(0);
    expect(judgeHttpTransport(streams.real.served.filter((r) => r.proto !== 'HTTP/3.0')).verdict).toBe('unverifiable');
  });
});

describe('QUIC migration and cost', () => {
  it('migration: nuanced (the connection moved, but the download moved with it paused 98.3 ms and halved its pace); refuted without PATH_RESPONSE; unverifiable without the new path', () => {
    expect(judgeMigration(migration.real).verdict).toBe('nuanced');
    expect(judgeMigration(migration.real).observed['newPathUsedFreshConnectionId']).toBe(true);
    expect(judgeMigration(migration.altered((o) => o.packets.forEach((p) => { p.frames = p.frames.filter((f) => f.type !== 'PATH_RESPONSE'); }))).verdict).toBe('refuted');
    expect(judgeMigration(migration.altered((o) => { o.newPort = 1; })).verdict).toBe('unverifiable');
  });

  it('same keys: confirmed; refuted by a handshake packet after the move', () => {
    expect(judgeSameKeys(migration.real).verdict).toBe('confirmed');
    expect(judgeSameKeys(migration.altered((o) => { o.packets.at(-1)!.type = 'Handshake'; })).verdict).toBe('refuted');
    expect(judgeSameKeys(migration.altered((o) => { o.newPort = 1; })).verdict).toBe('unverifiable');
  });

  it('pluggable congestion control: confirmed (the controllers differ under loss); nuanced had they not; unverifiable with one', () => {
    expect(judgePluggable(controllers.real).verdict).toBe('confirmed');
    expect(judgePluggable(controllers.altered((d) => d.forEach((x) => { x.seconds = 1; }))).verdict).toBe('nuanced');
    expect(judgePluggable(controllers.real.filter((d) => d.controller === 'bbr')).verdict).toBe('unverifiable');
  });

  it('fewer switches: refuted on the real counts; confirmed had QUIC made half the system calls', () => {
    expect(judgeFewerSwitches(cost.real).verdict).toBe('refuted');
    const halved = cost.altered((d) => { const q = d.find((x) => x.proto === 'h3')!; q.syscalls.calls = Math.round(d.find((x) => x.proto === 'h2')!.syscalls.calls / 2); });
    expect(judgeFewerSwitches(halved).verdict).toBe('confirmed');
    expect(judgeFewerSwitches(cost.altered((d) => { d[0]!.bytes = 0; })).verdict).toBe('unverifiable');
  });
});
