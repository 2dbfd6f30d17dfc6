/**
 * Lab: what running the transport in user space costs. The same 20 MB download over HTTP/2 on the
 * kernel's TCP and over HTTP/3 on quic-go's QUIC, counted in system calls and CPU time.
 *
 * Starts: a client and a server namespace on one veth link (offloads on, as on a real host); the labs'
 * quic-go peer answering the same handler over HTTP/2 (TLS on TCP 443) and HTTP/3 (QUIC on UDP 443).
 *
 * Does: per protocol, downloads 20 MB once under strace -c -f (which counts every system call of the
 * client) and once without it (so that the client's own CPU-time report is not inflated by tracing).
 *
 * Observes: system calls by name and in total, and the client's user and system CPU time (getrusage).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { parseStraceSummary, type SyscallSummary } from '../../src/observers/strace.ts';
import { exec } from '../../src/resources/process.ts';
import { quicClient, quicPeerBinary, recordQuicPeer, startQuicServer } from '../../src/resources/quic-peer.ts';

const CLIENT = '198.18.91.1';
const SERVER = '198.18.91.2';
const MEGABYTES = 20;
const PATH = `/bytes/${MEGABYTES * 1_000_000}`;

export interface Download {
  proto: 'h2' | 'h3';
  bytes: number;
  syscalls: SyscallSummary;
  cpu: { userMs: number; systemMs: number };
}

const perMb = (n: number) => Math.round((n / MEGABYTES) * 10) / 10;

export function judgeFewerSwitches(downloads: Download[]): ClaimResult {
  const tcp = downloads.find((d) => d.proto === 'h2');
  const quic = downloads.find((d) => d.proto === 'h3');
  if (!tcp || !quic || tcp.bytes === 0 || quic.bytes === 0) return notObserved('quic.userspace.fewer-switches', { en: 'One of the two downloads did not complete.', zh: '两次下载中有一次没有完成。' });
  const ratio = Math.round((quic.syscalls.calls / tcp.syscalls.calls) * 10) / 10;
  const cpuRatio = Math.round(((quic.cpu.userMs + quic.cpu.systemMs) / (tcp.cpu.userMs + tcp.cpu.systemMs)) * 10) / 10;
  const top = (d: Download) => d.syscalls.bySyscall.slice(0, 3).map((s) => `${s.name} ${s.calls}`).join(', ');
  const observed = {
    megabytes: MEGABYTES,
    syscallsPerMb: { tcp: perMb(tcp.syscalls.calls), quic: perMb(quic.syscalls.calls) },
    cpuMsPerMb: { tcp: perMb(tcp.cpu.userMs + tcp.cpu.systemMs), quic: perMb(quic.cpu.userMs + quic.cpu.systemMs) },
    systemCpuMsPerMb: { tcp: perMb(tcp.cpu.systemMs), quic: perMb(quic.cpu.systemMs) },
    syscallRatio: ratio,
    cpuRatio,
  };
  const evidence = [
    { kind: 'bars' as const, title: `System calls of the client per MB received (${MEGABYTES} MB each)`, bars: [{ label: 'HTTP/2, kernel TCP', value: observed.syscallsPerMb.tcp }, { label: 'HTTP/3, quic-go QUIC', value: observed.syscallsPerMb.quic }] },
    { kind: 'table' as const, title: 'The busiest system calls of each download (strace -c -f)', columns: ['download', 'system call', 'calls'], rows: downloads.flatMap((d) => d.syscalls.bySyscall.slice(0, 5).map((s) => [d.proto, s.name, s.calls])) },
  ];
  if (ratio < 0.8) {
    return { id: 'quic.userspace.fewer-switches', verdict: 'confirmed', summary: `The QUIC download made ${ratio}× the system calls of the TCP one (${observed.syscallsPerMb.quic} against ${observed.syscallsPerMb.tcp} per MB).`, summaryZh: `QUIC 下载的系统调用数是 TCP 的 ${ratio} 倍（每 MB ${observed.syscallsPerMb.quic} 次对 ${observed.syscallsPerMb.tcp} 次）。`, observed, evidence };
  }
  return {
    id: 'quic.userspace.fewer-switches',
    verdict: 'refuted',
    summary: `To receive ${MEGABYTES} MB the QUIC client crossed into the kernel ${ratio.toFixed(1)}× as often as the TCP client (${observed.syscallsPerMb.quic} against ${observed.syscallsPerMb.tcp} system calls per MB; QUIC: ${top(quic)}; TCP: ${top(tcp)}) and used ${cpuRatio.toFixed(1)}× the CPU time (${observed.cpuMsPerMb.quic} against ${observed.cpuMsPerMb.tcp} ms per MB, of which system ${observed.systemCpuMsPerMb.quic} against ${observed.systemCpuMsPerMb.tcp}). A user-space stack still needs a system call to move every batch of datagrams, and it does per packet in user space (decryption, acknowledgements, loss recovery) what the kernel's TCP does for a whole stream of bytes. What user space buys is deployment and iteration without a kernel upgrade, not fewer switches.`,
    summaryZh: `接收 ${MEGABYTES} MB 时，QUIC 客户端进入内核的次数是 TCP 客户端的 ${ratio.toFixed(1)} 倍（每 MB ${observed.syscallsPerMb.quic} 次对 ${observed.syscallsPerMb.tcp} 次系统调用；QUIC：${top(quic)}；TCP：${top(tcp)}），CPU 时间是 ${cpuRatio.toFixed(1)} 倍（每 MB ${observed.cpuMsPerMb.quic} ms 对 ${observed.cpuMsPerMb.tcp} ms，其中内核态 ${observed.systemCpuMsPerMb.quic} 对 ${observed.systemCpuMsPerMb.tcp}）。用户态协议栈每搬运一批数据报仍需一次系统调用，而且要在用户态逐包完成解密、确认和丢包恢复，而内核 TCP 是对整条字节流做这些事。用户态换来的是无需升级内核即可部署和迭代，而不是更少的切换。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'quic-cost',
  title: 'The price of a user-space transport: system calls and CPU for 20 MB over kernel TCP and over QUIC',
  topic: 'quic',
  claims: ['quic.userspace.fewer-switches'],
  requires: ['root', 'netns', 'quic'],
  timeLimitMs: 120_000,
  alone: true,
  handout: {
    starts: 'A client and a server namespace on one veth link (offloads on); the quic-go peer answering over HTTP/2 (TLS, TCP 443) and HTTP/3 (QUIC, UDP 443).',
    does: `Per protocol, downloads ${MEGABYTES} MB once under strace -c -f and once without it.`,
    observes: "The client's system calls by name and in total, and its user and system CPU time.",
    zh: {
      title: '用户态传输的代价：经内核 TCP 与经 QUIC 传输 20 MB 的系统调用与 CPU',
      starts: '客户端和服务端两个命名空间，由一条 veth 相连（开启卸载）；quic-go 同时以 HTTP/2（TLS，TCP 443）和 HTTP/3（QUIC，UDP 443）响应。',
      does: `每种协议下载 ${MEGABYTES} MB：一次在 strace -c -f 之下，一次不加跟踪。`,
      observes: '客户端按名称统计的系统调用及总数，以及其用户态与内核态 CPU 时间。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`] }],
    },
  },
  async run(ctx) {
    const { client, server } = ctx.hosts;
    recordQuicPeer(ctx.environment);
    ctx.environment.strace = await toolVersion('strace', ['-V']);
    await startQuicServer(ctx.scope, ctx.runId, server!, { port: 443 });
    const binary = await quicPeerBinary();
    const downloads: Download[] = [];
    for (const proto of ['h2', 'h3'] as const) {
      const args = ['streams', '-proto', proto, '-url', `https://${SERVER}/`, '-paths', PATH];
      ctx.step(`${proto}: ${MEGABYTES} MB under strace -c -f`);
      const stats = join(ctx.workDir, `${proto}.strace`);
      await exec('strace', ['-f', '-c', '-o', stats, '--', binary, ...args], { netns: client!.netns, timeoutMs: 60_000 });
      ctx.step(`${proto}: ${MEGABYTES} MB untraced, for CPU time`);
      const untraced = await quicClient<{ streams: { bytes: number }[]; cpu: Download['cpu'] }>(client!, 'streams', args.slice(1));
      downloads.push({ proto, bytes: untraced.streams[0]?.bytes ?? 0, syscalls: parseStraceSummary(readFileSync(stats, 'utf8')), cpu: untraced.cpu });
    }
    return [withEvidence(judgeFewerSwitches(downloads), ...keptJson(ctx, 'downloads.json', downloads, 'system calls and CPU time of each download (JSON)'))];
  },
});
