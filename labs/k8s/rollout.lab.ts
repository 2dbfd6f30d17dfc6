/**
 * Lab: a Deployment from `kubectl apply` to Available, a rolling update sampled as it happens, and a
 * roll back.
 *
 * Starts: the run's one-node Kubernetes cluster (built from upstream).
 *
 * Does: applies a Deployment of 4 pods (maxSurge 1, maxUnavailable 1; each pod Ready 4 s after it
 * starts) with kubectl, holding one pod unready for a while; changes its pod template (kubectl set
 * env), waits for the rollout, then `kubectl rollout undo`; finally asks the apiserver (dry run) to
 * give the same Deployment the strategy the sheet calls blue-green, as BlueGreen and as Blue-Green.
 *
 * Observes: every 100 ms, the Deployment's Available condition, its ReplicaSets and the pods of each
 * (bound to a node, running, Ready); etcd's key for the Deployment right after the apply; the events
 * of the namespace and which component reported each; the apiserver's answer to each blue-green
 * strategy type, and the strategy types DeploymentStrategy allows in its OpenAPI schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';
import { apiRefusal, isPodReady, kubernetesCluster, supportedValues, type KubeCluster } from '../../src/systems/kubernetes.ts';
import { etcdRange } from '../../src/systems/kubernetes-etcd.ts';
import { webDeployment } from '../../src/systems/kubernetes-web.ts';

const REPLICAS = 4;
const MAX_SURGE = 1;
const MAX_UNAVAILABLE = 1;
/** Each pod serves (and so turns Ready) this long after it starts: time enough to hold one of them back. */
const START_DELAY_S = 4;

export interface RolloutSample {
  at: number;
  available: boolean;
  /** Per ReplicaSet (by pod-template-hash): its pods that exist, are bound to a node, run, and are Ready. */
  sets: Record<string, { pods: number; bound: number; running: number; ready: number }>;
}

export interface RolloutObservation {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  samples: RolloutSample[];
  /** Moments in ms: the apply, the template change, the undo. */
  marks: { at: number; label: string }[];
  /** The pod-template-hash of the first ReplicaSet, of the one the update made, and of the one serving after the undo. */
  hashes: { first: string; update: string; afterUndo: string };
  /** Whether etcd held the Deployment right after kubectl apply returned. */
  inEtcdAfterApply: boolean;
  /** Whether the pod held back had already turned Ready before it was held (then nothing was held back). */
  heldWasAlreadyReady: boolean;
  /** The namespace's events in order: reason and reporting component. */
  events: { at: number; reason: string; component: string; object: string }[];
  /** The same Deployment with strategy.type set to each blue-green spelling (a dry-run replace): the apiserver's answer, and the type in what it returned (null when refused). */
  blueGreen: BlueGreenAnswer[];
  /** DeploymentStrategy's type enum in the apiserver's OpenAPI v3 schema (apps/v1). */
  strategyTypes: string[];
}

export interface BlueGreenAnswer {
  /** The strategy.type asked for. */
  type: string;
  code: number;
  reason: string;
  message: string;
  /** strategy.type in the Deployment the apiserver returned (null when it refused). */
  acceptedType: string | null;
}

/** The blue-green spellings asked for: the usual one and the sheet's own. */
export const BLUE_GREEN_TYPES = ['BlueGreen', 'Blue-Green'] as const;

const total = (s: RolloutSample, field: 'pods' | 'ready' | 'bound' | 'running') => Object.values(s.sets).reduce((a, x) => a + x[field], 0);

/** The samples between two marks (or to the end). */
const between = (o: RolloutObservation, from: string, to?: string) => {
  const start = o.marks.find((m) => m.label === from)!.at;
  const end = to ? o.marks.find((m) => m.label === to)!.at : Infinity;
  return o.samples.filter((s) => s.at >= start && s.at < end);
};

export function judgeReplicaSet(o: RolloutObservation): ClaimResult {
  const during = between(o, 'template changed', 'rollout undo');
  const maxPods = Math.max(...during.map((s) => total(s, 'pods')));
  const minReady = Math.min(...during.map((s) => total(s, 'ready')));
  const sets = [...new Set(o.samples.flatMap((s) => Object.keys(s.sets)))];
  const rolledBack = o.hashes.afterUndo === o.hashes.first && o.hashes.update !== o.hashes.first;
  // A capture from before the blue-green experiment has neither field: then blue-green was not asked for.
  const blueGreen = o.blueGreen ?? [];
  const strategyTypes = o.strategyTypes ?? [];
  const supported = [...new Set(blueGreen.flatMap((b) => supportedValues(b.message)))];
  const observed = { replicaSets: sets, hashes: o.hashes, maxPodsDuringUpdate: maxPods, minReadyDuringUpdate: minReady, ceiling: o.replicas + o.maxSurge, floor: o.replicas - o.maxUnavailable, samplesDuringUpdate: during.length, rolledBackToTheFirstReplicaSet: rolledBack, blueGreen, supportedStrategyTypes: supported, schemaStrategyTypes: strategyTypes };
  const evidence: Evidence[] = [
    {
      kind: 'series',
      title: `Pods during the update and the undo (replicas ${o.replicas}, maxSurge ${o.maxSurge}, maxUnavailable ${o.maxUnavailable})`,
      xLabel: 'ms since the apply',
      yLabel: 'pods',
      series: [
        { name: 'pods (all ReplicaSets)', points: o.samples.map((s) => [s.at, total(s, 'pods')]) },
        { name: 'Ready', points: o.samples.map((s) => [s.at, total(s, 'ready')]) },
        ...sets.map((hash) => ({ name: `ReplicaSet …${hash}${hash === o.hashes.first ? ' (first)' : ''}`, points: o.samples.map((s) => [s.at, s.sets[hash]?.pods ?? 0] as [number, number]) })),
        { name: `ceiling: replicas + maxSurge = ${observed.ceiling}`, points: o.samples.map((s) => [s.at, observed.ceiling]) },
        { name: `floor: replicas − maxUnavailable = ${observed.floor}`, points: o.samples.map((s) => [s.at, observed.floor]) },
      ],
      markers: o.marks.map((m) => ({ x: m.at, label: m.label })),
    },
    { kind: 'table', title: 'The same Deployment with a blue-green strategy type (dry-run replace): the apiserver\'s answer', columns: ['strategy.type', 'HTTP code', 'reason', 'message', 'type in the answer'], rows: blueGreen.map((b) => [b.type, b.code, b.reason, b.message, b.acceptedType ?? '']) },
  ];
  if (during.length < 5) return { id: 'k8s.deployment.replicaset', verdict: 'unverifiable', summary: `Only ${during.length} samples fell within the update: too few to check its bounds.`, summaryZh: `更新期间只采到 ${during.length} 个样本，太少，无法检查其上下界。`, observed, evidence };
  if (maxPods > observed.ceiling || minReady < observed.floor || !rolledBack) {
    return { id: 'k8s.deployment.replicaset', verdict: 'refuted', summary: `${maxPods > observed.ceiling ? `The update ran ${maxPods} pods, over replicas + maxSurge = ${observed.ceiling}. ` : ''}${minReady < observed.floor ? `Only ${minReady} were Ready at one point, under replicas − maxUnavailable = ${observed.floor}. ` : ''}${rolledBack ? '' : 'The undo did not bring the first ReplicaSet back.'}`.trim(), summaryZh: `${maxPods > observed.ceiling ? `更新期间同时运行了 ${maxPods} 个 Pod，超过了 replicas + maxSurge = ${observed.ceiling}。` : ''}${minReady < observed.floor ? `某一时刻只有 ${minReady} 个 Pod Ready，低于 replicas − maxUnavailable = ${observed.floor}。` : ''}${rolledBack ? '' : '回滚没有恢复第一个 ReplicaSet。'}`, observed, evidence };
  }
  const rolling = `The Deployment ran its pods through ReplicaSets (…${o.hashes.first}, then …${o.hashes.update} for the new template). Sampled ${during.length} times during the rolling update, there were never more than ${maxPods} pods (ceiling replicas + maxSurge = ${observed.ceiling}) nor fewer than ${minReady} Ready (floor replicas − maxUnavailable = ${observed.floor}). \`kubectl rollout undo\` scaled the first ReplicaSet (…${o.hashes.afterUndo}) back up rather than making a new one: the old ReplicaSet is the roll-back.`;
  const rollingZh = `Deployment 通过 ReplicaSet 管理其 Pod（先是 …${o.hashes.first}，新模板对应 …${o.hashes.update}）。滚动更新期间共采样 ${during.length} 次，Pod 总数从未超过 ${maxPods}（上限 replicas + maxSurge = ${observed.ceiling}），Ready 的 Pod 也从未少于 ${minReady}（下限 replicas − maxUnavailable = ${observed.floor}）。\`kubectl rollout undo\` 将第一个 ReplicaSet（…${o.hashes.afterUndo}）重新扩容，而不是新建一个：回滚靠的正是旧的 ReplicaSet。`;
  const kept = (b: BlueGreenAnswer) => b.code >= 200 && b.code < 300 && b.acceptedType === b.type;
  // Refused: invalid (422), or answered with some other strategy in its place.
  const refused = (b: BlueGreenAnswer) => b.code === 422 || (b.code >= 200 && b.code < 300 && b.acceptedType !== b.type);
  const accepted = blueGreen.filter(kept);
  const answers = blueGreen.map((b) => `${b.type}: ${b.code}${b.reason ? ` ${b.reason}` : ''}${b.message ? ` (${b.message})` : b.acceptedType ? ` (returned as ${b.acceptedType})` : ''}`).join('; ');
  if (accepted.length) {
    return { id: 'k8s.deployment.replicaset', verdict: 'confirmed', summary: `${rolling} The apiserver also took the strategy type ${accepted.map((b) => b.type).join(' and ')} for the same Deployment (${answers}).`, summaryZh: `${rollingZh}apiserver 也接受了同一 Deployment 的策略类型 ${accepted.map((b) => b.type).join(' 和 ')}（${answers}）。`, observed, evidence };
  }
  if (!blueGreen.length || !blueGreen.every(refused)) {
    return { id: 'k8s.deployment.replicaset', verdict: 'unverifiable', summary: `${rolling} Whether a Deployment offers blue-green could not be read: ${blueGreen.length ? `the apiserver neither took nor refused it (${answers})` : 'no blue-green strategy was asked for'}.`, summaryZh: `${rollingZh}无法判断 Deployment 是否支持蓝绿部署：${blueGreen.length ? `apiserver 既没有接受也没有拒绝（${answers}）` : '没有请求过蓝绿策略'}。`, observed, evidence };
  }
  const allowed = supported.length ? supported : strategyTypes;
  return {
    id: 'k8s.deployment.replicaset',
    verdict: 'refuted',
    summary: `A Deployment has no blue-green strategy: the apiserver did not take the same Deployment with strategy.type ${answers}.${allowed.length ? ` The strategy types it allows are ${allowed.join(' and ')}${strategyTypes.length ? ` (the OpenAPI schema's enum: ${strategyTypes.join(', ')})` : ''}.` : ''} The rest of the statement held. ${rolling}`,
    summaryZh: `Deployment 没有蓝绿部署策略：把同一 Deployment 的 strategy.type 设为以下值时，apiserver 都没有接受：${answers}。${allowed.length ? `它允许的策略类型只有 ${allowed.join(' 和 ')}${strategyTypes.length ? `（OpenAPI schema 中的枚举：${strategyTypes.join(', ')}）` : ''}。` : ''}其余部分成立：${rollingZh}`,
    observed,
    evidence,
  };
}

export function judgeAvailable(o: RolloutObservation): ClaimResult {
  const initial = between(o, 'kubectl apply', 'template changed');
  const firstAvailable = initial.find((s) => s.available);
  const allReady = initial.find((s) => total(s, 'ready') === o.replicas);
  const readyThen = firstAvailable ? total(firstAvailable, 'ready') : null;
  const observed = { availableAfterMs: firstAvailable?.at ?? null, allReadyAfterMs: allReady?.at ?? null, readyPodsWhenAvailable: readyThen, replicas: o.replicas, maxUnavailable: o.maxUnavailable, heldUnready: o.marks.find((m) => m.label.endsWith('held unready'))?.label.replace(' held unready', '') ?? null };
  const evidence: Evidence[] = [{ kind: 'series', title: 'After kubectl apply, one pod held unready: pods Ready, and the Deployment Available (1) or not (0)', xLabel: 'ms since the apply', yLabel: 'pods', series: [{ name: 'Ready pods', points: initial.map((s) => [s.at, total(s, 'ready')]) }, { name: 'Available', points: initial.map((s) => [s.at, s.available ? 1 : 0]) }], markers: o.marks.filter((m) => m.at < (o.marks.find((x) => x.label === 'template changed')?.at ?? Infinity)).map((m) => ({ x: m.at, label: m.label })) }];
  if (o.heldWasAlreadyReady) return { id: 'k8s.deployment.available', verdict: 'unverifiable', summary: `The pod meant to be held unready (${observed.heldUnready}) was Ready before it could be held.`, summaryZh: `本应保持未就绪的 Pod（${observed.heldUnready}）在被设为未就绪之前就已经 Ready 了。`, observed, evidence };
  if (!firstAvailable || readyThen === null) return { id: 'k8s.deployment.available', verdict: 'unverifiable', summary: 'The Deployment did not become Available while it was watched.', summaryZh: '在观察期间，该 Deployment 始终没有变为 Available。', observed, evidence };
  if (readyThen === 0) return { id: 'k8s.deployment.available', verdict: 'refuted', summary: `The Deployment was Available with no pod Ready.`, summaryZh: `该 Deployment 在没有任何 Pod Ready 时就已是 Available。`, observed, evidence };
  if (readyThen >= o.replicas) return { id: 'k8s.deployment.available', verdict: 'confirmed', summary: `The Deployment became Available ${firstAvailable.at} ms after the apply, only once all ${o.replicas} pods were running and Ready${observed.heldUnready ? ` (it waited for ${observed.heldUnready}, held unready)` : ''}.`, summaryZh: `该 Deployment 在 apply 之后 ${firstAvailable.at} ms 才变为 Available，此时全部 ${o.replicas} 个 Pod 均已运行且 Ready${observed.heldUnready ? `（它一直在等被保持未就绪的 ${observed.heldUnready}）` : ''}。`, observed, evidence };
  return {
    id: 'k8s.deployment.available',
    verdict: 'nuanced',
    summary: `Available does not wait for every pod: with ${observed.heldUnready ?? 'one pod'} held unready the condition turned True ${firstAvailable.at} ms after the apply, when ${readyThen} of ${o.replicas} pods were Ready (replicas − maxUnavailable = ${o.replicas - o.maxUnavailable}); all ${o.replicas} were Ready only at ${allReady?.at ?? '?'} ms. A pod counts once its readiness probe passes (and minReadySeconds, 0 here, have gone by).`,
    summaryZh: `Available 并不等待所有 Pod：在 ${observed.heldUnready ?? '一个 Pod'} 保持未就绪的情况下，该 condition 在 apply 之后 ${firstAvailable.at} ms 变为 True，此时 ${o.replicas} 个 Pod 中有 ${readyThen} 个 Ready（replicas − maxUnavailable = ${o.replicas - o.maxUnavailable}）；全部 ${o.replicas} 个 Pod 直到 ${allReady?.at ?? '?'} ms 才都 Ready。Pod 只要就绪探针通过（并且过了 minReadySeconds，这里为 0）就被计入。`,
    observed,
    evidence,
  };
}

export function judgeFlow(o: RolloutObservation): ClaimResult {
  const initial = between(o, 'kubectl apply', 'template changed');
  const firstWith = (test: (s: RolloutSample) => boolean) => initial.find(test)?.at ?? null;
  const steps = {
    podsSeen: firstWith((s) => total(s, 'pods') > 0),
    podsBound: firstWith((s) => total(s, 'bound') > 0),
    podsRunning: firstWith((s) => total(s, 'running') > 0),
  };
  const firstEvent = (component: string, reason: string) => o.events.find((e) => e.component === component && e.reason === reason);
  const chain = [firstEvent('deployment-controller', 'ScalingReplicaSet'), firstEvent('replicaset-controller', 'SuccessfulCreate'), firstEvent('default-scheduler', 'Scheduled'), firstEvent('kubelet', 'Started')];
  const missingEvent = chain.some((e) => e === undefined);
  // Some components stamp events to the microsecond, others to the second (rounded down): in order means
  // never more than a second earlier than the step before.
  const inOrder = Object.values(steps).every((v, i, all) => v !== null && (i === 0 || v >= all[i - 1]!)) && (missingEvent || chain.every((e, i) => i === 0 || e!.at >= chain[i - 1]!.at - 1000));
  const observed = { storedInEtcdAfterApply: o.inEtcdAfterApply, stepsMs: steps, events: chain.map((e) => (e ? `${e.component}: ${e.reason} ${e.object}` : 'missing')) };
  const seenAt = [null, steps.podsSeen, steps.podsBound, steps.podsRunning];
  const evidence: Evidence[] = [
    { kind: 'path', title: 'From kubectl apply to a running pod: who did what (first seen, ms after the apply)', hops: [{ address: 'kubectl apply', note: o.inEtcdAfterApply ? 'stored in etcd' : 'not in etcd' }, ...chain.map((e, i) => ({ address: e?.component ?? '?', note: seenAt[i] === null ? (e?.reason ?? 'no event') : `${e?.reason ?? 'no event'}, ${seenAt[i]} ms` }))] },
    { kind: 'table', title: 'The events of that sequence', columns: ['component', 'reason', 'object'], rows: chain.map((e) => [e?.component ?? '?', e?.reason ?? 'missing', e?.object ?? '']) },
  ];
  if (missingEvent) return { id: 'k8s.deployment.flow', verdict: 'unverifiable', summary: `Not every step left its event (${observed.events.join('; ')}).`, summaryZh: `并非每一步都留下了对应的事件（${observed.events.join('; ')}）。`, observed, evidence };
  if (!o.inEtcdAfterApply || !inOrder) return { id: 'k8s.deployment.flow', verdict: 'refuted', summary: `The sequence did not hold: ${JSON.stringify(observed)}.`, summaryZh: `上述顺序不成立：${JSON.stringify(observed)}。`, observed, evidence };
  return {
    id: 'k8s.deployment.flow',
    verdict: 'confirmed',
    summary: `As the sheet says: kubectl apply returned once the Deployment was stored (its key was in etcd), then the deployment controller scaled up a ReplicaSet, the ReplicaSet controller created its pods, the scheduler bound them to the node and the kubelet started them, each step reported by that component's own event, in that order. Sampled every 100 ms: pods by ${steps.podsSeen} ms, bound by ${steps.podsBound} ms, a container running by ${steps.podsRunning} ms.`,
    summaryZh: `与学习资料所述一致：kubectl apply 在 Deployment 存储完成（其键已在 etcd 中）后即返回；随后 deployment controller 扩容一个 ReplicaSet，ReplicaSet controller 创建其 Pod，调度器把它们绑定到节点，kubelet 启动它们。每一步都由该组件自己上报的事件记录，且顺序正是如此。每 100 ms 采样一次：${steps.podsSeen} ms 时已出现 Pod，${steps.podsBound} ms 时已绑定，${steps.podsRunning} ms 时已有容器在运行。`,
    observed,
    evidence,
  };
}

/** The Deployment as kubectl applies it: the web Deployment, with its rolling-update bounds and a slow start. */
function manifest(image: string): object {
  const web = webDeployment(image, REPLICAS, [{ name: 'START_DELAY', value: String(START_DELAY_S) }]);
  return { apiVersion: 'apps/v1', kind: 'Deployment', ...web, spec: { ...web.spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: MAX_SURGE, maxUnavailable: MAX_UNAVAILABLE } } } };
}

async function sample(kube: KubeCluster, namespace: string, t0: number): Promise<RolloutSample> {
  const [deployment, pods] = await Promise.all([kube.apps.readNamespacedDeployment({ name: 'web', namespace }).catch(() => undefined), kube.core.listNamespacedPod({ namespace })]);
  const sets: RolloutSample['sets'] = {};
  for (const p of pods.items as V1Pod[]) {
    if (p.metadata?.deletionTimestamp) continue;
    const hash = p.metadata?.labels?.['pod-template-hash'] ?? '?';
    const s = (sets[hash] ??= { pods: 0, bound: 0, running: 0, ready: 0 });
    s.pods++;
    if (p.spec?.nodeName) s.bound++;
    if (p.status?.containerStatuses?.some((c) => c.state?.running)) s.running++;
    if (isPodReady(p)) s.ready++;
  }
  const available = deployment?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
  return { at: Date.now() - t0, available, sets };
}

const serving = (s: RolloutSample) => Object.entries(s.sets).filter(([, x]) => x.ready > 0).map(([h]) => h);

export default defineLab({
  id: 'k8s-rollout',
  title: 'A Deployment from kubectl apply to Available, a rolling update within maxSurge/maxUnavailable, and a roll back',
  topic: 'k8s',
  claims: ['k8s.deployment.flow', 'k8s.deployment.available', 'k8s.deployment.replicaset'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's one-node Kubernetes cluster.",
    does: `kubectl apply of a Deployment of ${REPLICAS} pods (maxSurge ${MAX_SURGE}, maxUnavailable ${MAX_UNAVAILABLE}, Ready ${START_DELAY_S} s after start), one of them held unready a while; kubectl set env to change its template; kubectl rollout undo; then the same Deployment with strategy.type BlueGreen and Blue-Green (dry run).`,
    observes: "Every 100 ms the Deployment's Available condition, its ReplicaSets and their pods (bound, running, Ready); etcd's key for the Deployment; the events and who reported them; the apiserver's answer to each blue-green strategy type and the schema's strategy types.",
    zh: {
      title: 'Deployment 从 kubectl apply 到 Available、受 maxSurge/maxUnavailable 约束的滚动更新，以及回滚',
      starts: '本次运行的单节点 Kubernetes 集群。',
      does: '用 kubectl apply 创建一个 4 个 Pod 的 Deployment（maxSurge 1，maxUnavailable 1，启动 4 s 后 Ready），其中一个 Pod 会保持未就绪一段时间；用 kubectl set env 修改其 Pod 模板；执行 kubectl rollout undo；最后以 dry run 方式把同一 Deployment 的 strategy.type 设为 BlueGreen 和 Blue-Green。',
      observes: '每 100 ms 采样的 Deployment 的 Available condition、各 ReplicaSet 及其 Pod（是否已绑定、运行中、Ready）；etcd 中该 Deployment 对应的键；事件及其上报者；apiserver 对每种蓝绿策略类型的回答，以及 schema 中的策略类型。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'rollout');
    const file = join(ctx.workDir, 'deployment.json');
    writeFileSync(file, JSON.stringify(manifest(image)));
    const samples: RolloutSample[] = [];
    const marks: RolloutObservation['marks'] = [];
    const t0 = Date.now();
    const mark = (label: string) => {
      marks.push({ at: Date.now() - t0, label });
      ctx.timeline.note(label);
    };
    ctx.background('rollout sampler', async (signal) => {
      while (!signal.aborted) {
        samples.push(await sample(kube, namespace, t0));
        await sleep(100, signal).catch(() => undefined);
      }
    });
    const kubectl = (args: string[]) => kube.kubectl(['-n', namespace, ...args]);
    const latest = () => samples.at(-1);
    const settled = (hash?: string) => {
      const s = latest();
      return !!s && s.available && total(s, 'pods') === REPLICAS && total(s, 'ready') === REPLICAS && (!hash || serving(s).every((h) => h === hash));
    };

    ctx.step('kubectl apply');
    mark('kubectl apply');
    await kubectl(['apply', '-f', file]);
    const inEtcdAfterApply = (await etcdRange(kube.env.ETCD_ENDPOINT!, `/registry/deployments/${namespace}/web`)).length === 1;
    // One pod is held unready (its /ready fails while /tmp/unready exists) to see whether Available waits for it.
    await until(async () => total(latest() ?? { at: 0, available: false, sets: {} }, 'running') === REPLICAS, 60_000, `${REPLICAS} pods running`, 100);
    const held = (await kube.core.listNamespacedPod({ namespace })).items[0]!.metadata!.name!;
    await kubectl(['exec', held, '--', 'touch', '/tmp/unready']);
    mark(`${held} held unready`);
    const heldWasAlreadyReady = isPodReady(await kube.core.readNamespacedPod({ name: held, namespace }));
    await until(async () => latest()!.available, 15_000, 'Available', 100).catch(() => undefined);
    await sleep(1000);
    await kubectl(['exec', held, '--', 'rm', '/tmp/unready']);
    mark(`${held} released`);
    await until(async () => settled(), 90_000, `${REPLICAS} Ready pods`, 100);
    const first = serving(latest()!)[0]!;

    ctx.step('a new pod template: the rolling update');
    mark('template changed');
    await kubectl(['set', 'env', 'deployment/web', 'VERSION=2']);
    await until(async () => settled() && !serving(latest()!).includes(first), 120_000, 'the update to finish', 100);
    const update = serving(latest()!)[0]!;

    ctx.step('kubectl rollout undo');
    mark('rollout undo');
    await kubectl(['rollout', 'undo', 'deployment/web']);
    await until(async () => settled() && !serving(latest()!).includes(update), 120_000, 'the undo to finish', 100);
    const afterUndo = serving(latest()!)[0]!;
    mark('undone');

    ctx.step('the same Deployment with a blue-green strategy (dry run)');
    const blueGreen: BlueGreenAnswer[] = [];
    for (const type of BLUE_GREEN_TYPES) {
      const current = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      // Without a resourceVersion the replace is unconditional: the controller's status writes cannot make it a conflict.
      const body = { ...current, metadata: { ...current.metadata, resourceVersion: undefined }, spec: { ...current.spec!, strategy: { type } } };
      const answer = await kube.apps.replaceNamespacedDeployment({ name: 'web', namespace, body, dryRun: 'All' }).then(
        (d) => ({ code: 200, reason: '', message: '', acceptedType: d.spec?.strategy?.type ?? null }),
        (e: unknown) => ({ ...apiRefusal(e), acceptedType: null }),
      );
      blueGreen.push({ type, ...answer });
    }
    const appsSchema = JSON.parse(await kube.kubectl(['get', '--raw', '/openapi/v3/apis/apps/v1']));
    const strategyTypes: string[] = appsSchema.components?.schemas?.['io.k8s.api.apps.v1.DeploymentStrategy']?.properties?.type?.enum ?? [];

    const events = (await kube.core.listNamespacedEvent({ namespace })).items
      .map((e) => ({ at: new Date(e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? 0).getTime() - t0, reason: e.reason ?? '', component: e.reportingComponent || e.source?.component || '', object: `${e.involvedObject.kind}/${e.involvedObject.name}` }))
      .sort((a, b) => a.at - b.at);
    const observation: RolloutObservation = { replicas: REPLICAS, maxSurge: MAX_SURGE, maxUnavailable: MAX_UNAVAILABLE, samples: [...samples], marks, hashes: { first, update, afterUndo }, inEtcdAfterApply, heldWasAlreadyReady, events, blueGreen, strategyTypes };
    const kept = keptJson(ctx, 'rollout.json', observation, 'samples, marks, ReplicaSets and events (JSON)');
    return [withEvidence(judgeFlow(observation), ...kept), judgeAvailable(observation), judgeReplicaSet(observation)];
  },
});
