/** The dns-resolution judges given empty captures or input: unverifiable, naming what is missing. */
import { describe, expect, it } from 'vitest';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { IP, judgeCache, judgeHostsFile, judgeIterative, judgeRootHints, type DnsRow } from '../../labs/dns/resolution.lab.ts';

const row = (src: string, dst: string, name: string, response = '0'): DnsRow =>
  ({ 'frame.number': '1', 'frame.time_relative': '0', 'ip.src': src, 'ip.dst': dst, 'dns.flags.response': response, 'dns.qry.name': name, 'dns.qry.type': '1', 'dns.a': '' }) as DnsRow;
/** The repeat lookup as a working capture on the resolver shows it: the client's query and the resolver's answer, nothing upstream. */
const repeat = [row(IP.client, IP.resolver, 'www.example.lab'), row(IP.resolver, IP.client, 'www.example.lab', '1')];
const ANSWER = `${IP.www}    STREAM www.example.lab`;


describe('dns-resolution without the observations it needs', () => {
  it('iterative: unverifiable when the capture holds no upstream query', () => {
    expectNotObserved(judgeIterative([]), 'no query the resolver sent upstream');
    expectNotObserved(judgeIterative(repeat), 'no query the resolver sent upstream');
  });

  it('cache: unverifiable when the capture holds none of the client\'s queries of the repeat; confirmed when it does and nothing went upstream', () => {
    expectNotObserved(judgeCache([], ANSWER, 0), "none of the repeat lookup's queries");
    expect(judgeCache(repeat, ANSWER, 1).verdict).toBe('confirmed');
  });

  it('hosts file: unverifiable on an empty capture', () => {
    expectNotObserved(judgeHostsFile([], `${IP.hostsOnly}    STREAM hosts-only.example.lab`), 'no DNS message at all');
    expect(judgeHostsFile(repeat, `${IP.hostsOnly}    STREAM hosts-only.example.lab`).verdict).toBe('confirmed');
  });

  it('root hints: unverifiable when the file lists no root NS record', () => {
    expectNotObserved(judgeRootHints(''), 'no NS record');
  });
});
