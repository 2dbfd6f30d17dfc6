/** What a run's verdicts were observed on: the machine, the kernel, the tools and their settings. */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { Environment } from '../core/types.ts';
import { exec, execOutcome } from '../resources/process.ts';

function osName(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function baseEnvironment(): Environment {
  return { kernel: release(), os: osName(), node: process.version };
}

/**
 * The first line of a tool's version output, e.g. `tcpdump version 4.99.3`: stdout's, or stderr's
 * for tools that print it there. Throws when the tool is missing or fails.
 */
export async function toolVersion(command: string, args = ['--version']): Promise<string> {
  const { exitCode, stdout, stderr } = await execOutcome(command, args);
  if (exitCode !== 0) throw new Error(`${command}: ${(stderr || stdout).split('\n')[0] || `exit ${exitCode}`}`);
  return (stdout || stderr).split('\n')[0] ?? '';
}

/** Reads sysctls inside a namespace into `environment` as `sysctl <name>` entries. */
export async function recordSysctls(environment: Environment, names: string[], netns?: string, label = ''): Promise<void> {
  const output = await exec('sysctl', names, { netns });
  for (const line of output.split('\n')) {
    const [name, value] = line.split(' = ');
    if (name && value !== undefined) environment[`sysctl ${name}${label}`] = value;
  }
}
