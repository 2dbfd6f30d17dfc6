import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeStableEndpoint, type ServicesObservation } from '../../labs/k8s/services.lab.ts';

/**
 * k8s.service.stable-endpoint: "A Service gives pods a stable IP and DNS name and follows them by
 * label selector." The claim names a DNS name too, so it is not only about the IP: the DNS half is
 * unverifiable on a cluster that runs no DNS add-on, and the verdict is unverifiable, with the IP and
 * selector half stated as observed.
 *
 * The real run of k8s-services (Kubernetes v1.35.4; test/fixtures/k8s-services-observation.json.gz)
 * lists the Services labelled k8s-app=kube-dns (`dns.dnsServices`): none, as this cluster runs no DNS
 * add-on. Altered copies give a CoreDNS Service, or no listing (as runs made before the lab listed them).
 */
const { real, altered } = realSample<ServicesObservation>('k8s-services-observation.json.gz');

describe('k8s-services judge of the stable endpoint, and its DNS half', () => {
  it('is unverifiable on the real run: the IP and selector held; the DNS name could not be checked because no cluster DNS add-on runs (MissingClusterDNS, no kube-dns Service)', () => {
    const result = judgeStableEndpoint(real);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toMatch(/^The address stayed 100\.73\.148\.39 while web-6cbffb9896-6jndc \(100\.72\.0\.6\) was deleted and replaced by web-6cbffb9896-ddpv9 \(100\.72\.0\.8\): the label selector put the new pod in the EndpointSlice, which answered 21 of 60 later requests\./);
    expect(result.summary).toContain('MissingClusterDNS events: "kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy."; no Service labelled k8s-app=kube-dns exists in any namespace)');
    expect(result.summary).toContain("That is a gap of this lab's cluster, not an observation about Services.");
    expect(result.summary).not.toContain("not the Service's doing");
    expect(result.summaryZh).toContain('本集群没有运行集群 DNS 插件');
    expect(result.evidence.some((e) => e.kind === 'command' && e.title.startsWith("A cluster DNS add-on's Services"))).toBe(true);
    expect(result.observed).toMatchObject({ clusterIPAfter: '100.73.148.39', clusterIPBefore: '100.73.148.39', missingClusterDNSEvents: 4, dnsServices: [] });
  });

  it('names the MissingClusterDNS events alone when the capture has no listing of DNS add-on Services, and the listing alone when there is no event', () => {
    const unlisted = judgeStableEndpoint(altered((o) => delete o.dns.dnsServices));
    expect(unlisted.verdict).toBe('unverifiable');
    expect(unlisted.summary).toContain('no cluster DNS add-on (such as CoreDNS) runs in this cluster (the kubelet reported 4 MissingClusterDNS events: "kubelet does not have ClusterDNS IP configured');
    const quiet = judgeStableEndpoint(altered((o) => (o.dns.events = [])));
    expect(quiet.verdict).toBe('unverifiable');
    expect(quiet.summary).toContain('no cluster DNS add-on (such as CoreDNS) runs in this cluster (no Service labelled k8s-app=kube-dns exists in any namespace)');
  });

  it('is confirmed when the name resolves, as with a DNS add-on', () => {
    const result = judgeStableEndpoint(altered((o) => ((o.dns.dnsServices = ['kube-system/kube-dns (100.73.0.10)']), (o.dns.answer = '100.73.148.39   web.services-5d81b9bc.svc.cluster.local'))));
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('Its DNS name web.services-5d81b9bc.svc.cluster.local resolved to 100.73.148.39');
  });

  it('stays unverifiable, saying so, when a DNS add-on exists but the lookup failed, or when nothing says why', () => {
    const withAddOn = judgeStableEndpoint(altered((o) => (o.dns.dnsServices = ['kube-system/kube-dns (100.73.0.10)'])));
    expect(withAddOn.verdict).toBe('unverifiable');
    expect(withAddOn.summary).toContain('though a cluster DNS Service exists (kube-system/kube-dns (100.73.0.10))');
    const noReason = judgeStableEndpoint(altered((o) => (delete o.dns.dnsServices, (o.dns.events = []))));
    expect(noReason.verdict).toBe('unverifiable');
    expect(noReason.summary).toContain('the kubelet did not say why');
  });

  it('is refuted when the address changed or the selector did not follow the new pod, whatever DNS did', () => {
    expect(judgeStableEndpoint(altered((o) => (o.replacement.clusterIPAfter = '100.73.0.9'))).verdict).toBe('refuted');
    expect(judgeStableEndpoint(altered((o) => (o.replacement.endpointsAfter = o.pods.map((p) => p.ip)))).verdict).toBe('refuted');
  });
});
