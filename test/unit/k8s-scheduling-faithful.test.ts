import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCri, OTHER_RUNTIMES, runtimeFlagsOf, type OtherRuntime, type SchedulingObservation } from '../../labs/k8s/scheduling.lab.ts';

/**
 * k8s.runtime.cri restated as the sheet says it: Docker, containerd, CRI-O and rkt. The real run of
 * k8s-scheduling (Kubernetes v1.35.4, containerd 1.6, the host's Docker Engine) predates the lab's
 * look at the kubelet binary and for CRI-O and rkt, so the fixture is extended here with what this
 * machine's v1.35.4 kubelet answered by hand (its runtime flags, and exit 1 with "unknown flag:
 * --container-runtime" to --container-runtime=rkt) and with CRI-O and rkt absent (no binary on PATH,
 * no socket), as they are on this machine; the fixture will be recaptured from a real run.
 */
const KUBELET: SchedulingObservation['cri']['kubelet'] = {
  version: 'Kubernetes v1.35.4',
  runtimeFlags: ['container-runtime-endpoint', 'image-service-endpoint', 'runtime-cgroups', 'runtime-request-timeout'],
  rktChoice: { args: ['--container-runtime=rkt', '--version'], exitCode: 1, output: 'E1127 00:24:45.452900    7135 run.go:72] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"' },
};
const absent = (): OtherRuntime[] => OTHER_RUNTIMES.map((r) => ({ name: r.name, looked: [...r.looked], binaries: [], socket: r.socket, socketExists: false, answered: false, output: 'no socket' }));
const answering = (): OtherRuntime[] => absent().map((r) => ({ ...r, binaries: [`/usr/bin/${r.looked[0]}`], socketExists: true, answered: true, output: `Version:  0.1.0\nRuntimeName:  ${r.name === 'CRI-O' ? 'cri-o' : 'rktlet'}` }));

const sample = realSample<SchedulingObservation>('k8s-scheduling-observation.json.gz');
const extended = (others: OtherRuntime[], change: (o: SchedulingObservation) => void = () => {}) =>
  sample.altered((o) => {
    o.cri.kubelet = structuredClone(KUBELET);
    o.cri.others = others;
    change(o);
  });

describe('k8s-scheduling judge of the four runtimes', () => {
  it("lists the runtime flags of kubelet --help", () => {
    const help = 'Flags:\n      --cgroup-root string   Optional root cgroup\n      --container-runtime-endpoint string   The endpoint of container runtime service.\n      --image-service-endpoint string   The endpoint\n      --runtime-cgroups string   Optional absolute name\n      --runtime-request-timeout duration   Timeout (default 2m0s)\n';
    expect(runtimeFlagsOf(help)).toEqual(KUBELET.runtimeFlags);
  });

  it('is nuanced on this machine: containerd through CRI, but Docker not speaking it and the kubelet only taking an endpoint; CRI-O and rkt absent, said so', () => {
    const result = judgeCri(extended(absent()));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('so whether they serve the kubelet through CRI could not be asked');
    expect(result.summary).toContain('But the Docker Engine named by the sheet does not speak CRI');
    expect(result.summary).toContain('takes a runtime only as a CRI endpoint');
    expect(result.summary).toContain('was refused (exit 1: failed to parse kubelet flag: unknown flag: --container-runtime)');
    expect(result.summary).toContain('rkt is not on this node (no rkt or rktlet binary, no socket at /var/run/rktlet.sock)');
    expect(result.summaryZh).toContain('因此无法询问它们能否通过 CRI 为 kubelet 服务');
    expect(result.observed).toMatchObject({ criListsIt: true, dockerAnswersCri: false });
  });

  it('is nuanced if CRI-O and rktlet had answered the CRI while Docker did not, confirmed if Docker had too', () => {
    expect(judgeCri(extended(answering())).verdict).toBe('nuanced');
    expect(judgeCri(extended(answering(), (o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' }))).verdict).toBe('confirmed');
  });

  it('is refuted if a CRI-O or rkt socket was there but did not answer the CRI, or the container did not go through CRI', () => {
    const silent = answering().map((r) => (r.name === 'rkt' ? { ...r, answered: false, output: 'rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService' } : r));
    const result = judgeCri(extended(silent));
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain("rkt's socket /var/run/rktlet.sock exists but did not answer the CRI");
    expect(judgeCri(extended(answering(), (o) => (o.cri.kubeletConnections = 0))).verdict).toBe('refuted');
  });

  it('is unverifiable when CRI-O and rkt were not looked for or absent and Docker answered the CRI (nothing contradicts the claim, the rest unasked); and when Docker gave no answer', () => {
    const unasked = judgeCri(sample.altered((o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' })));
    expect(unasked.verdict).toBe('unverifiable');
    expect(unasked.summary).toMatch(/^CRI-O and rkt were not looked for in this capture\./);
    const absentButDockerAnswers = judgeCri(extended(absent(), (o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' })));
    expect(absentButDockerAnswers.verdict).toBe('unverifiable');
    expect(absentButDockerAnswers.summary).toMatch(/^CRI-O and rkt could not be asked\./);
    expect(judgeCri(extended(answering(), (o) => (o.cri.docker.output = 'dial unix /var/run/docker.sock: connect: connection refused'))).verdict).toBe('unverifiable');
  });
});
