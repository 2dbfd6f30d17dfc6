/** Runs the tls-handshake lab between two namespaces 30 ms apart. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('tls-handshake');
}, 120_000);

describe('labs run tls-handshake', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('counts 2 round trips for TLS 1.2 and 1 for TLS 1.3', () => {
    expect(run.claim('tls.v12.two-rtt').observed.roundTripsBeforeClientData).toBe(2);
    expect(run.claim('tls.v13.one-rtt').observed.roundTripsBeforeClientData).toBe(1);
  });

  it('sees 32-byte randoms, and only AEAD suites for TLS 1.3 from a library that refuses the integrity-only ones', () => {
    expect(run.claim('tls.v12.random-32').verdict).toBe('confirmed');
    expect((run.claim('tls.v13.aead-only').observed.tls13SuitesOffered as string[]).length).toBeGreaterThan(0);
    expect(run.claim('tls.v13.aead-only').observed.integrityOnlyAccepted).toBe(false);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
