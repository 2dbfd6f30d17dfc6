/** Runs the udp-datagrams lab on a namespaced LAN and checks each verdict and measured value. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('udp-datagrams');
}, 120_000);

describe('labs run udp-datagrams', () => {
  it('passes and matches the verdict baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('sends data in the first packet with nothing coming back', () => {
    expect(run.claim('udp.connectionless')).toMatchObject({ verdict: 'confirmed', observed: { packetsFromReceiver: 0, firstPacketCarriesData: true } });
  });

  it('measures an 8-byte header', () => {
    expect(run.claim('udp.header.size')).toMatchObject({ verdict: 'confirmed', observed: { headerBytes: 8, udpLengthCountsHeaderAndData: true } });
  });

  it('reads each datagram whole', () => {
    expect(run.claim('udp.boundaries')).toMatchObject({ verdict: 'confirmed', observed: { sent: [100, 2000, 5], received: [100, 2000, 5] } });
  });

  it('loses UDP datagrams where TCP retransmits through the same loss', () => {
    const { verdict, observed } = run.claim('udp.unreliable');
    expect(verdict).toBe('confirmed');
    expect(observed.udpReceived).toBe(180);
    expect(observed.tcpBytesReceived).toBe(20_000);
    expect(observed.tcpRetransmissions as number).toBeGreaterThan(0);
    expect(observed.packetsDroppedByTheLink as number).toBeGreaterThan(20);
  });

  it('delivers one multicast datagram to the two members only', () => {
    expect(run.claim('udp.multicast')).toMatchObject({ verdict: 'confirmed', observed: { datagramsOnTheSendersWire: 1, received: { rx1: 1, rx2: 1, bystander: 0 } } });
  });

  it('accepts a zero checksum over IPv4 and drops it over IPv6, with the counters to show', () => {
    const { verdict, observed } = run.claim('udp.checksum');
    expect(verdict).toBe('confirmed');
    const trials = observed.trials as { name: string; counters: Record<string, number> }[];
    expect(trials.find((t) => t.name === 'IPv6, checksum 0')!.counters.Udp6InCsumErrors).toBe(1);
    expect(trials.find((t) => t.name === 'IPv4, wrong checksum')!.counters['Udp.InCsumErrors']).toBe(1);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
