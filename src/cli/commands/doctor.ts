/** `labs doctor`: what this machine can do, and which labs that enables. */
import { missing, probeCapabilities } from '../../core/capabilities.ts';
import { labIndex, type LabInfo } from '../../core/registry.ts';
import type { Flags } from '../flags.ts';

/** What a lab will start, in a few words: "3 hosts, 2 links; services kafka1 (kafka), …". */
function startsLine(starts: LabInfo['starts']): string {
  const parts = [];
  if (starts.hosts.length) parts.push(`${starts.hosts.length} namespace hosts, ${starts.links} links${starts.lans.length ? `, LANs ${starts.lans.join(', ')}` : ''}`);
  const services = Object.entries(starts.services);
  if (services.length) parts.push(`containers ${services.map(([name, image]) => `${name} (${image})`).join(', ')}`);
  if (starts.shared.length) parts.push(`shared: ${starts.shared.join(', ')}`);
  return parts.length ? `  — starts ${parts.join('; ')}` : '';
}

export async function doctor(_args: string[], flags: Flags): Promise<number> {
  const [capabilities, labs] = await Promise.all([probeCapabilities(), labIndex(flags['labs-dir'])]);
  const enabled = labs.map((lab) => ({ id: lab.id, runnable: missing(capabilities, lab.requires).length === 0, missing: missing(capabilities, lab.requires), starts: lab.starts }));
  const impairment = capabilities['tc-netem']?.ok
    ? 'tc netem (delay); iptables statistic (loss)'
    : capabilities.nfqueue?.ok
      ? 'NFQUEUE to nfq-delay (delay: this kernel has no netem); iptables statistic (loss)'
      : 'none: neither tc netem nor NFQUEUE works here';
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ capabilities, impairment, labs: enabled }, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...Object.keys(capabilities).map((name) => name.length));
  for (const [name, probe] of Object.entries(capabilities)) {
    process.stdout.write(`${probe!.ok ? '✔' : '✘'} ${name.padEnd(width)} ${probe!.detail}\n`);
  }
  process.stdout.write(`  impairment: ${impairment}\n\n`);
  for (const lab of enabled) {
    process.stdout.write(`${lab.runnable ? '✔' : '✘'} ${lab.id}${lab.runnable ? '' : `: missing ${lab.missing.join('; ')}`}${startsLine(lab.starts)}\n`);
  }
  return 0;
}
