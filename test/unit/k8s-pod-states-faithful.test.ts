import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgePodStates, parseGetPodsRows, TABLE, type PodStatesObservation } from '../../labs/k8s/pod-states.lab.ts';

/**
 * k8s.pod.status-causes restated as the sheet's whole table: every row's status, 说明 and causes, on
 * the real run of k8s-pod-states (Kubernetes v1.35.4, eleven pods watched for 80 s, with the READY
 * column, phase and node of each; test/fixtures/k8s-pod-states-observation.json.gz) and altered
 * copies of it. An earlier real run (test/fixtures/k8s-pod-states-error-only-observation.json.gz,
 * made after k8s-probes and before the lab added cannot-start and probe-fails) gives the crashing
 * pod's listing where kubectl showed Error all through the crash loop, and a capture without the
 * two newer pods.
 */
const { real, altered } = realSample<PodStatesObservation>('k8s-pod-states-observation.json.gz');
const errorOnly = realSample<PodStatesObservation>('k8s-pod-states-error-only-observation.json.gz').real;
/** The crashing pod as kubectl listed it in the earlier run (ContainerCreating, then Error throughout), with this run's events and runs. */
const showingOnlyError = (o: PodStatesObservation) => {
  o.pods.crashes.statuses = structuredClone(errorOnly.pods.crashes.statuses);
  delete o.pods.crashes.readyByStatus.CrashLoopBackOff;
};
const rowOf = (o: PodStatesObservation, status: string) => (judgePodStates(o).observed.rows as { status: string; outcome: string }[]).find((r) => r.status === status)!.outcome;

describe("k8s-pod-states judge of the whole troubleshooting table", () => {
  it('reads READY beside STATUS from kubectl get pods', () => {
    expect(parseGetPodsRows('probe-fails   0/1   Running   0     41s\ncrashes   0/1   CrashLoopBackOff   2 (10s ago)   40s\n')).toEqual({ 'probe-fails': { ready: '0/1', status: 'Running' }, crashes: { ready: '0/1', status: 'CrashLoopBackOff' } });
  });

  it('is refuted on the real run: Error and Terminated do not hold, Unknown not produced, the six other rows held', () => {
    const result = judgePodStates(real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.rows).toEqual(TABLE.map((t) => expect.objectContaining({ status: t.status })));
    const outcomes = Object.fromEntries(TABLE.map((t) => [t.status, rowOf(real, t.status)]));
    expect(outcomes).toEqual({ Pending: 'holds', ImagePullBackOff: 'holds', CrashLoopBackOff: 'holds', Error: 'fails', Running: 'holds', Terminated: 'fails', Unknown: 'unobserved', CreateContainerConfigError: 'holds', 'Init:Error': 'holds' });
    expect(result.summary).toContain('2 of the table\'s 9 rows did not hold');
    expect(result.summary).toContain('out-of-memory (allocates 256 MiB under a 64 MiB limit; restartPolicy Never (OOM)) showed ContainerCreating → OOMKilled');
    expect(result.summary).toContain('cannot-start');
    expect(result.summary).toContain('none of these pods showed Terminated as its STATUS');
    expect(result.summary).toContain('Unknown (node lost, kubelet problem) was not produced');
    expect(result.summary).toContain('showed Running with READY 0/1 throughout');
    // The 说明 of Pending, as kubectl shows it: the pods left Pending were never bound; as a phase, Pending also covered bound pods.
    expect(result.summary).toContain("The API's phase Pending also covered missing-image");
    expect(result.summaryZh).toContain('表中 9 行里有 2 行不成立');
  });

  it('is unverifiable when every row it could produce held (Unknown cannot be produced on one node)', () => {
    const allShown = altered((o) => {
      for (const n of ['exits-1', 'out-of-memory', 'cannot-start'] as const) o.pods[n].statuses.push({ status: 'Error', from: 80_000, to: 80_000 });
      o.pods['cannot-start'].reasons = ['app terminated: Error (exit 128)'];
      o.pods['out-of-memory'].reasons = ['app terminated: Error (exit 137)'];
      o.pods.completes.statuses.push({ status: 'Terminated', from: 80_000, to: 80_000 });
    });
    const result = judgePodStates(allShown);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toMatch(/^Unknown \(node lost, kubelet problem\) was not produced/);
  });

  it('fails the Running row when the pod with the failing probe showed READY 1/1, and leaves it unobserved when the probe never failed', () => {
    expect(rowOf(altered((o) => (o.pods['probe-fails'].readyByStatus.Running = ['0/1', '1/1'])), 'Running')).toBe('fails');
    expect(rowOf(altered((o) => (o.pods['probe-fails'].events = o.pods['probe-fails'].events.filter((e) => !e.startsWith('Unhealthy')))), 'Running')).toBe('unobserved');
  });

  it('fails the Pending row when a pod bound to the node was shown as Pending, or an unschedulable pod showed something else', () => {
    expect(rowOf(altered((o) => (o.pods['wants-1000-cpus'].node = 'labs-cb3d0fd8')), 'Pending')).toBe('fails');
    expect(rowOf(altered((o) => (o.pods['wants-missing-node'].statuses = [{ status: 'SchedulingGated', from: 104, to: 79_242 }])), 'Pending')).toBe('fails');
  });

  it('takes the kubelet\'s BackOff events for the crash loop when kubectl showed only Error, and fails the row without them', () => {
    expect(rowOf(real, 'CrashLoopBackOff')).toBe('holds');
    const loop = altered(showingOnlyError);
    expect(loop.pods.crashes.statuses.map((x) => x.status)).toEqual(['ContainerCreating', 'Error']);
    expect(rowOf(loop, 'CrashLoopBackOff')).toBe('holds');
    expect(judgePodStates(loop).summary).toContain('kubectl never showed CrashLoopBackOff for crashes');
    const noLoop = altered((o) => {
      showingOnlyError(o);
      o.pods.crashes.events = o.pods.crashes.events.filter((e) => !e.startsWith('BackOff'));
    });
    expect(rowOf(noLoop, 'CrashLoopBackOff')).toBe('fails');
  });

  it('is unverifiable when kubectl never listed a pod, as in the earlier run captured before the two newer pods', () => {
    expect(judgePodStates(altered((o) => (o.pods['init-fails'].statuses = []))).verdict).toBe('unverifiable');
    const old = judgePodStates(errorOnly);
    expect(old.verdict).toBe('unverifiable');
    expect(old.summary).toContain('kubectl never listed cannot-start, probe-fails');
  });
});
