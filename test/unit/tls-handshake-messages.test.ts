/**
 * The tls-handshake judges of the handshake messages' contents (the claims from the sheet's TLS 1.2 and
 * TLS 1.3 steps), on the real capture of a TLS 1.2 and a TLS 1.3 handshake decoded by tshark (with the
 * client's key log, and for the ChangeCipherSpec also without it), then on altered copies of its rows
 * for each other verdict.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  judgeCertificateChain,
  judgeChangeCipherSpec,
  judgeClientHelloOffers,
  judgeKeyExchangeParams,
  judgeServerHelloDone,
  judgeServerHelloFields,
  judgeSignatureAlgorithms13,
  judgeVersionFields13,
  TLS_FIELDS,
  type TlsRow,
} from '../../labs/tls/handshake.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
let v12: TlsRow[];
let v13: TlsRow[];
/** The TLS 1.2 connection decoded without the key log. */
let v12WithoutKeyLog: TlsRow[];

const CLIENT = '198.18.80.1';
const types = (r: TlsRow) => r['tls.handshake.type'].split(',').filter(Boolean);
/** The first packet carrying a handshake message of `type`. */
const carrying = (rows: TlsRow[], type: string) => rows.find((r) => types(r).includes(type))!;
/** A copy of the rows with one frame's fields changed. */
const withFrame = (rows: TlsRow[], frame: string, change: Partial<TlsRow>) => rows.map((r) => (r['frame.number'] === frame ? { ...r, ...change } : r));
/** A copy of the rows without the handshake message types of one frame (as if tshark had not decoded them). */
const withoutHandshake = (rows: TlsRow[], type: string) => withFrame(rows, carrying(rows, type)['frame.number'], { 'tls.handshake.type': types(carrying(rows, type)).filter((t) => t !== type).join(',') });
/** A certificate chain made with openssl for these tests: a leaf (CN=server) issued by a CA (CN=lab-ca). */
const LEAF = 'MIIBHDCBwwIUSvUmJUDy23rIuiXQ5As0WILuMGQwCgYIKoZIzj0EAwIwETEPMA0GA1UEAwwGbGFiLWNhMB4XDTI2MTEyNzAxMzAwOFoXDTI2MTEyODAxMzAwOFowETEPMA0GA1UEAwwGc2VydmVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnlIhuXrHwIFaIJVLHfWaGVrUWYyxhzELXaIGx4hi9za1L8Y00SFMX0b6kFRs3+TZCNERusrbXw+DPIniGuN42DAKBggqhkjOPQQDAgNIADBFAiBlhuBmSCPogMxsr2sG73UC8JEkVEShlFTPfMt2uKSyHAIhAMAGeier6Tey/zfKXdbCgHdBtZnxeQ3K5L69viwLWZOC';
const CA = 'MIIBdzCCAR2gAwIBAgIUdCvnx23Thy4h5mAfRg/sQQ4mFKAwCgYIKoZIzj0EAwIwETEPMA0GA1UEAwwGbGFiLWNhMB4XDTI2MTEyNzAxMzAwOFoXDTI2MTEyODAxMzAwOFowETEPMA0GA1UEAwwGbGFiLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEduMN2wEECFCDqViz84Szg3wnudjiK/hqw5F6S8HqhjUOITIZtSK6NM3T7rJcSiQJCGDRbQ6nRO91rYAB2Nk/O6NTMFEwHQYDVR0OBBYEFIBCJVcjlS0A6iufU+iB5YhaXYWLMB8GA1UdIwQYMBaAFIBCJVcjlS0A6iufU+iB5YhaXYWLMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAN/3wOuqOv/3y0p2GYbcYROLXtbsHYaMAcGKlAe632kHAiATG4EdxdMgOd5jCRPS4lfnGeFANf21uSc0DRbvavcAHg==';
const der = (base64: string) => Buffer.from(base64, 'base64').toString('hex');
const withCertificates = (rows: TlsRow[], chain: string[]) => withFrame(rows, carrying(rows, '11')['frame.number'], { 'tls.handshake.certificate': chain.map(der).join(',') });

beforeAll(async () => {
  const rows = (await readFields(fixture('tls.pcap'), 'tcp', TLS_FIELDS, [`tls.keylog_file:${fixture('tls-keys.log')}`])) as TlsRow[];
  v12 = rows.filter((r) => r['tcp.stream'] === '0');
  v13 = rows.filter((r) => r['tcp.stream'] === '1');
  v12WithoutKeyLog = (await readFields(fixture('tls.pcap'), 'tcp.stream == 0', TLS_FIELDS)) as TlsRow[];
});

describe('tls.v12.client-hello-offers', () => {
  it('is nuanced on the real TLS 1.2 ClientHello: 49 suites with the sheet\'s 0xc030, but one version (client_version 0x0303), no list', () => {
    const result = judgeClientHelloOffers(v12);
    expect(result).toMatchObject({ verdict: 'nuanced', observed: { clientVersion: '0x0303', supportedVersionsExtension: [], suitesOffered: 49, offersSheetExample: true } });
    expect(result.summary).toContain('highest version the client supports');
  });

  it('is confirmed when the ClientHello also lists its versions (a supported_versions extension with TLS 1.2)', () => {
    const hello = carrying(v12, '1');
    expect(judgeClientHelloOffers(withFrame(v12, hello['frame.number'], { 'tls.handshake.extensions.supported_version': '0x0303' })).verdict).toBe('confirmed');
  });

  it('is refuted when the ClientHello offers no suite, or not TLS 1.2; unverifiable without a ClientHello', () => {
    const hello = carrying(v12, '1');
    expect(judgeClientHelloOffers(withFrame(v12, hello['frame.number'], { 'tls.handshake.ciphersuite': '' })).verdict).toBe('refuted');
    expect(judgeClientHelloOffers(withFrame(v12, hello['frame.number'], { 'tls.handshake.version': '0x0302' })).verdict).toBe('refuted');
    expect(judgeClientHelloOffers(withoutHandshake(v12, '1')).verdict).toBe('unverifiable');
  });
});

describe('tls.v12.server-hello-fields', () => {
  it('is confirmed on the real ServerHello: TLS 1.2, a 32-byte random, 0xc02b from the offered suites, an empty session ID', () => {
    expect(judgeServerHelloFields(v12)).toMatchObject({ verdict: 'confirmed', observed: { version: '0x0303', randomBytes: 32, suite: '0xc02b', sessionIdLength: 0, newSessionTicket: true } });
  });

  it('is refuted when its suite was not offered, or it lacks a session ID field; unverifiable without a ServerHello', () => {
    const hello = carrying(v12, '2');
    expect(judgeServerHelloFields(withFrame(v12, hello['frame.number'], { 'tls.handshake.ciphersuite': '0x1302' })).verdict).toBe('refuted');
    expect(judgeServerHelloFields(withFrame(v12, hello['frame.number'], { 'tls.handshake.session_id_length': '' })).verdict).toBe('refuted');
    expect(judgeServerHelloFields(withoutHandshake(v12, '2')).verdict).toBe('unverifiable');
  });
});

describe('tls.certificate.chain', () => {
  it('is nuanced on the real capture: in both versions the server sent one self-signed certificate, a chain of one', () => {
    const result = judgeCertificateChain(v12, v13);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed.certificateMessages).toMatchObject([
      { version: 'TLS 1.2', from: 'server', frame: '6', certificates: [{ subject: 'CN=server', issuer: 'CN=server', selfSigned: true }] },
      { version: 'TLS 1.3', from: 'server', frame: '24', certificates: [{ subject: 'CN=server', selfSigned: true }] },
    ]);
  });

  it('is confirmed when both Certificate messages hold a leaf and the CA that signed it', () => {
    expect(judgeCertificateChain(withCertificates(v12, [LEAF, CA]), withCertificates(v13, [LEAF, CA])).verdict).toBe('confirmed');
  });

  it('is refuted when the certificates are not each issued by the next, or the message came from the client', () => {
    expect(judgeCertificateChain(withCertificates(v12, [CA, LEAF]), v13).verdict).toBe('refuted');
    const cert = carrying(v12, '11');
    expect(judgeCertificateChain(withFrame(v12, cert['frame.number'], { 'ip.src': CLIENT }), v13).verdict).toBe('refuted');
  });

  it('is unverifiable when the TLS 1.3 capture is decoded without the key log (its Certificate is encrypted)', async () => {
    const opaque = (await readFields(fixture('tls.pcap'), 'tcp.stream == 1', TLS_FIELDS)) as TlsRow[];
    expect(judgeCertificateChain(v12, opaque)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('TLS 1.3') });
  });
});

describe('tls.v12.key-exchange-params', () => {
  it('is confirmed on the real capture: x25519 and a 32-byte key from the server (signed), a 32-byte key from the client', () => {
    expect(judgeKeyExchangeParams(v12)).toMatchObject({
      verdict: 'confirmed',
      observed: { serverKeyExchange: { from: 'server', curve: '0x001d', publicKeyBytes: 32, signature: 'ecdsa_secp256r1_sha256' }, clientKeyExchange: { from: 'client', publicKeyBytes: 32 } },
    });
  });

  it('is refuted when the ClientKeyExchange carries no public key; unverifiable without a ServerKeyExchange', () => {
    expect(judgeKeyExchangeParams(withFrame(v12, carrying(v12, '16')['frame.number'], { 'tls.handshake.client_point': '' })).verdict).toBe('refuted');
    expect(judgeKeyExchangeParams(withoutHandshake(v12, '12')).verdict).toBe('unverifiable');
  });
});

describe('tls.v12.server-hello-done', () => {
  it('is nuanced on the real capture: it ended the server\'s first flight, yet the server later sent NewSessionTicket, ChangeCipherSpec, Finished', () => {
    expect(judgeServerHelloDone(v12)).toMatchObject({ verdict: 'nuanced', observed: { afterItInTheSameFlight: [], laterServerMessages: ['NewSessionTicket', 'ChangeCipherSpec', 'Finished'] } });
  });

  it('is confirmed when the server sends nothing after it (the capture cut after the client\'s flight)', () => {
    const clientFlight = carrying(v12, '16')['frame.number'];
    expect(judgeServerHelloDone(v12.filter((r) => Number(r['frame.number']) <= Number(clientFlight))).verdict).toBe('confirmed');
  });

  it('is refuted when the server sends more handshake messages after it before the client answers; unverifiable without one', () => {
    const flight = carrying(v12, '14');
    const more = withFrame(v12, flight['frame.number'], { 'tls.record.content_type': `${flight['tls.record.content_type']},22`, 'tls.handshake.type': `${flight['tls.handshake.type']},4`, 'tls.record.length': `${flight['tls.record.length']},202` });
    expect(judgeServerHelloDone(more)).toMatchObject({ verdict: 'refuted', observed: { afterItInTheSameFlight: ['NewSessionTicket'] } });
    expect(judgeServerHelloDone(withoutHandshake(v12, '14')).verdict).toBe('unverifiable');
  });
});

describe('tls.v12.change-cipher-spec', () => {
  it('is confirmed on the real capture: each side\'s messages before its ChangeCipherSpec read without the key log, all after it only with it', () => {
    const result = judgeChangeCipherSpec(v12, v12WithoutKeyLog);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed.sides).toEqual([
      { side: 'client', changeCipherSpecFrame: '8', before: 'ClientHello, ClientKeyExchange', beforeReadWithoutKeyLog: true, after: 'Finished, ApplicationData (http), Alert (close_notify)', afterReadWithoutKeyLog: '', afterReadOnlyWithKeyLog: true },
      { side: 'server', changeCipherSpecFrame: '9', before: 'ServerHello, Certificate, ServerKeyExchange, ServerHelloDone, NewSessionTicket', beforeReadWithoutKeyLog: true, after: 'Finished, ApplicationData (http), Alert (close_notify)', afterReadWithoutKeyLog: '', afterReadOnlyWithKeyLog: true },
    ]);
  });

  it('is refuted when tshark reads the client\'s Finished without the key log (sent in plaintext after its ChangeCipherSpec)', () => {
    const frame = carrying(v12WithoutKeyLog, '16');
    expect(frame['tls.record.content_type']).toBe('22,20,22');
    const plain = withFrame(v12WithoutKeyLog, frame['frame.number'], { 'tls.handshake.type': '16,20' });
    expect(judgeChangeCipherSpec(v12, plain)).toMatchObject({ verdict: 'refuted', summary: expect.stringContaining('Finished in plaintext') });
  });

  it('is refuted when a message before the ChangeCipherSpec already needs the key log (the ServerHelloDone unread without it)', () => {
    const flight = carrying(v12WithoutKeyLog, '14');
    const sealed = withFrame(v12WithoutKeyLog, flight['frame.number'], { 'tls.handshake.type': '2,11,12' });
    expect(judgeChangeCipherSpec(v12, sealed)).toMatchObject({ verdict: 'refuted', summary: expect.stringContaining('ServerHelloDone before its ChangeCipherSpec could not be read without the key log') });
  });

  it('is unverifiable when even the decoding with the key log cannot read what follows the ChangeCipherSpec, or a side sends none', () => {
    expect(judgeChangeCipherSpec(v12WithoutKeyLog, v12WithoutKeyLog)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('nor with it') });
    const clientFlight = carrying(v12, '16')['frame.number'];
    const noCcs = (rows: TlsRow[]) => withFrame(rows, clientFlight, { 'tls.record.content_type': '22,22' });
    expect(judgeChangeCipherSpec(noCcs(v12), noCcs(v12WithoutKeyLog))).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('the client sent no ChangeCipherSpec') });
  });
});

describe('tls.v13.version-fields', () => {
  it('is nuanced on the real capture: TLS 1.3 only in supported_versions; both version fields say 0x0303, and the client lists TLS 1.2 too', () => {
    expect(judgeVersionFields13(v13)).toMatchObject({ verdict: 'nuanced', observed: { clientHello: { versionField: '0x0303', supportedVersions: ['0x0304', '0x0303'] }, serverHello: { versionField: '0x0303', selectedVersion: '0x0304' } } });
  });

  it('is confirmed when both hellos state TLS 1.3 and nothing else; refuted when the ServerHello selects TLS 1.2; unverifiable without it', () => {
    const ch = carrying(v13, '1')['frame.number'];
    const sh = carrying(v13, '2')['frame.number'];
    const only13 = withFrame(withFrame(v13, ch, { 'tls.handshake.version': '0x0304', 'tls.handshake.extensions.supported_version': '0x0304' }), sh, { 'tls.handshake.version': '0x0304' });
    expect(judgeVersionFields13(only13).verdict).toBe('confirmed');
    expect(judgeVersionFields13(withFrame(v13, sh, { 'tls.handshake.extensions.supported_version': '0x0303' })).verdict).toBe('refuted');
    expect(judgeVersionFields13(withoutHandshake(v13, '2')).verdict).toBe('unverifiable');
  });
});

describe('tls.v13.signature-algorithms', () => {
  it('is confirmed on the real ClientHello: 26 schemes, RSA-PSS and ECDSA among them; the server signed with ecdsa_secp256r1_sha256', () => {
    const result = judgeSignatureAlgorithms13(v13);
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { serverCertificateVerify: 'ecdsa_secp256r1_sha256' } });
    expect(result.observed.offered).toHaveLength(26);
    expect(result.observed.rsaPss).toContain('rsa_pss_rsae_sha256');
  });

  it('is nuanced without RSA-PSS among them, refuted with none at all, unverifiable without a ClientHello', () => {
    const ch = carrying(v13, '1');
    const noPss = ch['tls.handshake.sig_hash_alg'].split(',').filter((a) => !/^0x080[4-9ab]$/.test(a)).join(',');
    expect(judgeSignatureAlgorithms13(withFrame(v13, ch['frame.number'], { 'tls.handshake.sig_hash_alg': noPss })).verdict).toBe('nuanced');
    expect(judgeSignatureAlgorithms13(withFrame(v13, ch['frame.number'], { 'tls.handshake.sig_hash_alg': '' })).verdict).toBe('refuted');
    expect(judgeSignatureAlgorithms13(withoutHandshake(v13, '1')).verdict).toBe('unverifiable');
  });
});
