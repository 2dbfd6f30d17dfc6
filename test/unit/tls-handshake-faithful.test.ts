/**
 * tls.https.order restated with the sheet's fourth step ("when communication ends, the SSL/TLS connection and the TCP
 * connection are closed"), judged on the real capture of a tls-handshake run (test/fixtures/tls.pcap, decrypted
 * with test/fixtures/tls-keys.log) and altered copies of its TLS 1.2 connection.
 *
 * The capture already holds both sides' close_notify alerts and FINs; the judge now also reads the alert's
 * description (tls.alert_message.desc, added to TLS_FIELDS), which tshark decodes from the same capture.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { judgeOrder, TLS_FIELDS, type TlsRow } from '../../labs/tls/handshake.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const types = (r: TlsRow) => r['tls.record.content_type'].split(',');
let v12: TlsRow[];
/** The frames of the TLS 1.2 connection that carry a close_notify: the server's (with its FIN) and the client's. */
let alerts: TlsRow[];
const without = (frame: string) => v12.map((r) => (r['frame.number'] === frame ? { ...r, 'tls.record.content_type': '', 'tls.alert_message.desc': '', 'tls.record.length': '' } : r));

beforeAll(async () => {
  const rows = (await readFields(fixture('tls.pcap'), 'tcp', TLS_FIELDS, [`tls.keylog_file:${fixture('tls-keys.log')}`])) as TlsRow[];
  v12 = rows.filter((r) => r['tcp.stream'] === '0');
  alerts = v12.filter((r) => types(r).includes('21'));
});

describe('HTTPS order, closing included', () => {
  it('is confirmed on the real TLS 1.2 connection: each side sent close_notify before (or with) its FIN', () => {
    const result = judgeOrder(v12);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed['closing']).toEqual([
      { side: 'client', closeNotifyFrame: '14', tcpEndFrame: '15', tcpEnd: 'FIN', tlsClosedFirst: true },
      { side: 'server', closeNotifyFrame: '12', tcpEndFrame: '12', tcpEnd: 'FIN', tlsClosedFirst: true },
    ]);
    expect(result.summary).toContain('each side closed TLS before TCP');
  });

  it('is nuanced when one side ended TCP without sending close_notify first (the client\'s alert taken out)', () => {
    // The connection's first packet is the client's SYN.
    const clientAlert = alerts.find((r) => r['ip.src'] === v12[0]!['ip.src'])!;
    const result = judgeOrder(without(clientAlert['frame.number']));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('client ended TCP with FIN without sending close_notify first');
    expect(result.summaryZh).toContain('客户端没有先发送 close_notify');
  });

  it('is refuted when application data crossed before the client\'s Finished', () => {
    const flight = v12.find((r) => r['tls.handshake.type'] === '2,11,12,14')!;
    const early = v12.map((r) => (r === flight ? { ...r, 'tls.record.content_type': `${r['tls.record.content_type']},23` } : r));
    expect(judgeOrder(early).verdict).toBe('refuted');
  });

  it('is unverifiable when the capture ends before a side\'s FIN, or an alert before the FIN could not be read', () => {
    const cut = v12.filter((r) => Number(r['frame.number']) < 12);
    const unended = judgeOrder(cut);
    expect(unended.verdict).toBe('unverifiable');
    expect(unended.summary).toContain('no FIN or RST');
    const unread = v12.map((r) => (types(r).includes('21') ? { ...r, 'tls.alert_message.desc': '' } : r));
    expect(judgeOrder(unread).verdict).toBe('unverifiable');
  });
});
