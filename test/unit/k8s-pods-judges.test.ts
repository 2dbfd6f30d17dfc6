import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeInitContainers, judgeSharedNetwork, judgeSharedPid, judgeSharedVolumes, type PodsObservation } from '../../labs/k8s/pods.lab.ts';

/** A real run of k8s-pods on the local provider (Kubernetes v1.35.4): two pods, one with shareProcessNamespace, a third with a native sidecar, and PodSpec's namespace fields. */
const { real, altered } = realSample<PodsObservation>('k8s-pods-observation.json.gz');
const apart = (o: PodsObservation) => o.pods.find((p) => !p.shareProcessNamespace)!;
const together = (o: PodsObservation) => o.pods.find((p) => p.shareProcessNamespace)!;

describe('k8s-pods judges', () => {
  it('confirms shared network and shared volumes on the real run; PID and IPC sharing is nuanced (IPC is shared either way), init containers nuanced (the native sidecar kept running)', () => {
    expect([judgeSharedNetwork(real), judgeSharedVolumes(real), judgeSharedPid(real), judgeInitContainers(real)].map((r) => r.verdict)).toEqual(['confirmed', 'confirmed', 'nuanced', 'nuanced']);
    expect(judgeSharedPid(real).observed).toMatchObject({ default: { samePidNamespace: false, sidecarSeesTheServer: false, sameIpcNamespace: true }, shareProcessNamespace: { samePidNamespace: true, sidecarPid1: '/pause', sameIpcNamespace: true } });
  });

  it('refutes a shared network when the namespaces differ or another server answers on localhost; unverifiable when the check failed', () => {
    expect(judgeSharedNetwork(altered((o) => (apart(o).containers.sidecar.namespaces.net = 'net:[1]'))).verdict).toBe('refuted');
    expect(judgeSharedNetwork(altered((o) => (apart(o).localhostAnswer = 'together'))).verdict).toBe('refuted');
    expect(judgeSharedNetwork(altered((o) => (apart(o).localhostAnswer = 'failed: connection refused'))).verdict).toBe('unverifiable');
  });

  it('refutes a shared volume when a file does not cross', () => {
    expect(judgeSharedVolumes(altered((o) => (apart(o).volume.sidecarReadWebsFile = ''))).verdict).toBe('refuted');
  });

  it('refutes optional PID sharing if PIDs were shared by default, or not shared when asked', () => {
    expect(judgeSharedPid(altered((o) => (apart(o).containers.sidecar.namespaces.pid = apart(o).containers.web.namespaces.pid))).verdict).toBe('refuted');
    expect(judgeSharedPid(altered((o) => (together(o).containers.sidecar.processes = { '1': 'sleep infinity' }))).verdict).toBe('refuted');
  });

  it('refutes init containers if a container started before the last init ended; unverifiable without times', () => {
    const early = altered((o) => {
      const p = apart(o);
      const initEnd = Math.max(...p.times.filter((t) => t.name.startsWith('init')).map((t) => t.end!));
      p.times.find((t) => t.name === 'web')!.start = initEnd - 0.5;
    });
    expect(judgeInitContainers(early).verdict).toBe('refuted');
    expect(judgeInitContainers(altered((o) => (apart(o).times = apart(o).times.filter((t) => t.name !== 'sidecar')))).verdict).toBe('unverifiable');
  });
});
