import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { backOffs, judgePodStates, parseGetPods, type PodStatesObservation } from '../../labs/k8s/pod-states.lab.ts';

/** A real run of k8s-pod-states on the local provider (Kubernetes v1.35.4): eleven pods watched for 80 s. */
const { real, altered } = realSample<PodStatesObservation>('k8s-pod-states-observation.json.gz');
/** An earlier real run, after k8s-probes: the crashing pod looped (BackOff events, growing waits) while kubectl kept showing Error. */
const { real: errorOnly } = realSample<PodStatesObservation>('k8s-pod-states-error-only-observation.json.gz');
const outcomes = (o: PodStatesObservation) => Object.fromEntries((judgePodStates(o).observed.rows as { status: string; outcome: string }[]).map((r) => [r.status, r.outcome]));

describe('k8s-pod-states judge', () => {
  it('is refuted on the real run: OOM and a start failure show their own names, not Error, and a finished pod Completed, not Terminated', () => {
    const result = judgePodStates(real);
    expect(result.verdict).toBe('refuted');
    const states = result.observed.states as Record<string, string[]>;
    expect(states['out-of-memory']).toContain('OOMKilled');
    expect(states['cannot-start']).toContain('StartError');
    expect(states.completes).toContain('Completed');
    expect(outcomes(real)).toMatchObject({ Error: 'fails', Terminated: 'fails', Unknown: 'unobserved', Pending: 'holds', ImagePullBackOff: 'holds', CrashLoopBackOff: 'holds' });
    expect(result.summary).toContain('OOMKilled');
  });

  it('takes the kubelet\'s BackOff events and waits for the crash loop when kubectl showed only Error (as in the earlier run), and says so', () => {
    expect(errorOnly.pods.crashes.statuses.map((s) => s.status)).not.toContain('CrashLoopBackOff');
    const onlyError = (o: PodStatesObservation) => {
      o.pods.crashes.statuses = structuredClone(errorOnly.pods.crashes.statuses);
      delete o.pods.crashes.readyByStatus.CrashLoopBackOff;
    };
    const loop = altered(onlyError);
    expect(outcomes(loop).CrashLoopBackOff).toBe('holds');
    expect(judgePodStates(loop).summary).toContain('kubectl never showed CrashLoopBackOff');
    const noLoop = altered((o) => {
      onlyError(o);
      o.pods.crashes.events = o.pods.crashes.events.filter((e) => !e.startsWith('BackOff'));
    });
    expect(outcomes(noLoop).CrashLoopBackOff).toBe('fails');
  });

  it('fails a row when its state never appeared (an image that is never pulled shows ErrImageNeverPull instead)', () => {
    expect(outcomes(real).ImagePullBackOff).toBe('holds');
    const never = altered((o) => (o.pods['missing-image'].statuses = [{ status: 'ErrImageNeverPull', from: 100, to: 80_000 }]));
    const result = judgePodStates(never);
    expect(result.verdict).toBe('refuted');
    expect(outcomes(never).ImagePullBackOff).toBe('fails');
    expect(result.summary).toContain('ErrImageNeverPull');
  });

  it('is unverifiable when kubectl never listed a pod', () => {
    expect(judgePodStates(altered((o) => (o.pods['init-fails'].statuses = []))).verdict).toBe('unverifiable');
  });

  it('measures the waits between a crashing container\'s runs, longer each time', () => {
    const waits = backOffs(real.crashRuns);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits.at(-1)!).toBeGreaterThan(waits.at(-2)!);
    expect(backOffs([{ startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', exitCode: 1 }, { startedAt: '2026-01-01T00:00:11Z', finishedAt: null, exitCode: null }])).toEqual([10]);
  });

  it('reads kubectl get pods, including a RESTARTS column with "(10s ago)"', () => {
    const out = 'crashes   0/1   CrashLoopBackOff   2 (10s ago)   40s\ninit-fails   0/1   Init:Error   0     41s\n';
    expect(parseGetPods(out)).toEqual({ crashes: 'CrashLoopBackOff', 'init-fails': 'Init:Error' });
  });
});
