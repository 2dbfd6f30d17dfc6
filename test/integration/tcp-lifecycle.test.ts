/** Runs the tcp-lifecycle lab through the CLI, as CI does, and checks every verdict and measured value. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClaimResult, RunReport } from '../../src/core/types.ts';
import { labs, leftovers, NOTHING } from '../helpers/cli.ts';

const out = mkdtempSync(join(tmpdir(), 'labs-tcp-'));
const baseline = new URL('../../labs/expected-verdicts.json', import.meta.url).pathname;
let exitCode: number | undefined;
let stderr: string;
let report: RunReport;
const claim = (id: string): ClaimResult => report.labs[0]!.claims.find((c) => c.id === id)!;

let concurrentRun: { exitCode?: number; stdout: string };

beforeAll(async () => {
  // A second run at the same time must not collide with the first (names, addresses, ports).
  const [result, second] = await Promise.all([
    labs(['run', 'tcp-lifecycle', '--json', '--expect', baseline, '--report', out, '--junit', join(out, 'junit.xml')]),
    labs(['run', 'tcp.handshake.three-way', '--json']),
  ]);
  concurrentRun = { exitCode: second.exitCode, stdout: String(second.stdout) };
  exitCode = result.exitCode;
  stderr = String(result.stderr);
  report = JSON.parse(String(result.stdout)) as RunReport;
}, 120_000);

describe('labs run tcp-lifecycle', () => {
  it('passes, matches the committed verdict baseline and prints only JSON on stdout', () => {
    expect(exitCode, stderr).toBe(0);
    expect(stderr).toContain('verdicts match');
    expect(report.labs).toHaveLength(1);
    expect(report.labs[0]).toMatchObject({ id: 'tcp-lifecycle', topic: 'tcp', status: 'passed' });
    expect(report.labs[0]!.durationMs).toBeGreaterThan(1000);
  });

  it('records the environment the verdicts were observed on', () => {
    const env = report.labs[0]!.environment;
    expect(env.kernel).toMatch(/^\d+\.\d+/);
    expect(env.tcpdump).toMatch(/tcpdump version/);
    expect(env.tshark).toMatch(/TShark/);
    expect(env['sysctl net.ipv4.tcp_timestamps']).toBe('1');
  });

  it('sees SYN, SYN/ACK, ACK with ack numbers x+1 and y+1', () => {
    const { verdict, observed } = claim('tcp.handshake.three-way');
    expect(verdict).toBe('confirmed');
    expect(observed.synAckAck).toBe((observed.x as number) + 1);
    expect(observed.ackSeq).toBe((observed.x as number) + 1);
    expect(observed.ackAck).toBe((observed.y as number) + 1);
  });

  it('catches SYN-SENT on the client and SYN-RECV on the server', () => {
    expect(claim('tcp.handshake.states')).toMatchObject({
      verdict: 'confirmed',
      observed: { clientWhileSynAckDropped: 'SYN-SENT', serverWhileSynAckDropped: 'SYN-RECV', clientAfter: 'ESTAB', serverAfter: 'ESTAB' },
    });
  });

  it('sees four close segments, or three when the FIN carries the ACK', () => {
    const { verdict, observed } = claim('tcp.close.four-way');
    expect(verdict).toBe('nuanced');
    expect(observed.segmentsWhenServerClosesLater).toBe(4);
    expect(observed.segmentsWhenServerClosesAtOnce).toHaveLength(5);
    expect(observed.segmentsWhenServerClosesAtOnce).toContain(3);
  });

  it('holds CLOSE_WAIT while the application keeps the socket, which can still send in it (a half-close)', () => {
    const { verdict, observed } = claim('tcp.close.close-wait');
    expect(verdict).toBe('nuanced');
    expect(observed.halfClose).toMatchObject({ endOfStreamToldToApplication: true, stateAtEndOfStream: 'CLOSE-WAIT', bytesWrittenAfterFin: 2000, bytesReadByClient: 2000, stateAfterWrite: 'CLOSE-WAIT' });
    expect(observed.samplesWhileOpen as number).toBeGreaterThanOrEqual(3);
    expect(new Set(observed.statesWhileOpen as string[])).toEqual(new Set(['CLOSE-WAIT']));
  });

  it('measures a TIME_WAIT timer of about 60 s', () => {
    const { verdict, observed } = claim('tcp.close.time-wait');
    expect(verdict).toBe('nuanced');
    expect(observed.timerMsAtEntry as number).toBeGreaterThanOrEqual(55_000);
    expect(observed.timerMsAtEntry as number).toBeLessThanOrEqual(60_000);
    expect((observed.timerMsLater as number[])[0]).toBeLessThan(observed.timerMsAtEntry as number);
  });

  it('measures header lengths of 40 (SYN), 32 (data) and 20 (no timestamps)', () => {
    expect(claim('tcp.header.length')).toMatchObject({
      verdict: 'nuanced',
      observed: { synHeaderBytes: 40, dataHeaderBytes: 32, dataHeaderBytesWithoutTimestamps: 20, dataOptions: ['NOP', 'NOP', 'TS'] },
    });
  });

  it('reads the three writes back with other boundaries', () => {
    const { verdict, observed } = claim('tcp.stream.no-boundaries');
    expect(verdict).toBe('confirmed');
    expect(observed.writes).toEqual([1000, 3000, 10]);
    expect(observed.bytesRead).toBe(4010);
    expect(observed.reads).not.toEqual(observed.writes);
    expect(Math.max(...(observed.segments as number[]))).toBeLessThanOrEqual(1448);
  });

  it('writes a self-contained HTML report with sequence diagrams, the capture, and JUnit XML', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('SYN/ACK seq=0 ack=1');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(existsSync(join(out, 'artifacts', 'tcp-lifecycle', 'lifecycle.pcap'))).toBe(true);
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testcase classname="tcp-lifecycle" name="tcp.close.time-wait"');
  });

  it('runs beside a second run of the same lab without collisions', () => {
    expect(concurrentRun.exitCode).toBe(0);
    const other = JSON.parse(concurrentRun.stdout) as RunReport;
    expect(other.runId).not.toBe(report.runId);
    expect(other.labs[0]!.status).toBe('passed');
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(report.runId)).toEqual(NOTHING);
  });
});
