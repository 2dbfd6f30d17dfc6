/**
 * A lab as a Kubernetes Job: one pod of the project's image running `labs run <lab> --json`, with
 * the privileges the lab's declared capabilities need and no others.
 */
import { gzipSync } from 'node:zlib';
import type * as k8s from '@kubernetes/client-node';
import type { Capability } from '../core/lab.ts';
import { JOB_RUN_ID_ENV, LAB_LABEL, RUN_LABEL } from '../resources/run-state.ts';

/**
 * A Job's run (LABS_JOB_RUN_ID set) prints this line when it has ended, then its --json results
 * gzipped, in base64 on one line: a log is rotated at the kubelet's containerLogMaxSize (10 MiB by
 * default), and a lab's results with its evidence can be larger than that; compressed, a tenth.
 */
export const RESULTS_MARKER = '--- labs results ---';

/** The results as a Job's run prints them for the runner. */
export function resultsForRunner(json: string): string {
  return `${RESULTS_MARKER}\n${gzipSync(json).toString('base64')}\n`;
}

/**
 * What a pod needs for a lab. Network-namespace labs need a privileged container: with only
 * NET_ADMIN, SYS_ADMIN and NET_RAW the namespaces can be made, but /proc/sys stays read-only and a
 * lab's `sysctl -w` is refused. A Docker lab works on the node's engine (its socket, which is root on
 * the node already) and on what the engine makes there: ports published on the node's 127.0.0.1
 * (the node's network), processes by the node's ids (its process table), containers' network
 * namespaces attached by those ids (a privileged container, as `ip netns attach` mounts), their
 * layers under /var/lib/docker and their cgroups under /sys/fs/cgroup (the node's, read-only).
 */
export interface PodPrivileges {
  privileged: boolean;
  hostDocker: boolean;
}

const NETWORK_ADMINISTRATION: readonly Capability[] = ['root', 'netns', 'iptables', 'tc-netem', 'nfqueue', 'tcpdump', 'tshark'];
const CLUSTER: readonly Capability[] = ['kubernetes', 'kubernetes-node', 'kubernetes-build'];

export function podPrivileges(requires: readonly Capability[]): PodPrivileges {
  const hostDocker = requires.includes('docker');
  return { privileged: hostDocker || requires.some((need) => NETWORK_ADMINISTRATION.includes(need)), hostDocker };
}

/** The node's paths a Docker lab reads, mounted where the lab looks for them. */
const DOCKER_NODE_PATHS = [
  { name: 'docker', path: '/var/run/docker.sock', type: 'Socket', readOnly: false },
  { name: 'docker-root', path: '/var/lib/docker', type: 'Directory', readOnly: true },
  { name: 'cgroups', path: '/sys/fs/cgroup', type: 'Directory', readOnly: true },
] as const;

/** Why a lab does not run as a Job (it is about a cluster, the one Jobs would run on), or undefined. */
export function notAJob(requires: readonly Capability[]): string | undefined {
  const cluster = requires.filter((need) => CLUSTER.includes(need));
  return cluster.length ? `needs ${cluster.join(', ')}: a Kubernetes lab works on the cluster itself, so the runner runs it there, not in a pod` : undefined;
}

/**
 * The order Jobs run in. Labs that share a run-scoped resource (the Kafka cluster) would take turns
 * with one on a host; as Jobs each pod starts its own, so they run one after another, a chain per
 * resource, and with no other Job beside them: three brokers starting in every pod skewed a
 * neighbour's timing on a 2-core node (measured: quic-handshake's one-round-trip claims came out
 * refuted beside kafka-producer). Then the labs marked `alone`, one at a time.
 */
export function jobOrder<L extends { alone: boolean; starts: { shared: string[] } }>(labs: readonly L[]): { together: L[]; chains: L[][]; alone: L[] } {
  const chains: L[][] = [];
  for (const lab of labs.filter((l) => !l.alone && l.starts.shared.length)) {
    const sharing = chains.filter((chain) => chain.some((other) => other.starts.shared.some((resource) => lab.starts.shared.includes(resource))));
    for (const chain of sharing) chains.splice(chains.indexOf(chain), 1);
    chains.push([...sharing.flat(), lab]);
  }
  return { together: labs.filter((l) => !l.alone && !l.starts.shared.length), chains, alone: labs.filter((l) => l.alone) };
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

/**
 * A host's /dev/shm is half its memory; a container's is 64 MiB, less than a lab's shared-memory
 * object (os-ipc maps 128 MiB). Memory-backed, as Kubernetes gives a pod a bigger /dev/shm.
 */
const SHARED_MEMORY = {
  volume: { name: 'dev-shm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } },
  mount: { name: 'dev-shm', mountPath: '/dev/shm' },
};

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
          ...(privileges.hostDocker ? { hostNetwork: true, hostPID: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          volumes: [SHARED_MEMORY.volume, ...(privileges.hostDocker ? DOCKER_NODE_PATHS.map(({ name, path, type }) => ({ name, hostPath: { path, type } })) : [])],
          containers: [
            {
              name: 'lab',
              image: request.image,
              imagePullPolicy: 'Never',
              // No shell between: the runtime's SIGTERM (the Job deleted) reaches the run, which cleans up.
              command: ['node', 'src/cli/labs.mjs', 'run', lab.id, '--json', ...(request.args ?? [])],
              env: [{ name: JOB_RUN_ID_ENV, value: runId }],
              ...(privileges.privileged ? { securityContext: { privileged: true } } : {}),
              volumeMounts: [SHARED_MEMORY.mount, ...(privileges.hostDocker ? DOCKER_NODE_PATHS.map(({ name, path, readOnly }) => ({ name, mountPath: path, ...(readOnly ? { readOnly } : {}) })) : [])],
            },
          ],
        },
      },
    },
  };
}
