import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { GRACE_SECONDS, judgeStatefulSet, type StatefulSetObservation } from '../../labs/k8s/statefulset.lab.ts';

/**
 * A real run of k8s-statefulset on the local provider (Kubernetes v1.35.4), captured before the lab gave its pods a grace period:
 * it has only the moments the scaled-down pods were removed from the API, no pod's name with its domain and no lookup of one.
 */
const { real, altered } = realSample<StatefulSetObservation>('k8s-statefulset-observation.json.gz');

/**
 * The same capture extended with the fields the lab now records, as a run of it on this cluster would fill them (the fixture is to
 * be recaptured from a real run): the grace period (the lab's input), when each scaled-down pod's termination began and how it
 * exited, each pod's `hostname -f` and address, and web-1's domain name looked up from web-0, which fails on this cluster because
 * it runs no DNS add-on (the kubelet's MissingClusterDNS event, no k8s-app=kube-dns Service), as labs/k8s/services.lab.ts found.
 */
const namespace = 'statefulset-5d1e0c2a';
const fqdn = (pod: string) => `${pod}.web.${namespace}.svc.cluster.local`;
const extend = (o: StatefulSetObservation) => {
  o.terminationGracePeriodSeconds = GRACE_SECONDS;
  o.pods = o.pods.map((p, i) => ({ ...p, fqdn: fqdn(p.pod), ip: `10.244.0.${11 + i}` }));
  o.replaced = { ...o.replaced!, fqdnBefore: fqdn('web-1'), fqdnAfter: fqdn('web-1') };
  o.scaleDown = [
    { pod: 'web-2', terminatingAt: 41, gracePeriodSeconds: GRACE_SECONDS, goneAt: 1468, exitCode: 0 },
    { pod: 'web-1', terminatingAt: 1502, gracePeriodSeconds: GRACE_SECONDS, goneAt: 2931, exitCode: 0 },
  ];
  o.dns = {
    name: fqdn('web-1'),
    from: 'web-0',
    answer: 'failed: command terminated with exit code 2',
    expected: '10.244.0.14',
    events: [`pod: "web-0_${namespace}(6f0e3c1d-2b7a-4c55-9a0e-0d3e5b8f7a21)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`],
    dnsServices: [],
  };
};
const extended = () => altered(extend);
const extendedWith = (change: (o: StatefulSetObservation) => void) =>
  altered((o) => {
    extend(o);
    change(o);
  });

describe('k8s.statefulset.identity: ordered deletion and domain names', () => {
  it('is unverifiable on the real capture, naming the order of termination and the domain name, while keeping what held', () => {
    const result = judgeStatefulSet(real);
    console.log(`real capture → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('What was observed held');
    expect(result.summary).toContain('scaled down, pods went in reverse order (web-2 gone at 44 ms, web-1 gone at 59 ms)');
    expect(result.summary).toContain("the order of termination: this capture has only the moments the pods were removed from the API");
    expect(result.summary).toContain('whether web-1 began to terminate only after web-2 was gone cannot be told');
    expect(result.summary).toContain('the domain name: no pod looked another up by its domain name');
    expect(result.summaryZh).toContain('无法判断 web-1 是否在 web-2 完全消失之后才开始终止');
    expect(result.observed).toMatchObject({ hostnames: { 'web-0': 'web-0', 'web-1': 'web-1', 'web-2': 'web-2' }, scaleDownOrder: ['web-2', 'web-1'] });
  });

  it('on the extended capture: the order is seen (web-1 began after web-2 was gone), only the DNS lookup is unverifiable, for want of a DNS add-on', () => {
    const result = judgeStatefulSet(extended());
    console.log(`extended capture → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain("each pod's termination began only after the pod above it was gone, highest ordinal first (web-2 terminating from 41 ms to 1468 ms (grace 3 s, exit code 0), web-1 terminating from 1502 ms to 2931 ms");
    expect(result.summary).toContain(`and web-1's was still ${fqdn('web-1')} after it was replaced`);
    expect(result.summary).toContain(`web-0 could not resolve ${fqdn('web-1')}`);
    expect(result.summary).toContain('because no cluster DNS add-on (such as CoreDNS) runs in this cluster');
    expect(result.summary).not.toContain('the order of termination');
    expect(result.summaryZh).toContain('本集群没有运行集群 DNS 插件');
    expect(result.evidence.some((e) => e.kind === 'gantt' && e.title.startsWith('Scaled down to 1'))).toBe(true);
  });

  it('is confirmed when, in addition, web-0 resolves web-1 to its new address', () => {
    const result = judgeStatefulSet(extendedWith((o) => (o.dns!.answer = `10.244.0.14      ${fqdn('web-1')}`)));
    console.log(`resolved → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain(`web-0 resolved ${fqdn('web-1')} to 10.244.0.14, the replaced web-1's address`);
  });

  it("is refuted when web-1's termination began before web-2 was gone (the deletions overlapped)", () => {
    const result = judgeStatefulSet(extendedWith((o) => (o.scaleDown[1]!.terminatingAt = 700)));
    console.log(`overlapping → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain("each pod's termination began only after the pod above it was gone");
  });

  it('is refuted when web-1 began to terminate first, even one after the other', () => {
    const result = judgeStatefulSet(extendedWith((o) => (o.scaleDown = [{ pod: 'web-1', terminatingAt: 40, gracePeriodSeconds: 3, goneAt: 1400, exitCode: 0 }, { pod: 'web-2', terminatingAt: 1450, gracePeriodSeconds: 3, goneAt: 2900, exitCode: 0 }])));
    console.log(`web-1 first → ${result.verdict}`);
    expect(result.verdict).toBe('refuted');
  });

  it('names the order unverifiable when the pods were deleted with a grace period of 0 (removed from the API at once)', () => {
    const result = judgeStatefulSet(extendedWith((o) => {
      o.terminationGracePeriodSeconds = 0;
      o.scaleDown = [{ pod: 'web-2', terminatingAt: 100, gracePeriodSeconds: 0, goneAt: 100, exitCode: null }, { pod: 'web-1', terminatingAt: 105, gracePeriodSeconds: 0, goneAt: 105, exitCode: null }];
      o.dns!.answer = `10.244.0.14      ${fqdn('web-1')}`;
    }));
    console.log(`grace 0 → ${result.verdict}: ${result.summary}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('the order of termination: the pods were deleted with a grace period of 0 s, which removes a pod from the API at once');
  });

  it('is refuted when the lookup gives another address, or a pod has no domain name', () => {
    expect(judgeStatefulSet(extendedWith((o) => (o.dns!.answer = `10.244.0.12      ${fqdn('web-1')}`))).verdict).toBe('refuted');
    const bare = judgeStatefulSet(extendedWith((o) => (o.pods[2]!.fqdn = 'web-2')));
    console.log(`no domain → ${bare.verdict}`);
    expect(bare.verdict).toBe('refuted');
  });

  it("names hostname -f unverifiable when it printed nothing, rather than refuting the domain name", () => {
    const result = judgeStatefulSet(extendedWith((o) => (o.pods[0]!.fqdn = '')));
    console.log(`no hostname -f → ${result.verdict}`);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('hostname -f printed nothing in web-0');
  });
});
