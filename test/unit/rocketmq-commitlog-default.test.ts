import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCommitLog, type StoreObservation } from '../../labs/rocketmq/store.lab.ts';

/**
 * A real run of rocketmq-store (RocketMQ 5.5.0), captured before the lab read the commit-log file size the brokers print at
 * start-up: 3 commit-log files of 1 MiB (the lab's setting, mappedFileSizeCommitLog=1048576), 2000 messages sent to 4 queues.
 */
const { real, altered } = realSample<StoreObservation>('rocketmq-store-observation.json.gz');

/**
 * The same capture extended with the field the lab now records (the fixture is to be recaptured from a real run): the value the
 * lab's broker printed (its input, 1048576) and the one a broker started with no configuration printed. 1073741824 is what
 * RocketMQ 5.5.0's broker printed when the lab's probe (DEFAULT_BROKER_PROBE) was tried once in the labs/rocketmq image:
 * "INFO [main] RocketmqBroker - mappedFileSizeCommitLog=1073741824".
 */
const extendedWith = (byDefault: number | null, inEffect: number | null = 1048576) => altered((o) => (o.commitLogFileSizePrinted = { inEffect, byDefault }));

describe('rocketmq.store.commitlog: the 1 GiB is decided from the broker\'s own default, the 1 MiB files are the lab\'s input', () => {
  it('is unverifiable on the real capture: everything but the size held, and the default was not read', () => {
    const result = judgeCommitLog(real);
    console.log(`real capture → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain("One commit log for every queue of the topic (all 4 queues' messages interleaved in the first file), the 2000 messages appended in the order they were sent");
    expect(result.summary).toContain('The files here are 1048576 bytes because this lab set mappedFileSizeCommitLog=1048576, an input, so that several files roll.');
    expect(result.summary).toContain("The sheet's 1 GiB is that setting's default, which this capture did not read");
    expect(result.summaryZh).toContain('这是实验的输入');
    expect(result.observed).toMatchObject({ namedByStartOffset: true, everyFileFullSize: true, queuesSharingTheFirstFile: 4, appendedInSendOrder: true, defaultFileSizePrintedByAnUnconfiguredBroker: null });
  });

  it('is confirmed when a broker with no configuration printed 1 GiB, saying the 1 MiB files were the lab\'s input', () => {
    const result = judgeCommitLog(extendedWith(1073741824));
    console.log(`default printed → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('because this lab set mappedFileSizeCommitLog=1048576, an input, so that several files roll (its broker printed mappedFileSizeCommitLog=1048576 at start-up)');
    expect(result.summary).toContain('A broker started with no configuration printed mappedFileSizeCommitLog=1073741824: by default each file is 1 GiB, as the sheet says.');
    expect(result.summaryZh).toContain('默认情况下每个文件就是 1 GiB');
    expect(result.evidence.some((e) => e.kind === 'table' && e.title.startsWith('mappedFileSizeCommitLog'))).toBe(true);
  });

  it('is refuted when the default printed is another size', () => {
    const result = judgeCommitLog(extendedWith(536870912));
    console.log(`another default → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('by default the files are 536870912 bytes, not 1 GiB (1073741824)');
  });

  it('is unverifiable, naming it, when the unconfigured broker printed no size', () => {
    const result = judgeCommitLog(extendedWith(null));
    console.log(`no line → ${result.verdict}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('a broker started with no configuration did not print');
  });

  it('is refuted when the files are not the setting\'s size, or messages were not appended in the order sent, whatever the default', () => {
    const short = judgeCommitLog(altered((o) => {
      o.commitLogFileSizePrinted = { inEffect: 1048576, byDefault: 1073741824 };
      o.commitLog[2]!.size = 4096;
    }));
    console.log(`short file → ${short.verdict}: ${short.summary}`);
    expect(short.verdict).toBe('refuted');
    const swapped = judgeCommitLog(altered((o) => {
      o.commitLogFileSizePrinted = { inEffect: 1048576, byDefault: 1073741824 };
      [o.sent[10], o.sent[11]] = [o.sent[11]!, o.sent[10]!];
    }));
    console.log(`out of order → ${swapped.verdict}: ${swapped.summary}`);
    expect(swapped.verdict).toBe('refuted');
    expect(swapped.summary).toContain('Messages were not appended');
  });

  it('is still refuted when files are not named by their start offset', () => {
    expect(judgeCommitLog(altered((o) => {
      o.commitLogFileSizePrinted = { inEffect: 1048576, byDefault: 1073741824 };
      o.commitLog[1]!.name = '00000000000000000001';
    })).verdict).toBe('refuted');
  });
});
