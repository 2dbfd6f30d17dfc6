/**
 * Lab: the states of a TCP close, each held long enough to be seen, and what TIME_WAIT costs.
 *
 * Starts: a client and a server namespace on one veth link; a socket agent in each.
 *
 * Does: closes a connection from the client while the client's firewall drops the server's packets,
 * then lets the ACK through but not the server's FIN, then everything: the close advances one step
 * at a time. Then, with the client's ephemeral port range cut to 8 ports, opens and actively closes
 * connections to one server port until connect() fails, and tries again with net.ipv4.tcp_tw_reuse=1.
 *
 * Observes: `ss -tanoi` on both sides at each step, and the errors connect() returns.
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, SocketSample } from '../../src/core/types.ts';
import { recordSysctls } from '../../src/observers/environment.ts';
import { notObserved } from '../../src/core/verdict.ts';
import { SocketSampler } from '../../src/observers/socket-sampler.ts';
import { exec } from '../../src/resources/process.ts';
import { startSocketAgents, type SocketAgent } from '../../src/resources/socket-agent.ts';
import { sleep } from '../../src/resources/cancel.ts';

const CLIENT = '198.18.95.1';
const SERVER = '198.18.95.2';
export const PORT_RANGE = [40000, 40007] as const;

export function judgeCloseStates(samples: SocketSample[]): ClaimResult {
  const unsampled = [['client', '客户端'], ['server', '服务端']].filter(([host]) => !samples.some((s) => s.host === host));
  if (unsampled.length) return notObserved('tcp.close.states', { en: `No socket states of the ${unsampled.map(([en]) => en).join(' or the ')} were sampled during the close.`, zh: `关闭过程中没有采样到${unsampled.map(([, zh]) => zh).join('或')}的 socket 状态。` });
  const seen = (host: string, state: string) => samples.some((s) => s.host === host && s.sockets.some((k) => k.state === state));
  const observed = {
    activeCloser: ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT'].filter((st) => seen('client', st)),
    passiveCloser: ['CLOSE-WAIT', 'LAST-ACK'].filter((st) => seen('server', st)),
  };
  const holds = observed.activeCloser.length === 3 && observed.passiveCloser.length === 2;
  return {
    id: 'tcp.close.states',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? 'Holding back one packet at a time, the active closer was seen in FIN-WAIT-1 (its FIN unacknowledged), FIN-WAIT-2 (acknowledged, no FIN yet) and TIME-WAIT; the passive closer in CLOSE-WAIT and then LAST-ACK (its FIN unacknowledged).'
      : `States seen: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? '每次只扣住一个报文，观察到主动关闭方依次处于 FIN-WAIT-1（其 FIN 尚未被确认）、FIN-WAIT-2（FIN 已被确认，但尚未收到对方的 FIN）和 TIME-WAIT；被动关闭方先处于 CLOSE-WAIT，再进入 LAST-ACK（其 FIN 尚未被确认）。'
      : `观察到的状态：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'socket-states', title: 'The close, one held packet at a time', samples }],
  };
}

export function judgeTimeWaitPorts(o: { ports: number; connected: number; error: string; timeWaits: number; withReuse: string; reusedAfterMs: number }): ClaimResult {
  const holds = o.connected === o.ports && /EADDRNOTAVAIL/.test(o.error) && o.timeWaits >= o.ports && o.withReuse === 'connected';
  return {
    id: 'tcp.close.time-wait-ports',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `With ${o.ports} ephemeral ports, ${o.connected} connections to one server port closed first by the client left ${o.timeWaits} sockets in TIME-WAIT, and the next connect() failed with EADDRNOTAVAIL; with net.ipv4.tcp_tw_reuse=1 the kernel reused a TIME-WAIT port once it was about a second old, and connect() succeeded ${o.reusedAfterMs} ms after the change.`
      : `TIME-WAIT and ports: ${JSON.stringify(o)}.`,
    summaryZh: holds
      ? `临时端口只有 ${o.ports} 个时，客户端向同一个服务端端口建立、并由客户端先关闭的 ${o.connected} 条连接留下了 ${o.timeWaits} 个 TIME-WAIT 状态的 socket，下一次 connect() 以 EADDRNOTAVAIL 失败；设置 net.ipv4.tcp_tw_reuse=1 后，内核会复用存在了约一秒的 TIME-WAIT 端口，修改后 ${o.reusedAfterMs} ms connect() 即成功。`
      : `TIME-WAIT 与端口：${JSON.stringify(o)}。`,
    observed: { ...o },
    evidence: [],
  };
}

/** Connects and closes from the client side `count` times; returns how many connected and the first error. */
async function churn(client: SocketAgent, count: number, tag: string): Promise<{ connected: number; error: string }> {
  for (let i = 0; i < count; i++) {
    const conn = `${tag}-${i}`;
    await client.request('connect', { host: SERVER, port: 7100, conn });
    const outcome = await client.waitFor((e) => (e.event === 'connected' || e.event === 'error') && e.conn === conn, 5000, `${conn} to connect or fail`);
    if (outcome.event === 'error') return { connected: i, error: String(outcome.message) };
    await client.request('end', { conn });
    await client.waitFor((e) => e.event === 'close' && e.conn === conn, 5000, `${conn} to close`);
  }
  return { connected: count, error: '' };
}

export default defineLab({
  id: 'tcp-close',
  title: 'TCP close states held one packet at a time, and TIME_WAIT using up ports',
  topic: 'tcp',
  claims: ['tcp.close.states', 'tcp.close.time-wait-ports'],
  requires: ['root', 'netns', 'iptables', 'ss'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace on one veth link, a socket agent in each.',
    does: "Closes from the client while its firewall holds back the server's ACK, then its FIN; then exhausts an 8-port ephemeral range with TIME-WAIT sockets, and retries with tcp_tw_reuse=1.",
    observes: 'ss -tanoi on both sides at each step, and connect() errors.',
    zh: {
      title: '逐包卡住 TCP 关闭过程的各个状态，以及 TIME_WAIT 耗尽端口',
      starts: '通过一条 veth 链路相连的客户端和服务端两个命名空间，各运行一个 socket agent。',
      does: '由客户端发起关闭，同时用客户端的防火墙先扣住服务端的 ACK，再扣住其 FIN；接着用 TIME-WAIT 状态的 socket 耗尽一个只有 8 个端口的临时端口范围，然后设置 tcp_tw_reuse=1 重试。',
      observes: '每一步两端的 ss -tanoi 输出，以及 connect() 的报错。',
    },
  },
  needs: {
    topology: {
      hosts: { client: { sysctls: { 'net.ipv4.ip_local_port_range': `${PORT_RANGE[0]} ${PORT_RANGE[1]}` } }, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`] }],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    const cns = net.client!.netns;
    const sns = net.server!.netns;
    await recordSysctls(ctx.environment, ['net.ipv4.tcp_tw_reuse', 'net.ipv4.ip_local_port_range'], cns, ' (client)');
    const [client, server] = await startSocketAgents(ctx.scope, ctx.runId, net.client!, net.server!);
    const sampler = new SocketSampler();

    ctx.step('the close, one packet at a time');
    await server.request('listen', { port: 7000, allowHalfOpen: true });
    await client.request('connect', { host: SERVER, port: 7000, conn: 'c' });
    const accepted = (await server.waitFor((e) => e.event === 'accepted', 5000, 'accepted')).conn!;
    await client.waitFor((e) => e.event === 'connected', 5000, 'connected');
    const fromServer = ['INPUT', '-p', 'tcp', '--sport', '7000'];
    await exec('iptables', ['-A', ...fromServer, '-j', 'DROP'], { netns: cns });
    await client.request('end', { conn: 'c' });
    await sampler.untilState('client', cns, 7000, 'FIN-WAIT-1', 3000);
    await sampler.untilState('server', sns, 7000, 'CLOSE-WAIT', 3000);
    // Let the server's pure ACK in, but keep dropping its FIN.
    await exec('iptables', ['-I', ...fromServer, '--tcp-flags', 'FIN', 'FIN', '-j', 'DROP'], { netns: cns });
    await exec('iptables', ['-D', ...fromServer, '-j', 'DROP'], { netns: cns });
    await sampler.untilState('client', cns, 7000, 'FIN-WAIT-2', 5000);
    await server.request('end', { conn: accepted });
    await sampler.untilState('server', sns, 7000, 'LAST-ACK', 3000);
    await exec('iptables', ['-D', ...fromServer, '--tcp-flags', 'FIN', 'FIN', '-j', 'DROP'], { netns: cns });
    await sampler.untilState('client', cns, 7000, 'TIME-WAIT', 5000);

    ctx.step('TIME-WAIT exhausting an 8-port range');
    await server.request('listen', { port: 7100 });
    const ports = PORT_RANGE[1] - PORT_RANGE[0] + 1;
    const churned = await churn(client, ports + 1, 'tw');
    const timeWaits = (await exec('ss', ['-tanH', 'state', 'time-wait', '( dport = :7100 )'], { netns: cns })).split('\n').filter(Boolean).length;
    await exec('sysctl', ['-q', '-w', 'net.ipv4.tcp_tw_reuse=1'], { netns: cns });
    // The kernel reuses a TIME-WAIT port only once its last timestamp is old enough (about a second).
    const started = performance.now();
    let reuse = await churn(client, 1, 'reuse-0');
    for (let attempt = 1; reuse.connected === 0 && attempt < 15; attempt++) {
      await sleep(200);
      reuse = await churn(client, 1, `reuse-${attempt}`);
    }
    return [
      judgeCloseStates(sampler.samples),
      judgeTimeWaitPorts({ ports, connected: churned.connected, error: churned.error, timeWaits, withReuse: reuse.connected === 1 ? 'connected' : reuse.error, reusedAfterMs: Math.round(performance.now() - started) }),
    ];
  },
});
