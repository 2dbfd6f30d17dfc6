/** Workshop mode in a real terminal (tmux): predictions by key, the lab run, verdicts revealed beside them. */
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { LABS, labs } from '../helpers/cli.ts';
import { until } from '../../src/resources/wait.ts';

const SESSION = `labs-workshop-${process.pid}`;
const tmux = (...args: string[]) => execa('tmux', args);
const screen = async () => (await tmux('capture-pane', '-t', SESSION, '-p', '-J', '-S', '-200')).stdout;
const waitFor = async (text: string, timeoutMs = 60_000) => {
  try {
    await until(async () => (await screen()).includes(text), timeoutMs, `"${text}" on the screen`, 100);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the screen:\n${await screen()}`);
  }
};
const press = (key: string) => tmux('send-keys', '-t', SESSION, key);

afterAll(async () => {
  await execa('tmux', ['kill-session', '-t', SESSION], { reject: false });
});

describe('labs run --workshop', () => {
  it('asks the room for a prediction per claim, runs the lab on a key, then reveals each verdict beside its prediction', async () => {
    await tmux('new-session', '-d', '-s', SESSION, '-x', '220', '-y', '80', `${process.execPath} ${LABS} run tcp-header --workshop --lang zh; echo EXIT=$?; sleep 120`);
    await waitFor('你的预测? [c] 成立');
    expect(await screen()).toContain('论断 1/2 (tcp.header.fields): TCP 头部包含');
    await press('x'); // not a prediction key: ignored
    await press('c');
    await waitFor('论断 2/2 (tcp.header.reserved-six-bits)');
    await press('r');
    await waitFor('按任意键运行实验。');
    expect(await screen()).not.toContain('▶ tcp-header'); // nothing runs before the key
    await press('Space');
    await waitFor('按任意键查看下一个结论。');
    const first = await screen();
    expect(first).toMatch(/结论: (成立|不成立|有条件成立|无法验证)\s+你的预测: 成立 [✔✘]/);
    expect(first).toContain('Header fields of the first segments (tshark):');
    await press('Space');
    await waitFor('EXIT=');
    const end = await screen();
    expect(end).toMatch(/论断 2\/2 \(tcp.header.reserved-six-bits\)[\s\S]*你的预测: 不成立/);
    expect(end).toMatch(/全场猜中 [0-2]\/2 个结论。/);
    expect(end).toContain('EXIT=0');
  }, 120_000);

  it('refuses without a terminal, with one lab at a time, and not with --json', async () => {
    for (const [args, message] of [
      [['run', 'tcp-header', '--workshop'], /--workshop needs a terminal/],
      [['run', 'tcp-header', 'tcp-lifecycle', '--workshop'], /--workshop runs one lab at a time \(2 selected\)/],
      [['run', 'tcp-header', '--workshop', '--json'], /does not mix with --json/],
    ] as const) {
      const result = await labs([...args]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });
});
