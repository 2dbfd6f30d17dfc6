import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeServiceTypes, type HeadlessTypeAnswer, type ServiceTypesObservation } from '../../labs/k8s/service-types.lab.ts';
import { supportedValues } from '../../src/systems/kubernetes.ts';

/**
 * k8s.service.types restated as the sheet says it: five types, Headless the fifth. The real run of
 * k8s-service-types (Kubernetes v1.35.4, no cloud provider) predates the lab's request for a Service
 * of type Headless, so the fixture is extended here with that request's answer, in the form the
 * apiserver's validation gives it; the fixture will be recaptured from a real run.
 */
const REFUSAL: HeadlessTypeAnswer = {
  code: 422,
  reason: 'Invalid',
  message: 'Service "typed-headless" is invalid: spec.type: Unsupported value: "Headless": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  stored: false,
  storedType: null,
};
const sample = realSample<ServiceTypesObservation>('k8s-service-types-observation.json.gz');
const withAnswer = (answer: HeadlessTypeAnswer, change: (o: ServiceTypesObservation) => void = () => {}) =>
  sample.altered((o) => {
    o.headlessAsType = { ...answer };
    change(o);
  });
const real = withAnswer(REFUSAL);

describe('k8s-service-types judge, on the sheet\'s five types', () => {
  it('reads the supported values out of the apiserver\'s refusal', () => {
    expect(supportedValues(REFUSAL.message)).toEqual(['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']);
    expect(supportedValues('forbidden')).toEqual([]);
  });

  it('is refuted on the real run: type Headless refused with 422, the headless Service a ClusterIP with clusterIP None', () => {
    expect(sample.real.services.headless).toMatchObject({ type: 'ClusterIP', clusterIP: 'None' });
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
    // The fixture as captured, before the lab asked for type Headless.
    expect(judgeServiceTypes(sample.real).verdict).toBe('unverifiable');
    expect(judgeServiceTypes(sample.real).summary).toContain('no Service of type Headless was asked for');
  });

  it('is refuted as before when a listed behaviour fails, whatever the answer to type Headless', () => {
    expect(judgeServiceTypes(withAnswer(REFUSAL, (o) => (o.services.headless.dnatRules = 2))).verdict).toBe('refuted');
    expect(judgeServiceTypes(withAnswer(REFUSAL, (o) => (o.services.headless.dnatRules = 2))).summary).toContain('headlessHasNoClusterIP');
  });
});
