/** The ip-header judges given captures that lack what they need (the real captures, parts taken out): unverifiable, naming what is missing. */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { IP_FIELDS, judgeHeaderFields, judgeOptionsSize, judgeTtl, type IpRow } from '../../labs/ip/header.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
let sent: IpRow[];
let received: IpRow[];


beforeAll(async () => {
  const read = (name: string) => readFields(fixture(name), 'ip.src == 198.18.30.1', IP_FIELDS, ['ip.check_checksum:TRUE']) as Promise<IpRow[]>;
  [sent, received] = await Promise.all([read('ip-client.pcap'), read('ip-server.pcap')]);
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
