/** The bulk transfer of a real tcp-congestion trial under reno, its 300th data segment dropped, built as the lab builds it (the capture only: ss was not kept with it). */
import { duplicateAcksBefore, LOST_SEGMENT, retransmissionsOf, roundsOf, type Trial } from '../../labs/tcp/congestion.lab.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';

export const SENDER = '198.18.50.1';
export const RECEIVER = '198.18.50.2';

export async function realLossTrial(): Promise<Trial> {
  const packets = await decodeTcp(new URL('../fixtures/congestion-one-loss-reno.pcap', import.meta.url).pathname);
  // As the lab does: the last connection is the bulk one (the first is the warm-up), times in ms since its SYN.
  const lastSyn = packets.filter((p) => p.flags.join() === 'SYN').at(-1)!;
  const bulk = packets.filter((p) => p.srcPort === lastSyn.srcPort || p.dstPort === lastSyn.srcPort);
  const lostSeq = bulk.filter((p) => p.src === SENDER && p.len > 0)[LOST_SEGMENT - 1]!.seq;
  const again = retransmissionsOf(bulk, SENDER).sort((a, b) => Number(b.seq === lostSeq) - Number(a.seq === lostSeq));
  const since = (ms: number) => Math.round(ms - bulk[0]!.timeMs);
  const retransmissions = again.map((r) => ({ atMs: since(r.atMs), seq: r.seq, originalAtMs: since(bulk.find((p) => p.seq === r.seq && p.len > 0)!.timeMs) }));
  return {
    name: 'one loss, reno',
    algorithm: 'reno',
    rounds: roundsOf(bulk, SENDER),
    samples: [],
    packets: bulk,
    duplicateAcksBeforeRetransmit: duplicateAcksBefore(bulk, RECEIVER, again[0]!),
    retransmissions,
    lossAtMs: retransmissions[0]!.originalAtMs,
    impairment: ['receiver segment 300 dropped'],
  };
}
