import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgePodStates, type PodStatesObservation } from '../../labs/k8s/pod-states.lab.ts';
import { judgeNewCoordinator, type ProtocolRun } from '../../labs/kafka/rebalance.lab.ts';

/**
 * Summaries that said something false or unmeasured, now saying what was observed; the verdicts are
 * unchanged. On the real fixtures as captured (no new fields):
 * - k8s.pod.status-causes (test/fixtures/k8s-pod-states-observation.json.gz, Kubernetes v1.35.4):
 *   "'Terminated' is the API's container state, not a STATUS kubectl shows" is false in general (kubectl
 *   shows a pod's status.reason, which the kubelet's graceful node shutdown sets to Terminated).
 * - kafka.rebalance.new-coordinator (test/fixtures/kafka-rebalance-runs.json.gz): "that same coordinator
 *   computed … the new assignment" was not observed (under the classic protocol the group leader member
 *   computes it), and the lab's members do not report which of them was the leader.
 */
describe('summaries that state only what was observed', () => {
  it('k8s.pod.status-causes: the Terminated row says what the pods showed, and cites the node-shutdown reason as what the kubelet does', () => {
    const { real, altered } = realSample<PodStatesObservation>('k8s-pod-states-observation.json.gz');
    const result = judgePodStates(real);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).not.toContain('not a STATUS kubectl shows');
    expect(result.summaryZh).not.toContain('而不是 kubectl 显示的 STATUS');
    expect(result.summary).toContain('Terminated (the container has terminated): none of these pods showed Terminated as its STATUS: the pod that finished (completes) showed ContainerCreating → Completed, and the pods that exited abnormally exits-1: Error, out-of-memory: OOMKilled, cannot-start: StartError');
    expect(result.summary).toContain("while the API's container states were app terminated: Completed (exit 0); app terminated: Error (exit 1)");
    expect(result.summary).toContain('as the kubelet\'s graceful node shutdown does (nodeShutdownReason = "Terminated" in pkg/kubelet/nodeshutdown); no node was shut down here, so that case was not produced.');
    expect(result.summaryZh).toContain('这些 Pod 的 STATUS 都没有显示 Terminated');
    // Had an abnormally exited pod shown Terminated, the summary would name it rather than say none did.
    const shown = judgePodStates(altered((o) => o.pods['exits-1'].statuses.push({ status: 'Terminated', from: 79_000, to: 80_000 })));
    expect(shown.summary).toContain('only exits-1 showed Terminated as its STATUS');
  });

  it('kafka.rebalance.new-coordinator: no longer says the coordinator computed the assignment; says who computed it was not observed', () => {
    const { real } = realSample<ProtocolRun[]>('kafka-rebalance-runs.json.gz');
    const result = judgeNewCoordinator(real);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).not.toContain('computed and handed out');
    expect(result.summaryZh).not.toContain('由这个协调者计算');
    expect(result.summary).toContain('No coordinator was elected: in 7 rebalances each group kept the broker it had (node 2, node 2, node 2)');
    expect(result.summary).toContain('the members got their new assignments (20 onPartitionsAssigned callbacks from the first change on) while each of the 9 queries for the coordinator named that same broker');
    expect(result.summary).toContain('Which party computed each assignment was not observed: no member reported whether it was the group leader.');
    expect(result.summaryZh).toContain('分配方案由哪一方计算没有观察到');
    expect(result.observed.assignmentCallbacksAfterTheFirstChange).toBe(20);
  });
});
