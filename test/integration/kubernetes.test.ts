/**
 * Runs the Kubernetes labs together on a real cluster built from upstream, as a run shares the
 * cluster between them (k8s-nodes adds a worker node for itself), and checks what the kubelet, the
 * scheduler, kube-proxy, the apiserver and etcd did.
 */
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLabsTogether, type LabsRun } from '../helpers/run-lab.ts';

const LABS = ['k8s-probes', 'k8s-pod-states', 'k8s-services', 'k8s-control-plane', 'k8s-pods', 'k8s-rollout', 'k8s-service-types', 'k8s-jobs', 'k8s-scheduling', 'k8s-apiserver', 'k8s-statefulset', 'k8s-nodes', 'k8s-etcd-quorum', 'k8s-cloud-controllers'];
let run: LabsRun;
const claim = (id: string) => run.claim(id);

beforeAll(async () => {
  run = await runLabsTogether(LABS, 'Kubernetes');
}, 1_900_000);

describe(`labs run ${LABS.join(' ')}`, () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    expect(run.report.labs.map((l) => l.status)).toEqual(LABS.map(() => 'passed'));
  });

  it('takes the unready pod out of rotation without restarting it, and brings it back', () => {
    const o = claim('k8s.probe.readiness-endpoints').observed;
    expect(o.servedByUnreadyPod).toBe(0);
    expect(o.requests).toBe(40);
    expect(o.restartsAfter).toBe(o.restartsBefore);
    expect(o.containerAfter).toBe(o.containerBefore);
    expect(o.rulesDroppedAfterMs as number).toBeGreaterThanOrEqual(o.removedAfterMs as number);
  });

  it("restarts the unhealthy pod's container: a new container id, one more restart", () => {
    const o = claim('k8s.probe.liveness-restarts').observed;
    expect(o.restartsAfter).toBe((o.restartsBefore as number) + 1);
    expect(o.containerAfter).not.toBe(o.containerBefore);
    expect((o.events as string[]).some((e) => e.startsWith('Unhealthy: Liveness probe failed'))).toBe(true);
  });

  it('lets a slow starter live only with a startup probe', () => {
    const o = claim('k8s.probe.startup').observed as { withStartupProbe: { restarts: number; readyAfterMs: number }; without: { restarts: number } };
    expect(o.withStartupProbe.restarts).toBe(0);
    expect(o.withStartupProbe.readyAfterMs).toBeGreaterThan(6000);
    expect(o.without.restarts).toBeGreaterThan(0);
  });

  it('sees the kubelet probing from the node', () => {
    expect(claim('k8s.kubelet.probes').observed.userAgents).toEqual(['kube-probe/1.35']);
  });

  it('produces each state of the table from its cause, with the reasons the API gives', () => {
    const o = claim('k8s.pod.status-causes').observed as { states: Record<string, string[]>; reasons: Record<string, string[]>; crashLoopBackOffSeconds: number[]; crashLoopBackOffEvents: number };
    expect(o.states['wants-1000-cpus']).toEqual(['Pending']);
    expect(o.reasons['wants-1000-cpus']!.join()).toContain('Insufficient cpu');
    expect(o.reasons['wants-missing-node']!.join()).toContain("didn't match Pod's node affinity/selector");
    expect(o.states['missing-image']).toContain('ImagePullBackOff');
    // The crash loop: restarts with growing waits and the kubelet's BackOff events (kubectl may show Error throughout).
    expect(o.crashLoopBackOffSeconds.at(-1)!).toBeGreaterThan(o.crashLoopBackOffSeconds.at(-2)!);
    expect(o.states['missing-configmap']).toContain('CreateContainerConfigError');
    expect(o.states['init-fails']).toContain('Init:Error');
    expect(o.reasons['out-of-memory']!.join()).toContain('OOMKilled (exit 137)');
    expect(o.crashLoopBackOffSeconds.length).toBeGreaterThanOrEqual(2);
    expect(o.crashLoopBackOffEvents).toBeGreaterThan(0);
    const gantt = claim('k8s.pod.status-causes').evidence.find((e) => e.kind === 'gantt');
    // One row per pod: the nine causes of the table's rows, plus the command that does not exist and the failing readiness probe.
    expect(gantt?.kind === 'gantt' && gantt.rows.length).toBe(11);
  });

  it('finds one DNAT rule per pod behind the cluster IP, and connections answered by pods', () => {
    const o = claim('k8s.kube-proxy.dnat').observed as { dnatRules: number; everyPodATarget: boolean; translatedToAPod: number };
    expect(o.dnatRules).toBe(3);
    expect(o.everyPodATarget).toBe(true);
    expect(o.translatedToAPod).toBeGreaterThan(0);
  });

  it('spreads new connections at random, not in turn, and keeps the address while a pod is replaced', () => {
    const rr = claim('k8s.kube-proxy.round-robin').observed as { answered: number; sameAsPrevious: number; perPod: Record<string, number>; ruleProbabilities: number[] };
    expect(rr.answered).toBe(600);
    expect(Object.keys(rr.perPod)).toHaveLength(3);
    expect(rr.sameAsPrevious).toBeGreaterThan(0.2);
    expect(rr.ruleProbabilities[0]).toBeCloseTo(1 / 3, 3);
    const stable = claim('k8s.service.stable-endpoint').observed as { clusterIPBefore: string; clusterIPAfter: string; answeredByTheReplacement: number };
    expect(stable.clusterIPAfter).toBe(stable.clusterIPBefore);
    expect(stable.answeredByTheReplacement).toBeGreaterThan(0);
  });

  it('finds the Secret in plain text in etcd, kube-apiserver alone talking to etcd, and a ReplicaSet putting pods back both ways', () => {
    expect(claim('k8s.secret.base64').observed).toMatchObject({ encryptedAtRest: false, base64AtByte: -1 });
    expect(claim('k8s.secret.base64').observed.plaintextAtByte as number).toBeGreaterThan(0);
    expect(claim('k8s.etcd.source-of-truth').observed).toMatchObject({ deletedConfigMapStillInEtcd: false });
    const clients = claim('k8s.apiserver.only-etcd-client').observed as { etcdClients: Record<string, number>; apiserverClients: Record<string, number> };
    expect(Object.keys(clients.etcdClients).filter((p) => !['kube-apiserver', 'etcd', 'this lab'].includes(p))).toEqual([]);
    expect(clients.apiserverClients).toHaveProperty('kubelet');
    expect(clients.apiserverClients).toHaveProperty('kube-scheduler');
    expect(claim('k8s.controllers.reconcile').observed).toMatchObject({ desired: 2 });
    expect(claim('k8s.controllers.reconcile').observed.removed).not.toBeNull();
  });

  it('shows one network and one volume per pod, PIDs shared only when asked, init containers first', () => {
    expect(claim('k8s.pod.shared-network').observed).toMatchObject({ sameInBothContainers: true, localhostAnswer: 'apart' });
    expect(claim('k8s.pod.shared-volumes').observed).toMatchObject({ mountNamespacesDiffer: true });
    expect(claim('k8s.pod.shared-pid-optional').observed).toMatchObject({ default: { samePidNamespace: false }, shareProcessNamespace: { samePidNamespace: true, sidecarSeesTheServer: true } });
    const init = claim('k8s.pod.init-containers').observed as { pods: { inTurn: boolean; gapMs: number }[] };
    for (const p of init.pods) expect(p.inTurn && p.gapMs >= 0).toBe(true);
  });

  it('rolls an update within maxSurge and maxUnavailable, rolls back to the first ReplicaSet, and is Available before every pod is Ready', () => {
    expect(claim('k8s.deployment.replicaset').observed).toMatchObject({ maxPodsDuringUpdate: 5, minReadyDuringUpdate: 3, rolledBackToTheFirstReplicaSet: true });
    expect(claim('k8s.deployment.available').observed).toMatchObject({ readyPodsWhenAvailable: 3 });
    expect(claim('k8s.deployment.flow').observed).toMatchObject({ storedInEtcdAfterApply: true });
    expect(claim('k8s.deployment.replicaset').evidence.find((e) => e.kind === 'series')).toBeDefined();
  });

  it('answers on a NodePort at the node\'s address, gives a LoadBalancer no address without a cloud, and no rules to ExternalName or headless', () => {
    const o = claim('k8s.service.types').observed as { checks: Record<string, boolean> };
    expect(o.checks).toMatchObject({ defaultIsClusterIP: true, nodePortOnTheNode: true, loadBalancerHasNodePortAndClusterIP: true, loadBalancerGotAnAddress: false, externalNameHasNoAddress: true, headlessHasNoClusterIP: true });
  });

  it('starts with the four namespaces, runs a Job to completion within its parallelism, and a CronJob on the minute', () => {
    expect(claim('k8s.namespace.defaults').observed).toMatchObject({ missing: [], extra: [] });
    expect(claim('k8s.job.run-to-completion').observed).toMatchObject({ succeeded: 3, restarts: 0 });
    expect(claim('k8s.job.run-to-completion').observed.maxRunningAtOnce as number).toBeLessThanOrEqual(2);
    expect(claim('k8s.job.run-to-completion').observed.cronJobFirstJob).not.toBeNull();
  });

  it('keeps a session on one pod when the Service asks for ClientIP affinity', () => {
    const o = claim('k8s.kube-proxy.session-affinity').observed as { answered: number; perPod: Record<string, number>; recentRules: number };
    expect(o.answered).toBeGreaterThan(50);
    expect(Object.values(o.perPod)).toEqual([o.answered]);
    expect(o.recentRules).toBeGreaterThan(0);
  });

  it('follows a pod from an invalid create to a running container: 422, LimitRanger, a binding by the scheduler, the kubelet on containerd by CRI', () => {
    expect(claim('k8s.scheduling.flow').observed).toMatchObject({ invalidRejected: 422, invalidStored: false, admittedCpuRequest: '50m', boundBy: 'system:kube-scheduler' });
    const flow = claim('k8s.scheduling.flow').observed as { createdMs: number; boundMs: number; firstKubeletStatusMs: number; runningMs: number };
    expect(flow.boundMs).toBeGreaterThanOrEqual(flow.createdMs);
    expect(flow.firstKubeletStatusMs).toBeGreaterThanOrEqual(flow.boundMs);
    expect(claim('k8s.runtime.cri').observed).toMatchObject({ criListsIt: true, dockerAnswersCri: false });
    expect(claim('k8s.runtime.cri').observed.kubeletConnections as number).toBeGreaterThan(0);
  });

  it('stops requests at each gate: 401 for strangers, 403 for the unauthorized, 403 from admission; quota and limits per namespace; Secret types as stored', () => {
    expect(claim('k8s.apiserver.authn-authz-admission').observed.requests).toEqual([
      expect.stringMatching(/^client certificate from another CA, O=system:masters: (401|0) as/),
      'a made-up bearer token: 401 as ?',
      'no credentials: 403 as system:anonymous',
      expect.stringMatching(/^service account token, no RoleBinding: 403 as system:serviceaccount:/),
      expect.stringMatching(/^service account token, after a RoleBinding: 200 as system:serviceaccount:/),
    ]);
    expect(claim('k8s.namespace.quota-limits').observed).toMatchObject({ firstStoredCpu: '100m', secondCode: 403, oneCpuCode: 403, sameSecondPodElsewhereCode: 201 });
    const secrets = claim('k8s.secret.types').observed.secrets as { type: string | null }[];
    expect(secrets.map((s) => s.type)).toEqual(['Opaque', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/tls', null, 'docker-registry']);
  });

  it("keeps a StatefulSet pod's name and claim across a deletion, scales down in reverse, and loses an emptyDir with its pod", () => {
    expect(claim('k8s.statefulset.identity').observed).toMatchObject({ hostnames: { 'web-0': 'web-0', 'web-1': 'web-1', 'web-2': 'web-2' }, scaleDownOrder: ['web-2', 'web-1'] });
    const v = claim('k8s.volume.lifecycle').observed as { written: string; emptyDirAfterRestart: string; emptyDirAfterReplace: string; claimAfterReplace: string };
    expect([v.emptyDirAfterRestart, v.emptyDirAfterReplace, v.claimAfterReplace]).toEqual([v.written, '', v.written]);
  });

  it('adds a worker node: the DaemonSet follows it, the scheduler filters between the nodes, and a packet crosses the VXLAN overlay', () => {
    const ds = claim('k8s.daemonset.per-node').observed as { stages: { stage: string; tolerating: { podsByNode: Record<string, number> }; plain: { podsByNode: Record<string, number> } }[]; workerPodGoneAfterDeleteMs: number | null };
    expect(ds.stages.map((s) => Object.keys(s.tolerating.podsByNode).length)).toEqual([1, 2, 1]);
    expect(ds.stages.map((s) => Object.keys(s.plain.podsByNode).length)).toEqual([1, 1, 1]);
    expect(ds.workerPodGoneAfterDeleteMs).not.toBeNull();
    const filters = claim('k8s.scheduler.filters').observed as { filters: { filter: string; node: string | null }[] };
    expect(filters.filters.map((f) => f.node === null)).toEqual([true, false, true]);
    const paths = claim('k8s.network.cross-node-path').observed.paths as { mode: string; answeredBy: string | null; hops: { syn: { ttl: number; outer?: { vni: number } } | null }[] }[];
    expect(paths.map((p) => p.answeredBy)).not.toContain(null);
    expect(paths[0]!.hops.map((h) => h.syn?.ttl)).toEqual([64, 63, 63, 62]);
    expect(paths[0]!.hops[2]!.syn!.outer!.vni).toBe(1);
    expect(paths[1]!.hops[1]!.syn).toBeNull();
  });

  it("finds no volume controller among the cloud-controller-manager's", () => {
    expect(claim('k8s.ccm.controllers').observed.sheetControllersFound).toMatchObject({ 'Route Controller': ['node-route-controller'], 'Volume Controller': [] });
    expect(claim('k8s.ccm.controllers').observed.volumeControllersInKubeControllerManager).toContain('persistentvolume-binder-controller');
  });

  it('measures the failures etcd clusters of 1 to 5 members survive', () => {
    expect(claim('k8s.etcd.odd-members').observed.failuresSurvived).toEqual({ 1: 0, 2: 0, 3: 1, 4: 1, 5: 2 });
  });

  it('leaves nothing behind: no cluster processes, namespaces, worker links or host changes', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
    expect((await execa('iptables-save')).stdout).not.toMatch(/KUBE-|CNI-/);
    expect((await execa('ip', ['link', 'show', 'cni0'], { reject: false })).exitCode).not.toBe(0);
    expect((await execa('ip', ['-o', 'link', 'show'])).stdout).not.toMatch(/k8s-(w|vx)\d/);
  });
});
