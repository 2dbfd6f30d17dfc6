/**
 * A web workload for the Kubernetes labs: an HTTP server that answers with its pod's name (and whose
 * probes fail on demand), requests through a Service from the node, and the rules kube-proxy wrote
 * for a Service.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { exec } from '../resources/process.ts';

/** An HTTP server on 8000: / answers the pod's name; /ready and /healthz fail while their file exists; probes are logged. */
export const WEB_SERVER = `
import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
time.sleep(float(os.environ.get("START_DELAY", "0")))
NAME = os.environ.get("POD_NAME", "?")
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        failing = {"/ready": "/tmp/unready", "/healthz": "/tmp/unhealthy"}.get(self.path)
        status = 500 if failing and os.path.exists(failing) else 200
        if failing:
            print("probe", self.path, status, self.client_address[0], self.headers.get("User-Agent"), flush=True)
        body = (NAME + "\\n").encode()
        self.send_response(status); self.send_header("Content-Length", str(len(body))); self.send_header("Connection", "close"); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
`;

/** The pod addresses kube-proxy's iptables rules send the Service to (DNAT targets). */
export async function serviceTargets(namespace: string, service: string): Promise<string[]> {
  return (await serviceRules(namespace, service)).filter((l) => l.includes('DNAT')).map((l) => l.match(/--to-destination (\S+)/)?.[1] ?? '');
}

/** kube-proxy's iptables rules (nat table, iptables-save syntax) that carry the Service's name in their comment. */
export async function serviceRules(namespace: string, service: string): Promise<string[]> {
  const rules = await exec('iptables-save', ['-t', 'nat']);
  return rules.split('\n').filter((l) => l.includes(`"${namespace}/${service}`));
}

/** One GET through the Service on a new connection; the name of the pod that answered, or undefined. */
export async function askService(address: string): Promise<string | undefined> {
  const response = await fetch(`http://${address}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return response?.ok ? (await response.text()).trim() : undefined;
}

export async function countAnswers(address: string, requests: number): Promise<Record<string, number>> {
  const served: Record<string, number> = {};
  for (let i = 0; i < requests; i++) {
    const pod = (await askService(address)) ?? 'no answer';
    served[pod] = (served[pod] ?? 0) + 1;
  }
  return served;
}

/**
 * A Deployment "web" of `replicas` pods running the server (each Ready once /ready answers; grace
 * period 0, so a deleted pod leaves the API at once), with `env` added to its container.
 */
export function webDeployment(image: string, replicas: number, env: { name: string; value: string }[] = []): V1Deployment {
  const podName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
  return {
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'web', image, imagePullPolicy: 'Never', command: ['python3', '-c', WEB_SERVER], env: [podName, ...env], ports: [{ containerPort: 8000 }], readinessProbe: { httpGet: { path: '/ready', port: 8000 }, periodSeconds: 1 } }],
        },
      },
    },
  };
}
