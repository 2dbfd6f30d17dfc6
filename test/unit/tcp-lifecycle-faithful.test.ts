/**
 * tcp.close.close-wait as the sheet states it: CLOSE_WAIT "notifies the application that the connection is
 * closed and waits for it to handle the remaining data; once done, the application sends a FIN to confirm the
 * close". The judge now also reads phase E of the lab (port 7004): what the server's application was told of the
 * client's FIN (its read returning end of stream), and whether it could still send in CLOSE-WAIT.
 *
 * The CLOSE-WAIT samples are the real ones of test/fixtures/lifecycle-samples.json (port 7000). That fixture
 * and test/fixtures/lifecycle.pcap predate phase E, so the half-close observation is added here by hand in the
 * shape the lab's run() passes it (agent events, two ss samples, the capture of port 7004 with raw numbers);
 * the fixtures will be recaptured from a real run. Altered copies give the other verdicts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HALF_CLOSE_BYTES, judgeCloseWait, PORTS, type HalfCloseObservation } from '../../labs/tcp/lifecycle.lab.ts';
import type { Packet, SocketSample } from '../../src/core/types.ts';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/lifecycle-samples.json', import.meta.url), 'utf8')) as { samples: Record<string, SocketSample[]> };
const closeWaitSamples = fixture.samples['tcp.close.close-wait']!;

const CLIENT = '198.18.0.1';
const SERVER = '198.18.0.2';
const packet = (frame: number, fromServer: boolean, flags: string[], seq: number, ack: number, len = 0): Packet => ({
  frame,
  timeMs: frame * 0.1,
  src: fromServer ? SERVER : CLIENT,
  dst: fromServer ? CLIENT : SERVER,
  srcPort: fromServer ? PORTS.halfClose : 51234,
  dstPort: fromServer ? 51234 : PORTS.halfClose,
  flags,
  seq,
  ack,
  len,
  window: 64,
  ipTotalLength: 52 + len,
  ipHeaderLength: 20,
  tcpHeaderLength: 32,
  options: ['NOP', 'NOP', 'TS'],
});
const x = 3_016_154_221; // the client's FIN
const w = 1_207_331_876; // the server's next sequence number
const packets = [
  packet(1, false, ['SYN'], x - 1, 0),
  packet(2, true, ['SYN', 'ACK'], w - 1, x),
  packet(3, false, ['ACK'], x, w),
  packet(4, false, ['FIN', 'ACK'], x, w),
  packet(5, true, ['ACK'], w, x + 1),
  packet(6, true, ['PSH', 'ACK'], w, x + 1, HALF_CLOSE_BYTES),
  packet(7, false, ['ACK'], x + 1, w + HALF_CLOSE_BYTES),
  packet(8, true, ['FIN', 'ACK'], w + HALF_CLOSE_BYTES, x + 1),
  packet(9, false, ['ACK'], x + 1, w + HALF_CLOSE_BYTES + 1),
];
const serverSample = (atMs: number, note: string, state: string): SocketSample => ({ atMs, host: 'server', note, sockets: state ? [{ state, recvQ: 1, sendQ: 0, local: `${SERVER}:${PORTS.halfClose}`, peer: `${CLIENT}:51234`, info: {} }] : [] });
const half: HalfCloseObservation = {
  endOfStream: true,
  stateAtEndOfStream: 'CLOSE-WAIT',
  bytesWritten: HALF_CLOSE_BYTES,
  writeError: '',
  bytesReadByClient: HALF_CLOSE_BYTES,
  stateAfterWrite: 'CLOSE-WAIT',
  samples: [serverSample(4, 'end of stream reported to the application', 'CLOSE-WAIT'), serverSample(9, 'after the application wrote in CLOSE-WAIT', 'CLOSE-WAIT'), serverSample(15, 'after the application closed', '')],
  packets,
  endpoints: { client: CLIENT, server: SERVER },
};
const altered = (change: (o: HalfCloseObservation) => void) => {
  const copy = structuredClone(half);
  change(copy);
  return copy;
};

describe('tcp.close.close-wait: the application told the connection is closed, its FIN a confirmation', () => {
  it('is nuanced when the server, told of end of stream in CLOSE-WAIT, still sends data the client reads', () => {
    const result = judgeCloseWait(closeWaitSamples, 1000, half);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ halfClose: { endOfStreamToldToApplication: true, stateAtEndOfStream: 'CLOSE-WAIT', bytesWrittenAfterFin: 2000, bytesReadByClient: 2000, stateAfterWrite: 'CLOSE-WAIT' } });
    expect(result.summary).toContain('the connection was only half-closed');
    expect(result.summary).toContain(`with a bare ACK (ack=${x + 1}) before sending any of that data`);
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

  it('is unverifiable without phase E (the fixture as captured), or with no socket sampled when the end of stream came', () => {
    expect(judgeCloseWait(closeWaitSamples, 1000)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining(`no phase on port ${PORTS.halfClose}`) });
    expect(judgeCloseWait(closeWaitSamples, 1000, altered((o) => (o.stateAtEndOfStream = 'none'))).verdict).toBe('unverifiable');
  });
});
