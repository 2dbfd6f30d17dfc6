/** `labs doctor`: what this machine can do, and which labs that enables. */
import { missing, probeCapabilities } from '../../core/capabilities.ts';
import { loadLabs } from '../../core/registry.ts';
import type { Flags } from '../main.ts';

export async function doctor(_args: string[], flags: Flags): Promise<number> {
  const [capabilities, labs] = await Promise.all([probeCapabilities(), loadLabs(flags['labs-dir'])]);
  const enabled = labs.map((lab) => ({ id: lab.id, runnable: missing(capabilities, lab.requires).length === 0, missing: missing(capabilities, lab.requires) }));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ capabilities, labs: enabled }, null, 2)}\n`);
    return 0;
  }
  for (const [name, probe] of Object.entries(capabilities)) {
    process.stdout.write(`${probe.ok ? '✔' : '✘'} ${name.padEnd(11)} ${probe.detail}\n`);
  }
  process.stdout.write('\n');
  for (const lab of enabled) {
    process.stdout.write(`${lab.runnable ? '✔' : '✘'} ${lab.id}${lab.runnable ? '' : `: missing ${lab.missing.join('; ')}`}\n`);
  }
  return 0;
}
