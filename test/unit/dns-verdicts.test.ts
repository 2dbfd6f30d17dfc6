/**
 * The dns-resolution verdicts the older unit tests left out, on the real capture of a run on the resolver
 * (test/fixtures/dns-resolution.pcap: BIND 9.18.49 root, TLD and authoritative servers, Unbound 1.17.1, Debian 12)
 * and on what that run read beside it (test/fixtures/dns-resolution-observation.json.gz, extracted from the run's
 * results.json: getent's answer for the hosts-file name and the NS lines of Debian's /usr/share/dns/root.hints),
 * with altered copies: hosts file (refuted), root hints (confirmed and refuted, with and without the optional
 * class IN in its lines; unverifiable when no line is a root NS record).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DNS_FIELDS, IP, judgeHostsFile, judgeRootHints, type DnsRow } from '../../labs/dns/resolution.lab.ts';
import type { Evidence } from '../../src/core/types.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';

interface RecordedClaim {
  id: string;
  verdict: string;
  observed: Record<string, unknown>;
  evidence: Evidence[];
}
const { real: recorded } = realSample<{ claims: RecordedClaim[] }>('dns-resolution-observation.json.gz');
const recordedClaim = (id: string) => recorded.claims.find((c) => c.id === id)!;
/** getent ahostsv4 hosts-only.example.lab, as the client printed it. */
const hostsAnswer = recordedClaim('dns.client.hosts-file').observed.answer as string;
/** `grep NS /usr/share/dns/root.hints`: the only lines of the file judgeRootHints reads. */
const rootHints = (recordedClaim('dns.root.thirteen').evidence[0] as Extract<Evidence, { kind: 'command' }>).output;

const pcap = new URL('../fixtures/dns-resolution.pcap', import.meta.url).pathname;
let rows: DnsRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'dns', DNS_FIELDS)) as DnsRow[];
});

/** A real message of the capture asking (or answering) for another name: the client's first query, or the resolver's answer to it. */
const asking = (name: string, response: boolean): DnsRow => {
  const model = rows.find((r) => r['ip.src'] === (response ? IP.resolver : IP.client) && r['ip.dst'] === (response ? IP.client : IP.resolver))!;
  return { ...model, 'dns.qry.name': name, 'dns.a': '' };
};

describe('hosts file', () => {
  it('is confirmed on the real run: getent answered 198.18.90.99 and none of the 16 messages on the resolver asked for the name', () => {
    expect(rows).toHaveLength(16);
    expect(hostsAnswer.startsWith(IP.hostsOnly)).toBe(true);
    const result = judgeHostsFile(rows, hostsAnswer);
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { dnsMessagesForTheName: 0 } });
    expect(result.observed).toEqual(recordedClaim('dns.client.hosts-file').observed);
  });

  it('is refuted when the client skipped /etc/hosts (nsswitch "hosts: dns"): its query reached the resolver, NXDOMAIN, getent printed nothing', () => {
    const viaDns = [asking('hosts-only.example.lab', false), asking('hosts-only.example.lab', true), ...rows];
    expect(judgeHostsFile(viaDns, '')).toMatchObject({ verdict: 'refuted', observed: { answer: '', dnsMessagesForTheName: 2 } });
  });

  it('is refuted when DNS was asked first and the hosts file only answered after (nsswitch "hosts: dns files")', () => {
    const dnsFirst = [asking('hosts-only.example.lab', false), asking('hosts-only.example.lab', true), ...rows];
    expect(judgeHostsFile(dnsFirst, hostsAnswer)).toMatchObject({ verdict: 'refuted', observed: { dnsMessagesForTheName: 2 } });
  });
});

describe('root hints', () => {
  it('is confirmed on the real file: 13 root servers, a.root-servers.net to m.root-servers.net', () => {
    const result = judgeRootHints(rootHints);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toEqual(recordedClaim('dns.root.thirteen').observed);
    expect((result.observed.names as string[])[12]).toBe('m.root-servers.net.');
  });

  it('is refuted by a hints file that lists 12 of them (one letter dropped)', () => {
    const twelve = rootHints.split('\n').filter((l) => !l.includes('K.ROOT-SERVERS.NET.')).join('\n');
    expect(judgeRootHints(twelve)).toMatchObject({ verdict: 'refuted', summary: 'The root hints list 12 names.' });
  });

  it('is refuted by the hints of a private root in the same layout: one NS, not the thirteen letters', () => {
    const privateRoot = rootHints.split('\n')[0]!.replace('A.ROOT-SERVERS.NET.', 'NS.ROOT.');
    expect(privateRoot).toMatch(/^\.\s+3600000\s+NS\s+NS\.ROOT\.$/);
    expect(judgeRootHints(privateRoot)).toMatchObject({ verdict: 'refuted', observed: { names: ['ns.root.'] } });
  });

  it('is confirmed on the same 13 lines written with the optional class IN (". 3600000 IN NS A.ROOT-SERVERS.NET.", as dig prints them)', () => {
    const withClass = rootHints.replace(/\s+NS\s+/g, ' IN NS ');
    expect(withClass.split('\n')[0]).toMatch(/^\.\s+3600000 IN NS A\.ROOT-SERVERS\.NET\.$/);
    const result = judgeRootHints(withClass);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toEqual(recordedClaim('dns.root.thirteen').observed);
  });

  it('is refuted by a private root\'s hints written with the class (". 3600 IN NS ns.root."): read, not taken for a missing record', () => {
    expect(judgeRootHints('.   3600   IN   NS   ns.root.')).toMatchObject({ verdict: 'refuted', observed: { names: ['ns.root.'] } });
  });

  it('is unverifiable when no line is a root NS record (only the servers\' A records left in the file)', () => {
    const addressesOnly = 'A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\nB.ROOT-SERVERS.NET.      3600000      A     170.247.170.2';
    expectNotObserved(judgeRootHints(addressesOnly), 'no NS record');
  });
});
