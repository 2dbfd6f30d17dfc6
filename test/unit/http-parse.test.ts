import { describe, expect, it } from 'vitest';
import { judgeChunked, judgePipelining, parseResponses } from '../../labs/http/http11.lab.ts';

// Two responses as nginx 1.22 wrote them on one connection: a fixed-length one, then a chunked one.
const STREAM =
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nslow\n' +
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nContent-Encoding: gzip\r\n\r\n5\r\nabcde\r\n3\r\nfgh\r\n0\r\n\r\n';

describe('HTTP/1.1 response framing', () => {
  it('splits a stream by Content-Length and by chunks', () => {
    const [first, second] = parseResponses(STREAM, [500, 502]);
    expect(first).toMatchObject({ status: 200, raw: 'slow\n', atMs: 500 });
    expect(first!.headers['content-length']).toBe('5');
    expect(second!.chunks).toEqual([5, 3, 0]);
    expect(judgeChunked(second).verdict).toBe('confirmed');
    expect(judgeChunked(first).verdict).toBe('refuted');
  });

  it('pipelining: responses out of order, or a fast one that did not wait, refute', () => {
    const slow = { status: 200, headers: {}, raw: 'slow\n', atMs: 501 };
    const fast = { status: 200, headers: {}, raw: 'fast\n', atMs: 502 };
    expect(judgePipelining([slow, fast], 500).verdict).toBe('confirmed');
    expect(judgePipelining([fast, slow], 500).verdict).toBe('refuted');
    expect(judgePipelining([slow, { ...fast, atMs: 3 }], 500).verdict).toBe('refuted');
  });
});
