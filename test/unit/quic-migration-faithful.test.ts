/**
 * quic.migration restated as the sheet has it (connection ID rather than the 4-tuple, PATH_CHALLENGE/PATH_RESPONSE,
 * and a *seamless* move when the IP or port changes), judged on the real observation of a quic-migration run (quic-go
 * v0.65.0, a 20.4 ms round trip; test/fixtures/quic-migration-observation.json.gz): a move between two requests, and
 * a second connection moved 800 ms into a download (a read about every millisecond, [ms, bytes so far]), whose reading
 * paused 98.3 ms across the move and ran at half its pace after it. Altered copies of that download, its reads after
 * the probe replaced by a repeat of its own 204 ms before the probe (the pace it kept before), give the other verdicts.
 */
import { describe, expect, it } from 'vitest';
import { judgeMigration, SEAMLESS_SHARE, type DownloadMigration, type MigrationObservation } from '../../labs/quic/migration.lab.ts';
import { realSample } from '../helpers/samples.ts';

const { real, altered } = realSample<MigrationObservation>('quic-migration-observation.json.gz');
const WINDOW_MS = 204;
const PROBE = real.duringDownload.move.probeStartedAtMs!;
const SWITCHED = real.duringDownload.move.switchedAtMs!;

/**
 * The real download up to the probe, then the reads of its last 204 ms before the probe repeated until the read ended:
 * the pace it had before the move, kept across it. `scale(t)` scales the bytes of each repeated read at time t.
 */
function keptPace(scale: (t: number) => number = () => 1, lastMs = real.duringDownload.readForMs): DownloadMigration {
  const d = structuredClone(real.duringDownload);
  const before = d.reads.filter(([at]) => at <= PROBE);
  const pattern = before.filter(([at]) => at > PROBE - WINDOW_MS);
  const reads = [...before];
  let [t, bytes] = before.at(-1)!;
  while (t < lastMs) {
    for (let i = 1; i < pattern.length && t < lastMs; i++) {
      t = Math.round((t + pattern[i]![0] - pattern[i - 1]![0]) * 1000) / 1000;
      bytes += Math.round((pattern[i]![1] - pattern[i - 1]![1]) * scale(t));
      reads.push([t, bytes]);
    }
  }
  return { ...d, reads, bytes };
}
const steady = keptPace();
const withDownload = (d: DownloadMigration, change: (o: MigrationObservation) => void = () => {}) =>
  altered((o) => {
    o.duringDownload = d;
    change(o);
  });

describe('quic.migration, "seamlessly"', () => {
  it('is nuanced on the real run: the download paused longer than a round trip and slowed after the switch', () => {
    const result = judgeMigration(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ rttMs: 20.365, newPathUsedFreshConnectionId: true, acrossMove: { windowMs: WINDOW_MS, covered: true, longestPauseBeforeMs: 5.9, longestPauseAcrossMs: 98.3, rateBeforeMBps: 36.7, rateAfterMBps: 17.9 } });
    const across = result.observed['acrossMove'] as { rateBeforeMBps: number; rateAfterMBps: number };
    expect(across.rateAfterMBps).toBeLessThan(across.rateBeforeMBps * SEAMLESS_SHARE);
    expect(result.summary).toContain('So not seamless: reading paused for 98.3 ms');
    expect(result.summaryZh).toContain('所以并非无缝');
  });

  it('is nuanced on the slow-down alone, without a pause (a quarter of the pace for 150 ms after the switch)', () => {
    const result = judgeMigration(withDownload(keptPace((t) => (t > SWITCHED && t < SWITCHED + 150 ? 0.25 : 1))));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('throughput fell to');
    expect(result.summary).not.toContain('reading paused');
  });

  it('is confirmed when the download kept its pace and had no pause across the move', () => {
    const result = judgeMigration(withDownload(steady));
    expect((result.observed['acrossMove'] as { longestPauseAcrossMs: number }).longestPauseAcrossMs).toBeLessThanOrEqual(5.9);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('only the port changed');
  });

  it('is refuted when the path was not validated, or the download did not survive the move', () => {
    expect(judgeMigration(withDownload(steady, (o) => o.packets.forEach((p) => { p.frames = p.frames.filter((f) => f.type !== 'PATH_RESPONSE'); }))).verdict).toBe('refuted');
    expect(judgeMigration(withDownload({ ...steady, move: { ...steady.move, switchedAtMs: undefined, error: 'probing the new path: context deadline exceeded' } })).verdict).toBe('refuted');
    expect(judgeMigration(withDownload({ ...steady, readError: 'Application error 0x10c (remote)' })).verdict).toBe('refuted');
    const stopped = { ...real.duringDownload, reads: real.duringDownload.reads.filter(([at]) => at < SWITCHED) };
    expect(judgeMigration(withDownload(stopped)).summary).toContain('nothing more was read after the switch');
  });

  it('is unverifiable without a move during a transfer (as in runs made before the lab moved one), or when the reads do not cover the move', () => {
    const betweenRequests = judgeMigration(altered((o) => delete (o as Partial<MigrationObservation>).duringDownload));
    expect(betweenRequests.verdict).toBe('unverifiable');
    expect(betweenRequests.summary).toContain('"seamless" is untested');
    expect(betweenRequests.observed['newPathUsedFreshConnectionId']).toBe(true);
    const cut = { ...real.duringDownload, reads: real.duringDownload.reads.filter(([at]) => at <= SWITCHED + 100) };
    expect(judgeMigration(withDownload(cut)).verdict).toBe('unverifiable');
    expect(judgeMigration(altered((o) => { o.newPort = 1; })).verdict).toBe('unverifiable');
  });
});
