/**
 * An nginx in front of named backends, with client containers at chosen addresses, all on one
 * Docker network of the run: the setting of the nginx labs. Everything is in the lab's scope.
 */
import { randomInt } from 'node:crypto';
import { until } from '../resources/wait.ts';
import { startContainer, type Container } from '../resources/container.ts';
import { createSubnetNetwork, docker, execIn } from '../resources/docker.ts';
import { ensureImage } from '../resources/images.ts';
import type { Scope } from '../resources/scope.ts';

export interface BackendSpec {
  name: string;
  delayMs?: number;
}

export interface NginxStack {
  /** The Docker network everything is on. */
  network: string;
  nginx: Container;
  backends: Record<string, Container>;
  clients: Record<string, Container>;
  /** The nginx version line (`nginx -v`). */
  version: string;
  /** Replaces nginx.conf and reloads; resolves with `nginx -t` output, or rejects with it. */
  configure(conf: string): Promise<string>;
  /** Stops a backend's container (its address stops answering), or starts it again. */
  setBackend(name: string, running: boolean): Promise<void>;
  /** Checks a configuration without applying it. */
  test(conf: string): Promise<{ ok: boolean; output: string }>;
  /** `count` sequential GETs of `path` from a client (one curl, one connection); the backend names in order. */
  get(client: string, path: string, count: number): Promise<string[]>;
  /** `count` GETs with `parallel` at a time from a client; the backend names in completion order. */
  getParallel(client: string, path: string, count: number, parallel: number): Promise<string[]>;
}

/** A /21 of 198.19.0.0/16 (the benchmarking range) for this network: 8 distinct /24s for clients. */
function subnetBase(): string {
  return `198.19.${randomInt(0, 32) * 8}`;
}

export async function startNginxStack(
  scope: Scope,
  runId: string,
  spec: {
    backends: BackendSpec[];
    clients: Record<string, number>;
    conf: (backends: Record<string, string>) => string;
    /** Capabilities the nginx container needs beyond Docker's defaults (the lab says why). */
    capAdd?: string[];
  },
): Promise<NginxStack> {
  const [nginxImage, backendImage, clientImage] = await Promise.all([ensureImage('nginx'), ensureImage('backend'), ensureImage('base')]);
  const created = await createSubnetNetwork(scope, runId, 'lb', () => `${subnetBase()}.0/21`);
  const network = created.network;
  const third = Number(created.subnet.split('.')[2]);
  const backends = Object.fromEntries(
    await Promise.all(
      spec.backends.map(async (b, i) => [b.name, await startContainer(scope, runId, { image: backendImage, name: b.name, network, ip: `198.19.${third}.${20 + i}`, env: { NAME: b.name, DELAY_MS: String(b.delayMs ?? 0) } })] as const),
    ),
  );
  // Clients are numbered by the /24 they live in (0-7) and take successive hosts there.
  const used: Record<number, number> = {};
  const clients = Object.fromEntries(
    await Promise.all(
      Object.entries(spec.clients).map(async ([name, subnet]) => {
        const host = 100 + (used[subnet] = (used[subnet] ?? 0) + 1);
        return [name, await startContainer(scope, runId, { image: clientImage, name, network, ip: `198.19.${third + subnet}.${host}`, cmd: ['sleep', 'infinity'] })] as const;
      }),
    ),
  );
  const addresses = Object.fromEntries(Object.entries(backends).map(([name, c]) => [name, c.address]));
  const nginx = await startContainer(scope, runId, { image: nginxImage, name: 'nginx', network, ip: `198.19.${third}.10`, cmd: ['sleep', 'infinity'], capAdd: spec.capAdd });
  await Promise.all(Object.values(backends).map((b) => waitForBackend(nginx.id, b.address)));
  const write = async (conf: string) => {
    const written = await execIn(nginx.id, ['sh', '-c', 'cat > /etc/nginx/nginx.conf.next && nginx -t -c /etc/nginx/nginx.conf.next 2>&1'], conf);
    return { ok: written.exitCode === 0, output: written.stdout.trim() };
  };
  const stack: NginxStack = {
    network,
    nginx,
    backends,
    clients,
    version: (await execIn(nginx.id, ['nginx', '-v'])).stderr.trim(),
    async test(conf) {
      return write(conf);
    },
    async configure(conf) {
      const checked = await write(conf);
      if (!checked.ok) throw new Error(`nginx rejected the configuration: ${checked.output.split('\n').find((l) => /\[emerg\]|\[error\]/.test(l)) ?? checked.output}`);
      const running = (await execIn(nginx.id, ['sh', '-c', 'test -s /run/nginx.pid && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null'])).exitCode === 0;
      const oldWorkers = running ? await workerPids(nginx.id) : [];
      const apply = running ? 'mv /etc/nginx/nginx.conf.next /etc/nginx/nginx.conf && nginx -s reload' : 'mv /etc/nginx/nginx.conf.next /etc/nginx/nginx.conf && nginx';
      const applied = await execIn(nginx.id, ['sh', '-c', apply]);
      if (applied.exitCode !== 0) throw new Error(`nginx did not start: ${applied.stderr.trim()}`);
      // Until the old workers have exited, some requests may still be served by the old configuration.
      await until(async () => !(await workerPids(nginx.id)).some((pid) => oldWorkers.includes(pid)), 10_000, 'old nginx workers to exit');
      await waitForHttp(this, Object.keys(clients)[0]!);
      return checked.output;
    },
    async setBackend(name, running) {
      const container = (await docker()).getContainer(backends[name]!.id);
      if (running) {
        await container.start();
        await waitForBackend(nginx.id, backends[name]!.address);
      } else await container.kill();
    },
    async get(client, path, count) {
      const url = `http://nginx:8080${path}${count > 1 ? `?n=[1-${count}]` : ''}`;
      const result = await execIn(clients[client]!.id, ['curl', '-sS', '--fail-with-body', url]);
      if (result.exitCode !== 0) throw new Error(`curl from ${client}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
      return result.stdout.split('\n').filter(Boolean);
    },
    async getParallel(client, path, count, parallel) {
      const script = `seq ${count} | xargs -P ${parallel} -I{} curl -sS http://nginx:8080${path}?n={}`;
      const result = await execIn(clients[client]!.id, ['sh', '-c', script]);
      if (result.exitCode !== 0) throw new Error(`curl from ${client}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
      return result.stdout.split('\n').filter(Boolean);
    },
  };
  await stack.configure(spec.conf(addresses));
  return stack;
}

/** The pids of nginx's worker processes in its container. */
async function workerPids(nginx: string): Promise<number[]> {
  const { stdout } = await execIn(nginx, ['pgrep', '-f', 'nginx: worker process']);
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** Waits until a backend answers, asked from the nginx container. */
function waitForBackend(nginx: string, address: string): Promise<void> {
  return until(async () => (await execIn(nginx, ['curl', '-s', '-o', '/dev/null', `http://${address}:8000/`])).exitCode === 0, 15_000, `backend ${address}`, 50);
}

/** Waits until nginx answers a client (after a start or a reload). */
function waitForHttp(stack: NginxStack, client: string): Promise<void> {
  const probe = async () => (await execIn(stack.clients[client]!.id, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://nginx:8080/health'])).stdout === '200';
  return until(probe, 10_000, 'nginx to answer /health', 50);
}

/** An nginx.conf with one upstream, a `/health` that nginx answers itself, and an access log. */
export function nginxConf(upstream: string, options: { workers?: number | 'auto'; extraHttp?: string } = {}): string {
  return `worker_processes ${options.workers ?? 1};
pid /run/nginx.pid;
events { worker_connections 8192; }
http {
  access_log /var/log/nginx/access.log;
  error_log /var/log/nginx/error.log;
  ${options.extraHttp ?? ''}
  upstream app {
${upstream
  .trim()
  .split('\n')
  .map((l) => `    ${l.trim()}`)
  .join('\n')}
  }
  server {
    listen 8080;
    location = /health { access_log off; return 200 "ok\\n"; }
    location / { proxy_pass http://app; proxy_connect_timeout 1s; }
  }
}
`;
}
