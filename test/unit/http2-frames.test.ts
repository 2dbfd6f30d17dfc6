import { describe, expect, it } from 'vitest';
import { framesOf, judgeHpack, judgeMultiplexing, type H2Row } from '../../labs/http/http2.lab.ts';

// tshark fields of two packets from the lab's capture: several frames per packet, listed in step.
const rows = [
  { 'frame.number': '4', 'ip.src': '198.18.85.1', 'tcp.stream': '0', 'tcp.flags': '0x0018', 'http2.type': '4,1,1,1', 'http2.streamid': '0,1,3,5', 'http2.length': '24,20,7,7' },
  { 'frame.number': '6', 'ip.src': '198.18.85.2', 'tcp.stream': '0', 'tcp.flags': '0x0018', 'http2.type': '1,0', 'http2.streamid': '3,3', 'http2.length': '41,2000' },
] as H2Row[];

describe('HTTP/2 frames', () => {
  it('splits packets into frames with type, stream and length', () => {
    const frames = framesOf(rows);
    expect(frames).toHaveLength(6);
    expect(frames[1]).toEqual({ from: 'client', tcpStream: 0, type: 'HEADERS', stream: 1, length: 20 });
    expect(frames[5]).toMatchObject({ from: 'server', type: 'DATA', stream: 3, length: 2000 });
  });

  it('hpack: shrinking header blocks confirm, equal ones refute', () => {
    expect(judgeHpack(framesOf(rows)).verdict).toBe('confirmed');
    const same = rows.map((r) => ({ ...r, 'http2.length': r['http2.length'].replace('24,20,7,7', '24,20,20,20') }));
    expect(judgeHpack(framesOf(same)).verdict).toBe('refuted');
  });

  it('multiplexing: a slow first response that held up the others refutes', () => {
    const frames = framesOf(rows);
    const results = (slow: number, b: number) => ({ results: [{ path: '/slow/a', bytes: 1, endedMs: slow, streamId: 1 }, { path: '/b', bytes: 1, endedMs: b, streamId: 3 }, { path: '/c', bytes: 1, endedMs: b, streamId: 5 }], pushed: [] });
    expect(judgeMultiplexing(results(340, 45), frames, 1).verdict).toBe('confirmed');
    expect(judgeMultiplexing(results(340, 345), frames, 1).verdict).toBe('refuted');
    expect(judgeMultiplexing(results(340, 45), frames, 3).verdict).toBe('refuted');
  });
});
