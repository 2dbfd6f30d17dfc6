import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeJobs, judgeNamespaces, type JobsObservation } from '../../labs/k8s/jobs.lab.ts';

/** A real run of k8s-jobs on the local provider (Kubernetes v1.35.4). */
const { real, altered } = realSample<JobsObservation>('k8s-jobs-observation.json.gz');

describe('k8s-jobs judges', () => {
  it('confirms the four namespaces on the real run; nuanced with another, refuted without one', () => {
    expect(judgeNamespaces(real).verdict).toBe('confirmed');
    expect(judgeNamespaces(altered((o) => o.namespaces.push({ name: 'monitoring', ageSeconds: 3 }))).verdict).toBe('nuanced');
    expect(judgeNamespaces(altered((o) => (o.namespaces = o.namespaces.filter((n) => n.name !== 'kube-public')))).verdict).toBe('refuted');
  });

  it('confirms the Job and the CronJob on the real run', () => {
    const result = judgeJobs(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ succeeded: 3, maxRunningAtOnce: 2, restarts: 0 });
  });

  it('is refuted when the Job ran more pods at once than its parallelism, nuanced when the CronJob made nothing', () => {
    expect(judgeJobs(altered((o) => (o.job.samples[1]!.running = 3))).verdict).toBe('refuted');
    expect(judgeJobs(altered((o) => (o.cronJob.jobs = []))).verdict).toBe('nuanced');
  });
});
