/**
 * Lab: the pod states of the sheet's troubleshooting table, each produced on purpose by its cause.
 *
 * Starts: the run's one-node Kubernetes cluster (built from upstream); in a namespace of its own,
 * nine pods, each broken in one way (or not at all): 1000 CPUs requested, a node selector no node
 * matches, an image from a registry that does not answer, an app that exits 1 (restarted, and not),
 * one that allocates past its memory limit, an environment variable from a ConfigMap that does not
 * exist, an init container that fails, and an app that exits 0.
 *
 * Does: creates them all at once and watches them for 80 s.
 *
 * Observes: `kubectl get pods` every second (its STATUS column is what the table names), the API's
 * container states and reasons, each pod's events, and the start and end of every run of the
 * crashing container (for the back-off between restarts).
 */
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { kubernetesCluster } from '../../src/systems/kubernetes.ts';

const WATCH_MS = 80_000;

/** What each pod is made to do wrong, and the state the sheet's table gives for that cause. */
export const CASES = {
  'wants-1000-cpus': { cause: 'requests 1000 CPUs (resources: no node has them)', sheet: 'Pending' },
  'wants-missing-node': { cause: 'nodeSelector disktype=nvme, which no node has (node selector)', sheet: 'Pending' },
  'missing-image': { cause: 'image from a registry that does not answer, 127.0.0.1:5 (image missing, network)', sheet: 'ImagePullBackOff' },
  'crashes': { cause: 'the app exits 1; restartPolicy Always (application error)', sheet: 'CrashLoopBackOff' },
  'exits-1': { cause: 'the app exits 1; restartPolicy Never (application crash)', sheet: 'Error' },
  'out-of-memory': { cause: 'allocates 256 MiB under a 64 MiB limit; restartPolicy Never (OOM)', sheet: 'Error' },
  'missing-configmap': { cause: 'an environment variable from a ConfigMap that does not exist', sheet: 'CreateContainerConfigError' },
  'init-fails': { cause: 'its init container exits 1; restartPolicy Never', sheet: 'Init:Error' },
  'completes': { cause: 'the app exits 0; restartPolicy Never (task done)', sheet: 'Terminated' },
} as const;
export type CaseName = keyof typeof CASES;

/** The states the catalog claim names: the rows of the table whose causes it asserts. */
const CLAIMED: readonly string[] = ['Pending', 'ImagePullBackOff', 'CrashLoopBackOff', 'CreateContainerConfigError', 'Init:Error'];

export interface PodStates {
  /** Each STATUS kubectl showed, with when it was first and last seen (ms from creation). */
  statuses: { status: string; from: number; to: number }[];
  /** The API's reasons: the PodScheduled condition, container waiting/terminated reasons and exit codes. */
  reasons: string[];
  events: string[];
}

export interface PodStatesObservation {
  watchedMs: number;
  pods: Record<CaseName, PodStates>;
  /** The crashing container's runs (RFC 3339 times, to the second); the last may still be running. */
  crashRuns: { startedAt: string; finishedAt: string | null; exitCode: number | null }[];
}

/** `kubectl get pods --no-headers`: NAME READY STATUS RESTARTS AGE, the restarts possibly followed by "(10s ago)". */
export function parseGetPods(output: string): Record<string, string> {
  return Object.fromEntries(
    output
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length >= 4)
      .map((f) => [f[0]!, f[2]!]),
  );
}

/** The waits between one run of the crashing container ending and the next starting, in seconds. */
export function backOffs(runs: PodStatesObservation['crashRuns']): number[] {
  const sorted = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  return sorted.slice(1).flatMap((run, i) => {
    const ended = sorted[i]!.finishedAt;
    return ended ? [(Date.parse(run.startedAt) - Date.parse(ended)) / 1000] : [];
  });
}

const seen = (p: PodStates) => p.statuses.map((s) => s.status);

export function judgePodStates(o: PodStatesObservation): ClaimResult {
  const delays = backOffs(o.crashRuns);
  // kubectl's STATUS comes from the pod's status, which has been seen to say Error all through a crash loop
  // (in a run after another lab): the loop itself is the kubelet's BackOff events and the waits between runs.
  const looping = o.pods.crashes.events.some((e) => e.startsWith('BackOff: Back-off restarting failed container')) && delays.length >= 2;
  const rows = (Object.keys(CASES) as CaseName[]).map((name) => {
    const shown = seen(o.pods[name]);
    return { name, ...CASES[name], shown, reached: shown.includes(CASES[name].sheet) || (name === 'crashes' && looping) };
  });
  const crash = rows.find((r) => r.name === 'crashes')!;
  const claimed = rows.filter((r) => CLAIMED.includes(r.sheet));
  const missed = claimed.filter((r) => !r.reached);
  const oom = rows.find((r) => r.name === 'out-of-memory')!;
  const done = rows.find((r) => r.name === 'completes')!;
  const observed = {
    states: Object.fromEntries(rows.map((r) => [r.name, r.shown])),
    reasons: Object.fromEntries((Object.keys(CASES) as CaseName[]).map((n) => [n, o.pods[n].reasons])),
    crashLoopBackOffSeconds: delays,
    crashLoopBackOffEvents: o.pods.crashes.events.filter((e) => e.startsWith('BackOff')).length,
    claimedStatesReached: claimed.length - missed.length,
    claimedStates: claimed.length,
  };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Each pod: what was wrong with it, the state the sheet gives, what kubectl showed', columns: ['pod', 'cause', 'sheet', 'kubectl STATUS, in order', 'API reasons'], rows: rows.map((r) => [r.name, r.cause, r.sheet, r.shown.join(' → '), o.pods[r.name].reasons.join('; ')]) },
    {
      kind: 'gantt',
      title: 'kubectl STATUS of each pod over time (ms after creation)',
      rows: rows.map((r) => ({ name: r.name, spans: o.pods[r.name].statuses.map((s) => ({ from: s.from, to: Math.max(s.to, s.from + 1000), label: s.status })) })),
    },
    ...(delays.length ? [{ kind: 'bars' as const, title: 'CrashLoopBackOff: seconds between one run ending and the next starting', bars: delays.map((d, i) => ({ label: `restart ${i + 1}`, value: d })) }] : []),
  ];
  const unseen = rows.filter((r) => !r.shown.length);
  if (unseen.length) {
    return { id: 'k8s.pod.status-causes', verdict: 'unverifiable', summary: `kubectl never listed ${unseen.map((r) => r.name).join(', ')}, so their states could not be read.`, summaryZh: `kubectl 始终没有列出 ${unseen.map((r) => r.name).join(', ')}，因此无法读取它们的状态。`, observed, evidence };
  }
  if (missed.length) {
    return {
      id: 'k8s.pod.status-causes',
      verdict: 'refuted',
      summary: `${missed.map((r) => `${r.name} (${r.cause}) never showed ${r.sheet} but ${r.shown.join(' → ') || 'nothing'}`).join('; ')}.`,
      summaryZh: `${missed.map((r) => `${r.name}（${r.cause}）始终没有显示 ${r.sheet}，显示的是 ${r.shown.join(' → ') || '（无）'}`).join('；')}。`,
      observed,
      evidence,
    };
  }
  const growing = delays.length >= 2 && delays.slice(1).every((d, i) => d > delays[i]!);
  const waits = delays.length
    ? `CrashLoopBackOff is a wait between restarts, not a crash of its own: the kubelet waited ${delays.join(' s, ')} s between one run's end and the next run's start${growing ? ', each wait longer than the one before' : ''}.`
    : '';
  const waitsZh = delays.length
    ? `CrashLoopBackOff 是两次重启之间的等待，而不是另一种崩溃：从一次运行结束到下一次运行开始，kubelet 依次等待了 ${delays.join(' s、')} s${growing ? '，每次等待都比上一次更长' : ''}。`
    : '';
  const extra = [
    crash.shown.includes('CrashLoopBackOff') ? '' : `kubectl never showed CrashLoopBackOff for the crashing pod (${crash.shown.join(' → ')}): the pod's status kept the last run's Error while the kubelet backed off, as its BackOff events and the waits show.`,
    oom.reached ? '' : `The table puts OOM under Error, but the pod killed for memory showed ${oom.shown.join(' → ')}: the kubelet reports the OOM killer's work as its own reason, OOMKilled.`,
    done.reached ? '' : `"Terminated" is the API's container state, not a STATUS kubectl shows: the pod that finished showed ${done.shown.join(' → ')}.`,
  ].filter(Boolean);
  const extraZh = [
    crash.shown.includes('CrashLoopBackOff') ? '' : `对于那个不断崩溃的 Pod，kubectl 始终没有显示 CrashLoopBackOff（${crash.shown.join(' → ')}）：kubelet 退避期间，Pod 的状态一直保留着上一次运行的 Error，这从它的 BackOff 事件和各次等待时间可以看出。`,
    oom.reached ? '' : `表格把 OOM 归入 Error，但因内存超限被杀的 Pod 显示的是 ${oom.shown.join(' → ')}：kubelet 会把 OOM killer 的动作报告为一个专门的原因，即 OOMKilled。`,
    done.reached ? '' : `“Terminated” 是 API 中的容器状态，而不是 kubectl 显示的 STATUS：运行结束的 Pod 显示的是 ${done.shown.join(' → ')}。`,
  ].filter(Boolean);
  return {
    id: 'k8s.pod.status-causes',
    verdict: 'confirmed',
    summary: `Each of the ${claimed.length} states came from the cause the table gives: ${claimed.map((r) => `${r.sheet} from ${r.name}`).join(', ')}. ${waits} ${extra.join(' ')}`.trim(),
    summaryZh: `这 ${claimed.length} 种状态都出自表格给出的原因：${claimed.map((r) => `${r.sheet} 来自 ${r.name}`).join('，')}。${waitsZh}${extraZh.join('')}`,
    observed,
    evidence,
  };
}

function pod(name: CaseName, image: string): V1Pod {
  const app = (command: string[], extra: Partial<V1Container> = {}): V1Container => ({ name: 'app', image, imagePullPolicy: 'Never', command, ...extra });
  const sleepForever = ['sleep', 'infinity'];
  const specs: Record<CaseName, V1PodSpec> = {
    'wants-1000-cpus': { containers: [app(sleepForever, { resources: { requests: { cpu: '1000' } } })] },
    'wants-missing-node': { nodeSelector: { disktype: 'nvme' }, containers: [app(sleepForever)] },
    'missing-image': { containers: [{ name: 'app', image: '127.0.0.1:5/labs/missing:1', imagePullPolicy: 'Always', command: sleepForever }] },
    'crashes': { restartPolicy: 'Always', containers: [app(['sh', '-c', 'echo starting; exit 1'])] },
    'exits-1': { restartPolicy: 'Never', containers: [app(['sh', '-c', 'echo failing; exit 1'])] },
    'out-of-memory': { restartPolicy: 'Never', containers: [app(['python3', '-c', 'b = bytearray(256 * 1024 * 1024); print(len(b))'], { resources: { limits: { memory: '64Mi' } } })] },
    'missing-configmap': { containers: [app(sleepForever, { env: [{ name: 'SETTING', valueFrom: { configMapKeyRef: { name: 'does-not-exist', key: 'setting' } } }] })] },
    'init-fails': { restartPolicy: 'Never', initContainers: [{ name: 'init', image, imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 1'] }], containers: [app(sleepForever)] },
    'completes': { restartPolicy: 'Never', containers: [app(['sh', '-c', 'echo done'])] },
  };
  return { metadata: { name, labels: { lab: 'pod-states' } }, spec: { terminationGracePeriodSeconds: 0, ...specs[name] } };
}

/** The API's view of a pod in a few words: why it is not scheduled, and each container's state. */
function reasonsOf(p: V1Pod): string[] {
  const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const containers = [...(p.status?.initContainerStatuses ?? []).map((c) => ({ ...c, name: `init ${c.name}` })), ...(p.status?.containerStatuses ?? [])];
  return [
    ...(scheduled ? [`unschedulable: ${scheduled.message ?? scheduled.reason}`] : []),
    ...containers.flatMap((c) => {
      const s = c.state;
      if (s?.waiting) return [`${c.name} waiting: ${s.waiting.reason}`];
      if (s?.terminated) return [`${c.name} terminated: ${s.terminated.reason} (exit ${s.terminated.exitCode})`];
      if (s?.running) return [`${c.name} running (restarts ${c.restartCount})`];
      return [];
    }),
  ];
}

export default defineLab({
  id: 'k8s-pod-states',
  title: "The troubleshooting table's pod states, each produced by its cause on a real cluster",
  topic: 'k8s',
  claims: ['k8s.pod.status-causes'],
  requires: ['root', 'docker', 'kubernetes'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's one-node Kubernetes cluster and nine pods, each broken in one way: too many CPUs, an unmatched node selector, an unreachable image, a crashing app (restarted and not), an out-of-memory app, a missing ConfigMap, a failing init container, and one that simply finishes.",
    does: `Creates them together and watches them for ${WATCH_MS / 1000} s.`,
    observes: "kubectl's STATUS column every second, the API's container states and reasons, the pods' events, and the crashing container's runs.",
    zh: {
      title: '故障排查表中的各种 Pod 状态，在真实集群上按各自成因逐一复现',
      starts: '本次运行的单节点 Kubernetes 集群，以及九个各有一处故障的 Pod：申请的 CPU 过多、节点选择器匹配不到节点、镜像不可达、应用崩溃（分重启和不重启两种）、应用内存耗尽、引用的 ConfigMap 不存在、init 容器失败，还有一个只是正常运行结束。',
      does: '同时创建这些 Pod，并持续跟踪 80 s。',
      observes: '每秒一次的 kubectl STATUS 列、API 中的容器状态及原因、Pod 的事件，以及崩溃容器的每一次运行。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'pod-states');
    const names = Object.keys(CASES) as CaseName[];
    ctx.step(`creating ${names.length} pods, each broken in its own way`);
    const t0 = Date.now();
    await Promise.all(names.map((name) => kube.core.createNamespacedPod({ namespace, body: pod(name, image) })));
    const statuses = Object.fromEntries(names.map((n) => [n, [] as PodStates['statuses']])) as Record<CaseName, PodStates['statuses']>;
    const crashRuns = new Map<string, PodStatesObservation['crashRuns'][number]>();
    const noteRun = (startedAt?: Date, finishedAt?: Date, exitCode?: number) => {
      if (!startedAt) return;
      const key = new Date(startedAt).toISOString();
      const known = crashRuns.get(key);
      crashRuns.set(key, { startedAt: key, finishedAt: finishedAt ? new Date(finishedAt).toISOString() : (known?.finishedAt ?? null), exitCode: exitCode ?? known?.exitCode ?? null });
    };
    ctx.step(`watching them for ${WATCH_MS / 1000} s`);
    while (Date.now() - t0 < WATCH_MS) {
      const at = Date.now() - t0;
      const shown = parseGetPods(await kube.kubectl(['-n', namespace, 'get', 'pods', '--no-headers']));
      for (const name of names) {
        const status = shown[name];
        if (!status) continue;
        const runs = statuses[name];
        if (runs.at(-1)?.status === status) runs.at(-1)!.to = at;
        else {
          runs.push({ status, from: at, to: at });
          ctx.timeline.sample(`${name} status`, status);
        }
      }
      const crashing = (await kube.core.readNamespacedPod({ name: 'crashes', namespace })).status?.containerStatuses?.[0];
      noteRun(crashing?.lastState?.terminated?.startedAt, crashing?.lastState?.terminated?.finishedAt, crashing?.lastState?.terminated?.exitCode);
      noteRun(crashing?.state?.terminated?.startedAt, crashing?.state?.terminated?.finishedAt, crashing?.state?.terminated?.exitCode);
      noteRun(crashing?.state?.running?.startedAt);
      await sleep(1000);
    }
    const listed = (await kube.core.listNamespacedPod({ namespace })).items;
    const events = (await kube.core.listNamespacedEvent({ namespace })).items;
    const pods = Object.fromEntries(
      names.map((name) => [
        name,
        {
          statuses: statuses[name],
          reasons: reasonsOf(listed.find((p) => p.metadata?.name === name) ?? {}),
          events: [...new Set(events.filter((e) => e.involvedObject.name === name).map((e) => `${e.reason}: ${e.message}`))],
        },
      ]),
    ) as Record<CaseName, PodStates>;
    const observation: PodStatesObservation = { watchedMs: WATCH_MS, pods, crashRuns: [...crashRuns.values()] };
    return [withEvidence(judgePodStates(observation), ...keptJson(ctx, 'pod-states.json', observation, 'statuses, reasons, events and crash runs (JSON)'))];
  },
});
