import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { judgeCrossNodePath, judgeDaemonSet, judgeFilters, type NodesObservation } from '../../labs/k8s/nodes.lab.ts';

/** A real run of k8s-nodes on the local provider (Kubernetes v1.35.4, a worker node joined by k8s/local/join.sh). */
const real = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/k8s-nodes-observation.json.gz', import.meta.url))).toString()) as NodesObservation;
const altered = (change: (o: NodesObservation) => void) => {
  const copy = structuredClone(real);
  change(copy);
  return copy;
};
const stage = (o: NodesObservation, name: string) => o.daemonSets.find((s) => s.stage === name)!;

describe('k8s-nodes judges', () => {
  it('finds the DaemonSet following the worker, but one pod per node only where its pods tolerate the node', () => {
    const result = judgeDaemonSet(real);
    expect(result.verdict).toBe('nuanced');
    expect(stage(real, 'worker joined').tolerating.podsByNode).toEqual({ [real.first]: 1, [real.worker]: 1 });
    expect(stage(real, 'worker joined').plain.podsByNode).toEqual({ [real.first]: 1 });
    expect(stage(real, 'worker left').tolerating.desired).toBe(1);
  });

  it('confirms when even the DaemonSet without a toleration ran on the worker; refutes when the tolerating one did not; unverifiable without every stage', () => {
    expect(judgeDaemonSet(altered((o) => (stage(o, 'worker joined').plain.podsByNode[o.worker] = 1))).verdict).toBe('confirmed');
    expect(judgeDaemonSet(altered((o) => delete stage(o, 'worker joined').tolerating.podsByNode[o.worker])).verdict).toBe('refuted');
    expect(judgeDaemonSet(altered((o) => (stage(o, 'worker left').tolerating.desired = 2))).verdict).toBe('refuted');
    expect(judgeDaemonSet(altered((o) => (o.daemonSets = o.daemonSets.filter((s) => s.stage !== 'worker left')))).verdict).toBe('unverifiable');
  });

  it("confirms each filter from the scheduler's own reasons on the real run", () => {
    const result = judgeFilters(real);
    expect(result.verdict).toBe('confirmed');
    expect(real.filters.find((f) => f.filter === 'taint, no toleration')!.reason).toContain('untolerated taint');
    expect(real.placements.find((p) => p.rule === 'preferred node affinity')!.perNode).toEqual({ [real.first]: 4 });
  });

  it('refutes when a filter let a pod through; unverifiable when a filter pod is missing', () => {
    expect(judgeFilters(altered((o) => Object.assign(o.filters.find((f) => f.filter === 'taint, no toleration')!, { node: o.worker, reason: '' }))).verdict).toBe('refuted');
    expect(judgeFilters(altered((o) => (o.placements.find((p) => p.rule === 'topology spread')!.perNode = { [o.first]: 4 }))).verdict).toBe('refuted');
    expect(judgeFilters(altered((o) => (o.filters = o.filters.filter((f) => f.filter !== 'resources')))).verdict).toBe('unverifiable');
  });

  it('reads the path: VXLAN on the underlay and two routing hops, and the same request answered without the overlay', () => {
    const result = judgeCrossNodePath(real);
    expect(result.verdict).toBe('nuanced');
    const overlay = real.paths.find((p) => p.mode === 'overlay')!;
    expect(overlay.hops.map((h) => h.syn?.ttl)).toEqual([64, 63, 63, 62]);
    expect(overlay.hops[2]!.syn!.outer!.vni).toBe(1);
    expect(real.paths.find((p) => p.mode === 'routed')!.hops[2]!.syn!.outer).toBeUndefined();
  });

  it('confirms the overlay when the plain route got no answer, refutes a path without encapsulation, and is unverifiable when a capture missed the packet', () => {
    expect(judgeCrossNodePath(altered((o) => (o.paths.find((p) => p.mode === 'routed')!.answeredBy = null))).verdict).toBe('confirmed');
    expect(judgeCrossNodePath(altered((o) => delete o.paths.find((p) => p.mode === 'overlay')!.hops[2]!.syn!.outer)).verdict).toBe('refuted');
    expect(judgeCrossNodePath(altered((o) => (o.paths.find((p) => p.mode === 'overlay')!.hops[3]!.syn = null))).verdict).toBe('unverifiable');
    expect(judgeCrossNodePath(altered((o) => (o.paths = []))).verdict).toBe('unverifiable');
  });
});
