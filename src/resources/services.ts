/**
 * Services: the containers a lab declares as data (image, command, environment, capabilities,
 * readiness). The runner builds their images before the lab's clock starts, puts them on one
 * Docker network of the lab, waits until each is ready, and hands the lab live containers that
 * are also hosts of its network.
 */
import { z } from 'zod';
import { startContainer, type Container } from './container.ts';
import { createNetwork } from './docker.ts';
import { imageFor } from './images.ts';
import { hostName } from './netns.ts';
import { readinessSchema, type ReadyObservation } from './readiness.ts';
import type { Scope } from './scope.ts';

export const serviceSchema = z
  .object({
    /** An image of this project (a folder under docker/) or a registry reference such as mysql:8.4. */
    image: z.string().min(1),
    cmd: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).default({}),
    /** Capabilities beyond Docker's default set; the lab's handout says why. */
    capAdd: z.array(z.string().regex(/^[A-Z_]+$/, 'capabilities are named as Docker names them, e.g. NET_ADMIN')).default([]),
    memoryMiB: z.number().int().positive().optional(),
    ready: readinessSchema.optional(),
    readyTimeoutMs: z.number().int().positive().default(60_000),
  })
  .strict();

export const servicesSchema = z.record(hostName, serviceSchema);
export type ServiceSpec = z.input<typeof serviceSchema>;
export type ServicesSpec = Record<string, ServiceSpec>;

export interface StartedServices {
  network: string;
  containers: Record<string, Container>;
  ready: Record<string, ReadyObservation>;
}

/** The images the services need, built (or found) before anything starts; name → image reference. */
export async function prepareServiceImages(spec: ServicesSpec, log?: (line: string) => void): Promise<Record<string, string>> {
  const images = [...new Set(Object.values(spec).map((s) => s.image))];
  const resolved = await Promise.all(images.map(async (image) => [image, await imageFor(image, log)] as const));
  return Object.fromEntries(resolved);
}

export async function startServices(scope: Scope, runId: string, spec: ServicesSpec, images: Record<string, string>, networkName: string): Promise<StartedServices> {
  const services = servicesSchema.parse(spec);
  const network = await createNetwork(scope, runId, networkName);
  const entries = await Promise.all(
    Object.entries(services).map(async ([name, s]) => {
      const container = await startContainer(scope, runId, {
        image: images[s.image] ?? s.image,
        name,
        network,
        ...(s.cmd ? { cmd: s.cmd } : {}),
        env: s.env,
        capAdd: s.capAdd,
        ...(s.memoryMiB ? { memoryBytes: s.memoryMiB * 1024 * 1024 } : {}),
      });
      const ready = s.ready ? await container.waitUntilReady(s.ready, s.readyTimeoutMs) : undefined;
      return [name, container, ready] as const;
    }),
  );
  return {
    network,
    containers: Object.fromEntries(entries.map(([name, c]) => [name, c])),
    ready: Object.fromEntries(entries.filter(([, , r]) => r).map(([name, , r]) => [name, r!])),
  };
}
