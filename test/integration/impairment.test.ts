/** The impairment fallback measured: the delay a ping sees, and exactly which packets the loss rule drops. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOutcome } from '../../src/resources/process.ts';
import { impair } from '../../src/resources/impairment.ts';
import { buildNetwork, type Network } from '../../src/resources/netns.ts';
import { newRunId, registerRun } from '../../src/resources/run-state.ts';
import { Scope } from '../../src/resources/scope.ts';
import { leftovers, NOTHING } from '../helpers/cli.ts';

const runId = newRunId();
const scope = new Scope();
let unregister: () => void;
let net: Network;

const pingRtts = async (count: number) => {
  const { output } = await execOutcome('ping', ['-c', String(count), '-i', '0.2', '-W', '1', '198.18.70.2'], { netns: net.a!.netns });
  return [...output.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
};

beforeAll(async () => {
  unregister = registerRun(runId);
  net = await buildNetwork(scope, runId, {
    hosts: { a: {}, b: {} },
    links: [{ a: ['a', '198.18.70.1/24'], b: ['b', '198.18.70.2/24'], impair: { b: { delayMs: 30 } } }],
  });
});

afterAll(async () => {
  expect(await scope.dispose()).toEqual([]);
  unregister();
  expect(await leftovers(runId)).toEqual(NOTHING);
});

describe('impairment', () => {
  it('delays what one end sends by the declared time, and says how', async () => {
    const rtts = await pingRtts(4);
    expect(rtts).toHaveLength(4);
    for (const rtt of rtts) {
      expect(rtt).toBeGreaterThanOrEqual(30);
      expect(rtt).toBeLessThan(60);
    }
    expect(net.b!.impairments[0]!.description).toMatch(/^eth0: delay 30 ms/);
  });

  it('drops exactly the n-th packet arriving, counts it, and stops when removed', async () => {
    const loss = await impair(scope, runId, net.b!.netns, 'eth0', { lossIn: { nth: { every: 2, packet: 1 } }, match: ['-p', 'icmp'] });
    expect(await pingRtts(6)).toHaveLength(3);
    expect(await loss.dropped()).toBe(3);
    await loss.remove();
    expect(await pingRtts(2)).toHaveLength(2);
  });
});
