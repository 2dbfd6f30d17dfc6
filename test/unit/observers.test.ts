import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseSs, parseUnixStreams } from '../../src/observers/ss.ts';
import { decodeTcp, flagNames, parseTsharkFields } from '../../src/observers/tshark.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

describe('ss parser on real output', () => {
  it('reads the state, queues, addresses and the info line', () => {
    const [socket] = parseSs(readFileSync(fixture('ss-fin-wait-2.txt'), 'utf8'));
    expect(socket).toMatchObject({ state: 'FIN-WAIT-2', recvQ: 0, sendQ: 0, local: '198.18.0.1:39886', peer: '198.18.0.2:7000' });
    expect(socket!.info).toMatchObject({ ts: 'true', sack: 'true', wscale: '10,10', mss: '1448', cwnd: '16', send: '36214146bps', snd_wnd: '74752' });
    expect(socket!.info.bbr).toBe('(bw:3861333096bps,mrtt:0.008,pacing_gain:2.88672,cwnd_gain:2.88672)');
  });

  it('reads the TIME-WAIT timer', () => {
    const [socket] = parseSs(readFileSync(fixture('ss-time-wait.txt'), 'utf8'));
    expect(socket!.state).toBe('TIME-WAIT');
    expect(socket!.timer).toEqual({ name: 'timewait', remainingMs: 59_000, retransmits: 0 });
  });

  it('keeps listeners and connections apart and reads unread bytes', () => {
    const sockets = parseSs(readFileSync(fixture('ss-established-with-listener.txt'), 'utf8'));
    expect(sockets.map((s) => s.state)).toEqual(['LISTEN', 'ESTAB', 'ESTAB']);
    expect(sockets[1]!.recvQ).toBe(100);
    expect(sockets[0]!.info.cwnd).toBe('10');
  });

  it('reads ss durations and rejects what it cannot read', () => {
    expect(parseDuration('59sec')).toBe(59_000);
    expect(parseDuration('1min')).toBe(60_000);
    expect(parseDuration('1min2sec')).toBe(62_000);
    expect(parseDuration('200ms')).toBe(200);
    expect(parseDuration('0.992s'.replace('s', 'sec'))).toBe(992);
    expect(() => parseDuration('soon')).toThrow(/unreadable duration/);
  });

  it('rejects a line that is not ss output', () => {
    expect(() => parseSs('State Recv-Q\nhello world\n')).toThrow(/unreadable line/);
  });
});

describe('tshark field parser on real output', () => {
  it('decodes flags from the tcp.flags bit field', () => {
    expect(flagNames('0x0012')).toEqual(['SYN', 'ACK']);
    expect(flagNames('0x0011')).toEqual(['FIN', 'ACK']);
    expect(flagNames('0x0018')).toEqual(['PSH', 'ACK']);
    expect(() => flagNames('zz')).toThrow(/unreadable tcp.flags/);
  });

  it('reads raw numbers, lengths and option kinds', () => {
    const packets = parseTsharkFields(readFileSync(fixture('tshark-close.tsv'), 'utf8'));
    expect(packets).toHaveLength(13);
    expect(packets[0]).toMatchObject({ flags: ['SYN'], seq: 3828081209, ack: 0, tcpHeaderLength: 40, options: ['MSS', 'SACK_PERM', 'TS', 'NOP', 'WS'] });
    expect(packets[1]).toMatchObject({ flags: ['SYN', 'ACK'], ack: 3828081210 });
    expect(packets[3]).toMatchObject({ len: 1000, ipTotalLength: 1052, ipHeaderLength: 20, tcpHeaderLength: 32, options: ['NOP', 'NOP', 'TS'] });
  });

  it('decodes a real capture file with tshark', async () => {
    const packets = await decodeTcp(fixture('lifecycle.pcap'));
    expect(packets.length).toBeGreaterThan(20);
    expect(new Set(packets.map((p) => p.dstPort)).has(7000)).toBe(true);
    expect(packets.every((p) => p.tcpHeaderLength >= 20)).toBe(true);
  });
});

describe('ss unix socket parser on real output', () => {
  // `ss -xpH state connected` on a host running the local cluster (kubelet, its containerd, Docker's containerd).
  const streams = parseUnixStreams(readFileSync(new URL('../fixtures/ss-unix-kubelet-containerd.txt', import.meta.url), 'utf8'));

  it('reads paths, inodes, peers and processes', () => {
    expect(streams).toHaveLength(8);
    expect(streams[0]).toEqual({ path: '*', inode: 4254369, peerInode: 4253658, processes: [{ name: 'kubelet', pid: 21185 }] });
    expect(streams[3]!.path).toBe('/run/labs/k8s/594c6ad3/containerd/containerd.sock');
  });

  it("pairs the kubelet's client ends with the containerd socket they are connected to", () => {
    const served = new Set(streams.filter((s) => s.path === '/run/labs/k8s/594c6ad3/containerd/containerd.sock').map((s) => s.inode));
    expect(streams.filter((s) => s.processes[0]?.name === 'kubelet' && served.has(s.peerInode))).toHaveLength(2);
  });

  it('rejects a line that is not a unix socket line', () => {
    expect(() => parseUnixStreams('State Recv-Q Send-Q Local Peer')).toThrow(/unreadable/);
  });
});
