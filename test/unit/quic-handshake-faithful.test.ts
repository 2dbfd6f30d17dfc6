/**
 * quic.tls.built-in restated as the sheet has it ("merges the transport and TLS handshakes, reducing round trips;
 * all data, the handshake included, is encrypted except the necessary QUIC header fields"), judged on the real
 * observation of a quic-handshake run (quic-go v0.65.0 and ngtcp2 0.12.1 across a 50 ms round trip;
 * test/fixtures/quic-connections-observation.json.gz) and altered copies.
 * The observation already holds everything the judge reads (the decrypted packets, what tshark opened without keys,
 * the measured round trip), so nothing is added to it.
 */
import { describe, expect, it } from 'vitest';
import { judgeTlsBuiltIn } from '../../labs/quic/handshake.lab.ts';
import type { ConnectionsObservation } from '../../src/systems/quic-connections.ts';
import { realSample } from '../helpers/samples.ts';

const sample = realSample<ConnectionsObservation>('quic-connections-observation.json.gz');

describe('quic.tls.built-in, "the handshake included"', () => {
  it('is nuanced on the real run: merged into one round trip, but tshark read the ClientHello and ServerHello with no secrets', () => {
    const result = judgeTlsBuiltIn(sample.real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ readableWithoutKeys: ['ClientHello', 'ServerHello'], requestLeftAfterRtts: { 'quic-go': 1.07, ngtcp2: 1.04 } });
    expect(result.summary).toContain('not "all data, the handshake included"');
    expect(result.summaryZh).toContain('包括握手过程');
  });

  it('is confirmed when nothing of the handshake could be read without keys', () => {
    expect(judgeTlsBuiltIn(sample.altered((o) => o.withoutKeys.forEach((p) => { p.decrypted = false; }))).verdict).toBe('confirmed');
  });

  it('is refuted when no transport parameter rode in the ClientHello, or when the request waited two round trips', () => {
    expect(judgeTlsBuiltIn(sample.altered((o) => o.packets.forEach((p) => p.frames.forEach((f) => { f.transportParameters = []; })))).verdict).toBe('refuted');
    const slow = judgeTlsBuiltIn(sample.altered((o) => { o.rtt.avgMs /= 2; }));
    expect(slow.verdict).toBe('refuted');
    expect(slow.summary).toContain('saved no round trip');
  });

  it('is unverifiable without decrypted packets, or without the request that shows the round trips', () => {
    expect(judgeTlsBuiltIn(sample.altered((o) => { o.packets = []; })).verdict).toBe('unverifiable');
    const noRequest = sample.altered((o) => o.packets.forEach((p) => { p.frames = p.frames.filter((f) => f.type !== 'STREAM'); }));
    expect(judgeTlsBuiltIn(noRequest).verdict).toBe('unverifiable');
  });
});
