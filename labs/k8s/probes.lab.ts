/**
 * Lab: liveness, readiness and startup probes failing on purpose, on a real kubelet.
 *
 * Starts: the run's one-node Kubernetes cluster (built from upstream); in a namespace of its own, a
 * Deployment of two pods behind a ClusterIP Service, each pod an HTTP server whose /ready and
 * /healthz answer 500 while a file (/tmp/unready, /tmp/unhealthy) exists; two slow starters (six
 * seconds before they listen) with the same liveness probe, one with a startup probe.
 *
 * Does: makes one pod unready, sends requests through the Service, makes it ready again; makes the
 * other pod unhealthy and waits for the kubelet; watches the slow starters for 20 s.
 *
 * Observes: pod status (ready, restart count, container id) and the EndpointSlice's endpoints every
 * 200 ms, which pod answered each request, the pods' events, and each probe request as the server
 * saw it (source address, User-Agent).
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';
import { isPodReady, kubernetesCluster, type KubeCluster } from '../../src/systems/kubernetes.ts';
import { countAnswers, serviceTargets, WEB_SERVER } from '../../src/systems/kubernetes-web.ts';

const PERIOD = 1;

export interface PodSample {
  at: number;
  pod: string;
  ready: boolean;
  restarts: number;
  containerId: string;
  /** The pod's endpoint in the Service's EndpointSlice: listed, and its ready condition. */
  endpoint: 'ready' | 'not ready' | 'absent';
}

export interface ProbeObservation {
  samples: PodSample[];
  /** Moments the lab changed something, ms since the lab's first sample. */
  marks: { at: number; label: string }[];
  unready: { pod: string; servedBy: Record<string, number>; restartsBefore: number; restartsAfter: number; containerBefore: string; containerAfter: string; removedAfterMs: number; rulesDroppedAfterMs: number; backAfterMs: number };
  unhealthy: { pod: string; restartsBefore: number; restartsAfter: number; containerBefore: string; containerAfter: string; restartedAfterMs: number; servedByWhileFailing: Record<string, number>; notReadyWhileRestartingMs: number; events: string[] };
  slowStart: { withStartupProbe: { restarts: number; readyAfterMs: number | null }; without: { restarts: number; readyAfterMs: number | null } };
  probeRequests: { path: string; status: number; source: string; userAgent: string }[];
  nodeAddresses: string[];
  statusManagers: string[];
}

function ganttOf(o: ProbeObservation): Evidence {
  const pods = [...new Set(o.samples.filter((s) => s.endpoint !== 'absent').map((s) => s.pod))];
  const spansWhere = (pod: string, label: (s: PodSample) => string | undefined) => {
    const spans: { from: number; to: number; label: string }[] = [];
    const mine = o.samples.filter((s) => s.pod === pod);
    mine.forEach((s, i) => {
      const l = label(s);
      const to = mine[i + 1]?.at ?? s.at;
      const last = spans.at(-1);
      if (l === undefined) return;
      if (last && last.label === l && last.to === s.at) last.to = to;
      else spans.push({ from: s.at, to, label: l });
    });
    return spans;
  };
  const alias = (pod: string) => (pod === o.unready.pod ? 'A' : pod === o.unhealthy.pod ? 'B' : pod);
  return {
    kind: 'gantt',
    title: `Each pod (A = ${o.unready.pod}, made unready; B = ${o.unhealthy.pod}, made unhealthy): its container by id, Ready, and its endpoint in the Service`,
    rows: pods.flatMap((pod) => [
      { name: `${alias(pod)} container`, spans: spansWhere(pod, (s) => (s.containerId ? `container …${s.containerId.slice(-6)} (restarts ${s.restarts})` : undefined)) },
      { name: `${alias(pod)} Ready`, spans: spansWhere(pod, (s) => (s.ready ? 'Ready' : undefined)) },
      { name: `${alias(pod)} endpoint`, spans: spansWhere(pod, (s) => (s.endpoint === 'absent' ? undefined : `endpoint ${s.endpoint}`)) },
    ]),
    marks: o.marks.map((m) => ({ at: m.at, label: m.label.replace(o.unready.pod, 'A').replace(o.unhealthy.pod, 'B') })),
  };
}

export function judgeReadiness(o: ProbeObservation): ClaimResult {
  const u = o.unready;
  const served = u.servedBy[u.pod] ?? 0;
  const total = Object.values(u.servedBy).reduce((a, b) => a + b, 0);
  const restarted = u.restartsAfter !== u.restartsBefore || u.containerAfter !== u.containerBefore;
  const listedNotReady = o.samples.some((s) => s.pod === u.pod && !s.ready && s.endpoint === 'not ready');
  const observed = { ...u, requests: total, servedByUnreadyPod: served, endpointStayedListedAsNotReady: listedNotReady };
  const evidence: Evidence[] = [ganttOf(o), { kind: 'bars', title: `Who answered ${total} requests through the Service while ${u.pod} was unready`, bars: Object.entries(u.servedBy).map(([label, value]) => ({ label, value })) }];
  if (restarted || served > 0 || total === 0) {
    return { id: 'k8s.probe.readiness-endpoints', verdict: 'refuted', summary: `With ${u.pod}'s readiness failing it ${restarted ? `was restarted (restarts ${u.restartsBefore} → ${u.restartsAfter})` : 'was not restarted'} and answered ${served} of ${total} requests through the Service.`, summaryZh: `${u.pod} 的 readiness 探针失败期间，它${restarted ? `被重启了（重启次数 ${u.restartsBefore} → ${u.restartsAfter}）` : '没有被重启'}，并在通过 Service 发出的 ${total} 个请求中响应了 ${served} 个。`, observed, evidence };
  }
  const base = `${removedText(u)} it answered none of ${total} requests through the Service, and its container was not restarted (restarts ${u.restartsBefore}, same container id); ${u.backAfterMs} ms after the probe passed again it was back.`;
  const baseZh = `${removedTextZh(u)}通过 Service 发出的 ${total} 个请求它一个也没有响应，其容器也没有被重启（重启次数 ${u.restartsBefore}，容器 ID 不变）；探针重新通过后 ${u.backAfterMs} ms，它又回到了轮转中。`;
  if (listedNotReady) {
    return { id: 'k8s.probe.readiness-endpoints', verdict: 'nuanced', summary: `Taken out of rotation, not out of the list: ${base} The EndpointSlice kept the endpoint all along with its ready condition false (the old Endpoints object moves it to notReadyAddresses); kube-proxy routes only to ready endpoints.`, summaryZh: `退出的是轮转，而不是列表：${baseZh}EndpointSlice 始终保留着该 endpoint，只是其 ready condition 为 false（旧的 Endpoints 对象会把它移到 notReadyAddresses）；kube-proxy 只把流量转发给就绪的 endpoint。`, observed, evidence };
  }
  return { id: 'k8s.probe.readiness-endpoints', verdict: 'confirmed', summary: base, summaryZh: baseZh, observed, evidence };
}

const removedText = (u: ProbeObservation['unready']) => `${u.removedAfterMs} ms after ${u.pod}'s readiness probe started failing its endpoint was marked not ready, and after ${u.rulesDroppedAfterMs} ms kube-proxy's DNAT rule for it was gone;`;
const removedTextZh = (u: ProbeObservation['unready']) => `${u.pod} 的 readiness 探针开始失败后 ${u.removedAfterMs} ms，它的 endpoint 被标记为未就绪；到 ${u.rulesDroppedAfterMs} ms 时，kube-proxy 为它设置的 DNAT 规则已被删除；`;

export function judgeLiveness(o: ProbeObservation): ClaimResult {
  const u = o.unhealthy;
  const restarted = u.restartsAfter > u.restartsBefore && u.containerAfter !== u.containerBefore;
  const servedWhileFailing = u.servedByWhileFailing[u.pod] ?? 0;
  const observed = { ...u };
  const evidence: Evidence[] = [ganttOf(o), { kind: 'table', title: `Events of ${u.pod}`, columns: ['event'], rows: u.events.map((e) => [e]) }];
  if (!restarted) return { id: 'k8s.probe.liveness-restarts', verdict: 'refuted', summary: `${u.pod}'s liveness probe failed but its container was not restarted (restarts ${u.restartsBefore} → ${u.restartsAfter}).`, summaryZh: `${u.pod} 的 liveness 探针失败了，但其容器没有被重启（重启次数 ${u.restartsBefore} → ${u.restartsAfter}）。`, observed, evidence };
  return {
    id: 'k8s.probe.liveness-restarts',
    verdict: 'confirmed',
    summary: `${u.restartedAfterMs} ms after /healthz began failing (${PERIOD} s period, 3 failures allowed) the kubelet killed the container and started a new one (restarts ${u.restartsBefore} → ${u.restartsAfter}, container …${u.containerBefore.slice(-6)} → …${u.containerAfter.slice(-6)}); the pod kept its name and address. While the probe was failing the pod stayed Ready and in the Service (it answered ${servedWhileFailing} requests); ${u.notReadyWhileRestartingMs ? `it was out of rotation for about ${u.notReadyWhileRestartingMs} ms around the restart` : 'no sample (every 200 ms) caught it out of rotation around the restart'}.`,
    summaryZh: `/healthz 开始失败后 ${u.restartedAfterMs} ms（探测周期 ${PERIOD} s，允许连续失败 3 次），kubelet 杀掉了容器并启动了一个新容器（重启次数 ${u.restartsBefore} → ${u.restartsAfter}，容器 …${u.containerBefore.slice(-6)} → …${u.containerAfter.slice(-6)}）；Pod 的名字和地址都没有变。探针失败期间，Pod 一直保持 Ready 并留在 Service 中（它响应了 ${servedWhileFailing} 个请求）；${u.notReadyWhileRestartingMs ? `重启前后它大约有 ${u.notReadyWhileRestartingMs} ms 不在轮转中` : '重启前后没有任何一次采样（每 200 ms 一次）发现它退出轮转'}。`,
    observed,
    evidence,
  };
}

export function judgeStartup(o: ProbeObservation): ClaimResult {
  const { withStartupProbe: guarded, without } = o.slowStart;
  const observed = { ...o.slowStart };
  const evidence: Evidence[] = [{ kind: 'table', title: 'A server that needs 6 s to start, liveness every 1 s (2 failures allowed), watched for 20 s', columns: ['pod', 'restarts', 'Ready after'], rows: [['no startup probe', without.restarts, without.readyAfterMs === null ? 'never' : `${without.readyAfterMs} ms`], ['startup probe (20 × 1 s)', guarded.restarts, guarded.readyAfterMs === null ? 'never' : `${guarded.readyAfterMs} ms`]] }];
  if (guarded.restarts === 0 && guarded.readyAfterMs !== null && without.restarts > 0) {
    return {
      id: 'k8s.probe.startup',
      verdict: 'nuanced',
      summary: `All three exist, but the startup probe does not keep a container healthy: it holds the other probes off until it first succeeds. The same slow starter was restarted ${without.restarts} times by its liveness probe${without.readyAfterMs === null ? ' and never became Ready' : ''}; with a startup probe it was never restarted and was Ready after ${guarded.readyAfterMs} ms.`,
      summaryZh: `三种探针都存在，但 startup 探针并不负责保持容器健康：它只是在自己首次成功之前推迟其他探针。同一个慢启动的服务被它的 liveness 探针重启了 ${without.restarts} 次${without.readyAfterMs === null ? '，始终没有变为 Ready' : ''}；配置 startup 探针后，它一次也没有被重启，并在 ${guarded.readyAfterMs} ms 后变为 Ready。`,
      observed,
      evidence,
    };
  }
  return { id: 'k8s.probe.startup', verdict: 'refuted', summary: `The startup probe did not hold the liveness probe off: restarts with it ${guarded.restarts}, without ${without.restarts}.`, summaryZh: `startup 探针没有推迟 liveness 探针：配置它时重启 ${guarded.restarts} 次，不配置时重启 ${without.restarts} 次。`, observed, evidence };
}

export function judgeKubeletProbes(o: ProbeObservation): ClaimResult {
  const sources = [...new Set(o.probeRequests.map((r) => r.source))];
  const agents = [...new Set(o.probeRequests.map((r) => r.userAgent))];
  const fromNode = sources.length > 0 && sources.every((s) => o.nodeAddresses.includes(s));
  const kubeletAgent = agents.length > 0 && agents.every((a) => a.startsWith('kube-probe/'));
  const reportedByKubelet = o.statusManagers.includes('kubelet');
  const observed = { probeRequests: o.probeRequests.length, sources, userAgents: agents, nodeAddresses: o.nodeAddresses, statusWrittenBy: o.statusManagers };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Probe requests as the pods saw them (first 12)', columns: ['path', 'status', 'from', 'User-Agent'], rows: o.probeRequests.slice(0, 12).map((r) => [r.path, r.status, r.source, r.userAgent]) }];
  const holds = fromNode && kubeletAgent && reportedByKubelet;
  return {
    id: 'k8s.kubelet.probes',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Every one of ${o.probeRequests.length} probe requests came from the node's own address (${sources.join(', ')}) with User-Agent ${agents.join(', ')}, and the pods' status (Ready, restart counts) was written to the API server by the field manager "kubelet".`
      : `Probe sources ${sources.join(', ') || 'none'}, User-Agents ${agents.join(', ') || 'none'}, status written by ${o.statusManagers.join(', ') || 'nobody seen'}.`,
    summaryZh: holds
      ? `全部 ${o.probeRequests.length} 个探针请求都来自节点自身的地址（${sources.join(', ')}），User-Agent 为 ${agents.join(', ')}；Pod 的状态（Ready、重启次数）由字段管理器 “kubelet” 写入 API server。`
      : `探针请求来源：${sources.join(', ') || '无'}；User-Agent：${agents.join(', ') || '无'}；状态写入者：${o.statusManagers.join(', ') || '未观察到'}。`,
    observed,
    evidence,
  };
}

const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port: 8000 }, periodSeconds, failureThreshold });

/** The server's container, with the probes given. */
function server(image: string, env: { name: string; value?: string; valueFrom?: object }[], probes: object) {
  return { name: 'web', image, imagePullPolicy: 'Never', command: ['python3', '-c', WEB_SERVER], env, ports: [{ containerPort: 8000 }], ...probes };
}

function deployment(image: string) {
  const podName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
  return {
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { terminationGracePeriodSeconds: 1, containers: [server(image, [podName], { readinessProbe: probe('/ready', PERIOD, 1), livenessProbe: probe('/healthz', PERIOD, 3) })] },
      },
    },
  };
}

function slowStarter(image: string, name: string, startup: boolean) {
  const probes = { livenessProbe: probe('/healthz', 1, 2), readinessProbe: probe('/ready', 1, 1), ...(startup ? { startupProbe: probe('/healthz', 1, 20) } : {}) };
  return {
    metadata: { name, labels: { app: 'slow' } },
    spec: { terminationGracePeriodSeconds: 1, containers: [server(image, [{ name: 'START_DELAY', value: '6' }, { name: 'POD_NAME', value: name }], probes)] },
  };
}

async function sample(kube: KubeCluster, namespace: string, t0: number): Promise<PodSample[]> {
  const [pods, slices] = await Promise.all([kube.core.listNamespacedPod({ namespace }), kube.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=web' })]);
  const endpoints = new Map<string, 'ready' | 'not ready'>();
  for (const slice of slices.items) for (const e of slice.endpoints ?? []) if (e.targetRef?.name) endpoints.set(e.targetRef.name, e.conditions?.ready ? 'ready' : 'not ready');
  const at = Date.now() - t0;
  return pods.items.map((p) => {
    const status = p.status?.containerStatuses?.[0];
    return {
      at,
      pod: p.metadata!.name!,
      ready: isPodReady(p),
      restarts: status?.restartCount ?? 0,
      containerId: status?.containerID ?? '',
      endpoint: endpoints.get(p.metadata!.name!) ?? 'absent',
    };
  });
}

export default defineLab({
  id: 'k8s-probes',
  title: 'Probe failures on a real kubelet: readiness takes a pod out of rotation, liveness restarts it, startup holds liveness off',
  topic: 'k8s',
  claims: ['k8s.probe.readiness-endpoints', 'k8s.probe.liveness-restarts', 'k8s.probe.startup', 'k8s.kubelet.probes'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's one-node Kubernetes cluster; a two-pod Deployment behind a ClusterIP Service; two slow-starting pods, one with a startup probe.",
    does: 'Fails one pod\'s readiness probe and sends requests through the Service, then lets it recover; fails the other pod\'s liveness probe; watches the slow starters for 20 s.',
    observes: 'Pod status and the EndpointSlice every 200 ms, which pod answered each request, events, and every probe request as the server received it.',
    zh: {
      title: '真实 kubelet 上的探针失败：readiness 失败让 Pod 退出轮转，liveness 失败让它重启，startup 探针推迟 liveness 检查',
      starts: '本次运行的单节点 Kubernetes 集群；一个 ClusterIP Service 后面的、含两个 Pod 的 Deployment；两个启动缓慢的 Pod，其中一个配置了 startup 探针。',
      does: '让一个 Pod 的 readiness 探针失败，并通过 Service 发送请求，随后让它恢复；让另一个 Pod 的 liveness 探针失败；对两个慢启动的 Pod 跟踪 20 s。',
      observes: '每 200 ms 采样的 Pod 状态和 EndpointSlice、每个请求由哪个 Pod 响应、事件，以及服务端收到的每一次探针请求。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    ctx.environment.node = kube.env.NODE_NAME ?? '';
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'probes');
    const t0 = Date.now();
    const samples: PodSample[] = [];
    const marks: ProbeObservation['marks'] = [];
    const mark = (label: string) => {
      marks.push({ at: Date.now() - t0, label });
      ctx.timeline.note(label);
    };
    await kube.apps.createNamespacedDeployment({ namespace, body: deployment(image) });
    const service = await kube.core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8000 }] } } });
    const address = service.spec!.clusterIP!;
    ctx.background('pod sampler', async (signal) => {
      while (!signal.aborted) {
        samples.push(...(await sample(kube, namespace, t0)));
        await sleep(200, signal).catch(() => undefined);
      }
    });
    const latest = (pod: string) => samples.filter((s) => s.pod === pod).at(-1);
    const podsNow = () => [...new Set(samples.map((s) => s.pod))];
    ctx.step('two pods Ready behind the Service');
    await until(async () => podsNow().length === 2 && podsNow().every((p) => latest(p)?.endpoint === 'ready'), 60_000, 'both pods ready in the EndpointSlice', 200);
    const [podA, podB] = podsNow().sort() as [string, string];
    const kubectl = (args: string[]) => kube.kubectl(['-n', namespace, ...args]);

    ctx.step(`readiness: ${podA} unready`);
    const beforeA = latest(podA)!;
    mark(`${podA}: /ready fails`);
    const failedAt = Date.now();
    await kubectl(['exec', podA, '--', 'touch', '/tmp/unready']);
    await until(async () => latest(podA)?.endpoint !== 'ready', 20_000, `${podA} out of rotation`, 100);
    const removedAfterMs = Date.now() - failedAt;
    // The EndpointSlice changes first; kube-proxy rewrites its iptables rules after (at most once per second).
    const ipA = (await kube.core.readNamespacedPod({ name: podA, namespace })).status!.podIP!;
    await until(async () => !(await serviceTargets(namespace, 'web')).includes(`${ipA}:8000`), 20_000, `kube-proxy to drop ${podA}'s DNAT rule`, 100);
    const rulesDroppedAfterMs = Date.now() - failedAt;
    const servedBy = await countAnswers(address, 40);
    const duringA = latest(podA)!;
    mark(`${podA}: /ready passes`);
    const fixedAt = Date.now();
    await kubectl(['exec', podA, '--', 'rm', '/tmp/unready']);
    await until(async () => latest(podA)?.endpoint === 'ready', 20_000, `${podA} back in rotation`, 100);
    const backAfterMs = Date.now() - fixedAt;

    ctx.step(`liveness: ${podB} unhealthy`);
    const beforeB = latest(podB)!;
    mark(`${podB}: /healthz fails`);
    const sickAt = Date.now();
    await kubectl(['exec', podB, '--', 'touch', '/tmp/unhealthy']);
    const servedByWhileFailing = await countAnswers(address, 10);
    await until(async () => (latest(podB)?.restarts ?? 0) > beforeB.restarts, 30_000, `${podB} restarted`, 100);
    const restartedAfterMs = Date.now() - sickAt;
    mark(`${podB}: restarted`);
    await until(async () => latest(podB)?.endpoint === 'ready', 30_000, `${podB} back in rotation`, 100);
    const afterB = latest(podB)!;
    const bSamples = samples.filter((s) => s.pod === podB && s.at >= sickAt - t0);
    const notReady = bSamples.filter((s) => s.endpoint !== 'ready');
    const notReadyWhileRestartingMs = notReady.length ? notReady.at(-1)!.at - notReady[0]!.at + 200 : 0;
    const events = (await kube.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${podB}` })).items.map((e) => `${e.reason}: ${e.message}`);

    ctx.step('slow starters, with and without a startup probe');
    const slowAt = Date.now();
    await Promise.all([kube.core.createNamespacedPod({ namespace, body: slowStarter(image, 'slow-plain', false) }), kube.core.createNamespacedPod({ namespace, body: slowStarter(image, 'slow-guarded', true) })]);
    const readyAt: Record<string, number | null> = { 'slow-plain': null, 'slow-guarded': null };
    let restarts: Record<string, number> = {};
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const pods = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=slow' })).items;
      restarts = Object.fromEntries(pods.map((p) => [p.metadata!.name!, p.status?.containerStatuses?.[0]?.restartCount ?? 0]));
      for (const p of pods) if (readyAt[p.metadata!.name!] === null && isPodReady(p)) readyAt[p.metadata!.name!] = Date.now() - slowAt;
      await sleep(250);
    }

    const logs = (await Promise.all([podA, podB].map((p) => kubectl(['logs', p, '--all-containers', '--prefix=false']).catch(() => '')))).join('\n');
    const probeRequests = logs.split('\n').map((l) => l.match(/^probe (\S+) (\d+) (\S+) (.*)$/)).filter((m) => m !== null).map((m) => ({ path: m[1]!, status: Number(m[2]), source: m[3]!, userAgent: m[4]! }));
    const node = (await kube.core.readNode({ name: kube.env.NODE_NAME! })).status?.addresses?.map((a) => a.address) ?? [];
    // The pod network's gateway on the node is the node too: the kubelet's probes leave from it.
    const bridge = kube.env.POD_CIDR ? [kube.env.POD_CIDR.replace(/\.0\/\d+$/, '.1')] : [];
    const podObject = await kube.core.readNamespacedPod({ name: podA, namespace });
    const statusManagers = [...new Set((podObject.metadata?.managedFields ?? []).filter((f) => f.subresource === 'status').map((f) => f.manager ?? ''))];

    const observation: ProbeObservation = {
      samples,
      marks,
      unready: { pod: podA, servedBy, restartsBefore: beforeA.restarts, restartsAfter: duringA.restarts, containerBefore: beforeA.containerId, containerAfter: duringA.containerId, removedAfterMs, rulesDroppedAfterMs, backAfterMs },
      unhealthy: { pod: podB, restartsBefore: beforeB.restarts, restartsAfter: afterB.restarts, containerBefore: beforeB.containerId, containerAfter: afterB.containerId, restartedAfterMs, servedByWhileFailing, notReadyWhileRestartingMs, events },
      slowStart: { withStartupProbe: { restarts: restarts['slow-guarded'] ?? 0, readyAfterMs: readyAt['slow-guarded'] ?? null }, without: { restarts: restarts['slow-plain'] ?? 0, readyAfterMs: readyAt['slow-plain'] ?? null } },
      probeRequests,
      nodeAddresses: [...node, ...bridge],
      statusManagers,
    };
    const kept = keptJson(ctx, 'probes-observation.json', observation, 'everything observed (JSON): pod and EndpointSlice samples, requests, probe requests');
    return [withEvidence(judgeReadiness(observation), ...kept), judgeLiveness(observation), judgeStartup(observation), judgeKubeletProbes(observation)];
  },
});
