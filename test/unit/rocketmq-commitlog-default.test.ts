import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCommitLog, type StoreObservation } from '../../labs/rocketmq/store.lab.ts';

/**
 * A real run of rocketmq-store (RocketMQ 5.5.0): 1 MiB commit-log files (the lab's setting, mappedFileSizeCommitLog=1048576), 2000
 * messages sent to 4 queues, and the commit-log file size the brokers printed at start-up: the lab's broker 1048576 (its input),
 * a broker started with no configuration 1073741824 ("INFO [main] RocketmqBroker - mappedFileSizeCommitLog=1073741824").
 */
const { real, altered } = realSample<StoreObservation>('rocketmq-store-observation.json.gz');

/** The capture with another value printed by the unconfigured broker (null: it printed no such line). */
const withDefault = (byDefault: number | null) => altered((o) => (o.commitLogFileSizePrinted = { inEffect: 1048576, byDefault }));

describe('rocketmq.store.commitlog: the 1 GiB is decided from the broker\'s own default, the 1 MiB files are the lab\'s input', () => {
  it('is confirmed on the real capture: a broker with no configuration printed 1 GiB, saying the 1 MiB files were the lab\'s input', () => {
    const result = judgeCommitLog(real);
    console.log(`real capture → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('because this lab set mappedFileSizeCommitLog=1048576, an input, so that several files roll (its broker printed mappedFileSizeCommitLog=1048576 at start-up)');
    expect(result.summary).toContain('A broker started with no configuration printed mappedFileSizeCommitLog=1073741824: by default each file is 1 GiB, as the sheet says.');
    expect(result.summaryZh).toContain('默认情况下每个文件就是 1 GiB');
    expect(result.evidence.some((e) => e.kind === 'table' && e.title.startsWith('mappedFileSizeCommitLog'))).toBe(true);
    expect(result.observed).toMatchObject({ namedByStartOffset: true, everyFileFullSize: true, queuesSharingTheFirstFile: 4, appendedInSendOrder: true });
  });

  it('is refuted when the default printed is another size', () => {
    const result = judgeCommitLog(withDefault(536870912));
    console.log(`another default → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('by default the files are 536870912 bytes, not 1 GiB (1073741824)');
  });

  it('is unverifiable, naming it, when the unconfigured broker printed no size', () => {
    const result = judgeCommitLog(withDefault(null));
    console.log(`no line → ${result.verdict}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('a broker started with no configuration did not print');
  });

  it('is refuted when the files are not the setting\'s size, or messages were not appended in the order sent, whatever the default', () => {
    const short = judgeCommitLog(altered((o) => {
      o.commitLog[2]!.size = 4096;
    }));
    console.log(`short file → ${short.verdict}: ${short.summary}`);
    expect(short.verdict).toBe('refuted');
    const swapped = judgeCommitLog(altered((o) => {
      [o.sent[10], o.sent[11]] = [o.sent[11]!, o.sent[10]!];
    }));
    console.log(`out of order → ${swapped.verdict}: ${swapped.summary}`);
    expect(swapped.verdict).toBe('refuted');
    expect(swapped.summary).toContain('Messages were not appended');
  });

  it('is still refuted when files are not named by their start offset', () => {
    expect(judgeCommitLog(altered((o) => {
      o.commitLog[1]!.name = '00000000000000000001';
    })).verdict).toBe('refuted');
  });
});
