/**
 * A lab as a Kubernetes Job: one pod of the project's image running `labs run <lab> --json`, with
 * the privileges the lab's declared capabilities need and no others.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Capability } from '../core/lab.ts';
import { JOB_RUN_ID_ENV, RUN_LABEL } from '../resources/run-state.ts';

export const LAB_LABEL = 'io.labs.lab';
/** The Job's pod prints this line, then the run's --json results, after the run has ended. */
export const RESULTS_MARKER = '--- labs results ---';

/**
 * What a pod needs for a lab. Network-namespace labs need a privileged container: with only
 * NET_ADMIN, SYS_ADMIN and NET_RAW the namespaces can be made, but /proc/sys stays read-only and a
 * lab's `sysctl -w` is refused. Docker labs reach the node's engine through its socket, and the
 * node's network, because the engine publishes their ports on the node's 127.0.0.1.
 */
export interface PodPrivileges {
  privileged: boolean;
  hostDocker: boolean;
}

const NETWORK_ADMINISTRATION: readonly Capability[] = ['root', 'netns', 'iptables', 'tc-netem', 'nfqueue', 'tcpdump', 'tshark'];
const CLUSTER: readonly Capability[] = ['kubernetes', 'kubernetes-node', 'kubernetes-build'];

export function podPrivileges(requires: readonly Capability[]): PodPrivileges {
  return { privileged: requires.some((need) => NETWORK_ADMINISTRATION.includes(need)), hostDocker: requires.includes('docker') };
}

/** Why a lab does not run as a Job (it is about a cluster, the one Jobs would run on), or undefined. */
export function notAJob(requires: readonly Capability[]): string | undefined {
  const cluster = requires.filter((need) => CLUSTER.includes(need));
  return cluster.length ? `needs ${cluster.join(', ')}: a Kubernetes lab works on the cluster itself, so the runner runs it there, not in a pod` : undefined;
}

export interface JobRequest {
  lab: { id: string; requires: readonly Capability[]; timeLimitMs: number };
  runId: string;
  namespace: string;
  image: string;
  nodeSelector?: Record<string, string>;
  /** Passed on to the pod's `labs run` (e.g. --lang). */
  args?: string[];
}

/** Time a pod gets beyond its lab's limit: its images are built or found, its capabilities probed. */
const SETUP_ALLOWANCE_S = 600;

/** A DNS-1123 name for the lab's Job (labs ids are lower-case words and dashes already). */
export function jobName(labId: string): string {
  return `lab-${labId}`.slice(0, 63).replace(/-+$/, '');
}

export function labJob(request: JobRequest): k8s.V1Job {
  const { lab, runId } = request;
  const privileges = podPrivileges(lab.requires);
  const labels = { [RUN_LABEL]: runId, [LAB_LABEL]: lab.id };
  const script = `node src/cli/labs.mjs run "$0" --json "$@" > /tmp/results.json; code=$?; echo '${RESULTS_MARKER}'; cat /tmp/results.json; exit $code`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(lab.id), namespace: request.namespace, labels },
    spec: {
      // A failed lab is reported, not retried: --retries is the runner's, and it is about evidence.
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil(lab.timeLimitMs / 1000) + SETUP_ALLOWANCE_S,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          // Time for the lab to dispose of what it made (containers on the node's engine) when the Job is deleted.
          terminationGracePeriodSeconds: 30,
          ...(request.nodeSelector && Object.keys(request.nodeSelector).length ? { nodeSelector: request.nodeSelector } : {}),
          ...(privileges.hostDocker ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          ...(privileges.hostDocker ? { volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }] } : {}),
          containers: [
            {
              name: 'lab',
              image: request.image,
              imagePullPolicy: 'Never',
              command: ['sh', '-c', script, lab.id, ...(request.args ?? [])],
              env: [{ name: JOB_RUN_ID_ENV, value: runId }],
              ...(privileges.privileged ? { securityContext: { privileged: true } } : {}),
              ...(privileges.hostDocker ? { volumeMounts: [{ name: 'docker', mountPath: '/var/run/docker.sock' }] } : {}),
            },
          ],
        },
      },
    },
  };
}
