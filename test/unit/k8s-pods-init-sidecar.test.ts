import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeInitContainers, parseStamps, type PodsObservation, type SidecarPodView } from '../../labs/k8s/pods.lab.ts';

/**
 * k8s.pod.init-containers ("Init containers run to completion before the main containers start") with
 * a native sidecar: an init container with restartPolicy: Always (GA since Kubernetes 1.33), which
 * starts before the main containers and keeps running.
 *
 * The real run of k8s-pods (Kubernetes v1.35.4; test/fixtures/k8s-pods-observation.json.gz) has a
 * third pod, with-sidecar (`sidecarPod`): its spec as the apiserver stored it, the times the containers
 * wrote and the init containers' states read afterwards. The kubelet started init-sidecar first, the
 * plain init-1 once it had started, and app 1086 ms after init-1 ended, with init-sidecar still running.
 * Altered copies change those times, or drop the third pod (as runs made before the lab ran one).
 */
const { real, altered } = realSample<PodsObservation>('k8s-pods-observation.json.gz');
const withSidecar = (change: (p: SidecarPodView) => void = () => {}) => altered((o) => change(o.sidecarPod!));
const time = (p: SidecarPodView, name: string) => p.times.find((x) => x.name === name)!;

describe('k8s-pods judge of init containers, with an init container of restartPolicy: Always', () => {
  it('reads the stamps the containers wrote: a start, and an end only for a container that ended', () => {
    expect(parseStamps('init-1.end 10.5\ninit-1.start 9.5\napp.start 11\nnoise\n')).toEqual([
      { name: 'init-1', start: 9.5, end: 10.5 },
      { name: 'app', start: 11, end: null },
    ]);
  });

  it('is nuanced on the real run: the plain init containers completed first but the native sidecar was still running when the main container started', () => {
    const result = judgeInitContainers(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('Only plain init containers run to completion before the main containers start.');
    expect(result.summary).toContain('In apart, together and with-sidecar the plain init containers ran one after the other, each to its end');
    expect(result.summary).toContain('init-sidecar in with-sidecar started 3102 ms before the main container app, never ended, and was running (restarts 0) in the API when read afterwards');
    expect(result.summary).toContain('(1013 ms later in apart, 977 ms later in together, 1086 ms later in with-sidecar)');
    expect(result.summaryZh).toContain('只有普通 init 容器会在主容器启动前执行完毕');
    const pod = (result.observed.pods as { pod: string; sidecars: { name: string; completedBeforeMain: boolean }[] }[]).find((p) => p.pod === 'with-sidecar')!;
    expect(pod.sidecars).toEqual([expect.objectContaining({ name: 'init-sidecar', completedBeforeMain: false, startedMsBeforeMain: 3102 })]);
  });

  it('is confirmed when every init container, the restartPolicy: Always one included, had ended before the main container started', () => {
    const result = judgeInitContainers(withSidecar((p) => (time(p, 'init-sidecar').end = time(p, 'init-1').start + 0.1)));
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('with restartPolicy: Always (init-sidecar in with-sidecar) also ended before the main container started');
  });

  it('is confirmed on the capture without the third pod (as runs before the lab ran one), saying that no restartPolicy: Always init container was run', () => {
    const result = judgeInitContainers(altered((o) => delete o.sidecarPod));
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('None of the init containers in apart and together had restartPolicy: Always (a native sidecar): that kind was not run.');
  });

  it('is refuted when a plain init container had not completed when a main container started', () => {
    const lateEnd = judgeInitContainers(withSidecar((p) => (time(p, 'init-1').end = time(p, 'app').start + 0.25)));
    expect(lateEnd.verdict).toBe('refuted');
    expect(lateEnd.summary).toContain('in with-sidecar, app started while init-1 ended only 250 ms later');
    const neverEnded = judgeInitContainers(withSidecar((p) => (time(p, 'init-1').end = null)));
    expect(neverEnded.verdict).toBe('refuted');
    expect(neverEnded.summary).toContain('init-1 had not ended');
  });

  it('is unverifiable when a container of the sidecar pod wrote no start time', () => {
    const noSidecarTime = judgeInitContainers(withSidecar((p) => (p.times = p.times.filter((x) => x.name !== 'init-sidecar'))));
    expect(noSidecarTime.verdict).toBe('unverifiable');
    expect(noSidecarTime.summary).toContain('with-sidecar: init-sidecar');
    expect(judgeInitContainers(withSidecar((p) => (p.times = p.times.filter((x) => x.name !== 'app')))).verdict).toBe('unverifiable');
  });
});
