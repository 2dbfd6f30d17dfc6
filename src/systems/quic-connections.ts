/**
 * One QUIC connection per implementation, client to server across the lab's link, captured and
 * decrypted: quic-go (the labs' own peer, on UDP 443, asked for by a URL that names no port) and
 * ngtcp2's GnuTLS example client and server (Debian's ngtcp2-client/-server, on UDP 4433). Where the
 * two implementations differ is itself a finding, so the labs that read QUIC headers and handshakes
 * judge both.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Evidence } from '../core/types.ts';
import type { LabContext } from '../core/lab.ts';
import { keptFile, keptJson } from '../core/verdict.ts';
import { debianPackageVersion, toolVersion } from '../observers/environment.ts';
import { measureRoundTrip, type RoundTrip } from '../observers/ping.ts';
import { decodeQuic, type QuicPacket, type QuicPacketType } from '../observers/quic.ts';
import { startCapture } from '../resources/capture.ts';
import type { Host } from '../resources/netns.ts';
import { exec, spawnLabelled } from '../resources/process.ts';
import { quicClient, recordQuicPeer, startQuicServer } from '../resources/quic-peer.ts';
import { until } from '../resources/wait.ts';

export const IMPLEMENTATIONS = [
  { name: 'quic-go', port: 443 },
  { name: 'ngtcp2', port: 4433 },
] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number]['name'];

/** A packet as tshark saw it without any key log. */
export interface OpenedWithoutKeys {
  implementation: Implementation;
  from: 'client' | 'server';
  type: QuicPacketType;
  decrypted: boolean;
  tls: string[];
}

export interface ConnectionsObservation {
  rtt: RoundTrip;
  /** Every packet, decrypted with both clients' key logs, tagged with its implementation and sender. */
  packets: (QuicPacket & { implementation: Implementation; from: 'client' | 'server' })[];
  withoutKeys: OpenedWithoutKeys[];
  /** quic-go's client asked for https://<server>/hello: the UDP port it sent to. */
  portForUrlWithoutPort: number;
  /** The protocols this kernel implements (/proc/net/protocols). */
  kernelProtocols: string[];
  /** More ngtcp2 connections, captured apart: whether each sent any packet with the fixed bit 0 (ngtcp2 greases it at random, per connection). */
  greaseProbe: { connections: number; greased: number };
}

export const GREASE_PROBE_CONNECTIONS = 5;

export function implementationOf(port: number): Implementation | undefined {
  return IMPLEMENTATIONS.find((i) => i.port === port)?.name;
}

function tag(packets: QuicPacket[], serverAddress: string) {
  return packets.flatMap((p) => {
    const from = p.src === serverAddress ? ('server' as const) : ('client' as const);
    const implementation = implementationOf(from === 'server' ? p.srcPort : p.dstPort);
    return implementation ? [{ ...p, implementation, from }] : [];
  });
}

/** ngtcp2's example server on `port`, serving `files` (name → bytes) and answering /hello; `args` are more options (e.g. --cc=bbr). */
export async function startNgtcp2Server(ctx: LabContext, server: Host, options: { port: number; files?: Record<string, number>; args?: string[] } = { port: 4433 }): Promise<void> {
  const dir = join(ctx.workDir, `ngtcp2-${options.port}`);
  mkdirSync(join(dir, 'htdocs'), { recursive: true });
  writeFileSync(join(dir, 'htdocs', 'hello'), 'hello\n');
  for (const [name, bytes] of Object.entries(options.files ?? {})) writeFileSync(join(dir, 'htdocs', name), Buffer.alloc(bytes, 0x71));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  spawnLabelled(ctx.scope, ctx.runId, 'gtlsserver', ['-q', ...(options.args ?? []), '-d', join(dir, 'htdocs'), server.address, String(options.port), key, cert], { netns: server.netns });
  await until(async () => (await exec('ss', ['-Hlun', `sport = :${options.port}`], { netns: server.netns })).trim() !== '', 5000, `ngtcp2 server listening on UDP ${options.port}`);
}

/** The ngtcp2 example programs' version, as a lab's environment records it. */
export const ngtcp2Version = async () => `ngtcp2 ${await debianPackageVersion('ngtcp2-client')} (gtlsclient, gtlsserver)`;

/** ngtcp2's example client: one GET, exiting when the response is complete. */
export const fetchWithNgtcp2 = (client: Host, url: URL, env: Record<string, string> = {}) =>
  exec('gtlsclient', ['-q', '--exit-on-all-streams-close', url.hostname, url.port, url.href], { netns: client.netns, env, timeoutMs: 60_000 });

const helloFrom = (server: Host) => new URL(`https://${server.address}:4433/hello`);

/** The fixed bit sits outside header protection, so the capture needs no keys to show it. */
async function probeGrease(ctx: LabContext, client: Host, server: Host): Promise<ConnectionsObservation['greaseProbe']> {
  ctx.step(`ngtcp2: ${GREASE_PROBE_CONNECTIONS} more connections, for the fixed bit`);
  const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'grease', netns: client.netns, iface: 'eth0', filter: 'udp port 4433' });
  for (let i = 0; i < GREASE_PROBE_CONNECTIONS; i++) await fetchWithNgtcp2(client, helloFrom(server));
  await capture.stop();
  // Each run of the client is a connection from a port of its own.
  const clientPort = (p: QuicPacket) => (p.srcPort === 4433 ? p.dstPort : p.srcPort);
  const greased = new Set((await decodeQuic(capture.file, { ports: [4433] })).filter((p) => (p.firstByteOnWire & 0x40) === 0).map(clientPort)).size;
  return { connections: GREASE_PROBE_CONNECTIONS, greased };
}

export async function observeQuicConnections(ctx: LabContext, client: Host, server: Host): Promise<{ observation: ConnectionsObservation; files: Evidence[] }> {
  recordQuicPeer(ctx.environment);
  ctx.environment.ngtcp2 = await ngtcp2Version();
  ctx.environment.tshark = await toolVersion('tshark');
  const rtt = await measureRoundTrip(client.netns, server.address);
  ctx.environment.roundTrip = `${rtt.avgMs} ms (ping, ${rtt.count} probes)`;
  const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'quic', netns: client.netns, iface: 'eth0', filter: 'udp' });
  await startQuicServer(ctx.scope, ctx.runId, server, { port: 443 });
  await startNgtcp2Server(ctx, server, { port: 4433 });
  const goKeys = join(ctx.workDir, 'quic-go.keys');
  const ngKeys = join(ctx.workDir, 'ngtcp2.keys');
  ctx.step('quic-go: a first connection to https://server/hello');
  await quicClient(client, 'get', ['-url', `https://${server.address}/hello`, '-keylog', goKeys]);
  ctx.step('ngtcp2: a first connection to https://server:4433/hello');
  await fetchWithNgtcp2(client, helloFrom(server), { SSLKEYLOGFILE: ngKeys });
  await capture.stop();
  const greaseProbe = await probeGrease(ctx, client, server);
  const keylog = join(ctx.workDir, 'keys.log');
  writeFileSync(keylog, readFileSync(goKeys, 'utf8') + readFileSync(ngKeys, 'utf8'));
  const ports = IMPLEMENTATIONS.map((i) => i.port);
  const packets = tag(await decodeQuic(capture.file, { keylog, ports }), server.address);
  const withoutKeys = tag(await decodeQuic(capture.file, { ports }), server.address).map((p) => ({
    implementation: p.implementation, from: p.from, type: p.type, decrypted: p.decrypted, tls: p.frames.flatMap((f) => f.tls),
  }));
  const goFirst = packets.find((p) => p.implementation === 'quic-go' && p.from === 'client');
  const kernelProtocols = readFileSync('/proc/net/protocols', 'utf8').split('\n').slice(1).map((l) => l.split(/\s+/)[0]!).filter(Boolean);
  const observation = { rtt, packets, withoutKeys, portForUrlWithoutPort: goFirst?.dstPort ?? 0, kernelProtocols, greaseProbe };
  return {
    observation,
    files: [
      ...keptFile(ctx, capture.file, 'capture (pcap): one quic-go and one ngtcp2 connection'),
      ...keptFile(ctx, keylog, 'TLS key log of both clients (open the capture with tshark -o tls.keylog_file:keys.log)'),
      ...keptJson(ctx, 'connections.json', observation, 'every packet as decoded, with and without the key logs (JSON)'),
    ],
  };
}
