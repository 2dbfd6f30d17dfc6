/** A Go program of a lab's own: written to the lab's work dir and built with the machine's Go (standard library only, so nothing is downloaded). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../core/types.ts';
import { goCommand } from '../observers/environment.ts';
import { exec } from '../resources/process.ts';

/** Builds the program (Go's build cache makes a second build quick); returns the binary. go's version goes into the lab's environment. */
export async function buildGoProgram(ctx: { workDir: string; environment: Environment }, program: { name: string; source: string }): Promise<string> {
  const dir = join(ctx.workDir, program.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.go'), program.source);
  const go = goCommand();
  const binary = join(dir, program.name);
  await exec(go, ['build', '-o', binary, 'main.go'], { cwd: dir, env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '' }, timeoutMs: 300_000 });
  ctx.environment.go = (await exec(go, ['version'])).trim();
  return binary;
}
