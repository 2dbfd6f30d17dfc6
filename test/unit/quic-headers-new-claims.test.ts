/**
 * The five header claims quic-headers now decides (quic.header.type-specific-bits, version-one, short-one-rtt,
 * spin-bit, key-phase), judged on the real observation of a quic-handshake run (one quic-go v0.65.0 and one ngtcp2
 * 0.12.1 connection across a 50 ms round trip, decrypted with the clients' key logs;
 * test/fixtures/quic-connections-observation.json.gz; quic-headers makes the same observation) and on altered copies
 * for the verdicts this run did not give. The observation already holds everything these judges read.
 */
import { describe, expect, it } from 'vitest';
import { judgeKeyPhase, judgeShortOneRtt, judgeSpinBit, judgeTypeSpecificBits, judgeVersionOne, spinOf } from '../../labs/quic/headers.lab.ts';
import type { ConnectionsObservation } from '../../src/systems/quic-connections.ts';
import { realSample } from '../helpers/samples.ts';

const { real, altered } = realSample<ConnectionsObservation>('quic-connections-observation.json.gz');
type Packet = ConnectionsObservation['packets'][number];
const withPackets = (change: (packets: Packet[]) => Packet[] | void) => altered((o) => { o.packets = change(o.packets) ?? o.packets; });
const clientFinishedAt = (o: ConnectionsObservation, implementation: string) => o.packets.find((p) => p.implementation === implementation && p.from === 'client' && p.frames.some((f) => f.tls.includes('Finished')))!.timeMs;

describe('quic.header.type-specific-bits', () => {
  it('is confirmed on the real run: after form, fixed bit and type, 4 bits that Initial and Handshake use as 2 reserved bits and the packet-number length', () => {
    const result = judgeTypeSpecificBits(real.packets);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ longPackets: 11, types: ['Initial', 'Handshake'], lowFourBits: ['0000', '0001'], reservedBits: [0], fittingTheTypesFields: 11 });
    expect(result.observed['maskedOnTheWire']).toBeGreaterThan(0);
    expect(result.summaryZh).toContain('类型特定');
  });

  it('is refuted when the 4 bits do not give the packet number its length, and unverifiable with no decrypted long header', () => {
    const misfit = withPackets((ps) => { ps.find((p) => p.form === 'long')!.bits['packet_number_length'] = 3; });
    expect(judgeTypeSpecificBits(misfit.packets).verdict).toBe('refuted');
    expect(judgeTypeSpecificBits(real.packets.filter((p) => p.form === 'short')).verdict).toBe('unverifiable');
  });
});

describe('quic.header.version-one', () => {
  it('is confirmed on the real run: a 4-byte Version at offset 1 holding 0x00000001 in every long header of both implementations', () => {
    const result = judgeVersionOne(real.packets);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ versionFieldBytes: [4], versionFieldOffsets: [1], versions: ['0x00000001'] });
  });

  it('is refuted by a value that is no QUIC version or a field of another width, unverifiable with no long header', () => {
    expect(judgeVersionOne(withPackets((ps) => { ps[0]!.fields['version']!.value = '0xdeadbeef'; }).packets).verdict).toBe('refuted');
    expect(judgeVersionOne(withPackets((ps) => { ps[0]!.fields['version']!.bytes = 2; }).packets).verdict).toBe('refuted');
    expect(judgeVersionOne(real.packets.filter((p) => p.form === 'short')).verdict).toBe('unverifiable');
  });
});

describe('quic.header.short-one-rtt', () => {
  it('is nuanced on the real run: all stream data went in compact 1-RTT short headers, but both servers sent some with their first flight, before the client had sent its Finished', () => {
    const result = judgeShortOneRtt(real.packets);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({
      shortPackets: 14,
      shortPacketTypes: ['1-RTT'],
      streamPacketsWithLongHeader: 0,
      headerBytes: [{ implementation: 'quic-go', shortHeaderBytes: '7', longHeaderBytes: '19-36', smaller: true }, { implementation: 'ngtcp2', shortHeaderBytes: '19-20', longHeaderBytes: '47-48', smaller: true }],
      serverShortPacketsBeforeClientFinished: [{ implementation: 'quic-go', packetNumber: 2, streams: [3] }, { implementation: 'ngtcp2', packetNumber: 0, streams: [3, 11, 7] }],
    });
    expect(result.summary).toContain('"on an established connection" holds for the clients only');
  });

  it('is confirmed when every short-header packet left after the handshake completed', () => {
    const after = withPackets((ps) => ps.filter((p) => !(p.form === 'short' && p.from === 'server' && p.timeMs < clientFinishedAt(real, p.implementation))));
    expect(judgeShortOneRtt(after.packets).verdict).toBe('confirmed');
  });

  it('is refuted when stream data rode under a long header, unverifiable with no short header', () => {
    const inLong = withPackets((ps) => { ps.find((p) => p.type === 'Handshake')!.frames.push({ type: 'STREAM', stream: 0, offset: 0, length: 10, tls: [], tlsExtensions: [], transportParameters: [] }); });
    expect(judgeShortOneRtt(inLong.packets).verdict).toBe('refuted');
    expect(judgeShortOneRtt(real.packets.filter((p) => p.form === 'long')).verdict).toBe('unverifiable');
  });
});

describe('quic.header.spin-bit', () => {
  it('is nuanced on the real run: the bit is there, but neither quic-go nor ngtcp2 spun it', () => {
    expect(spinOf(real.packets, 'quic-go', real.rtt.avgMs)).toEqual({ state: 'constant', values: [0], answered: 5, inverted: 0 });
    const result = judgeSpinBit(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('neither implementation did');
    expect(result.summaryZh).toContain('两种实现都没有这样做');
  });

  it('is confirmed when the clients answer the server with the inverse; refuted when the bit changes otherwise', () => {
    const spun = withPackets((ps) => ps.filter((p) => p.form === 'short' && p.from === 'client').forEach((p) => { p.firstByteOnWire |= 0x20; }));
    expect(judgeSpinBit(spun).verdict).toBe('confirmed');
    const once = withPackets((ps) => { ps.filter((p) => p.form === 'short' && p.from === 'client' && p.implementation === 'quic-go').at(-1)!.firstByteOnWire |= 0x20; });
    expect(judgeSpinBit(once).verdict).toBe('refuted');
  });

  it('is unverifiable when no client packet followed a server short-header packet', () => {
    expect(judgeSpinBit(withPackets((ps) => ps.filter((p) => !(p.form === 'short' && p.from === 'server')))).verdict).toBe('unverifiable');
  });
});

describe('quic.header.key-phase', () => {
  it('is unverifiable on the real run: no key update in these connections, every short header in phase 0', () => {
    const result = judgeKeyPhase(real.packets);
    expect(result.verdict).toBe('unverifiable');
    expect(result.observed).toMatchObject({ decryptedShortPackets: 14, keyPhases: [0], flips: [], tlsKeyUpdateMessages: 0 });
    expect(result.summary).toContain('No key update happened');
  });

  it('is confirmed when the bit flips and the packets after it still decrypt; refuted when keys change by a TLS KeyUpdate instead', () => {
    const updated = withPackets((ps) => { ps.filter((p) => p.implementation === 'ngtcp2' && p.from === 'server' && p.form === 'short').at(-1)!.bits['key_phase'] = 1; });
    const result = judgeKeyPhase(updated.packets);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['flips']).toEqual([{ sender: 'ngtcp2 server', packetNumber: 2, to: 1 }]);
    const tls = withPackets((ps) => { ps.find((p) => p.form === 'short')!.frames.push({ type: 'CRYPTO', tls: ['KeyUpdate'], tlsExtensions: [], transportParameters: [] }); });
    expect(judgeKeyPhase(tls.packets).verdict).toBe('refuted');
  });
});
