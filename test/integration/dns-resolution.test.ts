/** Runs the dns-resolution lab on a private root, TLD and authoritative server with a real resolver. */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('dns-resolution');
}, 120_000);

describe('labs run dns-resolution', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('walks root, TLD and authoritative in order, then answers from its cache', () => {
    expect(run.claim('dns.resolver.iterative').observed.serversInOrder).toEqual(['root', 'tld', 'auth']);
    expect(run.claim('dns.resolver.cache').observed.upstreamQueriesOnRepeat).toBe(0);
  });

  it('answers a hosts-file name with no DNS traffic, and asks again for the same name twice', () => {
    expect(run.claim('dns.client.hosts-file').observed.dnsMessagesForTheName).toBe(0);
    expect(run.claim('dns.client.linux-no-cache').observed.clientQueriesSecondLookup).toBeGreaterThan(0);
  });

  it('leaves nothing behind, /etc/netns included', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
    expect(existsSync('/etc/netns') ? (await import('node:fs')).readdirSync('/etc/netns').filter((d) => d.includes(run.report.runId)) : []).toEqual([]);
  });
});
