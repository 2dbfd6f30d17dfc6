/** Runs a real tool as an observation and keeps its exact command line and output as evidence. */
import type { Evidence } from '../core/types.ts';
import { execOutcome } from '../resources/process.ts';

export interface Observation {
  exitCode: number;
  output: string;
  evidence: Extract<Evidence, { kind: 'command' }>;
}

export async function observeCommand(title: string, command: string, args: string[], netns?: string): Promise<Observation> {
  const { exitCode, output } = await execOutcome(command, args, { netns, timeoutMs: 60_000 });
  const shown = [command, ...args.map((a) => (/[\s'"*$]/.test(a) ? `'${a}'` : a))].join(' ');
  return { exitCode, output, evidence: { kind: 'command', title, command: shown, output: exitCode ? `${output}\n(exit ${exitCode})` : output } };
}

/** Runs a shell command line exactly as written (as a reader would type it) in `cwd`; stdout is the output. */
export async function observeShell(title: string, line: string, cwd: string): Promise<Observation> {
  const { exitCode, stdout, stderr } = await execOutcome('sh', ['-c', line], { cwd, timeoutMs: 60_000 });
  const shown = exitCode ? `${stdout}\n${stderr}\n(exit ${exitCode})` : stdout;
  return { exitCode, output: stdout, evidence: { kind: 'command', title, command: line, output: shown } };
}
