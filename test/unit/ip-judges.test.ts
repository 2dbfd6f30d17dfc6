/** The ip-header verdicts as pure functions of real captures, and of those captures altered. */
import { beforeAll, describe, expect, it } from 'vitest';
import { IP_FIELDS, judgeHeaderFields, judgeOptionsSize, judgeTtl, type IpRow } from '../../labs/ip/header.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
let sent: IpRow[];
let received: IpRow[];

beforeAll(async () => {
  const read = (name: string) => readFields(fixture(name), 'ip.src == 198.18.30.1', IP_FIELDS, ['ip.check_checksum:TRUE']) as Promise<IpRow[]>;
  [sent, received] = await Promise.all([read('ip-client.pcap'), read('ip-server.pcap')]);
});

describe('ip judges on real captures', () => {
  it('header fields: nuanced by the ECN bits; refuted when a checksum is bad', () => {
    expect(judgeHeaderFields(sent).verdict).toBe('nuanced');
    const bad = sent.map((r, i) => (i === 0 ? { ...r, 'ip.checksum.status': '0' } : r));
    expect(judgeHeaderFields(bad).verdict).toBe('refuted');
  });

  it('header fields: confirmed when no packet used the ECN bits', () => {
    expect(judgeHeaderFields(sent.map((r) => ({ ...r, 'ip.dsfield.ecn': '0' }))).verdict).toBe('confirmed');
  });

  it('TTL: two routers take two; a router that did not decrement refutes', () => {
    expect(judgeTtl(sent, received).observed.decrements).toEqual([2]);
    const one = received.map((r) => ({ ...r, 'ip.ttl': String(Number(r['ip.ttl']) + 1) }));
    expect(judgeTtl(sent, one).verdict).toBe('refuted');
  });

  it('options: a 60-byte header arrived', () => {
    expect(judgeOptionsSize(received).verdict).toBe('confirmed');
    expect(judgeOptionsSize(received.filter((r) => r['ip.hdr_len'] === '20')).verdict).toBe('refuted');
  });
});

describe('TTL', () => {
  it('is confirmed on the real captures: every packet matched by identification arrived with its TTL two less, one per router', () => {
    const result = judgeTtl(sent, received);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ decrements: [2], routers: 2 });
    expect(result.observed.packetsMatched as number).toBeGreaterThan(0);
  });
});

describe('ip-header without the observations it needs', () => {
  it('header fields: unverifiable on an empty capture, or without the packet with options; a bad checksum still refutes', () => {
    expectNotObserved(judgeHeaderFields([]), 'no TCP data packet, no first UDP fragment, no later UDP fragment, no packet with IP options');
    const noOptions = sent.filter((r) => Number(r['ip.hdr_len'].split(',')[0]) === 20);
    expectNotObserved(judgeHeaderFields(noOptions), 'no packet with IP options');
    expect(judgeHeaderFields(noOptions.map((r, i) => (i === 0 ? { ...r, 'ip.checksum.status': '0' } : r))).verdict).toBe('refuted');
  });

  it('TTL: unverifiable when no packet was captured on both sides', () => {
    expectNotObserved(judgeTtl(sent, []), 'No packet from the client was captured on both sides');
    expectNotObserved(judgeTtl([], received), `0 at the client, ${received.length} at the server`);
  });

  it('options size: unverifiable when the server captured nothing from the client', () => {
    expectNotObserved(judgeOptionsSize([]), "server's capture holds no packet");
  });
});
