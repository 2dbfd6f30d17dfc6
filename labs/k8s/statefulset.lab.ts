/**
 * Lab: what a StatefulSet keeps for its pods (names, storage, order), and how long a volume lives
 * against the pod that mounts it.
 *
 * Starts: the run's Kubernetes cluster; a StorageClass without a provisioner and hostPath
 * PersistentVolumes on the node for this lab (the cluster has no storage provisioner).
 *
 * Does: creates a StatefulSet of 3 pods (a grace period of 3 s; each pod's shell exits 1 s after
 * SIGTERM), each writing its name to its own claim when it first starts; deletes its middle pod
 * (with that grace period) and looks its domain name up from web-0; scales it down to 1. Then runs a pod with an emptyDir and a
 * PersistentVolumeClaim, writes a file to both, kills its container (the kubelet restarts it),
 * deletes the pod and creates it again.
 *
 * Observes: each StatefulSet pod's creation and readiness times, host name, name with its domain
 * (hostname -f), claim and the file on its claim; the replaced pod's uid, claim, file and domain
 * name; the lookup of its domain name from web-0, the kubelet's MissingClusterDNS events and any
 * cluster DNS add-on's Services; on scale-down, when each pod's termination began (deletionTimestamp
 * seen), its grace period, when it was gone and its exit code, and the claims left after it; the two files after the container restart and after the pod was
 * replaced.
 */
import * as k8s from '@kubernetes/client-node';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { Cancelled } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';
import { isPodReady, kubernetesCluster } from '../../src/systems/kubernetes.ts';

const REPLICAS = 3;

/** The pods' grace period in this lab (the template's terminationGracePeriodSeconds): each pod's shell exits 1 s after SIGTERM, well within it. */
export const GRACE_SECONDS = 3;

export interface StatefulSetObservation {
  /** ms after the StatefulSet was created: first seen, first seen Ready, and whether the pod before it was Ready when it was first seen. */
  created: { pod: string; createdAt: number; readyAt: number | null; previousReadyWhenSeen: boolean }[];
  /** Each pod: `hostname`, and `hostname -f` (its name with the domain the kubelet wrote to its /etc/hosts) and its address, both absent in captures made before the lab read them. */
  pods: { pod: string; hostname: string; claim: string; file: string; fqdn?: string; ip?: string }[];
  /** The pod deleted and made again; fqdnBefore/fqdnAfter (`hostname -f`) absent in captures made before the lab read them. */
  replaced: { pod: string; uidBefore: string; uidAfter: string; claimBefore: string; claimAfter: string; fileBefore: string; fileAfter: string; fqdnBefore?: string; fqdnAfter?: string } | null;
  /** The template's terminationGracePeriodSeconds: this lab's input. Absent in captures made before the lab recorded it (those ran with 0). */
  terminationGracePeriodSeconds?: number;
  /**
   * Pods deleted when scaled down to 1, in the order a watch saw them deleted, ms after the scale call: when the watch first saw
   * the pod with a deletionTimestamp (its termination began), that deletion's grace period, when it was gone from the API, and its
   * container's exit code then. terminatingAt, gracePeriodSeconds and exitCode are absent in captures made before the lab recorded them.
   */
  scaleDown: { pod: string; goneAt: number; terminatingAt?: number | null; gracePeriodSeconds?: number | null; exitCode?: number | null }[];
  claimsAfterScaleDown: string[];
  /**
   * The replaced pod's domain name looked up from another pod of the set (getent hosts), the address it should give (the replaced
   * pod's), the kubelet's MissingClusterDNS events in the namespace and the Services labelled k8s-app=kube-dns in any namespace (a
   * cluster DNS add-on's). Absent in captures made before the lab looked it up.
   */
  dns?: { name: string; from: string; answer: string; expected: string; events: string[]; dnsServices: string[] };
  volumes: { written: string; restarts: number; emptyDirAfterRestart: string; emptyDirAfterReplace: string; claimAfterReplace: string; podUidChanged: boolean };
}

const ordinal = (pod: string) => Number(pod.split('-').at(-1));
/** The scaled-down pods, highest ordinal first. */
const byOrdinalDesc = (pods: { pod: string }[]) => pods.map((p) => p.pod).sort((a, b) => ordinal(b) - ordinal(a));
const ms = (n: number | null | undefined) => (typeof n === 'number' ? n : '-');

export function judgeStatefulSet(o: StatefulSetObservation): ClaimResult {
  const id = 'k8s.statefulset.identity';
  const created = [...o.created].sort((a, b) => ordinal(a.pod) - ordinal(b.pod));
  const timed = o.scaleDown.length > 0 && o.scaleDown.every((s) => typeof s.terminatingAt === 'number');
  const byStart = timed ? [...o.scaleDown].sort((a, b) => a.terminatingAt! - b.terminatingAt!) : [];
  const observed = {
    created: o.created,
    hostnames: Object.fromEntries(o.pods.map((p) => [p.pod, p.hostname])),
    fqdns: Object.fromEntries(o.pods.map((p) => [p.pod, p.fqdn ?? null])),
    claims: Object.fromEntries(o.pods.map((p) => [p.pod, p.claim])),
    replaced: o.replaced,
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? null,
    scaleDownOrder: o.scaleDown.map((s) => s.pod),
    scaleDown: o.scaleDown,
    claimsAfterScaleDown: o.claimsAfterScaleDown,
    dns: o.dns ?? null,
  };
  const evidence: Evidence[] = [
    { kind: 'gantt', title: 'StatefulSet pods from creation to Ready (ms after the StatefulSet was created)', rows: created.map((c) => ({ name: c.pod, spans: [{ from: c.createdAt, to: c.readyAt ?? c.createdAt, label: c.readyAt === null ? 'never Ready' : 'starting' }] })) },
    { kind: 'table', title: 'Each pod: its host name, its name with its domain (hostname -f), its claim, the file it wrote there when it first started', columns: ['pod', 'hostname', 'hostname -f', 'claim', 'file on the claim'], rows: o.pods.map((p) => [p.pod, p.hostname, p.fqdn ?? '(not read)', p.claim, p.file]) },
    { kind: 'table', title: 'Scaled down to 1: each pod\'s termination (ms after the scale call, as a watch saw it)', columns: ['pod', 'termination began (deletionTimestamp seen)', 'grace period (s)', 'gone from the API', 'container exit code'], rows: o.scaleDown.map((s) => [s.pod, ms(s.terminatingAt), s.gracePeriodSeconds ?? '-', s.goneAt, s.exitCode ?? '-']) },
    ...(timed ? [{ kind: 'gantt' as const, title: 'Scaled down to 1: each pod from the start of its termination until it was gone (ms after the scale call)', rows: byStart.map((s) => ({ name: s.pod, spans: [{ from: s.terminatingAt!, to: s.goneAt, label: 'terminating' }] })) }] : []),
    ...(o.dns ? [{ kind: 'command' as const, title: `Looking ${o.dns.name} up from ${o.dns.from}; a cluster DNS add-on's Services; the kubelet's MissingClusterDNS events`, command: `kubectl exec ${o.dns.from} -- getent hosts ${o.dns.name}; kubectl get services -A -l k8s-app=kube-dns; kubectl get events --field-selector reason=MissingClusterDNS`, output: [o.dns.answer || '(no answer)', ...(o.dns.dnsServices.length ? o.dns.dnsServices : ['No resources found']), ...o.dns.events].join('\n') }] : []),
  ];
  if (created.length !== REPLICAS || !o.replaced || o.scaleDown.length !== REPLICAS - 1) return { id, verdict: 'unverifiable', summary: `The lab saw ${created.length} of ${REPLICAS} pods created, ${o.replaced ? 'the' : 'no'} replacement and ${o.scaleDown.length} of ${REPLICAS - 1} deletions.`, summaryZh: `本实验在 ${REPLICAS} 个 Pod 中观察到 ${created.length} 个被创建，${o.replaced ? '观察到了' : '没有观察到'}替换，${REPLICAS - 1} 次删除中观察到 ${o.scaleDown.length} 次。`, observed, evidence };
  const r = o.replaced;
  const inOrder = created.every((c, i) => i === 0 || c.previousReadyWhenSeen);
  const names = o.pods.every((p) => p.hostname === p.pod);
  const kept = r.uidAfter !== r.uidBefore && r.claimAfter === r.claimBefore && r.fileAfter === r.fileBefore && r.fileBefore.includes(r.pod);
  const reverse = o.scaleDown.every((s, i) => i === 0 || ordinal(s.pod) < ordinal(o.scaleDown[i - 1]!.pod));
  const claimsStay = o.claimsAfterScaleDown.length === REPLICAS;
  const checks: [string, string, boolean][] = [
    [`pods were created one at a time, each first seen when the one before was already Ready (${created.map((c) => `${c.pod} at ${c.createdAt} ms`).join(', ')})`, `Pod 是逐个创建的，每个 Pod 首次出现时前一个已经 Ready（${created.map((c) => `${c.pod} 在 ${c.createdAt} ms`).join('，')}）`, inOrder],
    [`each pod's host name is its stable name`, '每个 Pod 的主机名就是它固定不变的名称', names],
    [`${r.pod} deleted came back as ${r.pod} (a new pod, uid ${r.uidBefore.slice(0, 8)} → ${r.uidAfter.slice(0, 8)}) on the same claim ${r.claimAfter}, still holding "${r.fileAfter}"`, `删除的 ${r.pod} 以同一个名字 ${r.pod} 重新出现（是一个新 Pod，uid ${r.uidBefore.slice(0, 8)} → ${r.uidAfter.slice(0, 8)}），挂载的仍是同一个 PVC ${r.claimAfter}，里面仍然是 "${r.fileAfter}"`, kept],
    [`scaled down, pods went in reverse order (${o.scaleDown.map((s) => `${s.pod} gone at ${s.goneAt} ms`).join(', ')})`, `缩容时 Pod 按逆序删除（${o.scaleDown.map((s) => `${s.pod} 在 ${s.goneAt} ms 消失`).join('，')}）`, reverse],
    [`all ${o.claimsAfterScaleDown.length} claims stayed after the scale-down`, `缩容后全部 ${o.claimsAfterScaleDown.length} 个 PVC 都保留了下来`, claimsStay],
  ];
  // What is missing to decide a part of the claim: each becomes a gap named in the summary, never a silent pass.
  const gaps: [string, string][] = [];

  // Ordered deletion: each pod's termination begins only once the pod above it is completely gone (OrderedReady). That is only
  // visible when the pods take time to shut down: with a grace period of 0 the API server removes a pod at once.
  const graceful = timed && o.scaleDown.every((s) => (s.gracePeriodSeconds ?? 0) > 0);
  if (!timed) {
    gaps.push([
      `the order of termination: this capture has only the moments the pods were removed from the API (${o.scaleDown.map((s) => `${s.pod} at ${s.goneAt} ms`).join(', ')})${o.terminationGracePeriodSeconds === undefined ? ', with no grace period recorded' : ''}, not when each pod's termination began, so whether ${byOrdinalDesc(o.scaleDown)[1] ?? 'the next pod'} began to terminate only after ${byOrdinalDesc(o.scaleDown)[0] ?? 'the one above'} was gone cannot be told`,
      `终止顺序：本次记录只有各 Pod 从 API 中消失的时刻（${o.scaleDown.map((s) => `${s.pod} 在 ${s.goneAt} ms`).join('，')}）${o.terminationGracePeriodSeconds === undefined ? '，也没有记录宽限期' : ''}，没有记录每个 Pod 何时开始终止，因此无法判断 ${byOrdinalDesc(o.scaleDown)[1] ?? '下一个 Pod'} 是否在 ${byOrdinalDesc(o.scaleDown)[0] ?? '上一个 Pod'} 完全消失之后才开始终止`,
    ]);
  } else if (!graceful) {
    gaps.push([
      `the order of termination: the pods were deleted with a grace period of ${[...new Set(o.scaleDown.map((s) => `${s.gracePeriodSeconds ?? 0} s`))].join(' and ')}, which removes a pod from the API at once, so no pod was ever seen shutting down while another waited`,
      `终止顺序：这些 Pod 删除时的宽限期为 ${[...new Set(o.scaleDown.map((s) => `${s.gracePeriodSeconds ?? 0} 秒`))].join('和')}，这会让 Pod 立即从 API 中移除，因此从未看到一个 Pod 在关闭、另一个在等待`,
    ]);
  } else {
    const waited = byStart.every((s, i) => i === 0 || s.terminatingAt! >= byStart[i - 1]!.goneAt);
    const startReverse = byStart.every((s, i) => i === 0 || ordinal(s.pod) < ordinal(byStart[i - 1]!.pod));
    const spans = byStart.map((s) => `${s.pod} terminating from ${s.terminatingAt} ms to ${s.goneAt} ms (grace ${s.gracePeriodSeconds} s, exit code ${s.exitCode ?? 'not seen'})`).join(', ');
    const spansZh = byStart.map((s) => `${s.pod} 从 ${s.terminatingAt} ms 开始终止，${s.goneAt} ms 消失（宽限期 ${s.gracePeriodSeconds} 秒，退出码 ${s.exitCode ?? '未看到'}）`).join('，');
    checks.push([`each pod's termination began only after the pod above it was gone, highest ordinal first (${spans})`, `每个 Pod 都是在序号更高的那个 Pod 完全消失之后才开始终止的，从最高序号开始（${spansZh}）`, waited && startReverse]);
  }

  // Stable domain names: each pod's name in the headless Service's domain. The pod's own view of it (hostname -f, from the /etc/hosts
  // the kubelet writes) needs no DNS; other pods find it only through a cluster DNS add-on (CoreDNS), which this lab does not install.
  const fqdnRead = o.pods.every((p) => !!p.fqdn) && !!r.fqdnBefore && !!r.fqdnAfter;
  if (fqdnRead) {
    const withDomain = o.pods.every((p) => p.fqdn!.startsWith(`${p.pod}.web.`)) && r.fqdnBefore!.startsWith(`${r.pod}.web.`) && r.fqdnAfter === r.fqdnBefore;
    checks.push([`each pod's name with its domain (hostname -f, from the /etc/hosts the kubelet wrote) is its name in the Service's domain (${o.pods.map((p) => p.fqdn).join(', ')}), and ${r.pod}'s was still ${r.fqdnAfter} after it was replaced`, `每个 Pod 带域名的名称（hostname -f，来自 kubelet 写入的 /etc/hosts）就是它在 Service 域中的名称（${o.pods.map((p) => p.fqdn).join('，')}），${r.pod} 被替换后仍然是 ${r.fqdnAfter}`, withDomain]);
  } else if (o.pods.some((p) => p.fqdn !== undefined)) {
    gaps.push([`each pod's own name with its domain: hostname -f printed nothing in ${[...o.pods.filter((p) => !p.fqdn).map((p) => p.pod), ...(r.fqdnBefore && r.fqdnAfter ? [] : [`${r.pod} (before or after its replacement)`])].join(', ')}`, `每个 Pod 自己带域名的名称：hostname -f 在 ${[...o.pods.filter((p) => !p.fqdn).map((p) => p.pod), ...(r.fqdnBefore && r.fqdnAfter ? [] : [`${r.pod}（替换前或替换后）`])].join('、')} 中没有输出`]);
  }
  const address = o.dns?.answer.match(/^(\d+\.\d+\.\d+\.\d+)\s/)?.[1];
  if (!o.dns) {
    gaps.push([`the domain name: no pod looked another up by its domain name in this capture`, '域名：本次记录中没有任何 Pod 按域名查找另一个 Pod']);
  } else if (address) {
    checks.push([`${o.dns.from} resolved ${o.dns.name} to ${address}${address === o.dns.expected ? `, the replaced ${r.pod}'s address` : `, not the replaced ${r.pod}'s ${o.dns.expected}`}`, `${o.dns.from} 把 ${o.dns.name} 解析为 ${address}${address === o.dns.expected ? `，正是替换后的 ${r.pod} 的地址` : `，而不是替换后的 ${r.pod} 的地址 ${o.dns.expected}`}`, address === o.dns.expected]);
  } else {
    const noAddOn = o.dns.dnsServices.length === 0;
    const event = o.dns.events[0]?.replace(/^pod: "[^"]*"\. /, '');
    const why = [noAddOn ? 'no Service labelled k8s-app=kube-dns exists in any namespace' : `a cluster DNS Service exists (${o.dns.dnsServices.join(', ')})`, o.dns.events.length ? `the kubelet reported MissingClusterDNS: "${event}"` : ''].filter(Boolean).join('; ');
    const whyZh = [noAddOn ? '任何命名空间中都没有带 k8s-app=kube-dns 标签的 Service' : `集群 DNS 的 Service 存在（${o.dns.dnsServices.join(', ')}）`, o.dns.events.length ? `kubelet 报告了 MissingClusterDNS：“${event}”` : ''].filter(Boolean).join('；');
    gaps.push([
      `the domain name as other pods see it: ${o.dns.from} could not resolve ${o.dns.name} (${o.dns.answer || 'no answer'}) ${noAddOn ? 'because no cluster DNS add-on (such as CoreDNS) runs in this cluster' : 'for a reason the lab did not find'} (${why}); that is a gap of this lab's cluster, not an observation about StatefulSets`,
      `其他 Pod 所见的域名：${o.dns.from} 无法解析 ${o.dns.name}（${o.dns.answer || '无响应'}），${noAddOn ? '因为本集群没有运行集群 DNS 插件（例如 CoreDNS）' : '原因本实验没有找到'}（${whyZh}）；这是本实验集群的缺口，而不是对 StatefulSet 的观察结果`,
    ]);
  }

  const failed = checks.filter(([, , ok]) => !ok);
  if (failed.length) return { id, verdict: 'refuted', summary: `Not as stated: ${failed.map(([what]) => what).join('; ')}: not so.`, summaryZh: `与说法不符，以下情况并不成立：${failed.map(([, zh]) => zh).join('；')}。`, observed, evidence };
  const held = checks.map(([what]) => what).join('; ');
  const heldZh = checks.map(([, zh]) => zh).join('；');
  if (gaps.length) {
    return {
      id,
      verdict: 'unverifiable',
      summary: `What was observed held: ${held}. Not observed here: ${gaps.map(([what]) => what).join('; and ')}.`,
      summaryZh: `观察到的部分都成立：${heldZh}。这里没能观察到的部分：${gaps.map(([, zh]) => zh).join('；以及')}。`,
      observed,
      evidence,
    };
  }
  return { id, verdict: 'confirmed', summary: `${held[0]!.toUpperCase()}${held.slice(1)}.`, summaryZh: `${heldZh}。`, observed, evidence };
}

export function judgeVolumeLifecycle(o: StatefulSetObservation): ClaimResult {
  const v = o.volumes;
  const observed = { ...v };
  const evidence: Evidence[] = [
    { kind: 'table', title: `A file written to two volumes of one pod ("${v.written}"), read back later`, columns: ['volume', 'after the container restarted', 'after the pod was deleted and made again'], rows: [['emptyDir', v.emptyDirAfterRestart || '(gone)', v.emptyDirAfterReplace || '(gone)'], ['PersistentVolumeClaim (hostPath PV)', '-', v.claimAfterReplace || '(gone)']] },
  ];
  if (v.restarts < 1 || !v.podUidChanged || !v.written) return { id: 'k8s.volume.lifecycle', verdict: 'unverifiable', summary: `The container ${v.restarts < 1 ? 'was not restarted' : 'restarted'} and the pod ${v.podUidChanged ? 'was' : 'was not'} replaced: the lifetimes could not be compared.`, summaryZh: `容器${v.restarts < 1 ? '没有被重启' : '已被重启'}，Pod ${v.podUidChanged ? '已被' : '没有被'}替换：无法比较两者的生命周期。`, observed, evidence };
  if (v.claimAfterReplace !== v.written) return { id: 'k8s.volume.lifecycle', verdict: 'refuted', summary: `Even the PersistentVolume lost the file when the pod was replaced (read "${v.claimAfterReplace}").`, summaryZh: `Pod 被替换后，连 PersistentVolume 上的文件都丢了（读到的是 "${v.claimAfterReplace}"）。`, observed, evidence };
  if (v.emptyDirAfterReplace === v.written) return { id: 'k8s.volume.lifecycle', verdict: 'confirmed', summary: 'Both the emptyDir and the PersistentVolume kept the file across a new pod.', summaryZh: 'emptyDir 和 PersistentVolume 上的文件在新 Pod 中都还在。', observed, evidence };
  const acrossRestart = v.emptyDirAfterRestart === v.written ? `which survived the container's restart (${v.restarts} restart${v.restarts === 1 ? '' : 's'})` : `which was already ${v.emptyDirAfterRestart ? `"${v.emptyDirAfterRestart}"` : 'gone'} after the container's restart`;
  const acrossRestartZh = v.emptyDirAfterRestart === v.written ? `它在容器重启后仍然存在（重启了 ${v.restarts} 次）` : `容器重启后它已经${v.emptyDirAfterRestart ? `变成了 "${v.emptyDirAfterRestart}"` : '不见了'}`;
  const lives = v.emptyDirAfterRestart === v.written ? 'an emptyDir lives exactly as long as its pod, longer than its containers' : 'an emptyDir did not even outlive the container';
  const livesZh = v.emptyDirAfterRestart === v.written ? 'emptyDir 的生命周期恰好与其 Pod 相同，比 Pod 中的容器更长' : 'emptyDir 甚至没能比容器活得更久';
  return {
    id: 'k8s.volume.lifecycle',
    verdict: 'nuanced',
    summary: `Only for persistent volumes. The PersistentVolumeClaim's file outlived the pod (a new pod read "${v.claimAfterReplace}"), but the emptyDir's file, ${acrossRestart}, was ${v.emptyDirAfterReplace ? `"${v.emptyDirAfterReplace}"` : 'gone'} in the new pod: ${lives}.`,
    summaryZh: `只有持久卷是这样。PersistentVolumeClaim 上的文件比 Pod 活得更久（新 Pod 读到了 "${v.claimAfterReplace}"），而 emptyDir 上的文件（${acrossRestartZh}）在新 Pod 中${v.emptyDirAfterReplace ? `变成了 "${v.emptyDirAfterReplace}"` : '已经不见了'}：${livesZh}。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'k8s-statefulset',
  title: "A StatefulSet's names, storage and order; a volume's life against its pod's",
  topic: 'k8s',
  claims: ['k8s.statefulset.identity', 'k8s.volume.lifecycle'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's Kubernetes cluster, with a StorageClass without a provisioner and hostPath PersistentVolumes made for this lab.",
    does: `A StatefulSet of ${REPLICAS} pods (grace period ${GRACE_SECONDS} s, each exiting 1 s after SIGTERM) each writing its name to its claim; its middle pod deleted, and its domain name looked up from web-0; scaled down to 1. A pod with an emptyDir and a claim: a file written to both, its container killed, the pod deleted and made again.`,
    observes: "Creation and readiness times, host names, names with their domain (hostname -f), claims and files of the StatefulSet pods; the replaced pod; the lookup and whether a cluster DNS add-on runs; on scale-down, when each pod's termination began and when it was gone, and the claims left; both files after the restart and after the new pod.",
    zh: {
      title: 'StatefulSet 的命名、存储与顺序；卷与 Pod 的生命周期对比',
      starts: '本次运行的 Kubernetes 集群，带一个没有 provisioner 的 StorageClass，以及为本实验创建的 hostPath PersistentVolume。',
      does: '创建一个 3 个 Pod 的 StatefulSet（宽限期 3 秒，每个 Pod 收到 SIGTERM 1 秒后退出），每个 Pod 把自己的名字写入各自的 PVC；删除中间那个 Pod，并在 web-0 中按域名查找它；缩容到 1。另建一个同时挂载 emptyDir 和 PVC 的 Pod：向两者各写一个文件，杀掉其容器，再删除并重建该 Pod。',
      observes: 'StatefulSet 各 Pod 的创建时间、就绪时间、主机名、带域名的名称（hostname -f）、PVC 和文件；被替换后的 Pod；域名查询结果及集群是否运行 DNS 插件；缩容时每个 Pod 何时开始终止、何时消失，以及留下的 PVC；容器重启后和 Pod 重建后两个文件的情况。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const namespace = await kube.namespace(ctx.scope, 'statefulset');
    const image = await kube.loadImage('backend');
    const storageClass = `labs-hostpath-${namespace}`;
    const storage = kube.storage;
    await storage.createStorageClass({ body: { metadata: { name: storageClass }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Retain' } });
    ctx.scope.defer(`storage class ${storageClass}`, async () => void (await storage.deleteStorageClass({ name: storageClass }).catch(() => undefined)));
    const volumes = Array.from({ length: REPLICAS + 1 }, (_, i) => `${namespace}-pv${i}`);
    for (const [i, name] of volumes.entries()) {
      // Made here, writable by the image's unprivileged user (a hostPath the kubelet makes is root's, 0755).
      const path = join(ctx.workDir, `pv${i}`);
      mkdirSync(path);
      chmodSync(path, 0o777);
      await kube.core.createPersistentVolume({ body: { metadata: { name }, spec: { storageClassName: storageClass, capacity: { storage: '10Mi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path, type: 'Directory' } } } });
      ctx.scope.defer(`persistent volume ${name}`, async () => void (await kube.core.deletePersistentVolume({ name }).catch(() => undefined)));
    }
    const claimTemplate = (name: string) => ({ metadata: { name }, spec: { storageClassName: storageClass, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } } });
    const exec = (pod: string, script: string) => kube.kubectl(['-n', namespace, 'exec', pod, '--', 'sh', '-c', script]).then((s) => s.trim());
    const pods = async (selector: string) => (await kube.core.listNamespacedPod({ namespace, labelSelector: selector })).items;

    ctx.step(`a StatefulSet of ${REPLICAS}: each pod writes its name to its claim when it first starts`);
    await kube.core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 8000 }] } } });
    const t0 = Date.now();
    await kube.apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          serviceName: 'web',
          replicas: REPLICAS,
          selector: { matchLabels: { app: 'web' } },
          // A real grace period, and a shell that takes 1 s to exit on SIGTERM (a sleep as PID 1 would ignore it until the kill at the
          // end of the grace period): with 0 the API server removes a pod at once, and no pod is ever seen shutting down.
          template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: GRACE_SECONDS, containers: [{ name: 'web', image, imagePullPolicy: 'Never', command: ['sh', '-c', '[ -f /data/first ] || echo "written by $(hostname)" > /data/first; trap "sleep 1; exit 0" TERM; sleep infinity & wait'], volumeMounts: [{ name: 'data', mountPath: '/data' }], readinessProbe: { exec: { command: ['test', '-f', '/data/first'] }, periodSeconds: 1 } }] } },
          volumeClaimTemplates: [claimTemplate('data')],
        },
      },
    });
    const seen = new Map<string, { createdAt: number; readyAt: number | null; previousReadyWhenSeen: boolean }>();
    await until(async () => {
      const now = Date.now() - t0;
      const listed = await pods('app=web');
      // Readiness first, so that a pod and its successor seen in one poll are judged on that poll.
      for (const p of listed) {
        const entry = seen.get(p.metadata!.name!);
        if (entry && entry.readyAt === null && isPodReady(p)) entry.readyAt = now;
      }
      const readyNow = new Set(listed.filter(isPodReady).map((p) => p.metadata!.name!));
      for (const p of listed) {
        const name = p.metadata!.name!;
        if (seen.has(name)) continue;
        // First seen (polled every 100 ms): creationTimestamp has whole seconds only.
        seen.set(name, { createdAt: now, readyAt: isPodReady(p) ? now : null, previousReadyWhenSeen: readyNow.has(`web-${ordinal(name) - 1}`) });
      }
      return seen.size === REPLICAS && [...seen.values()].every((e) => e.readyAt !== null);
    }, 90_000, 'the StatefulSet to be Ready', 100);
    // hostname -f: the name with the domain the kubelet wrote to the pod's /etc/hosts (its hostname and the set's serviceName as subdomain).
    const describe = async (p: k8s.V1Pod) => {
      const [hostname = '', fqdn = '', file = ''] = (await exec(p.metadata!.name!, 'printf "%s\\n" "$(hostname)" "$(hostname -f 2>/dev/null)" "$(cat /data/first)"')).split('\n');
      return { pod: p.metadata!.name!, hostname, fqdn, ip: p.status?.podIP ?? '', claim: p.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName ?? '', file };
    };
    const described = await Promise.all((await pods('app=web')).map(describe));

    ctx.step('its middle pod deleted');
    const victim = 'web-1';
    const before = described.find((d) => d.pod === victim)!;
    const uidBefore = (await kube.core.readNamespacedPod({ name: victim, namespace })).metadata!.uid!;
    // Deleted with the pod's own grace period: a StatefulSet pod is not force-deleted.
    await kube.core.deleteNamespacedPod({ name: victim, namespace });
    await until(async () => {
      const p = await kube.core.readNamespacedPod({ name: victim, namespace }).catch(() => undefined);
      return !!p && p.metadata!.uid !== uidBefore && isPodReady(p);
    }, 60_000, `${victim} to come back`, 200);
    const again = await kube.core.readNamespacedPod({ name: victim, namespace });
    const after = await describe(again);

    ctx.step(`${victim}'s domain name looked up from web-0`);
    const dnsName = `${victim}.web.${namespace}.svc.cluster.local`;
    const answer = (await kube.kubectl(['-n', namespace, 'exec', 'web-0', '--', 'timeout', '10', 'getent', 'hosts', dnsName]).catch((error: Error) => `failed: ${error.message.split(': ').slice(1).join(': ')}`)).trim();
    const events = (await kube.core.listNamespacedEvent({ namespace })).items.filter((e) => e.reason === 'MissingClusterDNS').map((e) => e.message ?? '');
    const dnsServices = (await kube.core.listServiceForAllNamespaces({ labelSelector: 'k8s-app=kube-dns' })).items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name} (${s.spec?.clusterIP})`);

    ctx.step('scaled down to 1');
    const scaleDown: StatefulSetObservation['scaleDown'] = [];
    let tScale = 0;
    // As a watch delivers them (a poll could see both at once): when each pod first has a deletionTimestamp (its termination
    // began; the field itself holds when the grace period ends, in whole seconds), and when the API server deleted it.
    const terminating = new Map<string, { at: number; grace: number | null }>();
    // A watch that ends early would leave the wait below blind: it says so instead of timing out.
    let watchEnded: string | undefined;
    const seenDeleted = () => scaleDown.map((d) => d.pod).join(', ') || 'none';
    const watcher = await new k8s.Watch(kube.config).watch(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: 'app=web' }, (type, pod: k8s.V1Pod) => {
      if (!tScale) return;
      const name = pod.metadata!.name!;
      if (pod.metadata?.deletionTimestamp && !terminating.has(name)) terminating.set(name, { at: Date.now() - tScale, grace: pod.metadata.deletionGracePeriodSeconds ?? null });
      if (type === 'DELETED') {
        const began = terminating.get(name);
        scaleDown.push({ pod: name, goneAt: Date.now() - tScale, terminatingAt: began?.at ?? null, gracePeriodSeconds: began?.grace ?? null, exitCode: pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? null });
      }
    }, (error) => (watchEnded ??= error ? String(error) : 'closed by the API server'));
    ctx.scope.defer('pod watch', () => watcher.abort());
    tScale = Date.now();
    const scale = await kube.apps.readNamespacedStatefulSetScale({ name: 'web', namespace });
    await kube.apps.replaceNamespacedStatefulSetScale({ name: 'web', namespace, body: { ...scale, spec: { replicas: 1 } } });
    await until(async () => scaleDown.length >= REPLICAS - 1 || watchEnded !== undefined, 60_000, 'the scale-down', 100).catch(async (error: unknown) => {
      if (error instanceof Cancelled) throw error;
      // Which it was: pods still shutting down, or deletions the watch did not deliver.
      const left = (await pods('app=web')).map((p) => `${p.metadata!.name} ${p.metadata?.deletionTimestamp ? 'terminating' : (p.status?.phase ?? '?')}`);
      throw new Error(`${(error as Error).message}; pods left: ${left.join(', ') || 'none'}; the watch saw deleted: ${seenDeleted()}`);
    });
    if (scaleDown.length < REPLICAS - 1) throw new Error(`the pod watch ended before the scale-down was seen (${watchEnded}; pods it saw deleted: ${seenDeleted()})`);
    watcher.abort();
    const claimsAfterScaleDown = (await kube.core.listNamespacedPersistentVolumeClaim({ namespace })).items.map((c) => c.metadata!.name!).filter((n) => n.startsWith('data-web-'));

    ctx.step('a pod with an emptyDir and a claim: its container killed, then the pod replaced');
    await kube.core.createNamespacedPersistentVolumeClaim({ namespace, body: claimTemplate('keep') });
    const scratchPod = { metadata: { name: 'scratch' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image, imagePullPolicy: 'Never', command: ['sh', '-c', 'trap "exit 1" TERM; sleep infinity & wait'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'keep', mountPath: '/keep' }] }], volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'keep', persistentVolumeClaim: { claimName: 'keep' } }] } };
    const running = async () => (await kube.core.readNamespacedPod({ name: 'scratch', namespace }).catch(() => undefined))?.status?.containerStatuses?.[0]?.state?.running !== undefined;
    await kube.core.createNamespacedPod({ namespace, body: scratchPod });
    await until(running, 60_000, 'the scratch pod', 200);
    const firstUid = (await kube.core.readNamespacedPod({ name: 'scratch', namespace })).metadata!.uid!;
    const written = `written at ${new Date().toISOString()}`;
    await exec('scratch', `echo '${written}' > /scratch/file && echo '${written}' > /keep/file`);
    await exec('scratch', 'kill 1').catch(() => undefined); // its shell exits on TERM, and the kubelet starts the container again
    const restarts = async () => (await kube.core.readNamespacedPod({ name: 'scratch', namespace })).status?.containerStatuses?.[0]?.restartCount ?? 0;
    await until(async () => (await restarts()) > 0 && (await running()), 60_000, 'the container to restart', 200).catch(() => undefined);
    const restartCount = await restarts();
    const emptyDirAfterRestart = await exec('scratch', 'cat /scratch/file 2>/dev/null || true');
    await kube.core.deleteNamespacedPod({ name: 'scratch', namespace, gracePeriodSeconds: 0 });
    await until(async () => !(await kube.core.readNamespacedPod({ name: 'scratch', namespace }).then(() => true, () => false)), 30_000, 'the pod to go', 200);
    await kube.core.createNamespacedPod({ namespace, body: scratchPod });
    await until(running, 60_000, 'the new scratch pod', 200);
    const secondUid = (await kube.core.readNamespacedPod({ name: 'scratch', namespace })).metadata!.uid!;

    const observation: StatefulSetObservation = {
      created: [...seen.entries()].map(([pod, e]) => ({ pod, ...e })),
      pods: described.sort((a, b) => ordinal(a.pod) - ordinal(b.pod)),
      replaced: { pod: victim, uidBefore, uidAfter: again.metadata!.uid!, claimBefore: before.claim, claimAfter: after.claim, fileBefore: before.file, fileAfter: after.file, fqdnBefore: before.fqdn, fqdnAfter: after.fqdn },
      terminationGracePeriodSeconds: GRACE_SECONDS,
      scaleDown,
      claimsAfterScaleDown,
      dns: { name: dnsName, from: 'web-0', answer, expected: after.ip, events: [...new Set(events)], dnsServices },
      volumes: { written, restarts: restartCount, emptyDirAfterRestart, emptyDirAfterReplace: await exec('scratch', 'cat /scratch/file 2>/dev/null || true'), claimAfterReplace: await exec('scratch', 'cat /keep/file 2>/dev/null || true'), podUidChanged: secondUid !== firstUid },
    };
    const kept = keptJson(ctx, 'statefulset.json', observation, 'StatefulSet pods, the replacement, the scale-down and the volumes (JSON)');
    return [withEvidence(judgeStatefulSet(observation), ...kept), judgeVolumeLifecycle(observation)];
  },
});
