/**
 * The two header claims quic-resumption now decides (quic.header.zero-rtt-packet, quic.header.long-usage), judged on the
 * real observation of a quic-resumption run (quic-go v0.65.0 across a 50 ms round trip: a full handshake, a resumed
 * connection in 0-RTT, a replay of its first flight; test/fixtures/quic-resumption-observation.json.gz) and on altered
 * copies for the other verdicts.
 *
 * The run also made the lab's version probe (ResumptionObservation.versionProbe): one datagram offering the reserved
 * version 0x1a2a3a4a, which the quic-go server answered with a Version Negotiation packet listing 0x3a0ada6a (a greased
 * version), 0x00000001 and 0x6b3343cf. Altered copies drop it (as runs made before the lab probed) or change its reply.
 */
import { describe, expect, it } from 'vitest';
import { judgeLongUsage, judgeZeroRttPacket, parseVersionNegotiation, type ResumptionObservation, type VersionProbe } from '../../labs/quic/resumption.lab.ts';
import { realSample } from '../helpers/samples.ts';

const { real, altered } = realSample<ResumptionObservation>('quic-resumption-observation.json.gz');
const probe: VersionProbe = real.versionProbe!;

describe('the Version Negotiation packet, byte by byte', () => {
  it('reads the long-header bit, version 0, the echoed IDs and the versions the server speaks', () => {
    expect(parseVersionNegotiation(probe.reply!)).toEqual({ longHeader: true, version: '0x00000000', dcid: 'd699b8cb012fae71', scid: '2d5fda1b9ac8f623', supportedVersions: ['0x3a0ada6a', '0x00000001', '0x6b3343cf'] });
    expect(parseVersionNegotiation('c000')).toBeUndefined();
  });
});

describe('quic.header.zero-rtt-packet', () => {
  it('is confirmed on the real run: the 0-RTT packets opened with none of the logged keys and carried the request the server answered before the handshake completed', () => {
    const result = judgeZeroRttPacket(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toEqual({
      zeroRttPackets: 2, zeroRttBytes: [168, 58], zeroRttDecrypted: 0, otherClientPackets: 9, otherClientPacketsDecrypted: 9,
      serverAcceptedEarlyData: true, requestsServedBeforeHandshakeDone: 1, requestInOtherPackets: [],
    });
  });

  it('reads the 0-RTT packets directly where a key log opened them: confirmed with STREAM frames, refuted without', () => {
    const open = (frames: ResumptionObservation['packets'][number]['frames']) => altered((o) => o.packets.forEach((p) => { if (p.connection === 'resumed' && p.type === '0-RTT') { p.decrypted = true; p.packetNumber = 0; p.frames = structuredClone(frames); } }));
    expect(judgeZeroRttPacket(open([{ type: 'STREAM', stream: 0, offset: 0, length: 40, tls: [], tlsExtensions: [], transportParameters: [] }])).verdict).toBe('confirmed');
    expect(judgeZeroRttPacket(open([{ type: 'PADDING', tls: [], tlsExtensions: [], transportParameters: [] }])).verdict).toBe('refuted');
  });

  it('is refuted when the request went in a 1-RTT packet and nothing was answered early; unverifiable without 0-RTT packets or the server accepting early data', () => {
    const late = altered((o) => {
      o.served.forEach((r) => { r.handshakeComplete = true; });
      o.packets.find((p) => p.connection === 'resumed' && p.type === '1-RTT')!.frames.push({ type: 'STREAM', stream: 0, offset: 0, length: 40, tls: [], tlsExtensions: [], transportParameters: [] });
    });
    expect(judgeZeroRttPacket(late).verdict).toBe('refuted');
    expect(judgeZeroRttPacket(altered((o) => { o.packets = o.packets.filter((p) => p.type !== '0-RTT'); })).verdict).toBe('unverifiable');
    const rejected = altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { if (f.tls.includes('EncryptedExtensions')) f.tlsExtensions = f.tlsExtensions.filter((e) => e !== 42); })));
    expect(judgeZeroRttPacket(rejected).verdict).toBe('unverifiable');
  });
});

describe('quic.header.long-usage', () => {
  it('is unverifiable without the version probe (as runs made before the lab probed), naming it', () => {
    const result = judgeLongUsage(altered((o) => delete o.versionProbe));
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('predates that probe');
    expect(result.observed).toMatchObject({ longPackets: { Initial: 8, Handshake: 6, '0-RTT': 2 }, longPacketsWithHandshakeMessages: 8, shortPacketsWithHandshakeMessages: 0, zeroRttPackets: 2 });
  });

  it('is confirmed on the real run: handshake, 0-RTT and Version Negotiation in long headers, nothing of them in short ones', () => {
    const result = judgeLongUsage(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['versionProbe']).toEqual({ offered: '0x1a2a3a4a', answered: true, replyLongHeader: true, replyVersion: '0x00000000', supportedVersions: ['0x3a0ada6a', '0x00000001', '0x6b3343cf'], echoedConnectionIds: true });
    expect(result.observed).toMatchObject({ longPackets: { Initial: 8, Handshake: 6, '0-RTT': 2 }, longPacketsWithHandshakeMessages: 8, shortPacketsWithHandshakeMessages: 0, zeroRttPackets: 2, shortPacketsWithStreamData: 5 });
    expect(result.summary).toContain('no HANDSHAKE_DONE having reached it yet');
  });

  it('is refuted by a handshake message in a short header or a short-header reply to the unknown version', () => {
    const shortHello = altered((o) => { o.packets.find((p) => p.form === 'short' && p.connection === 'full')!.frames.push({ type: 'CRYPTO', tls: ['Finished'], tlsExtensions: [], transportParameters: [] }); });
    expect(judgeLongUsage(shortHello).verdict).toBe('refuted');
    expect(judgeLongUsage(altered((o) => { o.versionProbe!.reply = `56${probe.reply!.slice(2)}`; })).verdict).toBe('refuted');
  });

  it('is unverifiable when the probe drew no answer', () => {
    const silent = altered((o) => { delete o.versionProbe!.reply; });
    const result = judgeLongUsage(silent);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('drew no answer within 2 s');
  });
});
