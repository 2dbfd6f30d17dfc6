/**
 * Image builds and cancellation: an interrupt during a build stops it at once (the daemon stops the
 * build when its request is closed), leaves no image and no build container running.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { Cancelled, withSignal } from '../../src/resources/cancel.ts';
import { docker } from '../../src/resources/docker.ts';
import { buildImage, imageFor } from '../../src/resources/images.ts';

it('stops a build when the run is interrupted, and leaves no image or build container', async () => {
  await imageFor('base');
  const dir = mkdtempSync(join(tmpdir(), 'labs-build-'));
  const marker = `sleep 120 # ${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, 'Dockerfile'), `FROM labs/base:latest\nRUN ${marker}\n`);
  const tag = `labs/test-interrupted:${process.pid}`;
  const engine = await docker();
  const controller = new AbortController();
  const started = performance.now();
  try {
    const build = withSignal(controller.signal, () =>
      buildImage(dir, tag, 'test-interrupted', (line) => {
        if (line.includes('RUN')) setTimeout(() => controller.abort('interrupted'), 1000);
      }),
    );
    await expect(build).rejects.toBeInstanceOf(Cancelled);
    expect(performance.now() - started).toBeLessThan(30_000);
    // The daemon removes the step's container once it notices the closed request.
    let running: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      running = (await engine.listContainers({ all: true })).filter((c) => c.Command.includes(String(process.pid)) && c.State === 'running');
      if (!running.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(running).toEqual([]);
    await expect(engine.getImage(tag).inspect()).rejects.toThrow();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
