/** The ip-header verdict the older unit tests left unasserted: the TTL confirmed, on the real captures on both sides of two routers. */
import { beforeAll, describe, expect, it } from 'vitest';
import { IP_FIELDS, judgeTtl, type IpRow } from '../../labs/ip/header.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
let sent: IpRow[];
let received: IpRow[];

beforeAll(async () => {
  const read = (name: string) => readFields(fixture(name), 'ip.src == 198.18.30.1', IP_FIELDS, ['ip.check_checksum:TRUE']) as Promise<IpRow[]>;
  [sent, received] = await Promise.all([read('ip-client.pcap'), read('ip-server.pcap')]);
});

describe('TTL', () => {
  it('is confirmed on the real captures: every packet matched by identification arrived with its TTL two less, one per router', () => {
    const result = judgeTtl(sent, received);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ decrements: [2], routers: 2 });
    expect(result.observed.packetsMatched as number).toBeGreaterThan(0);
  });
});
