/**
 * Lab: what the containers of one pod share: the network, a volume, the IPC namespace, and (only
 * when asked) the process IDs; and the order in which its init containers and main containers start.
 *
 * Starts: the run's Kubernetes cluster (the local provider's one node, or an existing cluster); two pods, each with two init
 * containers and two containers (an HTTP server and a sidecar) mounting one emptyDir volume; the
 * second pod sets shareProcessNamespace. A third pod has a native sidecar (an init container with
 * restartPolicy: Always, which keeps running), then a plain init container, then one container.
 *
 * Does: in each container reads its namespaces (/proc/self/ns), the processes it can see, and what
 * the other container wrote to the volume; from the sidecar, asks the server on localhost.
 *
 * Observes: the namespace links, the command lines under /proc, the answer on 127.0.0.1:8000, the
 * files on the volume, and the start and end of every container (each writes its own times, to the
 * nanosecond, to the volume); the third pod's init container states in the API after its container
 * started; and, from the apiserver's OpenAPI schema of PodSpec, the fields whose
 * name mentions IPC or a shared namespace (the knobs a pod has for them).
 */
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { until } from '../../src/resources/wait.ts';
import { isPodReady, kubernetesCluster, type KubeCluster } from '../../src/systems/kubernetes.ts';
import { WEB_SERVER } from '../../src/systems/kubernetes-web.ts';

const CONTAINERS = ['web', 'sidecar'] as const;
/** The plain init containers of the first two pods, run in this order, and how long each sleeps. */
const PLAIN_INIT = [
  { name: 'init-1', seconds: 2 },
  { name: 'init-2', seconds: 1 },
] as const;
/** The third pod: a native sidecar (an init container with restartPolicy: Always) that keeps running, then a plain init container, then its main container. */
const SIDECAR_POD = { name: 'with-sidecar', sidecar: 'init-sidecar', init: { name: 'init-1', seconds: 1 }, main: 'app' } as const;

export interface ContainerView {
  /** readlink /proc/self/ns/{net,pid,mnt,uts,ipc}. */
  namespaces: Record<string, string>;
  /** The command lines of the processes it can see, by PID. */
  processes: Record<string, string>;
}

export interface PodView {
  name: string;
  shareProcessNamespace: boolean;
  containers: Record<(typeof CONTAINERS)[number], ContainerView>;
  /** What the sidecar got from http://127.0.0.1:8000/ (the server answers its pod's name). */
  localhostAnswer: string;
  /** What each container read of the file the other wrote on the shared volume. */
  volume: { sidecarReadWebsFile: string; webReadSidecarsFile: string; written: string };
  /** Start and end of each container, as each wrote them (seconds since the epoch). */
  times: { name: string; start: number; end: number | null }[];
}

/** The pod with a native sidecar: its init containers as the apiserver stored them, the times each container wrote, each init container's state afterwards. */
export interface SidecarPodView {
  name: string;
  /** Its init containers in order, with their restartPolicy ("Always" for a native sidecar; null when not set). */
  initContainers: { name: string; restartPolicy: string | null }[];
  /** Its main containers. */
  containers: string[];
  /** Start and end of each container, as each wrote them (seconds since the epoch); the native sidecar and the main container write no end. */
  times: { name: string; start: number; end: number | null }[];
  /** Each init container's state in the API, read after the times (so after the main container had started): "running (restarts 0)", "terminated: Completed (exit 0)", … */
  initStates: Record<string, string>;
}

export interface PodsObservation {
  pods: PodView[];
  /** The third pod, with an init container of restartPolicy: Always; absent in captures made before the lab ran it. */
  sidecarPod?: SidecarPodView;
  /** PodSpec's fields (the apiserver's OpenAPI v3 schema) whose name mentions IPC, PID or a shared namespace: hostIPC, hostPID, shareProcessNamespace, … */
  namespaceFields: string[];
}

/** PodSpec's field names from the apiserver's OpenAPI v3 document for core/v1 that are about IPC, PIDs or sharing a namespace. */
export function namespaceFieldsOf(openapi: { components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> } }): string[] {
  const fields = Object.keys(openapi.components?.schemas?.['io.k8s.api.core.v1.PodSpec']?.properties ?? {});
  return fields.filter((f) => /ipc|pid|process|namespace/i.test(f)).sort();
}

const view = (o: PodsObservation, shared: boolean) => o.pods.find((p) => p.shareProcessNamespace === shared)!;
const same = (p: PodView, ns: string) => p.containers.web.namespaces[ns] !== undefined && p.containers.web.namespaces[ns] === p.containers.sidecar.namespaces[ns];
const sees = (c: ContainerView, command: RegExp) => Object.values(c.processes).some((cmd) => command.test(cmd));

export function judgeSharedNetwork(o: PodsObservation): ClaimResult {
  const p = view(o, false);
  const observed = { netNamespace: p.containers.web.namespaces.net, sameInBothContainers: same(p, 'net'), localhostAnswer: p.localhostAnswer, pod: p.name, otherNamespacesShared: ['uts', 'ipc', 'mnt', 'pid'].filter((ns) => same(p, ns)) };
  const evidence: Evidence[] = [{ kind: 'table', title: `Namespaces of the two containers of ${p.name}`, columns: ['namespace', 'web', 'sidecar'], rows: Object.keys(p.containers.web.namespaces).map((ns) => [ns, p.containers.web.namespaces[ns]!, p.containers.sidecar.namespaces[ns] ?? '']) }];
  if (!p.containers.web.namespaces.net || !p.containers.sidecar.namespaces.net || p.localhostAnswer.startsWith('failed:')) {
    return { id: 'k8s.pod.shared-network', verdict: 'unverifiable', summary: `The check itself failed in ${p.name} (namespace links ${p.containers.web.namespaces.net ?? 'missing'} / ${p.containers.sidecar.namespaces.net ?? 'missing'}; localhost: ${p.localhostAnswer}).`, summaryZh: `在 ${p.name} 中，检查本身失败了（命名空间链接 ${p.containers.web.namespaces.net ?? '缺失'} / ${p.containers.sidecar.namespaces.net ?? '缺失'}；localhost：${p.localhostAnswer}）。`, observed, evidence };
  }
  if (!same(p, 'net') || p.localhostAnswer !== p.name) {
    return { id: 'k8s.pod.shared-network', verdict: 'refuted', summary: `The containers of ${p.name} ${same(p, 'net') ? 'share' : 'do not share'} a network namespace, and the sidecar's request to 127.0.0.1:8000 got "${p.localhostAnswer}".`, summaryZh: `${p.name} 的两个容器${same(p, 'net') ? '共享' : '不共享'}网络命名空间，sidecar 向 127.0.0.1:8000 发出的请求得到的是 "${p.localhostAnswer}"。`, observed, evidence };
  }
  return { id: 'k8s.pod.shared-network', verdict: 'confirmed', summary: `Both containers of ${p.name} are in one network namespace (${p.containers.web.namespaces.net}), and the sidecar reached the server on 127.0.0.1:8000 (it answered "${p.localhostAnswer}"). They also share ${observed.otherNamespacesShared.join(' and ') || 'no other namespace'}${same(p, 'mnt') ? '' : '; the mount namespace is each container\'s own'}.`, summaryZh: `${p.name} 的两个容器处于同一个网络命名空间（${p.containers.web.namespaces.net}），sidecar 通过 127.0.0.1:8000 访问到了服务端（响应为 "${p.localhostAnswer}"）。${observed.otherNamespacesShared.length ? `它们还共享 ${observed.otherNamespacesShared.join('、')} 命名空间` : '除此之外它们不共享其他命名空间'}${same(p, 'mnt') ? '' : '；mount 命名空间则是每个容器各自独立的'}。`, observed, evidence };
}

export function judgeSharedVolumes(o: PodsObservation): ClaimResult {
  const p = view(o, false);
  const v = p.volume;
  const both = v.sidecarReadWebsFile === `${v.written} from web` && v.webReadSidecarsFile === `${v.written} from sidecar`;
  const observed = { pod: p.name, ...v, mountNamespacesDiffer: !same(p, 'mnt') };
  const evidence: Evidence[] = [{ kind: 'table', title: 'One emptyDir volume, mounted at /shared in both containers', columns: ['written by', 'read by', 'content'], rows: [['web', 'sidecar', v.sidecarReadWebsFile], ['sidecar', 'web', v.webReadSidecarsFile]] }];
  return both
    ? { id: 'k8s.pod.shared-volumes', verdict: 'confirmed', summary: `A file each container wrote on the emptyDir volume was read by the other${observed.mountNamespacesDiffer ? ', although each has its own mount namespace: the volume is mounted into both' : ''}.`, summaryZh: `每个容器写到 emptyDir 卷上的文件都被另一个容器读到了${observed.mountNamespacesDiffer ? '，尽管两者各有自己的 mount 命名空间：这个卷被分别挂载进了两个容器' : ''}。`, observed, evidence }
    : { id: 'k8s.pod.shared-volumes', verdict: 'refuted', summary: `The containers did not see each other's files on the volume (sidecar read "${v.sidecarReadWebsFile}", web read "${v.webReadSidecarsFile}").`, summaryZh: `两个容器看不到对方写在卷上的文件（sidecar 读到 "${v.sidecarReadWebsFile}"，web 读到 "${v.webReadSidecarsFile}"）。`, observed, evidence };
}

export function judgeSharedPid(o: PodsObservation): ClaimResult {
  const apart = view(o, false);
  const together = view(o, true);
  const server = /python3/;
  // A capture from before the lab read PodSpec's schema has no fields: then none were read.
  const namespaceFields = o.namespaceFields ?? [];
  const ipcFields = namespaceFields.filter((f) => /ipc/i.test(f));
  // hostIPC puts every container of the pod in the host's IPC namespace: shared still. Any other IPC field is a knob not tried here.
  const untriedIpcFields = ipcFields.filter((f) => f !== 'hostIPC');
  const observed = {
    default: { pod: apart.name, samePidNamespace: same(apart, 'pid'), sidecarSeesTheServer: sees(apart.containers.sidecar, server), sidecarPid1: apart.containers.sidecar.processes['1'] ?? '', sameIpcNamespace: same(apart, 'ipc') },
    shareProcessNamespace: { pod: together.name, samePidNamespace: same(together, 'pid'), sidecarSeesTheServer: sees(together.containers.sidecar, server), sidecarPid1: together.containers.sidecar.processes['1'] ?? '', sameIpcNamespace: same(together, 'ipc') },
    podSpecNamespaceFields: namespaceFields,
  };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'What the sidecar sees under /proc', columns: ['pod', 'PID namespace shared', 'PID 1', 'processes'], rows: [apart, together].map((p) => [`${p.name}${p.shareProcessNamespace ? ' (shareProcessNamespace)' : ''}`, same(p, 'pid') ? 'yes' : 'no', p.containers.sidecar.processes['1'] ?? '', Object.entries(p.containers.sidecar.processes).map(([pid, cmd]) => `${pid}: ${cmd}`).join('; ')]) },
    { kind: 'table', title: 'PID and IPC namespaces of the two containers (readlink /proc/self/ns/…)', columns: ['pod', 'namespace', 'web', 'sidecar', 'shared'], rows: [apart, together].flatMap((p) => ['pid', 'ipc'].map((ns) => [`${p.name}${p.shareProcessNamespace ? ' (shareProcessNamespace)' : ''}`, ns, p.containers.web.namespaces[ns] ?? 'missing', p.containers.sidecar.namespaces[ns] ?? 'missing', same(p, ns) ? 'yes' : 'no'])) },
    { kind: 'table', title: "PodSpec's fields about IPC, PIDs or a shared namespace (the apiserver's OpenAPI schema)", columns: ['field'], rows: namespaceFields.map((f) => [f]) },
  ];
  const optional = !observed.default.samePidNamespace && !observed.default.sidecarSeesTheServer && observed.shareProcessNamespace.samePidNamespace && observed.shareProcessNamespace.sidecarSeesTheServer;
  if (!optional) return { id: 'k8s.pod.shared-pid-optional', verdict: 'refuted', summary: `Sharing PIDs did not follow shareProcessNamespace: ${JSON.stringify(observed)}.`, summaryZh: `PID 是否共享并没有随 shareProcessNamespace 变化：${JSON.stringify(observed)}。`, observed, evidence };
  const pid = `PID sharing is optional: off by default, in ${apart.name} each container has its own PID namespace, the sidecar's PID 1 is its own "${observed.default.sidecarPid1}" and the server is invisible to it; with shareProcessNamespace: true (${together.name}) both are in one PID namespace, PID 1 is "${observed.shareProcessNamespace.sidecarPid1}" and the sidecar sees the server's python3.`;
  const pidZh = `PID 共享确实是可选的：默认不共享，在 ${apart.name} 中每个容器有各自的 PID 命名空间，sidecar 的 PID 1 是它自己的 "${observed.default.sidecarPid1}"，看不到服务端进程；设置 shareProcessNamespace: true 后（${together.name}），两者处于同一个 PID 命名空间，PID 1 是 "${observed.shareProcessNamespace.sidecarPid1}"，sidecar 能看到服务端的 python3 进程。`;
  const links = [apart, together].flatMap((p) => [p.containers.web.namespaces.ipc, p.containers.sidecar.namespaces.ipc]);
  if (links.some((l) => !l)) return { id: 'k8s.pod.shared-pid-optional', verdict: 'unverifiable', summary: `${pid} But a container's IPC namespace link (/proc/self/ns/ipc) was not read, so IPC sharing could not be compared.`, summaryZh: `${pidZh}但有容器的 IPC 命名空间链接（/proc/self/ns/ipc）没有读到，因此无法比较 IPC 是否共享。`, observed, evidence };
  const ipcApart = observed.default.sameIpcNamespace;
  const ipcTogether = observed.shareProcessNamespace.sameIpcNamespace;
  if (!ipcApart && ipcTogether) {
    return { id: 'k8s.pod.shared-pid-optional', verdict: 'confirmed', summary: `${pid} IPC followed the same switch: separate IPC namespaces in ${apart.name} (${apart.containers.web.namespaces.ipc} / ${apart.containers.sidecar.namespaces.ipc}), one in ${together.name} (${together.containers.web.namespaces.ipc}).`, summaryZh: `${pidZh}IPC 也随同一开关变化：${apart.name} 中是各自的 IPC 命名空间（${apart.containers.web.namespaces.ipc} / ${apart.containers.sidecar.namespaces.ipc}），${together.name} 中是同一个（${together.containers.web.namespaces.ipc}）。`, observed, evidence };
  }
  if (!ipcApart || !ipcTogether) {
    const seen = `IPC namespaces: ${apart.name} ${ipcApart ? 'shared' : 'separate'}, ${together.name} ${ipcTogether ? 'shared' : 'separate'}`;
    const seenZh = `IPC 命名空间：${apart.name} ${ipcApart ? '共享' : '各自独立'}，${together.name} ${ipcTogether ? '共享' : '各自独立'}`;
    return { id: 'k8s.pod.shared-pid-optional', verdict: 'refuted', summary: `${pid} But the containers could not be made to share IPC as the sheet says: ${seen}.`, summaryZh: `${pidZh}但无法像学习资料所说那样让容器共享 IPC：${seenZh}。`, observed, evidence };
  }
  if (!namespaceFields.length) {
    return { id: 'k8s.pod.shared-pid-optional', verdict: 'unverifiable', summary: `${pid} IPC was shared in both pods, but PodSpec's schema was not read, so whether some field turns IPC sharing off is not known.`, summaryZh: `${pidZh}两个 Pod 中 IPC 都是共享的，但没有读到 PodSpec 的 schema，因此无法确定是否有字段可以关闭 IPC 共享。`, observed, evidence };
  }
  if (untriedIpcFields.length) {
    return { id: 'k8s.pod.shared-pid-optional', verdict: 'unverifiable', summary: `${pid} IPC was shared in both pods (${apart.containers.web.namespaces.ipc}, ${together.containers.web.namespaces.ipc}), but PodSpec has ${untriedIpcFields.join(', ')}, not tried here, so whether IPC sharing can be turned off is not known.`, summaryZh: `${pidZh}两个 Pod 中 IPC 都是共享的（${apart.containers.web.namespaces.ipc}、${together.containers.web.namespaces.ipc}），但 PodSpec 中有本实验没有尝试的字段 ${untriedIpcFields.join(', ')}，因此无法确定 IPC 共享能否关闭。`, observed, evidence };
  }
  return {
    id: 'k8s.pod.shared-pid-optional',
    verdict: 'nuanced',
    summary: `Only PID sharing is optional; IPC is always shared. ${pid} The IPC namespace was one per pod either way: ${apart.containers.web.namespaces.ipc} for both containers of ${apart.name}, ${together.containers.web.namespaces.ipc} for both of ${together.name}. ${ipcFields.length ? `PodSpec's only IPC field is ${ipcFields.join(', ')} (of ${namespaceFields.join(', ')}), which joins the host's IPC namespace rather than separating the containers.` : `PodSpec has no IPC field (its namespace fields: ${namespaceFields.join(', ')}).`}`,
    summaryZh: `只有 PID 共享是可选的，IPC 则总是共享。${pidZh}无论哪种情况，每个 Pod 都只有一个 IPC 命名空间：${apart.name} 的两个容器都是 ${apart.containers.web.namespaces.ipc}，${together.name} 的两个容器都是 ${together.containers.web.namespaces.ipc}。${ipcFields.length ? `PodSpec 中与 IPC 有关的字段只有 ${ipcFields.join(', ')}（取自 ${namespaceFields.join(', ')}），它让 Pod 加入宿主机的 IPC 命名空间，而不是把容器彼此分开。` : `PodSpec 中没有与 IPC 有关的字段（其命名空间相关字段为 ${namespaceFields.join(', ')}）。`}`,
    observed,
    evidence,
  };
}

/** One pod's containers as the init-container judge sees them: its init containers (and which have restartPolicy: Always), its main containers, their times. */
interface InitPod {
  pod: string;
  init: string[];
  restartAlways: string[];
  main: string[];
  times: { name: string; start: number; end: number | null }[];
  /** Each init container's state in the API, read after the main containers had started (the sidecar pod only). */
  initStates: Record<string, string>;
}

const initPods = (o: PodsObservation): InitPod[] => [
  // The two pods of plain init containers: each has the two of PLAIN_INIT and the two main containers.
  ...o.pods.map((p) => ({ pod: p.name, init: PLAIN_INIT.map((c) => c.name), restartAlways: [], main: [...CONTAINERS], times: p.times, initStates: {} })),
  ...(o.sidecarPod ? [{ pod: o.sidecarPod.name, init: o.sidecarPod.initContainers.map((c) => c.name), restartAlways: o.sidecarPod.initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => c.name), main: o.sidecarPod.containers, times: o.sidecarPod.times, initStates: o.sidecarPod.initStates }] : []),
];

const ms = (seconds: number) => Math.round(seconds * 1000);
/** "a", "a and b", "a, b and c". */
const listed = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}` : (xs[0] ?? ''));

export function judgeInitContainers(o: PodsObservation): ClaimResult {
  const pods = initPods(o);
  const rows = pods.map((p) => {
    const time = (n: string) => p.times.find((t) => t.name === n);
    const missing = [...p.init, ...p.main].filter((n) => !Number.isFinite(time(n)?.start));
    const plain = p.init.filter((n) => !p.restartAlways.includes(n)).flatMap((n) => time(n) ?? []).sort((a, b) => a.start - b.start);
    const main = p.main.flatMap((n) => time(n) ?? []).sort((a, b) => a.start - b.start);
    const firstMain = main[0];
    const firstMainStart = firstMain?.start ?? NaN;
    const inTurn = plain.every((t, i) => t.end !== null && (i === 0 || t.start >= plain[i - 1]!.end!));
    // Plain init containers that had not ended when the first main container started.
    const unfinished = plain.filter((t) => t.end === null || t.end > firstMainStart).map((t) => ({ name: t.name, endedMsAfterMainStart: t.end === null ? null : ms(t.end - firstMainStart) }));
    const lastPlainEnd = Math.max(...plain.map((t) => t.end ?? Infinity));
    const sidecars = p.restartAlways.flatMap((n) => {
      const t = time(n);
      return t ? [{ name: n, startedMsBeforeMain: ms(firstMainStart - t.start), completedBeforeMain: t.end !== null && t.end <= firstMainStart, end: t.end, stateAfterwards: p.initStates[n] ?? 'not read' }] : [];
    });
    return { pod: p.pod, init: p.init, restartAlways: p.restartAlways, missing, inTurn, firstMain: firstMain?.name ?? null, gapMs: unfinished.length || !plain.length ? null : ms(firstMainStart - lastPlainEnd), unfinished, sidecars };
  });
  const t0 = Math.min(...pods.flatMap((p) => p.times.map((t) => t.start)).filter(Number.isFinite));
  const tEnd = (p: InitPod) => Math.max(...p.times.flatMap((x) => [x.start, x.end ?? x.start]).filter(Number.isFinite));
  const observed = { pods: rows };
  const evidence: Evidence[] = [
    {
      kind: 'gantt',
      title: 'Each container from its start to its end, as it wrote them (ms); a container with no end was still running when the times were read',
      rows: pods.flatMap((p) => p.times.filter((t) => Number.isFinite(t.start)).map((t) => ({ name: `${p.pod} ${t.name}`, spans: [{ from: ms(t.start - t0), to: ms((t.end ?? tEnd(p)) - t0) + 50, label: p.restartAlways.includes(t.name) ? 'init container, restartPolicy: Always' : p.init.includes(t.name) ? 'init container' : 'container' }] }))),
    },
    ...(rows.some((r) => r.sidecars.length) ? [{ kind: 'table' as const, title: 'Init containers with restartPolicy: Always (native sidecars)', columns: ['pod', 'init container', 'started before the first main container (ms)', 'ended before it', 'its state in the API afterwards'], rows: rows.flatMap((r) => r.sidecars.map((c) => [r.pod, c.name, c.startedMsBeforeMain, c.completedBeforeMain ? 'yes' : c.end === null ? 'no: never ended' : 'no', c.stateAfterwards])) }] : []),
  ];
  const names = listed(rows.map((r) => r.pod));
  const incomplete = rows.filter((r) => r.missing.length || !r.firstMain);
  if (incomplete.length) {
    const what = incomplete.map((r) => `${r.pod}: ${r.missing.join(', ') || 'no main container'}`).join('; ');
    return { id: 'k8s.pod.init-containers', verdict: 'unverifiable', summary: `Not every container wrote its start time (${what}), so when the main containers started relative to the init containers is not known.`, summaryZh: `并非每个容器都写下了自己的启动时间（${what}），因此无法知道主容器相对 init 容器何时启动。`, observed, evidence };
  }
  const late = rows.filter((r) => r.unfinished.length);
  if (late.length) {
    const said = late.map((r) => `in ${r.pod}, ${r.firstMain} started while ${r.unfinished.map((u) => `${u.name} ${u.endedMsAfterMainStart === null ? 'had not ended' : `ended only ${u.endedMsAfterMainStart} ms later`}`).join(' and ')}`).join('; ');
    const saidZh = late.map((r) => `在 ${r.pod} 中，${r.firstMain} 启动时 ${r.unfinished.map((u) => `${u.name}${u.endedMsAfterMainStart === null ? ' 尚未结束' : ` 还要再过 ${u.endedMsAfterMainStart} ms 才结束`}`).join('，')}`).join('；');
    return { id: 'k8s.pod.init-containers', verdict: 'refuted', summary: `A main container started before a plain init container had completed: ${said}.`, summaryZh: `有主容器在普通 init 容器完成之前就启动了：${saidZh}。`, observed, evidence };
  }
  const plainRows = rows.filter((r) => r.gapMs !== null);
  const plainPart = `In ${listed(plainRows.map((r) => r.pod))} the plain init containers ran ${plainRows.every((r) => r.inTurn) ? 'one after the other, ' : ''}each to its end, and the main containers started only after the last one ended (${plainRows.map((r) => `${r.gapMs} ms later in ${r.pod}`).join(', ')}).`;
  const plainPartZh = `在 ${plainRows.map((r) => r.pod).join(', ')} 中，普通 init 容器${plainRows.every((r) => r.inTurn) ? '依次运行、' : ''}每个都运行到结束，主容器在最后一个普通 init 容器结束之后才启动（${plainRows.map((r) => `${r.pod} 中晚了 ${r.gapMs} ms`).join('，')}）。`;
  const sidecars = rows.flatMap((r) => r.sidecars.map((c) => ({ pod: r.pod, main: r.firstMain!, ...c })));
  const running = sidecars.filter((c) => !c.completedBeforeMain);
  if (running.length) {
    const when = (c: (typeof running)[number]) => (c.startedMsBeforeMain >= 0 ? `started ${c.startedMsBeforeMain} ms before the main container ${c.main}` : `started ${-c.startedMsBeforeMain} ms after the main container ${c.main}`);
    const whenZh = (c: (typeof running)[number]) => (c.startedMsBeforeMain >= 0 ? `比主容器 ${c.main} 早 ${c.startedMsBeforeMain} ms 启动` : `比主容器 ${c.main} 晚 ${-c.startedMsBeforeMain} ms 启动`);
    const said = running.map((c) => `${c.name} in ${c.pod} ${when(c)}, ${c.end === null ? 'never ended' : 'had not ended when it started'}, and was ${c.stateAfterwards} in the API when read afterwards`).join('; ');
    const saidZh = running.map((c) => `${c.pod} 中的 ${c.name} ${whenZh(c)}，${c.end === null ? '始终没有结束' : '在主容器启动时尚未结束'}，之后读取时它在 API 中的状态为 ${c.stateAfterwards}`).join('；');
    return {
      id: 'k8s.pod.init-containers',
      verdict: 'nuanced',
      summary: `Only plain init containers run to completion before the main containers start. ${plainPart} An init container with restartPolicy: Always (a native sidecar) did not complete first: ${said}. The main container started while it was still running.`,
      summaryZh: `只有普通 init 容器会在主容器启动前执行完毕。${plainPartZh}restartPolicy: Always 的 init 容器（原生 sidecar）并没有先执行完毕：${saidZh}。主容器是在它仍在运行时启动的。`,
      observed,
      evidence,
    };
  }
  const sidecarPart = sidecars.length ? ` The init container${sidecars.length > 1 ? 's' : ''} with restartPolicy: Always (${sidecars.map((c) => `${c.name} in ${c.pod}`).join(', ')}) also ended before the main container started.` : ` None of the init containers in ${names} had restartPolicy: Always (a native sidecar): that kind was not run.`;
  const sidecarPartZh = sidecars.length ? `restartPolicy: Always 的 init 容器（${sidecars.map((c) => `${c.pod} 中的 ${c.name}`).join('、')}）也在主容器启动之前结束了。` : `${names} 中没有 restartPolicy: Always 的 init 容器（原生 sidecar）：这种 init 容器没有运行过。`;
  return { id: 'k8s.pod.init-containers', verdict: 'confirmed', summary: `${plainPart}${sidecarPart}`, summaryZh: `${plainPartZh}${sidecarPartZh}`, observed, evidence };
}

/** `date +%s.%N` into /shared/times/<name>.start, and .end when it is done. */
const stamp = (name: string, which: 'start' | 'end') => `date +%s.%N > /shared/times/${name}.${which}`;

const mount = [{ name: 'shared', mountPath: '/shared' }];
/** A plain init container: writes its start, sleeps, writes its end, exits. */
const plainInit = (image: string, n: string, seconds: number): V1Container => ({ name: n, image, imagePullPolicy: 'Never', command: ['sh', '-c', `mkdir -p /shared/times && ${stamp(n, 'start')} && sleep ${seconds} && ${stamp(n, 'end')}`], volumeMounts: mount });

function pod(name: string, image: string, shareProcessNamespace: boolean): V1Pod {
  const podName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
  return {
    metadata: { name, labels: { lab: 'pods' } },
    spec: {
      shareProcessNamespace,
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'shared', emptyDir: {} }],
      initContainers: PLAIN_INIT.map((c) => plainInit(image, c.name, c.seconds)),
      containers: [
        { name: 'web', image, imagePullPolicy: 'Never', command: ['sh', '-c', `${stamp('web', 'start')} && exec python3 -c "$SERVER"`], env: [podName, { name: 'SERVER', value: WEB_SERVER }], volumeMounts: mount, readinessProbe: { httpGet: { path: '/ready', port: 8000 }, periodSeconds: 1 } },
        { name: 'sidecar', image, imagePullPolicy: 'Never', command: ['sh', '-c', `${stamp('sidecar', 'start')} && exec sleep infinity`], volumeMounts: mount },
      ],
    },
  };
}

/** The third pod: a native sidecar (restartPolicy: Always) that writes its start and keeps running, a plain init container, and a main container that writes its start. */
function sidecarPod(image: string): V1Pod {
  const { name, sidecar, init, main } = SIDECAR_POD;
  return {
    metadata: { name, labels: { lab: 'pods' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'shared', emptyDir: {} }],
      initContainers: [
        { name: sidecar, image, imagePullPolicy: 'Never', restartPolicy: 'Always', command: ['sh', '-c', `mkdir -p /shared/times && ${stamp(sidecar, 'start')} && exec sleep infinity`], volumeMounts: mount },
        plainInit(image, init.name, init.seconds),
      ],
      containers: [{ name: main, image, imagePullPolicy: 'Never', command: ['sh', '-c', `${stamp(main, 'start')} && exec sleep infinity`], volumeMounts: mount }],
    },
  };
}

/** The times the containers wrote under /shared/times (`<name>.start` and `<name>.end`, one `<file> <seconds>` a line). */
export function parseStamps(output: string): { name: string; start: number; end: number | null }[] {
  const byName = new Map<string, { start: number; end: number | null }>();
  for (const line of output.split('\n')) {
    const m = line.match(/^(\S+)\.(start|end) (\S+)$/);
    if (!m) continue;
    const t = byName.get(m[1]!) ?? { start: NaN, end: null };
    if (m[2] === 'start') t.start = Number(m[3]);
    else t.end = Number(m[3]);
    byName.set(m[1]!, t);
  }
  return [...byName].map(([n, t]) => ({ name: n, ...t }));
}

/** A container's state in the API in a few words. */
function stateOf(c: V1ContainerStatus): string {
  const s = c.state;
  if (s?.running) return `running (restarts ${c.restartCount})`;
  if (s?.terminated) return `terminated: ${s.terminated.reason} (exit ${s.terminated.exitCode})`;
  if (s?.waiting) return `waiting: ${s.waiting.reason}`;
  return 'no state';
}

/** The sidecar pod's times, read from its main container, then its init containers' states from the API. */
async function observeSidecarPod(kube: KubeCluster, namespace: string): Promise<SidecarPodView> {
  const { name, main } = SIDECAR_POD;
  const times = parseStamps(await kube.kubectl(['-n', namespace, 'exec', name, '-c', main, '--', 'sh', '-c', 'cd /shared/times && for f in *; do echo "$f $(cat $f)"; done']));
  const read = await kube.core.readNamespacedPod({ name, namespace });
  return {
    name,
    initContainers: (read.spec?.initContainers ?? []).map((c) => ({ name: c.name, restartPolicy: c.restartPolicy ?? null })),
    containers: (read.spec?.containers ?? []).map((c) => c.name),
    times,
    initStates: Object.fromEntries((read.status?.initContainerStatuses ?? []).map((c) => [c.name, stateOf(c)])),
  };
}

/** Reads a container's namespaces and the command lines of the processes it can see. */
const INSPECT = `for ns in net pid mnt uts ipc; do echo "ns $ns $(readlink /proc/self/ns/$ns)"; done
for d in /proc/[0-9]*; do [ -r $d/cmdline ] && echo "proc \${d#/proc/} $(tr '\\0' ' ' < $d/cmdline)"; done`;

async function inspect(kube: KubeCluster, namespace: string, pod: string, container: string): Promise<ContainerView> {
  const out = await kube.kubectl(['-n', namespace, 'exec', pod, '-c', container, '--', 'sh', '-c', INSPECT]);
  const namespaces: Record<string, string> = {};
  const processes: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const ns = line.match(/^ns (\S+) (\S+)/);
    if (ns) namespaces[ns[1]!] = ns[2]!;
    const proc = line.match(/^proc (\d+) (.*)$/);
    // The shell running this inspection, and what it starts, are not the container's own processes.
    if (proc && !/^(sh -c for ns|tr |readlink )/.test(proc[2]!)) processes[proc[1]!] = proc[2]!.trim();
  }
  return { namespaces, processes };
}

async function observePod(kube: KubeCluster, namespace: string, name: string, shareProcessNamespace: boolean, written: string): Promise<PodView> {
  const exec = (container: string, script: string) => kube.kubectl(['-n', namespace, 'exec', name, '-c', container, '--', 'sh', '-c', script]).then((s) => s.trim());
  await exec('web', `echo '${written} from web' > /shared/web.txt`);
  await exec('sidecar', `echo '${written} from sidecar' > /shared/sidecar.txt`);
  const containers = { web: await inspect(kube, namespace, name, 'web'), sidecar: await inspect(kube, namespace, name, 'sidecar') };
  const localhostAnswer = await exec('sidecar', `python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/', timeout=5).read().decode().strip())"`).catch((e: Error) => `failed: ${e.message.split(': ').at(-1)}`);
  const volume = { written, sidecarReadWebsFile: await exec('sidecar', 'cat /shared/web.txt'), webReadSidecarsFile: await exec('web', 'cat /shared/sidecar.txt') };
  const times = parseStamps(await exec('web', 'cd /shared/times && for f in *; do echo "$f $(cat $f)"; done'));
  return { name, shareProcessNamespace, containers, localhostAnswer, volume, times };
}

export default defineLab({
  id: 'k8s-pods',
  title: 'What the containers of a pod share: the network, a volume, PIDs only when asked; init containers first',
  topic: 'k8s',
  claims: ['k8s.pod.shared-network', 'k8s.pod.shared-volumes', 'k8s.pod.shared-pid-optional', 'k8s.pod.init-containers'],
  requires: ['docker', 'kubernetes'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's Kubernetes cluster; two pods of two init containers and two containers (a server and a sidecar) on one emptyDir volume, the second with shareProcessNamespace; a third pod with an init container of restartPolicy: Always (a native sidecar that keeps running), a plain init container and one container.",
    does: "Reads each container's namespaces and visible processes, passes a file each way over the volume, and asks the server on localhost from the sidecar.",
    observes: "/proc/self/ns links (IPC and PID among them), /proc's command lines, the localhost answer, the files, every container's own start and end times, the third pod's init container states after its container started, and PodSpec's fields about IPC and PID namespaces in the apiserver's OpenAPI schema.",
    zh: {
      title: 'Pod 内的容器共享什么：网络、卷，PID 仅在显式要求时共享；init 容器先运行',
      starts: '本次运行的 Kubernetes 集群；两个 Pod，各含两个 init 容器和两个容器（一个服务端、一个 sidecar），共用一个 emptyDir 卷，其中第二个 Pod 开启了 shareProcessNamespace；第三个 Pod 含一个 restartPolicy: Always 的 init 容器（持续运行的原生 sidecar）、一个普通 init 容器和一个容器。',
      does: '读取每个容器的命名空间和可见进程，通过卷双向各传一个文件，并从 sidecar 经 localhost 访问服务端。',
      observes: '/proc/self/ns 链接（包括 IPC 和 PID）、/proc 中的进程命令行、localhost 的响应、传递的文件、每个容器各自的启动和结束时间、第三个 Pod 的容器启动后其 init 容器在 API 中的状态，以及 apiserver 的 OpenAPI schema 中 PodSpec 与 IPC、PID 命名空间有关的字段。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'pods');
    const specs = [
      { name: 'apart', shared: false },
      { name: 'together', shared: true },
    ];
    ctx.step(`two pods: init containers, then a server and a sidecar; and ${SIDECAR_POD.name}: an init container with restartPolicy: Always, a plain one, then ${SIDECAR_POD.main}`);
    await Promise.all([...specs.map((s) => kube.core.createNamespacedPod({ namespace, body: pod(s.name, image, s.shared) })), kube.core.createNamespacedPod({ namespace, body: sidecarPod(image) })]);
    await until(async () => {
      const pods = (await kube.core.listNamespacedPod({ namespace })).items;
      return pods.length === specs.length + 1 && pods.every(isPodReady);
    }, 90_000, 'the three pods Ready', 250);
    ctx.step('looking from inside each container');
    const pods: PodView[] = [];
    for (const s of specs) pods.push(await observePod(kube, namespace, s.name, s.shared, `hello-${ctx.runId}`));
    ctx.step(`${SIDECAR_POD.name}: the times its containers wrote, then its init containers' states`);
    const withSidecar = await observeSidecarPod(kube, namespace);
    ctx.step("PodSpec's fields for IPC, PIDs and shared namespaces, from the apiserver's OpenAPI schema");
    const namespaceFields = namespaceFieldsOf(JSON.parse(await kube.kubectl(['get', '--raw', '/openapi/v3/api/v1'])));
    const observation: PodsObservation = { pods, sidecarPod: withSidecar, namespaceFields };
    const kept = keptJson(ctx, 'pods.json', observation, 'namespaces, processes, files and times (JSON)');
    return [withEvidence(judgeSharedNetwork(observation), ...kept), judgeSharedVolumes(observation), judgeSharedPid(observation), judgeInitContainers(observation)];
  },
});
