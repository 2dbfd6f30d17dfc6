/** Every tls-handshake verdict on a real capture of a TLS 1.2 and a TLS 1.3 handshake (decrypted with its key log), and on altered copies of it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { judgeAead, judgeMessages, judgeOrder, judgeRandoms, judgeRoundTrips, TLS_FIELDS, type TlsRow } from '../../labs/tls/handshake.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
let rows: TlsRow[];
let v12: TlsRow[];
let v13: TlsRow[];
/** The round trip as the lab measures it: from the TLS 1.2 connection's SYN to its SYN/ACK. */
let rttMs: number;
const clientHello = (stream: TlsRow[]) => stream.find((r) => r['tls.handshake.type'].split(',').includes('1'))!;
/** The name Node reports for the suite the TLS 1.3 ServerHello chose (0x1302 in this capture). */
const NEGOTIATED: Record<string, string> = { '0x1301': 'TLS_AES_128_GCM_SHA256', '0x1302': 'TLS_AES_256_GCM_SHA384', '0x1303': 'TLS_CHACHA20_POLY1305_SHA256' };
/** A copy of the rows with one frame's fields changed. */
const withFrame = (stream: TlsRow[], frame: string, change: Partial<TlsRow>) => stream.map((r) => (r['frame.number'] === frame ? { ...r, ...change } : r));

beforeAll(async () => {
  rows = (await readFields(fixture('tls.pcap'), 'tcp', TLS_FIELDS, [`tls.keylog_file:${fixture('tls-keys.log')}`])) as TlsRow[];
  v12 = rows.filter((r) => r['tcp.stream'] === '0');
  v13 = rows.filter((r) => r['tcp.stream'] === '1');
  const synAck = v12.find((r) => r['tcp.flags'] === '0x0012')!;
  rttMs = Math.round(Number(synAck['frame.time_relative']) * 1000 - Number(v12[0]!['frame.time_relative']) * 1000);
});

describe('round trips', () => {
  it('are confirmed on the real capture: TLS 1.2 sends data 2 round trips after its ClientHello, TLS 1.3 after 1', () => {
    expect(judgeRoundTrips('tls.v12.two-rtt', v12, rttMs, 2, 'TLS 1.2')).toMatchObject({ verdict: 'confirmed', observed: { roundTripsBeforeClientData: 2 } });
    expect(judgeRoundTrips('tls.v13.one-rtt', v13, rttMs, 1, 'TLS 1.3')).toMatchObject({ verdict: 'confirmed', observed: { roundTripsBeforeClientData: 1 } });
  });

  it('are refuted when the client data came a round trip later than claimed (the TLS 1.3 data frame delayed by one round trip)', () => {
    const data = v13.find((r) => r['ip.src'] === '198.18.80.1' && r['tls.record.content_type'].split(',').includes('23'))!;
    const later = withFrame(v13, data['frame.number'], { 'frame.time_relative': String(Number(data['frame.time_relative']) + rttMs / 1000) });
    expect(judgeRoundTrips('tls.v13.one-rtt', later, rttMs, 1, 'TLS 1.3')).toMatchObject({ verdict: 'refuted', observed: { roundTripsBeforeClientData: 2 } });
  });

  it('are refuted for TLS 1.2 when the client used False Start (RFC 7918): its request rode with its Finished, one round trip after the ClientHello', () => {
    // The real client sent its Finished (frame 8) and waited for the server's before its request (frame 10);
    // with False Start the request's record leaves in the Finished's packet and frame 10 is a bare ACK.
    const finished = v12.find((r) => r['ip.src'] === '198.18.80.1' && r['tls.handshake.type'] === '16,20')!;
    const data = v12.find((r) => r['ip.src'] === '198.18.80.1' && r['tls.record.content_type'] === '23')!;
    const falseStart = withFrame(
      withFrame(v12, finished['frame.number'], { 'tls.record.content_type': `${finished['tls.record.content_type']},23`, 'tls.record.length': `${finished['tls.record.length']},${data['tls.record.length']}` }),
      data['frame.number'],
      { 'tls.record.content_type': '', 'tls.record.length': '' },
    );
    const result = judgeRoundTrips('tls.v12.two-rtt', falseStart, rttMs, 2, 'TLS 1.2');
    expect(result).toMatchObject({ verdict: 'refuted', observed: { roundTripsBeforeClientData: 1 } });
    expect(result.summary).toContain('not 2');
  });
});

describe('TLS 1.2 messages', () => {
  it('are confirmed when the flights are exactly the sheet\'s (the real flights, the server\'s NewSessionTicket taken out)', () => {
    // Frame 9 carries NewSessionTicket, ChangeCipherSpec, Finished; drop the ticket's record.
    const ticket = v12.find((r) => r['tls.handshake.type'] === '4,20')!;
    const noTicket = withFrame(v12, ticket['frame.number'], { 'tls.record.content_type': '20,22', 'tls.handshake.type': '20', 'tls.record.length': ticket['tls.record.length'].split(',').slice(1).join(',') });
    expect(judgeMessages(v12).verdict).toBe('nuanced');
    expect(judgeMessages(noTicket).verdict).toBe('confirmed');
  });

  it('are refuted when a message of the sheet is missing (the ServerKeyExchange taken out of the server\'s flight)', () => {
    const flight = v12.find((r) => r['tls.handshake.type'] === '2,11,12,14')!;
    const lengths = flight['tls.record.length'].split(',');
    const noKeyExchange = withFrame(v12, flight['frame.number'], { 'tls.record.content_type': '22,22,22', 'tls.handshake.type': '2,11,14', 'tls.record.length': [lengths[0], lengths[1], lengths[3]].join(',') });
    expect(judgeMessages(noKeyExchange).verdict).toBe('refuted');
  });
});

describe('randoms', () => {
  it('are confirmed on the real capture: four 32-byte randoms; refuted when one is shorter', () => {
    expect(judgeRandoms(rows)).toMatchObject({ verdict: 'confirmed', observed: { randoms: [{ bytes: 32 }, { bytes: 32 }, { bytes: 32 }, { bytes: 32 }] } });
    const hello = clientHello(v12);
    const short = withFrame(rows, hello['frame.number'], { 'tls.handshake.random': hello['tls.handshake.random'].slice(0, 56) });
    expect(judgeRandoms(short).verdict).toBe('refuted');
  });
});

describe('TLS 1.3 AEAD-only suites', () => {
  /** What OpenSSL 3.0.19 here answers when asked for RFC 9150's integrity-only TLS 1.3 suites. */
  const REFUSED = { accepted: false, output: 'no cipher match' };

  it('are nuanced on the real TLS 1.3 ClientHello and the suite its ServerHello chose: AEAD only, as far as this OpenSSL goes', () => {
    const serverHello = v13.find((r) => r['ip.src'] === '198.18.80.2' && r['tls.handshake.ciphersuite'] !== '')!;
    const negotiated = NEGOTIATED[serverHello['tls.handshake.ciphersuite']]!;
    expect(negotiated).toBe('TLS_AES_256_GCM_SHA384');
    expect(judgeAead(clientHello(v13), negotiated, REFUSED).verdict).toBe('nuanced');
  });

  it('are refuted when the library enables an integrity-only TLS 1.3 suite', () => {
    expect(judgeAead(clientHello(v13), 'TLS_AES_256_GCM_SHA384', { accepted: true, output: 'TLS_SHA256_SHA256' }).verdict).toBe('refuted');
  });

  it('are refuted when the connection settled on a TLS 1.2 suite: the real TLS 1.2 ClientHello offers no TLS 1.3 suite', () => {
    expect(judgeAead(clientHello(v12), 'ECDHE-ECDSA-AES128-GCM-SHA256', REFUSED).verdict).toBe('refuted');
    expect(judgeAead(clientHello(v13), 'ECDHE-ECDSA-AES128-GCM-SHA256', REFUSED).verdict).toBe('refuted');
  });
});

describe('HTTPS order', () => {
  it('is confirmed on the real TLS 1.2 connection: SYN, SYN/ACK, the TLS handshake to the client\'s Finished, then data', () => {
    expect(judgeOrder(v12)).toMatchObject({ verdict: 'confirmed', observed: { tcpHandshakePacketsBeforeTls: 2 } });
  });

  it('is refuted when application data crossed before the client\'s Finished (the server\'s first flight altered to carry a data record)', () => {
    const flight = v12.find((r) => r['tls.handshake.type'] === '2,11,12,14')!;
    const early = withFrame(v12, flight['frame.number'], { 'tls.record.content_type': `${flight['tls.record.content_type']},23` });
    expect(judgeOrder(early).verdict).toBe('refuted');
  });
});
