/**
 * The docker-isolation judges of the namespaces, the cgroup view and the union file system, on the isolation.json of a
 * real run of the lab (a cgroup v1 host, Linux 6.18, Docker without userns-remap;
 * test/fixtures/docker-isolation-observation.json.gz), judged as the lab's run() judges it, and on altered copies.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import {
  judgeCopyOnWrite,
  judgeIpcNamespace,
  judgeLayers,
  judgeNetNamespace,
  judgePidNamespace,
  judgeUserNamespace,
  judgeUtsNamespace,
  type IsolationObservation,
} from '../../labs/docker/isolation.lab.ts';

/** The observation as kept: the judges' observation plus what the user-namespace and cgroup-view judges read. */
type Kept = IsolationObservation & { uidMap: string; uid: { inside: string; outside: string }; cgroupInside: string; cgroupVersion: string };
const { real, altered } = realSample<Kept>('docker-isolation-observation.json.gz');
/** The namespace of `n` made the host's own, as with docker run --<n>=host. */
const shared = (n: 'pid' | 'net' | 'mnt' | 'uts' | 'ipc') => altered((o) => (o.links[n].container = o.links[n].host));

describe('docker isolation judges', () => {
  it('a shared user namespace with an identity map refutes (the real run); a remapped one confirms', () => {
    expect(real.links.user.container).toBe(real.links.user.host);
    expect(judgeUserNamespace(real.links, real.uidMap, real.uid)).toMatchObject({ verdict: 'refuted', observed: { separateUserNamespace: false, uidMap: '0 0 4294967295', uidInside: '65534', uidOnHost: '65534' } });
    const remapped = { ...real.links, user: { host: real.links.user.host, container: 'user:[4026532999]' } };
    expect(judgeUserNamespace(remapped, '0 100000 65536', { inside: '0', outside: '100000' }).verdict).toBe('confirmed');
  });

  // docker.cgroup.ns-view and docker.ns.mount, on this same capture: test/unit/docker-isolation-mounts-cgroupns.test.ts.

  it('pid, net, uts and ipc namespaces: each confirmed on the real run, refuted when the container shares the host\'s', () => {
    const judges = { pid: judgePidNamespace, net: judgeNetNamespace, uts: judgeUtsNamespace, ipc: judgeIpcNamespace } as const;
    for (const [n, judge] of Object.entries(judges) as [keyof typeof judges, (o: IsolationObservation) => { verdict: string }][]) {
      expect(judge(real).verdict, n).toBe('confirmed');
      expect(judge(shared(n)).verdict, n).toBe('refuted');
    }
    expect(judgePidNamespace(real).observed).toMatchObject({ hostPidOfContainerPid1: 18438 });
    expect(judgeIpcNamespace(altered((o) => (o.shm.visibleOnHost = true))).verdict).toBe('refuted');
  });

  it('layers: confirmed on the real run (4 image layers, all shared by two containers); refuted had they shared none', () => {
    expect(judgeLayers(real)).toMatchObject({ verdict: 'confirmed', observed: { imageLayers: 4, layersSharedByTwoContainers: 4 } });
    expect(judgeLayers(altered((o) => (o.layers.sharedWithOtherContainer = 0))).verdict).toBe('refuted');
  });

  it('copy-on-write: confirmed on the real run (copied up, the image\'s copy untouched); refuted had the write changed the image layer', () => {
    expect(judgeCopyOnWrite(real)).toMatchObject({ verdict: 'confirmed', observed: { originalUntouched: true, otherContainerSees: '12.15' } });
    expect(judgeCopyOnWrite(altered((o) => (o.copyOnWrite.originalUntouched = false))).verdict).toBe('refuted');
  });

  it("copy-on-write: unverifiable, not refuted, where the engine's layers are not on this filesystem (a lab in a pod without the node's /var/lib/docker, as measured; a VM's engine)", () => {
    const elsewhere = altered((o) => Object.assign(o.copyOnWrite, { copiedUp: false, originalUntouched: false, layersReadable: false }));
    expect(judgeCopyOnWrite(elsewhere)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringMatching(/^The engine's layer directories \(\/var\/lib\/docker\/overlay2\/.*\) are not on this machine's filesystem/) });
  });
});
