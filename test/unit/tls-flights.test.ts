/** TLS flights and round trips read from a real capture of both handshakes, decrypted with its key log. */
import { beforeAll, describe, expect, it } from 'vitest';
import { flights, judgeMessages, roundTrips, TLS_FIELDS, type TlsRow } from '../../labs/tls/handshake.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
let rows: TlsRow[];
const stream = (n: string) => rows.filter((r) => r['tcp.stream'] === n);

beforeAll(async () => {
  rows = (await readFields(fixture('tls.pcap'), 'tcp', TLS_FIELDS, [`tls.keylog_file:${fixture('tls-keys.log')}`])) as TlsRow[];
});

describe('TLS handshakes from a real capture', () => {
  it('orders each TLS 1.2 flight as its records came', () => {
    const f = flights(stream('0')).map((x) => `${x.from}: ${x.messages.join(', ')}`);
    expect(f.slice(0, 4)).toEqual([
      'client: ClientHello',
      'server: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone',
      'client: ClientKeyExchange, ChangeCipherSpec, Finished',
      'server: NewSessionTicket, ChangeCipherSpec, Finished',
    ]);
    expect(judgeMessages(stream('0')).verdict).toBe('nuanced');
  });

  it('counts two round trips for TLS 1.2 and one for TLS 1.3', () => {
    expect(roundTrips(stream('0'), 33)).toBe(2);
    expect(roundTrips(stream('1'), 33)).toBe(1);
  });

  it('without the key log, TLS 1.3 hides its handshake in encrypted records', async () => {
    const opaque = (await readFields(fixture('tls.pcap'), 'tcp.stream == 1', TLS_FIELDS)) as TlsRow[];
    const server = flights(opaque).filter((f) => f.from === 'server').flatMap((f) => f.messages);
    expect(server).toContain('ServerHello');
    expect(server).toContain('EncryptedRecord');
    expect(server).not.toContain('Certificate');
  });
});
