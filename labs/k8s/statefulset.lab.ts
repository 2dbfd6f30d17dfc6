/**
 * Lab: what a StatefulSet keeps for its pods (names, storage, order), and how long a volume lives
 * against the pod that mounts it.
 *
 * Starts: the run's Kubernetes cluster; a StorageClass without a provisioner and hostPath
 * PersistentVolumes on the node for this lab (the cluster has no storage provisioner).
 *
 * Does: creates a StatefulSet of 3 pods, each writing its name to its own claim when it first
 * starts; deletes its middle pod; scales it down to 1. Then runs a pod with an emptyDir and a
 * PersistentVolumeClaim, writes a file to both, kills its container (the kubelet restarts it),
 * deletes the pod and creates it again.
 *
 * Observes: each StatefulSet pod's creation and readiness times, host name, claim and the file on
 * its claim; the replaced pod's uid, claim and file; the order and times of deletions on scale-down
 * and the claims left after it; the two files after the container restart and after the pod was
 * replaced.
 */
import * as k8s from '@kubernetes/client-node';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { until } from '../../src/resources/wait.ts';
import { isPodReady, kubernetesCluster } from '../../src/systems/kubernetes.ts';

const REPLICAS = 3;

export interface StatefulSetObservation {
  /** ms after the StatefulSet was created: first seen, first seen Ready, and whether the pod before it was Ready when it was first seen. */
  created: { pod: string; createdAt: number; readyAt: number | null; previousReadyWhenSeen: boolean }[];
  pods: { pod: string; hostname: string; claim: string; file: string }[];
  replaced: { pod: string; uidBefore: string; uidAfter: string; claimBefore: string; claimAfter: string; fileBefore: string; fileAfter: string } | null;
  /** Pods deleted when scaled down to 1, in the order a watch saw them deleted, ms after the scale call. */
  scaleDown: { pod: string; goneAt: number }[];
  claimsAfterScaleDown: string[];
  volumes: { written: string; restarts: number; emptyDirAfterRestart: string; emptyDirAfterReplace: string; claimAfterReplace: string; podUidChanged: boolean };
}

const ordinal = (pod: string) => Number(pod.split('-').at(-1));

export function judgeStatefulSet(o: StatefulSetObservation): ClaimResult {
  const created = [...o.created].sort((a, b) => ordinal(a.pod) - ordinal(b.pod));
  const observed = { created: o.created, hostnames: Object.fromEntries(o.pods.map((p) => [p.pod, p.hostname])), claims: Object.fromEntries(o.pods.map((p) => [p.pod, p.claim])), replaced: o.replaced, scaleDownOrder: o.scaleDown.map((s) => s.pod), claimsAfterScaleDown: o.claimsAfterScaleDown };
  const evidence: Evidence[] = [
    { kind: 'gantt', title: 'StatefulSet pods from creation to Ready (ms after the StatefulSet was created)', rows: created.map((c) => ({ name: c.pod, spans: [{ from: c.createdAt, to: c.readyAt ?? c.createdAt, label: c.readyAt === null ? 'never Ready' : 'starting' }] })) },
    { kind: 'table', title: 'Each pod: its host name, its claim, the file it wrote there when it first started', columns: ['pod', 'hostname', 'claim', 'file on the claim'], rows: o.pods.map((p) => [p.pod, p.hostname, p.claim, p.file]) },
    { kind: 'table', title: 'Scaled down to 1: pods in the order they went', columns: ['pod', 'gone (ms after the scale call)'], rows: o.scaleDown.map((s) => [s.pod, s.goneAt]) },
  ];
  if (created.length !== REPLICAS || !o.replaced || o.scaleDown.length !== REPLICAS - 1) return { id: 'k8s.statefulset.identity', verdict: 'unverifiable', summary: `The lab saw ${created.length} of ${REPLICAS} pods created, ${o.replaced ? 'the' : 'no'} replacement and ${o.scaleDown.length} of ${REPLICAS - 1} deletions.`, summaryZh: `本实验在 ${REPLICAS} 个 Pod 中观察到 ${created.length} 个被创建，${o.replaced ? '观察到了' : '没有观察到'}替换，${REPLICAS - 1} 次删除中观察到 ${o.scaleDown.length} 次。`, observed, evidence };
  const inOrder = created.every((c, i) => i === 0 || c.previousReadyWhenSeen);
  const names = o.pods.every((p) => p.hostname === p.pod);
  const r = o.replaced;
  const kept = r.uidAfter !== r.uidBefore && r.claimAfter === r.claimBefore && r.fileAfter === r.fileBefore && r.fileBefore.includes(r.pod);
  const reverse = o.scaleDown.every((s, i) => i === 0 || ordinal(s.pod) < ordinal(o.scaleDown[i - 1]!.pod));
  const claimsStay = o.claimsAfterScaleDown.length === REPLICAS;
  const checks: [string, string, boolean][] = [
    [`pods were created one at a time, each first seen when the one before was already Ready (${created.map((c) => `${c.pod} at ${c.createdAt} ms`).join(', ')})`, `Pod 是逐个创建的，每个 Pod 首次出现时前一个已经 Ready（${created.map((c) => `${c.pod} 在 ${c.createdAt} ms`).join('，')}）`, inOrder],
    [`each pod's host name is its stable name`, '每个 Pod 的主机名就是它固定不变的名称', names],
    [`${r.pod} deleted came back as ${r.pod} (a new pod, uid ${r.uidBefore.slice(0, 8)} → ${r.uidAfter.slice(0, 8)}) on the same claim ${r.claimAfter}, still holding "${r.fileAfter}"`, `删除的 ${r.pod} 以同一个名字 ${r.pod} 重新出现（是一个新 Pod，uid ${r.uidBefore.slice(0, 8)} → ${r.uidAfter.slice(0, 8)}），挂载的仍是同一个 PVC ${r.claimAfter}，里面仍然是 "${r.fileAfter}"`, kept],
    [`scaled down, pods went in reverse order (${o.scaleDown.map((s) => `${s.pod} at ${s.goneAt} ms`).join(', ')})`, `缩容时 Pod 按逆序删除（${o.scaleDown.map((s) => `${s.pod} 在 ${s.goneAt} ms`).join('，')}）`, reverse],
    [`all ${o.claimsAfterScaleDown.length} claims stayed after the scale-down`, `缩容后全部 ${o.claimsAfterScaleDown.length} 个 PVC 都保留了下来`, claimsStay],
  ];
  const failed = checks.filter(([, , ok]) => !ok);
  if (failed.length) return { id: 'k8s.statefulset.identity', verdict: 'refuted', summary: `Not as stated: ${failed.map(([what]) => what).join('; ')}: not so.`, summaryZh: `与说法不符，以下情况并不成立：${failed.map(([, zh]) => zh).join('；')}。`, observed, evidence };
  const summary = checks.map(([what]) => what).join('; ');
  const summaryZh = checks.map(([, zh]) => zh).join('；');
  return { id: 'k8s.statefulset.identity', verdict: 'confirmed', summary: `${summary[0]!.toUpperCase()}${summary.slice(1)}.`, summaryZh: `${summaryZh}。`, observed, evidence };
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
  requires: ['root', 'docker', 'kubernetes'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's Kubernetes cluster, with a StorageClass without a provisioner and hostPath PersistentVolumes made for this lab.",
    does: `A StatefulSet of ${REPLICAS} pods each writing its name to its claim; its middle pod deleted; scaled down to 1. A pod with an emptyDir and a claim: a file written to both, its container killed, the pod deleted and made again.`,
    observes: 'Creation and readiness times, host names, claims and files of the StatefulSet pods; the replaced pod; the scale-down order and the claims left; both files after the restart and after the new pod.',
    zh: {
      title: 'StatefulSet 的命名、存储与顺序；卷与 Pod 的生命周期对比',
      starts: '本次运行的 Kubernetes 集群，带一个没有 provisioner 的 StorageClass，以及为本实验创建的 hostPath PersistentVolume。',
      does: '创建一个 3 个 Pod 的 StatefulSet，每个 Pod 把自己的名字写入各自的 PVC；删除中间那个 Pod；缩容到 1。另建一个同时挂载 emptyDir 和 PVC 的 Pod：向两者各写一个文件，杀掉其容器，再删除并重建该 Pod。',
      observes: 'StatefulSet 各 Pod 的创建时间、就绪时间、主机名、PVC 和文件；被替换后的 Pod；缩容顺序及留下的 PVC；容器重启后和 Pod 重建后两个文件的情况。',
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
          template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image, imagePullPolicy: 'Never', command: ['sh', '-c', '[ -f /data/first ] || echo "written by $(hostname)" > /data/first; exec sleep infinity'], volumeMounts: [{ name: 'data', mountPath: '/data' }], readinessProbe: { exec: { command: ['test', '-f', '/data/first'] }, periodSeconds: 1 } }] } },
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
    const describe = async (p: k8s.V1Pod) => ({ pod: p.metadata!.name!, hostname: await exec(p.metadata!.name!, 'hostname'), claim: p.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName ?? '', file: await exec(p.metadata!.name!, 'cat /data/first') });
    const described = await Promise.all((await pods('app=web')).map(describe));

    ctx.step('its middle pod deleted');
    const victim = 'web-1';
    const before = described.find((d) => d.pod === victim)!;
    const uidBefore = (await kube.core.readNamespacedPod({ name: victim, namespace })).metadata!.uid!;
    await kube.core.deleteNamespacedPod({ name: victim, namespace, gracePeriodSeconds: 0 });
    await until(async () => {
      const p = await kube.core.readNamespacedPod({ name: victim, namespace }).catch(() => undefined);
      return !!p && p.metadata!.uid !== uidBefore && isPodReady(p);
    }, 60_000, `${victim} to come back`, 200);
    const again = await kube.core.readNamespacedPod({ name: victim, namespace });
    const after = await describe(again);

    ctx.step('scaled down to 1');
    const scaleDown: StatefulSetObservation['scaleDown'] = [];
    let tScale = 0;
    // The order the API server deleted them in, as a watch delivers it (a poll could see both gone at once).
    const watcher = await new k8s.Watch(kube.config).watch(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: 'app=web' }, (type, pod: k8s.V1Pod) => {
      if (type === 'DELETED') scaleDown.push({ pod: pod.metadata!.name!, goneAt: Date.now() - tScale });
    }, () => undefined);
    ctx.scope.defer('pod watch', () => watcher.abort());
    tScale = Date.now();
    const scale = await kube.apps.readNamespacedStatefulSetScale({ name: 'web', namespace });
    await kube.apps.replaceNamespacedStatefulSetScale({ name: 'web', namespace, body: { ...scale, spec: { replicas: 1 } } });
    await until(async () => scaleDown.length >= REPLICAS - 1, 60_000, 'the scale-down', 100);
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
      replaced: { pod: victim, uidBefore, uidAfter: again.metadata!.uid!, claimBefore: before.claim, claimAfter: after.claim, fileBefore: before.file, fileAfter: after.file },
      scaleDown,
      claimsAfterScaleDown,
      volumes: { written, restarts: restartCount, emptyDirAfterRestart, emptyDirAfterReplace: await exec('scratch', 'cat /scratch/file 2>/dev/null || true'), claimAfterReplace: await exec('scratch', 'cat /keep/file 2>/dev/null || true'), podUidChanged: secondUid !== firstUid },
    };
    const kept = keptJson(ctx, 'statefulset.json', observation, 'StatefulSet pods, the replacement, the scale-down and the volumes (JSON)');
    return [withEvidence(judgeStatefulSet(observation), ...kept), judgeVolumeLifecycle(observation)];
  },
});
