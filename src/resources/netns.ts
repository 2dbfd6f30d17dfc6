/**
 * Network namespaces joined by veth links and bridged LANs, declared as data and built for one run.
 * Namespace names carry the run id (`labs-<runId>-<host>-<nonce>`), which is how the reaper finds
 * the leftovers of a dead run; deleting a namespace also deletes its veth ends.
 */
import { z } from 'zod';
import { impair, impairmentSchema, type AppliedImpairment } from './impairment.ts';
import { exec } from './process.ts';
import { resourceName } from './run-state.ts';
import type { Scope } from './scope.ts';

const cidr = z
  .string()
  .regex(/^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+)\/\d+$/, 'expected an address with prefix, e.g. 198.18.0.1/24 or fd00::1/64');
export const hostName = z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'host names are 1-12 lower-case letters or digits');
/** A host's end of a link or LAN: the host, then its addresses. */
const endpoint = z.tuple([hostName, cidr]).rest(cidr);

export const topologySchema = z
  .object({
    hosts: z.record(
      hostName,
      z.object({
        /** A router forwards IPv4 between its interfaces. */
        router: z.boolean().default(false),
        sysctls: z.record(z.string(), z.string()).default({}),
      }),
    ),
    links: z
      .array(
        z.object({
          a: endpoint,
          b: endpoint,
          mtu: z.number().int().min(68).max(65535).optional(),
          /**
           * false turns off segmentation (TSO/GSO/GRO) and checksum offload, so that captures show
           * segments and checksums as a physical wire would carry them.
           */
          offload: z.boolean().default(true),
          /** Impairments at end a or end b: delay on what it sends, loss on what it receives. */
          impair: z.object({ a: impairmentSchema.optional(), b: impairmentSchema.optional() }).default({}),
        }),
      )
      .default([]),
    /** Several hosts on one Ethernet segment (a bridge in a namespace of its own). */
    lans: z.array(z.object({ name: hostName, members: z.array(endpoint).min(2), offload: z.boolean().default(true) })).default([]),
    routes: z.array(z.object({ host: hostName, to: z.string(), via: z.string() })).default([]),
  })
  .superRefine((topology, ctx) => {
    const known = new Set(Object.keys(topology.hosts));
    const used = [
      ...topology.links.flatMap((l) => [l.a[0], l.b[0]]),
      ...topology.lans.flatMap((l) => l.members.map((m) => m[0])),
      ...topology.routes.map((r) => r.host),
    ];
    for (const host of used) {
      if (!known.has(host)) ctx.addIssue({ code: 'custom', message: `unknown host "${host}" (hosts: ${[...known].join(', ')})` });
    }
  });

export type TopologySpec = z.input<typeof topologySchema>;

export interface Interface {
  name: string;
  /** Addresses with prefix, as declared. */
  addresses: string[];
}

export interface Host {
  name: string;
  netns: string;
  /** Interface names and addresses in this host, in link order. */
  interfaces: Interface[];
  /** The host's first IPv4 address, without prefix. */
  address: string;
  /** Impairments the topology applied at this host's interfaces. */
  impairments: AppliedImpairment[];
}

export type Network = Record<string, Host>;

export async function deleteNetns(name: string): Promise<void> {
  const pids = (await exec('ip', ['netns', 'pids', name]).catch(() => '')).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    await exec('ip', ['netns', 'delete', name]);
  } catch (error) {
    // Another clean-up (a concurrent run's reaper) may have deleted it first: gone is what we wanted.
    if ((await exec('ip', ['netns', 'list'])).split('\n').some((line) => line.split(' ')[0] === name)) throw error;
  }
}

async function addNetns(scope: Scope, runId: string, name: string): Promise<string> {
  const netns = resourceName(runId, name);
  await exec('ip', ['netns', 'add', netns]);
  scope.defer(`netns ${netns}`, () => deleteNetns(netns));
  await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  return netns;
}

/** Gives the interface its addresses (IPv6 without duplicate address detection) and brings it up. */
async function configure(host: Host, iface: Interface, options: { mtu?: number; offload: boolean }): Promise<void> {
  for (const address of iface.addresses) {
    await exec('ip', ['-n', host.netns, 'addr', 'add', address, 'dev', iface.name, ...(address.includes(':') ? ['nodad'] : [])]);
  }
  if (options.mtu) await exec('ip', ['-n', host.netns, 'link', 'set', iface.name, 'mtu', String(options.mtu)]);
  if (!options.offload) await exec('ethtool', ['-K', iface.name, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off'], { netns: host.netns });
  await exec('ip', ['-n', host.netns, 'link', 'set', iface.name, 'up']);
}

function attach(host: Host, addresses: string[]): Interface {
  const iface = { name: `eth${host.interfaces.length}`, addresses };
  host.interfaces.push(iface);
  host.address ||= addresses.find((a) => !a.includes(':'))?.split('/')[0] ?? '';
  return iface;
}

/** Builds the topology; every namespace is deleted when the scope closes. */
export async function buildNetwork(scope: Scope, runId: string, spec: TopologySpec): Promise<Network> {
  const topology = topologySchema.parse(spec);
  const network: Network = {};
  for (const [name, host] of Object.entries(topology.hosts)) {
    const netns = await addNetns(scope, runId, name);
    const sysctls = { ...(host.router ? { 'net.ipv4.ip_forward': '1' } : {}), ...host.sysctls };
    for (const [key, value] of Object.entries(sysctls)) {
      await exec('sysctl', ['-q', '-w', `${key}=${value}`], { netns });
    }
    network[name] = { name, netns, interfaces: [], address: '', impairments: [] };
  }
  for (const link of topology.links) {
    const [hostA, ...addressesA] = link.a;
    const [hostB, ...addressesB] = link.b;
    const a = network[hostA]!;
    const b = network[hostB]!;
    const ifA = attach(a, addressesA);
    const ifB = attach(b, addressesB);
    await exec('ip', ['link', 'add', ifA.name, 'netns', a.netns, 'type', 'veth', 'peer', 'name', ifB.name, 'netns', b.netns]);
    await configure(a, ifA, link);
    await configure(b, ifB, link);
    for (const [host, iface, spec] of [[a, ifA, link.impair.a], [b, ifB, link.impair.b]] as const) {
      if (spec) host.impairments.push(await impair(scope, runId, host.netns, iface.name, spec));
    }
  }
  for (const lan of topology.lans) {
    const bridge = await addNetns(scope, runId, lan.name);
    await exec('ip', ['-n', bridge, 'link', 'add', 'br0', 'type', 'bridge']);
    await exec('ip', ['-n', bridge, 'link', 'set', 'br0', 'up']);
    for (const [index, [hostName, ...addresses]] of lan.members.entries()) {
      const host = network[hostName]!;
      const iface = attach(host, addresses);
      const port = `p${index}`;
      await exec('ip', ['link', 'add', iface.name, 'netns', host.netns, 'type', 'veth', 'peer', 'name', port, 'netns', bridge]);
      await exec('ip', ['-n', bridge, 'link', 'set', port, 'master', 'br0', 'up']);
      await configure(host, iface, lan);
    }
  }
  for (const route of topology.routes) {
    await exec('ip', ['-n', network[route.host]!.netns, 'route', 'add', route.to, 'via', route.via]);
  }
  return network;
}
