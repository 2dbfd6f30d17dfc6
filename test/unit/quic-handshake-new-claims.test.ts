/**
 * The seven claims quic-handshake now decides (quic.tls.v13, quic.handshake.client-hello-contents, server-cid,
 * server-acks-client-initial, client-acks-server-initial, server-response, quic.streams.bidirectional), judged on the
 * real observation of a quic-handshake run (one quic-go v0.65.0 and one ngtcp2 0.12.1 connection across a 50 ms round
 * trip; test/fixtures/quic-connections-observation.json.gz) and on altered copies for the other verdicts.
 *
 * That observation predates two things the QUIC observer now reads from tshark: each ClientHello's and ServerHello's
 * fields (random, cipher suites, supported_versions, session_ticket: QuicFrame.hello) and each ACK frame's first range
 * (QuicFrame.firstAckRange). The capture and key log of the same run are kept beside it
 * (test/fixtures/quic-two-implementations.pcap/.keys: the same connection IDs and packet numbers), so the test decodes
 * them with the observer and adds those two fields to the fixture's frames; the fixture will be recaptured from a run.
 */
import { describe, expect, it } from 'vitest';
import {
  acknowledges, judgeBidirectional, judgeClientAcksServerInitial, judgeClientHelloContents, judgeServerAcksClientInitial, judgeServerCid, judgeServerResponse, judgeTlsV13,
} from '../../labs/quic/handshake.lab.ts';
import { decodeQuic } from '../../src/observers/quic.ts';
import type { ConnectionsObservation } from '../../src/systems/quic-connections.ts';
import { realSample } from '../helpers/samples.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const sample = realSample<ConnectionsObservation>('quic-connections-observation.json.gz');
const decoded = await decodeQuic(fixture('quic-two-implementations.pcap'), { keylog: fixture('quic-two-implementations.keys'), ports: [443, 4433] });

/** The fixture with each frame's hello and first ACK range as the observer decodes them from the same run's capture. */
function extended(o: ConnectionsObservation): ConnectionsObservation {
  const copy = structuredClone(o);
  for (const p of copy.packets) {
    const d = decoded.find((x) => x.datagram === p.datagram && x.type === p.type && x.packetNumber === p.packetNumber);
    if (!d) throw new Error(`datagram ${p.datagram} ${p.type} #${p.packetNumber} is not in the capture`);
    p.frames.forEach((f, i) => {
      const g = d.frames[i]!;
      expect(g.type).toBe(f.type);
      if (g.hello) f.hello = g.hello;
      if (g.firstAckRange !== undefined) f.firstAckRange = g.firstAckRange;
    });
  }
  return copy;
}
const real = extended(sample.real);
const altered = (change: (o: ConnectionsObservation) => void) => { const copy = structuredClone(real); change(copy); return copy; };
type Packet = ConnectionsObservation['packets'][number];
const find = (o: ConnectionsObservation, implementation: string, from: string, test: (p: Packet) => boolean) => o.packets.find((p) => p.implementation === implementation && p.from === from && test(p))!;

describe('the observer reads the hellos and the ACK ranges from the capture', () => {
  it('finds each hello once per side and a first range on every ACK frame', () => {
    expect(real.packets.flatMap((p) => p.frames.flatMap((f) => (f.hello ? [`${p.implementation} ${f.hello.message}`] : [])))).toEqual(['quic-go ClientHello', 'quic-go ServerHello', 'ngtcp2 ClientHello', 'ngtcp2 ServerHello']);
    expect(real.packets.every((p) => p.frames.every((f) => f.type !== 'ACK' || f.firstAckRange !== undefined))).toBe(true);
    expect(acknowledges({ largestAcknowledged: 1, firstAckRange: 1 }, 0)).toBe(true);
    expect(acknowledges({ largestAcknowledged: 1, firstAckRange: 0 }, 0)).toBe(false);
  });
});

describe('quic.tls.v13', () => {
  it('is confirmed on the real run: both offered and chose TLS 1.3 only, in CRYPTO frames, with the transport parameters inside', () => {
    const result = judgeTlsV13(real.packets);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['handshakes']).toEqual([
      { implementation: 'quic-go', offered: ['0x0304'], chosen: '0x0304', clientHelloTransportParameters: 11, encryptedExtensionsTransportParameters: 13, tlsMessagesInCryptoFrames: 5, tlsMessagesElsewhere: 0 },
      { implementation: 'ngtcp2', offered: ['0x0304'], chosen: '0x0304', clientHelloTransportParameters: 10, encryptedExtensionsTransportParameters: 13, tlsMessagesInCryptoFrames: 5, tlsMessagesElsewhere: 0 },
    ]);
  });

  it('is refuted by a server choosing TLS 1.2 or a ClientHello without transport parameters; unverifiable on the fixture as captured (no hello fields)', () => {
    const tls12 = altered((o) => { find(o, 'ngtcp2', 'server', (p) => p.frames.some((f) => f.hello)).frames.find((f) => f.hello)!.hello!.supportedVersions = ['0x0303']; });
    expect(judgeTlsV13(tls12.packets).verdict).toBe('refuted');
    const noParameters = altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { if (f.hello?.message === 'ClientHello') f.transportParameters = []; })));
    expect(judgeTlsV13(noParameters.packets).verdict).toBe('refuted');
    expect(judgeTlsV13(sample.real.packets).verdict).toBe('unverifiable');
  });
});

describe('quic.handshake.client-hello-contents', () => {
  it('is nuanced on the real run: suites, extensions, a 32-byte random, an empty session ticket, but tshark read it all with no secrets', () => {
    const result = judgeClientHelloContents(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({
      clientHellos: [
        { implementation: 'quic-go', packetType: 'Initial', initialPackets: 2, cipherSuites: ['0x1301', '0x1302', '0x1303'], randomBytes: 32, sessionTicketBytes: 0, sessionTicketExtension: true, preSharedKey: false },
        { implementation: 'ngtcp2', packetType: 'Initial', initialPackets: 1, cipherSuites: ['0x1301', '0x1302', '0x1303', '0x1304'], randomBytes: 32, sessionTicketBytes: 0, sessionTicketExtension: true, preSharedKey: false },
      ],
      readableWithoutKeys: ['quic-go', 'ngtcp2'],
    });
    expect(result.summary).toContain('"Encrypted" holds only in form');
  });

  it('is confirmed when nothing could read it without keys; refuted by a ticket on a first connection', () => {
    expect(judgeClientHelloContents(altered((o) => o.withoutKeys.forEach((p) => { p.decrypted = false; }))).verdict).toBe('confirmed');
    const ticket = altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { if (f.hello?.message === 'ClientHello') f.hello.sessionTicketBytes = 192; })));
    expect(judgeClientHelloContents(ticket).verdict).toBe('refuted');
    const psk = altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { if (f.hello?.message === 'ClientHello') f.tlsExtensions.push(41); })));
    expect(judgeClientHelloContents(psk).verdict).toBe('refuted');
    expect(judgeClientHelloContents(sample.real).verdict).toBe('unverifiable');
  });
});

describe('quic.handshake.server-cid', () => {
  it("is confirmed on the real run: each server's Initial carried a source connection ID of its own", () => {
    const result = judgeServerCid(real.packets);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['connections']).toMatchObject([
      { implementation: 'quic-go', serverScid: '6a:1a:e4:89', serverScidBytes: 4, clientThenAddressed: '3e:a9:e6:18', newConnectionIdsBefore: 3 },
      { implementation: 'ngtcp2', serverScid: 'da:cf:62:ff:17:e5:3a:90:fc:a3:16:7b:f8:3d:82:d0:c1:26', serverScidBytes: 18, clientThenAddressed: 'da:cf:62:ff:17:e5:3a:90:fc:a3:16:7b:f8:3d:82:d0:c1:26' },
    ]);
  });

  it("is refuted when a server kept the ID the client had chosen; unverifiable without Initials", () => {
    const kept = altered((o) => { find(o, 'ngtcp2', 'server', (p) => p.type === 'Initial').scid = find(o, 'ngtcp2', 'client', (p) => p.type === 'Initial').dcid; });
    expect(judgeServerCid(kept.packets).verdict).toBe('refuted');
    expect(judgeServerCid(real.packets.filter((p) => p.type !== 'Initial')).verdict).toBe('unverifiable');
  });
});

describe('quic.handshake.server-acks-client-initial', () => {
  it("is confirmed on the real run: each server's Initial with the ServerHello acknowledged the client's Initial packets", () => {
    const result = judgeServerAcksClientInitial(real.packets);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['connections']).toMatchObject([
      { implementation: 'quic-go', acks: [{ serverPacket: 0, withServerHello: true, acknowledged: '0-1', clientInitials: [0, 1] }] },
      { implementation: 'ngtcp2', acks: [{ serverPacket: 0, withServerHello: true, acknowledged: '0', clientInitials: [0] }] },
    ]);
  });

  it('is refuted when a server Initial carried no ACK; unverifiable without the ACK ranges (the fixture as captured)', () => {
    const noAck = altered((o) => { const p = find(o, 'quic-go', 'server', (x) => x.type === 'Initial'); p.frames = p.frames.filter((f) => f.type !== 'ACK'); });
    expect(judgeServerAcksClientInitial(noAck.packets).verdict).toBe('refuted');
    expect(judgeServerAcksClientInitial(sample.real.packets).verdict).toBe('unverifiable');
  });
});

describe('quic.handshake.client-acks-server-initial', () => {
  it("is confirmed on the real run: at about one RTT, with the Finished and the request, each client acknowledged the server's Initial in an Initial packet", () => {
    const result = judgeClientAcksServerInitial(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['connections']).toMatchObject([
      { implementation: 'quic-go', ackInPacket: 'Initial #2', acknowledged: '0', ackAfterRtts: 1.07, finishedIn: 'Handshake #3', requestIn: '1-RTT #6', datagrams: [5, 7], serverPacketsBetween: 0 },
      { implementation: 'ngtcp2', ackInPacket: 'Initial #1', acknowledged: '0', ackAfterRtts: 1.04, finishedIn: 'Handshake #0', requestIn: '1-RTT #0', datagrams: [14], serverPacketsBetween: 0 },
    ]);
  });

  it('is refuted without such an ACK, or when it came two round trips late; unverifiable without the Finished or the ACK ranges', () => {
    const noAck = altered((o) => o.packets.forEach((p) => { if (p.from === 'client' && p.type === 'Initial') p.frames = p.frames.filter((f) => f.type !== 'ACK'); }));
    expect(judgeClientAcksServerInitial(noAck).verdict).toBe('refuted');
    expect(judgeClientAcksServerInitial(altered((o) => { o.rtt.avgMs /= 2; })).verdict).toBe('refuted');
    expect(judgeClientAcksServerInitial(altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { f.tls = f.tls.filter((m) => m !== 'Finished'); })))).verdict).toBe('unverifiable');
    expect(judgeClientAcksServerInitial(sample.real).verdict).toBe('unverifiable');
  });
});

describe('quic.handshake.server-response', () => {
  it("is confirmed on the real run: at about 1.5 RTT each server sent the response and an ACK of the request's packet, in 1-RTT packets", () => {
    const result = judgeServerResponse(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['connections']).toEqual([
      { implementation: 'quic-go', request: '1-RTT #6', responseIn: '1-RTT #4', responseType: '1-RTT', responseAfterRtts: 1.6, ackIn: '1-RTT #3', ackType: '1-RTT', acknowledged: '4-6', ackAfterRtts: 1.6, samePacket: false, serverInitialAfterRtts: 0.54 },
      { implementation: 'ngtcp2', request: '1-RTT #0', responseIn: '1-RTT #2', responseType: '1-RTT', responseAfterRtts: 1.56, ackIn: '1-RTT #2', ackType: '1-RTT', acknowledged: '0-1', ackAfterRtts: 1.56, samePacket: true, serverInitialAfterRtts: 0.52 },
    ]);
  });

  it("is refuted when the response came at three round trips or its ACK did not cover the request; unverifiable without a response or the ACK ranges", () => {
    expect(judgeServerResponse(altered((o) => { o.rtt.avgMs /= 2; })).verdict).toBe('refuted');
    const narrow = altered((o) => { find(o, 'ngtcp2', 'server', (p) => p.type === '1-RTT' && p.packetNumber === 2).frames.find((f) => f.type === 'ACK')!.firstAckRange = 0; });
    expect(judgeServerResponse(narrow).verdict).toBe('refuted');
    expect(judgeServerResponse(altered((o) => o.packets.forEach((p) => { if (p.from === 'server') p.frames = p.frames.filter((f) => f.type !== 'STREAM'); }))).verdict).toBe('unverifiable');
    expect(judgeServerResponse(sample.real).verdict).toBe('unverifiable');
  });
});

describe('quic.streams.bidirectional', () => {
  it('is nuanced on the real run: stream 0 carried data both ways, the unidirectional streams one way only', () => {
    const result = judgeBidirectional(real.packets);
    expect(result.verdict).toBe('nuanced');
    const streams = result.observed['streams'] as { implementation: string; stream: number; kind: string; carriedDataFrom: string[] }[];
    expect(streams.filter((s) => s.carriedDataFrom.length === 2).map((s) => `${s.implementation} ${s.stream} ${s.kind}`)).toEqual(['quic-go 0 bidirectional', 'ngtcp2 0 bidirectional']);
    expect(streams.filter((s) => s.carriedDataFrom.length === 1).every((s) => s.kind === 'unidirectional')).toBe(true);
    expect(streams.filter((s) => s.carriedDataFrom.length === 1).map((s) => s.stream).sort((a, b) => a - b)).toEqual([2, 2, 3, 3, 6, 7, 10, 11]);
  });

  it('is confirmed when only bidirectional streams carried data, refuted when no stream did both ways, unverifiable with no stream data', () => {
    const bidiOnly = altered((o) => o.packets.forEach((p) => { p.frames = p.frames.filter((f) => f.type !== 'STREAM' || (f.stream! & 0x2) === 0); }));
    expect(judgeBidirectional(bidiOnly.packets).verdict).toBe('confirmed');
    const oneWay = altered((o) => o.packets.forEach((p) => { if (p.from === 'server') p.frames = p.frames.filter((f) => !(f.type === 'STREAM' && f.stream === 0)); }));
    expect(judgeBidirectional(oneWay.packets).verdict).toBe('refuted');
    expect(judgeBidirectional(altered((o) => o.packets.forEach((p) => { p.frames = p.frames.filter((f) => f.type !== 'STREAM'); })).packets).verdict).toBe('unverifiable');
  });
});
