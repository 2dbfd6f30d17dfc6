import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeOnlyEtcdClient, judgeReconcile, judgeSecret, judgeSourceOfTruth, socketOwners, type ControlPlaneObservation } from '../../labs/k8s/control-plane.lab.ts';

/** A real run of k8s-control-plane on the local provider (Kubernetes v1.35.4, etcd 3.6 without encryption at rest). */
const { real, altered } = realSample<ControlPlaneObservation>('k8s-control-plane-observation.json.gz');

describe('k8s-control-plane judges', () => {
  it('is nuanced about Secrets on the real run: plain text inside etcd\'s protobuf value, base64 only in the API', () => {
    const result = judgeSecret(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ encryptedAtRest: false, base64AtByte: -1 });
    expect(result.observed.plaintextAtByte as number).toBeGreaterThan(0);
    const encrypted = altered((o) => (o.secret.etcdPrefixHex = Buffer.from('k8s:enc:aescbc:v1:key1:').toString('hex')));
    expect(judgeSecret(encrypted).verdict).toBe('refuted');
    expect(judgeSecret(altered((o) => (o.secret.plaintextAt = -1))).verdict).toBe('unverifiable');
  });

  it('confirms etcd as the store on the real run, refuted if an object was missing or a deleted one stayed', () => {
    expect(judgeSourceOfTruth(real).verdict).toBe('confirmed');
    expect(judgeSourceOfTruth(altered((o) => (o.registry.deletedConfigMapStillThere = true))).verdict).toBe('refuted');
    const secretKey = Object.keys(real.registry.created).find((k) => k.startsWith('secrets/'))!;
    expect(judgeSourceOfTruth(altered((o) => (o.registry.created[secretKey] = false))).verdict).toBe('refuted');
  });

  it('confirms kube-apiserver as etcd\'s only client among the components, refuted if another connects, unverifiable if it does not', () => {
    expect(judgeOnlyEtcdClient(real).verdict).toBe('confirmed');
    expect(judgeOnlyEtcdClient(altered((o) => o.clients.etcd.push('kube-controller'))).verdict).toBe('refuted');
    expect(judgeOnlyEtcdClient(altered((o) => (o.clients.etcd = o.clients.etcd.filter((n) => n !== 'kube-apiserver')))).verdict).toBe('unverifiable');
  });

  it('confirms reconciliation both ways on the real run, refuted when the surplus pod stays', () => {
    expect(judgeReconcile(real).verdict).toBe('confirmed');
    expect(judgeReconcile(altered((o) => (o.reconcile.removed = null))).verdict).toBe('refuted');
    expect(judgeReconcile(altered((o) => (o.reconcile.replacement = null))).verdict).toBe('refuted');
  });

  it('reads the owning process of ss -tnp lines, naming its own', () => {
    const ss = 'ESTAB 0 0 127.0.0.1:51000 127.0.0.1:2379 users:(("kube-apiserver",pid=4242,fd=7))\nESTAB 0 0 127.0.0.1:51002 127.0.0.1:2379 users:(("MainThread",pid=99,fd=30))\n';
    expect(socketOwners(ss, 99)).toEqual(['kube-apiserver', 'this lab']);
  });
});
