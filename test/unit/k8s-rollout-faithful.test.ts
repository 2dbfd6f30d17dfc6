import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { BLUE_GREEN_TYPES, judgeAvailable, judgeReplicaSet, type BlueGreenAnswer, type RolloutObservation } from '../../labs/k8s/rollout.lab.ts';

/**
 * k8s.deployment.replicaset restated as the sheet says it (RollingUpdate and Blue-Green), and
 * k8s.deployment.available with its "all pods", on the real run of k8s-rollout (Kubernetes v1.35.4;
 * test/fixtures/k8s-rollout-observation.json.gz): its rolling update and undo, the apiserver's answers
 * to a dry-run replace of the Deployment with strategy.type BlueGreen and Blue-Green (422 Invalid
 * each), and the strategy enum of the OpenAPI schema (Recreate, RollingUpdate). Altered copies give
 * the other verdicts.
 */
const { real, altered } = realSample<RolloutObservation>('k8s-rollout-observation.json.gz');
const withAnswers = (answers: BlueGreenAnswer[], change: (o: RolloutObservation) => void = () => {}) =>
  altered((o) => {
    o.blueGreen = answers.map((a) => ({ ...a }));
    change(o);
  });
/** The real answer to strategy.type BlueGreen: 422 Invalid. */
const refusedBlueGreen = real.blueGreen[0]!;
const updateStart = real.marks.find((m) => m.label === 'template changed')!.at;

describe('k8s-rollout judge of the sheet\'s strategies', () => {
  it('is refuted on the real run: both blue-green spellings refused with 422, while the rolling update and the undo held', () => {
    expect(real.blueGreen.map((b) => [b.type, b.code, b.reason])).toEqual(BLUE_GREEN_TYPES.map((t) => [t, 422, 'Invalid']));
    const result = judgeReplicaSet(real);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('A Deployment has no blue-green strategy');
    expect(result.summary).toContain('The strategy types it allows are Recreate and RollingUpdate');
    expect(result.summary).toContain('The rest of the statement held. The Deployment ran its pods through ReplicaSets');
    expect(result.summaryZh).toContain('Deployment 没有蓝绿部署策略');
    expect(result.observed).toMatchObject({ maxPodsDuringUpdate: 5, minReadyDuringUpdate: 3, rolledBackToTheFirstReplicaSet: true, supportedStrategyTypes: ['Recreate', 'RollingUpdate'] });
  });

  it('is refuted too when the apiserver put another strategy in place of the one asked for', () => {
    expect(judgeReplicaSet(withAnswers([{ type: 'BlueGreen', code: 200, reason: '', message: '', acceptedType: 'RollingUpdate' }])).verdict).toBe('refuted');
  });

  it('is confirmed if the apiserver had taken a blue-green strategy', () => {
    const taken = judgeReplicaSet(withAnswers([refusedBlueGreen, { type: 'Blue-Green', code: 200, reason: '', message: '', acceptedType: 'Blue-Green' }]));
    expect(taken.verdict).toBe('confirmed');
    expect(taken.summary).toContain('took the strategy type Blue-Green');
  });

  it('is unverifiable when blue-green got no verdict from the apiserver, or was not asked for (as in runs made before the lab asked)', () => {
    const unanswered = judgeReplicaSet(withAnswers([refusedBlueGreen, { type: 'Blue-Green', code: 0, reason: '', message: 'connection refused', acceptedType: null }]));
    expect(unanswered.verdict).toBe('unverifiable');
    expect(unanswered.summary).toContain('neither took nor refused');
    const notAsked = judgeReplicaSet(altered((o) => ((o.blueGreen = []), (o.strategyTypes = []))));
    expect(notAsked.verdict).toBe('unverifiable');
    expect(notAsked.summary).toContain('no blue-green strategy was asked for');
  });

  it('is refuted by the rolling update first, whatever blue-green got', () => {
    const over = withAnswers([{ type: 'BlueGreen', code: 200, reason: '', message: '', acceptedType: 'BlueGreen' }], (o) => {
      o.samples.find((x) => x.at > updateStart)!.sets.extra = { pods: 2, bound: 2, running: 2, ready: 0 };
    });
    expect(judgeReplicaSet(over).verdict).toBe('refuted');
    expect(judgeReplicaSet(over).summary).toContain('over replicas + maxSurge');
  });

  it('judges Available against "all pods": nuanced on the real run, with 3 of 4 Ready', () => {
    const result = judgeAvailable(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('Available does not wait for every pod');
    expect(result.observed.readyPodsWhenAvailable).toBe(3);
  });
});
