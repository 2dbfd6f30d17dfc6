/**
 * Lab: the namespaces a cluster starts with, a Job run to completion, and a CronJob's schedule.
 *
 * Starts: the run's Kubernetes cluster (the local provider's one node, or an existing cluster).
 *
 * Does: lists the namespaces the lab did not make; runs a Job of 3 completions, 2 at a time, each
 * pod working 2 s; creates a CronJob scheduled every minute and waits for its first Job.
 *
 * Observes: the namespaces and when they were made; the Job's pods every 200 ms (running,
 * succeeded) and its conditions; the CronJob's Jobs, when each was made and whether it completed.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';
import { kubernetesCluster, NAMESPACE_LABEL } from '../../src/systems/kubernetes.ts';

const COMPLETIONS = 3;
const PARALLELISM = 2;
const SHEET_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

export interface JobsObservation {
  /** Namespaces not made by a lab, with their age when listed (s). */
  namespaces: { name: string; ageSeconds: number }[];
  job: { samples: { at: number; running: number; succeeded: number; failed: number }[]; conditions: string[]; succeeded: number; pods: { name: string; phase: string; restarts: number }[]; completions: number; parallelism: number };
  cronJob: { schedule: string; jobs: { name: string; createdAt: string; secondOfMinute: number; complete: boolean }[]; waitedMs: number };
}

export function judgeNamespaces(o: JobsObservation): ClaimResult {
  const names = o.namespaces.map((n) => n.name).sort();
  const missing = SHEET_NAMESPACES.filter((n) => !names.includes(n));
  const extra = names.filter((n) => !SHEET_NAMESPACES.includes(n));
  const observed = { namespaces: names, missing, extra };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Namespaces no lab made', columns: ['namespace', 'age when listed (s)'], rows: o.namespaces.map((n) => [n.name, n.ageSeconds]) }];
  if (missing.length) return { id: 'k8s.namespace.defaults', verdict: 'refuted', summary: `The cluster started without ${missing.join(', ')} (it had ${names.join(', ')}).`, summaryZh: `集群启动时没有 ${missing.join(', ')}（它有的是 ${names.join(', ')}）。`, observed, evidence };
  if (extra.length) return { id: 'k8s.namespace.defaults', verdict: 'nuanced', summary: `The four namespaces were there, and also ${extra.join(', ')}.`, summaryZh: `这四个命名空间都在，此外还有 ${extra.join(', ')}。`, observed, evidence };
  const ages = o.namespaces.map((n) => n.ageSeconds);
  return { id: 'k8s.namespace.defaults', verdict: 'confirmed', summary: `The cluster had exactly ${names.join(', ')} besides the labs' own, ${Math.min(...ages)}-${Math.max(...ages)} s old when listed.`, summaryZh: `除各实验自己创建的命名空间外，集群恰好只有 ${names.join(', ')}，列出时它们已存在 ${Math.min(...ages)}-${Math.max(...ages)} s。`, observed, evidence };
}

export function judgeJobs(o: JobsObservation): ClaimResult {
  const j = o.job;
  const maxRunning = Math.max(0, ...j.samples.map((s) => s.running));
  const succeeded = j.succeeded;
  const complete = j.conditions.includes('Complete');
  const restarts = j.pods.reduce((a, p) => a + p.restarts, 0);
  const cron = o.cronJob.jobs[0];
  const observed = { completions: j.completions, parallelism: j.parallelism, maxRunningAtOnce: maxRunning, succeeded, conditions: j.conditions, podsLeft: j.pods.map((p) => `${p.name} ${p.phase}`), restarts, cronJobFirstJob: cron ?? null, cronJobWaitedMs: o.cronJob.waitedMs };
  const evidence: Evidence[] = [
    { kind: 'series', title: `The Job's pods (completions ${j.completions}, parallelism ${j.parallelism})`, xLabel: 'ms since the Job was created', yLabel: 'pods', series: [{ name: 'running', points: j.samples.map((s) => [s.at, s.running]) }, { name: 'succeeded', points: j.samples.map((s) => [s.at, s.succeeded]) }] },
    { kind: 'table', title: `The CronJob (schedule "${o.cronJob.schedule}") and the Jobs it made`, columns: ['Job', 'created', 'second of the minute', 'complete'], rows: o.cronJob.jobs.map((c) => [c.name, c.createdAt, c.secondOfMinute, c.complete ? 'yes' : 'no']) },
  ];
  const jobOk = complete && succeeded === j.completions && maxRunning <= j.parallelism && restarts === 0 && j.pods.every((p) => p.phase === 'Succeeded');
  if (!jobOk) return { id: 'k8s.job.run-to-completion', verdict: 'refuted', summary: `The Job did not run to completion as asked: ${succeeded} of ${j.completions} succeeded, at most ${maxRunning} at once (parallelism ${j.parallelism}), conditions ${j.conditions.join(', ') || 'none'}, ${restarts} restarts.`, summaryZh: `Job 没有按要求运行至完成：${j.completions} 个中成功了 ${succeeded} 个，同时最多运行 ${maxRunning} 个（并行度 ${j.parallelism}），conditions 为 ${j.conditions.join(', ') || '无'}，重启 ${restarts} 次。`, observed, evidence };
  if (!cron) return { id: 'k8s.job.run-to-completion', verdict: 'nuanced', summary: `The Job ran ${succeeded} pods to completion, at most ${maxRunning} at once, and is Complete; the CronJob made no Job in ${o.cronJob.waitedMs / 1000} s.`, summaryZh: `Job 让 ${succeeded} 个 Pod 运行至完成，同时最多运行 ${maxRunning} 个，状态为 Complete；但 CronJob 在 ${o.cronJob.waitedMs / 1000} s 内没有创建任何 Job。`, observed, evidence };
  return {
    id: 'k8s.job.run-to-completion',
    verdict: 'confirmed',
    summary: `The Job ran ${succeeded} pods to completion, never more than ${maxRunning} at once (parallelism ${j.parallelism}), none restarted, and is Complete; its pods stay as Succeeded rather than being started again. The CronJob made its first Job ${cron.secondOfMinute} s into a minute (${cron.createdAt}), ${cron.complete ? 'which completed' : 'still running when the lab stopped'}: it makes Jobs on its schedule, the Jobs run the pods.`,
    summaryZh: `Job 让 ${succeeded} 个 Pod 运行至完成，同时运行的从未超过 ${maxRunning} 个（并行度 ${j.parallelism}），没有任何重启，状态为 Complete；它的 Pod 停留在 Succeeded 状态，而不会被再次启动。CronJob 在某一分钟的第 ${cron.secondOfMinute} s 创建了第一个 Job（${cron.createdAt}），${cron.complete ? '该 Job 已完成' : '实验结束时它仍在运行'}：CronJob 按计划创建 Job，再由 Job 运行 Pod。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'k8s-jobs',
  title: "A cluster's first namespaces, a Job run to completion, a CronJob on its schedule",
  topic: 'k8s',
  claims: ['k8s.namespace.defaults', 'k8s.job.run-to-completion'],
  requires: ['docker', 'kubernetes'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's Kubernetes cluster.",
    does: `Lists the namespaces no lab made; runs a Job of ${COMPLETIONS} completions, ${PARALLELISM} at a time; creates a CronJob every minute and waits for its first Job.`,
    observes: "Namespaces and their age, the Job's pods every 200 ms and its conditions, the CronJob's Jobs and when each was made.",
    zh: {
      title: '集群初始的命名空间、运行至完成的 Job、按计划触发的 CronJob',
      starts: '本次运行的 Kubernetes 集群。',
      does: '列出不是由任何实验创建的命名空间；运行一个需完成 3 次、并行度为 2 的 Job；创建一个每分钟触发的 CronJob，等待它创建第一个 Job。',
      observes: '各命名空间及其存在时长；每 200 ms 采样的 Job 所属 Pod 及 Job 的 conditions；CronJob 创建的各个 Job 及其创建时间。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const image = await kube.loadImage('backend');
    const now = Date.now();
    const namespaces = (await kube.core.listNamespace()).items
      .filter((n) => !n.metadata?.labels?.[NAMESPACE_LABEL])
      .map((n) => ({ name: n.metadata!.name!, ageSeconds: Math.round((now - new Date(n.metadata!.creationTimestamp!).getTime()) / 1000) }));
    const namespace = await kube.namespace(ctx.scope, 'jobs');
    const batch = kube.batch;
    const podSpec = (command: string) => ({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'work', image, imagePullPolicy: 'Never', command: ['sh', '-c', command] }] });

    ctx.step(`a Job: ${COMPLETIONS} completions, ${PARALLELISM} at a time`);
    const t0 = Date.now();
    await batch.createNamespacedJob({ namespace, body: { metadata: { name: 'work' }, spec: { completions: COMPLETIONS, parallelism: PARALLELISM, backoffLimit: 0, template: { spec: podSpec('sleep 2') } } } });
    const samples: JobsObservation['job']['samples'] = [];
    await until(async () => {
      const pods = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'job-name=work' })).items;
      samples.push({ at: Date.now() - t0, running: pods.filter((p) => p.status?.phase === 'Running').length, succeeded: pods.filter((p) => p.status?.phase === 'Succeeded').length, failed: pods.filter((p) => p.status?.phase === 'Failed').length });
      const job = await batch.readNamespacedJob({ name: 'work', namespace });
      return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    }, 60_000, 'the Job to finish', 200);
    const job = await batch.readNamespacedJob({ name: 'work', namespace });
    const pods = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'job-name=work' })).items.map((p) => ({ name: p.metadata!.name!, phase: p.status?.phase ?? '', restarts: p.status?.containerStatuses?.[0]?.restartCount ?? 0 }));

    ctx.step('a CronJob every minute: waiting for its first Job');
    const schedule = '* * * * *';
    await batch.createNamespacedCronJob({ namespace, body: { metadata: { name: 'tick' }, spec: { schedule, jobTemplate: { spec: { backoffLimit: 0, template: { spec: podSpec('echo tick') } } } } } });
    const cronFrom = Date.now();
    const cronJobs = async () => (await batch.listNamespacedJob({ namespace })).items.filter((j) => j.metadata?.ownerReferences?.some((r) => r.kind === 'CronJob'));
    await until(async () => (await cronJobs()).length > 0, 75_000, "the CronJob's first Job", 1000).catch(() => undefined);
    const waitedMs = Date.now() - cronFrom;
    await until(async () => (await cronJobs()).every((j) => j.status?.succeeded), 30_000, 'its Job to complete', 500).catch(() => undefined);
    await sleep(200);
    const made = (await cronJobs()).map((j) => {
      const created = new Date(j.metadata!.creationTimestamp!);
      return { name: j.metadata!.name!, createdAt: created.toISOString(), secondOfMinute: created.getUTCSeconds(), complete: (j.status?.succeeded ?? 0) > 0 };
    });

    const observation: JobsObservation = {
      namespaces,
      job: { samples, conditions: (job.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type), succeeded: job.status?.succeeded ?? 0, pods, completions: COMPLETIONS, parallelism: PARALLELISM },
      cronJob: { schedule, jobs: made, waitedMs },
    };
    const kept = keptJson(ctx, 'jobs.json', observation, 'namespaces, Job samples and CronJob runs (JSON)');
    return [withEvidence(judgeNamespaces(observation), ...kept), judgeJobs(observation)];
  },
});
