import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeStatefulSet, judgeVolumeLifecycle, type StatefulSetObservation } from '../../labs/k8s/statefulset.lab.ts';

/** A real run of k8s-statefulset on the local provider (Kubernetes v1.35.4, hostPath PersistentVolumes). */
const { real, altered } = realSample<StatefulSetObservation>('k8s-statefulset-observation.json.gz');

describe('k8s-statefulset judges', () => {
  it('is unverifiable on the real run, whose lookup of a pod\'s domain name failed for want of a DNS add-on; names, claims and termination order held', () => {
    const result = judgeStatefulSet(real);
    expect(result.verdict).toBe('unverifiable');
    expect(result.observed).toMatchObject({ hostnames: { 'web-0': 'web-0', 'web-1': 'web-1', 'web-2': 'web-2' }, scaleDownOrder: ['web-2', 'web-1'] });
  });

  it('refutes pods made side by side, a forward scale-down or a replacement on a new claim; unverifiable without the replacement', () => {
    expect(judgeStatefulSet(altered((o) => (o.created.find((c) => c.pod === 'web-2')!.previousReadyWhenSeen = false))).verdict).toBe('refuted');
    expect(judgeStatefulSet(altered((o) => o.scaleDown.reverse())).verdict).toBe('refuted');
    expect(judgeStatefulSet(altered((o) => (o.replaced!.claimAfter = 'data-web-9'))).verdict).toBe('refuted');
    expect(judgeStatefulSet(altered((o) => (o.replaced = null))).verdict).toBe('unverifiable');
  });

  it('finds the emptyDir living as long as the pod and the claim outliving it', () => {
    const result = judgeVolumeLifecycle(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain("survived the container's restart");
    expect(judgeVolumeLifecycle(altered((o) => (o.volumes.emptyDirAfterRestart = ''))).summary).toContain('did not even outlive the container');
  });

  it('confirms if the emptyDir outlived the pod, refutes if the claim lost the file, unverifiable without a restart', () => {
    expect(judgeVolumeLifecycle(altered((o) => (o.volumes.emptyDirAfterReplace = o.volumes.written))).verdict).toBe('confirmed');
    expect(judgeVolumeLifecycle(altered((o) => (o.volumes.claimAfterReplace = ''))).verdict).toBe('refuted');
    expect(judgeVolumeLifecycle(altered((o) => (o.volumes.restarts = 0))).verdict).toBe('unverifiable');
  });
});
