/**
 * The udp-datagrams verdicts the older unit tests left out, on the real capture of a run on the sender
 * (test/fixtures/udp-datagrams.pcap: four namespaces on a bridge, kernel 6.18, Node v24.9.0, tshark 4.0.17)
 * decoded as the lab decodes it, and on what that run's sockets, drop rule and counters recorded
 * (test/fixtures/udp-datagrams-observation.json.gz, extracted from the run's results.json), with altered copies:
 * connectionless (refuted), header size (confirmed, refuted, nuanced, unverifiable), checksum (confirmed, refuted,
 * unverifiable); boundaries, unreliable and multicast (confirmed and refuted; unreliable also unverifiable when the
 * drops did not hit both protocols or TCP needed no repair, multicast when the capture is missing).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTS, judgeBoundaries, judgeChecksum, judgeConnectionless, judgeHeaderSize, judgeMulticast, judgeUnreliable, SIZES, UDP_FIELDS, type ChecksumTrial, type UdpRow } from '../../labs/udp/datagrams.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { realSample } from '../helpers/samples.ts';

interface RecordedClaim {
  id: string;
  verdict: string;
  observed: Record<string, unknown>;
}
const { real: recorded } = realSample<{ claims: RecordedClaim[] }>('udp-datagrams-observation.json.gz');
const observedBy = <T,>(id: string) => recorded.claims.find((c) => c.id === id)!.observed as T;

const pcap = new URL('../fixtures/udp-datagrams.pcap', import.meta.url).pathname;
let rows: UdpRow[];
let retransmissions: number;

beforeAll(async () => {
  // As run() reads the capture.
  rows = (await readFields(pcap, 'udp or tcp', UDP_FIELDS)) as UdpRow[];
  retransmissions = (await readFields(pcap, 'tcp.analysis.retransmission && tcp.dstport == 7003', ['frame.number'])).length;
});

const flow = () => rows.filter((r) => r['udp.dstport'] === '7001' || r['udp.srcport'] === '7001');

describe('connectionless', () => {
  it('is confirmed on the real capture: the flow to port 7001 opened with 100 bytes of data and rx1 sent nothing back', () => {
    expect(flow().map((r) => r['udp.length'])).toEqual(['108', '2008', '13']);
    expect(judgeConnectionless(rows)).toMatchObject({ verdict: 'confirmed', observed: observedBy('udp.connectionless') });
  });

  it('is refuted when the receiver answered on the flow (an echo service on port 7001 replying to the first datagram)', () => {
    const [first] = flow();
    const reply: UdpRow = { ...first!, 'frame.number': '2', 'ip.src': HOSTS.rx1, 'ip.dst': HOSTS.sender, 'udp.srcport': '7001', 'udp.dstport': first!['udp.srcport'], 'udp.checksum': '0x0000' };
    const answered = rows.flatMap((r) => (r === first ? [r, reply] : [r]));
    expect(judgeConnectionless(answered)).toMatchObject({ verdict: 'refuted', observed: { packetsInFlow: 4, packetsFromReceiver: 1, firstPacketCarriesData: true } });
  });

  it('is refuted when the flow opened with an empty datagram (8 bytes of UDP, no data) before the data', () => {
    const [first] = flow();
    const empty: UdpRow = { ...first!, 'ip.len': '28', 'udp.length': '8' };
    expect(judgeConnectionless([empty, ...rows])).toMatchObject({ verdict: 'refuted', observed: { packetsFromReceiver: 0, firstPacketCarriesData: false } });
  });
});

describe('header size', () => {
  const small = (r: UdpRow) => r['udp.dstport'] === '7001' && r['frame.number'] === '4';

  it('is confirmed on the real capture: the third datagram to port 7001, the 5 bytes sent, took 13 bytes of IP payload and its length field read 13', () => {
    // The datagrams to port 7001 in the order the lab sent them (100, 2000 and 5 bytes); the 2000-byte one decoded on its last fragment.
    expect(flow().map((r) => [r['frame.number'], r['udp.length'], Number(r['ip.len']) - Number(r['ip.hdr_len'])])).toEqual([['1', '108', 108], ['3', '2008', 528], ['4', '13', 13]]);
    const result = judgeHeaderSize(rows, SIZES);
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { dataBytes: 5, ipPayloadBytes: 13, headerBytes: 8, udpLengthField: 13, udpLengthCountsHeaderAndData: true } });
    expect(result).toMatchObject({ observed: observedBy('udp.header.size') });
  });

  it('is refuted when the 5 bytes sent took 17 bytes of IP payload and the length field counted them (a 12-byte header), though no datagram reads 13', () => {
    const longer = rows.map((r) => (small(r) ? { ...r, 'ip.len': '37', 'udp.length': '17' } : r));
    expect(judgeHeaderSize(longer, SIZES)).toMatchObject({ verdict: 'refuted', observed: { headerBytes: 12, udpLengthField: 17, udpLengthCountsHeaderAndData: true } });
  });

  it('is refuted when the 5-byte datagram\'s IP payload runs 4 bytes past its UDP length (17 bytes carried for 5 sent): 12 bytes measured', () => {
    const trailed = rows.map((r) => (small(r) ? { ...r, 'ip.len': '37' } : r));
    expect(judgeHeaderSize(trailed, SIZES)).toMatchObject({ verdict: 'refuted', observed: { headerBytes: 12, udpLengthField: 13, udpLengthCountsHeaderAndData: false } });
  });

  it('is nuanced when the header took 8 bytes but the length field counted the data only (5, a sender leaving the header out)', () => {
    const dataOnly = rows.map((r) => (small(r) ? { ...r, 'udp.length': '5' } : r));
    expect(judgeHeaderSize(dataOnly, SIZES)).toMatchObject({ verdict: 'nuanced', observed: { headerBytes: 8, udpLengthField: 5, udpLengthCountsHeaderAndData: false } });
  });

  it('is unverifiable when the capture missed the 5-byte datagram: two datagrams to port 7001 for three sent, so none can be paired with the 5 bytes', () => {
    const result = judgeHeaderSize(rows.filter((r) => !small(r)), SIZES);
    expectNotObserved(result, 'holds 2 datagrams from the sender to port 7001 where the lab sent 3');
  });
});

describe('boundaries', () => {
  const { sent, received } = observedBy<{ sent: number[]; received: number[] }>('udp.boundaries');

  it('is confirmed on the real run: 100, 2000 and 5 bytes sent, read as 100, 2000 and 5 (the 2000-byte one whole though IP fragmented it)', () => {
    expect(sent).toEqual(SIZES);
    // The 2000-byte datagram crossed the wire in two IP fragments (only its last one decodes as UDP).
    expect(rows.some((r) => r['udp.length'] === '2008' && r['ip.len'] === '548')).toBe(true);
    expect(judgeBoundaries(sent, received)).toMatchObject({ verdict: 'confirmed', observed: { sent: [100, 2000, 5], received: [100, 2000, 5] } });
  });

  it('is refuted when the 2000-byte datagram was read in two pieces, as a byte stream would deliver its fragments', () => {
    expect(judgeBoundaries(sent, [100, 1480, 520, 5]).verdict).toBe('refuted');
  });

  it('is refuted when the 2000-byte datagram never reached the socket (a lost fragment: the whole datagram is gone)', () => {
    expect(judgeBoundaries(sent, received.filter((r) => r !== 2000))).toMatchObject({ verdict: 'refuted', observed: { received: [100, 5] } });
  });
});

describe('unreliable', () => {
  const real = observedBy<{ udpSent: number; udpReceived: number; tcpBytesSent: number; tcpBytesReceived: number; tcpRetransmissions: number; packetsDroppedByTheLink: number }>('udp.unreliable');
  const udp = { sent: real.udpSent, received: real.udpReceived };
  const tcp = () => ({ sent: real.tcpBytesSent, received: real.tcpBytesReceived, retransmissions });
  /**
   * Which packets the drop rule hit, worked out from the capture: the run recorded the rule's counter only in all (22),
   * and iptables' nth statistic drops packet 6 of every 10 (0-based 5) of the sender's packets reaching rx1, counting
   * from its insertion just before the first datagram to port 7002. The sender's packets to rx1 from that datagram on,
   * up to the TCP connection's last, in order, show which protocol each drop hit.
   */
  const dropsInCapture = () => {
    const start = rows.findIndex((r) => r['udp.dstport'] === '7002');
    const lossy = rows.slice(start).filter((r) => r['ip.src'] === HOSTS.sender && r['ip.dst'] === HOSTS.rx1 && (r['udp.dstport'] === '7002' || r['tcp.len'] !== ''));
    const hit = lossy.filter((_, i) => i % 10 === 5);
    return { hit, udp: hit.filter((r) => r['udp.dstport'] === '7002').length, tcp: hit.filter((r) => r['tcp.len'] !== '').length };
  };

  it('is confirmed on the real run: 20 drops hit UDP (180 of 200 datagrams read), 2 hit TCP data, which arrived whole after the 2 retransmissions in the capture', () => {
    const drops = dropsInCapture();
    expect(drops.udp + drops.tcp).toBe(real.packetsDroppedByTheLink);
    expect(drops).toMatchObject({ udp: 20, tcp: 2 });
    expect(udp.sent - udp.received).toBe(drops.udp);
    // The two TCP packets the rule hit carried data (1448 and 1176 bytes), the two the sender sent again.
    expect(drops.hit.filter((r) => r['tcp.len'] !== '').map((r) => r['tcp.len'])).toEqual(['1448', '1176']);
    expect(retransmissions).toBe(real.tcpRetransmissions);
    const result = judgeUnreliable(udp, tcp(), { udp: drops.udp, tcp: drops.tcp });
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { ...real, udpDatagramsDropped: 20, tcpPacketsDropped: 2 } });
  });

  it('is refuted when every datagram arrived though the rule dropped 20 of them, as if the loss had been repaired for UDP too', () => {
    expect(judgeUnreliable({ ...udp, received: udp.sent }, tcp(), { udp: 20, tcp: 2 }).verdict).toBe('refuted');
  });

  it('is refuted when TCP did not deliver every byte either (the connection gave up part-way)', () => {
    expect(judgeUnreliable(udp, { ...tcp(), received: 14_480 }, { udp: 20, tcp: 2 }).verdict).toBe('refuted');
  });

  it('is unverifiable when the drop rule dropped nothing: no loss was there to repair or leave', () => {
    expectNotObserved(judgeUnreliable({ ...udp, received: udp.sent }, { ...tcp(), retransmissions: 0 }, { udp: 0, tcp: 0 }), 'dropped no packet');
  });

  it('is unverifiable, not refuted, when every drop hit TCP (the rule in place only once the datagrams had passed): all 200 datagrams arrived, but none was lost', () => {
    expectNotObserved(judgeUnreliable({ ...udp, received: udp.sent }, tcp(), { udp: 0, tcp: 2 }), 'dropped no UDP datagram');
  });

  it('is unverifiable, not refuted, when every drop hit UDP (the rule lifted before the TCP connection): TCP needed no retransmission', () => {
    expectNotObserved(judgeUnreliable(udp, { ...tcp(), retransmissions: 0 }, { udp: 20, tcp: 0 }), 'dropped no TCP packet');
  });

  it('is unverifiable, not refuted, when the drops that hit TCP were ACK-only packets: every byte arrived with no retransmission, so no repair was seen', () => {
    expectNotObserved(judgeUnreliable(udp, { ...tcp(), retransmissions: 0 }, { udp: 20, tcp: 2 }), 'needed no resending');
  });
});

describe('multicast', () => {
  const real = observedBy<{ datagramsOnTheSendersWire: number; received: Record<string, number> }>('udp.multicast');
  const onWire = () => rows.filter((r) => r['ip.dst'] === '239.1.2.3').length;

  it('is confirmed on the real run: one datagram to 239.1.2.3 on the sender\'s wire, received by rx1 and rx2, not by the bystander', () => {
    expect(onWire()).toBe(real.datagramsOnTheSendersWire);
    expect(judgeMulticast(onWire(), real.received)).toMatchObject({ verdict: 'confirmed', observed: { datagramsOnTheSendersWire: 1, received: { rx1: 1, rx2: 1, bystander: 0 } } });
  });

  it('is refuted when a member missed it (rx2 joined on another interface), or the bystander that never joined got it', () => {
    expect(judgeMulticast(onWire(), { ...real.received, rx2: 0 }).verdict).toBe('refuted');
    expect(judgeMulticast(onWire(), { ...real.received, bystander: 1 }).verdict).toBe('refuted');
  });

  it('is refuted when the sender put one copy per member on the wire (two unicast-like sends) instead of one', () => {
    const twice = rows.flatMap((r) => (r['ip.dst'] === '239.1.2.3' ? [r, r] : [r]));
    expect(judgeMulticast(twice.filter((r) => r['ip.dst'] === '239.1.2.3').length, real.received)).toMatchObject({ verdict: 'refuted', observed: { datagramsOnTheSendersWire: 2 } });
  });

  it('is unverifiable when the sender\'s capture holds no datagram to the group, though the members got it', () => {
    expectNotObserved(judgeMulticast(0, real.received), 'no datagram to 239.1.2.3');
  });
});

describe('checksum', () => {
  const real = observedBy<{ trials: ChecksumTrial[] }>('udp.checksum');
  const normalChecksum = () => rows.find((r) => r['udp.dstport'] === '7002')?.['udp.checksum'] ?? '';
  const changed = (name: string, delivered: boolean, counters: Record<string, number>) => real.trials.map((t) => (t.name === name ? { ...t, delivered, counters: { ...t.counters, ...counters } } : t));

  it('is confirmed on the real run: IPv4 zero checksum delivered, IPv4 wrong one dropped, IPv6 zero one dropped; Linux sent 0xfeec', () => {
    expect(normalChecksum()).toBe('0xfeec');
    // The crafted datagrams as scapy put them on the wire: checksum 0, 0x1234, and 0 over IPv6.
    expect(rows.filter((r) => r['udp.dstport'] === '7004').map((r) => r['udp.checksum'])).toEqual(['0x0000', '0x1234', '0x0000']);
    expect(judgeChecksum(real.trials, normalChecksum())).toMatchObject({ verdict: 'confirmed', observed: observedBy('udp.checksum') });
  });

  it('is refuted when the wrong IPv4 checksum was delivered anyway (receive checksum offload left on, the packet trusted)', () => {
    const trusted = changed('IPv4, wrong checksum', true, { 'Udp.InDatagrams': 1, 'Udp.InCsumErrors': 0 });
    expect(judgeChecksum(trusted, normalChecksum())).toMatchObject({ verdict: 'refuted', observed: { ipv4WrongChecksumDelivered: true } });
  });

  it('is refuted when the IPv6 datagram with checksum 0 was accepted (a socket allowing it, UDP_NO_CHECK6_RX, RFC 6935)', () => {
    const accepted = changed('IPv6, checksum 0', true, { Udp6InDatagrams: 1, Udp6InCsumErrors: 0 });
    expect(judgeChecksum(accepted, normalChecksum())).toMatchObject({ verdict: 'refuted', observed: { ipv6ZeroChecksumDelivered: true } });
  });

  it('states what the capture showed of Linux\'s own checksum: filled in (0xfeec) on the real run, none when Linux sent 0x0000 (a socket with SO_NO_CHECK)', () => {
    expect(judgeChecksum(real.trials, normalChecksum()).summary).toContain('Linux itself filled in the IPv4 checksum (0xfeec)');
    const unchecked = judgeChecksum(real.trials, '0x0000');
    expect(unchecked).toMatchObject({ verdict: 'confirmed', observed: { linuxSendsChecksumOverIpv4: false } });
    expect(unchecked.summary).toContain('Linux itself sent its IPv4 datagrams with no checksum (0x0000)');
  });

  it('is unverifiable when the capture holds no datagram Linux itself sent to port 7002 (tcpdump started after the loss step)', () => {
    const late = rows.filter((r) => r['udp.dstport'] !== '7002');
    const result = judgeChecksum(real.trials, late.find((r) => r['udp.dstport'] === '7002')?.['udp.checksum'] ?? '');
    expectNotObserved(result, 'no datagram Linux itself sent (to port 7002)');
    expect(result.summary).not.toContain('()');
  });

  it('is unverifiable when the outcome of a crafted datagram was not recorded (the IPv6 trial never ran)', () => {
    expectNotObserved(judgeChecksum(real.trials.filter((t) => t.name !== 'IPv6, checksum 0'), normalChecksum()), '"IPv6, checksum 0"');
  });

  it('is refuted when the IPv4 datagram with checksum 0 was dropped as if zero were a wrong checksum', () => {
    const strict = changed('IPv4, checksum 0', false, { 'Udp.InDatagrams': 0, 'Udp.InCsumErrors': 1 });
    expect(judgeChecksum(strict, normalChecksum())).toMatchObject({ verdict: 'refuted', observed: { ipv4ZeroChecksumDelivered: false } });
  });
});
