import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeServiceTypes, type HeadlessTypeAnswer, type ServiceTypesObservation } from '../../labs/k8s/service-types.lab.ts';
import { supportedValues } from '../../src/systems/kubernetes.ts';

/**
 * k8s.service.types restated as the sheet says it: five types, Headless the fifth. The real run of
 * k8s-service-types (Kubernetes v1.35.4, no cloud provider; test/fixtures/k8s-service-types-observation.json.gz)
 * asked the apiserver for a Service of type Headless and got 422 Invalid, naming the supported values.
 * Altered copies give the other verdicts.
 */
const { real, altered } = realSample<ServiceTypesObservation>('k8s-service-types-observation.json.gz');
const REFUSAL: HeadlessTypeAnswer = real.headlessAsType;
const withAnswer = (answer: HeadlessTypeAnswer, change: (o: ServiceTypesObservation) => void = () => {}) =>
  altered((o) => {
    o.headlessAsType = { ...answer };
    change(o);
  });

describe('k8s-service-types judge, on the sheet\'s five types', () => {
  it('reads the supported values out of the apiserver\'s refusal', () => {
    expect(REFUSAL).toMatchObject({ code: 422, reason: 'Invalid', stored: false, storedType: null });
    expect(supportedValues(REFUSAL.message)).toEqual(['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']);
    expect(supportedValues('forbidden')).toEqual([]);
  });

  it('is refuted on the real run: type Headless refused with 422, the headless Service a ClusterIP with clusterIP None', () => {
    expect(real.services.headless).toMatchObject({ type: 'ClusterIP', clusterIP: 'None' });
    const result = judgeServiceTypes(real);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('Headless is not a Service type');
    expect(result.summary).toContain('ClusterIP, ExternalName, LoadBalancer, NodePort');
    expect(result.summary).toContain('stored with type ClusterIP');
    expect(result.summaryZh).toContain('Headless 并不是一种 Service 类型');
    expect(result.observed).toMatchObject({ headlessServiceType: 'ClusterIP', headlessAsType: { code: 422, supportedTypes: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] } });
  });

  it('is refuted too when the apiserver stored the Service as another type instead', () => {
    expect(judgeServiceTypes(withAnswer({ code: 201, reason: 'Created', message: '', stored: true, storedType: 'ClusterIP' })).verdict).toBe('refuted');
  });

  it('is nuanced if Headless had been taken as a type (the LoadBalancer still without an address), confirmed if the LoadBalancer got one too', () => {
    const accepted: HeadlessTypeAnswer = { code: 201, reason: 'Created', message: '', stored: true, storedType: 'Headless' };
    expect(judgeServiceTypes(withAnswer(accepted)).verdict).toBe('nuanced');
    expect(judgeServiceTypes(withAnswer(accepted, (o) => (o.services.loadbalancer.loadBalancerIngress = ['198.51.100.7']))).verdict).toBe('confirmed');
  });

  it('is unverifiable when the request for type Headless got an answer that is no verdict on types, or a request got no answer', () => {
    const forbidden = judgeServiceTypes(withAnswer({ code: 403, reason: 'Forbidden', message: 'services is forbidden', stored: false, storedType: null }));
    expect(forbidden.verdict).toBe('unverifiable');
    expect(forbidden.summary).toContain('403');
    expect(judgeServiceTypes(withAnswer(REFUSAL, (o) => (o.services.nodeport.viaNodePort = 'no answer'))).verdict).toBe('unverifiable');
    // As in runs made before the lab asked for type Headless.
    const notAsked = judgeServiceTypes(altered((o) => delete (o as Partial<ServiceTypesObservation>).headlessAsType));
    expect(notAsked.verdict).toBe('unverifiable');
    expect(notAsked.summary).toContain('no Service of type Headless was asked for');
  });

  it('is refuted as before when a listed behaviour fails, whatever the answer to type Headless', () => {
    expect(judgeServiceTypes(withAnswer(REFUSAL, (o) => (o.services.headless.dnatRules = 2))).verdict).toBe('refuted');
    expect(judgeServiceTypes(withAnswer(REFUSAL, (o) => (o.services.headless.dnatRules = 2))).summary).toContain('headlessHasNoClusterIP');
  });
});
