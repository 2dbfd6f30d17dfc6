/**
 * Faults on real hosts, checked with real packets: a partition blocks UDP both ways (or one way)
 * between namespaces and between containers, and healing restores it; kill, pause and restart
 * act on the container and are undone by healing; every fault is on the timeline and is healed
 * when the scope closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCapture } from '../../src/resources/capture.ts';
import type { Container } from '../../src/resources/container.ts';
import { Faults } from '../../src/resources/faults.ts';
import { buildNetwork } from '../../src/resources/netns.ts';
import type { Host } from '../../src/resources/netns.ts';
import { execOutcome } from '../../src/resources/process.ts';
import { newRunId, registerRun } from '../../src/resources/run-state.ts';
import { Scope } from '../../src/resources/scope.ts';
import { prepareServiceImages, startServices } from '../../src/resources/services.ts';
import { Timeline } from '../../src/resources/timeline.ts';
import { leftovers, NOTHING } from '../helpers/cli.ts';

const runId = newRunId();
const scope = new Scope();
const timeline = new Timeline();
let unregister: () => void;
let hosts: Record<string, Host>;
let faults: Faults;

const RECEIVE = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 9999))
s.settimeout(1.2)
print('ready', flush=True)
n = 0
try:
    while True:
        s.recv(100); n += 1
except socket.timeout:
    pass
print(n)
`;

/** How many of 5 UDP datagrams sent from one host reach the other. */
async function datagrams(from: Host, to: Host): Promise<number> {
  const receiver = execOutcome('python3', ['-c', RECEIVE], { netns: to.netns, timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 300));
  const send = `import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(5):\n    s.sendto(b'x', ('${to.address}', 9999)); time.sleep(0.05)`;
  await execOutcome('python3', ['-c', send], { netns: from.netns });
  return Number((await receiver).stdout.split('\n').pop());
}

beforeAll(async () => {
  unregister = registerRun(runId);
  const network = await buildNetwork(scope, runId, {
    hosts: { a: {}, b: {} },
    links: [{ a: ['a', '198.18.71.1/24'], b: ['b', '198.18.71.2/24'] }],
  });
  const spec = { x: { image: 'base', cmd: ['sleep', 'infinity'] }, y: { image: 'base', cmd: ['sleep', 'infinity'] } };
  const services = await startServices(scope, runId, spec, await prepareServiceImages(spec), 'faults');
  hosts = { ...network, ...services.containers };
  faults = new Faults(scope, runId, hosts, timeline);
});

afterAll(async () => {
  expect(await scope.dispose()).toEqual([]);
  unregister();
  expect(await leftovers(runId)).toEqual(NOTHING);
});

describe('partition', () => {
  it('blocks both ways between namespace hosts, and healing restores traffic', async () => {
    const { a, b } = hosts as Record<'a' | 'b', Host>;
    expect(await datagrams(a, b)).toBe(5);
    const fault = await faults.inject({ kind: 'partition', from: ['a'], to: ['b'] });
    expect(await datagrams(a, b)).toBe(0);
    expect(await datagrams(b, a)).toBe(0);
    await fault.heal();
    expect(await datagrams(a, b)).toBe(5);
    expect(await datagrams(b, a)).toBe(5);
  });

  it('blocks one way between containers when asked, like any host', async () => {
    const { x, y } = hosts as Record<'x' | 'y', Host>;
    expect(await datagrams(x, y)).toBe(5);
    const fault = await faults.inject({ kind: 'partition', from: ['x'], to: ['y'], oneWay: true });
    expect(await datagrams(x, y)).toBe(0);
    expect(await datagrams(y, x)).toBe(5);
    await fault.heal();
    expect(await datagrams(x, y)).toBe(5);
  });
});

describe('container faults', () => {
  it('kills a container and starts it again on heal, with its namespace attached anew', async () => {
    const x = hosts.x as Container;
    const fault = await faults.inject({ kind: 'kill', target: 'x' });
    expect(await x.running()).toBe(false);
    await fault.heal();
    expect(await x.running()).toBe(true);
    expect(await datagrams(hosts.y!, x)).toBe(5);
  });

  it('pauses a container (its processes frozen) and thaws it on heal', async () => {
    const y = hosts.y as Container;
    const fault = await faults.inject({ kind: 'pause', target: 'y' });
    const frozen = await execOutcome('cat', [`/proc/${await y.pid()}/status`]);
    // The freezer stops every task: the kernel reports them stopped or in the refrigerator (D).
    expect(frozen.stdout).toMatch(/State:\s+[DT]/);
    await fault.heal();
    expect(await datagrams(hosts.x!, y)).toBe(5);
  });

  it('refuses to kill a namespace host, naming it', async () => {
    await expect(faults.inject({ kind: 'kill', target: 'a' })).rejects.toThrow('fault target "a" is a namespace host; kill, pause and restart need a container');
    await expect(faults.inject({ kind: 'partition', from: ['a'], to: ['nope'] })).rejects.toThrow('fault target "nope" is not a host of this lab');
  });

  it('records each fault on the timeline as a start and an end', () => {
    const marks = timeline.events.filter((e) => e.type === 'fault').map((e) => `${e.phase} ${e.fault}`);
    expect(marks).toEqual([
      'start partition a ⇹ b', 'end partition a ⇹ b',
      'start partition x → y', 'end partition x → y',
      'start kill x (SIGKILL)', 'end kill x (SIGKILL)',
      'start pause y', 'end pause y',
    ]);
  });
});

describe('a container is a host like any other', () => {
  it('is captured with tcpdump in its own namespace and delayed by an impairment at its interface', async () => {
    const x = hosts.x as Container;
    const y = hosts.y as Container;
    const child = scope.child('capture');
    const capture = await startCapture(child, runId, { dir: mkdtempSync(join(tmpdir(), 'labs-test-')), name: 'x', netns: x.netns, iface: 'eth0', filter: 'icmp' });
    const rtt = async () => Number((await execOutcome('ping', ['-c', '3', '-i', '0.2', '-q', x.address], { netns: y.netns })).stdout.match(/= [\d.]+\/([\d.]+)\//)?.[1]);
    const before = await rtt();
    const delayed = await new Faults(child, runId, hosts, timeline).inject({ kind: 'delay', target: 'x', delayMs: 100 });
    const during = await rtt();
    await delayed.heal();
    await capture.stop();
    await child.close();
    expect(before).toBeLessThan(20);
    expect(during).toBeGreaterThanOrEqual(100);
    const packets = (await execOutcome('tcpdump', ['-n', '-r', capture.file])).stdout.split('\n').filter((l) => l.includes('ICMP echo'));
    expect(packets.length).toBeGreaterThanOrEqual(12);
    expect(packets.some((l) => l.includes(`${y.address} > ${x.address}: ICMP echo request`))).toBe(true);
  });
});

describe('scheduled faults', () => {
  it('injects a fault after N operations of the workload and heals it after its duration', async () => {
    const child = scope.child('schedule');
    const local = new Timeline();
    const plan = new Faults(child, runId, hosts, local).schedule([{ fault: { kind: 'partition', from: ['a'], to: ['b'] }, at: { ops: 3 }, forMs: 1500 }]);
    const reached: number[] = [];
    for (let i = 0; i < 8; i++) {
      const outcome = await local.op('client', 'send', async () => datagrams(hosts.a!, hosts.b!));
      if (outcome.type === 'ok') reached.push(outcome.value);
    }
    await plan;
    await child.close();
    const start = local.events.findIndex((e) => e.type === 'fault' && e.phase === 'start');
    const opsBefore = local.events.slice(0, start).filter((e) => e.type === 'ok').length;
    expect(opsBefore).toBeGreaterThanOrEqual(3);
    expect(reached.slice(0, 3)).toEqual([5, 5, 5]);
    expect(reached).toContain(0);
    expect(reached.at(-1)).toBe(5);
    expect(local.events.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && e.phase)).toEqual(['start', 'end']);
  });
});

describe('healing on disposal', () => {
  it('heals a fault nobody healed when its scope closes', async () => {
    const child = scope.child('unhealed');
    const local = new Faults(child, runId, hosts, timeline);
    await local.inject({ kind: 'partition', from: ['a'], to: ['b'] });
    expect(await datagrams(hosts.a!, hosts.b!)).toBe(0);
    await child.close();
    expect(await datagrams(hosts.a!, hosts.b!)).toBe(5);
  });
});
