/** A C program of a lab's own: written to the lab's work dir, compiled with the system's cc, run once. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../core/types.ts';
import { exec } from '../resources/process.ts';

export interface CProgram {
  name: string;
  source: string;
  /** Compiler flags before the source; libraries (-l…) after it. */
  flags?: string[];
  libs?: string[];
  timeoutMs?: number;
}

/** Compiles the program; returns the binary. cc's version goes into the lab's environment. */
export async function compileProgram(ctx: { workDir: string; environment: Environment }, program: CProgram): Promise<string> {
  const file = join(ctx.workDir, `${program.name}.c`);
  const binary = join(ctx.workDir, program.name);
  writeFileSync(file, program.source);
  await exec('cc', [...(program.flags ?? []), '-o', binary, file, ...(program.libs ?? [])]);
  ctx.environment.cc = (await exec('cc', ['--version'])).split('\n')[0]!;
  return binary;
}

/** Compiles and runs the program once; returns what it printed. */
export async function compileAndRun(ctx: { workDir: string; environment: Environment }, program: CProgram): Promise<string> {
  return exec(await compileProgram(ctx, program), [], { timeoutMs: program.timeoutMs });
}
