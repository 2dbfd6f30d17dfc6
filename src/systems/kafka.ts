/**
 * A three-node Apache Kafka cluster in KRaft mode (each node a broker and a controller), in
 * containers built from docker/kafka, shared by the Kafka labs of a run: started once, reset
 * between labs (brokers running, no topics left). A client container of the same image runs
 * Kafka's own tools and the labs' workload client (docker/kafka/LabClient.java), whose JSON lines
 * the labs read as events; every broker and the client are hosts for faults and captures.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { startContainer, type Container, type ContainerProcess } from '../resources/container.ts';
import { createSubnetNetwork, type ExecResult } from '../resources/docker.ts';
import { imageFor } from '../resources/images.ts';
import type { Scope } from '../resources/scope.ts';
import type { SharedResource } from '../resources/shared.ts';
import { EventLog } from '../resources/event-log.ts';
import { until } from '../resources/wait.ts';
import { cancellable } from '../resources/cancel.ts';

export const BROKERS = ['broker1', 'broker2', 'broker3'] as const;
export type BrokerName = (typeof BROKERS)[number];

/**
 * Broker settings every Kafka lab relies on. `offsets.topic.num.partitions` is 10, not a multiple
 * of 3, so that "hash(group) % brokers" and "hash(group) % partitions" name different brokers;
 * retention is checked every second so that deletions can be timed.
 */
export const CLUSTER_SETTINGS = {
  'offsets.topic.num.partitions': '10',
  'log.retention.check.interval.ms': '1000',
  'group.initial.rebalance.delay.ms': '0',
  'log.initial.task.delay.ms': '0',
} as const;

/** One line of the workload client: `t` is its wall clock in ms, `e` the event. */
export interface KafkaEvent {
  t: number;
  e: string;
  [field: string]: unknown;
}

export interface KafkaClientRun {
  readonly events: KafkaEvent[];
  onEvent(listener: (event: KafkaEvent) => void): void;
  waitFor(predicate: (event: KafkaEvent) => boolean, timeoutMs: number, what: string): Promise<KafkaEvent>;
  /** Closes its input: a consumer leaves its group politely and exits. */
  stop(): Promise<void>;
  /** SIGKILL: a consumer or producer that crashes. */
  kill(): void;
  readonly ended: Promise<void>;
}

export interface KafkaCluster {
  readonly brokers: Record<BrokerName, Container>;
  readonly client: Container;
  readonly bootstrap: string;
  readonly clusterId: string;
  readonly version: string;
  readonly settings: Record<string, string>;
  nodeId(broker: BrokerName): number;
  brokerOf(nodeId: number): BrokerName;
  /** Runs one of Kafka's tools (`kafka-topics`, `kafka-dump-log`, …) in the client container. */
  tool(name: string, args: string[]): Promise<ExecResult>;
  /** Creates a topic; `replicaAssignment` (e.g. "1,1": two partitions, each on node 1) pins its replicas instead of a replication factor. */
  createTopic(name: string, spec: { partitions: number; replicationFactor?: number; replicaAssignment?: string; config?: Record<string, string> }): Promise<void>;
  /** Starts the workload client; `scope` kills it if it still runs when the scope closes. */
  start(scope: Scope, mode: string, options: Record<string, string | number | boolean>): Promise<KafkaClientRun>;
  /** Runs the workload client to its end and returns its events. */
  call(scope: Scope, mode: string, options: Record<string, string | number | boolean>, timeoutMs?: number): Promise<KafkaEvent[]>;
  /** Every broker running and every partition's ISR complete. */
  waitHealthy(timeoutMs: number): Promise<void>;
}

const arg = ([name, value]: [string, string | number | boolean]) => `${name}=${value}`;

function clientRun(process: ContainerProcess): KafkaClientRun {
  const log = new EventLog<KafkaEvent>();
  process.onLine((line) => {
    if (line.startsWith('{')) log.push(JSON.parse(line) as KafkaEvent);
  });
  return {
    events: log.events,
    ended: process.ended,
    onEvent: (listener) => log.onEvent(listener),
    waitFor: (predicate, timeoutMs, what) => log.waitFor(predicate, timeoutMs, () => new Error(`no ${what} within ${timeoutMs} ms (last output: ${process.lines.slice(-2).join(' | ')})`)),
    async stop() {
      process.closeInput();
      await process.ended;
    },
    kill: () => process.kill('SIGKILL'),
  };
}

/** A cluster id as Kafka makes them: 16 random bytes in base64url, never starting with "-" (a command line would take it for an option). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function startCluster(scope: Scope, runId: string): Promise<KafkaCluster> {
  const image = await imageFor('kafka');
  // Fixed addresses: a broker killed and started again must come back where its peers' Raft clients
  // (which cache the address of each voter's name) look for it, not at an address another one took.
  const { network, subnet } = await createSubnetNetwork(scope, runId, 'kafka', () => `198.19.${randomInt(200, 255)}.0/24`);
  const address = (host: number) => subnet.replace(/\.0\/24$/, `.${host}`);
  const clusterId = newClusterId();
  const voters = BROKERS.map((name, i) => `${i + 1}@${name}:9093`).join(',');
  const settings: Record<string, string> = { ...CLUSTER_SETTINGS };
  const config = Object.fromEntries(Object.entries(settings).map(([k, v]) => [`KAFKA_CFG_${k.replaceAll('.', '_')}`, v]));
  const [clientContainer, ...brokerContainers] = await Promise.all([
    startContainer(scope, runId, { image, name: 'kclient', network, ip: address(20), cmd: ['sleep', 'infinity'] }),
    ...BROKERS.map((name, i) =>
      startContainer(scope, runId, {
        image,
        name,
        network,
        ip: address(11 + i),
        env: { KAFKA_NODE_ID: String(i + 1), KAFKA_CLUSTER_ID: clusterId, KAFKA_CONTROLLER_QUORUM_VOTERS: voters, ...config },
      }),
    ),
  ]);
  const brokers = Object.fromEntries(BROKERS.map((name, i) => [name, brokerContainers[i]!])) as Record<BrokerName, Container>;
  await Promise.all(Object.values(brokers).map((b) => b.waitUntilReady({ log: /Kafka Server started/ }, 90_000)));
  const client = clientContainer!;
  const bootstrap = Object.values(brokers).map((b) => `${b.address}:9092`).join(',');
  const tool = (name: string, args: string[]) => client.exec([name, ...args]);
  const version = (await tool('kafka-topics', ['--version'])).stdout.trim().split(/\s/)[0] ?? 'unknown';

  const cluster: KafkaCluster = {
    brokers,
    client,
    bootstrap,
    clusterId,
    version,
    settings,
    nodeId: (broker) => BROKERS.indexOf(broker) + 1,
    brokerOf: (nodeId) => BROKERS[nodeId - 1]!,
    tool,
    async createTopic(name, spec) {
      const configs = Object.entries(spec.config ?? {}).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
      const placement = spec.replicaAssignment ? ['--replica-assignment', spec.replicaAssignment] : ['--partitions', String(spec.partitions), '--replication-factor', String(spec.replicationFactor ?? 3)];
      const created = await tool('kafka-topics', ['--bootstrap-server', bootstrap, '--create', '--topic', name, ...placement, ...configs]);
      if (created.exitCode !== 0) throw new Error(`kafka-topics --create ${name}: ${(created.stderr || created.stdout).trim().split('\n')[0]}`);
    },
    async start(owner, mode, options) {
      const args = Object.entries({ bootstrap, ...options }).map(arg);
      return clientRun(await client.spawn(owner, ['kafka-lab-client', mode, ...args]));
    },
    async call(owner, mode, options, timeoutMs = 60_000) {
      const process = await client.spawn(owner, ['kafka-lab-client', mode, ...Object.entries({ bootstrap, ...options }).map(arg)]);
      const run = clientRun(process);
      const late = () => new Error(`kafka-lab-client ${mode} did not end within ${timeoutMs} ms; its last lines: ${process.lines.slice(-3).join(' | ')}`);
      await cancellable(Promise.race([run.ended, new Promise((_, reject) => setTimeout(() => reject(late()), timeoutMs).unref())]));
      return run.events;
    },
    async waitHealthy(timeoutMs) {
      for (const broker of Object.values(brokers)) {
        if (!(await broker.running())) await broker.start();
      }
      await until(async () => {
        const described = await tool('kafka-topics', ['--bootstrap-server', bootstrap, '--describe', '--under-replicated-partitions']);
        const unavailable = await tool('kafka-topics', ['--bootstrap-server', bootstrap, '--describe', '--unavailable-partitions']);
        return described.exitCode === 0 && unavailable.exitCode === 0 && !described.stdout.trim() && !unavailable.stdout.trim();
      }, timeoutMs, 'every partition fully replicated', 500);
    },
  };
  return cluster;
}

/** The run's Kafka cluster: three brokers, started by the first Kafka lab. */
export const kafkaCluster: SharedResource<KafkaCluster> = {
  key: 'kafka-cluster',
  describe: 'a three-broker Kafka cluster (KRaft)',
  images: ['kafka'],
  start: startCluster,
  async reset(cluster) {
    await Promise.all(Object.values(cluster.brokers).map((b) => b.unpause().catch(() => undefined)));
    // start() on a running broker changes nothing but attaches its namespace name again, so that a
    // restart an earlier lab left half done cannot leave the name on a dead namespace.
    for (const broker of Object.values(cluster.brokers)) await broker.start();
    const topics = (await cluster.tool('kafka-topics', ['--bootstrap-server', cluster.bootstrap, '--list', '--exclude-internal'])).stdout.split('\n').filter(Boolean);
    if (topics.length) await cluster.tool('kafka-topics', ['--bootstrap-server', cluster.bootstrap, '--delete', '--topic', topics.join(',')]);
    await cluster.waitHealthy(60_000);
  },
  hostsOf: (cluster) => ({ ...cluster.brokers, kclient: cluster.client }),
};
