/**
 * Lab: the pod states of the sheet's troubleshooting table, each produced on purpose by its cause.
 *
 * Starts: the run's Kubernetes cluster (the local provider's one node, or an existing cluster); in a namespace of its own,
 * eleven pods, each broken in one way (or not at all): 1000 CPUs requested, a node selector no node
 * matches, an image from a registry that does not answer, an app that exits 1 (restarted, and not),
 * one that allocates past its memory limit, one whose command does not exist, one that runs but whose
 * readiness probe always fails, an environment variable from a ConfigMap that does not exist, an
 * init container that fails, and an app that exits 0.
 *
 * Does: creates them all at once and watches them for 80 s.
 *
 * Observes: `kubectl get pods` every second (its STATUS column is what the table names, its READY
 * column beside it), the API's phase, node and container states and reasons, each pod's events, and
 * the start and end of every run of the crashing container (for the back-off between restarts).
 *
 * Not observed: the table's Unknown row (node lost, kubelet problem). Its cause is a node whose
 * kubelet goes silent; this lab silences no node, since every Kubernetes lab of the run needs them.
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
  'cannot-start': { cause: 'its command does not exist; restartPolicy Never (start failure)', sheet: 'Error' },
  'probe-fails': { cause: 'runs, but its readiness probe (false) always fails (failing probe)', sheet: 'Running' },
  'missing-configmap': { cause: 'an environment variable from a ConfigMap that does not exist', sheet: 'CreateContainerConfigError' },
  'init-fails': { cause: 'its init container exits 1; restartPolicy Never', sheet: 'Init:Error' },
  'completes': { cause: 'the app exits 0; restartPolicy Never (task done)', sheet: 'Terminated' },
} as const;
export type CaseName = keyof typeof CASES;

/** The table's rows in its order: each status and its 说明 (meaning). */
export const TABLE = [
  { status: 'Pending', meaning: 'created but not scheduled', meaningZh: 'Pod 已创建但未调度' },
  { status: 'ImagePullBackOff', meaning: 'image pull failed', meaningZh: '镜像拉取失败' },
  { status: 'CrashLoopBackOff', meaning: 'the container crashes again and again', meaningZh: '容器反复崩溃' },
  { status: 'Error', meaning: 'the container exited abnormally', meaningZh: '容器异常退出' },
  { status: 'Running', meaning: 'running but not healthy', meaningZh: '运行中但不正常' },
  { status: 'Terminated', meaning: 'the container has terminated', meaningZh: '容器已终止' },
  { status: 'Unknown', meaning: 'status unknown', meaningZh: '状态未知' },
  { status: 'CreateContainerConfigError', meaning: 'container configuration error', meaningZh: '容器配置错误' },
  { status: 'Init:Error', meaning: 'an init container failed', meaningZh: 'Init 容器失败' },
] as const;

export interface PodStates {
  /** Each STATUS kubectl showed, with when it was first and last seen (ms from creation). */
  statuses: { status: string; from: number; to: number }[];
  /** For each STATUS shown, the READY column's values shown with it (e.g. Running: ["0/1"]). */
  readyByStatus: Record<string, string[]>;
  /** The API's phase and the node the pod was bound to, at the end of the watch. */
  phase: string;
  node: string | null;
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

/** `kubectl get pods --no-headers`: NAME READY STATUS RESTARTS AGE, the restarts possibly followed by "(10s ago)"; each pod's READY and STATUS. */
export function parseGetPodsRows(output: string): Record<string, { ready: string; status: string }> {
  return Object.fromEntries(
    output
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length >= 4)
      .map((f) => [f[0]!, { ready: f[1]!, status: f[2]! }]),
  );
}

/** Each pod's STATUS in `kubectl get pods --no-headers`. */
export function parseGetPods(output: string): Record<string, string> {
  return Object.fromEntries(Object.entries(parseGetPodsRows(output)).map(([name, row]) => [name, row.status]));
}

/** The waits between one run of the crashing container ending and the next starting, in seconds. */
export function backOffs(runs: PodStatesObservation['crashRuns']): number[] {
  const sorted = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  return sorted.slice(1).flatMap((run, i) => {
    const ended = sorted[i]!.finishedAt;
    return ended ? [(Date.parse(run.startedAt) - Date.parse(ended)) / 1000] : [];
  });
}

// A capture made before a pod was added has no record of it: such a pod counts as never listed.
const seen = (p: PodStates | undefined) => (p?.statuses ?? []).map((s) => s.status);
const uniq = (xs: string[]) => [...new Set(xs)];
/** "1/1": every container Ready. */
const allReady = (ready: string) => /^(\d+)\/\1$/.test(ready);
/** "0/1 nodes are available: 1 Insufficient cpu. …" → "1 Insufficient cpu". */
const whyUnschedulable = (reasons: string[]) => reasons.map((r) => r.match(/^unschedulable: .*?available: ([^.]*)\./)?.[1]).find(Boolean) ?? 'no reason given';

type Outcome = 'holds' | 'fails' | 'unobserved';
interface Row {
  status: string;
  meaning: string;
  pods: CaseName[];
  outcome: Outcome;
  said: string;
  saidZh: string;
}

export function judgePodStates(o: PodStatesObservation): ClaimResult {
  const delays = backOffs(o.crashRuns);
  // kubectl's STATUS comes from the pod's status, which has been seen to say Error all through a crash loop
  // (in a run after another lab): the loop itself is the kubelet's BackOff events and the waits between runs.
  const looping = (o.pods.crashes?.events ?? []).some((e) => e.startsWith('BackOff: Back-off restarting failed container')) && delays.length >= 2;
  const names = Object.keys(CASES) as CaseName[];
  const shown = (n: CaseName) => seen(o.pods[n]);
  const shownText = (n: CaseName) => uniq(shown(n)).join(' → ') || 'nothing';
  const events = (n: CaseName) => o.pods[n]?.events ?? [];
  const reasons = (n: CaseName) => o.pods[n]?.reasons ?? [];
  const reached = (n: CaseName) => shown(n).includes(CASES[n].sheet) || (n === 'crashes' && looping);
  const of = (status: string) => names.filter((n) => CASES[n].sheet === status);
  const observed = {
    states: Object.fromEntries(names.map((n) => [n, shown(n)])),
    reasons: Object.fromEntries(names.map((n) => [n, reasons(n)])),
    phases: Object.fromEntries(names.map((n) => [n, { phase: o.pods[n]?.phase ?? null, node: o.pods[n]?.node ?? null }])),
    readyByStatus: Object.fromEntries(names.map((n) => [n, o.pods[n]?.readyByStatus ?? {}])),
    crashLoopBackOffSeconds: delays,
    crashLoopBackOffEvents: (o.pods.crashes?.events ?? []).filter((e) => e.startsWith('BackOff')).length,
    rows: [] as { status: string; outcome: Outcome; pods: CaseName[] }[],
  };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Each pod: what was wrong with it, the state the sheet gives, what kubectl showed', columns: ['pod', 'cause', 'sheet', 'kubectl STATUS, in order', 'READY with each STATUS', 'phase, node (at the end)', 'API reasons'], rows: names.map((n) => [n, CASES[n].cause, CASES[n].sheet, shown(n).join(' → '), Object.entries(o.pods[n]?.readyByStatus ?? {}).map(([s, r]) => `${s}: ${r.join(', ')}`).join('; '), `${o.pods[n]?.phase ?? '?'}, ${o.pods[n]?.node ?? 'no node'}`, reasons(n).join('; ')]) },
    {
      kind: 'gantt',
      title: 'kubectl STATUS of each pod over time (ms after creation)',
      rows: names.map((n) => ({ name: n, spans: (o.pods[n]?.statuses ?? []).map((s) => ({ from: s.from, to: Math.max(s.to, s.from + 1000), label: s.status })) })),
    },
    ...(delays.length ? [{ kind: 'bars' as const, title: 'CrashLoopBackOff: seconds between one run ending and the next starting', bars: delays.map((d, i) => ({ label: `restart ${i + 1}`, value: d })) }] : []),
  ];
  const unseen = names.filter((n) => !shown(n).length);
  if (unseen.length) {
    return { id: 'k8s.pod.status-causes', verdict: 'unverifiable', summary: `kubectl never listed ${unseen.join(', ')}, so their states could not be read.`, summaryZh: `kubectl 始终没有列出 ${unseen.join(', ')}，因此无法读取它们的状态。`, observed, evidence };
  }

  /** A row's outcome: a pod that did not show the row's status fails it; then its meaning: true holds, false fails, null not observed. */
  const outcome = (pods: CaseName[], meaning: boolean | null): Outcome => (!pods.every(reached) ? 'fails' : meaning === false ? 'fails' : meaning === null ? 'unobserved' : 'holds');
  const missed = (pods: CaseName[]) => pods.filter((n) => !reached(n));
  const missedText = (pods: CaseName[]) => missed(pods).map((n) => `${n} (${CASES[n].cause}) showed ${shownText(n)}`).join('; ');
  const missedZh = (pods: CaseName[]) => missed(pods).map((n) => `${n}（${CASES[n].cause}）显示的是 ${shownText(n)}`).join('；');
  const rows: Row[] = [];
  const add = (status: string, pods: CaseName[], result: Outcome, said: string, saidZh: string) => rows.push({ status, meaning: TABLE.find((t) => t.status === status)!.meaning, pods, outcome: result, said, saidZh });

  {
    const pods = of('Pending');
    // Pods kubectl still showed as Pending at the end, and were bound to a node all the same.
    const boundYetPending = names.filter((n) => shown(n).at(-1) === 'Pending' && o.pods[n]!.node);
    const phaseOnly = names.filter((n) => o.pods[n]!.phase === 'Pending' && o.pods[n]!.node && shown(n).at(-1) !== 'Pending');
    const result = outcome(pods, boundYetPending.length === 0);
    const phase = phaseOnly.length ? ` The API's phase Pending also covered ${phaseOnly.map((n) => `${n} (bound to ${o.pods[n]!.node}, kubectl: ${shown(n).at(-1)})`).join(', ')}: as a phase, Pending includes scheduled pods.` : '';
    const phaseZh = phaseOnly.length ? `API 的 phase 为 Pending 的还包括 ${phaseOnly.map((n) => `${n}（已绑定到 ${o.pods[n]!.node}，kubectl 显示 ${shown(n).at(-1)}）`).join('、')}：作为 phase，Pending 也包括已调度的 Pod。` : '';
    add('Pending', pods, result,
      result === 'holds' ? `Pending (created but not scheduled): ${pods.map((n) => `${n} (${whyUnschedulable(reasons(n))})`).join(' and ')} stayed Pending, never bound to a node; taints were not tried.${phase}` : `Pending: ${[missedText(pods), ...boundYetPending.map((n) => `${n} was bound to ${o.pods[n]!.node} while kubectl showed Pending`)].filter(Boolean).join('; ')}.`,
      result === 'holds' ? `Pending（已创建但未调度）：${pods.map((n) => `${n}（${whyUnschedulable(reasons(n))}）`).join(' 和 ')} 一直是 Pending，从未绑定到节点；污点容忍这一原因没有尝试。${phaseZh}` : `Pending：${[missedZh(pods), ...boundYetPending.map((n) => `${n} 已绑定到 ${o.pods[n]!.node}，kubectl 却显示 Pending`)].filter(Boolean).join('；')}。`);
  }
  {
    const pods = of('ImagePullBackOff');
    const pullFailed = pods.every((n) => events(n).some((e) => e.startsWith('Failed: Failed to pull image')));
    const result = outcome(pods, pullFailed || null);
    add('ImagePullBackOff', pods, result,
      result === 'fails' ? `ImagePullBackOff: ${missedText(pods)}.` : `ImagePullBackOff (image pull failed): ${pods.map((n) => `${n} showed ${shownText(n)}`).join('; ')}${pullFailed ? ', its events "Failed to pull image"' : ', but no "Failed to pull image" event was seen'}.`,
      result === 'fails' ? `ImagePullBackOff：${missedZh(pods)}。` : `ImagePullBackOff（镜像拉取失败）：${pods.map((n) => `${n} 显示 ${shownText(n)}`).join('；')}${pullFailed ? '，其事件为 “Failed to pull image”' : '，但没有看到 “Failed to pull image” 事件'}。`);
  }
  {
    const pods = of('CrashLoopBackOff');
    const failedRuns = o.crashRuns.filter((x) => x.exitCode !== null && x.exitCode !== 0).length;
    const ended = o.crashRuns.filter((x) => x.exitCode !== null).length;
    const result = outcome(pods, failedRuns >= 2 ? true : ended >= 2 ? false : null);
    const growing = delays.length >= 2 && delays.slice(1).every((d, i) => d > delays[i]!);
    const waits = delays.length ? ` CrashLoopBackOff is a wait between restarts, not a crash of its own: the kubelet waited ${delays.join(' s, ')} s between one run's end and the next run's start${growing ? ', each wait longer than the one before' : ''}.` : '';
    const waitsZh = delays.length ? `CrashLoopBackOff 是两次重启之间的等待，而不是另一种崩溃：从一次运行结束到下一次运行开始，kubelet 依次等待了 ${delays.join(' s、')} s${growing ? '，每次等待都比上一次更长' : ''}。` : '';
    const errorOnly = pods.some((n) => !shown(n).includes('CrashLoopBackOff')) && looping ? ` kubectl never showed CrashLoopBackOff for ${pods.join(', ')} (${pods.map(shownText).join('; ')}): the pod's status kept the last run's Error while the kubelet backed off, as its BackOff events and the waits show.` : '';
    const errorOnlyZh = pods.some((n) => !shown(n).includes('CrashLoopBackOff')) && looping ? `kubectl 始终没有为 ${pods.join(', ')} 显示 CrashLoopBackOff（${pods.map(shownText).join('；')}）：kubelet 退避期间，Pod 的状态一直保留着上一次运行的 Error，这从它的 BackOff 事件和各次等待时间可以看出。` : '';
    add('CrashLoopBackOff', pods, result,
      result === 'fails' ? `CrashLoopBackOff: ${missedText(pods) || `the container's runs ended ${o.crashRuns.map((x) => `exit ${x.exitCode}`).join(', ')}, not crashes`}.` : `CrashLoopBackOff (crashes again and again): ${pods.join(', ')} (${CASES[pods[0]!].cause}) crashed ${failedRuns} times in ${o.watchedMs / 1000} s.${waits}${errorOnly}`,
      result === 'fails' ? `CrashLoopBackOff：${missedZh(pods) || `该容器各次运行的结束方式为 ${o.crashRuns.map((x) => `exit ${x.exitCode}`).join('、')}，并非崩溃`}。` : `CrashLoopBackOff（容器反复崩溃）：${pods.join(', ')}（${CASES[pods[0]!].cause}）在 ${o.watchedMs / 1000} s 内崩溃了 ${failedRuns} 次。${waitsZh}${errorOnlyZh}`);
  }
  {
    const pods = of('Error');
    const abnormal = pods.filter(reached).every((n) => reasons(n).some((x) => /terminated: .*\(exit [1-9]\d*\)/.test(x)));
    const result = outcome(pods, abnormal);
    const named = (n: CaseName) => reasons(n).map((x) => x.match(/terminated: (.*)$/)?.[1]).find(Boolean) ?? shownText(n);
    const kinds = [pods.some((n) => shown(n).includes('OOMKilled')) && 'OOMKilled: the OOM killer', pods.some((n) => shown(n).includes('StartError')) && 'StartError: the runtime could not start the command'].filter(Boolean);
    const kindsZh = [pods.some((n) => shown(n).includes('OOMKilled')) && 'OOMKilled：被 OOM killer 杀死', pods.some((n) => shown(n).includes('StartError')) && 'StartError：运行时无法启动该命令'].filter(Boolean);
    add('Error', pods, result,
      result === 'holds' ? `Error (exited abnormally): ${pods.map((n) => `${n} (${named(n)})`).join(', ')} all showed Error.` : `Error: of the causes the table gives, ${pods.filter(reached).map((n) => `${n} showed ${named(n)}`).join(', ') || 'none showed Error'}; but ${missedText(pods) || 'a pod that showed Error had not exited abnormally'}.${kinds.length ? ` The kubelet names these exits by their own reasons (${kinds.join('; ')}).` : ''}`,
      result === 'holds' ? `Error（容器异常退出）：${pods.map((n) => `${n}（${named(n)}）`).join('、')} 都显示 Error。` : `Error：表中给出的原因里，${pods.filter(reached).map((n) => `${n} 显示 ${named(n)}`).join('、') || '没有一个显示 Error'}；但 ${missedZh(pods) || '显示 Error 的 Pod 并非异常退出'}。${kindsZh.length ? `kubelet 会用各自的原因来命名这些退出（${kindsZh.join('；')}）。` : ''}`);
  }
  {
    const pods = of('Running');
    const probeFailed = pods.every((n) => events(n).some((e) => e.startsWith('Unhealthy: Readiness probe failed')));
    const readyWhileRunning = uniq(pods.flatMap((n) => o.pods[n]!.readyByStatus?.Running ?? []));
    const unhealthy = readyWhileRunning.length > 0 && !readyWhileRunning.some(allReady);
    const result = outcome(pods, probeFailed ? unhealthy : null);
    add('Running', pods, result,
      result === 'holds' ? `Running (running but not healthy): ${pods.join(', ')}, whose readiness probe kept failing, showed Running with READY ${readyWhileRunning.join(', ')} throughout.` : result === 'unobserved' ? `Running: the readiness probe of ${pods.join(', ')} was never seen failing, so a running but unhealthy pod was not produced.` : `Running: ${missedText(pods) || `${pods.join(', ')}, whose readiness probe failed, showed Running with READY ${readyWhileRunning.join(', ') || 'never read'}`}.`,
      result === 'holds' ? `Running（运行中但不正常）：${pods.join(', ')} 的就绪探针一直失败，它始终显示 Running，READY 为 ${readyWhileRunning.join(', ')}。` : result === 'unobserved' ? `Running：没有观察到 ${pods.join(', ')} 的就绪探针失败，因此没能制造出“运行中但不正常”的 Pod。` : `Running：${missedZh(pods) || `${pods.join(', ')} 的就绪探针失败，显示 Running 时 READY 为 ${readyWhileRunning.join(', ') || '（未读到）'}`}。`);
  }
  {
    const pods = of('Terminated');
    const terminatedInApi = pods.every((n) => reasons(n).some((x) => /terminated: /.test(x)));
    const result = outcome(pods, terminatedInApi);
    const exited = names.filter((n) => CASES[n].sheet === 'Error' && reasons(n).some((x) => /terminated: /.test(x)));
    // What kubectl showed for the pods whose containers ended, and their container states in the API.
    const ended = [...pods, ...exited];
    const showedTerminated = ended.filter((n) => shown(n).includes('Terminated'));
    const apiStates = ended.map((n) => reasons(n).find((x) => /terminated: /.test(x)) ?? `${n}: ${reasons(n).join(', ') || 'no container state read'}`);
    const which = showedTerminated.length ? `only ${showedTerminated.join(', ')} showed Terminated as its STATUS` : 'none of these pods showed Terminated as its STATUS';
    const whichZh = showedTerminated.length ? `只有 ${showedTerminated.join(', ')} 的 STATUS 显示了 Terminated` : '这些 Pod 的 STATUS 都没有显示 Terminated';
    // Not observed here, and said as what the kubelet's code does: its graceful node shutdown sets the pod's status.reason, which kubectl's STATUS starts from.
    const shutdown = 'kubectl\'s STATUS shows Terminated when something sets the pod\'s status.reason to it, as the kubelet\'s graceful node shutdown does (nodeShutdownReason = "Terminated" in pkg/kubelet/nodeshutdown); no node was shut down here, so that case was not produced.';
    const shutdownZh = '当有组件把 Pod 的 status.reason 设为 Terminated 时，kubectl 的 STATUS 就会显示 Terminated，kubelet 的节点优雅关闭就是这样做的（pkg/kubelet/nodeshutdown 中 nodeShutdownReason = "Terminated"）；本实验没有关闭节点，因此没有复现这种情况。';
    add('Terminated', pods, result,
      result === 'holds' ? `Terminated (the container has terminated): ${pods.map((n) => `${n} showed ${shownText(n)}`).join('; ')}.` : `Terminated (the container has terminated): ${which}: the pod that finished (${pods.join(', ')}) showed ${pods.map(shownText).join('; ')}${exited.length ? `, and the pods that exited abnormally ${exited.map((n) => `${n}: ${shown(n).at(-1)}`).join(', ')}` : ''}, while the API's container states were ${apiStates.join('; ')}. ${shutdown}`,
      result === 'holds' ? `Terminated（容器已终止）：${pods.map((n) => `${n} 显示 ${shownText(n)}`).join('；')}。` : `Terminated（容器已终止）：${whichZh}：运行结束的 Pod（${pods.join(', ')}）显示的是 ${pods.map(shownText).join('；')}${exited.length ? `，异常退出的 Pod 显示的是 ${exited.map((n) => `${n}：${shown(n).at(-1)}`).join('、')}` : ''}，而它们在 API 中的容器状态为 ${apiStates.join('；')}。${shutdownZh}`);
  }
  add('Unknown', [], 'unobserved',
    "Unknown (node lost, kubelet problem) was not produced: its cause is a node whose kubelet stops reporting for longer than the node-monitor grace period, and this lab silences no node: every Kubernetes lab of the run needs the cluster's kubelets.",
    'Unknown（节点失联、kubelet 问题）没有复现：它的成因是某个节点的 kubelet 停止上报超过 node-monitor grace period，而本实验不会让任何节点失联：本次运行的所有 Kubernetes 实验都依赖集群的 kubelet。');
  {
    const pods = of('CreateContainerConfigError');
    const missingConfig = pods.every((n) => events(n).some((e) => /(configmap|secret) "[^"]+" not found/i.test(e)));
    const result = outcome(pods, missingConfig || null);
    add('CreateContainerConfigError', pods, result,
      result === 'fails' ? `CreateContainerConfigError: ${missedText(pods)}.` : `CreateContainerConfigError (configuration error): ${pods.join(', ')} (${pods.map((n) => CASES[n].cause).join('; ')}) showed it${missingConfig ? ', its events naming the missing ConfigMap' : ', but no event named the missing ConfigMap'}.`,
      result === 'fails' ? `CreateContainerConfigError：${missedZh(pods)}。` : `CreateContainerConfigError（容器配置错误）：${pods.join(', ')}（${pods.map((n) => CASES[n].cause).join('；')}）显示了该状态${missingConfig ? '，其事件指出了缺失的 ConfigMap' : '，但没有事件指出缺失的 ConfigMap'}。`);
  }
  {
    const pods = of('Init:Error');
    const initFailed = pods.every((n) => reasons(n).some((x) => /^init .* terminated: .*\(exit [1-9]\d*\)/.test(x)));
    const result = outcome(pods, initFailed || null);
    add('Init:Error', pods, result,
      result === 'fails' ? `Init:Error: ${missedText(pods)}.` : `Init:Error (an init container failed): ${pods.map((n) => `${n} (${reasons(n).find((x) => x.startsWith('init ')) ?? 'no init container state read'})`).join(', ')}.`,
      result === 'fails' ? `Init:Error：${missedZh(pods)}。` : `Init:Error（Init 容器失败）：${pods.map((n) => `${n}（${reasons(n).find((x) => x.startsWith('init ')) ?? '未读到 init 容器状态'}）`).join('、')}。`);
  }

  observed.rows = rows.map((r) => ({ status: r.status, outcome: r.outcome, pods: r.pods }));
  evidence.unshift({ kind: 'table', title: "The table's rows: status, 说明, the pods made for it, and the outcome", columns: ['status', '说明 (meaning)', 'pods', 'outcome', 'what was seen'], rows: rows.map((r) => [r.status, `${TABLE.find((t) => t.status === r.status)!.meaningZh} (${r.meaning})`, r.pods.join(', ') || '—', r.outcome, r.said]) });
  const failing = rows.filter((r) => r.outcome === 'fails');
  const unobserved = rows.filter((r) => r.outcome === 'unobserved');
  const holding = rows.filter((r) => r.outcome === 'holds');
  const held = holding.length ? ` These rows held: ${holding.map((r) => r.said).join(' ')}` : '';
  const heldZh = holding.length ? `以下各行成立：${holding.map((r) => r.saidZh).join('')}` : '';
  if (failing.length) {
    return {
      id: 'k8s.pod.status-causes',
      verdict: 'refuted',
      summary: `${failing.length} of the table's ${TABLE.length} rows did not hold: ${failing.map((r) => r.said).join(' ')}${unobserved.length ? ` Not observed: ${unobserved.map((r) => r.said).join(' ')}` : ''}${held}`,
      summaryZh: `表中 ${TABLE.length} 行里有 ${failing.length} 行不成立：${failing.map((r) => r.saidZh).join('')}${unobserved.length ? `未能观察：${unobserved.map((r) => r.saidZh).join('')}` : ''}${heldZh}`,
      observed,
      evidence,
    };
  }
  // Unknown is never produced here (no node is silenced), so with no row failing the statement stays undecided.
  return { id: 'k8s.pod.status-causes', verdict: 'unverifiable', summary: `${unobserved.map((r) => r.said).join(' ')}${held}`, summaryZh: `${unobserved.map((r) => r.saidZh).join('')}${heldZh}`, observed, evidence };
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
    'cannot-start': { restartPolicy: 'Never', containers: [app(['/no/such/command'])] },
    'probe-fails': { containers: [app(sleepForever, { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 2 } })] },
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
  requires: ['docker', 'kubernetes'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's Kubernetes cluster and eleven pods, each broken in one way: too many CPUs, an unmatched node selector, an unreachable image, a crashing app (restarted and not), an out-of-memory app, a command that does not exist, a readiness probe that always fails, a missing ConfigMap, a failing init container, and one that simply finishes.",
    does: `Creates them together and watches them for ${WATCH_MS / 1000} s.`,
    observes: "kubectl's STATUS and READY columns every second, the API's phase, node, container states and reasons, the pods' events, and the crashing container's runs. Not the Unknown row: no node is silenced.",
    zh: {
      title: '故障排查表中的各种 Pod 状态，在真实集群上按各自成因逐一复现',
      starts: '本次运行的 Kubernetes 集群，以及十一个各有一处故障的 Pod：申请的 CPU 过多、节点选择器匹配不到节点、镜像不可达、应用崩溃（分重启和不重启两种）、应用内存耗尽、命令不存在、就绪探针总是失败、引用的 ConfigMap 不存在、init 容器失败，还有一个只是正常运行结束。',
      does: '同时创建这些 Pod，并持续跟踪 80 s。',
      observes: '每秒一次的 kubectl STATUS 列和 READY 列、API 中的 phase、所在节点、容器状态及原因、Pod 的事件，以及崩溃容器的每一次运行。不包括 Unknown 这一行：不会让任何节点失联。',
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
    const readyByStatus = Object.fromEntries(names.map((n) => [n, {} as PodStates['readyByStatus']])) as Record<CaseName, PodStates['readyByStatus']>;
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
      const shown = parseGetPodsRows(await kube.kubectl(['-n', namespace, 'get', 'pods', '--no-headers']));
      for (const name of names) {
        if (!shown[name]) continue;
        const { status, ready } = shown[name];
        const readyWith = (readyByStatus[name][status] ??= []);
        if (!readyWith.includes(ready)) readyWith.push(ready);
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
          readyByStatus: readyByStatus[name],
          phase: listed.find((p) => p.metadata?.name === name)?.status?.phase ?? '',
          node: listed.find((p) => p.metadata?.name === name)?.spec?.nodeName ?? null,
          reasons: reasonsOf(listed.find((p) => p.metadata?.name === name) ?? {}),
          events: [...new Set(events.filter((e) => e.involvedObject.name === name).map((e) => `${e.reason}: ${e.message}`))],
        },
      ]),
    ) as Record<CaseName, PodStates>;
    const observation: PodStatesObservation = { watchedMs: WATCH_MS, pods, crashRuns: [...crashRuns.values()] };
    return [withEvidence(judgePodStates(observation), ...keptJson(ctx, 'pod-states.json', observation, 'statuses, reasons, events and crash runs (JSON)'))];
  },
});
