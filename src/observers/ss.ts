/** Parses `ss -tanoi` output into typed socket states. */
import type { SocketState } from '../core/types.ts';
import { exec } from '../resources/process.ts';

/** ss prints remaining times as e.g. `59sec`, `1min`, `1min2sec`, `200ms`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { min: 60_000, sec: 1000, ms: 1 };
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(min|sec|ms)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  if (matched !== text) throw new Error(`ss: unreadable duration "${text}"`);
  return total;
}

/** Splits the info line on spaces, keeping `name:(a,b)` groups whole. */
function infoTokens(line: string): string[] {
  const tokens: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of line.trim()) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (current) tokens.push(current);
      current = '';
    } else current += ch;
  }
  if (current) tokens.push(current);
  return tokens;
}

const SPACED_KEYS = new Set(['send', 'pacing_rate', 'delivery_rate']);

export function parseInfo(line: string): Record<string, string> {
  const info: Record<string, string> = {};
  const tokens = infoTokens(line);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (SPACED_KEYS.has(token) && i + 1 < tokens.length) info[token] = tokens[++i]!;
    else if (token.includes(':')) {
      const at = token.indexOf(':');
      info[token.slice(0, at)] = token.slice(at + 1);
    } else info[token] = 'true';
  }
  return info;
}

export function parseSs(output: string): SocketState[] {
  const sockets: SocketState[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith('State') || line.trim() === '') continue;
    if (/^\s/.test(line)) {
      const last = sockets.at(-1);
      if (last) Object.assign(last.info, parseInfo(line));
      continue;
    }
    const [state, recvQ, sendQ, local, peer, ...rest] = line.trim().split(/\s+/);
    if (!state || !peer || Number.isNaN(Number(recvQ))) throw new Error(`ss: unreadable line "${line}"`);
    const socket: SocketState = { state: state!, recvQ: Number(recvQ), sendQ: Number(sendQ), local: local!, peer, info: {} };
    const timer = rest.join(' ').match(/timer:\((\w+),([^,]+),(\d+)\)/);
    if (timer) socket.timer = { name: timer[1]!, remainingMs: parseDuration(timer[2]!), retransmits: Number(timer[3]) };
    sockets.push(socket);
  }
  return sockets;
}

/** Every TCP socket in a network namespace (or the host's when netns is undefined). */
export async function sampleSockets(netns?: string): Promise<SocketState[]> {
  return parseSs(await exec('ss', ['-tanoi'], { netns }));
}

export interface UnixStream {
  /** The socket's path, or '*' for an unnamed (client) end. */
  path: string;
  inode: number;
  peerInode: number;
  processes: { name: string; pid: number }[];
}

/** Parses `ss -xpH state connected` (connected unix sockets with their processes). */
export function parseUnixStreams(output: string): UnixStream[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, , , , path, inode, , peerInode, ...rest] = line.trim().split(/\s+/);
      if (!path || Number.isNaN(Number(inode)) || Number.isNaN(Number(peerInode))) throw new Error(`ss: unreadable unix socket line "${line}"`);
      const processes = [...rest.join(' ').matchAll(/\("([^"]+)",pid=(\d+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
      return { path, inode: Number(inode), peerInode: Number(peerInode), processes };
    });
}

/** The host's connected unix sockets. */
export async function sampleUnixStreams(): Promise<UnixStream[]> {
  return parseUnixStreams(await exec('ss', ['-xpH', 'state', 'connected']));
}
