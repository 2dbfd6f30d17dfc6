import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeServiceTypes, type HeadlessTypeAnswer, type ServiceTypesObservation } from '../../labs/k8s/service-types.lab.ts';

/**
 * A real run of k8s-service-types on the local provider (Kubernetes v1.35.4, no cloud provider): the five Services as
 * seen, and the apiserver's 422 to a Service of type Headless.
 */
const { real, altered } = realSample<ServiceTypesObservation>('k8s-service-types-observation.json.gz');
/** What an apiserver taking Headless as a type would have answered. */
const accepted: HeadlessTypeAnswer = { code: 201, reason: 'Created', message: '', stored: true, storedType: 'Headless' };
const headlessTaken = (change: (o: ServiceTypesObservation) => void = () => {}) => altered((o) => ((o.headlessAsType = { ...accepted }), change(o)));

describe('k8s-service-types judge', () => {
  it('is refuted on the real run: type Headless refused with 422; the listed types behaved, the LoadBalancer without a cloud got no address', () => {
    const result = judgeServiceTypes(real);
    expect(result.verdict).toBe('refuted');
    expect(real.headlessAsType).toMatchObject({ code: 422, reason: 'Invalid', stored: false });
    expect(real.services.loadbalancer.loadBalancerIngress).toEqual([]);
    expect(real.services.headless).toMatchObject({ clusterIP: 'None', dnatRules: 0 });
  });

  it('is nuanced had Headless been taken as a type, the LoadBalancer still without an address', () => {
    expect(judgeServiceTypes(headlessTaken()).verdict).toBe('nuanced');
  });

  it('is confirmed when, besides, the LoadBalancer got an address', () => {
    expect(judgeServiceTypes(headlessTaken((o) => (o.services.loadbalancer.loadBalancerIngress = ['198.51.100.7']))).verdict).toBe('confirmed');
  });

  it('is refuted when a Service with no type is not a ClusterIP, or a headless one gets rules; unverifiable when the NodePort was not reached', () => {
    expect(judgeServiceTypes(headlessTaken((o) => (o.services.plain.type = 'NodePort'))).verdict).toBe('refuted');
    expect(judgeServiceTypes(headlessTaken((o) => (o.services.headless.dnatRules = 2))).verdict).toBe('refuted');
    expect(judgeServiceTypes(headlessTaken((o) => (o.services.nodeport.nodePort = null))).verdict).toBe('refuted');
    expect(judgeServiceTypes(headlessTaken((o) => (o.services.nodeport.viaNodePort = 'no answer'))).verdict).toBe('unverifiable');
  });
});
