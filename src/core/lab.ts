/** What a lab is: a typed value that does nothing on import; the runner interprets it. */
import { z } from 'zod';
import type { Scope } from '../resources/scope.ts';
import type { ClaimResult, Environment } from './types.ts';

export const CAPABILITIES = ['root', 'netns', 'iptables', 'tc-netem', 'nfqueue', 'tcpdump', 'tshark', 'ss', 'ping', 'traceroute', 'scapy', 'named', 'unbound', 'docker'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface LabContext {
  readonly runId: string;
  readonly scope: Scope;
  /** Aborted when the lab times out or the run is interrupted. */
  readonly signal: AbortSignal;
  /** A directory for this lab's files (captures, configs); removed with the scope unless kept. */
  readonly workDir: string;
  /** Records what the verdicts were observed on (tool versions, sysctls, ...). */
  readonly environment: Environment;
  /** Reports progress to the terminal. */
  step(message: string): void;
  /** Keeps a file (a capture, a config) with the report; returns its path relative to the report, if one is written. */
  keep(file: string): string | undefined;
}

export interface Lab {
  id: string;
  title: string;
  topic: string;
  /** Claim ids from the catalog that this lab gives verdicts on. */
  claims: readonly string[];
  requires: readonly Capability[];
  timeLimitMs: number;
  /** The handout: what the lab starts, what it does, what it observes. */
  handout: { starts: string; does: string; observes: string };
  run(ctx: LabContext): Promise<ClaimResult[]>;
}

export const labSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lab ids are lower-case words joined by "-"'),
  title: z.string().min(1),
  topic: z.string().regex(/^[a-z0-9-]+$/),
  claims: z.array(z.string()).min(1, 'a lab tests at least one claim'),
  requires: z.array(z.enum(CAPABILITIES)),
  timeLimitMs: z.number().int().positive(),
  handout: z.object({ starts: z.string().min(1), does: z.string().min(1), observes: z.string().min(1) }),
  run: z.custom<Lab['run']>((v) => typeof v === 'function', 'run must be a function'),
});

export function defineLab(lab: Lab): Lab {
  return lab;
}
