/**
 * Reads a lab's pod as the API returns it: still going, finished (its results are in its log), or
 * failed before any verdict (not scheduled, no image, evicted, out of time), with the reason
 * Kubernetes gave. A pod that failed that way is an error of the lab, never a verdict.
 */
import { gunzipSync } from 'node:zlib';
import type * as k8s from '@kubernetes/client-node';
import type { RunReport } from '../core/types.ts';
import { RESULTS_MARKER } from './job-spec.ts';

export type PodOutcome = { state: 'waiting' } | { state: 'finished' } | { state: 'failed'; reason: string };

/** Waiting reasons of a container that will not start without someone changing the pod or the node. */
const STUCK = ['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'];

/**
 * `unschedulableForMs`: how long the scheduler may keep refusing it before that counts as final
 * (a node may be joining, or a finished pod's room being freed).
 */
export function podOutcome(pod: k8s.V1Pod, nowMs: number, unschedulableForMs: number): PodOutcome {
  const status = pod.status ?? {};
  if (status.reason === 'Evicted' || status.reason === 'DeadlineExceeded') return { state: 'failed', reason: `pod ${status.reason.toLowerCase()}: ${status.message ?? ''}`.trim() };
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return { state: 'finished' };
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const since = scheduled.lastTransitionTime ? new Date(scheduled.lastTransitionTime).getTime() : nowMs;
    if (nowMs - since >= unschedulableForMs) return { state: 'failed', reason: `not scheduled: ${scheduled.message ?? 'Unschedulable'}` };
  }
  for (const container of status.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && STUCK.includes(waiting.reason)) return { state: 'failed', reason: `${waiting.reason}: ${waiting.message ?? ''}`.trim() };
  }
  return { state: 'waiting' };
}

/**
 * A hostPath volume whose path the node lacks or has as another type (a Docker lab's engine socket on
 * a node without a Docker engine, such as a kind node), from the pod's events: the kubelet retries
 * the mount for as long as the pod lives, so the lab can only fail.
 */
export function missingHostPath(events: k8s.CoreV1Event[]): string | undefined {
  const CHECK = 'hostPath type check failed: ';
  const failed = events.filter((event) => event.reason === 'FailedMount' && event.message?.includes(CHECK)).map((event) => event.message!.slice(event.message!.indexOf(CHECK) + CHECK.length));
  return failed.length ? `its node lacks what it mounts from the node: ${[...new Set(failed)].sort().join('; ')}` : undefined;
}

/** Why a Job failed (its Failed condition: DeadlineExceeded, BackoffLimitExceeded), or undefined. */
export function jobFailed(job: k8s.V1Job): string | undefined {
  const failed = failedCondition(job);
  return failed ? `Job failed: ${failed.reason}: ${failed.message ?? ''}`.trim() : undefined;
}

export function failedCondition(job: k8s.V1Job): k8s.V1JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
}

/**
 * The results a Job's run printed after the marker, or why there are none (how its log ends before).
 * The log interleaves the run's stdout and stderr: the results are the line after the marker that is
 * all base64.
 */
export function resultsFromLog(log: string): { report: RunReport } | { missing: string } {
  const at = log.lastIndexOf(`${RESULTS_MARKER}\n`);
  const before = (at < 0 ? log : log.slice(0, at)).trim().split('\n').at(-1) ?? '';
  const ends = before ? `; its log ends: ${before}` : '';
  if (at < 0) return { missing: `the pod ended before its run did${ends}` };
  const encoded = log.slice(at + RESULTS_MARKER.length + 1).split('\n').find((line) => /^[A-Za-z0-9+/]{16,}={0,2}$/.test(line));
  try {
    const report = JSON.parse(gunzipSync(Buffer.from(encoded ?? '', 'base64')).toString('utf8')) as RunReport;
    if (Array.isArray(report.labs)) return { report };
  } catch {
    // said below
  }
  return { missing: `the pod's run printed no results${ends}` };
}

/** How the lab's container ended ("Error, exit code 1"), when it has. */
export function containerEnd(pod: k8s.V1Pod): string | undefined {
  const ended = pod.status?.containerStatuses?.find((c) => c.name === 'lab')?.state?.terminated;
  return ended ? `${ended.reason ?? 'terminated'}, exit code ${ended.exitCode}` : undefined;
}
