/**
 * tcp-flow-control's judges on a real run of the lab (test/fixtures/tcp-flow-control-trials.json.gz:
 * its trials.json, { stalled, rwndBound, cwndBound }, each transfer with its capture decoded by tshark,
 * the windows the receiver advertised, and the sender's tcp_info sampled by ss; the receiver's ACKs
 * delayed 40 ms). Each judge is given what the lab gives it, first as captured, then altered into
 * another run that could have happened. (tcp-missing-evidence.test.ts covers the unverifiable cases.)
 */
import { describe, expect, it } from 'vitest';
import { judgeSendWindow, judgeZeroWindow, STALL_MS, type FlowTrial } from '../../labs/tcp/flow-control.lab.ts';
import { realSample } from '../helpers/samples.ts';

const { real, altered } = realSample<{ stalled: FlowTrial; rwndBound: FlowTrial; cwndBound: FlowTrial }>('tcp-flow-control-trials.json.gz');
const SENDER = '198.18.60.1';
const zeroAt = real.stalled.windows.find((w) => w.window === 0)!.atMs;
/** What the sender put on the wire between the zero window and the moment the receiver read again. */
const whileZero = (t: FlowTrial) => t.packets.filter((p) => p.src === SENDER && p.timeMs > zeroAt && p.timeMs < t.resumedAtMs!);

describe('zero window (the receiver does not read for 2 s)', () => {
  it('is confirmed on the real run: the window fell to 0 and the sender sent only zero-length probes, paced by its persist timer, until the receiver read', () => {
    expect(real.stalled.resumedAtMs).toBeGreaterThanOrEqual(STALL_MS);
    expect(whileZero(real.stalled).map((p) => p.len)).toEqual([0, 0]);
    const result = judgeZeroWindow(real.stalled);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ zeroWindowAtMs: 422, dataSegmentsWhileZero: 0, probesWhileZero: 2, bytesReceived: 100_000, bytesSent: 100_000 });
    expect(result.observed.senderTimerWhileZero).toMatch(/^persist/);
  });

  it('is refuted when the sender just waited for a window update and never probed (its two probes taken out)', () => {
    const silent = altered((o) => {
      const probes = new Set(whileZero(o.stalled).map((p) => p.frame));
      o.stalled.packets = o.stalled.packets.filter((p) => !probes.has(p.frame));
    });
    const result = judgeZeroWindow(silent.stalled);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ dataSegmentsWhileZero: 0, probesWhileZero: 0 });
  });

  it('is refuted when the sender kept sending full segments into the closed window (its probes carrying 1448 bytes each)', () => {
    const pushing = altered((o) => {
      const probes = new Set(whileZero(o.stalled).map((p) => p.frame));
      for (const p of o.stalled.packets) if (probes.has(p.frame)) p.len = 1448;
    });
    const result = judgeZeroWindow(pushing.stalled);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ dataSegmentsWhileZero: 2, probesWhileZero: 0 });
  });
});

describe('send window = min(receive window, cwnd)', () => {
  it('is confirmed on the real run: in flight filled the 2–3 segment receive window under a cwnd of 10–18, and filled cwnd (20) under a receive window of 51', () => {
    const result = judgeSendWindow(real.rwndBound, real.cwndBound);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ samplesOverMin: 0, receiveWindowBound: { unacked: 3, cwnd: 12, receiveWindowSegments: 3 }, congestionWindowBound: { unacked: 20, cwnd: 20, receiveWindowSegments: 51 } });
  });

  it('is refuted when a sender ignored the small receive window and kept a whole cwnd in flight', () => {
    const overrun = altered((o) => o.rwndBound.samples.forEach((s) => (s.unacked = s.cwnd)));
    const result = judgeSendWindow(overrun.rwndBound, overrun.cwndBound);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.samplesOverMin as number).toBeGreaterThan(100);
  });

  it('is refuted when a sender ignored cwnd and filled the receive window early in slow start', () => {
    const overrun = altered((o) => o.cwndBound.samples.forEach((s) => (s.unacked = Math.ceil(s.sndWnd / s.mss))));
    const result = judgeSendWindow(overrun.rwndBound, overrun.cwndBound);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.samplesOverMin as number).toBeGreaterThan(0);
  });

  it('is unverifiable when no sample caught cwnd filled while it was the smaller window (the 3 samples that did taken out): never over the minimum, but which window bound the sender was not seen', () => {
    const thin = altered((o) => {
      o.cwndBound.samples = o.cwndBound.samples.filter((s) => !(s.unacked >= s.cwnd - 1 && s.cwnd < Math.ceil(s.sndWnd / s.mss)));
    });
    const result = judgeSendWindow(thin.rwndBound, thin.cwndBound);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toMatch(/never exceeded min\(receive window, cwnd\), but no sample caught it filling cwnd/);
  });
});
