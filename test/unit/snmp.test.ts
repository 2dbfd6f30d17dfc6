import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { counterDelta, parseSnmp, parseSnmp6 } from '../../src/observers/snmp.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('kernel counters from /proc/net/snmp and snmp6', () => {
  it('pairs header and value lines per protocol', () => {
    const counters = parseSnmp(fixture('proc-net-snmp.txt'));
    expect(counters['Ip.DefaultTTL']).toBe(64);
    expect(counters['Icmp.OutRateLimitHost']).toBeTypeOf('number');
    expect(counters['Udp.InCsumErrors']).toBeTypeOf('number');
    expect(Object.values(counters).every(Number.isFinite)).toBe(true);
  });

  it('reads name-value lines and subtracts readings', () => {
    const v6 = parseSnmp6(fixture('proc-net-snmp6.txt'));
    expect(v6.Udp6InCsumErrors).toBe(0);
    expect(counterDelta({ a: 1 }, { a: 4, b: 2 }, ['a', 'b'])).toEqual({ a: 3, b: 2 });
  });
});
