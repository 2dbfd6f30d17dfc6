/** The shapes shared by labs, the runner and the reporters. These are the JSON contract. */

export const VERDICTS = ['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const;
export type Verdict = (typeof VERDICTS)[number];

export type LabStatus = 'passed' | 'error' | 'skipped';

/** One TCP/IP packet as decoded by tshark. Numbers are raw (absolute) values. */
export interface Packet {
  frame: number;
  timeMs: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  flags: string[];
  seq: number;
  ack: number;
  len: number;
  window: number;
  ipTotalLength: number;
  ipHeaderLength: number;
  tcpHeaderLength: number;
  options: string[];
}

/** One socket line from `ss -tanoi`. */
export interface SocketState {
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  timer?: { name: string; remainingMs: number; retransmits: number };
  info: Record<string, string>;
}

export interface SocketSample {
  atMs: number;
  host: string;
  note: string;
  sockets: SocketState[];
}

export type Evidence =
  | { kind: 'packets'; title: string; endpoints: Record<string, string>; packets: Packet[]; pcap?: string }
  | { kind: 'socket-states'; title: string; samples: SocketSample[] }
  | { kind: 'command'; title: string; command: string; output: string }
  /** Values over time, drawn as a line chart; markers flag moments such as a loss. */
  | { kind: 'series'; title: string; xLabel: string; yLabel: string; series: { name: string; points: [number, number][] }[]; markers?: { x: number; label: string }[] }
  /** Counts per category, drawn as bars (e.g. requests per backend). */
  | { kind: 'bars'; title: string; bars: { label: string; value: number }[] }
  /** An ordered run of choices, drawn as a strip of coloured cells (e.g. which backend served each request). */
  | { kind: 'choices'; title: string; choices: string[] }
  /** A tree drawn level by level, root first; each level lists its nodes left to right (and how many were left out). */
  | { kind: 'tree'; title: string; levels: { nodes: string[]; omitted: number }[] }
  /** A path through the network, hop by hop (e.g. what traceroute found). */
  | { kind: 'path'; title: string; hops: { address: string; note: string }[] }
  /** A file kept with the report (a capture, a configuration); the path is relative to the report. */
  | { kind: 'file'; title: string; path: string }
  | { kind: 'table'; title: string; columns: string[]; rows: (string | number)[][] }
  /** Columns of boxes stacked top to bottom, side by side (e.g. a process's memory map, high addresses first, beside the sheet's drawing); a marked box is one the other column lacks. */
  | { kind: 'stacks'; title: string; columns: { name: string; boxes: { label: string; note?: string; mark?: boolean }[] }[] }
  /** The bytes of a structure, field by field (offset and length in bytes, the bytes in hex, the decoded value), drawn as a labelled hex map. */
  | { kind: 'bytes'; title: string; fields: { name: string; offset: number; length: number; hex: string; value: string }[] }
  /** Messages between two parties in time order, drawn as a sequence diagram (e.g. which QUIC packet carried which TLS message). */
  | { kind: 'messages'; title: string; parties: [string, string]; messages: { atMs: number; from: 0 | 1; label: string; detail?: string }[] }
  /** Who held what when: one row per thing held, spans coloured by holder, marks at moments (e.g. partitions per consumer across a rebalance). */
  | { kind: 'gantt'; title: string; rows: { name: string; spans: { from: number; to: number; label: string }[] }[]; marks?: { at: number; label: string }[] };

export interface ClaimResult {
  id: string;
  verdict: Verdict;
  /** What was observed and why the verdict follows, in English. */
  summary: string;
  /** The same in Chinese. */
  summaryZh?: string;
  observed: Record<string, unknown>;
  evidence: Evidence[];
  /** With --expect: the baseline's verdict for this claim (null when the baseline has none); a different one is a drift. */
  expected?: Verdict | null;
  /** The claim as the study sheet says it (English and Chinese) and its section; added to a run's results when they are reported. */
  statement?: { section: string; en: string; zh: string };
}

export type Environment = Record<string, string>;

/**
 * One lab's history on one clock (ms since the lab started), in the manner of Jepsen's: every
 * workload operation as `invoke` then `ok` (it happened), `fail` (it certainly did not) or `info`
 * (outcome unknown); every fault's start and end; samples and readiness as they were seen.
 */
export type TimelineEvent =
  | { type: 'invoke' | 'ok' | 'fail' | 'info'; atMs: number; process: string; f: string; value?: unknown; error?: string }
  | { type: 'fault'; atMs: number; phase: 'start' | 'end'; fault: string; targets: string[] }
  | { type: 'sample'; atMs: number; name: string; value: unknown }
  | { type: 'note'; atMs: number; text: string };

/** What a lab starts, does and observes, in English and (optionally) Chinese with its title. */
export interface Handout {
  starts: string;
  does: string;
  observes: string;
  zh?: { title: string; starts: string; does: string; observes: string };
}

export interface LabResult {
  id: string;
  title: string;
  /** The lab's handout, so that a report can say what was done. */
  handout?: Handout;
  topic: string;
  status: LabStatus;
  durationMs: number;
  reason?: string;
  environment: Environment;
  claims: ClaimResult[];
  /** Present when the lab recorded operations, faults or samples. */
  timeline?: TimelineEvent[];
  /** With --on kubernetes: where the lab ran. A lab about the cluster itself has no job: the runner ran it. */
  ranOn?: RanOn;
  /** With --retries: the earlier attempts set aside, each with the claims that lacked evidence in it and what each lacked. */
  retried?: { attempt: number; unverifiable: { id: string; summary: string }[] }[];
}

/** The Kubernetes node a lab ran on, as its Node object describes it, and the Job and pod it ran in. */
export interface RanOn {
  node: string;
  kernel?: string;
  os?: string;
  job?: string;
  pod?: string;
}

export interface RunReport {
  runId: string;
  startedAt: string;
  /** The language the run's reports were written in for people (en or zh); JSON field names and verdicts stay English. */
  lang?: 'en' | 'zh';
  labs: LabResult[];
  /** With --repeat N: every claim's verdict in each of the N runs, in order (`labs` holds the last run). */
  repeats?: { runs: number; verdicts: Record<string, Verdict[]> };
}
