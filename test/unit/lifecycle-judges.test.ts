/**
 * The tcp-lifecycle verdicts as pure functions of real observations, and of those observations altered: the capture
 * of a run (test/fixtures/lifecycle.pcap, on the server's side) and the socket samples, reads and half-close phase
 * (port 7004) of the same run (test/fixtures/lifecycle-samples.json, from its claims' evidence and observed values).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  judgeCloseWait,
  judgeFourWay,
  judgeHandshakeStates,
  judgeHeaderLength,
  judgeNoBoundaries,
  judgeThreeWay,
  judgeTimeWait,
  PORTS,
  WRITES,
  type HalfCloseObservation,
} from '../../labs/tcp/lifecycle.lab.ts';
import type { Packet, SocketSample } from '../../src/core/types.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const observed = JSON.parse(readFileSync(fixture('lifecycle-samples.json'), 'utf8')) as {
  reads: number[];
  samples: Record<string, SocketSample[]>;
  halfClose: Omit<HalfCloseObservation, 'packets' | 'endpoints' | 'pcap'>;
};
const endpoints = { client: '198.18.0.1', server: '198.18.0.2' };
const port = (packets: Packet[], p: number) => packets.filter((x) => x.srcPort === p || x.dstPort === p);

let packets: Packet[];
/** Phase E as the lab's run() passes it: what the agents and ss saw, and the capture of port 7004. */
let half: HalfCloseObservation;
beforeAll(async () => {
  packets = await decodeTcp(fixture('lifecycle.pcap'));
  half = { ...observed.halfClose, packets: port(packets, PORTS.halfClose), endpoints };
});

describe('three-way handshake', () => {
  it('is confirmed by the captured SYN, SYN/ACK, ACK with x+1 and y+1', () => {
    const result = judgeThreeWay(port(packets, PORTS.clean), endpoints);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed.synAckAck).toBe((result.observed.x as number) + 1);
    expect(result.observed.ackAck).toBe((result.observed.y as number) + 1);
  });

  it('is refuted when the SYN/ACK acknowledges the wrong number', () => {
    const altered = port(packets, PORTS.clean).map((p) => (p.flags.join() === 'SYN,ACK' ? { ...p, ack: p.ack + 5 } : p));
    expect(judgeThreeWay(altered, endpoints).verdict).toBe('refuted');
  });

  it('is unverifiable when there is no handshake in the capture', () => {
    expect(judgeThreeWay(port(packets, PORTS.clean).slice(3), endpoints).verdict).toBe('unverifiable');
  });
});

describe('close', () => {
  it('is four segments when the server closes late and three in each of the five it closes at once: nuanced', () => {
    const result = judgeFourWay(port(packets, PORTS.clean), port(packets, PORTS.quickClose), endpoints);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed.segmentsWhenServerClosesLater).toBe(4);
    expect(result.observed.segmentsWhenServerClosesAtOnce).toEqual([3, 3, 3, 3, 3]);
  });

  it('is unverifiable without a connection the server closed at once', () => {
    expect(judgeFourWay(port(packets, PORTS.clean), [], endpoints).verdict).toBe('unverifiable');
  });

  it('is confirmed when both closes take four segments', () => {
    const clean = port(packets, PORTS.clean);
    expect(judgeFourWay(clean, clean, endpoints).verdict).toBe('confirmed');
  });

  it('is refuted when the final ACK is missing', () => {
    const clean = port(packets, PORTS.clean);
    expect(judgeFourWay(clean.slice(0, -1), port(packets, PORTS.quickClose), endpoints).verdict).toBe('refuted');
  });

  it('CLOSE_WAIT lasting until the application closes, which still sends 2000 bytes in it, is nuanced; leaving it early is refuted; without phase E unverifiable', () => {
    const samples = observed.samples['tcp.close.close-wait']!;
    expect(judgeCloseWait(samples, 1000, half).verdict).toBe('nuanced');
    const early = samples.map((s, i) => (s.note === 'application has not closed' && i > 2 ? { ...s, sockets: [] } : s));
    expect(judgeCloseWait(early, 1000, half).verdict).toBe('refuted');
    expect(judgeCloseWait(samples, 1000).verdict).toBe('unverifiable');
  });

  it('a 60 s TIME_WAIT is nuanced, a 120 s one confirmed, a 30 s one refuted', () => {
    const samples = observed.samples['tcp.close.time-wait']!;
    const result = judgeTimeWait(samples, '60');
    expect(result.verdict).toBe('nuanced');
    expect(result.observed.timerMsAtEntry).toBeGreaterThanOrEqual(55_000);
    const withTimer = (ms: number) =>
      samples.map((s) => ({ ...s, sockets: s.sockets.map((k) => ({ ...k, timer: { name: 'timewait', remainingMs: ms, retransmits: 0 } })) }));
    expect(judgeTimeWait(withTimer(119_000), '60').verdict).toBe('confirmed');
    expect(judgeTimeWait(withTimer(30_000), '60').verdict).toBe('refuted');
  });
});

describe('handshake states', () => {
  it('SYN-SENT at the client and SYN-RECV at the server are confirmed', () => {
    expect(judgeHandshakeStates(observed.samples['tcp.handshake.states']!).verdict).toBe('confirmed');
  });

  it('is refuted when the server never showed SYN-RECV', () => {
    const samples = observed.samples['tcp.handshake.states']!.filter((s) => s.note !== 'SYN-RECV reached');
    expect(judgeHandshakeStates(samples).verdict).toBe('refuted');
  });
});

describe('header length and byte stream', () => {
  it('headers of 40 (SYN), 32 (data) and 20 (no timestamps) make "20 by default" nuanced', () => {
    const result = judgeHeaderLength(port(packets, PORTS.clean), port(packets, PORTS.noTimestamps));
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ synHeaderBytes: 40, dataHeaderBytes: 32, dataHeaderBytesWithoutTimestamps: 20 });
  });

  it('a header over 60 bytes is refuted', () => {
    const altered = port(packets, PORTS.clean).map((p, i) => (i === 0 ? { ...p, tcpHeaderLength: 64 } : p));
    expect(judgeHeaderLength(altered, port(packets, PORTS.noTimestamps)).verdict).toBe('refuted');
  });

  it('reads that differ from writes confirm the byte stream; reads equal to writes refute it', () => {
    const clean = port(packets, PORTS.clean);
    expect(judgeNoBoundaries(WRITES, observed.reads, clean).verdict).toBe('confirmed');
    expect(judgeNoBoundaries(WRITES, [...WRITES], clean).verdict).toBe('refuted');
  });
});
