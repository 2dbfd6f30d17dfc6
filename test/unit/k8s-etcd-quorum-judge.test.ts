import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeOddMembers, survivedFailures, type QuorumObservation } from '../../labs/k8s/etcd-quorum.lab.ts';

/** A real run of k8s-etcd-quorum: etcd v3.6 clusters of 1 to 5 members in network namespaces. */
const { real, altered } = realSample<QuorumObservation>('k8s-etcd-quorum-observation.json.gz');
const size = (o: QuorumObservation, n: number) => o.sizes.find((s) => s.members === n)!;

describe('k8s-etcd-quorum judge', () => {
  it('reads the failures each size survived: 0, 0, 1, 1, 2', () => {
    expect(real.sizes.map((s) => survivedFailures(s.writes))).toEqual([0, 0, 1, 1, 2]);
    expect(judgeOddMembers(real).verdict).toBe('confirmed');
  });

  it('unverifiable when a cluster stopped taking writes with a majority still up', () => {
    expect(judgeOddMembers(altered((o) => (size(o, 5).writes.find((w) => w.killed === 2)!.accepted = false))).verdict).toBe('unverifiable');
  });

  it('refutes when four members survive more than three; unverifiable when a healthy cluster refused a write', () => {
    expect(judgeOddMembers(altered((o) => (size(o, 4).writes.find((w) => w.killed === 2)!.accepted = true))).verdict).toBe('refuted');
    expect(judgeOddMembers(altered((o) => (size(o, 3).writes[0]!.accepted = false))).verdict).toBe('unverifiable');
  });
});
