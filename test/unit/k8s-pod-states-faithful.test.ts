import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgePodStates, parseGetPodsRows, TABLE, type CaseName, type PodStates, type PodStatesObservation } from '../../labs/k8s/pod-states.lab.ts';

/**
 * k8s.pod.status-causes restated as the sheet's whole table: every row's status, 说明 and causes.
 * The real run of k8s-pod-states (Kubernetes v1.35.4, nine pods watched for 80 s) predates the two
 * pods the lab now adds (a command that does not exist, a readiness probe that always fails) and the
 * READY column, phase and node it now records. The fixture is extended here: each old pod's phase and
 * node as its statuses and Scheduled event imply, READY 0/1 with each status shown; the two new pods
 * as the kubelet reports such pods (StartError, exit 128; Running 0/1 with Unhealthy events). The
 * fixture will be recaptured from a real run.
 */
const PHASE: Record<string, string> = { Pending: 'Pending', ContainerCreating: 'Pending', ErrImagePull: 'Pending', ImagePullBackOff: 'Pending', CreateContainerConfigError: 'Pending', Error: 'Failed', OOMKilled: 'Failed', 'Init:Error': 'Failed', Completed: 'Succeeded', CrashLoopBackOff: 'Running' };

function extend(o: PodStatesObservation): void {
  const node = Object.values(o.pods).flatMap((p) => p.events).map((e) => e.match(/^Scheduled: Successfully assigned \S+ to (\S+)/)?.[1]).find(Boolean)!;
  for (const [name, p] of Object.entries(o.pods) as [CaseName, PodStates][]) {
    const last = p.statuses.at(-1)!.status;
    p.phase = name === 'crashes' ? 'Running' : PHASE[last]!;
    p.node = p.events.some((e) => e.startsWith('Scheduled:')) ? node : null;
    p.readyByStatus = Object.fromEntries(p.statuses.map((s) => [s.status, ['0/1']]));
  }
  const scheduled = (pod: string) => `Scheduled: Successfully assigned pod-states-fc1eb1d7/${pod} to ${node}`;
  o.pods['cannot-start'] = {
    statuses: [{ status: 'ContainerCreating', from: 104, to: 1247 }, { status: 'StartError', from: 2440, to: 79_242 }],
    readyByStatus: { ContainerCreating: ['0/1'], StartError: ['0/1'] },
    phase: 'Failed',
    node,
    reasons: ['app terminated: StartError (exit 128)'],
    events: [scheduled('cannot-start'), 'Failed: Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/no/such/command": stat /no/such/command: no such file or directory: unknown'],
  };
  o.pods['probe-fails'] = {
    statuses: [{ status: 'ContainerCreating', from: 104, to: 1247 }, { status: 'Running', from: 2440, to: 79_242 }],
    readyByStatus: { ContainerCreating: ['0/1'], Running: ['0/1'] },
    phase: 'Running',
    node,
    reasons: ['app running (restarts 0)'],
    events: [scheduled('probe-fails'), 'Started: Started container app', 'Unhealthy: Readiness probe failed: '],
  };
}

const sample = realSample<PodStatesObservation>('k8s-pod-states-observation.json.gz');
const errorOnly = realSample<PodStatesObservation>('k8s-pod-states-error-only-observation.json.gz');
const extended = (change: (o: PodStatesObservation) => void = () => {}) =>
  sample.altered((o) => {
    extend(o);
    change(o);
  });
const rowOf = (o: PodStatesObservation, status: string) => (judgePodStates(o).observed.rows as { status: string; outcome: string }[]).find((r) => r.status === status)!.outcome;

describe("k8s-pod-states judge of the whole troubleshooting table", () => {
  it('reads READY beside STATUS from kubectl get pods', () => {
    expect(parseGetPodsRows('probe-fails   0/1   Running   0     41s\ncrashes   0/1   CrashLoopBackOff   2 (10s ago)   40s\n')).toEqual({ 'probe-fails': { ready: '0/1', status: 'Running' }, crashes: { ready: '0/1', status: 'CrashLoopBackOff' } });
  });

  it('is refuted on the real run: Error and Terminated do not hold, Unknown not produced, the six other rows held', () => {
    const real = extended();
    const result = judgePodStates(real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.rows).toEqual(TABLE.map((t) => expect.objectContaining({ status: t.status })));
    const outcomes = Object.fromEntries(TABLE.map((t) => [t.status, rowOf(real, t.status)]));
    expect(outcomes).toEqual({ Pending: 'holds', ImagePullBackOff: 'holds', CrashLoopBackOff: 'holds', Error: 'fails', Running: 'holds', Terminated: 'fails', Unknown: 'unobserved', CreateContainerConfigError: 'holds', 'Init:Error': 'holds' });
    expect(result.summary).toContain('2 of the table\'s 9 rows did not hold');
    expect(result.summary).toContain('out-of-memory (allocates 256 MiB under a 64 MiB limit; restartPolicy Never (OOM)) showed ContainerCreating → OOMKilled');
    expect(result.summary).toContain('cannot-start');
    expect(result.summary).toContain('"Terminated" is the API\'s container state, not a STATUS kubectl shows');
    expect(result.summary).toContain('Unknown (node lost, kubelet problem) was not produced');
    expect(result.summary).toContain('showed Running with READY 0/1 throughout');
    // The 说明 of Pending, as kubectl shows it: the pods left Pending were never bound; as a phase, Pending also covered bound pods.
    expect(result.summary).toContain("The API's phase Pending also covered missing-image");
    expect(result.summaryZh).toContain('表中 9 行里有 2 行不成立');
  });

  it('is unverifiable when every row it could produce held (Unknown cannot be produced on one node)', () => {
    const allShown = extended((o) => {
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
    expect(rowOf(extended((o) => (o.pods['probe-fails'].readyByStatus.Running = ['0/1', '1/1'])), 'Running')).toBe('fails');
    expect(rowOf(extended((o) => (o.pods['probe-fails'].events = o.pods['probe-fails'].events.filter((e) => !e.startsWith('Unhealthy')))), 'Running')).toBe('unobserved');
  });

  it('fails the Pending row when a pod bound to the node was shown as Pending, or an unschedulable pod showed something else', () => {
    expect(rowOf(extended((o) => (o.pods['wants-1000-cpus'].node = 'labs-fc1eb1d7')), 'Pending')).toBe('fails');
    expect(rowOf(extended((o) => (o.pods['wants-missing-node'].statuses = [{ status: 'SchedulingGated', from: 104, to: 79_242 }])), 'Pending')).toBe('fails');
  });

  it('takes the kubelet\'s BackOff events for the crash loop when kubectl showed only Error, and fails the row without them', () => {
    const loop = errorOnly.altered(extend);
    expect(rowOf(loop, 'CrashLoopBackOff')).toBe('holds');
    expect(judgePodStates(loop).summary).toContain('kubectl never showed CrashLoopBackOff for crashes');
    const noLoop = errorOnly.altered((o) => {
      extend(o);
      o.pods.crashes.events = o.pods.crashes.events.filter((e) => !e.startsWith('BackOff'));
    });
    expect(rowOf(noLoop, 'CrashLoopBackOff')).toBe('fails');
  });

  it('is unverifiable when kubectl never listed a pod, as in the fixture captured before the two new pods', () => {
    expect(judgePodStates(extended((o) => (o.pods['init-fails'].statuses = []))).verdict).toBe('unverifiable');
    const old = judgePodStates(sample.real);
    expect(old.verdict).toBe('unverifiable');
    expect(old.summary).toContain('kubectl never listed cannot-start, probe-fails');
  });
});
