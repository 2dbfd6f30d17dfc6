/** What a lab is: a typed value that does nothing on import; the runner interprets it. */
import { z } from 'zod';
import type { Container } from '../resources/container.ts';
import type { Faults } from '../resources/faults.ts';
import { topologySchema, type Host, type TopologySpec } from '../resources/netns.ts';
import type { BackgroundTask, Scope } from '../resources/scope.ts';
import { servicesSchema, type ServicesSpec } from '../resources/services.ts';
import type { SharedResource } from '../resources/shared.ts';
import type { Timeline } from '../resources/timeline.ts';
import type { ClaimResult, Environment, Handout } from './types.ts';

export const CAPABILITIES = ['root', 'netns', 'iptables', 'tc-netem', 'nfqueue', 'tcpdump', 'tshark', 'ss', 'ping', 'traceroute', 'scapy', 'named', 'unbound', 'docker', 'kubernetes-build', 'kubernetes', 'kubernetes-node', 'cc', 'go', 'quic', 'ngtcp2'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What a lab starts, as data: the runner builds it before `run()` and hands over live handles. */
export interface Needs {
  /** Network namespaces, links, LANs and routes. */
  topology?: TopologySpec;
  /** Containers on one Docker network of the lab; each is also a host. */
  services?: ServicesSpec;
  /** Resources started once per run and lent to one lab at a time. */
  shared?: Record<string, SharedResource<unknown>>;
}

type Names<T> = keyof T & string;
type TopologyHosts<N> = N extends { topology: { hosts: infer H } } ? Names<H> : never;
type ServiceNames<N> = N extends { services: infer S } ? Names<S> : never;
type SharedValues<N> = N extends { shared: infer S } ? { [K in keyof S]: S[K] extends SharedResource<infer T> ? T : never } : Record<string, never>;

export interface LabContext<N extends Needs = Needs> {
  readonly runId: string;
  readonly scope: Scope;
  /** Aborted when the lab times out or the run is interrupted (every exec and wait reads it already). */
  readonly signal: AbortSignal;
  /** A directory for this lab's files (captures, configs); removed with the scope unless kept. */
  readonly workDir: string;
  /** Records what the verdicts were observed on (tool versions, sysctls, ...). */
  readonly environment: Environment;
  /** Every host: the topology's namespaces and the services' containers. */
  readonly hosts: Record<TopologyHosts<N> | ServiceNames<N>, Host>;
  readonly services: Record<ServiceNames<N>, Container>;
  readonly shared: SharedValues<N>;
  /** Operations, faults and samples on the lab's clock; part of the results. */
  readonly timeline: Timeline;
  readonly faults: Faults;
  /** A loop beside the experiment (sampler, workload) that stops with the lab; its failure fails the lab. */
  background<T>(name: string, task: (signal: AbortSignal) => Promise<T>): BackgroundTask<T>;
  /** Reports progress to the terminal. */
  step(message: string): void;
  /** Keeps a file (a capture, a config) with the report; returns its path relative to the report, if one is written. */
  keep(file: string): string | undefined;
}

export interface Lab<N extends Needs = Needs> {
  id: string;
  title: string;
  topic: string;
  /** Claim ids from the catalog that this lab gives verdicts on. */
  claims: readonly string[];
  requires: readonly Capability[];
  timeLimitMs: number;
  /**
   * The lab measures time or CPU that another lab running at once would skew: under --jobs the runner
   * runs it after the others, with nothing beside it.
   */
  alone?: boolean;
  /** The handout: what the lab starts, what it does, what it observes; `zh`, the same and the title in Chinese. */
  handout: Handout;
  needs?: N;
  run(ctx: LabContext<N>): Promise<ClaimResult[]>;
}

const sharedSchema = z.object({
  key: z.string().min(1),
  describe: z.string().min(1),
  images: z.array(z.string()).optional(),
  start: z.custom<SharedResource<unknown>['start']>((v) => typeof v === 'function', 'start must be a function'),
  reset: z.custom<SharedResource<unknown>['reset']>((v) => v === undefined || typeof v === 'function', 'reset must be a function').optional(),
  hostsOf: z.custom<SharedResource<unknown>['hostsOf']>((v) => v === undefined || typeof v === 'function', 'hostsOf must be a function').optional(),
});

const needsSchema = z
  .object({ topology: topologySchema.optional(), services: servicesSchema.optional(), shared: z.record(z.string(), sharedSchema).optional() })
  .strict()
  .superRefine((needs, ctx) => {
    const hosts = Object.keys(needs.topology?.hosts ?? {});
    for (const name of Object.keys(needs.services ?? {})) {
      if (hosts.includes(name)) ctx.addIssue({ code: 'custom', path: ['services', name], message: `"${name}" is both a topology host and a service` });
    }
  });

export const labSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lab ids are lower-case words joined by "-"'),
  title: z.string().min(1),
  topic: z.string().regex(/^[a-z0-9-]+$/),
  claims: z.array(z.string()).min(1, 'a lab tests at least one claim'),
  requires: z.array(z.enum(CAPABILITIES)),
  timeLimitMs: z.number().int().positive(),
  alone: z.boolean().optional(),
  handout: z.object({
    starts: z.string().min(1),
    does: z.string().min(1),
    observes: z.string().min(1),
    zh: z.object({ title: z.string().min(1), starts: z.string().min(1), does: z.string().min(1), observes: z.string().min(1) }).optional(),
  }),
  needs: needsSchema.optional(),
  run: z.custom<Lab['run']>((v) => typeof v === 'function', 'run must be a function'),
});

/** The first problem of a failed validation as "path: message", looking inside record-key issues. */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const inner = issue.code === 'invalid_key' ? issue.issues[0] : undefined;
  const path = [...issue.path, ...(inner?.path ?? [])].map(String).join('.');
  return `${path || 'default export'}: ${inner?.message ?? issue.message}`;
}

/** Declares a lab; its context is typed by what it needs (host and service names, shared values). */
export function defineLab<N extends Needs = Record<string, never>>(lab: Lab<N>): Lab {
  return lab as unknown as Lab;
}

/** What a lab will start, for `labs list --json` and `labs doctor`. */
export function describeNeeds(lab: Lab): { hosts: string[]; links: number; lans: string[]; services: Record<string, string>; shared: string[] } {
  const topology = lab.needs?.topology;
  return {
    hosts: Object.keys(topology?.hosts ?? {}),
    links: topology?.links?.length ?? 0,
    lans: (topology?.lans ?? []).map((l) => l.name),
    services: Object.fromEntries(Object.entries(lab.needs?.services ?? {}).map(([name, s]) => [name, s.image])),
    shared: Object.values(lab.needs?.shared ?? {}).map((s) => s.describe),
  };
}
