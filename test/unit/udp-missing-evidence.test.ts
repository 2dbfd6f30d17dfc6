/** The udp-datagrams judges given a capture or trials that lack what they need: unverifiable, naming what is missing. */
import { describe, expect, it } from 'vitest';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { HOSTS, judgeChecksum, judgeConnectionless, judgeHeaderSize, type ChecksumTrial, type UdpRow } from '../../labs/udp/datagrams.lab.ts';

const row = (change: Partial<UdpRow>): UdpRow => ({ 'frame.number': '1', 'ip.src': HOSTS.sender, 'ip.dst': HOSTS.rx1, 'ip.len': '33', 'ip.hdr_len': '20', 'ip.flags.mf': '0', 'udp.srcport': '40000', 'udp.dstport': '7001', 'udp.length': '13', 'udp.checksum': '0x1234', 'tcp.len': '', 'tcp.flags': '', ...change });
const trial = (name: string, delivered: boolean): ChecksumTrial => ({ name, delivered, counters: {} });


describe('udp-datagrams without the observations it needs', () => {
  it('connectionless: unverifiable when the capture holds no packet of the flow', () => {
    expectNotObserved(judgeConnectionless([]), 'no packet of the flow to port 7001');
    expectNotObserved(judgeConnectionless([row({ 'udp.dstport': '7002' })]), 'no packet of the flow to port 7001');
    expect(judgeConnectionless([row({})]).verdict).toBe('confirmed');
  });

  it('header size: unverifiable when the datagrams on the wire cannot be paired with the ones sent, so the 5-byte one is unknown', () => {
    expectNotObserved(judgeHeaderSize([]), 'holds 0 datagrams from the sender to port 7001 where the lab sent 3');
    expectNotObserved(judgeHeaderSize([row({ 'udp.length': '108', 'ip.len': '128' })]), 'which one carried the 5 bytes is unknown');
    expect(judgeHeaderSize([row({})], [5]).verdict).toBe('confirmed');
  });

  it('checksum: unverifiable when a crafted datagram has no recorded outcome', () => {
    const all = [trial('IPv4, checksum 0', true), trial('IPv4, wrong checksum', false), trial('IPv6, checksum 0', false)];
    expectNotObserved(judgeChecksum([], '0x1234'), '"IPv4, checksum 0", "IPv4, wrong checksum", "IPv6, checksum 0"');
    expectNotObserved(judgeChecksum(all.slice(0, 2), '0x1234'), 'crafted datagram "IPv6, checksum 0"');
    expect(judgeChecksum(all, '0x1234').verdict).toBe('confirmed');
  });
});
