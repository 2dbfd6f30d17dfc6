import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeInitContainers, parseStamps, type PodsObservation, type SidecarPodView } from '../../labs/k8s/pods.lab.ts';

/**
 * k8s.pod.init-containers ("Init containers run to completion before the main containers start") with
 * a native sidecar: an init container with restartPolicy: Always (GA since Kubernetes 1.33), which
 * starts before the main containers and keeps running.
 *
 * The real run of k8s-pods (Kubernetes v1.35.4; test/fixtures/k8s-pods-observation.json.gz) predates
 * the lab's third pod, so the fixture has no `sidecarPod`. The tests extend it with one, shaped as the
 * lab records it (the spec as the apiserver stored it, the times the containers wrote, the init
 * containers' states read afterwards) and timed as the kubelet starts such a pod: the sidecar first,
 * the plain init container once the sidecar has started, the main container once that one has ended.
 * The fixture is to be recaptured from a real run.
 */
const { real, altered } = realSample<PodsObservation>('k8s-pods-observation.json.gz');
const t = real.pods[0]!.times.find((x) => x.name === 'init-1')!.start + 5;
const sidecarPod = (): SidecarPodView => ({
  name: 'with-sidecar',
  initContainers: [
    { name: 'init-sidecar', restartPolicy: 'Always' },
    { name: 'init-1', restartPolicy: null },
  ],
  containers: ['app'],
  times: parseStamps(`app.start ${t + 2.38}\ninit-1.end ${t + 1.21}\ninit-1.start ${t + 0.205}\ninit-sidecar.start ${t}\n`),
  initStates: { 'init-sidecar': 'running (restarts 0)', 'init-1': 'terminated: Completed (exit 0)' },
});
const withSidecar = (change: (p: SidecarPodView) => void = () => {}) =>
  altered((o) => {
    o.sidecarPod = sidecarPod();
    change(o.sidecarPod);
  });
const time = (p: SidecarPodView, name: string) => p.times.find((x) => x.name === name)!;

describe('k8s-pods judge of init containers, with an init container of restartPolicy: Always', () => {
  it('reads the stamps the containers wrote: a start, and an end only for a container that ended', () => {
    expect(parseStamps('init-1.end 10.5\ninit-1.start 9.5\napp.start 11\nnoise\n')).toEqual([
      { name: 'init-1', start: 9.5, end: 10.5 },
      { name: 'app', start: 11, end: null },
    ]);
  });

  it('is nuanced when the plain init containers completed first but the native sidecar was still running when the main container started', () => {
    const result = judgeInitContainers(withSidecar());
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('Only plain init containers run to completion before the main containers start.');
    expect(result.summary).toContain('In apart, together and with-sidecar the plain init containers ran one after the other, each to its end');
    expect(result.summary).toContain('init-sidecar in with-sidecar started 2380 ms before the main container app, never ended, and was running (restarts 0) in the API when read afterwards');
    expect(result.summaryZh).toContain('只有普通 init 容器会在主容器启动前执行完毕');
    const pod = (result.observed.pods as { pod: string; sidecars: { name: string; completedBeforeMain: boolean }[] }[]).find((p) => p.pod === 'with-sidecar')!;
    expect(pod.sidecars).toEqual([expect.objectContaining({ name: 'init-sidecar', completedBeforeMain: false, startedMsBeforeMain: 2380 })]);
  });

  it('is confirmed when every init container, the restartPolicy: Always one included, had ended before the main container started', () => {
    const result = judgeInitContainers(withSidecar((p) => (time(p, 'init-sidecar').end = time(p, 'init-1').start + 0.1)));
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('with restartPolicy: Always (init-sidecar in with-sidecar) also ended before the main container started');
  });

  it('stays confirmed on the capture without the third pod, saying that no restartPolicy: Always init container was run', () => {
    const result = judgeInitContainers(real);
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
