import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCri, OTHER_RUNTIMES, runtimeFlagsOf, type OtherRuntime, type SchedulingObservation } from '../../labs/k8s/scheduling.lab.ts';

/**
 * k8s.runtime.cri restated as the sheet says it: Docker, containerd, CRI-O and rkt. The real run of
 * k8s-scheduling (Kubernetes v1.35.4, containerd 1.6.20, the host's Docker Engine;
 * test/fixtures/k8s-scheduling-observation.json.gz) looked at the kubelet binary (its runtime flags,
 * and exit 1 with "unknown flag: --container-runtime" to --container-runtime=rkt) and for CRI-O and
 * rkt, which are absent from this machine (no binary on PATH, no socket). Altered copies, with those
 * two answering (or not) on their sockets, give the other verdicts.
 */
const { real, altered } = realSample<SchedulingObservation>('k8s-scheduling-observation.json.gz');
const absent = (): OtherRuntime[] => structuredClone(real.cri.others);
const answering = (): OtherRuntime[] => absent().map((r) => ({ ...r, binaries: [`/usr/bin/${r.looked[0]}`], socketExists: true, answered: true, output: `Version:  0.1.0\nRuntimeName:  ${r.name === 'CRI-O' ? 'cri-o' : 'rktlet'}` }));
const withOthers = (others: OtherRuntime[], change: (o: SchedulingObservation) => void = () => {}) =>
  altered((o) => {
    o.cri.others = others;
    change(o);
  });

describe('k8s-scheduling judge of the four runtimes', () => {
  it("lists the runtime flags of kubelet --help", () => {
    const help = 'Flags:\n      --cgroup-root string   Optional root cgroup\n      --container-runtime-endpoint string   The endpoint of container runtime service.\n      --image-service-endpoint string   The endpoint\n      --runtime-cgroups string   Optional absolute name\n      --runtime-request-timeout duration   Timeout (default 2m0s)\n';
    expect(runtimeFlagsOf(help)).toEqual(real.cri.kubelet.runtimeFlags);
  });

  it('is nuanced on the real run: containerd through CRI, but Docker not speaking it and the kubelet only taking an endpoint; CRI-O and rkt absent, said so', () => {
    expect(real.cri.others.map((r) => [r.name, r.binaries.length, r.socketExists])).toEqual(OTHER_RUNTIMES.map((r) => [r.name, 0, false]));
    const result = judgeCri(real);
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
    expect(judgeCri(withOthers(answering())).verdict).toBe('nuanced');
    expect(judgeCri(withOthers(answering(), (o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' }))).verdict).toBe('confirmed');
  });

  it('is refuted if a CRI-O or rkt socket was there but did not answer the CRI, or the container did not go through CRI', () => {
    const silent = answering().map((r) => (r.name === 'rkt' ? { ...r, answered: false, output: 'rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService' } : r));
    const result = judgeCri(withOthers(silent));
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain("rkt's socket /var/run/rktlet.sock exists but did not answer the CRI");
    expect(judgeCri(withOthers(answering(), (o) => (o.cri.kubeletConnections = 0))).verdict).toBe('refuted');
  });

  it('is unverifiable when CRI-O and rkt were not looked for or absent and Docker answered the CRI (nothing contradicts the claim, the rest unasked); and when Docker gave no answer', () => {
    // As in runs made before the lab looked for them.
    const unasked = judgeCri(withOthers([], (o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' })));
    expect(unasked.verdict).toBe('unverifiable');
    expect(unasked.summary).toMatch(/^CRI-O and rkt were not looked for in this capture\./);
    const absentButDockerAnswers = judgeCri(withOthers(absent(), (o) => Object.assign(o.cri.docker, { answered: true, output: 'RuntimeName: docker' })));
    expect(absentButDockerAnswers.verdict).toBe('unverifiable');
    expect(absentButDockerAnswers.summary).toMatch(/^CRI-O and rkt could not be asked\./);
    expect(judgeCri(withOthers(answering(), (o) => (o.cri.docker.output = 'dial unix /var/run/docker.sock: connect: connection refused'))).verdict).toBe('unverifiable');
  });
});
