import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeSharedPid, namespaceFieldsOf, type PodsObservation } from '../../labs/k8s/pods.lab.ts';

/**
 * k8s.pod.shared-pid-optional restated as the sheet says it: PID and IPC sharing both optional. The
 * real run of k8s-pods (Kubernetes v1.35.4; test/fixtures/k8s-pods-observation.json.gz) read
 * /proc/self/ns/ipc in every container, and PodSpec's fields about IPC, PIDs and namespaces from the
 * apiserver's OpenAPI schema (hostIPC, hostPID, shareProcessNamespace). Altered copies give the
 * other verdicts.
 */
const FIELDS = ['hostIPC', 'hostPID', 'shareProcessNamespace'];
const { real, altered } = realSample<PodsObservation>('k8s-pods-observation.json.gz');
const apart = (o: PodsObservation) => o.pods.find((p) => !p.shareProcessNamespace)!;
const together = (o: PodsObservation) => o.pods.find((p) => p.shareProcessNamespace)!;

describe('k8s-pods judge of PID and IPC sharing', () => {
  it('reads the namespace fields of PodSpec out of an OpenAPI v3 document', () => {
    const doc = { components: { schemas: { 'io.k8s.api.core.v1.PodSpec': { properties: { containers: {}, hostIPC: {}, hostNetwork: {}, hostPID: {}, hostUsers: {}, shareProcessNamespace: {}, volumes: {} } } } } };
    expect(namespaceFieldsOf(doc)).toEqual(FIELDS);
    expect(namespaceFieldsOf({})).toEqual([]);
  });

  it('is nuanced on the real run: PIDs shared only with shareProcessNamespace, IPC shared in both pods', () => {
    expect(real.namespaceFields).toEqual(FIELDS);
    expect(apart(real).containers.web.namespaces.ipc).toBe(apart(real).containers.sidecar.namespaces.ipc);
    expect(together(real).containers.web.namespaces.ipc).toBe(together(real).containers.sidecar.namespaces.ipc);
    const result = judgeSharedPid(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('Only PID sharing is optional; IPC is always shared');
    expect(result.summary).toContain("PodSpec's only IPC field is hostIPC");
    expect(result.summaryZh).toContain('只有 PID 共享是可选的');
    expect(result.observed).toMatchObject({ default: { samePidNamespace: false, sameIpcNamespace: true }, shareProcessNamespace: { samePidNamespace: true, sameIpcNamespace: true } });
  });

  it('is confirmed if IPC had followed shareProcessNamespace like PIDs', () => {
    const ipcOptional = altered((o) => (apart(o).containers.sidecar.namespaces.ipc = 'ipc:[1]'));
    expect(judgeSharedPid(ipcOptional).verdict).toBe('confirmed');
  });

  it('is refuted if IPC was shared in neither pod, or PID sharing did not follow shareProcessNamespace', () => {
    const never = altered((o) => {
      apart(o).containers.sidecar.namespaces.ipc = 'ipc:[1]';
      together(o).containers.sidecar.namespaces.ipc = 'ipc:[2]';
    });
    expect(judgeSharedPid(never).verdict).toBe('refuted');
    expect(judgeSharedPid(altered((o) => (apart(o).containers.sidecar.namespaces.pid = apart(o).containers.web.namespaces.pid))).verdict).toBe('refuted');
  });

  it('is unverifiable when an IPC link was not read, PodSpec was not read, or PodSpec has an IPC field not tried', () => {
    expect(judgeSharedPid(altered((o) => delete apart(o).containers.web.namespaces.ipc)).verdict).toBe('unverifiable');
    // As runs made before the lab read PodSpec's fields.
    expect(judgeSharedPid(altered((o) => (o.namespaceFields = []))).verdict).toBe('unverifiable');
    const untried = judgeSharedPid(altered((o) => o.namespaceFields.push('shareIPCNamespace')));
    expect(untried.verdict).toBe('unverifiable');
    expect(untried.summary).toContain('shareIPCNamespace');
  });
});
