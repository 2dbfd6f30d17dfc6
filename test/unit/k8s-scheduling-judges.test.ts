import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCri, judgeFlow, type SchedulingObservation } from '../../labs/k8s/scheduling.lab.ts';

/** A real run of k8s-scheduling on the local provider (Kubernetes v1.35.4, containerd 1.6.20, the host's Docker Engine; no CRI-O or rkt on the node). */
const { real, altered } = realSample<SchedulingObservation>('k8s-scheduling-observation.json.gz');

const record = (o: SchedulingObservation, sub: string) => o.audit.find((a) => a.subresource === sub && (sub !== 'status' || a.user.startsWith('system:node:')))!;

describe('k8s-scheduling judges', () => {
  it('confirms the flow from the audit log: create, binding by the scheduler, status from the node, in that order', () => {
    const result = judgeFlow(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ invalidRejected: 422, invalidStored: false, admittedCpuRequest: '50m', boundBy: 'system:kube-scheduler' });
  });

  it('refutes a binding by someone else, a binding before the create, an invalid pod stored; unverifiable without the binding or the Running phase', () => {
    expect(judgeFlow(altered((o) => (record(o, 'binding').user = 'labs-admin'))).verdict).toBe('refuted');
    expect(judgeFlow(altered((o) => (record(o, 'binding').at = record(o, '').at - 5))).verdict).toBe('refuted');
    expect(judgeFlow(altered((o) => Object.assign(o.invalid, { code: 201, stored: true }))).verdict).toBe('refuted');
    expect(judgeFlow(altered((o) => (o.audit = o.audit.filter((a) => a.subresource !== 'binding')))).verdict).toBe('unverifiable');
    expect(judgeFlow(altered((o) => (o.watch = o.watch.filter((w) => w.phase !== 'Running')))).verdict).toBe('unverifiable');
  });

  it('finds the kubelet on containerd through CRI, and the Docker Engine answering in HTTP/1.1 where CRI expects gRPC', () => {
    const result = judgeCri(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ criListsIt: true, dockerAnswersCri: false });
  });

  it('refutes a container not started through the runtime; unverifiable when Docker gave no answer at all, or answered while CRI-O and rkt could not be asked', () => {
    // (CRI-O and rkt were absent from the node in this run: k8s-scheduling-faithful.test.ts has them answering.)
    expect(judgeCri(altered((o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' }))).verdict).toBe('unverifiable');
    expect(judgeCri(altered((o) => (o.cri.process!.parent = 'kubelet (pid 1)'))).verdict).toBe('refuted');
    expect(judgeCri(altered((o) => (o.cri.kubeletConnections = 0))).verdict).toBe('refuted');
    expect(judgeCri(altered((o) => (o.cri.docker.output = 'dial unix /var/run/docker.sock: connect: connection refused'))).verdict).toBe('unverifiable');
    expect(judgeCri(altered((o) => (o.cri.process = null))).verdict).toBe('unverifiable');
  });
});
