/**
 * The tcp verdicts the older unit tests left out, each shown on a real capture (and altered copies of it):
 * tcp-lifecycle's header length (confirmed), tcp-congestion's slow start and fast retransmit (both verdicts).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { judgeHeaderLength, PORTS } from '../../labs/tcp/lifecycle.lab.ts';
import { judgeFastRetransmit, judgeSlowStart, type Trial } from '../../labs/tcp/congestion.lab.ts';
import type { Packet } from '../../src/core/types.ts';
import { parseSs } from '../../src/observers/ss.ts';
import { tcpInfo } from '../../src/observers/tcp-info.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';
import { realLossTrial } from '../helpers/congestion-trial.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const port = (packets: Packet[], p: number) => packets.filter((x) => x.srcPort === p || x.dstPort === p);

let lifecycle: Packet[];
/** The bulk transfer of a real tcp-congestion trial under reno, its 300th data segment dropped (the capture only: ss was not kept). */
let lossTrial: Trial;

beforeAll(async () => {
  lifecycle = await decodeTcp(fixture('lifecycle.pcap'));
  lossTrial = await realLossTrial();
});

describe('tcp-lifecycle: header length', () => {
  it('is confirmed when data segments carry a bare 20-byte header by default (the real data segments, their timestamp option taken out)', () => {
    const clean = port(lifecycle, PORTS.clean);
    const bare = clean.map((p) => (p.len > 0 ? { ...p, tcpHeaderLength: 20, options: [] } : p));
    const result = judgeHeaderLength(bare, port(lifecycle, PORTS.noTimestamps));
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ synHeaderBytes: 40, dataHeaderBytes: 20 });
    // The real capture, for contrast: 32-byte data headers with timestamps on, so nuanced.
    expect(judgeHeaderLength(clean, port(lifecycle, PORTS.noTimestamps)).verdict).toBe('nuanced');
  });
});

describe('tcp-congestion: slow start', () => {
  it('is refuted on a real reno transfer: its first round carried 10 segments (RFC 6928), not 1 MSS', () => {
    expect(lossTrial.rounds.slice(0, 3)).toEqual([10, 20, 21]);
    const result = judgeSlowStart([lossTrial]);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ trials: [{ algorithm: 'reno', initialWindow: 10 }] });
    // Its first two rounds alone doubled: still refuted, by the initial window.
    const doubled = judgeSlowStart([{ ...lossTrial, rounds: lossTrial.rounds.slice(0, 2) }]);
    expect(doubled.verdict).toBe('refuted');
    expect(doubled.summary).toContain('not 1 MSS');
  });

  it('is confirmed had the transfer started with one segment and doubled each round (rounds altered to 1, 2, 4)', () => {
    expect(judgeSlowStart([{ ...lossTrial, rounds: [1, 2, 4, ...lossTrial.rounds.slice(3)] }]).verdict).toBe('confirmed');
  });
});

describe('tcp-congestion: fast retransmit', () => {
  /** The RTO ss reported on a real Linux connection (test/fixtures/ss-fin-wait-2.txt): the loss fixture kept the capture, not ss. */
  const rtoSample = tcpInfo(parseSs(readFileSync(fixture('ss-fin-wait-2.txt'), 'utf8'))[0]!, 0);

  it('is confirmed on the real loss with a real RTO: resent one round trip after the drop, after duplicate ACKs, well inside the RTO', () => {
    expect(rtoSample.rtoMs).toBe(208);
    const result = judgeFastRetransmit([{ ...lossTrial, samples: [rtoSample] }]);
    expect(result.verdict).toBe('confirmed');
    const [trial] = (result.observed as { trials: { duplicateAcks: number; retransmittedAfterMs: number; rtoMs: number }[] }).trials;
    expect(trial!.duplicateAcks).toBeGreaterThan(0);
    expect(trial!.retransmittedAfterMs).toBeLessThan(trial!.rtoMs);
  });

  it('is refuted when the resend came only after the RTO, or never came', () => {
    const late = { ...lossTrial, samples: [rtoSample], retransmissions: lossTrial.retransmissions.map((r) => ({ ...r, atMs: r.originalAtMs + 500 })) };
    expect(judgeFastRetransmit([late]).verdict).toBe('refuted');
    expect(judgeFastRetransmit([{ ...lossTrial, samples: [rtoSample], retransmissions: [] }]).verdict).toBe('refuted');
  });
});
