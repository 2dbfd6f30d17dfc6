/**
 * Impairments at one end of a link, declared as data: delay on what it sends, loss on what it receives.
 * Delay uses `tc netem` where the kernel has it, and otherwise an NFQUEUE rule feeding
 * src/impair/nfq-delay.c (built once per source hash). Loss uses iptables' statistic match, random
 * or every n-th packet, in mangle PREROUTING: dropped on the way in, as a lossy wire would, so the
 * sender sees no error (a drop in its own OUTPUT chain would fail its send() with EPERM).
 * Each applied impairment says what it did, for the evidence.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { exec, spawnLabelled } from './process.ts';
import type { Scope } from './scope.ts';

const SOURCE = fileURLToPath(new URL('../impair/nfq-delay.c', import.meta.url));
const CACHE = fileURLToPath(new URL('../../.cache/bin', import.meta.url));

export const impairmentSchema = z.object({
  /** Delay every packet this end sends out of the interface. */
  delayMs: z.number().min(0).max(10_000).optional(),
  /** Drop packets arriving at this end: at random with this probability, or the `packet`-th (0-based) of every `every`. */
  lossIn: z
    .union([z.object({ random: z.number().gt(0).lt(1) }), z.object({ nth: z.object({ every: z.number().int().min(1), packet: z.number().int().min(0) }) })])
    .optional(),
  /** iptables match arguments that select the packets the impairment applies to, e.g. ['-p', 'udp', '-s', '198.18.0.1']. */
  match: z.array(z.string()).default([]),
});
export type ImpairmentSpec = z.input<typeof impairmentSchema>;

export interface AppliedImpairment {
  /** What was applied, e.g. "eth0: delay 50 ms (NFQUEUE …)". */
  description: string;
  mechanism: 'netem' | 'nfqueue' | 'iptables';
  /** Packets the loss rule dropped so far (0 when there is no loss rule). */
  dropped(): Promise<number>;
  /** Lifts the impairment before the scope ends. */
  remove(): Promise<void>;
}

/** Builds the NFQUEUE delayer if this source has not been built yet; returns its path. */
export async function nfqueueHelper(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const binary = `${CACHE}/nfq-delay-${hash}`;
  if (!existsSync(binary)) {
    mkdirSync(CACHE, { recursive: true });
    const flags = (await exec('pkg-config', ['--cflags', '--libs', 'libnetfilter_queue'])).split(/\s+/).filter(Boolean);
    // Built under a private name and renamed: concurrent runs never execute a half-written file.
    const partial = `${binary}.${process.pid}`;
    await exec('cc', ['-O2', '-Wall', '-o', partial, SOURCE, ...flags, '-lm']);
    renameSync(partial, binary);
  }
  return binary;
}

let queueNumber = 0;

async function netemAvailable(netns: string): Promise<boolean> {
  const probe = await exec('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '0ms'], { netns }).then(
    () => true,
    () => false,
  );
  if (probe) await exec('tc', ['qdisc', 'del', 'dev', 'lo', 'root'], { netns });
  return probe;
}

/** Applies an impairment at `iface` of `netns`; the scope (or remove()) lifts it. */
export async function impair(scope: Scope, runId: string, netns: string, iface: string, spec: ImpairmentSpec): Promise<AppliedImpairment> {
  const { delayMs, lossIn: loss, match } = impairmentSchema.parse(spec);
  const parts: string[] = [];
  const undo: (() => Promise<void>)[] = [];
  let mechanism: AppliedImpairment['mechanism'] = 'iptables';
  const comment = `labs-${runId}-drop-${++queueNumber}`;
  const selector = match.length ? ` of ${match.join(' ')}` : '';

  if (loss) {
    const statistic = 'random' in loss ? ['--mode', 'random', '--probability', String(loss.random)] : ['--mode', 'nth', '--every', String(loss.nth.every), '--packet', String(loss.nth.packet)];
    const rule = ['PREROUTING', '-i', iface, ...match, '-m', 'statistic', ...statistic, '-m', 'comment', '--comment', comment, '-j', 'DROP'];
    await exec('iptables', ['-t', 'mangle', '-I', ...rule], { netns });
    undo.push(() => exec('iptables', ['-t', 'mangle', '-D', ...rule], { netns }).then(() => undefined));
    parts.push(`${'random' in loss ? `drop ${loss.random * 100}% at random` : `drop packet ${loss.nth.packet + 1} of every ${loss.nth.every}`} arriving${selector}`);
  }
  if (delayMs) {
    if (!match.length && (await netemAvailable(netns))) {
      mechanism = 'netem';
      await exec('tc', ['qdisc', 'add', 'dev', iface, 'root', 'netem', 'delay', `${delayMs}ms`], { netns });
      undo.push(() => exec('tc', ['qdisc', 'del', 'dev', iface, 'root'], { netns }).then(() => undefined));
      parts.push(`delay ${delayMs} ms (tc netem)`);
    } else {
      mechanism = 'nfqueue';
      const queue = String(queueNumber);
      const helper = spawnLabelled(scope, runId, await nfqueueHelper(), [queue, String(delayMs)], { netns });
      await helper.waitForLine(/^ready$/, 5000);
      const rule = ['OUTPUT', '-o', iface, ...match, '-j', 'NFQUEUE', '--queue-num', queue];
      await exec('iptables', ['-A', ...rule], { netns });
      undo.push(async () => {
        await exec('iptables', ['-D', ...rule], { netns });
        await helper.stop();
      });
      parts.push(`delay ${delayMs} ms${selector} (NFQUEUE to nfq-delay: this kernel has no netem)`);
    }
  }
  const remove = scope.defer(`impairment ${iface}`, async () => {
    for (const step of undo.reverse()) await step();
  });
  return {
    description: `${iface}: ${parts.join(', ') || 'none'}`,
    mechanism,
    remove,
    async dropped() {
      if (!loss) return 0;
      const listing = await exec('iptables', ['-t', 'mangle', '-L', 'PREROUTING', '-v', '-x', '-n'], { netns });
      const line = listing.split('\n').find((l) => l.includes(comment));
      return line ? Number(line.trim().split(/\s+/)[0]) : 0;
    },
  };
}
