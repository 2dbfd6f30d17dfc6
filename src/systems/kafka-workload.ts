/**
 * Workloads on the run's Kafka cluster, counted as Jepsen counts: a producer whose every write is an
 * operation on the lab's timeline, the records read back from the start of a topic, and the tally
 * of what was acknowledged against what can be read.
 */
import type { Scope } from '../resources/scope.ts';
import type { Timeline } from '../resources/timeline.ts';
import type { KafkaCluster, KafkaEvent } from './kafka.ts';

/** One workload's tally, Jepsen-style: what was acknowledged, refused or left unknown, and what was read back. */
export interface Tally {
  sent: number;
  acknowledged: string[];
  refused: { key: string; error: string }[];
  readBack: string[];
}

export const lost = (t: Tally) => {
  const read = new Set(t.readBack);
  return t.acknowledged.filter((k) => !read.has(k));
};
export const duplicated = (keys: string[]) => {
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen.entries()].filter(([, n]) => n > 1).map(([k]) => k);
};

export const keysOf = (events: KafkaEvent[], e: string) => events.filter((x) => x.e === e).map((x) => String(x.k));

/** Runs a producer to its end, recording each write on the timeline; returns its tally without the read-back. */
export async function write(kafka: KafkaCluster, scope: Scope, timeline: Timeline, name: string, options: Record<string, string | number | boolean>, during?: () => Promise<void>): Promise<Omit<Tally, 'readBack'> & { events: KafkaEvent[] }> {
  const run = await kafka.start(scope, 'produce', options);
  const open = new Map<string, ReturnType<Timeline['invoke']>>();
  run.onEvent((event) => {
    const key = String(event.k);
    if (event.e === 'send') open.set(key, timeline.invoke(name, 'write', key));
    if (event.e === 'ack') open.get(key)?.ok(`offset ${event.o}`);
    if (event.e === 'err') {
      const error = String(event.x);
      // NotEnoughReplicas is refused before the leader appends; a time-out may or may not have been written.
      if (/NotEnoughReplicasException|RecordTooLarge|InvalidTopic/.test(error)) open.get(key)?.fail(error);
      else open.get(key)?.info(error);
    }
  });
  if (during) await during();
  await run.ended;
  const events = run.events;
  return { sent: keysOf(events, 'send').length, acknowledged: keysOf(events, 'ack'), refused: events.filter((e) => e.e === 'err').map((e) => ({ key: String(e.k), error: String(e.x) })), events };
}

export async function readBack(kafka: KafkaCluster, scope: Scope, topic: string): Promise<string[]> {
  const events = await kafka.call(scope, 'dump', { topic, 'timeout-ms': 30_000 }, 60_000);
  const end = events.find((e) => e.e === 'end');
  if (!end?.complete) throw new Error(`could not read ${topic} to its end`);
  return keysOf(events, 'rec');
}

export async function leaderOf(kafka: KafkaCluster, scope: Scope, topic: string): Promise<{ leader: number; isr: number[] }> {
  const found = (await kafka.call(scope, 'partitions', { topic })).find((e) => e.e === 'partition');
  return { leader: Number(found?.leader ?? -1), isr: (found?.isr as number[]) ?? [] };
}
