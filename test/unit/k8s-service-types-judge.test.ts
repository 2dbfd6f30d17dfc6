import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeServiceTypes, type ServiceTypesObservation } from '../../labs/k8s/service-types.lab.ts';

/** A real run of k8s-service-types on the local provider (Kubernetes v1.35.4, no cloud provider). */
const { real, altered } = realSample<ServiceTypesObservation>('k8s-service-types-observation.json.gz');

describe('k8s-service-types judge', () => {
  it('is nuanced on the real run: every type as listed, but a LoadBalancer without a cloud gets no address', () => {
    const result = judgeServiceTypes(real);
    expect(result.verdict).toBe('nuanced');
    expect(real.services.loadbalancer.loadBalancerIngress).toEqual([]);
    expect(real.services.headless).toMatchObject({ clusterIP: 'None', dnatRules: 0 });
  });

  it('is confirmed when the LoadBalancer got an address', () => {
    expect(judgeServiceTypes(altered((o) => (o.services.loadbalancer.loadBalancerIngress = ['198.51.100.7']))).verdict).toBe('confirmed');
  });

  it('is refuted when a Service with no type is not a ClusterIP, or a headless one gets rules', () => {
    expect(judgeServiceTypes(altered((o) => (o.services.plain.type = 'NodePort'))).verdict).toBe('refuted');
    expect(judgeServiceTypes(altered((o) => (o.services.headless.dnatRules = 2))).verdict).toBe('refuted');
    expect(judgeServiceTypes(altered((o) => (o.services.nodeport.nodePort = null))).verdict).toBe('refuted');
    expect(judgeServiceTypes(altered((o) => (o.services.nodeport.viaNodePort = 'no answer'))).verdict).toBe('unverifiable');
  });
});
