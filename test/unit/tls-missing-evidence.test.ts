/** The tls-handshake judges given a capture that lacks what they need (the real capture, parts taken out): unverifiable, naming what is missing. */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeAead, judgeMessages, judgeOrder, judgeRandoms, judgeRoundTrips, TLS_FIELDS, type TlsRow } from '../../labs/tls/handshake.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const CLIENT = '198.18.80.1';
let rows: TlsRow[];
let v12: TlsRow[];
let v13: TlsRow[];
const types = (r: TlsRow, field: 'tls.handshake.type' | 'tls.record.content_type') => r[field].split(',');
const clientHello = (stream: TlsRow[]) => stream.find((r) => types(r, 'tls.handshake.type').includes('1'))!;


beforeAll(async () => {
  rows = (await readFields(fixture('tls.pcap'), 'tcp', TLS_FIELDS, [`tls.keylog_file:${fixture('tls-keys.log')}`])) as TlsRow[];
  v12 = rows.filter((r) => r['tcp.stream'] === '0');
  v13 = rows.filter((r) => r['tcp.stream'] === '1');
});

describe('tls-handshake without the observations it needs', () => {
  it('round trips: unverifiable on an empty capture, without the ClientHello, or without the client\'s application data', () => {
    expectNotObserved(judgeRoundTrips('tls.v12.two-rtt', [], 30, 2, 'TLS 1.2'), 'no ClientHello');
    expectNotObserved(judgeRoundTrips('tls.v13.one-rtt', v13.filter((r) => r !== clientHello(v13)), 30, 1, 'TLS 1.3'), 'no ClientHello');
    const noData = v13.filter((r) => !(r['ip.src'] === CLIENT && types(r, 'tls.record.content_type').includes('23')));
    expectNotObserved(judgeRoundTrips('tls.v13.one-rtt', noData, 30, 1, 'TLS 1.3'), 'no application data from the client');
  });

  it('messages: unverifiable when no handshake message was decoded', () => {
    expectNotObserved(judgeMessages([]), 'no TLS 1.2 handshake message');
    expectNotObserved(judgeMessages(v12.map((r) => ({ ...r, 'tls.record.content_type': '', 'tls.record.length': '', 'tls.handshake.type': '' }))), 'no TLS 1.2 handshake message');
  });

  it('randoms: unverifiable when fewer than the four randoms were decoded; a short one still refutes', () => {
    expectNotObserved(judgeRandoms([]), '0 of the 4 randoms');
    expectNotObserved(judgeRandoms(v13), '2 of the 4 randoms');
    const hello = clientHello(v12);
    expect(judgeRandoms(v12.map((r) => (r === hello ? { ...r, 'tls.handshake.random': hello['tls.handshake.random'].slice(0, 56) } : r))).verdict).toBe('refuted');
  });

  it('AEAD-only suites: unverifiable without the TLS 1.3 ClientHello or the negotiated suite', () => {
    expectNotObserved(judgeAead(undefined, 'TLS_AES_256_GCM_SHA384', { accepted: false, output: 'no cipher match' }), 'no TLS 1.3 ClientHello');
    expectNotObserved(judgeAead(clientHello(v13), '', { accepted: false, output: 'no cipher match' }), 'did not report the suite');
  });

  it('HTTPS order: unverifiable on an empty capture, without the client\'s Finished, or without application data', () => {
    expectNotObserved(judgeOrder([]), 'no TLS record');
    const noFinished = v12.filter((r) => !(r['ip.src'] === CLIENT && types(r, 'tls.handshake.type').includes('20')));
    expectNotObserved(judgeOrder(noFinished), "no client's Finished");
    expectNotObserved(judgeOrder(v12.filter((r) => !types(r, 'tls.record.content_type').includes('23'))), 'no application data');
  });
});
