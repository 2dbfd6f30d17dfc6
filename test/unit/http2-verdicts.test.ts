/**
 * The http-2 verdicts the older unit tests left out, on the real capture of a run (test/fixtures/http-2.pcap,
 * cleartext HTTP/2 between two node:http2 agents, Node v24.9.0, decoded by tshark 4.0.17 exactly as the lab does)
 * and on what the client agent recorded in that run (test/fixtures/http-2-observation.json.gz, extracted from the
 * run's results.json: the paths it saw pushed), with altered copies: binary framing, HPACK and server push, each
 * confirmed, refuted, and unverifiable when the capture holds no HTTP/2 frame (HPACK also when it holds fewer than the
 * three HEADERS frames it compares).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { framesOf, H2_FIELDS, judgeFraming, judgeHpack, judgePush, type Exchange, type H2Frame, type H2Row } from '../../labs/http/http2.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { realSample } from '../helpers/samples.ts';

interface RecordedClaim {
  id: string;
  verdict: string;
  observed: Record<string, unknown>;
}
const { real: recorded } = realSample<{ claims: RecordedClaim[] }>('http-2-observation.json.gz');
const recordedClaim = (id: string) => recorded.claims.find((c) => c.id === id)!;

const pcap = new URL('../fixtures/http-2.pcap', import.meta.url).pathname;
let rows: H2Row[];
let frames: H2Frame[];
const connection = (n: number) => frames.filter((f) => f.tcpStream === n);
/**
 * What the client agent returned for /pushed: the paths of the streams the server pushed. The run's results.json
 * kept that list (the claim's observed) but not the per-path results of that exchange, which judgePush does not read.
 */
const pushedExchange = (): Exchange => ({ results: [], pushed: recordedClaim('http.h2.server-push').observed.pushed as string[] });

beforeAll(async () => {
  // As run() reads it: port 8080 decoded as HTTP/2 (prior knowledge, no TLS, so no key log is needed).
  rows = (await readFields(pcap, 'tcp', H2_FIELDS, [], ['tcp.port==8080,http2'])) as H2Row[];
  frames = framesOf(rows);
});

describe('binary framing', () => {
  it('is confirmed on the real first connection: SETTINGS, HEADERS, DATA and GOAWAY frames, 17 in all, as the run reported', () => {
    const result = judgeFraming(connection(0));
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { frameTypes: ['SETTINGS', 'HEADERS', 'DATA', 'GOAWAY'], frames: 17 } });
    expect(result.observed).toEqual(recordedClaim('http.h2.binary-framing').observed);
  });

  it('is refuted when the server answered no request: after the SETTINGS exchange only GOAWAY came back, no HEADERS or DATA of its own', () => {
    const refused = connection(0).filter((f) => f.from === 'client' || f.type === 'SETTINGS' || f.type === 'GOAWAY');
    expect(refused.some((f) => f.type === 'DATA')).toBe(false);
    expect(judgeFraming(refused)).toMatchObject({ verdict: 'refuted', observed: { frameTypes: ['SETTINGS', 'HEADERS', 'GOAWAY'] } });
  });

  it('is unverifiable, not refuted, on a capture that holds no HTTP/2 frame (tcpdump on an interface the session did not cross)', () => {
    expectNotObserved(judgeFraming(framesOf([])), 'no HTTP/2 frame');
  });
});

describe('server push', () => {
  it('is confirmed on the real third connection: one PUSH_PROMISE on stream 1, and the client recorded /style.css pushed', () => {
    expect(connection(2).filter((f) => f.type === 'PUSH_PROMISE')).toEqual([{ from: 'server', tcpStream: 2, type: 'PUSH_PROMISE', stream: 1, length: 29 }]);
    const result = judgePush(pushedExchange(), connection(2));
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { pushed: ['/style.css'], pushPromiseFrames: 1 } });
    expect(result.observed).toEqual(recordedClaim('http.h2.server-push').observed);
  });

  it('is refuted when the client disabled push (SETTINGS_ENABLE_PUSH 0): no PUSH_PROMISE, no stream 2, nothing pushed', () => {
    const withoutPush = connection(2).filter((f) => f.type !== 'PUSH_PROMISE' && f.stream !== 2);
    expect(withoutPush.some((f) => f.type === 'DATA' && f.stream === 1)).toBe(true);
    expect(judgePush({ results: [], pushed: [] }, withoutPush)).toMatchObject({ verdict: 'refuted', observed: { pushed: [], pushPromiseFrames: 0 } });
  });

  it('is refuted when the server promised /style.css but the client took no pushed stream (it reset the promise)', () => {
    expect(judgePush({ results: [], pushed: [] }, connection(2))).toMatchObject({ verdict: 'refuted', observed: { pushed: [], pushPromiseFrames: 1 } });
  });

  it('is unverifiable when the capture holds no HTTP/2 frame of the /pushed connection, even though the client saw /style.css pushed', () => {
    // The real capture cut after the second connection (tcpdump stopped before the third one's packets were written).
    const cut = frames.filter((f) => f.tcpStream < 2);
    expectNotObserved(judgePush(pushedExchange(), cut.filter((f) => f.tcpStream === 2)), 'no HTTP/2 frame');
    expectNotObserved(judgePush(pushedExchange(), []), 'no HTTP/2 frame');
  });
});

describe('HPACK', () => {
  const clientHeaders = () => connection(1).filter((f) => f.from === 'client' && f.type === 'HEADERS');

  it('is confirmed on the real second connection: the three identical GET /b header blocks took 20, then 7 and 7 bytes', () => {
    expect(clientHeaders().map((f) => [f.stream, f.length])).toEqual([[1, 20], [3, 7], [5, 7]]);
    const result = judgeHpack(connection(1));
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { clientHeaderBlockBytes: [20, 7, 7] } });
    expect(result.observed).toEqual(recordedClaim('http.h2.hpack').observed);
  });

  it('is refuted when the repeated blocks did not shrink (a client that advertised a header table of size 0: every block sent in full, 20 bytes)', () => {
    const full = connection(1).map((f) => (f.from === 'client' && f.type === 'HEADERS' ? { ...f, length: 20 } : f));
    expect(judgeHpack(full)).toMatchObject({ verdict: 'refuted', observed: { clientHeaderBlockBytes: [20, 20, 20] } });
  });

  it('is unverifiable, not refuted, when the capture holds no HTTP/2 frame of the second connection (tcpdump stopped after the first)', () => {
    const cut = frames.filter((f) => f.tcpStream < 1);
    expectNotObserved(judgeHpack(cut.filter((f) => f.tcpStream === 1)), 'no HTTP/2 frame');
    expectNotObserved(judgeHpack([]), 'no HTTP/2 frame');
  });

  it('is unverifiable, not refuted, when only the first request\'s HEADERS frame went out (the client refused the other two locally, e.g. over its concurrent-stream limit): nothing repeated to compare', () => {
    const cut = connection(1).filter((f) => !(f.from === 'client' && f.type === 'HEADERS' && f.stream !== 1));
    const result = judgeHpack(cut);
    expectNotObserved(result, '1 of the client\'s three HEADERS frames');
    expect(result.observed).toEqual({ clientHeaderBlockBytes: [20] });
  });
});
