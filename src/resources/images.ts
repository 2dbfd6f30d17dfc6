/**
 * Locally built images. The Debian base is pulled where a registry answers, and otherwise made
 * with debootstrap from the machine's apt mirror; every image under docker/<name>/ is then built
 * FROM it and tagged with a hash of its build context and base, so an unchanged image is never rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cancelled, currentSignal } from './cancel.ts';
import { docker } from './docker.ts';
import { exec, execOutcome } from './process.ts';

export const DOCKER_DIR = fileURLToPath(new URL('../../docker', import.meta.url));
export const DEBIAN_IMAGE = 'labs/debian:bookworm';
const REGISTRY_IMAGE = 'debian:bookworm-slim';

export async function imageId(tag: string): Promise<string | undefined> {
  try {
    return (await (await docker()).getImage(tag).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** The apt mirror this machine already uses (deb822 or one-line sources). */
export function aptMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of files) {
    try {
      const text = readFileSync(file, 'utf8');
      const uri = text.match(/^URIs:\s*(\S+debian)\/?\s*$/m)?.[1] ?? text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+debian)\/?\s+bookworm\s/m)?.[1];
      if (uri) return uri;
    } catch {
      // try the next file
    }
  }
  return 'http://deb.debian.org/debian';
}

async function pullDebian(log: (line: string) => void): Promise<boolean> {
  const pulled = await execOutcome('docker', ['pull', REGISTRY_IMAGE], { timeoutMs: 60_000 });
  if (pulled.exitCode !== 0) {
    log(`no registry: ${pulled.stderr.split('\n')[0] || 'pull failed'}`);
    return false;
  }
  await (await docker()).getImage(REGISTRY_IMAGE).tag({ repo: 'labs/debian', tag: 'bookworm' });
  return true;
}

async function debootstrapDebian(log: (line: string) => void): Promise<void> {
  const rootfs = mkdtempSync(join(tmpdir(), 'labs-rootfs-'));
  try {
    const mirror = aptMirror();
    log(`debootstrap bookworm from ${mirror}`);
    await exec('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], { timeoutMs: 900_000 });
    await exec('sh', ['-c', `tar -C '${rootfs}' -c . | docker import - ${DEBIAN_IMAGE}`], { timeoutMs: 300_000 });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

export async function ensureDebianBase(log: (line: string) => void): Promise<string> {
  if (!(await imageId(DEBIAN_IMAGE))) {
    if (!(await pullDebian(log))) await debootstrapDebian(log);
  }
  return DEBIAN_IMAGE;
}

export function contextFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? contextFiles(path) : [path];
  });
}

/** The image a Dockerfile builds on, when it is one of the project's own (`FROM labs/<name>:…`). */
export function parentImage(name: string): string | undefined {
  const dockerfile = readFileSync(join(DOCKER_DIR, name, 'Dockerfile'), 'utf8');
  return dockerfile.match(/^FROM\s+labs\/([a-z0-9-]+)(?::\S+)?\s*$/m)?.[1];
}

/** Makes sure the parent image exists and returns its id. */
async function ensureParent(name: string, log: (line: string) => void): Promise<string> {
  const parent = parentImage(name);
  if (parent === undefined || parent === 'debian') return (await imageId(await ensureDebianBase(log)))!;
  return (await imageId(await ensureImage(parent, log)))!;
}

/** The content tag of docker/<name>: a hash of its files and of the image it builds on. */
export function imageTag(name: string, parentId: string): string {
  const dir = join(DOCKER_DIR, name);
  const hash = createHash('sha256').update(parentId);
  for (const file of contextFiles(dir).sort()) hash.update(relative(dir, file)).update(readFileSync(file));
  return `labs/${name}:${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Builds a Docker context as `tag`: the folder `dir`, or a tar stream with the Dockerfile at
 * `dockerfile` inside it. An abort of the current signal stops the build.
 */
export async function buildImage(context: string | NodeJS.ReadableStream, tag: string, name: string, log: (line: string) => void, dockerfile?: string): Promise<void> {
  const engine = await docker();
  // Closing the request (an interrupted run) makes the daemon stop the build.
  const signal = currentSignal();
  const source = typeof context === 'string' ? { context, src: contextFiles(context).map((f) => relative(context, f)) } : context;
  const options = { t: tag, labels: { 'io.labs.image': name }, ...(dockerfile ? { dockerfile } : {}), ...(signal ? { abortSignal: signal } : {}) };
  const stream = await engine.buildImage(source, options).catch((error: unknown) => {
    throw signal?.aborted ? new Cancelled(signal.reason) : error;
  });
  await new Promise<void>((resolve, reject) =>
    engine.modem.followProgress(
      stream,
      (error: Error | null, output: { error?: string }[]) => {
        const failed = error?.message ?? output.find((o) => o.error)?.error;
        if (signal?.aborted) reject(new Cancelled(signal.reason));
        else if (failed) reject(new Error(`docker build ${name}: ${failed.trim()}`));
        else resolve();
      },
      (event: { stream?: string }) => {
        const line = event.stream?.trim();
        if (line?.startsWith('Step ')) log(`${name}: ${line}`);
      },
    ),
  );
}

/**
 * Builds docker/<name> (and the project images it builds on) unless an image with the same content
 * tag exists; tags it `latest` too, for the Dockerfiles that build FROM it. Returns the content tag.
 */
export async function ensureImage(name: string, log: (line: string) => void = () => {}): Promise<string> {
  const tag = imageTag(name, await ensureParent(name, log));
  if (!(await imageId(tag))) {
    log(`building ${tag}`);
    await buildImage(join(DOCKER_DIR, name), tag, name, log);
  }
  await (await docker()).getImage(tag).tag({ repo: `labs/${name}`, tag: 'latest' });
  return tag;
}

/** The project's images: the folders under docker/ that hold a Dockerfile. */
export function imageNames(): string[] {
  return readdirSync(DOCKER_DIR).filter((name) => existsSync(join(DOCKER_DIR, name, 'Dockerfile')));
}

/** The image to run for a declared name: this project's docker/<name>, built if needed, or a registry reference as given. */
export async function imageFor(image: string, log?: (line: string) => void): Promise<string> {
  return imageNames().includes(image) ? ensureImage(image, log) : image;
}
