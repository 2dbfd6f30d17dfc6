/**
 * The http-1-1 verdicts the older unit tests left out, on the real observation of a run
 * (test/fixtures/http-1-1-observation.json.gz: the lab's http11.json, every response as parsed and nginx's
 * access log; nginx 1.22.1 on Debian 12) and altered copies of it: keep-alive, Host, Range and cache
 * validators, each confirmed and refuted (keep-alive also unverifiable without the access log).
 */
import { describe, expect, it } from 'vitest';
import { judgeHost, judgeKeepAlive, judgeRange, judgeValidators, type Response } from '../../labs/http/http11.lab.ts';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';

interface Http11Observation {
  sequential: { responses: Response[]; connectionClosedEarly: boolean };
  /** nginx's access log: `$connection $connection_requests $request`. */
  log: string[];
  pipelined: { responses: Response[]; connectionClosedEarly: boolean };
  gzipped: Response;
  a: Response;
  b: Response;
  full: Response;
  part: Response;
  byEtag: Response;
  byDate: Response;
}

const { real, altered } = realSample<Http11Observation>('http-1-1-observation.json.gz');
const keepAlive = (o: Http11Observation) => judgeKeepAlive(o.sequential.responses, o.sequential.connectionClosedEarly, o.log);

describe('keep-alive', () => {
  it('is confirmed on the real run: two responses on one socket, and nginx logged them as requests 1 and 2 of connection 2', () => {
    expect(real.log).toEqual(['2 1 GET / HTTP/1.1', '2 2 GET /fast HTTP/1.1']);
    expect(keepAlive(real)).toMatchObject({ verdict: 'confirmed', observed: { nginxConnections: ['2'], requestNumbersOnConnection: ['1', '2'], serverClosedEarly: false, connectionHeader: 'keep-alive' } });
  });

  it('is refuted when nginx closed the connection after the first response (keepalive_timeout 0): one response, one logged request', () => {
    const closed = altered((o) => {
      o.sequential.responses = [{ ...o.sequential.responses[0]!, headers: { ...o.sequential.responses[0]!.headers, connection: 'close' } }];
      o.sequential.connectionClosedEarly = true;
      o.log = [o.log[0]!];
    });
    expect(keepAlive(closed)).toMatchObject({ verdict: 'refuted', observed: { serverClosedEarly: true, connectionHeader: 'close' } });
  });

  it('is refuted when the second request arrived on a connection of its own (request 1 of connection 3)', () => {
    const reconnected = altered((o) => {
      o.log = [o.log[0]!, '3 1 GET /fast HTTP/1.1'];
    });
    expect(keepAlive(reconnected)).toMatchObject({ verdict: 'refuted', observed: { nginxConnections: ['2', '3'], requestNumbersOnConnection: ['1', '1'] } });
  });

  it('is unverifiable, not refuted, when the access log came back empty (nothing says which connection served the two real responses)', () => {
    const unlogged = altered((o) => {
      o.log = [];
    });
    expectNotObserved(keepAlive(unlogged), 'access log holds no line');
  });
});

describe('Host', () => {
  it('is confirmed on the real run: one address and port answered "site a" for Host: a.test and "site b" for Host: b.test', () => {
    expect(judgeHost(real.a, real.b)).toMatchObject({ verdict: 'confirmed', observed: { aTest: 'site a', bTest: 'site b' } });
  });

  it('is refuted when b.test fell to the default server (no server_name for it) and got "site a" too', () => {
    const defaultServer = altered((o) => {
      o.b = { ...o.a };
    });
    expect(judgeHost(defaultServer.a, defaultServer.b)).toMatchObject({ verdict: 'refuted', observed: { aTest: 'site a', bTest: 'site a' } });
  });
});

describe('Range', () => {
  it('is confirmed on the real run: 206 with Content-Range bytes 0-9/8893 and the file\'s first 10 bytes', () => {
    expect(real.part.headers['content-range']).toBe('bytes 0-9/8893');
    expect(judgeRange(real.full, real.part)).toMatchObject({ verdict: 'confirmed', observed: { status: 206, body: '1\n2\n3\n4\n5\n', acceptRanges: 'bytes' } });
  });

  it('is refuted when the server ignored Range (max_ranges 0): 200 with the whole file and no Content-Range', () => {
    const ignored = altered((o) => {
      o.part = structuredClone(o.full);
      delete o.full.headers['accept-ranges'];
    });
    expect(judgeRange(ignored.full, ignored.part)).toMatchObject({ verdict: 'refuted', observed: { status: 200, contentRange: undefined } });
  });

  it('is refuted when the 206 carried other bytes than the file\'s first ten', () => {
    const shifted = altered((o) => {
      o.part.raw = o.full.raw.slice(10, 20);
    });
    expect(judgeRange(shifted.full, shifted.part).verdict).toBe('refuted');
  });
});

describe('cache validators', () => {
  it('is confirmed on the real run: ETag and Last-Modified given, then 304 with no body for If-None-Match and for If-Modified-Since', () => {
    expect(judgeValidators(real.full, real.byEtag, real.byDate)).toMatchObject({
      verdict: 'confirmed',
      observed: { etag: '"6b08c9d5-22bd"', ifNoneMatch: 304, ifModifiedSince: 304, bodyBytesOn304: 0 },
    });
  });

  it('is refuted when the server sent no ETag (etag off) and the request without one got the whole file again', () => {
    const noEtag = altered((o) => {
      delete o.full.headers.etag;
      o.byEtag = structuredClone(o.full);
    });
    expect(judgeValidators(noEtag.full, noEtag.byEtag, noEtag.byDate)).toMatchObject({ verdict: 'refuted', observed: { etag: undefined, ifNoneMatch: 200, ifModifiedSince: 304 } });
  });

  it('is refuted when If-Modified-Since was not honoured (if_modified_since off): 200 with the body', () => {
    const byDateIgnored = altered((o) => {
      o.byDate = structuredClone(o.full);
    });
    expect(judgeValidators(byDateIgnored.full, byDateIgnored.byEtag, byDateIgnored.byDate)).toMatchObject({ verdict: 'refuted', observed: { ifNoneMatch: 304, ifModifiedSince: 200 } });
  });
});
