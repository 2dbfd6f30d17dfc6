import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { GRACE_SECONDS, judgeStatefulSet, type StatefulSetObservation } from '../../labs/k8s/statefulset.lab.ts';

/**
 * A real run of k8s-statefulset on the local provider (Kubernetes v1.35.4): pods given a grace period of 3 s (the lab's input),
 * when each scaled-down pod's termination began and how it exited, each pod's `hostname -f` and address, and web-1's domain name
 * looked up from web-0, which failed on this cluster because it runs no DNS add-on (the kubelet's MissingClusterDNS events, no
 * k8s-app=kube-dns Service).
 */
const { real, altered } = realSample<StatefulSetObservation>('k8s-statefulset-observation.json.gz');
const namespace = 'statefulset-5d81b9bc';
const fqdn = (pod: string) => `${pod}.web.${namespace}.svc.cluster.local`;

/** As a run made before the lab gave its pods a grace period recorded it: only the moments the pods were removed from the API, no domain names, no lookup. */
const withoutTerminationOrDns = () =>
  altered((o) => {
    delete (o as Partial<StatefulSetObservation>).terminationGracePeriodSeconds;
    o.scaleDown = o.scaleDown.map(({ pod, goneAt }) => ({ pod, goneAt }) as StatefulSetObservation['scaleDown'][number]);
    o.pods = o.pods.map(({ fqdn: _f, ip: _i, ...p }) => p as StatefulSetObservation['pods'][number]);
    delete (o as Partial<StatefulSetObservation>).dns;
  });

describe('k8s.statefulset.identity: ordered deletion and domain names', () => {
  it('is unverifiable without the moments terminations began or a domain-name lookup (as runs before the grace period recorded it), naming both, while keeping what held', () => {
    const result = judgeStatefulSet(withoutTerminationOrDns());
    console.log(`without termination starts → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('What was observed held');
    expect(result.summary).toContain('scaled down, pods went in reverse order (web-2 gone at 1687 ms, web-1 gone at 4709 ms)');
    expect(result.summary).toContain("the order of termination: this capture has only the moments the pods were removed from the API");
    expect(result.summary).toContain('whether web-1 began to terminate only after web-2 was gone cannot be told');
    expect(result.summary).toContain('the domain name: no pod looked another up by its domain name');
    expect(result.summaryZh).toContain('无法判断 web-1 是否在 web-2 完全消失之后才开始终止');
    expect(result.observed).toMatchObject({ hostnames: { 'web-0': 'web-0', 'web-1': 'web-1', 'web-2': 'web-2' }, scaleDownOrder: ['web-2', 'web-1'] });
  });

  it('is unverifiable on the real capture: the order is seen (web-1 began after web-2 was gone), only the DNS lookup is unverifiable, for want of a DNS add-on', () => {
    expect(real.terminationGracePeriodSeconds).toBe(GRACE_SECONDS);
    const result = judgeStatefulSet(real);
    console.log(`real capture → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain("each pod's termination began only after the pod above it was gone, highest ordinal first (web-2 terminating from 22 ms to 1687 ms (grace 3 s, exit code 0), web-1 terminating from 1689 ms to 4709 ms");
    expect(result.summary).toContain(`and web-1's was still ${fqdn('web-1')} after it was replaced`);
    expect(result.summary).toContain(`web-0 could not resolve ${fqdn('web-1')}`);
    expect(result.summary).toContain('because no cluster DNS add-on (such as CoreDNS) runs in this cluster');
    expect(result.summary).not.toContain('the order of termination');
    expect(result.summaryZh).toContain('本集群没有运行集群 DNS 插件');
    expect(result.evidence.some((e) => e.kind === 'gantt' && e.title.startsWith('Scaled down to 1'))).toBe(true);
  });

  it('is confirmed when, in addition, web-0 resolves web-1 to its new address', () => {
    const result = judgeStatefulSet(altered((o) => (o.dns!.answer = `100.72.0.12      ${fqdn('web-1')}`)));
    console.log(`resolved → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain(`web-0 resolved ${fqdn('web-1')} to 100.72.0.12, the replaced web-1's address`);
  });

  it("is refuted when web-1's termination began before web-2 was gone (the deletions overlapped)", () => {
    const result = judgeStatefulSet(altered((o) => (o.scaleDown[1]!.terminatingAt = 700)));
    console.log(`overlapping → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain("each pod's termination began only after the pod above it was gone");
  });

  it('is refuted when web-1 began to terminate first, even one after the other', () => {
    const result = judgeStatefulSet(altered((o) => (o.scaleDown = [{ pod: 'web-1', terminatingAt: 40, gracePeriodSeconds: 3, goneAt: 1400, exitCode: 0 }, { pod: 'web-2', terminatingAt: 1450, gracePeriodSeconds: 3, goneAt: 2900, exitCode: 0 }])));
    console.log(`web-1 first → ${result.verdict}`);
    expect(result.verdict).toBe('refuted');
  });

  it('names the order unverifiable when the pods were deleted with a grace period of 0 (removed from the API at once)', () => {
    const result = judgeStatefulSet(altered((o) => {
      o.terminationGracePeriodSeconds = 0;
      o.scaleDown = [{ pod: 'web-2', terminatingAt: 100, gracePeriodSeconds: 0, goneAt: 100, exitCode: null }, { pod: 'web-1', terminatingAt: 105, gracePeriodSeconds: 0, goneAt: 105, exitCode: null }];
      o.dns!.answer = `100.72.0.12      ${fqdn('web-1')}`;
    }));
    console.log(`grace 0 → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('the order of termination: the pods were deleted with a grace period of 0 s, which removes a pod from the API at once');
  });

  it('is refuted when the lookup gives another address, or a pod has no domain name', () => {
    expect(judgeStatefulSet(altered((o) => (o.dns!.answer = `100.72.0.10      ${fqdn('web-1')}`))).verdict).toBe('refuted');
    const bare = judgeStatefulSet(altered((o) => (o.pods[2]!.fqdn = 'web-2')));
    console.log(`no domain → ${bare.verdict}`);
    expect(bare.verdict).toBe('refuted');
  });

  it("names hostname -f unverifiable when it printed nothing, rather than refuting the domain name", () => {
    const result = judgeStatefulSet(altered((o) => (o.pods[0]!.fqdn = '')));
    console.log(`no hostname -f → ${result.verdict}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('hostname -f printed nothing in web-0');
  });
});
