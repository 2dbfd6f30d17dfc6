import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeDnat, judgeRoundRobin, judgeSessionAffinity, judgeStableEndpoint, parseConntrack, repeatRate, ruleProbabilities, type ServicesObservation } from '../../labs/k8s/services.lab.ts';

/** A real run of k8s-services on the local provider (Kubernetes v1.35.4, kube-proxy in iptables mode): 600 requests, a pod replaced, session affinity, a DNS lookup. */
const { real, altered } = realSample<ServicesObservation>('k8s-services-observation.json.gz');

describe('k8s-services judges', () => {
  it('refutes round robin on the real run: a third of requests went to the same pod as the one before, as random rules give', () => {
    const result = judgeRoundRobin(real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.sameAsPrevious as number).toBeGreaterThan(0.25);
    expect(ruleProbabilities(real.rules).map((p) => +p.toFixed(3))).toEqual([0.333, 0.5, 1]);
  });

  it('confirms round robin for a strict rotation, nuanced for something in between', () => {
    const pods = [...new Set(real.answers)];
    expect(judgeRoundRobin(altered((o) => (o.answers = o.answers.map((_, i) => pods[i % pods.length]!)))).verdict).toBe('confirmed');
    const mostlyTurns = altered((o) => (o.answers = o.answers.map((_, i) => pods[(i % 10 === 0 ? i - 1 : i) % pods.length]!)));
    expect(repeatRate(mostlyTurns.answers)).toBeLessThan(0.15);
    expect(judgeRoundRobin(mostlyTurns).verdict).toBe('nuanced');
    expect(judgeRoundRobin(altered((o) => (o.answers = o.answers.map(() => 'no answer')))).verdict).toBe('unverifiable');
  });

  it('confirms DNAT on the real run: one rule per pod, connections to the cluster IP answered by pods', () => {
    const result = judgeDnat(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ dnatRules: 3, everyPodATarget: true });
    expect(result.observed.translatedToAPod as number).toBeGreaterThan(0);
    expect(judgeDnat(altered((o) => (o.rules = o.rules.filter((l) => !l.includes('-j DNAT'))))).verdict).toBe('refuted');
  });

  it('reads conntrack lines', () => {
    const line = 'tcp      6 117 TIME_WAIT src=100.64.0.1 dst=100.73.160.193 sport=40210 dport=80 src=100.72.0.3 dst=100.64.0.1 sport=8000 dport=40210 [ASSURED] mark=0 use=1';
    expect(parseConntrack(line)).toEqual({ dst: '100.73.160.193', dport: '80', replySrc: '100.72.0.3', replySport: '8000' });
  });

  it('is unverifiable on the real run: the address held through a replacement, but the DNS name could not be asked, this cluster running no DNS add-on', () => {
    const result = judgeStableEndpoint(real);
    expect(result.verdict).toBe('unverifiable');
    expect(result.observed.clusterIPAfter).toBe(result.observed.clusterIPBefore);
    expect(judgeStableEndpoint(altered((o) => (o.dns.answer = '100.73.160.193  web.services.svc.cluster.local'))).verdict).toBe('confirmed');
    expect(judgeStableEndpoint(altered((o) => (o.replacement.clusterIPAfter = '100.73.0.9'))).verdict).toBe('refuted');
    expect(judgeStableEndpoint(altered((o) => (o.dns.events = []))).verdict).toBe('unverifiable');
    expect(judgeStableEndpoint(altered((o) => (o.replacement.endpointsAfter = o.pods.map((p) => p.ip)))).verdict).toBe('refuted');
  });

  it('confirms session affinity on the real run: every request from one address to one pod, remembered by `recent` rules', () => {
    const result = judgeSessionAffinity(real);
    expect(result.verdict).toBe('confirmed');
    expect(Object.keys(result.observed.perPod as object)).toHaveLength(1);
    expect(result.observed.timeoutSeconds).toBe(10800);
  });

  it('refutes session affinity when the requests spread, unverifiable when they went unanswered', () => {
    const pods = [...new Set(real.answers)];
    expect(judgeSessionAffinity(altered((o) => (o.affinity.answers = o.affinity.answers.map((_, i) => pods[i % pods.length]!)))).verdict).toBe('refuted');
    expect(judgeSessionAffinity(altered((o) => (o.affinity.answers = o.affinity.answers.map(() => 'no answer')))).verdict).toBe('unverifiable');
  });
});
