import { describe, expect, it } from 'vitest';
import { IP, judgeCache, judgeIterative, judgeNoLinuxCache, type DnsRow } from '../../labs/dns/resolution.lab.ts';

const row = (src: string, dst: string, name: string, response = '0', type = '1'): DnsRow =>
  ({ 'frame.number': '1', 'frame.time_relative': '0', 'ip.src': src, 'ip.dst': dst, 'dns.flags.response': response, 'dns.qry.name': name, 'dns.qry.type': type, 'dns.a': '' }) as DnsRow;

// The upstream queries Unbound 1.17 sent in a run of the lab (QNAME minimisation on).
const minimised = [row(IP.resolver, IP.root, '<Root>', '0', '2'), row(IP.resolver, IP.root, 'lab'), row(IP.resolver, IP.tld, 'example.lab'), row(IP.resolver, IP.auth, 'www.example.lab')];

describe('dns judges', () => {
  it('root → TLD → authoritative with minimised names is nuanced; with full names confirmed', () => {
    expect(judgeIterative(minimised).verdict).toBe('nuanced');
    const full = [row(IP.resolver, IP.root, 'www.example.lab'), row(IP.resolver, IP.tld, 'www.example.lab'), row(IP.resolver, IP.auth, 'www.example.lab')];
    expect(judgeIterative(full).verdict).toBe('confirmed');
    expect(judgeIterative([...minimised].reverse()).verdict).toBe('refuted');
  });

  it('a repeat that goes upstream again refutes the cache', () => {
    expect(judgeCache([], `${IP.www}    STREAM www.example.lab`, 1).verdict).toBe('confirmed');
    expect(judgeCache(minimised, `${IP.www}    STREAM www.example.lab`, 1).verdict).toBe('refuted');
  });

  it('Linux and Mac without a DNS cache: nuanced when each lookup queries again (the Mac half unobservable), refuted when one is answered from a cache, unverifiable without the first', () => {
    // A run of the lab counted one query from the client per lookup.
    expect(judgeNoLinuxCache(1, 1).verdict).toBe('nuanced');
    expect(judgeNoLinuxCache(1, 1).summary).toContain('Mac');
    expect(judgeNoLinuxCache(1, 0).verdict).toBe('refuted');
    expect(judgeNoLinuxCache(0, 1).verdict).toBe('unverifiable');
  });
});
