/**
 * Finds lab files under labs/<topic>/, loads and validates them, and resolves ids to labs.
 * Importing a lab imports what it runs (Docker's client, MySQL's, ...), so the labs' metadata is
 * kept in an index, rebuilt whenever a lab or source file changes; a command imports only the
 * labs it runs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findClaim } from '../catalog/index.ts';
import type { describeNeeds, Lab } from './lab.ts';
import { didYouMean } from './nearest.ts';

export const DEFAULT_LABS_DIR = fileURLToPath(new URL('../../labs', import.meta.url));
const SRC_DIR = fileURLToPath(new URL('..', import.meta.url));
const INDEX_DIR = fileURLToPath(new URL('../../.cache', import.meta.url));

/** What the commands that do not run a lab need to know of it. */
export interface LabInfo {
  id: string;
  title: string;
  topic: string;
  claims: readonly string[];
  requires: Lab['requires'];
  timeLimitMs: number;
  /** Runs after the other labs, one at a time (its verdicts rest on timing or a whole machine). */
  alone: boolean;
  handout: Lab['handout'];
  starts: ReturnType<typeof describeNeeds>;
  file: string;
}

import { UsageError } from './usage-error.ts';

export { UsageError };

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

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

async function loadLabFile(file: string, root: string): Promise<Lab> {
  // Loaded here, not above: reading the index does not need the lab schema (nor zod, nor resources).
  const { firstProblem, labSchema } = await import('./lab.ts');
  const where = relative(process.cwd(), file) || file;
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new UsageError(`malformed lab ${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = labSchema.safeParse(module.default);
  if (!parsed.success) throw new UsageError(`malformed lab ${where}: ${firstProblem(parsed.error)}`);
  const lab = parsed.data as Lab;
  const unknown = lab.claims.filter((id) => !findClaim(id));
  if (unknown.length) throw new UsageError(`malformed lab ${where}: unknown claim id(s) ${unknown.join(', ')}`);
  const topicDir = relative(root, file).split('/')[0];
  if (topicDir !== lab.topic) throw new UsageError(`malformed lab ${where}: topic "${lab.topic}" but it lives in labs/${topicDir}/`);
  return lab;
}

export async function loadLabs(dir = DEFAULT_LABS_DIR): Promise<Lab[]> {
  const labs = await Promise.all(labFiles(dir).map((file) => loadLabFile(file, dir)));
  checkUniqueIds(labs);
  return labs.sort((a, b) => a.topic.localeCompare(b.topic) || a.id.localeCompare(b.id));
}

/** A key that changes whenever any lab or source file does (paths, sizes and modification times). */
function sourceKey(dir: string): string {
  const hash = createHash('sha256').update(dir);
  for (const file of [...tsFiles(dir), ...tsFiles(SRC_DIR)].sort()) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${file}:${size}:${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const infoOf = (lab: Lab, file: string, starts: LabInfo['starts']): LabInfo => ({
  id: lab.id,
  title: lab.title,
  topic: lab.topic,
  claims: lab.claims,
  requires: lab.requires,
  timeLimitMs: lab.timeLimitMs,
  alone: lab.alone ?? false,
  handout: lab.handout,
  starts,
  file,
});

/** Every lab's metadata: from the index when no file changed since it was written, else by loading (and validating) every lab. */
export async function labIndex(dir = DEFAULT_LABS_DIR): Promise<LabInfo[]> {
  labFiles(dir);
  const key = sourceKey(dir);
  const indexFile = join(INDEX_DIR, `lab-index-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.json`);
  try {
    const cached = JSON.parse(readFileSync(indexFile, 'utf8')) as { key: string; labs: LabInfo[] };
    if (cached.key === key) return cached.labs;
  } catch {
    // no index yet, or an unreadable one: rebuild it
  }
  const files = labFiles(dir);
  const { describeNeeds } = await import('./lab.ts');
  const labs = await Promise.all(files.map(async (file) => {
    const lab = await loadLabFile(file, dir);
    return infoOf(lab, file, describeNeeds(lab));
  }));
  labs.sort((a, b) => a.topic.localeCompare(b.topic) || a.id.localeCompare(b.id));
  checkUniqueIds(labs);
  mkdirSync(INDEX_DIR, { recursive: true });
  writeFileSync(`${indexFile}.${process.pid}`, JSON.stringify({ key, labs }));
  renameSync(`${indexFile}.${process.pid}`, indexFile);
  return labs;
}

/** Imports and validates the labs named by their metadata. */
export function importLabs(infos: LabInfo[], dir = DEFAULT_LABS_DIR): Promise<Lab[]> {
  return Promise.all(infos.map((info) => loadLabFile(info.file, dir)));
}

function checkUniqueIds(labs: { id: string }[]): void {
  const seen = new Set<string>();
  for (const lab of labs) {
    if (seen.has(lab.id)) throw new UsageError(`two labs share the id "${lab.id}"`);
    seen.add(lab.id);
  }
}

/** Resolves lab ids and claim ids (a claim id selects the lab that covers it) to labs. */
export function selectLabs<L extends { id: string; claims: readonly string[] }>(labs: L[], ids: string[]): L[] {
  const selected = new Map<string, L>();
  for (const id of ids) {
    const lab = labs.find((l) => l.id === id) ?? labs.find((l) => l.claims.includes(id));
    if (!lab) {
      if (findClaim(id)) throw new UsageError(`claim "${id}" has no lab yet (see \`labs list\`)`);
      throw new UsageError(`unknown lab or claim "${id}"${didYouMean(id, [...labs.map((l) => l.id), ...labs.flatMap((l) => l.claims)], ' (see `labs list`)')}`);
    }
    selected.set(lab.id, lab);
  }
  return [...selected.values()];
}
