/**
 * Lab: two nodes. A DaemonSet following a node that joins and leaves, the scheduler's filters
 * choosing between the nodes, and the path of a packet from a pod on one node to a pod on the other.
 *
 * Starts: the run's Kubernetes cluster and, for this lab only, a second node (k8s/local/join.sh: a
 * network namespace of its own with its own containerd, kubelet, kube-proxy and cni0 bridge, linked
 * to the first node by an underlay veth and a VXLAN overlay as flannel's vxlan backend does; it
 * registers with the taint labs.io/worker=true:NoSchedule).
 *
 * Does: makes two DaemonSets on the one-node cluster, one tolerating the worker's taint and one not;
 * joins the worker; places pods that each meet one filter (a taint, resources, pod anti-affinity,
 * a topology spread constraint); sends an HTTP request from a pod on the first node to the
 * DaemonSet's pod on the worker, first over the overlay, then again with the overlay's route
 * replaced by a plain route over the underlay (as a host-gw network plugin would); finally the
 * worker leaves and its Node object is deleted.
 *
 * Observes: each DaemonSet's desired count and pods per node at each stage; where each pod landed
 * or the scheduler's reason for not placing it; the request captured (tcpdump) on the client's
 * veth, the first node's overlay device, the underlay link and the worker's cni0, with each
 * packet's TTL, addresses and VXLAN network id; the routes the first node used.
 */
import type * as k8s from '@kubernetes/client-node';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { exec } from '../../src/resources/process.ts';
import { until } from '../../src/resources/wait.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { isPodReady, kubernetesCluster, WORKER_TAINT, type KubeCluster } from '../../src/systems/kubernetes.ts';
import { WEB_SERVER } from '../../src/systems/kubernetes-web.ts';

const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const TOLERATE_WORKER = [{ key: WORKER_TAINT.key, operator: 'Equal', value: WORKER_TAINT.value, effect: WORKER_TAINT.effect }];

type PodsByNode = Record<string, number>;
interface DaemonSetState {
  desired: number;
  podsByNode: PodsByNode;
}
export interface CapturedHop {
  /** Where tcpdump listened. */
  point: string;
  /** The client's SYN as seen there (null: not seen). */
  syn: { src: string; dst: string; ttl: number; outer?: { src: string; dst: string; vni: number } } | null;
}
export interface PathRun {
  mode: 'overlay' | 'routed';
  /** `ip route get <server pod>` on the first node. */
  route: string;
  /** The server pod's name as it answered, or null. */
  answeredBy: string | null;
  hops: CapturedHop[];
}
export interface NodesObservation {
  first: string;
  worker: string;
  joinReadyMs: number;
  daemonSets: { stage: string; tolerating: DaemonSetState; plain: DaemonSetState }[];
  /** ms from the worker's Node Ready to the tolerating DaemonSet's pod running there (null: it never did). */
  workerPodRunningAfterReadyMs: number | null;
  /** ms from the worker's Node object being deleted to its DaemonSet pod being gone (null: still there). */
  workerPodGoneAfterDeleteMs: number | null;
  /** One pod per filter: where it landed, or why it could not. */
  filters: { pod: string; filter: string; node: string | null; reason: string }[];
  /** Deployments placed by affinity and spread rules: pods per node, and pending pods' reasons. */
  placements: { deployment: string; rule: string; perNode: PodsByNode; pending: number; reasons: string[] }[];
  paths: PathRun[];
}

const countBy = (names: string[]): PodsByNode => names.reduce<PodsByNode>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});
const shortNode = (o: NodesObservation, node: string) => (node === o.worker ? 'worker' : node === o.first ? 'first node' : node);
const describeSpread = (o: NodesObservation, byNode: PodsByNode) => Object.entries(byNode).map(([n, c]) => `${c} on the ${shortNode(o, n)}`).join(', ') || 'none';
const shortNodeZh = (o: NodesObservation, node: string) => (node === o.worker ? 'worker' : node === o.first ? '第一个节点' : node);
const describeSpreadZh = (o: NodesObservation, byNode: PodsByNode) => Object.entries(byNode).map(([n, c]) => `${shortNodeZh(o, n)}上 ${c} 个`).join('，') || '无';

export function judgeDaemonSet(o: NodesObservation): ClaimResult {
  const stage = (name: string) => o.daemonSets.find((s) => s.stage === name);
  const [alone, joined, left] = [stage('one node'), stage('worker joined'), stage('worker left')];
  const observed = { stages: o.daemonSets, workerPodRunningAfterReadyMs: o.workerPodRunningAfterReadyMs, workerPodGoneAfterDeleteMs: o.workerPodGoneAfterDeleteMs };
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: 'DaemonSet pods per node (desired count) as the worker joins and leaves',
      columns: ['stage', 'tolerates the taint: desired', 'its pods', 'does not: desired', 'its pods'],
      rows: o.daemonSets.map((s) => [s.stage, s.tolerating.desired, describeSpread(o, s.tolerating.podsByNode), s.plain.desired, describeSpread(o, s.plain.podsByNode)]),
    },
  ];
  if (!alone || !joined || !left) return { id: 'k8s.daemonset.per-node', verdict: 'unverifiable', summary: 'The lab did not reach every stage (one node, worker joined, worker left), so the DaemonSets could not be followed.', summaryZh: '实验没有走完每个阶段（单节点、worker 加入、worker 离开），因此无法跟踪 DaemonSet 的变化。', observed, evidence };
  const onePerNode = (s: DaemonSetState, nodes: string[]) => nodes.every((n) => s.podsByNode[n] === 1) && Object.keys(s.podsByNode).length === nodes.length;
  const followedJoin = onePerNode(alone.tolerating, [o.first]) && onePerNode(joined.tolerating, [o.first, o.worker]) && joined.tolerating.desired === 2;
  if (followedJoin && left.tolerating.desired === 1 && left.tolerating.podsByNode[o.worker])
    return { id: 'k8s.daemonset.per-node', verdict: 'unverifiable', summary: `The DaemonSet followed the worker in (one pod on each node) and wanted 1 pod once it left, but the worker's pod was still in the API when the lab stopped waiting for the pod garbage collector.`, summaryZh: `DaemonSet 跟随 worker 的加入（每个节点一个 Pod），并在 worker 离开后只期望 1 个 Pod，但直到实验不再等待 Pod 垃圾回收器时，worker 上的 Pod 仍然存在于 API 中。`, observed, evidence };
  const followedLeave = left.tolerating.desired === 1 && !left.tolerating.podsByNode[o.worker];
  if (!followedJoin || !followedLeave)
    return { id: 'k8s.daemonset.per-node', verdict: 'refuted', summary: `The DaemonSet did not keep one pod per node: alone ${describeSpread(o, alone.tolerating.podsByNode)}; with the worker ${describeSpread(o, joined.tolerating.podsByNode)} (desired ${joined.tolerating.desired}); after it left ${describeSpread(o, left.tolerating.podsByNode)} (desired ${left.tolerating.desired}).`, summaryZh: `DaemonSet 没有保持每个节点一个 Pod：单节点时 ${describeSpreadZh(o, alone.tolerating.podsByNode)}；worker 加入后 ${describeSpreadZh(o, joined.tolerating.podsByNode)}（期望 ${joined.tolerating.desired} 个）；worker 离开后 ${describeSpreadZh(o, left.tolerating.podsByNode)}（期望 ${left.tolerating.desired} 个）。`, observed, evidence };
  const running = o.workerPodRunningAfterReadyMs === null ? '' : ` (running about ${Math.round(o.workerPodRunningAfterReadyMs / 1000)} s after the worker was Ready, to the second)`;
  const runningZh = o.workerPodRunningAfterReadyMs === null ? '' : `（在 worker 变为 Ready 后约 ${Math.round(o.workerPodRunningAfterReadyMs / 1000)} s 开始运行，精确到秒）`;
  const gone = o.workerPodGoneAfterDeleteMs === null ? '' : `, its pod there removed by the pod garbage collector ${(o.workerPodGoneAfterDeleteMs / 1000).toFixed(1)} s after the delete`;
  const goneZh = o.workerPodGoneAfterDeleteMs === null ? '' : `，worker 上的那个 Pod 在删除后 ${(o.workerPodGoneAfterDeleteMs / 1000).toFixed(1)} s 被 Pod 垃圾回收器清除`;
  const follows = `A DaemonSet that tolerates the worker's taint had one pod on the first node, got one on the worker when it joined${running}, and after the worker left and its Node was deleted wanted 1 again${gone}.`;
  const followsZh = `容忍 worker 污点的 DaemonSet 起初在第一个节点上有一个 Pod，worker 加入后在其上也有了一个${runningZh}；worker 离开、其 Node 被删除后，期望数量又回到 1${goneZh}。`;
  if (joined.plain.desired === 1 && !joined.plain.podsByNode[o.worker])
    return { id: 'k8s.daemonset.per-node', verdict: 'nuanced', summary: `${follows} But one pod per node holds only for the nodes a DaemonSet's pods tolerate (and select): the worker joins with a NoSchedule taint (the lab's join.sh gives it one, as clusters do to control-plane or dedicated nodes), and the same DaemonSet without the toleration wanted 1 pod with two nodes and left the worker without one.`, summaryZh: `${followsZh}但“每个节点一个 Pod”只对 DaemonSet 的 Pod 能容忍（并且选中）的节点成立：worker 加入时带有 NoSchedule 污点（由实验的 join.sh 加上，就像集群给控制平面节点或专用节点打污点那样），而不带该容忍的同一个 DaemonSet 在有两个节点时只期望 1 个 Pod，worker 上没有它的 Pod。`, observed, evidence };
  return { id: 'k8s.daemonset.per-node', verdict: 'confirmed', summary: `${follows} Even the DaemonSet without a toleration ran on the tainted worker.`, summaryZh: `${followsZh}就连不带容忍的 DaemonSet 也运行在了带污点的 worker 上。`, observed, evidence };
}

const firstSentence = (text: string) => text.split('. ')[0]!.replace(/\.$/, '') + '.';

export function judgeFilters(o: NodesObservation): ClaimResult {
  const filter = (name: string) => o.filters.find((f) => f.filter === name);
  const placement = (rule: string) => o.placements.find((p) => p.rule === rule);
  const [untolerated, tolerated, resources] = [filter('taint, no toleration'), filter('taint, tolerated'), filter('resources')];
  const [anti, spread] = [placement('pod anti-affinity'), placement('topology spread')];
  const observed = { filters: o.filters, placements: o.placements };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'One pod per filter: where the scheduler put it, or why it could not', columns: ['pod', 'filter', 'node', "scheduler's reason"], rows: o.filters.map((f) => [f.pod, f.filter, f.node ? shortNode(o, f.node) : 'Pending', f.reason]) },
    { kind: 'table', title: 'Deployments placed by rules across the two nodes', columns: ['Deployment', 'rule', 'pods per node', 'pending', 'reason'], rows: o.placements.map((p) => [p.deployment, p.rule, describeSpread(o, p.perNode), p.pending, p.reasons.join('; ')]) },
  ];
  const preferred = placement('preferred node affinity');
  if (!untolerated || !tolerated || !resources || !anti || !spread || !preferred) return { id: 'k8s.scheduler.filters', verdict: 'unverifiable', summary: 'Not every filter pod or Deployment was observed.', summaryZh: '并非每个过滤条件对应的 Pod 或 Deployment 都被观察到。', observed, evidence };
  const undecided = [...o.filters.filter((f) => f.node === null && !f.reason).map((f) => f.pod), ...o.placements.filter((p) => p.pending > 0 && !p.reasons.some(Boolean)).map((p) => p.deployment)];
  if (undecided.length) return { id: 'k8s.scheduler.filters', verdict: 'unverifiable', summary: `The scheduler had neither placed nor refused ${undecided.join(', ')} when the lab stopped waiting.`, summaryZh: `直到实验不再等待时，调度器对 ${undecided.join(', ')} 既没有调度也没有拒绝。`, observed, evidence };
  if ((preferred.perNode[o.first] ?? 0) < 3) return { id: 'k8s.scheduler.filters', verdict: 'unverifiable', summary: `The preference for the first node alone did not concentrate the pods there (${describeSpread(o, preferred.perNode)}), so the spread constraint had nothing to work against.`, summaryZh: `单靠对第一个节点的偏好并没有让 Pod 集中到那里（${describeSpreadZh(o, preferred.perNode)}），因此拓扑分布约束没有可以对抗的对象。`, observed, evidence };
  const checks: [string, string, boolean][] = [
    ['a pod without the toleration was kept off the tainted worker', '不带容忍的 Pod 被挡在带污点的 worker 之外', untolerated.node === null && /untolerated taint/.test(untolerated.reason)],
    ['the same pod with the toleration ran there', '同一个 Pod 加上容忍后就运行在了 worker 上', tolerated.node === o.worker],
    ['a pod asking for more CPU than any node has stayed Pending for Insufficient cpu', '请求的 CPU 超过任何节点容量的 Pod 因 Insufficient cpu 一直处于 Pending', resources.node === null && /Insufficient cpu/.test(resources.reason)],
    ['required pod anti-affinity allowed one replica per node and left the third Pending', '必需的（required）Pod 反亲和性只允许每个节点一个副本，第三个副本停留在 Pending', Object.keys(anti.perNode).length === 2 && Object.values(anti.perNode).every((c) => c === 1) && anti.pending === 1 && anti.reasons.some((r) => /anti-affinity/.test(r))],
    ['a topology spread constraint (maxSkew 1) split replicas evenly against a preference for one node', '在偏好某一个节点的情况下，拓扑分布约束（maxSkew 1）仍把副本均匀地分到了两个节点', spread.pending === 0 && Object.keys(spread.perNode).length === 2 && Math.abs(Object.values(spread.perNode)[0]! - Object.values(spread.perNode)[1]!) <= 1],
  ];
  const failed = checks.filter(([, , ok]) => !ok).map(([what]) => what);
  const failedZh = checks.filter(([, , ok]) => !ok).map(([, zh]) => zh);
  if (failed.length) return { id: 'k8s.scheduler.filters', verdict: 'refuted', summary: `Not as stated: ${failed.join('; ')} did not happen.`, summaryZh: `与说法不符，以下情况没有发生：${failedZh.join('；')}。`, observed, evidence };
  return {
    id: 'k8s.scheduler.filters',
    verdict: 'confirmed',
    summary: `Each filter decided a placement between two nodes: ${checks.map(([what]) => what).join('; ')} (${describeSpread(o, spread.perNode)}, where the preference alone gave ${describeSpread(o, preferred.perNode)}). The reasons are the scheduler's own: "${firstSentence(untolerated.reason)}", "${firstSentence(resources.reason)}".`,
    summaryZh: `每个过滤条件都决定了 Pod 在两个节点之间的落点：${checks.map(([, zh]) => zh).join('；')}（${describeSpreadZh(o, spread.perNode)}，而单靠偏好时为 ${describeSpreadZh(o, preferred.perNode)}）。这些原因是调度器自己给出的：“${firstSentence(untolerated.reason)}”、“${firstSentence(resources.reason)}”。`,
    observed,
    evidence,
  };
}

export function judgeCrossNodePath(o: NodesObservation): ClaimResult {
  const [overlay, routed] = [o.paths.find((p) => p.mode === 'overlay'), o.paths.find((p) => p.mode === 'routed')];
  const observed = { paths: o.paths };
  const hopNote = (h: CapturedHop) => (h.syn ? `TTL ${h.syn.ttl}${h.syn.outer ? `, in UDP ${h.syn.outer.src} → ${h.syn.outer.dst}, VNI ${h.syn.outer.vni}` : ''}` : 'not seen');
  const evidence: Evidence[] = o.paths.flatMap((p): Evidence[] => [
    { kind: 'path', title: `Pod to pod across nodes, ${p.mode === 'overlay' ? 'over the VXLAN overlay' : 'with a plain route instead'}: the client's SYN at each capture point`, hops: [{ address: 'client pod', note: 'eth0, TTL 64 sent' }, ...p.hops.map((h) => ({ address: h.point, note: hopNote(h) })), { address: p.answeredBy ?? 'no answer', note: 'answered' }] },
    { kind: 'command', title: `Route to the server pod on the first node (${p.mode})`, command: 'ip route get <server pod>', output: p.route },
  ]);
  if (!overlay || !overlay.answeredBy) return { id: 'k8s.network.cross-node-path', verdict: 'unverifiable', summary: 'The request from the pod on the first node to the pod on the worker got no answer, so there was no path to observe.', summaryZh: '从第一个节点上的 Pod 发往 worker 上 Pod 的请求没有得到响应，因此没有路径可观察。', observed, evidence };
  if (overlay.hops.some((h) => !h.syn)) return { id: 'k8s.network.cross-node-path', verdict: 'unverifiable', summary: `The request was answered but the captures missed it at ${overlay.hops.filter((h) => !h.syn).map((h) => h.point).join(', ')}: the path could not be read whole.`, summaryZh: `请求得到了响应，但抓包在 ${overlay.hops.filter((h) => !h.syn).map((h) => h.point).join(', ')} 处没有捕获到它：无法读出完整的路径。`, observed, evidence };
  const [veth, , underlay, workerBridge] = overlay.hops;
  const encapsulated = underlay?.syn?.outer;
  const ttlDrop = veth!.syn!.ttl - workerBridge!.syn!.ttl;
  const hops = ttlDrop === 2 ? `${ttlDrop} routing hops: each node's stack routed it once` : `${ttlDrop} routing hops, not the 2 that one pass through each node's stack makes`;
  const hopsZh = ttlDrop === 2 ? `经过 ${ttlDrop} 跳路由：每个节点的协议栈各路由了一次` : `经过 ${ttlDrop} 跳路由，而不是每个节点的协议栈各经过一次应有的 2 跳`;
  const overlayPath = `Over the overlay (VXLAN between the nodes, as flannel's vxlan backend sets it up; here join.sh does) the SYN left the client's veth with TTL ${veth!.syn!.ttl}, crossed cni0 into the first node's stack, went out wrapped in VXLAN (UDP ${encapsulated?.src} → ${encapsulated?.dst}, VNI ${encapsulated?.vni}) and reached the worker's cni0 with TTL ${workerBridge!.syn!.ttl} (${hops})`;
  const overlayPathZh = `走 overlay 时（节点之间用 VXLAN，与 flannel 的 vxlan 后端的做法相同；这里由 join.sh 配置），SYN 以 TTL ${veth!.syn!.ttl} 离开客户端的 veth，经 cni0 进入第一个节点的协议栈，封装进 VXLAN 后发出（UDP ${encapsulated?.src} → ${encapsulated?.dst}，VNI ${encapsulated?.vni}），到达 worker 的 cni0 时 TTL 为 ${workerBridge!.syn!.ttl}（${hopsZh}）`;
  if (!encapsulated) return { id: 'k8s.network.cross-node-path', verdict: 'refuted', summary: `The packet crossed the nodes without an overlay even where one was set up: on the underlay it was plain IP ${underlay?.syn?.src} → ${underlay?.syn?.dst}.`, summaryZh: `即便配置了 overlay，数据包跨节点时也没有被封装：在 underlay 上它是普通的 IP 包 ${underlay?.syn?.src} → ${underlay?.syn?.dst}。`, observed, evidence };
  if (routed?.answeredBy && routed.hops.every((h) => h.point.includes('overlay') ? !h.syn : true) && routed.hops.some((h) => h.syn && !h.syn.outer && h.point.includes('underlay')))
    return { id: 'k8s.network.cross-node-path', verdict: 'nuanced', summary: `${overlayPath}. With the overlay's route replaced by a plain route over the underlay (what host-gw or BGP network plugins do), the same request was answered by ${routed.answeredBy} and crossed the underlay unwrapped, pod addresses and all: veth, bridge and both node stacks are on every path; the overlay is the network plugin's choice, not part of the path itself.`, summaryZh: `${overlayPathZh}。把 overlay 的路由换成经 underlay 的普通路由后（host-gw 或 BGP 类网络插件就是这么做的），同样的请求由 ${routed.answeredBy} 响应，并且以未封装的形式穿过 underlay，Pod 地址原样可见：veth、网桥和两个节点的协议栈在每条路径上都有；overlay 是网络插件的选择，并不是路径本身的一部分。`, observed, evidence };
  return { id: 'k8s.network.cross-node-path', verdict: 'confirmed', summary: `${overlayPath}. Without the overlay the request ${routed?.answeredBy ? 'was answered but its path was not seen' : 'got no answer'}.`, summaryZh: `${overlayPathZh}。不走 overlay 时，请求${routed?.answeredBy ? '得到了响应，但没有观察到它的路径' : '没有得到响应'}。`, observed, evidence };
}

async function podsOf(kube: KubeCluster, namespace: string, selector: string): Promise<k8s.V1Pod[]> {
  return (await kube.core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function daemonSetState(kube: KubeCluster, namespace: string, name: string): Promise<DaemonSetState> {
  const ds = await kube.apps.readNamespacedDaemonSet({ name, namespace });
  return { desired: ds.status?.desiredNumberScheduled ?? 0, podsByNode: countBy((await podsOf(kube, namespace, `app=${name}`)).map((p) => p.spec?.nodeName ?? 'unscheduled')) };
}

function unschedulableReason(pod: k8s.V1Pod): string {
  return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message ?? '';
}

/** The SYN of the client's request in a capture: addresses, TTL and, when wrapped in VXLAN, the outer header. */
async function readSyn(pcap: string, port: number): Promise<CapturedHop['syn']> {
  const fields = ['ip.src', 'ip.dst', 'ip.ttl', 'vxlan.vni'] as const;
  const rows = await readFields(pcap, `tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==${port}`, fields);
  const row = rows[0];
  if (!row) return null;
  const [src, dst, ttl] = [row['ip.src']!.split(','), row['ip.dst']!.split(','), row['ip.ttl']!.split(',')];
  const inner = src.length - 1;
  return { src: src[inner]!, dst: dst[inner]!, ttl: Number(ttl[inner]), ...(row['vxlan.vni'] ? { outer: { src: src[0]!, dst: dst[0]!, vni: Number(row['vxlan.vni']) } } : {}) };
}

async function hostVethOf(kube: KubeCluster, namespace: string, pod: string): Promise<string> {
  const index = (await kube.kubectl(['-n', namespace, 'exec', pod, '--', 'cat', '/sys/class/net/eth0/iflink'])).trim();
  const line = (await exec('ip', ['-o', 'link', 'show'])).split('\n').find((l) => l.startsWith(`${index}: `));
  const name = line?.split(': ')[1]?.split('@')[0];
  if (!name) throw new Error(`no host interface with index ${index} for pod ${pod}`);
  return name;
}

export default defineLab({
  id: 'k8s-nodes',
  title: 'Two nodes: a DaemonSet following a node, the scheduler choosing, a packet crossing',
  topic: 'k8s',
  claims: ['k8s.daemonset.per-node', 'k8s.scheduler.filters', 'k8s.network.cross-node-path'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 300_000,
  handout: {
    starts: "The run's Kubernetes cluster and a second node for this lab: its own network namespace, containerd, kubelet and kube-proxy, a VXLAN overlay to the first node, tainted labs.io/worker.",
    does: 'Two DaemonSets (one tolerating the taint) before and after the worker joins and after it leaves; one pod per scheduler filter (taint, resources, anti-affinity, topology spread); an HTTP request from a pod on the first node to a pod on the worker, over the overlay and then over a plain route.',
    observes: "DaemonSet pods per node and desired counts at each stage; where each pod landed or the scheduler's reason; the request's SYN on the client's veth, the overlay device, the underlay and the worker's cni0 (TTL, addresses, VXLAN id).",
    zh: {
      title: '两个节点：DaemonSet 跟随节点增减、调度器如何选择、数据包如何跨节点',
      starts: '本次运行的 Kubernetes 集群，外加为本实验添加的第二个节点：拥有独立的网络命名空间、containerd、kubelet 和 kube-proxy，通过 VXLAN overlay 与第一个节点相连，并打上污点 labs.io/worker。',
      does: '两个 DaemonSet（其中一个容忍该污点），在 worker 加入前、加入后和离开后分别查看；针对每种调度过滤条件（污点、资源、反亲和性、拓扑分布）各创建一个 Pod；从第一个节点上的 Pod 向 worker 上的 Pod 发 HTTP 请求，先走 overlay，再走普通路由。',
      observes: '各阶段每个节点上的 DaemonSet Pod 及期望数量；每个 Pod 落在哪个节点，或调度器给出的原因；该请求的 SYN 在客户端 veth、overlay 设备、underlay 和 worker 的 cni0 上的情况（TTL、地址、VXLAN id）。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const first = kube.env.NODE_NAME!;
    const namespace = await kube.namespace(ctx.scope, 'nodes');
    const image = await kube.loadImage('backend');
    const container = (name: string, command: string) => ({ name, image, imagePullPolicy: 'Never', command: ['sh', '-c', command] });
    const podName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
    const daemonSet = (name: string, tolerations: object[]) => ({
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 0, tolerations, containers: [{ ...container('web', 'exec python3 -c "$SERVER"'), env: [podName, { name: 'SERVER', value: WEB_SERVER }], ports: [{ containerPort: 8000 }] }] } },
      },
    });
    const stages: NodesObservation['daemonSets'] = [];
    const recordStage = async (stage: string) => stages.push({ stage, tolerating: await daemonSetState(kube, namespace, 'agent'), plain: await daemonSetState(kube, namespace, 'plain') });
    const running = async (selector: string, node?: string) => (await podsOf(kube, namespace, selector)).filter((p) => p.status?.phase === 'Running' && (!node || p.spec?.nodeName === node));

    ctx.step('two DaemonSets on the one-node cluster: one tolerates the worker taint, one does not');
    await kube.apps.createNamespacedDaemonSet({ namespace, body: daemonSet('agent', TOLERATE_WORKER) });
    await kube.apps.createNamespacedDaemonSet({ namespace, body: daemonSet('plain', []) });
    await until(async () => (await running('app in (agent, plain)')).length === 2, 60_000, 'both DaemonSets to run a pod', 250);
    await recordStage('one node');

    ctx.step('a worker node joins');
    const worker = await kube.joinWorker(ctx.scope, 1, { images: ['backend'] });
    const workerName = worker.name;
    const readyAt = new Date((await kube.core.readNode({ name: workerName })).status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? Date.now()).getTime();
    await until(async () => (await running('app=agent', workerName)).length === 1, 60_000, "the DaemonSet's pod on the worker", 250).catch(() => undefined);
    const workerPod = (await running('app=agent', workerName))[0];
    const runningAt = workerPod?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
    // The controller placed the tolerating DaemonSet's pod on the new node; a second more for the other one to have done so too if it would.
    await sleep(1000);
    await recordStage('worker joined');

    ctx.step('the scheduler between two nodes: a taint, resources, anti-affinity, a spread constraint');
    const pin = { nodeSelector: { [HOSTNAME_LABEL]: workerName } };
    const sleeper = [container('sleep', 'exec sleep infinity')];
    const filterPods: { pod: string; filter: string; spec: object }[] = [
      { pod: 'needs-toleration', filter: 'taint, no toleration', spec: { ...pin } },
      { pod: 'tolerates-worker', filter: 'taint, tolerated', spec: { ...pin, tolerations: TOLERATE_WORKER } },
      { pod: 'wants-100-cpus', filter: 'resources', spec: { tolerations: TOLERATE_WORKER, containers: [{ ...sleeper[0], resources: { requests: { cpu: '100' } } }] } },
    ];
    for (const f of filterPods) await kube.core.createNamespacedPod({ namespace, body: { metadata: { name: f.pod, labels: { filter: 'one' } }, spec: { terminationGracePeriodSeconds: 0, containers: sleeper, ...f.spec } } });
    const preferFirst = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [first] }] } }] } };
    const deployments = [
      { deployment: 'one-per-node', rule: 'pod anti-affinity', replicas: 3, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: HOSTNAME_LABEL, labelSelector: { matchLabels: { app: 'one-per-node' } } }] } } } },
      { deployment: 'prefer-first', rule: 'preferred node affinity', replicas: 4, spec: { affinity: preferFirst } },
      { deployment: 'spread', rule: 'topology spread', replicas: 4, spec: { affinity: preferFirst, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: HOSTNAME_LABEL, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] } },
    ];
    for (const d of deployments)
      await kube.apps.createNamespacedDeployment({ namespace, body: { metadata: { name: d.deployment }, spec: { replicas: d.replicas, selector: { matchLabels: { app: d.deployment } }, template: { metadata: { labels: { app: d.deployment } }, spec: { terminationGracePeriodSeconds: 0, tolerations: TOLERATE_WORKER, containers: sleeper, ...d.spec } } } } });
    const settled = async () => {
      const pods = await podsOf(kube, namespace, 'filter=one');
      const placed = await Promise.all(deployments.map(async (d) => (await podsOf(kube, namespace, `app=${d.deployment}`)).filter((p) => p.spec?.nodeName || unschedulableReason(p)).length === d.replicas));
      return pods.length === filterPods.length && pods.every((p) => p.spec?.nodeName || unschedulableReason(p)) && placed.every(Boolean);
    };
    await until(settled, 60_000, 'every filter pod to be placed or refused', 250).catch(() => undefined);
    const filters = await Promise.all(filterPods.map(async (f) => {
      const pod = await kube.core.readNamespacedPod({ name: f.pod, namespace });
      return { pod: f.pod, filter: f.filter, node: pod.spec?.nodeName ?? null, reason: unschedulableReason(pod) };
    }));
    const placements = await Promise.all(deployments.map(async (d) => {
      const pods = await podsOf(kube, namespace, `app=${d.deployment}`);
      const pending = pods.filter((p) => !p.spec?.nodeName);
      return { deployment: d.deployment, rule: d.rule, perNode: countBy(pods.flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : []))), pending: pending.length, reasons: [...new Set(pending.map(unschedulableReason))] };
    }));
    await Promise.all([...filterPods.map((f) => kube.core.deleteNamespacedPod({ name: f.pod, namespace, gracePeriodSeconds: 0 })), ...deployments.map((d) => kube.apps.deleteNamespacedDeployment({ name: d.deployment, namespace }))]);

    ctx.step('a request from a pod on the first node to the DaemonSet pod on the worker, captured on the way');
    await kube.core.createNamespacedPod({ namespace, body: { metadata: { name: 'client' }, spec: { terminationGracePeriodSeconds: 0, nodeSelector: { [HOSTNAME_LABEL]: first }, containers: sleeper } } });
    await until(async () => isPodReady(await kube.core.readNamespacedPod({ name: 'client', namespace })), 60_000, 'the client pod', 250);
    const serverIp = workerPod?.status?.podIP;
    const paths: PathRun[] = [];
    if (serverIp) {
      const veth = await hostVethOf(kube, namespace, 'client');
      const e = worker.env;
      const points = [
        { point: `client's veth ${veth} (first node)`, iface: veth, filter: `host ${serverIp}` },
        { point: `overlay device ${e.WORKER_OVERLAY} (first node)`, iface: e.WORKER_OVERLAY!, filter: `host ${serverIp}` },
        { point: `underlay link ${e.WORKER_UNDERLAY} (between the nodes)`, iface: e.WORKER_UNDERLAY!, filter: `host ${serverIp} or udp port 4789` },
        { point: `worker's ${kube.env.BRIDGE}`, iface: kube.env.BRIDGE!, netns: e.WORKER_NETNS!, filter: `host ${serverIp}` },
      ];
      const request = async (mode: PathRun['mode']) => {
        const scope = ctx.scope.child(`${mode} request`);
        const captures = await Promise.all(points.map((p, i) => startCapture(scope, ctx.runId, { dir: ctx.workDir, name: `${mode}-${i}`, iface: p.iface, netns: p.netns, filter: p.filter })));
        const answer = await kube.kubectl(['-n', namespace, 'exec', 'client', '--', 'python3', '-c', `import urllib.request; print(urllib.request.urlopen('http://${serverIp}:8000/', timeout=5).read().decode().strip())`]).then((s) => s.trim(), () => null);
        await sleep(300);
        await Promise.all(captures.map((c) => c.stop()));
        await scope.close();
        const route = (await exec('ip', ['route', 'get', serverIp])).trim();
        paths.push({ mode, route, answeredBy: answer, hops: await Promise.all(points.map(async (p, i) => ({ point: p.point, syn: await readSyn(captures[i]!.file, 8000) }))) });
      };
      await request('overlay');
      ctx.step('the same request with the overlay route replaced by a plain route over the underlay');
      await exec('ip', ['route', 'replace', e.WORKER_POD_CIDR!, 'via', e.WORKER_IP!, 'dev', e.WORKER_UNDERLAY!]);
      await exec('ip', ['netns', 'exec', e.WORKER_NETNS!, 'ip', 'route', 'replace', kube.env.POD_CIDR!, 'via', e.WORKER_GATEWAY!, 'dev', 'eth0']);
      await request('routed');
    }

    ctx.step('the worker leaves and its Node object is deleted');
    await worker.leave();
    const deletedAt = Date.now();
    await kube.core.deleteNode({ name: workerName });
    await until(async () => (await daemonSetState(kube, namespace, 'agent')).desired === 1, 30_000, 'the DaemonSet to want one pod', 250).catch(() => undefined);
    // The pod garbage collector removes pods of a deleted node after a 40 s quarantine.
    const gone = await until(async () => !(await podsOf(kube, namespace, 'app=agent')).some((p) => p.spec?.nodeName === workerName), 100_000, "the worker's DaemonSet pod to go", 500).then(() => Date.now() - deletedAt, () => null);
    await recordStage('worker left');

    const observation: NodesObservation = {
      first,
      worker: workerName,
      joinReadyMs: Number(worker.env.JOIN_TO_READY_MS),
      daemonSets: stages,
      workerPodRunningAfterReadyMs: runningAt ? Math.max(0, new Date(runningAt).getTime() - readyAt) : null,
      workerPodGoneAfterDeleteMs: gone,
      filters,
      placements,
      paths,
    };
    const kept = keptJson(ctx, 'nodes.json', observation, 'DaemonSet stages, placements and captured paths (JSON)');
    return [withEvidence(judgeDaemonSet(observation), ...kept), judgeFilters(observation), judgeCrossNodePath(observation)];
  },
});
