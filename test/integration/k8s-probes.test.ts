/** Runs the k8s-probes lab on a real one-node cluster built from upstream and checks what the kubelet did. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('k8s-probes');
}, 300_000);

describe('labs run k8s-probes', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('takes the unready pod out of rotation without restarting it, and brings it back', () => {
    const o = run.claim('k8s.probe.readiness-endpoints').observed;
    expect(o.servedByUnreadyPod).toBe(0);
    expect(o.requests).toBe(40);
    expect(o.restartsAfter).toBe(o.restartsBefore);
    expect(o.containerAfter).toBe(o.containerBefore);
    expect(o.rulesDroppedAfterMs as number).toBeGreaterThanOrEqual(o.removedAfterMs as number);
  });

  it('restarts the unhealthy pod\'s container: a new container id, one more restart', () => {
    const o = run.claim('k8s.probe.liveness-restarts').observed;
    expect(o.restartsAfter).toBe((o.restartsBefore as number) + 1);
    expect(o.containerAfter).not.toBe(o.containerBefore);
    expect((o.events as string[]).some((e) => e.startsWith('Unhealthy: Liveness probe failed'))).toBe(true);
  });

  it('lets a slow starter live only with a startup probe', () => {
    const o = run.claim('k8s.probe.startup').observed as { withStartupProbe: { restarts: number; readyAfterMs: number }; without: { restarts: number } };
    expect(o.withStartupProbe.restarts).toBe(0);
    expect(o.withStartupProbe.readyAfterMs).toBeGreaterThan(6000);
    expect(o.without.restarts).toBeGreaterThan(0);
  });

  it('sees the kubelet probing from the node', () => {
    expect(run.claim('k8s.kubelet.probes').observed.userAgents).toEqual(['kube-probe/1.35']);
  });

  it('leaves nothing behind: no cluster processes, namespaces or host changes', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
    const { execa } = await import('execa');
    expect((await execa('iptables-save')).stdout).not.toContain('KUBE-');
    expect((await execa('ip', ['link', 'show', 'cni0'], { reject: false })).exitCode).not.toBe(0);
  });
});
