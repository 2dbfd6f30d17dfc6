/**
 * Lab: the kinds of Service, each created on a real cluster and looked at from the node.
 *
 * Starts: the run's one-node Kubernetes cluster (built from upstream, no cloud provider); two pods
 * answering their own names.
 *
 * Does: creates a Service with no type, a NodePort, a LoadBalancer, an ExternalName and a headless
 * one (clusterIP: None) for the same pods; sends a request to each address the API gives out; then
 * asks for a Service of the type the sheet lists as "Headless" (spec.type: Headless).
 *
 * Observes: each Service's type, cluster IP, node port, external name and load-balancer status as
 * the API returns them; its EndpointSlice; kube-proxy's rules for it; which pod answered a request
 * to its cluster IP and to the node's address on its node port; the apiserver's answer to the
 * Service of type Headless (HTTP code, reason, message) and whether anything was stored.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';
import { apiRefusal, kubernetesCluster, supportedValues } from '../../src/systems/kubernetes.ts';
import { askService, serviceRules, webDeployment } from '../../src/systems/kubernetes-web.ts';

export const KINDS = {
  plain: { spec: {}, what: 'no type given' },
  nodeport: { spec: { type: 'NodePort' }, what: 'type NodePort' },
  loadbalancer: { spec: { type: 'LoadBalancer' }, what: 'type LoadBalancer' },
  external: { spec: { type: 'ExternalName', externalName: 'example.invalid' }, what: 'type ExternalName' },
  headless: { spec: { clusterIP: 'None' }, what: 'clusterIP: None' },
} as const;
export type Kind = keyof typeof KINDS;

export interface ServiceSeen {
  type: string;
  clusterIP: string | null;
  nodePort: number | null;
  externalName: string | null;
  /** status.loadBalancer.ingress, after waiting. */
  loadBalancerIngress: string[];
  endpoints: number;
  /** kube-proxy's nat rules for it, and how many DNAT. */
  rules: number;
  dnatRules: number;
  /** Which pod answered on its cluster IP, and on the node's address at its node port ("" when nothing was asked, "no answer" when nothing answered). */
  viaClusterIP: string;
  viaNodePort: string;
}

/** The apiserver's answer to a Service created with the sheet's fifth type, spec.type: Headless. */
export interface HeadlessTypeAnswer {
  /** HTTP status (201 when created), reason and message of the answer. */
  code: number;
  reason: string;
  message: string;
  /** Whether a Service of that name could be read back afterwards, and its type then. */
  stored: boolean;
  storedType: string | null;
}

export interface ServiceTypesObservation {
  nodeIP: string;
  waitedForLoadBalancerMs: number;
  services: Record<Kind, ServiceSeen>;
  headlessAsType: HeadlessTypeAnswer;
}

const answered = (a: string) => a !== '' && a !== 'no answer';

export function judgeServiceTypes(o: ServiceTypesObservation): ClaimResult {
  const s = o.services;
  // A capture from before the lab asked for type Headless has no answer: then it was not asked.
  const h: HeadlessTypeAnswer | null = o.headlessAsType ?? null;
  const supported = supportedValues(h?.message ?? '');
  const checks = {
    defaultIsClusterIP: s.plain.type === 'ClusterIP' && !!s.plain.clusterIP && answered(s.plain.viaClusterIP),
    nodePortOnTheNode: s.nodeport.type === 'NodePort' && s.nodeport.nodePort !== null && answered(s.nodeport.viaNodePort) && answered(s.nodeport.viaClusterIP),
    loadBalancerHasNodePortAndClusterIP: s.loadbalancer.nodePort !== null && !!s.loadbalancer.clusterIP && answered(s.loadbalancer.viaNodePort),
    loadBalancerGotAnAddress: s.loadbalancer.loadBalancerIngress.length > 0,
    externalNameHasNoAddress: s.external.type === 'ExternalName' && !s.external.clusterIP && s.external.rules === 0 && s.external.endpoints === 0,
    headlessHasNoClusterIP: s.headless.clusterIP === 'None' && s.headless.dnatRules === 0 && s.headless.endpoints > 0,
    /** The sheet's fifth type: a Service created with spec.type Headless and stored as such. */
    headlessIsAType: h?.code === 201 && h.storedType === 'Headless',
  };
  // What the apiserver did with spec.type: Headless: took it as a type, refused it as invalid (422), or
  // stored the Service as some other type; any other answer (no answer, 403, 500) says nothing about types.
  const headlessRefused = !!h && ((h.code === 422 && !h.stored) || (h.code === 201 && h.storedType !== 'Headless'));
  const observed = { checks, services: s, nodeIP: o.nodeIP, headlessAsType: h && { ...h, supportedTypes: supported }, headlessServiceType: s.headless.type };
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: 'Each Service as the API returned it, and what answered',
      columns: ['Service', 'created with', 'type', 'cluster IP', 'node port', 'external name', 'LB ingress', 'endpoints', 'kube-proxy rules (DNAT)', 'via cluster IP', `via ${o.nodeIP}:node port`],
      rows: (Object.keys(KINDS) as Kind[]).map((k) => [k, KINDS[k].what, s[k].type, s[k].clusterIP ?? '', s[k].nodePort ?? '', s[k].externalName ?? '', s[k].loadBalancerIngress.join(', ') || '(pending)', s[k].endpoints, `${s[k].rules} (${s[k].dnatRules})`, s[k].viaClusterIP, s[k].viaNodePort]),
    },
    { kind: 'table', title: 'A Service of the type the sheet calls Headless (spec.type: Headless): the apiserver\'s answer', columns: ['HTTP code', 'reason', 'message', 'stored', 'stored type'], rows: h ? [[h.code, h.reason, h.message, h.stored ? 'yes' : 'no', h.storedType ?? '']] : [] },
  ];
  const asked = [s.plain.viaClusterIP, s.nodeport.viaClusterIP, s.nodeport.viaNodePort, s.loadbalancer.viaNodePort];
  if (asked.includes('no answer')) return { id: 'k8s.service.types', verdict: 'unverifiable', summary: `A request got no answer (${asked.join(', ')}), so what each address leads to could not be seen.`, summaryZh: `有请求没有得到响应（${asked.join(', ')}），因此无法看到每个地址实际通向哪里。`, observed, evidence };
  const core = checks.defaultIsClusterIP && checks.nodePortOnTheNode && checks.externalNameHasNoAddress && checks.headlessHasNoClusterIP && checks.loadBalancerHasNodePortAndClusterIP;
  if (!core) {
    const failed = Object.entries(checks).filter(([k, v]) => !v && k !== 'loadBalancerGotAnAddress' && k !== 'headlessIsAType').map(([k]) => k);
    return { id: 'k8s.service.types', verdict: 'refuted', summary: `Not as the sheet lists them: ${failed.join(', ')} did not hold.`, summaryZh: `与学习资料所列不符：${failed.join(', ')} 不成立。`, observed, evidence };
  }
  if (!h) return { id: 'k8s.service.types', verdict: 'unverifiable', summary: 'Whether Headless is a type could not be read: no Service of type Headless was asked for in this capture.', summaryZh: '无法判断 Headless 是否是一种类型：本次采集没有请求创建 type 为 Headless 的 Service。', observed, evidence };
  if (!checks.headlessIsAType && !headlessRefused) {
    return { id: 'k8s.service.types', verdict: 'unverifiable', summary: `Whether Headless is a type could not be read: the Service of type Headless was answered ${h.code}${h.reason ? ` ${h.reason}` : ''} (${h.message || 'no message'}), neither created nor refused as invalid.`, summaryZh: `无法判断 Headless 是否是一种类型：type 为 Headless 的 Service 得到的响应是 ${h.code}${h.reason ? ` ${h.reason}` : ''}（${h.message || '无消息'}），既没有被创建，也没有作为非法请求被拒绝。`, observed, evidence };
  }
  const lb = checks.loadBalancerGotAnAddress
    ? `a LoadBalancer got ${s.loadbalancer.loadBalancerIngress.join(', ')}`
    : `a LoadBalancer got a cluster IP and node port ${s.loadbalancer.nodePort} (which answered) but no external address in ${o.waitedForLoadBalancerMs / 1000} s, because giving one is the job of a cloud provider's controller, which this cluster does not run`;
  const lbZh = checks.loadBalancerGotAnAddress
    ? `LoadBalancer 获得了地址 ${s.loadbalancer.loadBalancerIngress.join(', ')}`
    : `LoadBalancer 获得了 cluster IP 和 node port ${s.loadbalancer.nodePort}（有响应），但在 ${o.waitedForLoadBalancerMs / 1000} s 内没有拿到外部地址，因为分配外部地址是云提供商控制器的工作，而本集群没有运行这类控制器`;
  const four = `A Service with no type became a ClusterIP (${s.plain.clusterIP}, answered by ${s.plain.viaClusterIP}); a NodePort got port ${s.nodeport.nodePort} on the node's own address (answered there, and on its cluster IP too); an ExternalName got no cluster IP, no endpoints and no kube-proxy rule, only a name (${s.external.externalName}) for cluster DNS to hand out; ${lb}.`;
  const fourZh = `不指定 type 的 Service 成了 ClusterIP（${s.plain.clusterIP}，由 ${s.plain.viaClusterIP} 响应）；NodePort 在节点自身地址上获得端口 ${s.nodeport.nodePort}（在该端口上有响应，通过其 cluster IP 也有响应）；ExternalName 没有 cluster IP、没有 endpoint，也没有 kube-proxy 规则，只有一个供集群 DNS 返回的名字（${s.external.externalName}）；${lbZh}。`;
  const headless = `a headless Service (clusterIP: None) was stored with type ${s.headless.type}, kept its ${s.headless.endpoints} endpoints and got no DNAT rule`;
  const headlessZh = `headless Service（clusterIP: None）存储下来的 type 是 ${s.headless.type}，保留了 ${s.headless.endpoints} 个 endpoint，没有 DNAT 规则`;
  if (headlessRefused) {
    const answer = h.code === 422 ? `refused (${h.code} ${h.reason}: ${h.message})` : `stored as type ${h.storedType}`;
    const answerZh = h.code === 422 ? `被拒绝（${h.code} ${h.reason}：${h.message}）` : `被存储为 type ${h.storedType}`;
    return {
      id: 'k8s.service.types',
      verdict: 'refuted',
      summary: `Headless is not a Service type: a Service created with type "Headless" was ${answer}${supported.length ? `; the types the apiserver accepts are ${supported.join(', ')}` : ''}. What the sheet describes is a ClusterIP Service without a cluster IP: ${headless}. The other four are types. ${four}`,
      summaryZh: `Headless 并不是一种 Service 类型：以 type "Headless" 创建的 Service ${answerZh}${supported.length ? `；apiserver 接受的类型是 ${supported.join('、')}` : ''}。学习资料描述的其实是不分配 cluster IP 的 ClusterIP Service：${headlessZh}。其余四种确实是类型：${fourZh}`,
      observed,
      evidence,
    };
  }
  if (checks.loadBalancerGotAnAddress) {
    return { id: 'k8s.service.types', verdict: 'confirmed', summary: `All five types behaved as listed: a Service of type Headless was created (${h.code}); ${headless}. ${four}`, summaryZh: `五种类型的表现都与所列一致：type 为 Headless 的 Service 被创建（${h.code}）；${headlessZh}。${fourZh}`, observed, evidence };
  }
  return {
    id: 'k8s.service.types',
    verdict: 'nuanced',
    summary: `A Service of type Headless was created (${h.code}); ${headless}. ${four} A LoadBalancer is only a NodePort plus a request.`,
    summaryZh: `type 为 Headless 的 Service 被创建（${h.code}）；${headlessZh}。${fourZh}LoadBalancer 只是 NodePort 再加一个请求。`,
    observed,
    evidence,
  };
}

const LOAD_BALANCER_WAIT_MS = 10_000;

export default defineLab({
  id: 'k8s-service-types',
  title: 'ClusterIP, NodePort, LoadBalancer, ExternalName and headless Services on a real node',
  topic: 'k8s',
  claims: ['k8s.service.types'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 150_000,
  handout: {
    starts: "The run's one-node Kubernetes cluster (no cloud provider) and two pods answering their own names.",
    does: 'Creates a Service with no type, a NodePort, a LoadBalancer, an ExternalName and a headless one for the same pods, and sends a request to each address the API gives out; then asks for a Service of type Headless, as the sheet lists it.',
    observes: "Each Service as the API returns it, its EndpointSlice, kube-proxy's rules for it, which pod answered on the cluster IP and on the node's address at the node port, and the apiserver's answer to type Headless.",
    zh: {
      title: '真实节点上的 ClusterIP、NodePort、LoadBalancer、ExternalName 和 headless Service',
      starts: '本次运行的单节点 Kubernetes 集群（无云提供商），以及两个会返回自己名字的 Pod。',
      does: '为同一组 Pod 分别创建不指定 type 的 Service、NodePort、LoadBalancer、ExternalName 和 headless Service，并向 API 给出的每个地址发送请求；然后按学习资料所列，请求创建一个 type 为 Headless 的 Service。',
      observes: 'API 返回的每个 Service、其 EndpointSlice、kube-proxy 为它生成的规则，访问 cluster IP 和“节点地址 + node port”时分别由哪个 Pod 响应，以及 apiserver 对 type Headless 的回答。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'service-types');
    await kube.apps.createNamespacedDeployment({ namespace, body: webDeployment(image, 2) });
    const kinds = Object.keys(KINDS) as Kind[];
    ctx.step(`${kinds.length} Services for the same pods`);
    for (const kind of kinds) {
      const extra = KINDS[kind].spec;
      const ports = 'externalName' in extra ? [] : [{ port: 80, targetPort: 8000 }];
      await kube.core.createNamespacedService({ namespace, body: { metadata: { name: kind }, spec: { selector: 'externalName' in extra ? undefined : { app: 'web' }, ports, ...extra } } });
    }
    const endpointsOf = async (name: string) => (await kube.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` })).items.flatMap((e) => (e.endpoints ?? []).filter((x) => x.conditions?.ready)).length;
    await until(async () => (await endpointsOf('plain')) === 2 && (await Promise.all(['plain', 'nodeport', 'loadbalancer'].map((n) => serviceRules(namespace, n)))).every((rules) => rules.some((l) => l.includes('-j DNAT'))), 90_000, 'two ready endpoints and their rules', 250);
    const waitedFrom = Date.now();
    await until(async () => ((await kube.core.readNamespacedService({ name: 'loadbalancer', namespace })).status?.loadBalancer?.ingress?.length ?? 0) > 0, LOAD_BALANCER_WAIT_MS, 'a load-balancer address', 500).catch(() => undefined);
    const waitedForLoadBalancerMs = Math.round((Date.now() - waitedFrom) / 1000) * 1000;
    await sleep(500);

    ctx.step('asking each address');
    const nodeIP = kube.env.NODE_IP!;
    const services = {} as Record<Kind, ServiceSeen>;
    for (const kind of kinds) {
      const svc = await kube.core.readNamespacedService({ name: kind, namespace });
      const rules = await serviceRules(namespace, kind);
      const clusterIP = svc.spec?.clusterIP ?? null;
      const nodePort = svc.spec?.ports?.[0]?.nodePort ?? null;
      const ask = async (address: string) => (await askService(address)) ?? 'no answer';
      services[kind] = {
        type: svc.spec?.type ?? '',
        clusterIP,
        nodePort,
        externalName: svc.spec?.externalName ?? null,
        loadBalancerIngress: (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? ''),
        endpoints: await endpointsOf(kind),
        rules: rules.length,
        dnatRules: rules.filter((l) => l.includes('-j DNAT')).length,
        viaClusterIP: clusterIP && clusterIP !== 'None' ? await ask(clusterIP) : '',
        viaNodePort: nodePort ? await ask(`${nodeIP}:${nodePort}`) : '',
      };
    }

    ctx.step('a Service of type Headless, as the sheet lists it');
    const typed = await kube.core
      .createNamespacedService({ namespace, body: { metadata: { name: 'typed-headless' }, spec: { type: 'Headless', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8000 }] } } })
      .then(() => ({ code: 201, reason: 'Created', message: '' }), apiRefusal);
    const storedHeadless = await kube.core.readNamespacedService({ name: 'typed-headless', namespace }).catch(() => undefined);
    const headlessAsType: HeadlessTypeAnswer = { ...typed, stored: storedHeadless !== undefined, storedType: storedHeadless?.spec?.type ?? null };
    const observation: ServiceTypesObservation = { nodeIP, waitedForLoadBalancerMs, services, headlessAsType };
    return [withEvidence(judgeServiceTypes(observation), ...keptJson(ctx, 'service-types.json', observation, 'every Service as seen (JSON)'))];
  },
});
