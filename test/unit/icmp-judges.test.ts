/** The icmp-messages verdicts as pure functions of a real capture, and of that capture altered. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ICMP_FIELDS, judgeEcho, judgeFragNeeded, judgeParameterProblem, judgeTimeExceeded, type IcmpRow } from '../../labs/icmp/messages.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { readFields } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const TRACE = 'traceroute to 198.18.13.2\n 1  198.18.10.1  0.1 ms\n 2  198.18.11.2  0.1 ms\n 3  198.18.12.2  0.1 ms\n 4  198.18.13.2  0.1 ms';
let rows: IcmpRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'icmp', ICMP_FIELDS)) as IcmpRow[];
});

describe('icmp judges on a real capture', () => {
  it('echo: confirmed as captured, refuted when a reply carries other data', () => {
    expect(judgeEcho(rows, said('')).verdict).toBe('confirmed');
    const altered = rows.map((r) => (r['icmp.type'] === '0' ? { ...r, 'data.data': `ff${r['data.data'].slice(2)}` } : r));
    expect(judgeEcho(altered, said('')).verdict).toBe('refuted');
  });

  it('time exceeded: confirmed as captured, refuted when a router stayed silent', () => {
    expect(judgeTimeExceeded(rows, said(TRACE)).verdict).toBe('confirmed');
    const silent = rows.filter((r) => !(r['icmp.type'].startsWith('11') && r['ip.src'].startsWith('198.18.11.2')));
    expect(judgeTimeExceeded(silent, said(TRACE.replace(' 2  198.18.11.2', ' 2  *'))).verdict).toBe('refuted');
  });

  it('frag needed: the MTU comes from the message itself', () => {
    expect(judgeFragNeeded(rows, said('')).observed.nextHopMtu).toBe(1280);
    const other = rows.map((r) => (r['icmp.mtu'] ? { ...r, 'icmp.mtu': '1500' } : r));
    expect(judgeFragNeeded(other, said('')).verdict).toBe('refuted');
  });

  it('parameter problem: refuted when none came back', () => {
    expect(judgeParameterProblem(rows).verdict).toBe('confirmed');
    expect(judgeParameterProblem(rows.filter((r) => !r['icmp.type'].startsWith('12'))).verdict).toBe('refuted');
  });
});
