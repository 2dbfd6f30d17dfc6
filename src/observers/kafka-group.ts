/**
 * What a consumer group did, read from the workload client's events (docker/kafka/LabClient.java):
 * which partitions each member held when (from its rebalance listener's assigned, revoked and lost
 * callbacks), when it received each record, and which records were delivered more than once.
 */
export interface ClientEvent {
  t: number;
  e: string;
  p?: number | number[];
  o?: number;
  k?: string;
  [field: string]: unknown;
}

export interface MemberLog {
  name: string;
  events: ClientEvent[];
}

export interface Holding {
  member: string;
  partition: number;
  from: number;
  to: number;
}

const list = (p: ClientEvent['p']) => (Array.isArray(p) ? p : p === undefined ? [] : [p]);

/** Every interval in which a member held a partition; one still held ends at `end`. */
export function holdings(member: MemberLog, end: number): Holding[] {
  const since = new Map<number, number>();
  const spans: Holding[] = [];
  const release = (partition: number, at: number) => {
    const from = since.get(partition);
    if (from === undefined) return;
    spans.push({ member: member.name, partition, from, to: at });
    since.delete(partition);
  };
  for (const event of member.events) {
    if (event.e === 'assigned') for (const p of list(event.p)) if (!since.has(p)) since.set(p, event.t);
    if (event.e === 'revoked' || event.e === 'lost') for (const p of list(event.p)) release(p, event.t);
    if (event.e === 'closed') for (const p of [...since.keys()]) release(p, event.t);
  }
  for (const p of [...since.keys()]) release(p, end);
  return spans.sort((a, b) => a.from - b.from || a.partition - b.partition);
}

/** The intervals in which a member that had held partitions held none, while it was still a member. */
export function emptyHanded(member: MemberLog, end: number): { from: number; to: number }[] {
  const spans = holdings(member, end);
  if (!spans.length) return [];
  const closed = member.events.find((e) => e.e === 'closed')?.t ?? end;
  const gaps: { from: number; to: number }[] = [];
  let reach = spans[0]!.from;
  for (const span of spans) {
    if (span.from > reach) gaps.push({ from: reach, to: span.from });
    reach = Math.max(reach, span.to);
  }
  if (reach < closed) gaps.push({ from: reach, to: closed });
  return gaps.filter((g) => g.to > g.from);
}

/** Times at which the member received records. */
export function receiptTimes(member: MemberLog): number[] {
  return member.events.filter((e) => e.e === 'rec').map((e) => e.t);
}

/** The longest pause between two records the member received inside [from, to]. */
export function longestPause(member: MemberLog, from: number, to: number): number {
  const times = receiptTimes(member).filter((t) => t >= from && t <= to);
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return longest;
}

export interface Delivery {
  member: string;
  t: number;
}

/** Records (partition/offset) delivered more than once, with every delivery. */
export function duplicates(members: MemberLog[]): { partition: number; offset: number; deliveries: Delivery[] }[] {
  const seen = new Map<string, Delivery[]>();
  for (const member of members) {
    for (const event of member.events) {
      if (event.e !== 'rec') continue;
      const key = `${event.p}/${event.o}`;
      seen.set(key, [...(seen.get(key) ?? []), { member: member.name, t: event.t }]);
    }
  }
  return [...seen.entries()]
    .filter(([, d]) => d.length > 1)
    .map(([key, deliveries]) => {
      const [partition, offset] = key.split('/').map(Number);
      return { partition: partition!, offset: offset!, deliveries };
    });
}

/**
 * For each partition, the intervals in which no member held it, between the moment it was first
 * held and `end`. `endOf` says when a member's holdings end (a killed member's at its death).
 */
export function unheld(members: MemberLog[], partitions: number, end: number, endOf: (member: MemberLog) => number = () => end): { partition: number; from: number; to: number }[] {
  const spans = members.flatMap((m) => holdings(m, endOf(m)).map((h) => ({ ...h, to: Math.min(h.to, endOf(m)) })));
  const gaps: { partition: number; from: number; to: number }[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const mine = spans.filter((s) => s.partition === partition).sort((a, b) => a.from - b.from);
    if (!mine.length) continue;
    let reach = mine[0]!.to;
    for (const span of mine.slice(1)) {
      if (span.from > reach) gaps.push({ partition, from: reach, to: span.from });
      reach = Math.max(reach, span.to);
    }
    if (reach < end) gaps.push({ partition, from: reach, to: end });
  }
  return gaps;
}
