import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { judgeCloudControllers, parseControllers, type CloudControllersObservation } from '../../labs/k8s/cloud-controllers.lab.ts';

/** `--help` of the two controller managers as built by k8s/build/build.sh (v1.35.4). */
const help = (name: string) => gunzipSync(readFileSync(new URL(`../fixtures/${name}-help.txt.gz`, import.meta.url))).toString();
const real: CloudControllersObservation = {
  cloudControllerManager: parseControllers(help('cloud-controller-manager')),
  kubeControllerManager: parseControllers(help('kube-controller-manager')),
  // What that binary printed when the lab started it with --cloud-provider=gce.
  withAnInTreeCloud: 'Cloud provider could not be initialized: unknown cloud provider "gce"',
};

describe('k8s-cloud-controllers judge', () => {
  it("reads the controllers each program lists, without the flag's default", () => {
    expect(real.cloudControllerManager).toEqual({ all: ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'node-ipam-controller', 'node-route-controller', 'service-lb-controller'], disabledByDefault: [] });
    expect(real.kubeControllerManager.all).toContain('persistentvolume-attach-detach-controller');
    expect(real.kubeControllerManager.disabledByDefault).toContain('bootstrap-signer-controller');
  });

  it('refutes the Volume Controller: the cloud-controller-manager has none, the kube-controller-manager has the volume controllers', () => {
    const result = judgeCloudControllers(real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.sheetControllersFound).toEqual({ 'Node Controller': ['cloud-node-controller', 'cloud-node-lifecycle-controller'], 'Route Controller': ['node-route-controller'], 'Service Controller': ['service-lb-controller'], 'Volume Controller': [] });
  });

  it('says the program has no cloud only when it said so', () => {
    expect(judgeCloudControllers(real).summary).toContain('carries no cloud of its own: "Cloud provider could not be initialized');
    expect(judgeCloudControllers({ ...real, withAnInTreeCloud: 'exit 1' }).summary).not.toContain('no cloud of its own');
  });

  it('confirms if a volume controller were listed; unverifiable when a program lists nothing', () => {
    expect(judgeCloudControllers({ ...real, cloudControllerManager: { all: [...real.cloudControllerManager.all, 'cloud-volume-controller'], disabledByDefault: [] } }).verdict).toBe('confirmed');
    expect(judgeCloudControllers({ ...real, cloudControllerManager: { all: [], disabledByDefault: [] } }).verdict).toBe('unverifiable');
  });
});
