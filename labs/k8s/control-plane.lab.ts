/**
 * Lab: the control plane seen from underneath: what etcd holds, who talks to it, what a Secret looks
 * like there, and a controller putting things back.
 *
 * Starts: the run's one-node Kubernetes cluster (built from upstream, etcd without encryption at
 * rest, as a cluster is by default); a Deployment of two pods, a Secret and a ConfigMap.
 *
 * Does: reads the Secret through the API and its key straight from etcd; lists etcd's keys, deletes
 * the ConfigMap and looks again; lists the established connections to etcd's and the API server's
 * ports; deletes one of the Deployment's pods, then adds a pod that matches its ReplicaSet.
 *
 * Observes: the API's answer and etcd's bytes for the Secret; etcd's keys under /registry by
 * resource; the processes on each end of the connections (ss -tnp); the pods of the ReplicaSet
 * every 100 ms, with their owners.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { exec } from '../../src/resources/process.ts';
import { until } from '../../src/resources/wait.ts';
import { isPodReady, kubernetesCluster, type KubeCluster } from '../../src/systems/kubernetes.ts';
import { etcdRange } from '../../src/systems/kubernetes-etcd.ts';
import { webDeployment } from '../../src/systems/kubernetes-web.ts';

export interface ControlPlaneObservation {
  secret: {
    plaintext: string;
    /** data.password as the API returned it. */
    apiValue: string;
    /** The etcd value's first bytes, as hex, and where the plaintext and its base64 form appear in it (-1: nowhere). */
    etcdPrefixHex: string;
    etcdBytes: number;
    plaintextAt: number;
    base64At: number;
  };
  /** Keys under /registry per resource (the path's second part), and whether each object the lab made or deleted is there. */
  registry: { perResource: Record<string, number>; created: Record<string, boolean>; deletedConfigMapStillThere: boolean };
  /** The process at the client end of each established connection to etcd's and the API server's ports. */
  clients: { etcd: string[]; apiserver: string[] };
  reconcile: {
    deleted: string;
    replacement: string | null;
    createdAfterMs: number | null;
    readyAfterMs: number | null;
    extra: string;
    extraAdopted: boolean;
    removedAfterSurplusMs: number | null;
    removed: string | null;
    desired: number;
  };
}

/** The owning process of each `ss -tnp` line (users:(("kube-apiserver",pid=1,fd=7))), by name; `self` names this process. */
export function socketOwners(ss: string, self: number): string[] {
  return ss
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.match(/users:\(\("([^"]+)",pid=(\d+)/))
    .map((m) => (m === null ? '?' : Number(m[2]) === self ? 'this lab' : m[1]!));
}

const tally = (names: string[]) => names.reduce<Record<string, number>>((acc, n) => ((acc[n] = (acc[n] ?? 0) + 1), acc), {});

export function judgeSecret(o: ControlPlaneObservation): ClaimResult {
  const s = o.secret;
  const encrypted = Buffer.from(s.etcdPrefixHex, 'hex').toString('latin1').startsWith('k8s:enc:');
  const observed = { apiValue: s.apiValue, apiValueDecoded: Buffer.from(s.apiValue, 'base64').toString(), etcdValueStartsWith: Buffer.from(s.etcdPrefixHex, 'hex').toString('latin1').replace(/[^\x20-\x7e]/g, '·'), etcdBytes: s.etcdBytes, plaintextAtByte: s.plaintextAt, base64AtByte: s.base64At, encryptedAtRest: encrypted };
  const evidence: Evidence[] = [{ kind: 'table', title: 'The Secret through the API and in etcd', columns: ['where', 'what'], rows: [['API (data.password)', s.apiValue], ['API, base64-decoded', observed.apiValueDecoded], ['etcd value, first bytes', observed.etcdValueStartsWith], ['the plaintext in the etcd value', s.plaintextAt >= 0 ? `at byte ${s.plaintextAt} of ${s.etcdBytes}` : 'not found'], ['the base64 form in the etcd value', s.base64At >= 0 ? `at byte ${s.base64At}` : 'not found']] }];
  if (encrypted) return { id: 'k8s.secret.base64', verdict: 'refuted', summary: `etcd holds the Secret encrypted (its value starts with k8s:enc:): encryption at rest is configured on this API server.`, summaryZh: `etcd 中保存的 Secret 是加密的（值以 k8s:enc: 开头）：这个 API server 配置了静态加密。`, observed, evidence };
  if (s.plaintextAt < 0) return { id: 'k8s.secret.base64', verdict: 'unverifiable', summary: 'The Secret\'s value was found neither encrypted nor in plain text in etcd.', summaryZh: '在 etcd 中既没有找到加密形式的 Secret 值，也没有找到它的明文。', observed, evidence };
  const apiIsBase64 = observed.apiValueDecoded === s.plaintext;
  const protobuf = s.etcdPrefixHex.startsWith(Buffer.from('k8s\0').toString('hex'));
  return {
    id: 'k8s.secret.base64',
    verdict: 'nuanced',
    summary: `Not encrypted, and in etcd not even base64: the value under /registry/secrets/… is ${protobuf ? 'a protobuf record (it starts with "k8s\\0")' : 'a record'} in which the password "${s.plaintext}" sits in plain text at byte ${s.plaintextAt}${s.base64At < 0 ? ', its base64 form nowhere' : ''}. Base64 is only how the API's JSON writes bytes${apiIsBase64 ? ` (data.password = ${s.apiValue})` : ''}. Anyone who can read etcd or its backups reads the Secret; encryption at rest takes an EncryptionConfiguration on the API server, which a cluster does not have by default.`,
    summaryZh: `没有加密，而且在 etcd 里连 base64 都不是：/registry/secrets/… 下的值是${protobuf ? '一条 protobuf 记录（以 "k8s\\0" 开头）' : '一条记录'}，密码 "${s.plaintext}" 以明文形式位于字节偏移 ${s.plaintextAt} 处${s.base64At < 0 ? '，其中根本没有它的 base64 形式' : ''}。Base64 只是 API 的 JSON 表示字节数据的方式${apiIsBase64 ? `（data.password = ${s.apiValue}）` : ''}。任何能读取 etcd 或其备份的人都能读到这个 Secret；静态加密需要在 API server 上配置 EncryptionConfiguration，而集群默认没有配置。`,
    observed,
    evidence,
  };
}

export function judgeSourceOfTruth(o: ControlPlaneObservation): ClaimResult {
  const r = o.registry;
  const missing = Object.entries(r.created).filter(([, found]) => !found).map(([k]) => k);
  const observed = { keysPerResource: r.perResource, createdObjectsFound: r.created, deletedConfigMapStillInEtcd: r.deletedConfigMapStillThere, resources: Object.keys(r.perResource).length };
  const evidence: Evidence[] = [{ kind: 'bars', title: 'Keys under /registry in etcd, by resource', bars: Object.entries(r.perResource).sort((a, b) => b[1] - a[1]).slice(0, 24).map(([label, value]) => ({ label, value })) }];
  if (missing.length || r.deletedConfigMapStillThere) {
    return { id: 'k8s.etcd.source-of-truth', verdict: 'refuted', summary: `${missing.length ? `Objects the API had made were not in etcd: ${missing.join(', ')}.` : ''}${r.deletedConfigMapStillThere ? ' A ConfigMap the API had deleted was still in etcd.' : ''}`.trim(), summaryZh: `${missing.length ? `API 创建的对象不在 etcd 中：${missing.join(', ')}。` : ''}${r.deletedConfigMapStillThere ? 'API 已删除的 ConfigMap 仍在 etcd 中。' : ''}`, observed, evidence };
  }
  return {
    id: 'k8s.etcd.source-of-truth',
    verdict: 'confirmed',
    summary: `Every object the lab made through the API was a key in etcd (${Object.keys(r.created).join(', ')}), and the ConfigMap it deleted was gone from etcd too. ${Object.keys(r.perResource).length} kinds of object were there, ${Object.values(r.perResource).reduce((a, b) => a + b, 0)} keys in all, status and leases included (${Object.entries(r.perResource).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ')}, …).`,
    summaryZh: `本实验通过 API 创建的每个对象在 etcd 中都有对应的键（${Object.keys(r.created).join(', ')}），删除的 ConfigMap 也从 etcd 中消失了。etcd 中共有 ${Object.keys(r.perResource).length} 类对象、${Object.values(r.perResource).reduce((a, b) => a + b, 0)} 个键，状态和租约也都在其中（${Object.entries(r.perResource).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ')}，…）。`,
    observed,
    evidence,
  };
}

export function judgeOnlyEtcdClient(o: ControlPlaneObservation): ClaimResult {
  // etcd's own HTTP gateway reaches its gRPC port through a loopback connection of its own.
  const others = [...new Set(o.clients.etcd)].filter((n) => !['etcd', 'kube-apiserver', 'this lab'].includes(n));
  const observed = { etcdClients: tally(o.clients.etcd), apiserverClients: tally(o.clients.apiserver) };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Processes at the client end of established connections (ss -tnp)', columns: ['to', 'process', 'connections'], rows: [...Object.entries(observed.etcdClients).map(([p, n]) => ['etcd :2379', p, n]), ...Object.entries(observed.apiserverClients).map(([p, n]) => ['kube-apiserver', p, n])] }];
  if (o.clients.etcd.includes('?')) return { id: 'k8s.apiserver.only-etcd-client', verdict: 'unverifiable', summary: 'ss could not name the process of every connection to etcd.', summaryZh: 'ss 无法确定每条 etcd 连接所属的进程。', observed, evidence };
  if (!o.clients.etcd.includes('kube-apiserver')) return { id: 'k8s.apiserver.only-etcd-client', verdict: 'unverifiable', summary: 'No connection from kube-apiserver to etcd was seen.', summaryZh: '没有观察到 kube-apiserver 到 etcd 的连接。', observed, evidence };
  if (others.length) return { id: 'k8s.apiserver.only-etcd-client', verdict: 'refuted', summary: `Besides kube-apiserver, ${others.join(', ')} had connections open to etcd.`, summaryZh: `除了 kube-apiserver，${others.join(', ')} 也与 etcd 建立了连接。`, observed, evidence };
  return {
    id: 'k8s.apiserver.only-etcd-client',
    verdict: 'confirmed',
    summary: `Of the cluster's components only kube-apiserver was connected to etcd's client port (${observed.etcdClients['kube-apiserver']} connections${observed.etcdClients.etcd ? `; besides, etcd's own gateway` : ''}${observed.etcdClients['this lab'] ? ' and this lab, which reads etcd directly' : ''}); the others were connected to the API server instead: ${Object.keys(observed.apiserverClients).filter((p) => !['kube-apiserver', 'this lab'].includes(p)).join(', ')} (process names as the kernel keeps them, cut to 15 characters).`,
    summaryZh: `集群组件中只有 kube-apiserver 连接了 etcd 的客户端端口（${observed.etcdClients['kube-apiserver']} 条连接${observed.etcdClients.etcd ? '；此外还有 etcd 自己的网关' : ''}${observed.etcdClients['this lab'] ? '，以及直接读取 etcd 的本实验' : ''}）；其他组件连接的都是 API server：${Object.keys(observed.apiserverClients).filter((p) => !['kube-apiserver', 'this lab'].includes(p)).join(', ')}（进程名取内核记录的名称，截断为 15 个字符）。`,
    observed,
    evidence,
  };
}

export function judgeReconcile(o: ControlPlaneObservation): ClaimResult {
  const r = o.reconcile;
  const observed = { ...r };
  const evidence: Evidence[] = [{ kind: 'table', title: `The ReplicaSet wants ${r.desired} pods`, columns: ['what the lab did', 'what the controller did', 'after (ms)'], rows: [[`deleted ${r.deleted}`, r.replacement ? `created ${r.replacement}` : 'nothing', r.createdAfterMs ?? ''], ['', r.replacement ? `${r.replacement} Ready` : '', r.readyAfterMs ?? ''], [`added ${r.extra}, matching its selector`, `${r.extraAdopted ? 'adopted it, then ' : ''}${r.removed ? `deleted ${r.removed}` : 'nothing'}`, r.removedAfterSurplusMs ?? '']] }];
  if (!r.replacement || !r.removed || r.readyAfterMs === null) {
    return { id: 'k8s.controllers.reconcile', verdict: 'refuted', summary: `The ReplicaSet controller ${!r.replacement ? 'did not replace the deleted pod' : r.readyAfterMs === null ? `replaced the deleted pod, but ${r.replacement} never became Ready` : `left ${r.desired + 1} pods where it wants ${r.desired}`}.`, summaryZh: `ReplicaSet 控制器${!r.replacement ? '没有替换被删除的 Pod' : r.readyAfterMs === null ? `替换了被删除的 Pod，但 ${r.replacement} 始终没有变为 Ready` : `在期望 ${r.desired} 个 Pod 的情况下留下了 ${r.desired + 1} 个`}。`, observed, evidence };
  }
  return {
    id: 'k8s.controllers.reconcile',
    verdict: 'confirmed',
    summary: `Both ways: ${r.createdAfterMs} ms after a pod was deleted the ReplicaSet controller had created ${r.replacement} (Ready after ${r.readyAfterMs} ms), and when a matching pod was added by hand it ${r.extraAdopted ? 'adopted it and ' : ''}deleted one (${r.removed}) ${r.removedAfterSurplusMs} ms later, back to ${r.desired}. It compares the pods that exist with the replicas it wants, not the actions taken.`,
    summaryZh: `两个方向都成立：删除一个 Pod 后 ${r.createdAfterMs} ms，ReplicaSet 控制器已经创建了 ${r.replacement}（${r.readyAfterMs} ms 后 Ready）；手动添加一个匹配的 Pod 后，它${r.extraAdopted ? '先接管（adopt）了这个 Pod，然后' : ''}在 ${r.removedAfterSurplusMs} ms 后删除了一个（${r.removed}），回到 ${r.desired} 个。它比较的是实际存在的 Pod 与期望的副本数，而不是已执行过的操作。`,
    observed,
    evidence,
  };
}

async function owners(ss: string[]): Promise<string[]> {
  return socketOwners(await exec('ss', ['-tnpH', 'state', 'established', ...ss]), process.pid);
}

async function livePods(kube: KubeCluster, namespace: string): Promise<V1Pod[]> {
  return (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

export default defineLab({
  id: 'k8s-control-plane',
  title: 'The control plane from underneath: a Secret in etcd, etcd as the only store, who talks to etcd, a controller putting pods back',
  topic: 'k8s',
  claims: ['k8s.secret.base64', 'k8s.etcd.source-of-truth', 'k8s.apiserver.only-etcd-client', 'k8s.controllers.reconcile'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's one-node Kubernetes cluster; a two-pod Deployment, a Secret and a ConfigMap.",
    does: "Reads the Secret through the API and straight from etcd; lists etcd's keys before and after deleting the ConfigMap; lists who is connected to etcd and to the API server; deletes a pod of the Deployment, then adds one that matches its ReplicaSet.",
    observes: "The API's answer and etcd's bytes, etcd's keys by resource, the processes on each connection (ss -tnp), and the ReplicaSet's pods every 100 ms.",
    zh: {
      title: '从底层看控制平面：etcd 里的 Secret、etcd 是唯一的存储、谁在和 etcd 通信、控制器把 Pod 补回来',
      starts: '本次运行的单节点 Kubernetes 集群；一个含两个 Pod 的 Deployment、一个 Secret 和一个 ConfigMap。',
      does: '分别通过 API 和直接从 etcd 读取该 Secret；删除 ConfigMap 前后各列一次 etcd 的键；列出连接到 etcd 和 API server 的进程；删掉 Deployment 的一个 Pod，再额外添加一个与其 ReplicaSet 匹配的 Pod。',
      observes: 'API 返回的内容与 etcd 中的原始字节、按资源分类的 etcd 键、每条连接对应的进程（ss -tnp），以及每 100 ms 采样一次的 ReplicaSet 所属 Pod。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const etcd = kube.env.ETCD_ENDPOINT!;
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'control-plane');
    const plaintext = `labs-password-${ctx.runId}`;
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db' }, stringData: { password: plaintext } } });
    await kube.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { mode: 'lab' } } });
    await kube.apps.createNamespacedDeployment({ namespace, body: webDeployment(image, 2) });

    ctx.step('the Secret through the API and in etcd');
    const apiValue = (await kube.core.readNamespacedSecret({ name: 'db', namespace })).data?.password ?? '';
    const [stored] = await etcdRange(etcd, `/registry/secrets/${namespace}/db`);
    if (!stored) throw new Error(`etcd has no key /registry/secrets/${namespace}/db`);
    const secret = { plaintext, apiValue, etcdPrefixHex: stored.value.subarray(0, 16).toString('hex'), etcdBytes: stored.value.length, plaintextAt: stored.value.indexOf(plaintext), base64At: stored.value.indexOf(Buffer.from(plaintext).toString('base64')) };

    ctx.step("etcd's keys, before and after deleting the ConfigMap");
    await until(async () => (await livePods(kube, namespace)).filter(isPodReady).length === 2, 90_000, 'two Ready pods', 250);
    const keys = (await etcdRange(etcd, '/registry/', { prefix: true, keysOnly: true })).map((k) => k.key);
    const perResource = tally(keys.map((k) => k.split('/')[2]!));
    const pods = await livePods(kube, namespace);
    const expected = { [`secrets/${namespace}/db`]: 1, [`configmaps/${namespace}/settings`]: 1, [`deployments/${namespace}/web`]: 1, ...Object.fromEntries(pods.map((p) => [`pods/${namespace}/${p.metadata!.name}`, 1])) };
    const created = Object.fromEntries(Object.keys(expected).map((k) => [k, keys.includes(`/registry/${k}`)]));
    await kube.core.deleteNamespacedConfigMap({ name: 'settings', namespace });
    const deletedConfigMapStillThere = (await etcdRange(etcd, `/registry/configmaps/${namespace}/settings`)).length > 0;

    ctx.step('who is connected to etcd and to the API server');
    const apiPort = new URL(kube.env.API_SERVER!).port;
    const etcdPort = new URL(etcd).port;
    const clients = { etcd: await owners([`( dport = :${etcdPort} )`]), apiserver: await owners([`( dport = :${apiPort} )`]) };

    ctx.step('a pod deleted, a pod added: the ReplicaSet controller');
    const victim = pods[0]!.metadata!.name!;
    const before = new Set(pods.map((p) => p.metadata!.name!));
    const deletedAt = Date.now();
    ctx.timeline.note(`delete ${victim}`);
    await kube.core.deleteNamespacedPod({ name: victim, namespace, gracePeriodSeconds: 0 });
    let replacement: string | null = null;
    let createdAfterMs: number | null = null;
    let readyAfterMs: number | null = null;
    const watchUntil = Date.now() + 60_000;
    while (Date.now() < watchUntil && readyAfterMs === null) {
      const fresh = (await livePods(kube, namespace)).find((p) => !before.has(p.metadata!.name!));
      if (fresh && replacement === null) {
        replacement = fresh.metadata!.name!;
        createdAfterMs = Date.now() - deletedAt;
        ctx.timeline.note(`${replacement} seen`);
      }
      if (fresh && isPodReady(fresh)) readyAfterMs = Date.now() - deletedAt;
      await sleep(100);
    }
    const replicaSet = (await kube.apps.listNamespacedReplicaSet({ namespace })).items[0]!;
    const labels = replicaSet.spec!.selector.matchLabels!;
    const extra = 'added-by-hand';
    const present = new Set((await livePods(kube, namespace)).map((p) => p.metadata!.name!));
    const surplusAt = Date.now();
    ctx.timeline.note(`add ${extra}`);
    await kube.core.createNamespacedPod({ namespace, body: { metadata: { name: extra, labels }, spec: webDeployment(image, 2).spec!.template.spec } });
    present.add(extra);
    let removed: string | null = null;
    let removedAfterSurplusMs: number | null = null;
    let extraAdopted = false;
    const surplusUntil = Date.now() + 30_000;
    // The pods' grace period is 0: a deleted pod leaves the API at once, so what the controller removed is what is missing.
    while (Date.now() < surplusUntil && removed === null) {
      const now = await livePods(kube, namespace);
      if (now.find((p) => p.metadata!.name === extra)?.metadata?.ownerReferences?.some((r) => r.kind === 'ReplicaSet')) extraAdopted = true;
      const gone = [...present].find((name) => !now.some((p) => p.metadata!.name === name));
      if (gone) {
        removed = gone;
        removedAfterSurplusMs = Date.now() - surplusAt;
        ctx.timeline.note(`${removed} deleted by the controller`);
      }
      await sleep(100);
    }
    await until(async () => (await livePods(kube, namespace)).length === 2, 30_000, 'two pods again', 250).catch(() => undefined);

    const observation: ControlPlaneObservation = {
      secret,
      registry: { perResource, created, deletedConfigMapStillThere },
      clients,
      reconcile: { deleted: victim, replacement, createdAfterMs, readyAfterMs, extra, extraAdopted, removedAfterSurplusMs, removed, desired: replicaSet.spec!.replicas ?? 2 },
    };
    const kept = keptJson(ctx, 'control-plane.json', observation, 'the Secret, etcd keys, connections and the controller (JSON)');
    return [withEvidence(judgeSecret(observation), ...kept), judgeSourceOfTruth(observation), judgeOnlyEtcdClient(observation), judgeReconcile(observation)];
  },
});
