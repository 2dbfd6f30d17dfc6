/** Finds lab files under labs/<topic>/, loads and validates them, and resolves ids to labs. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findClaim } from '../catalog/index.ts';
import { labSchema, type Lab } from './lab.ts';

export const DEFAULT_LABS_DIR = fileURLToPath(new URL('../../labs', import.meta.url));

export class UsageError extends Error {}

function labFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new UsageError(`labs directory not found: ${dir}`);
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return labFiles(path);
    return name.endsWith('.lab.ts') ? [path] : [];
  });
}

async function loadLab(file: string, root: string): Promise<Lab> {
  const where = relative(process.cwd(), file) || file;
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new UsageError(`malformed lab ${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = labSchema.safeParse(module.default);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`malformed lab ${where}: ${issue.path.join('.') || 'default export'}: ${issue.message}`);
  }
  const lab = parsed.data as Lab;
  const unknown = lab.claims.filter((id) => !findClaim(id));
  if (unknown.length) throw new UsageError(`malformed lab ${where}: unknown claim id(s) ${unknown.join(', ')}`);
  const topicDir = relative(root, file).split('/')[0];
  if (topicDir !== lab.topic) throw new UsageError(`malformed lab ${where}: topic "${lab.topic}" but it lives in labs/${topicDir}/`);
  return lab;
}

export async function loadLabs(dir = DEFAULT_LABS_DIR): Promise<Lab[]> {
  const labs = await Promise.all(labFiles(dir).map((file) => loadLab(file, dir)));
  const seen = new Set<string>();
  for (const lab of labs) {
    if (seen.has(lab.id)) throw new UsageError(`two labs share the id "${lab.id}"`);
    seen.add(lab.id);
  }
  return labs.sort((a, b) => a.topic.localeCompare(b.topic) || a.id.localeCompare(b.id));
}

/** Resolves lab ids and claim ids (a claim id selects the lab that covers it) to labs. */
export function selectLabs(labs: Lab[], ids: string[]): Lab[] {
  const selected = new Map<string, Lab>();
  for (const id of ids) {
    const lab = labs.find((l) => l.id === id) ?? labs.find((l) => l.claims.includes(id));
    if (!lab) {
      const hint = findClaim(id) ? `claim "${id}" has no lab yet` : `unknown lab or claim "${id}"`;
      throw new UsageError(`${hint} (see \`labs list\`)`);
    }
    selected.set(lab.id, lab);
  }
  return [...selected.values()];
}
