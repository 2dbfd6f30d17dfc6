import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeAvailable, judgeFlow, judgeReplicaSet, type RolloutObservation } from '../../labs/k8s/rollout.lab.ts';

/**
 * A real run of k8s-rollout on the local provider (Kubernetes v1.35.4): apply, one pod held unready, an update, an undo,
 * sampled every 100 ms, and the apiserver refusing (422) the same Deployment with a blue-green strategy type.
 */
const { real, altered } = realSample<RolloutObservation>('k8s-rollout-observation.json.gz');
const updateStart = real.marks.find((m) => m.label === 'template changed')!.at;
const undoAt = real.marks.find((m) => m.label === 'rollout undo')!.at;
const total = (s: RolloutObservation['samples'][number], field: 'running' | 'ready') => Object.values(s.sets).reduce((a, x) => a + x[field], 0);

describe('k8s-rollout judges', () => {
  it('is refuted on the real run by blue-green (422), the rolling update within its bounds and the roll back to the first ReplicaSet holding', () => {
    const result = judgeReplicaSet(real);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('A Deployment has no blue-green strategy');
    expect(result.observed).toMatchObject({ maxPodsDuringUpdate: 5, minReadyDuringUpdate: 3, samplesDuringUpdate: 85, rolledBackToTheFirstReplicaSet: true });
  });

  it('is confirmed had the apiserver taken a blue-green strategy type for the same Deployment', () => {
    const taken = altered((o) => (o.blueGreen[1] = { type: 'Blue-Green', code: 200, reason: '', message: '', acceptedType: 'Blue-Green' }));
    expect(judgeReplicaSet(taken).verdict).toBe('confirmed');
  });

  it('refutes it when a sample breaks the ceiling, or the undo makes a new ReplicaSet', () => {
    const over = altered((o) => {
      const s = o.samples.find((x) => x.at > updateStart)!;
      s.sets.extra = { pods: 2, bound: 2, running: 2, ready: 0 };
    });
    expect(judgeReplicaSet(over)).toMatchObject({ verdict: 'refuted', summary: expect.stringContaining('over replicas + maxSurge = 5') });
    expect(judgeReplicaSet(altered((o) => (o.hashes.afterUndo = 'ffffffffff')))).toMatchObject({ verdict: 'refuted', summary: 'The undo did not bring the first ReplicaSet back.' });
  });

  it('is unverifiable when the sampler missed the update (no sample between the template change and the undo), and says so', () => {
    expect(real.samples.filter((s) => s.at >= updateStart && s.at < undoAt).length).toBeGreaterThanOrEqual(5);
    const gap = altered((o) => (o.samples = o.samples.filter((s) => s.at < updateStart || s.at >= undoAt)));
    const result = judgeReplicaSet(gap);
    expectNotObserved(result, 'Only 0 samples fell within the update');
    expect(result.observed).toMatchObject({ samplesDuringUpdate: 0 });
  });

  it('is nuanced about Available on the real run: True with 3 of 4 Ready, while one was held', () => {
    const result = judgeAvailable(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed.readyPodsWhenAvailable).toBe(3);
  });

  it('confirms Available if it had waited for every pod; unverifiable if the held pod was already Ready', () => {
    const waited = altered((o) => o.samples.forEach((s) => (s.available = s.available && Object.values(s.sets).reduce((a, x) => a + x.ready, 0) === o.replicas)));
    expect(judgeAvailable(waited).verdict).toBe('confirmed');
    expect(judgeAvailable(altered((o) => (o.heldWasAlreadyReady = true))).verdict).toBe('unverifiable');
  });

  it('refutes Available had it turned True while the pods ran but none had passed its readiness probe', () => {
    // The real run: 4 pods running and none Ready from about 1.6 s, for seconds, with Available false throughout.
    const first = real.samples.find((s) => total(s, 'running') === real.replicas && total(s, 'ready') === 0)!;
    expect(first.available).toBe(false);
    const early = altered((o) => o.samples.forEach((s) => (s.available ||= s.at < updateStart && total(s, 'running') >= o.replicas - o.maxUnavailable)));
    const result = judgeAvailable(early);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ availableAfterMs: first.at, readyPodsWhenAvailable: 0 });
  });

  it('confirms the flow on the real run; refuted out of order, unverifiable when a step left no event', () => {
    expect(judgeFlow(real).verdict).toBe('confirmed');
    expect(judgeFlow(altered((o) => (o.events = o.events.filter((e) => e.component !== 'default-scheduler')))).verdict).toBe('unverifiable');
    const late = altered((o) => o.events.filter((e) => e.component === 'deployment-controller').forEach((e) => (e.at += 60_000)));
    expect(judgeFlow(late).verdict).toBe('refuted');
    // A kubelet event stamped to the second (rounded down) may read up to a second before the scheduler's.
    const scheduled = real.events.find((e) => e.component === 'default-scheduler' && e.reason === 'Scheduled')!.at;
    const rounded = altered((o) => o.events.filter((e) => e.component === 'kubelet' && e.reason === 'Started').forEach((e) => (e.at = scheduled - 500)));
    expect(judgeFlow(rounded).verdict).toBe('confirmed');
    expect(judgeFlow(altered((o) => (o.inEtcdAfterApply = false))).verdict).toBe('refuted');
  });
});
