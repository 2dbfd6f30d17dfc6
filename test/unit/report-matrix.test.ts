/**
 * Results of labs run as Kubernetes Jobs in the reports: the node of each verdict, and the matrix of
 * each claim across nodes when several runs are merged (`labs report a.json b.json`). The results
 * are a real pod's (test/fixtures/jobs/pod-log-ip-header.txt); the second node is that run again,
 * as another kernel would have reported it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeRuns } from '../../src/cli/commands/report.ts';
import type { RunReport } from '../../src/core/types.ts';
import { resultsFromLog } from '../../src/jobs/pod-outcome.ts';
import { toHtml } from '../../src/report/html.ts';
import { toJunit } from '../../src/report/junit.ts';

const parsed = resultsFromLog(readFileSync(new URL('../fixtures/jobs/pod-log-ip-header.txt', import.meta.url), 'utf8'));
if (!('report' in parsed)) throw new Error(parsed.missing);
const onNode = (report: RunReport, node: string, kernel: string): RunReport => ({ ...report, labs: report.labs.map((l) => ({ ...l, ranOn: { node, kernel, os: 'Debian GNU/Linux 12 (bookworm)', job: 'lab-ip-header', pod: `lab-ip-header-${node}` } })) });
const first = onNode(parsed.report, 'node-a', '6.18.44');
const second = onNode(structuredClone(parsed.report), 'node-b', '5.10.0');
second.runId = 'fedcba98';
second.labs[0]!.claims[0]!.verdict = 'confirmed';

describe('reports of labs run as Jobs', () => {
  it('merge several runs: their labs in order, under the run ids joined, from the earliest start', () => {
    const merged = mergeRuns([first, second]);
    expect(merged.runId).toBe('0123abcd+fedcba98');
    expect(merged.labs.map((l) => l.ranOn?.node)).toEqual(['node-a', 'node-b']);
    expect(mergeRuns([first])).toBe(first);
  });

  it('draw each claim across the nodes, one column per node with its kernel', () => {
    const html = toHtml(mergeRuns([first, second]));
    expect(html).toContain('<th>node-a · 6.18.44 · Debian GNU/Linux 12 (bookworm)</th><th>node-b · 5.10.0 · Debian GNU/Linux 12 (bookworm)</th>');
    const row = html.match(/<tr><td><a href="#ip\.header\.fields">.*?<\/tr>/)![0];
    expect(row.match(/badge (\w+)/g)).toEqual(['badge nuanced', 'badge confirmed']);
    expect(html).toContain('ran on node node-a · 6.18.44');
  });

  it('have no matrix for a run on this host', () => {
    expect(toHtml(parsed.report)).not.toContain('each claim on each node');
  });

  it("name each suite's node in JUnit", () => {
    const xml = toJunit(first);
    expect(xml).toContain('<testsuite name="ip-header" tests="3" errors="0" skipped="0" failures="0" time="1.312" hostname="node-a">'.replace('1.312', (first.labs[0]!.durationMs / 1000).toFixed(3)));
    expect(xml).toContain('<property name="kubernetes.node" value="node-a"/>');
    expect(xml).toContain('<property name="kubernetes.pod" value="lab-ip-header-node-a"/>');
  });
});
