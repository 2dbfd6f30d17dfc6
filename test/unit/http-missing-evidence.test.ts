/** The HTTP/2 multiplexing judge without a path's response, or without the capture: unverifiable instead of throwing or deciding. */
import { describe, expect, it } from 'vitest';
import { framesOf, judgeMultiplexing, type H2Row } from '../../labs/http/http2.lab.ts';

// tshark fields of two packets from the lab's capture (as in http2-frames.test.ts).
const rows = [
  { 'frame.number': '4', 'ip.src': '198.18.85.1', 'tcp.stream': '0', 'tcp.flags': '0x0018', 'http2.type': '4,1,1,1', 'http2.streamid': '0,1,3,5', 'http2.length': '24,20,7,7' },
  { 'frame.number': '6', 'ip.src': '198.18.85.2', 'tcp.stream': '0', 'tcp.flags': '0x0018', 'http2.type': '1,0', 'http2.streamid': '3,3', 'http2.length': '41,2000' },
] as H2Row[];
const results = [{ path: '/slow/a', bytes: 1, endedMs: 340, streamId: 1 }, { path: '/b', bytes: 1, endedMs: 45, streamId: 3 }, { path: '/c', bytes: 1, endedMs: 45, streamId: 5 }];

describe('HTTP/2 multiplexing without the observations it needs', () => {
  it('is unverifiable when a path has no recorded response', () => {
    const result = judgeMultiplexing({ results: results.filter((r) => r.path !== '/c'), pushed: [] }, framesOf(rows), 1);
    expect(result).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('no response for /c') });
    expect(result.summaryZh).toContain('/c');
    expect(judgeMultiplexing({ results: [], pushed: [] }, framesOf(rows), 1).summary).toContain('/slow/a, /b, /c');
  });

  it('is unverifiable when the capture holds no HTTP/2 frame or no TCP handshake of the session', () => {
    expect(judgeMultiplexing({ results, pushed: [] }, [], 1)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('no HTTP/2 frame') });
    expect(judgeMultiplexing({ results, pushed: [] }, framesOf(rows), 0)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('no TCP handshake') });
    expect(judgeMultiplexing({ results, pushed: [] }, framesOf(rows), 1).verdict).toBe('confirmed');
  });
});
