/**
 * Network namespaces joined by veth links, declared as data and built for one run.
 * Namespace names carry the run id (`labs-<runId>-<host>-<nonce>`), which is how the reaper finds
 * the leftovers of a dead run; deleting a namespace also deletes its veth ends.
 */
import { z } from 'zod';
import { exec } from './process.ts';
import { resourceName } from './run-state.ts';
import type { Scope } from './scope.ts';

const cidr = z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'expected an IPv4 address with prefix, e.g. 198.18.0.1/24');
const hostName = z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'host names are 1-12 lower-case letters or digits');

export const topologySchema = z
  .object({
    hosts: z.record(hostName, z.object({ sysctls: z.record(z.string(), z.string()).default({}) })),
    links: z.array(
      z.object({
        a: z.tuple([hostName, cidr]),
        b: z.tuple([hostName, cidr]),
        mtu: z.number().int().min(68).max(65535).optional(),
        /** false turns off TSO/GSO/GRO so that captures show segments as a physical wire would carry them. */
        offload: z.boolean().default(true),
      }),
    ),
    routes: z.array(z.object({ host: hostName, to: z.string(), via: z.string() })).default([]),
  })
  .superRefine((topology, ctx) => {
    const known = new Set(Object.keys(topology.hosts));
    const used = [
      ...topology.links.flatMap((l) => [l.a[0], l.b[0]]),
      ...topology.routes.map((r) => r.host),
    ];
    for (const host of used) {
      if (!known.has(host)) ctx.addIssue({ code: 'custom', message: `unknown host "${host}" (hosts: ${[...known].join(', ')})` });
    }
  });

export type TopologySpec = z.input<typeof topologySchema>;

export interface Host {
  name: string;
  netns: string;
  /** Interface names and addresses in this host, in link order. */
  interfaces: { name: string; address: string }[];
  /** The host's first address, without prefix. */
  address: string;
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
  await exec('ip', ['netns', 'delete', name]);
}

/** Builds the topology; every namespace is deleted when the scope closes. */
export async function buildNetwork(scope: Scope, runId: string, spec: TopologySpec): Promise<Network> {
  const topology = topologySchema.parse(spec);
  const network: Network = {};
  for (const [name, host] of Object.entries(topology.hosts)) {
    const netns = resourceName(runId, name);
    await exec('ip', ['netns', 'add', netns]);
    scope.defer(`netns ${netns}`, () => deleteNetns(netns));
    await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    for (const [key, value] of Object.entries(host.sysctls)) {
      await exec('sysctl', ['-q', '-w', `${key}=${value}`], { netns });
    }
    network[name] = { name, netns, interfaces: [], address: '' };
  }
  for (const link of topology.links) {
    const [a, b] = [link.a, link.b].map(([host, address]) => {
      const node = network[host]!;
      const iface = { name: `eth${node.interfaces.length}`, address };
      node.interfaces.push(iface);
      node.address ||= address.split('/')[0]!;
      return { node, iface };
    }) as [{ node: Host; iface: Host['interfaces'][0] }, { node: Host; iface: Host['interfaces'][0] }];
    await exec('ip', ['link', 'add', a.iface.name, 'netns', a.node.netns, 'type', 'veth', 'peer', 'name', b.iface.name, 'netns', b.node.netns]);
    for (const { node, iface } of [a, b]) {
      await exec('ip', ['-n', node.netns, 'addr', 'add', iface.address, 'dev', iface.name]);
      if (link.mtu) await exec('ip', ['-n', node.netns, 'link', 'set', iface.name, 'mtu', String(link.mtu)]);
      if (!link.offload) await exec('ethtool', ['-K', iface.name, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { netns: node.netns });
      await exec('ip', ['-n', node.netns, 'link', 'set', iface.name, 'up']);
    }
  }
  for (const route of topology.routes) {
    await exec('ip', ['-n', network[route.host]!.netns, 'route', 'add', route.to, 'via', route.via]);
  }
  return network;
}
