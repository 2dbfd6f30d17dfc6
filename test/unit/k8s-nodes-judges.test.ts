import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCrossNodePath, judgeDaemonSet, judgeFilters, type NodesObservation } from '../../labs/k8s/nodes.lab.ts';

/** A real run of k8s-nodes on the local provider (Kubernetes v1.35.4, a worker node joined by k8s/local/join.sh). */
const { real, altered } = realSample<NodesObservation>('k8s-nodes-observation.json.gz');
const stage = (o: NodesObservation, name: string) => o.daemonSets.find((s) => s.stage === name)!;

describe('k8s-nodes judges', () => {
  it('finds the DaemonSet following the worker, but one pod per node only where its pods tolerate the node', () => {
    const result = judgeDaemonSet(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('wanted 1 pod with two nodes');
  });

  it('confirms when the DaemonSet without a toleration also ran on the worker; refutes when the tolerating one did not follow; unverifiable without every stage or while the pod lingers', () => {
    expect(judgeDaemonSet(altered((o) => Object.assign(stage(o, 'worker joined').plain, { desired: 2, podsByNode: { [o.first]: 1, [o.worker]: 1 } }))).verdict).toBe('confirmed');
    expect(judgeDaemonSet(altered((o) => delete stage(o, 'worker joined').tolerating.podsByNode[o.worker])).verdict).toBe('refuted');
    expect(judgeDaemonSet(altered((o) => (stage(o, 'worker left').tolerating.desired = 2))).verdict).toBe('refuted');
    expect(judgeDaemonSet(altered((o) => (stage(o, 'worker left').tolerating.podsByNode[o.worker] = 1))).verdict).toBe('unverifiable');
    expect(judgeDaemonSet(altered((o) => (o.daemonSets = o.daemonSets.filter((s) => s.stage !== 'worker left')))).verdict).toBe('unverifiable');
  });

  it("confirms each filter from the scheduler's own reasons on the real run", () => {
    const result = judgeFilters(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toMatch(/untolerated taint/);
    expect(result.summary).toMatch(/where the preference alone gave 4 on the first node/);
  });

  it('refutes a filter that let a pod through; unverifiable when the scheduler had not decided or the preference did not concentrate the pods', () => {
    expect(judgeFilters(altered((o) => Object.assign(o.filters.find((f) => f.filter === 'taint, no toleration')!, { node: o.worker, reason: '' }))).verdict).toBe('refuted');
    expect(judgeFilters(altered((o) => (o.placements.find((p) => p.rule === 'topology spread')!.perNode = { [o.first]: 4 }))).verdict).toBe('refuted');
    expect(judgeFilters(altered((o) => Object.assign(o.placements.find((p) => p.rule === 'pod anti-affinity')!, { perNode: { [o.first]: 1 }, pending: 2 }))).verdict).toBe('refuted');
    expect(judgeFilters(altered((o) => Object.assign(o.filters.find((f) => f.filter === 'resources')!, { node: null, reason: '' }))).verdict).toBe('unverifiable');
    expect(judgeFilters(altered((o) => (o.placements.find((p) => p.rule === 'preferred node affinity')!.perNode = { [o.first]: 2, [o.worker]: 2 }))).verdict).toBe('unverifiable');
    expect(judgeFilters(altered((o) => (o.filters = o.filters.filter((f) => f.filter !== 'resources')))).verdict).toBe('unverifiable');
  });

  it('reads the path: VXLAN on the underlay and two routing hops, and the same request answered without the overlay', () => {
    const result = judgeCrossNodePath(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toMatch(/VNI 1\) and reached the worker's cni0 with TTL 62 \(2 routing hops: each node's stack routed it once\)/);
    expect(judgeCrossNodePath(altered((o) => (o.paths[0]!.hops[3]!.syn!.ttl = 61))).summary).toContain('3 routing hops, not the 2');
  });

  it('confirms the overlay when the plain route got no answer, refutes a path without encapsulation, and is unverifiable when a capture missed the packet', () => {
    expect(judgeCrossNodePath(altered((o) => (o.paths.find((p) => p.mode === 'routed')!.answeredBy = null))).verdict).toBe('confirmed');
    expect(judgeCrossNodePath(altered((o) => delete o.paths.find((p) => p.mode === 'overlay')!.hops[2]!.syn!.outer)).verdict).toBe('refuted');
    expect(judgeCrossNodePath(altered((o) => (o.paths.find((p) => p.mode === 'overlay')!.hops[3]!.syn = null))).verdict).toBe('unverifiable');
    expect(judgeCrossNodePath(altered((o) => (o.paths = []))).verdict).toBe('unverifiable');
  });
});
