import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { backOffs, judgePodStates, parseGetPods, type PodStatesObservation } from '../../labs/k8s/pod-states.lab.ts';

/** A real run of k8s-pod-states on the local provider (Kubernetes v1.35.4): nine pods watched for 80 s. */
const { real, altered } = realSample<PodStatesObservation>('k8s-pod-states-observation.json.gz');
/** Another real run, after k8s-probes: the crashing pod looped (BackOff events, growing waits) while kubectl kept showing Error. */
const { real: errorOnly } = realSample<PodStatesObservation>('k8s-pod-states-error-only-observation.json.gz');

describe('k8s-pod-states judge', () => {
  it('is confirmed on the real run: each claimed state came from its cause; OOM and a finished pod show other names', () => {
    const result = judgePodStates(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ claimedStatesReached: 6, claimedStates: 6 });
    const states = result.observed.states as Record<string, string[]>;
    expect(states['out-of-memory']).toContain('OOMKilled');
    expect(states.completes).toContain('Completed');
    expect(result.summary).toContain('OOMKilled');
  });

  it('takes the kubelet\'s BackOff events and waits for the crash loop when kubectl showed only Error, and says so', () => {
    expect(errorOnly.pods.crashes.statuses.map((s) => s.status)).not.toContain('CrashLoopBackOff');
    const result = judgePodStates(errorOnly);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('kubectl never showed CrashLoopBackOff');
    const noLoop = structuredClone(errorOnly);
    noLoop.pods.crashes.events = noLoop.pods.crashes.events.filter((e) => !e.startsWith('BackOff'));
    expect(judgePodStates(noLoop).verdict).toBe('refuted');
  });

  it('is refuted when a state never appeared (an image that is never pulled shows ErrImageNeverPull instead)', () => {
    const never = altered((o) => (o.pods['missing-image'].statuses = [{ status: 'ErrImageNeverPull', from: 100, to: 80_000 }]));
    const result = judgePodStates(never);
    expect(result.verdict).toBe('refuted');
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
