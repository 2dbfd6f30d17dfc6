/**
 * tcp.close.time-wait-ports ("Many TIME_WAIT connections hold local ports, which kernel settings can mitigate"),
 * judged with the lab's new observation: while the 8-port ephemeral range is used up by TIME-WAIT sockets toward
 * 198.18.95.2:7100, a connect() to the same server's port 7200.
 *
 * The lab has no fixture file; its judge's only sample was the inline object of test/unit/close-judges.test.ts.
 * The base here is what run cb3d0fd8 observed (/work/p1-capture/results.json: 8 connections, EADDRNOTAVAIL,
 * 8 TIME-WAIT sockets, tcp_tw_reuse=1 connecting after 1011 ms; the client's tcp_tw_reuse was 2 in that run's
 * environment). That run predates the new fields, so this test extends it: the TIME-WAIT local ports are the
 * whole range (8 sockets toward one port in an 8-port range can only be those), and the connect() to port 7200
 * is the outcome the kernel is expected to give, with 40002 standing in for whichever held port it picks. The
 * sample will be recaptured from a run of the changed lab.
 */
import { describe, expect, it } from 'vitest';
import { judgeTimeWaitPorts, OTHER_PORT, PORT_RANGE, type TimeWaitPorts } from '../../labs/tcp/close.lab.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';

const RANGE = Array.from({ length: PORT_RANGE[1] - PORT_RANGE[0] + 1 }, (_, i) => PORT_RANGE[0] + i);
/** Run cb3d0fd8's observation of the step. */
const RUN: TimeWaitPorts = { ports: 8, connected: 8, error: 'connect EADDRNOTAVAIL 198.18.95.2:7100 - Local (0.0.0.0:0)', timeWaits: 8, withReuse: 'connected', reusedAfterMs: 1011 };
/** The same, with what the changed lab adds. */
const SAMPLE: TimeWaitPorts = { ...RUN, twReuse: '2', timeWaitLocalPorts: RANGE, otherDestination: { port: OTHER_PORT, outcome: 'connected', localPort: 40002 } };
const altered = (change: (copy: TimeWaitPorts) => void): TimeWaitPorts => {
  const copy = structuredClone(SAMPLE);
  change(copy);
  return copy;
};

describe('tcp.close.time-wait-ports', () => {
  it('is nuanced when the second destination connected while the range was held toward :7100, naming the reused port and what tcp_tw_reuse did', () => {
    const result = judgeTimeWaitPorts(SAMPLE);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toMatch(/^The ports are held per destination/);
    expect(result.summary).toContain('tcp_tw_reuse=2, a connect() to the same server\'s port 7200 succeeded from local port 40002, one of those in TIME-WAIT toward 198.18.95.2:7100');
    expect(result.summary).toContain('with net.ipv4.tcp_tw_reuse=1 the kernel reused a port in TIME-WAIT toward 198.18.95.2:7100 once it was about a second old, and connect() to it succeeded 1011 ms after the change');
    expect(result.summaryZh).toContain('40002 正是向 198.18.95.2:7100 处于 TIME-WAIT 的端口之一');
    expect(result.observed).toMatchObject({ otherDestination: { port: 7200, outcome: 'connected', localPort: 40002 }, timeWaitLocalPorts: RANGE });
    const table = result.evidence[0];
    expect(table?.kind === 'table' && table.rows).toEqual([
      ['198.18.95.2:7100 (connection 9)', '2', RUN.error, ''],
      ['198.18.95.2:7200', '2', 'connected', 40002],
      ['198.18.95.2:7100', '1', 'connected', ''],
    ]);
  });

  it('is nuanced without "one of those" when the port it got was not among the TIME-WAIT ones', () => {
    const result = judgeTimeWaitPorts(altered((o) => (o.otherDestination!.localPort = 40100)));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('succeeded from local port 40100:');
  });

  it('is confirmed when the second destination failed with EADDRNOTAVAIL too: the ports held for every destination', () => {
    const result = judgeTimeWaitPorts(altered((o) => (o.otherDestination = { port: OTHER_PORT, outcome: 'connect EADDRNOTAVAIL 198.18.95.2:7200 - Local (0.0.0.0:0)' })));
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('the ports were held for every destination');
  });

  it('is refuted when the first destination never failed, or TIME-WAIT did not account for the ports', () => {
    const never = judgeTimeWaitPorts(altered((o) => ((o.connected = 9), (o.error = ''))));
    expect(never.verdict).toBe('refuted');
    expect(never.summary).toContain('TIME-WAIT did not use up the ports');
    expect(never.summary).toContain('the next connect() succeeded');
    expect(judgeTimeWaitPorts(altered((o) => ((o.timeWaits = 3), (o.timeWaitLocalPorts = [40000, 40002, 40004])))).verdict).toBe('refuted');
  });

  it('is refuted when tcp_tw_reuse=1 gave no port back', () => {
    const result = judgeTimeWaitPorts(altered((o) => ((o.withReuse = 'connect EADDRNOTAVAIL 198.18.95.2:7100 - Local (0.0.0.0:0)'), (o.reusedAfterMs = 3020))));
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('tcp_tw_reuse=1 did not give a port back');
  });

  it('is unverifiable when no second destination was tried (run cb3d0fd8 as it was), or it failed for a reason other than ports', () => {
    expectNotObserved(judgeTimeWaitPorts(RUN), 'no connection to another destination was tried');
    expectNotObserved(judgeTimeWaitPorts(altered((o) => (o.otherDestination = { port: OTHER_PORT, outcome: 'connect ECONNREFUSED 198.18.95.2:7200' }))), 'an error that is not about local ports');
  });
});
