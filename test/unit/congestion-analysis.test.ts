/** Round trips, retransmissions and duplicate ACKs read from a real capture of one lost segment under reno. */
import { beforeAll, describe, expect, it } from 'vitest';
import { duplicateAcksBefore, LOST_SEGMENT, retransmissionsOf, roundsOf } from '../../labs/tcp/congestion.lab.ts';
import type { Packet } from '../../src/core/types.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/congestion-one-loss-reno.pcap', import.meta.url).pathname;
const SENDER = '198.18.50.1';
const RECEIVER = '198.18.50.2';
let bulk: Packet[];

beforeAll(async () => {
  const packets = await decodeTcp(pcap);
  // The capture also holds the warm-up connection; the bulk transfer is the last connection.
  const lastSyn = packets.filter((p) => p.flags.join() === 'SYN').at(-1)!;
  bulk = packets.filter((p) => p.srcPort === lastSyn.srcPort || p.dstPort === lastSyn.srcPort);
});

describe('congestion analysis on a real capture', () => {
  it('counts data segments per round trip: 10 at first, then slow start to the ssthresh of 20, then +1', () => {
    const rounds = roundsOf(bulk, SENDER);
    expect(rounds.slice(0, 5)).toEqual([10, 20, 21, 22, 23]);
  });

  it('finds exactly the one retransmitted segment, the one that was dropped', () => {
    const again = retransmissionsOf(bulk, SENDER);
    expect(again).toHaveLength(1);
    const data = bulk.filter((p) => p.src === SENDER && p.len > 0);
    expect(data.findIndex((p) => p.seq === again[0]!.seq)).toBe(LOST_SEGMENT - 1);
  });

  it('counts the duplicate ACKs that preceded the retransmission', () => {
    const [again] = retransmissionsOf(bulk, SENDER);
    expect(duplicateAcksBefore(bulk, RECEIVER, again!)).toBeGreaterThanOrEqual(1);
    expect(duplicateAcksBefore(bulk, RECEIVER, { seq: 12345, frame: 1e9 })).toBe(0);
  });
});
