/**
 * tcp.close.close-wait as the sheet states it: CLOSE_WAIT "notifies the application that the connection is
 * closed and waits for it to handle the remaining data; once done, the application sends a FIN to confirm the
 * close". The judge now also reads phase E of the lab (port 7004): what the server's application was told of the
 * client's FIN (its read returning end of stream), and whether it could still send in CLOSE-WAIT.
 *
 * Everything here is one real run of tcp-lifecycle (Linux 6.18, node's net sockets, ss from iproute2 6.1.0): the
 * CLOSE-WAIT samples of port 7000 and phase E's agent events and ss samples (test/fixtures/lifecycle-samples.json,
 * from the run's evidence and observed values), and the capture of port 7004 (test/fixtures/lifecycle.pcap, decoded
 * as the lab does it): the client's FIN, the server's bare ACK, its 2000 bytes in two segments, its FIN. Altered
 * copies give the other verdicts.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HALF_CLOSE_BYTES, judgeCloseWait, PORTS, type HalfCloseObservation } from '../../labs/tcp/lifecycle.lab.ts';
import type { Packet, SocketSample } from '../../src/core/types.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const observed = JSON.parse(readFileSync(fixture('lifecycle-samples.json'), 'utf8')) as {
  samples: Record<string, SocketSample[]>;
  halfClose: Omit<HalfCloseObservation, 'packets' | 'endpoints' | 'pcap'>;
};
const closeWaitSamples = observed.samples['tcp.close.close-wait']!;
const endpoints = { client: '198.18.0.1', server: '198.18.0.2' };

let half: HalfCloseObservation;
/** The client's FIN on port 7004, as captured. */
let clientFin: Packet;
beforeAll(async () => {
  const packets = (await decodeTcp(fixture('lifecycle.pcap'))).filter((p) => p.srcPort === PORTS.halfClose || p.dstPort === PORTS.halfClose);
  half = { ...observed.halfClose, packets, endpoints };
  clientFin = packets.find((p) => p.dstPort === PORTS.halfClose && p.flags.includes('FIN'))!;
});
const altered = (change: (o: HalfCloseObservation) => void) => {
  const copy = structuredClone(half);
  change(copy);
  return copy;
};

describe('tcp.close.close-wait: the application told the connection is closed, its FIN a confirmation', () => {
  it('is nuanced when the server, told of end of stream in CLOSE-WAIT, still sends data the client reads', () => {
    expect(half.bytesWritten).toBe(HALF_CLOSE_BYTES);
    const result = judgeCloseWait(closeWaitSamples, 1000, half);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ halfClose: { endOfStreamToldToApplication: true, stateAtEndOfStream: 'CLOSE-WAIT', bytesWrittenAfterFin: 2000, bytesReadByClient: 2000, stateAfterWrite: 'CLOSE-WAIT' } });
    expect(result.summary).toContain('the connection was only half-closed');
    expect(result.summary).toContain(`with a bare ACK (ack=${clientFin.seq + 1}) before sending any of that data`);
    expect(result.summary).toContain('came after its 2 data segments');
    expect(result.summary).toContain('not a confirmation');
    expect(result.summaryZh).toContain('连接只是半关闭');
    expect(result.evidence.map((e) => e.kind)).toEqual(['socket-states', 'socket-states', 'packets']);
  });

  it('still names the half-close when the capture lacks the connection', () => {
    const result = judgeCloseWait(closeWaitSamples, 1000, altered((o) => (o.packets = [])));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('The capture held no FIN from the client on this port');
  });

  it('is confirmed if what the application writes after the FIN does not reach the client', () => {
    const failed = altered((o) => ((o.bytesWritten = 0), (o.writeError = 'write EPIPE'), (o.bytesReadByClient = 0)));
    expect(judgeCloseWait(closeWaitSamples, 1000, failed)).toMatchObject({ verdict: 'confirmed', summary: expect.stringContaining('write EPIPE') });
  });

  it('is refuted if the application is not told of the FIN while in CLOSE-WAIT, or CLOSE-WAIT ends early', () => {
    expect(judgeCloseWait(closeWaitSamples, 1000, altered((o) => (o.endOfStream = false))).verdict).toBe('refuted');
    expect(judgeCloseWait(closeWaitSamples, 1000, altered((o) => (o.stateAtEndOfStream = 'ESTAB'))).verdict).toBe('refuted');
    const early = closeWaitSamples.map((s, i) => (s.note === 'application has not closed' && i % 2 ? { ...s, sockets: s.sockets.map((k) => ({ ...k, state: 'LAST-ACK' })) } : s));
    expect(judgeCloseWait(early, 1000, half).verdict).toBe('refuted');
  });

  it('is unverifiable without phase E, or with no socket sampled when the end of stream came', () => {
    expect(judgeCloseWait(closeWaitSamples, 1000)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining(`no phase on port ${PORTS.halfClose}`) });
    expect(judgeCloseWait(closeWaitSamples, 1000, altered((o) => (o.stateAtEndOfStream = 'none'))).verdict).toBe('unverifiable');
  });
});
