/** Runs the ip-header lab across two namespaced routers and checks the verdicts and measured fields. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('ip-header');
}, 120_000);

describe('labs run ip-header', () => {
  it('passes and matches the verdict baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('decodes every header field and finds the ToS byte split into DSCP and ECN', () => {
    const { verdict, observed } = run.claim('ip.header.fields');
    expect(observed).toMatchObject({ version: 4, headerLengthBytes: 20, totalLengthMatchesFrame: true, reservedFlagAlwaysZero: true, moreFragmentsOnFirstFragment: 1, checksumsValid: true, optionBytesSeen: 40, firstFragmentPayloadBytes: 1480 });
    expect(observed.ecn).toBeGreaterThan(0);
    expect(verdict).toBe('nuanced');
  });

  it('measures a TTL drop of exactly one per router', () => {
    expect(run.claim('ip.ttl')).toMatchObject({ verdict: 'confirmed', observed: { ttlAtClient: 64, ttlAtServer: 62, decrements: [2] } });
  });

  it('delivers a 60-byte header carrying 40 bytes of options', () => {
    expect(run.claim('ip.header.options-size')).toMatchObject({ verdict: 'confirmed', observed: { largestHeaderBytes: 60, optionBytes: 40 } });
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
