/**
 * The icmp-messages verdicts as pure functions of a real capture (test/fixtures/icmp.pcap, a run of the lab: Linux
 * 6.18 routers, ping from iputils 20221126, traceroute 2.1.2, tshark 4.0.17), and of that capture altered. The capture
 * is read as the lab reads it, with the display filter 'ip.proto == 1', so that the probe whose ICMP header is cut to
 * 4 bytes (which tshark does not decode as ICMP) is among the rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ICMP_FIELDS, judgeEcho, judgeFragNeeded, judgeParameterProblem, judgeTimeExceeded, type BadIcmpHeaders, type IcmpRow } from '../../labs/icmp/messages.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { readFields } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const TRACE = 'traceroute to 198.18.13.2\n 1  198.18.10.1  0.1 ms\n 2  198.18.11.2  0.1 ms\n 3  198.18.12.2  0.1 ms\n 4  198.18.13.2  0.1 ms';
/** The server's ICMP counters around the three bad ICMP headers, as that run read them (/proc/net/snmp deltas). */
const counters: BadIcmpHeaders = { serverCounters: { 'Icmp.InMsgs': 3, 'Icmp.InErrors': 3, 'Icmp.InCsumErrors': 1, 'Icmp.OutMsgs': 0, 'Icmp.OutParmProbs': 0, 'Icmp.OutRateLimitHost': 0, 'Icmp.OutRateLimitGlobal': 0 } };
let rows: IcmpRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'ip.proto == 1', ICMP_FIELDS)) as IcmpRow[];
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

  it('parameter problem: nuanced as captured (12 for the IP option, nothing for the three bad ICMP headers), refuted when none came back', () => {
    expect(judgeParameterProblem(rows, counters).verdict).toBe('nuanced');
    expect(judgeParameterProblem(rows.filter((r) => !r['icmp.type'].startsWith('12')), counters).verdict).toBe('refuted');
  });
});
