/**
 * The project's own image (docker/project.Dockerfile), in which Kubernetes Jobs run labs: the
 * project's files, its production packages with the pinned Node runtime, and the QUIC peer this host
 * built. Its context is a tar stream of exactly those files; its tag is a hash of them and of the base,
 * so an unchanged project is never built (or loaded into a cluster) again.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker } from './docker.ts';
import { buildImage, contextFiles, ensureDebianBase, imageId } from './images.ts';
import { quicPeerBinary } from './quic-peer.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKERFILE = 'docker/project.Dockerfile';
const PROJECT = ['package.json', 'package-lock.json', 'tsconfig.json', 'docker', 'k8s', 'labs', 'src'];
export const PROJECT_IMAGE = 'labs/project';

/**
 * The installed packages `npm ci --omit=dev` would keep, from npm's own record of node_modules
 * (node_modules/.package-lock.json); a package inside one already listed is not listed again.
 */
export function productionPackages(hiddenLockfile: string): string[] {
  const packages = (JSON.parse(hiddenLockfile) as { packages: Record<string, { dev?: boolean }> }).packages;
  const kept = Object.keys(packages)
    .filter((path) => path.startsWith('node_modules/') && !packages[path]!.dev)
    .sort();
  return kept.filter((path) => !kept.some((outer) => path.startsWith(`${outer}/`)));
}

/** The project's files (not its packages), relative to the project. */
function projectFiles(): string[] {
  return PROJECT.flatMap((entry) => (entry.includes('.') ? [entry] : contextFiles(join(ROOT, entry)).map((file) => relative(ROOT, file)))).sort();
}

/** Builds the image unless one with the same content tag exists; returns the tag. */
export async function ensureProjectImage(log: (line: string) => void = () => {}): Promise<string> {
  const base = (await imageId(await ensureDebianBase(log)))!;
  const peer = await quicPeerBinary();
  // The packages are what package-lock.json pins (set-up runs npm ci when it changes).
  const hash = createHash('sha256').update(base).update(readFileSync(peer));
  for (const file of projectFiles()) hash.update(file).update(readFileSync(join(ROOT, file)));
  const tag = `${PROJECT_IMAGE}:${hash.digest('hex').slice(0, 12)}`;
  if (await imageId(tag)) return tag;
  log(`building ${tag}`);
  const packages = productionPackages(readFileSync(join(ROOT, 'node_modules/.package-lock.json'), 'utf8'));
  const tar = spawn('tar', ['-c', '-C', ROOT, ...PROJECT, ...packages, '-C', dirname(peer), basename(peer)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const tarred = new Promise<void>((resolve, reject) => tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar of the project failed: ${stderr.trim().split('\n')[0]}`)))));
  await Promise.all([buildImage(tar.stdout, tag, 'project', log, DOCKERFILE), tarred]);
  await (await docker()).getImage(tag).tag({ repo: PROJECT_IMAGE, tag: 'latest' });
  return tag;
}
