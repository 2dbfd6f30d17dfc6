import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeKubeletProbes, judgeLiveness, judgeReadiness, judgeStartup, type ProbeObservation } from '../../labs/k8s/probes.lab.ts';

/** A whole observation of a real run of the lab (one-node cluster, Kubernetes v1.35.4). */
const real = JSON.parse(readFileSync(new URL('../fixtures/k8s-probes-observation.json', import.meta.url), 'utf8')) as ProbeObservation;
const altered = (change: (o: ProbeObservation) => void): ProbeObservation => {
  const copy = structuredClone(real);
  change(copy);
  return copy;
};

describe('readiness probe', () => {
  it('is nuanced on the real run: out of rotation, no restart, but the endpoint stays listed as not ready', () => {
    const result = judgeReadiness(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed.servedByUnreadyPod).toBe(0);
    expect(result.summary).toContain('ready condition false');
  });

  it('is confirmed if the endpoint had disappeared from the list instead', () => {
    const result = judgeReadiness(altered((o) => (o.samples = o.samples.map((s) => (s.endpoint === 'not ready' ? { ...s, endpoint: 'absent' } : s)))));
    expect(result.verdict).toBe('confirmed');
  });

  it('is refuted if the unready pod still answered, or was restarted', () => {
    expect(judgeReadiness(altered((o) => (o.unready.servedBy[o.unready.pod] = 3))).verdict).toBe('refuted');
    expect(judgeReadiness(altered((o) => (o.unready.restartsAfter = o.unready.restartsBefore + 1))).verdict).toBe('refuted');
  });
});

describe('liveness probe', () => {
  it('is confirmed on the real run: a new container, the restart count up by one', () => {
    const result = judgeLiveness(real);
    expect(result.verdict).toBe('confirmed');
    expect(real.unhealthy.restartsAfter).toBe(real.unhealthy.restartsBefore + 1);
  });

  it('is refuted if the container had kept running', () => {
    expect(judgeLiveness(altered((o) => ((o.unhealthy.restartsAfter = o.unhealthy.restartsBefore), (o.unhealthy.containerAfter = o.unhealthy.containerBefore)))).verdict).toBe('refuted');
  });
});

describe('startup probe', () => {
  it('is nuanced on the real run: it holds liveness off rather than checking health', () => {
    expect(real.slowStart.without.restarts).toBeGreaterThan(0);
    expect(real.slowStart.withStartupProbe.restarts).toBe(0);
    expect(judgeStartup(real).verdict).toBe('nuanced');
  });

  it('is refuted if the guarded pod had been restarted too', () => {
    expect(judgeStartup(altered((o) => (o.slowStart.withStartupProbe.restarts = 2))).verdict).toBe('refuted');
  });
});

describe('who runs the probes', () => {
  it('is confirmed on the real run: every probe from the node, as kube-probe, status written by the kubelet', () => {
    const result = judgeKubeletProbes(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed.userAgents).toEqual(['kube-probe/1.35']);
  });

  it('is refuted if probes came from elsewhere or the status from another writer', () => {
    expect(judgeKubeletProbes(altered((o) => (o.probeRequests[0]!.source = '100.72.0.9'))).verdict).toBe('refuted');
    expect(judgeKubeletProbes(altered((o) => (o.statusManagers = ['kube-controller-manager']))).verdict).toBe('refuted');
  });
});
