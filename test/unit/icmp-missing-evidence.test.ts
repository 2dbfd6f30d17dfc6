/** The icmp-messages judges given an empty capture (or a traceroute that printed nothing): unverifiable, naming what is missing. */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { ADDRESSES, ICMP_FIELDS, judgeEcho, judgeFragNeeded, judgeParameterProblem, judgePortUnreachable, judgeRedirect, judgeTimeExceeded, type IcmpRow } from '../../labs/icmp/messages.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { readFields } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const TRACE = 'traceroute to 198.18.13.2\n 1  198.18.10.1  0.1 ms\n 2  198.18.11.2  0.1 ms\n 3  198.18.12.2  0.1 ms\n 4  198.18.13.2  0.1 ms';
const viaR1 = said(`${ADDRESSES.far} via ${ADDRESSES.r1} dev eth0 src ${ADDRESSES.client} uid 0 \n    cache `);
const NO_CAPTURE = 'holds no ICMP packet';
let rows: IcmpRow[];


beforeAll(async () => {
  rows = (await readFields(pcap, 'ip.proto == 1', ICMP_FIELDS)) as IcmpRow[];
});

describe('icmp-messages on an empty capture', () => {
  it('echo: unverifiable with no capture, or no echo request carrying the pattern', () => {
    expectNotObserved(judgeEcho([], said('')), NO_CAPTURE);
    expectNotObserved(judgeEcho(rows.filter((r) => !r['icmp.type'].startsWith('8')), said('')), 'no echo request');
  });

  it('time exceeded: unverifiable with no capture, or a traceroute that printed no hops', () => {
    expectNotObserved(judgeTimeExceeded([], said(TRACE)), NO_CAPTURE);
    expectNotObserved(judgeTimeExceeded(rows, said('')), 'no hops');
  });

  it('time exceeded: unverifiable, not refuted, when traceroute printed the third router but the capture was stopped before its Time Exceeded (the race one CI run hit)', () => {
    const lateR3 = rows.filter((r) => !(r['icmp.type'].startsWith('11') && r['ip.src'].startsWith(ADDRESSES.r3)));
    expect(lateR3.length).toBeLessThan(rows.length);
    expectNotObserved(judgeTimeExceeded(lateR3, said(TRACE)), `printed ${ADDRESSES.r3} as a hop, but the capture holds no Time Exceeded from it`);
  });

  it('fragmentation needed, port unreachable, parameter problem and redirect: unverifiable with no capture', () => {
    expectNotObserved(judgeFragNeeded([], said('ping: local error: message too long, mtu=1280')), NO_CAPTURE);
    expectNotObserved(judgePortUnreachable([], 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)'), NO_CAPTURE);
    expectNotObserved(judgeParameterProblem([]), NO_CAPTURE);
    expectNotObserved(judgeRedirect([], viaR1, viaR1, { 'conf.all.accept_redirects': '0' }), NO_CAPTURE);
  });
});
