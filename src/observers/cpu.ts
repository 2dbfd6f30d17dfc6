/** The CPU that timed a measurement, for the lab's environment: model, cores, frequency governor, the Meltdown mitigation, and flags that change what is measured. */
import { existsSync, readFileSync } from 'node:fs';

export function cpuEnvironment(flags: readonly string[] = []): Record<string, string> {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => info.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '';
  const have = new Set(field('flags').split(/\s+/));
  const governorFile = '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor';
  const environment: Record<string, string> = {
    cpuModel: field('model name'),
    cpus: String(info.match(/^processor\s*:/gm)?.length ?? 0),
    cpuGovernor: existsSync(governorFile) ? readFileSync(governorFile, 'utf8').trim() : 'none (no cpufreq: a virtual machine or a fixed clock)',
  };
  for (const flag of flags) environment[`cpuFlag.${flag}`] = have.has(flag) ? 'yes' : 'no';
  // Kernel page-table isolation (the Meltdown mitigation) changes what a switch into the kernel costs.
  const meltdownFile = '/sys/devices/system/cpu/vulnerabilities/meltdown';
  if (existsSync(meltdownFile)) environment.meltdown = readFileSync(meltdownFile, 'utf8').trim();
  return environment;
}
