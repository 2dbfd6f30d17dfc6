/**
 * Lab: the states of a TCP close, each held long enough to be seen, and what TIME_WAIT costs.
 *
 * Starts: a client and a server namespace on one veth link; a socket agent in each.
 *
 * Does: closes a connection from the client while the client's firewall drops the server's packets,
 * then lets the ACK through but not the server's FIN, then everything: the close advances one step
 * at a time. Then, with the client's ephemeral port range cut to 8 ports, opens and actively closes
 * connections to one server port until connect() fails; while those ports are in TIME-WAIT, connects
 * to a second port of the same server; then tries the first port again with net.ipv4.tcp_tw_reuse=1.
 *
 * Observes: `ss -tanoi` on both sides at each step, the local ports of the TIME-WAIT sockets, the
 * errors connect() returns and the local port each connection got.
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence, SocketSample } from '../../src/core/types.ts';
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

/** The server ports the ephemeral range is used up toward, and the second destination tried while it is. */
export const SERVER_PORT = 7100;
export const OTHER_PORT = 7200;

/** What the TIME-WAIT step observed. */
export interface TimeWaitPorts {
  /** The size of the client's ephemeral port range. */
  ports: number;
  /** Connections to SERVER_PORT that connected and were closed by the client before connect() failed, and its error. */
  connected: number;
  error: string;
  /** The client's TIME-WAIT sockets toward SERVER_PORT once connect() had failed. */
  timeWaits: number;
  /** With net.ipv4.tcp_tw_reuse=1: "connected", or the last error; and how long after the change. */
  withReuse: string;
  reusedAfterMs: number;
  /** net.ipv4.tcp_tw_reuse in the client while the range was used up (before the lab set it to 1). */
  twReuse?: string;
  /** The local ports of those TIME-WAIT sockets. */
  timeWaitLocalPorts?: number[];
  /** While they were held: a connect() to OTHER_PORT on the same server, "connected" or its error, and the local port it got. */
  otherDestination?: { port: number; outcome: string; localPort?: number };
}

export function judgeTimeWaitPorts(o: TimeWaitPorts): ClaimResult {
  const id = 'tcp.close.time-wait-ports';
  const observed = { ...o };
  const toServer = `${SERVER}:${SERVER_PORT}`;
  const heldPorts = o.timeWaitLocalPorts?.length ? ` (local ports ${o.timeWaitLocalPorts.join(', ')})` : '';
  const other = o.otherDestination;
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: `connect() from the client, its ${o.ports}-port ephemeral range used up by TIME-WAIT toward ${toServer}`,
      columns: ['to', 'net.ipv4.tcp_tw_reuse', 'outcome', 'local port'],
      rows: [
        [`${toServer} (connection ${o.connected + 1})`, o.twReuse ?? '?', o.error || 'connected', ''],
        ...(other ? [[`${SERVER}:${other.port}`, o.twReuse ?? '?', other.outcome, other.localPort ?? '']] : []),
        [toServer, '1', o.withReuse, ''],
      ],
    },
  ];
  const exhausted = o.connected === o.ports && /EADDRNOTAVAIL/.test(o.error) && o.timeWaits >= o.ports;
  if (!exhausted) {
    return {
      id,
      verdict: 'refuted',
      summary: `TIME-WAIT did not use up the ports: with ${o.ports} ephemeral ports, ${o.connected} connections to ${toServer} closed first by the client left ${o.timeWaits} sockets in TIME-WAIT, and the next connect() ${o.error ? `failed with ${o.error}` : 'succeeded'}.`,
      summaryZh: `TIME-WAIT 没有耗尽端口：临时端口有 ${o.ports} 个时，客户端向 ${toServer} 建立、并由客户端先关闭的 ${o.connected} 条连接留下了 ${o.timeWaits} 个 TIME-WAIT 状态的 socket，下一次 connect() ${o.error ? `以 ${o.error} 失败` : '成功了'}。`,
      observed,
      evidence,
    };
  }
  const ranOut = {
    en: `With ${o.ports} ephemeral ports, ${o.connected} connections to ${toServer} closed first by the client left ${o.timeWaits} sockets in TIME-WAIT${heldPorts}, and the next connect() to it failed with EADDRNOTAVAIL`,
    zh: `临时端口只有 ${o.ports} 个时，客户端向 ${toServer} 建立、并由客户端先关闭的 ${o.connected} 条连接留下了 ${o.timeWaits} 个 TIME-WAIT 状态的 socket${heldPorts ? `（本地端口 ${o.timeWaitLocalPorts!.join('、')}）` : ''}，下一次向它的 connect() 以 EADDRNOTAVAIL 失败`,
  };
  if (o.withReuse !== 'connected') {
    return {
      id,
      verdict: 'refuted',
      summary: `${ranOut.en}; but net.ipv4.tcp_tw_reuse=1 did not give a port back: connect() still failed (${o.withReuse}) ${o.reusedAfterMs} ms after the change.`,
      summaryZh: `${ranOut.zh}；但 net.ipv4.tcp_tw_reuse=1 并没有让出端口：修改后 ${o.reusedAfterMs} ms，connect() 仍然失败（${o.withReuse}）。`,
      observed,
      evidence,
    };
  }
  const reuse = {
    en: `with net.ipv4.tcp_tw_reuse=1 the kernel reused a port in TIME-WAIT toward ${toServer} once it was about a second old, and connect() to it succeeded ${o.reusedAfterMs} ms after the change`,
    zh: `设置 net.ipv4.tcp_tw_reuse=1 后，内核会复用向 ${toServer} 处于 TIME-WAIT、且已存在约一秒的端口，修改后 ${o.reusedAfterMs} ms 向它的 connect() 即成功`,
  };
  if (!other) {
    return {
      ...notObserved(id, {
        en: `${ranOut.en}; ${reuse.en}. But no connection to another destination was tried while the ports were held, so whether TIME-WAIT held the ports for every destination or only for ${toServer} was not observed.`,
        zh: `${ranOut.zh}；${reuse.zh}。但在这些端口被占用期间没有尝试连接其他目的地，因此没有观察到 TIME-WAIT 占住的端口是对所有目的地都不可用，还是只对 ${toServer} 不可用。`,
      }, observed),
      evidence,
    };
  }
  const otherAt = `${SERVER}:${other.port}`;
  if (/EADDRNOTAVAIL/.test(other.outcome)) {
    return {
      id,
      verdict: 'confirmed',
      summary: `${ranOut.en}, and so did a connect() to another destination, ${otherAt} (${other.outcome}): the ports were held for every destination. Then ${reuse.en}.`,
      summaryZh: `${ranOut.zh}；向另一个目的地 ${otherAt} 的 connect() 同样失败（${other.outcome}）：这些端口对所有目的地都被占用。随后，${reuse.zh}。`,
      observed,
      evidence,
    };
  }
  if (other.outcome !== 'connected') {
    return {
      ...notObserved(id, {
        en: `${ranOut.en}. A connect() to another destination, ${otherAt}, failed with ${other.outcome}, an error that is not about local ports, so whether the ports were held for every destination was not observed.`,
        zh: `${ranOut.zh}。向另一个目的地 ${otherAt} 的 connect() 以 ${other.outcome} 失败，这个错误与本地端口无关，因此没有观察到这些端口是否对所有目的地都被占用。`,
      }, observed),
      evidence,
    };
  }
  const reusedHeld = other.localPort !== undefined && (o.timeWaitLocalPorts ?? []).includes(other.localPort);
  const got = other.localPort === undefined ? '' : reusedHeld ? ` from local port ${other.localPort}, one of those in TIME-WAIT toward ${toServer}` : ` from local port ${other.localPort}`;
  const gotZh = other.localPort === undefined ? '' : reusedHeld ? `，使用的本地端口 ${other.localPort} 正是向 ${toServer} 处于 TIME-WAIT 的端口之一` : `，使用的本地端口为 ${other.localPort}`;
  return {
    id,
    verdict: 'nuanced',
    summary: `The ports are held per destination, not for every connection. ${ranOut.en}; yet, with those sockets still in TIME-WAIT and tcp_tw_reuse=${o.twReuse ?? '?'}, a connect() to the same server's port ${other.port} succeeded${got}: a TIME-WAIT socket holds its local port only toward the address and port it was connected to. As for settings, ${reuse.en}.`,
    summaryZh: `端口只是按目的地被占用，而不是对所有连接都不可用。${ranOut.zh}；然而，在这些 socket 仍处于 TIME-WAIT、tcp_tw_reuse=${o.twReuse ?? '?'} 时，向同一服务端的 ${other.port} 端口的 connect() 成功了${gotZh}：处于 TIME-WAIT 的 socket 只对它所连接的那个地址和端口占住本地端口。至于内核参数，${reuse.zh}。`,
    observed,
    evidence,
  };
}

/**
 * Connects to `port` and closes from the client side `count` times; returns how many connected, the
 * first error, and the local port of the last connection that connected.
 */
async function churn(client: SocketAgent, count: number, tag: string, port = SERVER_PORT): Promise<{ connected: number; error: string; localPort?: number }> {
  let localPort: number | undefined;
  for (let i = 0; i < count; i++) {
    const conn = `${tag}-${i}`;
    await client.request('connect', { host: SERVER, port, conn });
    const outcome = await client.waitFor((e) => (e.event === 'connected' || e.event === 'error') && e.conn === conn, 5000, `${conn} to connect or fail`);
    if (outcome.event === 'error') return { connected: i, error: String(outcome.message), localPort };
    localPort = typeof outcome.localPort === 'number' ? outcome.localPort : undefined;
    await client.request('end', { conn });
    await client.waitFor((e) => e.event === 'close' && e.conn === conn, 5000, `${conn} to close`);
  }
  return { connected: count, error: '', localPort };
}

/** The local ports of the client's TIME-WAIT sockets toward `port` (ss prints no State column when one state is asked for). */
async function timeWaitLocalPorts(netns: string, port: number): Promise<number[]> {
  const lines = (await exec('ss', ['-tanH', 'state', 'time-wait', `( dport = :${port} )`], { netns })).split('\n').filter(Boolean);
  return lines.map((line) => Number(line.trim().split(/\s+/).find((field) => /:\d+$/.test(field))?.match(/:(\d+)$/)?.[1])).sort((a, b) => a - b);
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
    does: "Closes from the client while its firewall holds back the server's ACK, then its FIN; then exhausts an 8-port ephemeral range with TIME-WAIT sockets toward one server port, connects to a second server port while they are held, and retries the first with tcp_tw_reuse=1.",
    observes: 'ss -tanoi on both sides at each step, the TIME-WAIT sockets and their local ports, connect() errors and the local port each connection got.',
    zh: {
      title: '逐包卡住 TCP 关闭过程的各个状态，以及 TIME_WAIT 耗尽端口',
      starts: '通过一条 veth 链路相连的客户端和服务端两个命名空间，各运行一个 socket agent。',
      does: '由客户端发起关闭，同时用客户端的防火墙先扣住服务端的 ACK，再扣住其 FIN；接着用连向同一服务端端口、处于 TIME-WAIT 状态的 socket 耗尽一个只有 8 个端口的临时端口范围，在这些端口仍被占用时连接服务端的另一个端口，然后设置 tcp_tw_reuse=1 重试第一个端口。',
      observes: '每一步两端的 ss -tanoi 输出，TIME-WAIT 状态的 socket 及其本地端口，connect() 的报错，以及每条连接得到的本地端口。',
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
    await server.request('listen', { port: SERVER_PORT });
    await server.request('listen', { port: OTHER_PORT });
    const ports = PORT_RANGE[1] - PORT_RANGE[0] + 1;
    const churned = await churn(client, ports + 1, 'tw');
    const held = await timeWaitLocalPorts(cns, SERVER_PORT);
    // A TIME-WAIT socket is one 4-tuple: while the range is used up toward SERVER_PORT, try another
    // port of the same server, tcp_tw_reuse still as the namespace got it.
    ctx.step('another destination while the range is held');
    const toOther = await churn(client, 1, 'other', OTHER_PORT);
    const otherDestination = { port: OTHER_PORT, outcome: toOther.connected ? 'connected' : toOther.error, localPort: toOther.localPort };
    ctx.step('tcp_tw_reuse=1');
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
      judgeTimeWaitPorts({
        ports,
        connected: churned.connected,
        error: churned.error,
        timeWaits: held.length,
        withReuse: reuse.connected === 1 ? 'connected' : reuse.error,
        reusedAfterMs: Math.round(performance.now() - started),
        twReuse: ctx.environment['sysctl net.ipv4.tcp_tw_reuse (client)'],
        timeWaitLocalPorts: held,
        otherDestination,
      }),
    ];
  },
});
