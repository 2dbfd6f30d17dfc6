/** Runs the rocketmq-store lab against a real RocketMQ 5.5 name server and broker and checks what was read from the store. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('rocketmq-store');
}, 180_000);

describe('labs run rocketmq-store', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('finds commit-log files named by their start offsets, shared by the four queues', () => {
    const o = run.claim('rocketmq.store.commitlog').observed;
    expect(o).toMatchObject({ namedByStartOffset: true, everyFileFullSize: true, queuesSharingTheFirstFile: 4 });
    expect((o.files as string[])[1]).toBe('00000000000001048576 (1048576 bytes)');
  });

  it('follows every sampled consume-queue entry to its own message, and a key through the index', () => {
    const cq = run.claim('rocketmq.store.consumequeue').observed;
    expect(cq.entriesThatPointAtTheirMessage).toBe(cq.entriesFollowed);
    const index = run.claim('rocketmq.store.indexfile').observed as { offsetsFoundThroughTheSlot: number[]; offsetTheBrokerWroteItAt: number; queryByKey: { found: number } };
    expect(index.offsetsFoundThroughTheSlot).toContain(index.offsetTheBrokerWroteItAt);
    expect(index.queryByKey.found).toBe(1);
  });

  it('finds every file name 20 digits long, and index files named by the time they were made', () => {
    expect(run.claim('rocketmq.store.commitlog-names').observed).toMatchObject({ digits: [20], namedByStartOffset: true });
    const index = run.claim('rocketmq.store.indexfile-names').observed as { files: string[]; readAsTimes: (string | null)[] };
    expect(index.files.length).toBeGreaterThan(0);
    expect(index.readAsTimes.every((t) => typeof t === 'string')).toBe(true);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
