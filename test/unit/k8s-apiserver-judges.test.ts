import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeGates, judgeQuotaLimits, judgeSecretTypes, type ApiserverObservation } from '../../labs/k8s/apiserver.lab.ts';

/** A real run of k8s-apiserver on the local provider (Kubernetes v1.35.4). */
const { real, altered } = realSample<ApiserverObservation>('k8s-apiserver-observation.json.gz');
const request = (o: ApiserverObservation, credentials: string) => o.requests.find((r) => r.credentials === credentials)!;

const FOREIGN = 'client certificate from another CA, O=system:masters';
const pod = (o: ApiserverObservation, name: string) => o.pods.find((p) => p.pod === name && p.namespace === 'with quota and limits')!;

describe('k8s-apiserver judges', () => {
  it('confirms the three gates: 401, 401, 403 as system:anonymous, 403 then 200 for the service account, admission refusals', () => {
    const result = judgeGates(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed.requests).toContain('no credentials: 403 as system:anonymous');
  });

  it('counts a foreign certificate refused in the TLS handshake as not authenticated; refutes one let in; unverifiable for a request with no answer', () => {
    expect(judgeGates(altered((o) => Object.assign(request(o, FOREIGN), { code: 0, message: 'OpenSSL/3.0.17: error:0A000412:SSL routines::sslv3 alert bad certificate' }))).verdict).toBe('confirmed');
    expect(judgeGates(altered((o) => Object.assign(request(o, FOREIGN), { code: 200, user: 'intruder' }))).verdict).toBe('refuted');
    expect(judgeGates(altered((o) => Object.assign(request(o, 'no credentials'), { code: 0, message: 'Failed to connect to 127.0.0.1 port 6443: Connection refused' }))).verdict).toBe('unverifiable');
    expect(judgeGates(altered((o) => (o.requests = o.requests.slice(1)))).verdict).toBe('unverifiable');
  });

  it('confirms the quota and the limit range held for their namespace alone; refutes a refusal for another reason; unverifiable without a pod', () => {
    expect(judgeQuotaLimits(real).verdict).toBe('confirmed');
    expect(judgeQuotaLimits(altered((o) => (pod(o, 'second').code = 201))).verdict).toBe('refuted');
    expect(judgeQuotaLimits(altered((o) => (pod(o, 'one-cpu').message = 'pods "one-cpu" is forbidden: exceeded quota: one-pod'))).verdict).toBe('refuted');
    expect(judgeQuotaLimits(altered((o) => (o.pods = o.pods.filter((p) => p.pod !== 'one-cpu')))).verdict).toBe('unverifiable');
  });

  it("finds kubectl's docker-registry and tls to be command names for kubernetes.io types; confirmed if stored as named, refuted if generic is not Opaque, unverifiable if kubectl failed", () => {
    expect(judgeSecretTypes(real).verdict).toBe('nuanced');
    expect(judgeSecretTypes(real).summary).toContain('without tls.key was refused (422');
    expect(judgeSecretTypes(altered((o) => (o.secrets[3]!.code = 201))).summary).toContain('was not refused as invalid');
    expect(judgeSecretTypes(altered((o) => ((o.secrets[1]!.type = 'docker-registry'), (o.secrets[2]!.type = 'tls')))).verdict).toBe('confirmed');
    expect(judgeSecretTypes(altered((o) => (o.secrets[0]!.type = 'kubernetes.io/basic-auth'))).verdict).toBe('refuted');
    expect(judgeSecretTypes(altered((o) => Object.assign(o.secrets[2]!, { code: 0, type: null, message: 'error: tls: failed to find any PEM data' }))).verdict).toBe('unverifiable');
    expect(judgeSecretTypes(altered((o) => (o.secrets = o.secrets.slice(0, 3)))).verdict).toBe('unverifiable');
  });
});
