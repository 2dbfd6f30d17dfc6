/**
 * quic.migration restated as the sheet has it (connection ID rather than the 4-tuple, PATH_CHALLENGE/PATH_RESPONSE,
 * and a *seamless* move when the IP or port changes), judged on the real observation of a quic-migration run
 * (test/fixtures/quic-migration-observation.json.gz).
 *
 * That observation predates the download the lab now moves in mid-transfer: it has neither `duringDownload` nor
 * `rttMs`. The tests extend it with downloads shaped as the quic-peer client reports them (a read a millisecond,
 * [ms, bytes so far], and when the move was probed and switched), steady or disturbed by the move; the fixture will
 * be recaptured from a real run.
 */
import { describe, expect, it } from 'vitest';
import { judgeMigration, SEAMLESS_SHARE, type DownloadMigration, type MigrationObservation } from '../../labs/quic/migration.lab.ts';
import { realSample } from '../helpers/samples.ts';

const sample = realSample<MigrationObservation>('quic-migration-observation.json.gz');
const RTT_MS = 20.4;
const SWITCHED = 821;

/** A 2 s download read every millisecond at `mbps(t)` MB/s, with no read inside the pauses; the move probed at 800 ms and switched at 821 ms. */
function download(mbps: (t: number) => number, pauses: [number, number][] = [], lastMs = 2000): DownloadMigration {
  const reads: [number, number][] = [];
  let bytes = 0;
  for (let t = 1; t <= lastMs; t++) {
    bytes += mbps(t) * 1000;
    if (!pauses.some(([from, to]) => t > from && t < to)) reads.push([t, Math.round(bytes)]);
  }
  return { path: '/bytes/2000000000', status: 200, oldLocalAddr: '[::]:40000', bytes: Math.round(bytes), readForMs: 2000, switchAfterMs: 800, move: { newLocalAddr: '[::]:40001', probeStartedAtMs: 800, validatedAtMs: SWITCHED, switchedAtMs: SWITCHED }, reads, readError: '' };
}
const steady = download(() => 40);
/** A fresh congestion window on the new path: a 35 ms pause at the switch, then 5 MB/s for 80 ms before the old pace. */
const disturbed = download((t) => (t > SWITCHED && t < SWITCHED + 80 ? 5 : 40), [[SWITCHED, SWITCHED + 35]]);
const withDownload = (d: DownloadMigration, change: (o: MigrationObservation) => void = () => {}) =>
  sample.altered((o) => {
    o.rttMs = RTT_MS;
    o.duringDownload = d;
    change(o);
  });

describe('quic.migration, "seamlessly"', () => {
  it('is nuanced when the download paused longer than a round trip and slowed after the switch', () => {
    const result = judgeMigration(withDownload(disturbed));
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ newPathUsedFreshConnectionId: true, acrossMove: { windowMs: 204, longestPauseAcrossMs: 35, rateBeforeMBps: 40 } });
    expect((result.observed['acrossMove'] as { rateAfterMBps: number }).rateAfterMBps).toBeLessThan(40 * SEAMLESS_SHARE);
    expect(result.summary).toContain('So not seamless: reading paused for 35 ms');
    expect(result.summaryZh).toContain('所以并非无缝');
  });

  it('is nuanced on the slow-down alone, without a pause', () => {
    const result = judgeMigration(withDownload(download((t) => (t > SWITCHED && t < SWITCHED + 150 ? 10 : 40))));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('throughput fell to');
    expect(result.summary).not.toContain('reading paused');
  });

  it('is confirmed when the download kept its pace and had no pause across the move', () => {
    const result = judgeMigration(withDownload(steady));
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('only the port changed');
  });

  it('is refuted when the path was not validated, or the download did not survive the move', () => {
    expect(judgeMigration(withDownload(steady, (o) => o.packets.forEach((p) => { p.frames = p.frames.filter((f) => f.type !== 'PATH_RESPONSE'); }))).verdict).toBe('refuted');
    expect(judgeMigration(withDownload({ ...steady, move: { ...steady.move, switchedAtMs: undefined, error: 'probing the new path: context deadline exceeded' } })).verdict).toBe('refuted');
    expect(judgeMigration(withDownload({ ...steady, readError: 'Application error 0x10c (remote)' })).verdict).toBe('refuted');
    const stopped = download(() => 40, [], SWITCHED - 1);
    expect(judgeMigration(withDownload(stopped)).summary).toContain('nothing more was read after the switch');
  });

  it('is unverifiable without a move during a transfer (the fixture as captured), or when the reads do not cover the move', () => {
    const asCaptured = judgeMigration(sample.real);
    expect(asCaptured.verdict).toBe('unverifiable');
    expect(asCaptured.summary).toContain('"seamless" is untested');
    expect(asCaptured.observed['newPathUsedFreshConnectionId']).toBe(true);
    expect(judgeMigration(withDownload(download(() => 40, [], SWITCHED + 100))).verdict).toBe('unverifiable');
    expect(judgeMigration(sample.altered((o) => { o.newPort = 1; })).verdict).toBe('unverifiable');
  });
});
