/** What a run's verdicts were observed on: the machine, the kernel, the tools and their settings. */
import { existsSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../core/types.ts';
import { exec, execOutcome } from '../resources/process.ts';
import { stateDir } from '../resources/run-state.ts';

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

/** Where Go's own installer puts it, for a PATH that lacks it. */
const INSTALLED_GO = '/usr/local/go/bin/go';

/** The go command: the one on PATH, else the one in /usr/local/go. */
export function goCommand(): string {
  return whichBinary('go')?.path ?? (existsSync(INSTALLED_GO) ? INSTALLED_GO : 'go');
}

/**
 * The first line of a tool's version output, e.g. `tcpdump version 4.99.3`: stdout's, or stderr's
 * for tools that print it there. Throws when the tool is missing or fails.
 */
/** A Debian package's installed version (dpkg-query); throws when it is not installed. */
export async function debianPackageVersion(name: string): Promise<string> {
  return (await exec('dpkg-query', ['-W', '-f', '${Version}', name])).trim();
}

export async function toolVersion(command: string, args = ['--version']): Promise<string> {
  const binary = whichBinary(command);
  const key = binary && `${binary.path}:${binary.size}:${binary.mtimeMs}:${binary.ino} ${args.join(' ')}`;
  const known = key ? readVersions()[key] : undefined;
  if (known !== undefined) return known;
  const { exitCode, stdout, stderr } = await execOutcome(command, args);
  if (exitCode !== 0) throw new Error(`${command}: ${(stderr || stdout).split('\n')[0] || `exit ${exitCode}`}`);
  const version = (stdout || stderr).split('\n')[0] ?? '';
  if (key) rememberVersion(key, version);
  return version;
}

/**
 * A binary's version changes only when the binary does, so versions are kept on disk keyed by the
 * file's path, size, modification time and inode: the CLI does not pay tshark's start-up (about
 * 0.2 s) on every run to read a line it read before.
 */
const versionsFile = () => join(stateDir(), 'tool-versions.json');
let versions: Record<string, string> | undefined;

function readVersions(): Record<string, string> {
  if (!versions) {
    try {
      versions = JSON.parse(readFileSync(versionsFile(), 'utf8')) as Record<string, string>;
    } catch {
      versions = {};
    }
  }
  return versions;
}

function rememberVersion(key: string, version: string): void {
  const all = { ...readVersions(), [key]: version };
  versions = all;
  const partial = `${versionsFile()}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(all));
  renameSync(partial, versionsFile());
}

/** The file a command name runs, found on PATH as a shell would. */
function whichBinary(command: string): { path: string; size: number; mtimeMs: number; ino: number } | undefined {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, command));
  for (const path of candidates) {
    try {
      const { size, mtimeMs, ino } = statSync(realpathSync(path));
      return { path, size, mtimeMs, ino };
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Reads sysctls inside a namespace into `environment` as `sysctl <name>` entries. */
export async function recordSysctls(environment: Environment, names: string[], netns?: string, label = ''): Promise<void> {
  const output = await exec('sysctl', names, { netns });
  for (const line of output.split('\n')) {
    const [name, value] = line.split(' = ');
    if (name && value !== undefined) environment[`sysctl ${name}${label}`] = value;
  }
}
