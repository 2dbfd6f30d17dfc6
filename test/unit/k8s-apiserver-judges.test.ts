import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { judgeGates, judgeQuotaLimits, judgeSecretTypes, type ApiserverObservation } from '../../labs/k8s/apiserver.lab.ts';

/** A real run of k8s-apiserver on the local provider (Kubernetes v1.35.4). */
const real = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/k8s-apiserver-observation.json.gz', import.meta.url))).toString()) as ApiserverObservation;
const altered = (change: (o: ApiserverObservation) => void) => {
  const copy = structuredClone(real);
  change(copy);
  return copy;
};
const request = (o: ApiserverObservation, credentials: string) => o.requests.find((r) => r.credentials === credentials)!;

describe('k8s-apiserver judges', () => {
  it('confirms the three gates: 401, 401, 403 as system:anonymous, 403 then 200 for the service account, admission refusals', () => {
    expect(judgeGates(real).verdict).toBe('confirmed');
    expect(real.requests.map((r) => r.code)).toEqual([401, 401, 403, 403, 200]);
    expect(request(real, 'no credentials').user).toBe('system:anonymous');
  });

  it('counts a foreign certificate refused in the TLS handshake as not authenticated; refutes one let in; unverifiable with a request missing', () => {
    expect(judgeGates(altered((o) => Object.assign(request(o, 'client certificate from another CA, O=system:masters'), { code: 0, message: 'OpenSSL/3.0.17: error:0A000412:SSL routines::sslv3 alert bad certificate' }))).verdict).toBe('confirmed');
    expect(judgeGates(altered((o) => Object.assign(request(o, 'client certificate from another CA, O=system:masters'), { code: 200, user: 'intruder' }))).verdict).toBe('refuted');
    expect(judgeGates(altered((o) => (o.requests = o.requests.slice(1)))).verdict).toBe('unverifiable');
  });

  it('confirms the quota and the limit range held for their namespace alone; refutes a second pod let in; unverifiable without it', () => {
    expect(judgeQuotaLimits(real).verdict).toBe('confirmed');
    expect(real.quota).toMatchObject({ quotasInNewNamespace: 0, limitRangesInNewNamespace: 0, usedPods: '1', hardPods: '1' });
    expect(judgeQuotaLimits(altered((o) => (o.pods.find((p) => p.pod === 'second' && p.namespace === 'with quota and limits')!.code = 201))).verdict).toBe('refuted');
    expect(judgeQuotaLimits(altered((o) => (o.pods = o.pods.filter((p) => p.pod !== 'one-cpu')))).verdict).toBe('unverifiable');
  });

  it("finds kubectl's docker-registry and tls to be command names for kubernetes.io types; confirmed if stored as named, refuted if generic is not Opaque", () => {
    expect(judgeSecretTypes(real).verdict).toBe('nuanced');
    expect(real.secrets.map((s) => s.type)).toEqual(['Opaque', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/tls', null, 'docker-registry']);
    expect(judgeSecretTypes(altered((o) => ((o.secrets[1]!.type = 'docker-registry'), (o.secrets[2]!.type = 'tls')))).verdict).toBe('confirmed');
    expect(judgeSecretTypes(altered((o) => (o.secrets[0]!.type = 'kubernetes.io/basic-auth'))).verdict).toBe('refuted');
    expect(judgeSecretTypes(altered((o) => (o.secrets = o.secrets.slice(0, 3)))).verdict).toBe('unverifiable');
  });
});
