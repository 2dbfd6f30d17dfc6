/**
 * Lab: what a ClusterIP Service is on a node: an address nothing listens on, kept by kube-proxy's
 * DNAT rules, which pick a backend for each new connection.
 *
 * Starts: the run's one-node Kubernetes cluster (built from upstream); a Deployment of three pods,
 * each an HTTP server answering its own name, behind a ClusterIP Service.
 *
 * Does: sends 600 requests through the Service from the node, each on a new connection; deletes one
 * pod and waits for its replacement, then sends 60 more; turns on the Service's session affinity
 * (ClientIP) and sends 60 more; looks the Service's DNS name up from a pod.
 *
 * Observes: which pod answered each request, in order; kube-proxy's rules for the Service
 * (iptables-save) and the kernel's connection tracking entries for it (conntrack); the Service's
 * address and its EndpointSlice before and after the replacement; the rules and answers with session
 * affinity; the lookup's answer and the pod's resolv.conf; the kubelet's MissingClusterDNS events and
 * the Services of a cluster DNS add-on (labelled k8s-app=kube-dns), if any.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { execOutcome } from '../../src/resources/process.ts';
import { until } from '../../src/resources/wait.ts';
import { isPodReady, kubernetesCluster, type KubeCluster } from '../../src/systems/kubernetes.ts';
import { askService, serviceRules, webDeployment } from '../../src/systems/kubernetes-web.ts';

const REPLICAS = 3;
const REQUESTS = 600;

export interface ServicesObservation {
  clusterIP: string;
  pods: { name: string; ip: string }[];
  /** The pod that answered each request, in order ("no answer" when none did). */
  answers: string[];
  /** kube-proxy's nat rules for the Service, as iptables-save prints them. */
  rules: string[];
  /** conntrack -L entries whose original destination is the Service's address. */
  conntrack: string[];
  /** Whether any interface of the node holds the cluster IP (ip -o addr). */
  clusterIPOnAnInterface?: boolean;
  replacement: { deleted: { name: string; ip: string }; replacement: { name: string; ip: string } | null; clusterIPAfter: string; endpointsAfter: string[]; answersAfter: string[] };
  /** The lookup of the Service's name from a pod, the pod's resolv.conf, the kubelet's MissingClusterDNS events, and the Services labelled k8s-app=kube-dns (a cluster DNS add-on's, as CoreDNS and kube-dns label theirs) in any namespace: absent in captures made before the lab listed them. */
  dns: { name: string; answer: string; resolvConf: string; events: string[]; dnsServices?: string[] };
  /** With sessionAffinity: ClientIP: the Service's affinity settings, kube-proxy's rules, the pod that answered each request. */
  affinity: { timeoutSeconds: number; rules: string[]; answers: string[] };
}

/** A conntrack -L line's original and reply tuples: the connection as sent, and as answered. */
export function parseConntrack(line: string): { dst: string; dport: string; replySrc: string; replySport: string } | undefined {
  const m = line.match(/dst=(\S+) sport=\d+ dport=(\d+) .*?src=(\S+) dst=\S+ sport=(\d+)/);
  return m ? { dst: m[1]!, dport: m[2]!, replySrc: m[3]!, replySport: m[4]! } : undefined;
}

/** The probabilities kube-proxy's rules give each endpoint in turn (`-m statistic --mode random --probability p`; the last rule takes the rest). */
export function ruleProbabilities(rules: string[]): number[] {
  return rules.filter((l) => /^-A KUBE-SVC-\S+ .*-j KUBE-SEP-/.test(l)).map((l) => Number(l.match(/--probability (\S+)/)?.[1] ?? 1));
}

/** How often the next request went to the same pod as the one before (0 under a strict rotation). */
export function repeatRate(answers: string[]): number {
  const pairs = answers.slice(1).map((a, i) => a === answers[i]);
  return pairs.length ? pairs.filter(Boolean).length / pairs.length : 0;
}

const counts = (answers: string[]) => answers.reduce<Record<string, number>>((acc, a) => ((acc[a] = (acc[a] ?? 0) + 1), acc), {});

export function judgeStableEndpoint(o: ServicesObservation): ClaimResult {
  const r = o.replacement;
  const followed = r.replacement !== null && r.endpointsAfter.includes(r.replacement.ip) && !r.endpointsAfter.includes(r.deleted.ip);
  const servedByNew = r.replacement ? r.answersAfter.filter((a) => a === r.replacement!.name).length : 0;
  const resolved = /^\d+\.\d+\.\d+\.\d+\s/.test(`${o.dns.answer} `);
  const observed = { clusterIPBefore: o.clusterIP, clusterIPAfter: r.clusterIPAfter, deleted: r.deleted, replacement: r.replacement, endpointsAfter: r.endpointsAfter, requestsAfter: r.answersAfter.length, answeredByTheReplacement: servedByNew, dnsName: o.dns.name, dnsAnswer: o.dns.answer };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'The Service while one of its pods is replaced', columns: ['', 'before', 'after'], rows: [['cluster IP', o.clusterIP, r.clusterIPAfter], ['endpoints', o.pods.map((p) => p.ip).join(', '), r.endpointsAfter.join(', ')], ['pod', r.deleted.name, r.replacement?.name ?? '(none)']] },
    { kind: 'command', title: `Looking up ${o.dns.name} from a pod`, command: `getent hosts ${o.dns.name}; cat /etc/resolv.conf`, output: `${o.dns.answer}\n${o.dns.resolvConf}` },
    ...(o.dns.dnsServices ? [{ kind: 'command' as const, title: "A cluster DNS add-on's Services, and the kubelet's MissingClusterDNS events", command: 'kubectl get services -A -l k8s-app=kube-dns; kubectl get events --field-selector reason=MissingClusterDNS', output: [...(o.dns.dnsServices.length ? o.dns.dnsServices : ['No resources found']), ...o.dns.events].join('\n') }] : []),
  ];
  if (r.clusterIPAfter !== o.clusterIP || !followed || servedByNew === 0) {
    return { id: 'k8s.service.stable-endpoint', verdict: 'refuted', summary: `After ${r.deleted.name} was replaced the Service ${r.clusterIPAfter !== o.clusterIP ? `changed its address (${o.clusterIP} → ${r.clusterIPAfter})` : `did not follow the new pod (endpoints ${r.endpointsAfter.join(', ')}; ${servedByNew} answers from it)`}.`, summaryZh: `${r.deleted.name} 被替换后，Service ${r.clusterIPAfter !== o.clusterIP ? `的地址变了（${o.clusterIP} → ${r.clusterIPAfter}）` : `没有跟上新 Pod（端点为 ${r.endpointsAfter.join(', ')}；新 Pod 响应了 ${servedByNew} 个请求）`}。`, observed, evidence };
  }
  const ipPart = `The address stayed ${o.clusterIP} while ${r.deleted.name} (${r.deleted.ip}) was deleted and replaced by ${r.replacement!.name} (${r.replacement!.ip}): the label selector put the new pod in the EndpointSlice, which answered ${servedByNew} of ${r.answersAfter.length} later requests.`;
  const ipPartZh = `${r.deleted.name}（${r.deleted.ip}）被删除并由 ${r.replacement!.name}（${r.replacement!.ip}）替换的过程中，Service 的地址始终是 ${o.clusterIP}：标签选择器把新 Pod 放进了 EndpointSlice，之后的 ${r.answersAfter.length} 个请求中有 ${servedByNew} 个由它响应。`;
  if (resolved) return { id: 'k8s.service.stable-endpoint', verdict: 'confirmed', summary: `${ipPart} Its DNS name ${o.dns.name} resolved to ${o.dns.answer}.`, summaryZh: `${ipPartZh}其 DNS 名称 ${o.dns.name} 解析为 ${o.dns.answer}。`, observed, evidence };
  // The claim names a DNS name as well as the IP and the selector. A Service's name resolves through a cluster DNS add-on (CoreDNS),
  // which this lab does not install; when the cluster runs none, the DNS half is not observable here, and the IP and selector half is all that was seen.
  const dnsServices = o.dns.dnsServices;
  const events = o.dns.events;
  // No add-on: no Service labelled k8s-app=kube-dns anywhere; in a capture that did not list them, the kubelet's MissingClusterDNS events alone.
  const noAddOn = dnsServices !== undefined ? dnsServices.length === 0 : events.length > 0;
  const lookup = `${o.dns.name} did not resolve from a pod (${o.dns.answer || 'no answer'}; its resolv.conf: ${o.dns.resolvConf.replace(/\s*\n\s*/g, '; ') || 'not read'})`;
  const lookupZh = `在 Pod 中解析 ${o.dns.name} 失败（${o.dns.answer || '无响应'}；其 resolv.conf：${o.dns.resolvConf.replace(/\s*\n\s*/g, '; ') || '未读到'}）`;
  const event = events[0]?.replace(/^pod: "[^"]*"\. /, '');
  const why = [events.length ? `the kubelet reported ${events.length} MissingClusterDNS event${events.length > 1 ? 's' : ''}: "${event}"` : '', dnsServices?.length === 0 ? 'no Service labelled k8s-app=kube-dns exists in any namespace' : ''].filter(Boolean).join('; ');
  const whyZh = [events.length ? `kubelet 报告了 ${events.length} 条 MissingClusterDNS 事件：“${event}”` : '', dnsServices?.length === 0 ? '任何命名空间中都没有带 k8s-app=kube-dns 标签的 Service' : ''].filter(Boolean).join('；');
  const dnsObserved = { ...observed, missingClusterDNSEvents: events.length, dnsServices: dnsServices ?? null };
  if (noAddOn) {
    return {
      id: 'k8s.service.stable-endpoint',
      verdict: 'unverifiable',
      summary: `${ipPart} Its DNS name could not be checked here: no cluster DNS add-on (such as CoreDNS) runs in this cluster (${why}), so ${lookup}. That is a gap of this lab's cluster, not an observation about Services.`,
      summaryZh: `${ipPartZh}但这里无法检查其 DNS 名称：本集群没有运行集群 DNS 插件（例如 CoreDNS）（${whyZh}），因此${lookupZh}。这是本实验集群的缺口，而不是对 Service 的观察结果。`,
      observed: dnsObserved,
      evidence,
    };
  }
  const found = dnsServices?.length ? ` though a cluster DNS Service exists (${dnsServices.join(', ')})` : '';
  const foundZh = dnsServices?.length ? `，尽管集群 DNS 的 Service 存在（${dnsServices.join(', ')}）` : '';
  return {
    id: 'k8s.service.stable-endpoint',
    verdict: 'unverifiable',
    summary: `${ipPart} Its DNS name could not be checked: ${lookup}${found}, and ${events.length ? `the kubelet reported MissingClusterDNS: "${event}"` : 'the kubelet did not say why'}.`,
    summaryZh: `${ipPartZh}但无法检查其 DNS 名称：${lookupZh}${foundZh}，${events.length ? `kubelet 报告了 MissingClusterDNS：“${event}”` : 'kubelet 也没有说明原因'}。`,
    observed: dnsObserved,
    evidence,
  };
}

export function judgeDnat(o: ServicesObservation): ClaimResult {
  const dnat = o.rules.filter((l) => l.includes('-j DNAT'));
  const targets = dnat.map((l) => l.match(/--to-destination (\S+)/)?.[1] ?? '');
  const podTargets = o.pods.map((p) => targets.some((t) => t.startsWith(`${p.ip}:`)));
  const tracked = o.conntrack.map(parseConntrack).filter((c) => c !== undefined);
  const translated = tracked.filter((c) => c.dst === o.clusterIP && o.pods.some((p) => p.ip === c.replySrc));
  const observed = { clusterIP: o.clusterIP, clusterIPOnAnInterface: o.clusterIPOnAnInterface, rules: o.rules.length, dnatRules: dnat.length, dnatTargets: targets, everyPodATarget: podTargets.every(Boolean), conntrackEntries: tracked.length, translatedToAPod: translated.length, example: translated[0] };
  const evidence: Evidence[] = [
    { kind: 'command', title: "kube-proxy's rules for the Service", command: `iptables-save -t nat | grep '${o.rules[0]?.match(/"([^"]+)"/)?.[1]?.split(/[ :]/)[0] ?? 'web'}'`, output: o.rules.join('\n') },
    { kind: 'command', title: 'Connections to the Service as the kernel tracks them: sent to the cluster IP, answered by a pod', command: `conntrack -L -d ${o.clusterIP}`, output: o.conntrack.slice(0, 8).join('\n') },
  ];
  if (!dnat.length || !podTargets.every(Boolean)) {
    return { id: 'k8s.kube-proxy.dnat', verdict: 'refuted', summary: `kube-proxy left ${dnat.length} DNAT rules for the Service, not one per pod (${targets.join(', ') || 'none'}).`, summaryZh: `kube-proxy 为该 Service 留下了 ${dnat.length} 条 DNAT 规则，并不是每个 Pod 各一条（${targets.join(', ') || '无'}）。`, observed, evidence };
  }
  return {
    id: 'k8s.kube-proxy.dnat',
    verdict: 'confirmed',
    summary: `${o.clusterIPOnAnInterface === false ? `No interface of the node holds ${o.clusterIP}. ` : ''}kube-proxy (iptables mode) wrote ${o.rules.length} nat rules for the Service, ending in one DNAT per pod (${targets.join(', ')})${translated.length ? `, and the kernel's connection tracking shows ${translated.length} connections sent to ${o.clusterIP} and answered by a pod address (e.g. to ${translated[0]!.dst}:${translated[0]!.dport}, answered by ${translated[0]!.replySrc}:${translated[0]!.replySport})` : ''}.`,
    summaryZh: `${o.clusterIPOnAnInterface === false ? `节点上没有任何网络接口持有 ${o.clusterIP}。` : ''}kube-proxy（iptables 模式）为该 Service 写入了 ${o.rules.length} 条 nat 规则，最终落到每个 Pod 各一条 DNAT（${targets.join(', ')}）${translated.length ? `；内核的连接跟踪表显示有 ${translated.length} 条连接发往 ${o.clusterIP}、由 Pod 地址应答（例如发往 ${translated[0]!.dst}:${translated[0]!.dport}，由 ${translated[0]!.replySrc}:${translated[0]!.replySport} 应答）` : ''}。`,
    observed,
    evidence,
  };
}

export function judgeRoundRobin(o: ServicesObservation): ClaimResult {
  const answered = o.answers.filter((a) => a !== 'no answer');
  const perPod = counts(answered);
  const repeats = repeatRate(answered);
  const probabilities = ruleProbabilities(o.rules);
  const n = o.pods.length;
  const expectedRepeats = 1 / n;
  const observed = { requests: o.answers.length, answered: answered.length, perPod, sameAsPrevious: +repeats.toFixed(3), sameAsPreviousIfRandom: +expectedRepeats.toFixed(3), ruleProbabilities: probabilities };
  const evidence: Evidence[] = [
    { kind: 'bars', title: `Requests answered by each pod (${answered.length} new connections)`, bars: Object.entries(perPod).map(([label, value]) => ({ label, value })) },
    { kind: 'choices', title: 'The pod that answered each of the first 216 requests, in order (a round robin would cycle)', choices: answered.slice(0, 216) },
  ];
  if (answered.length < o.answers.length / 2) {
    return { id: 'k8s.kube-proxy.round-robin', verdict: 'unverifiable', summary: `Only ${answered.length} of ${o.answers.length} requests were answered: too few to tell how backends are picked.`, summaryZh: `${o.answers.length} 个请求中只有 ${answered.length} 个得到响应：数量太少，无法判断后端是如何选取的。`, observed, evidence };
  }
  if (repeats === 0 && Object.keys(perPod).length === n) {
    return { id: 'k8s.kube-proxy.round-robin', verdict: 'confirmed', summary: `Consecutive requests never went to the same pod: the ${n} pods took turns.`, summaryZh: `相邻两个请求从未落到同一个 Pod：${n} 个 Pod 轮流响应。`, observed, evidence };
  }
  if (repeats > expectedRepeats / 2) {
    return {
      id: 'k8s.kube-proxy.round-robin',
      verdict: 'refuted',
      summary: `Not round robin: ${(repeats * 100).toFixed(0)}% of requests went to the same pod as the one before (a rotation gives 0%, a fair random pick ${(expectedRepeats * 100).toFixed(0)}%). kube-proxy's iptables rules pick at random for each new connection: the first endpoint with probability ${probabilities[0]?.toFixed(3)}, the next with ${probabilities[1]?.toFixed(3)} of the rest, the last with the remainder (${probabilities.map((p) => p.toFixed(3)).join(', ')}), so each pod gets about 1/${n} on average (${Object.values(perPod).join(' / ')} here) but no order is kept. (kube-proxy's IPVS mode can rotate: its schedulers include rr.)`,
      summaryZh: `不是轮询：${(repeats * 100).toFixed(0)}% 的请求与上一个请求落到了同一个 Pod（严格轮转应为 0%，公平的随机选取约为 ${(expectedRepeats * 100).toFixed(0)}%）。kube-proxy 的 iptables 规则对每个新连接随机选择后端：第一个端点以 ${probabilities[0]?.toFixed(3)} 的概率被选中，下一个端点以 ${probabilities[1]?.toFixed(3)} 的概率从剩余部分中被选中，最后一个端点接下剩余的全部（${probabilities.map((p) => p.toFixed(3)).join(', ')}），因此平均每个 Pod 约得到 1/${n}（本次为 ${Object.values(perPod).join(' / ')}），但不保持任何顺序。（kube-proxy 的 IPVS 模式可以轮转：其调度算法中包括 rr。）`,
      observed,
      evidence,
    };
  }
  return { id: 'k8s.kube-proxy.round-robin', verdict: 'nuanced', summary: `Consecutive requests went to the same pod ${(repeats * 100).toFixed(0)}% of the time: neither a strict rotation (0%) nor a fair random pick (${(expectedRepeats * 100).toFixed(0)}%).`, summaryZh: `相邻两个请求落到同一个 Pod 的比例为 ${(repeats * 100).toFixed(0)}%：既不是严格轮转（0%），也不是公平的随机选取（${(expectedRepeats * 100).toFixed(0)}%）。`, observed, evidence };
}

export function judgeSessionAffinity(o: ServicesObservation): ClaimResult {
  const a = o.affinity;
  const answered = a.answers.filter((x) => x !== 'no answer');
  const perPod = counts(answered);
  const recent = a.rules.filter((l) => l.includes('-m recent'));
  const observed = { requests: a.answers.length, answered: answered.length, perPod, recentRules: recent.length, timeoutSeconds: a.timeoutSeconds, withoutAffinityPods: Object.keys(counts(o.answers.filter((x) => x !== 'no answer'))).length };
  const evidence: Evidence[] = [
    { kind: 'bars', title: `With sessionAffinity: ClientIP, requests answered by each pod (${answered.length} new connections from one address)`, bars: Object.entries(perPod).map(([label, value]) => ({ label, value })) },
    { kind: 'command', title: "kube-proxy's rules for the Service with session affinity (the `recent` match remembers each client address)", command: "iptables-save -t nat | grep 'recent'", output: recent.join('\n') },
  ];
  if (answered.length < a.answers.length / 2) return { id: 'k8s.kube-proxy.session-affinity', verdict: 'unverifiable', summary: `Only ${answered.length} of ${a.answers.length} requests were answered with session affinity on.`, summaryZh: `开启会话亲和性后，${a.answers.length} 个请求中只有 ${answered.length} 个得到响应。`, observed, evidence };
  if (Object.keys(perPod).length !== 1 || !recent.length) return { id: 'k8s.kube-proxy.session-affinity', verdict: 'refuted', summary: `With sessionAffinity: ClientIP the requests from one address still went to ${Object.keys(perPod).length} pods (${Object.values(perPod).join(' / ')}), and kube-proxy wrote ${recent.length} rules remembering clients.`, summaryZh: `设置 sessionAffinity: ClientIP 后，来自同一地址的请求仍然落到了 ${Object.keys(perPod).length} 个 Pod 上（${Object.values(perPod).join(' / ')}），kube-proxy 写入了 ${recent.length} 条记住客户端的规则。`, observed, evidence };
  return {
    id: 'k8s.kube-proxy.session-affinity',
    verdict: 'confirmed',
    summary: `With sessionAffinity: ClientIP all ${answered.length} new connections from the node went to ${Object.keys(perPod)[0]} (without it the same requests spread over ${observed.withoutAffinityPods} pods): kube-proxy added ${recent.length} rules with the kernel's \`recent\` match, which remembers each client address for ${a.timeoutSeconds} s (the default timeout) and sends it back to the endpoint it had. The affinity is by client IP only, and off unless the Service asks for it.`,
    summaryZh: `设置 sessionAffinity: ClientIP 后，从节点发起的全部 ${answered.length} 个新连接都落到了 ${Object.keys(perPod)[0]}（不设置时，同样的请求分散到 ${observed.withoutAffinityPods} 个 Pod）：kube-proxy 添加了 ${recent.length} 条使用内核 \`recent\` 匹配模块的规则，它会把每个客户端地址记住 ${a.timeoutSeconds} s（默认超时时间），并把该客户端送回它之前所用的端点。亲和性只按客户端 IP 判断，而且默认关闭，除非 Service 显式开启。`,
    observed,
    evidence,
  };
}

async function readyPods(kube: KubeCluster, namespace: string): Promise<{ name: string; ip: string }[]> {
  const pods = (await kube.core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
  return pods.filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p)).map((p) => ({ name: p.metadata!.name!, ip: p.status!.podIP! }));
}

async function readyEndpoints(kube: KubeCluster, namespace: string): Promise<string[]> {
  const slices = await kube.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=web' });
  return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
}

async function ask(address: string, requests: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < requests; i++) answers.push((await askService(address)) ?? 'no answer');
  return answers;
}

export default defineLab({
  id: 'k8s-services',
  title: 'A ClusterIP Service on a real node: DNAT rules, how a backend is picked, a pod replaced behind a stable address',
  topic: 'k8s',
  claims: ['k8s.service.stable-endpoint', 'k8s.kube-proxy.dnat', 'k8s.kube-proxy.round-robin', 'k8s.kube-proxy.session-affinity'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's one-node Kubernetes cluster; three pods answering their own names behind a ClusterIP Service.",
    does: `Sends ${REQUESTS} requests through the Service on new connections; replaces one pod and sends 60 more; turns on session affinity (ClientIP) and sends 60 more; looks the Service's DNS name up from a pod.`,
    observes: "Which pod answered each request, kube-proxy's iptables rules and conntrack's entries for the Service, its address and EndpointSlice before and after, the rules with session affinity, the lookup and the pod's resolv.conf, and whether a cluster DNS add-on runs (its Services, the kubelet's MissingClusterDNS events).",
    zh: {
      title: '真实节点上的 ClusterIP Service：DNAT 规则、后端如何选取、地址不变而背后的 Pod 被替换',
      starts: '本次运行的单节点 Kubernetes 集群；一个 ClusterIP Service 后面有三个会返回自己名字的 Pod。',
      does: '经 Service 发送 600 个请求，每个都用新连接；替换一个 Pod 后再发 60 个；开启会话亲和性（ClientIP）后再发 60 个；在 Pod 内解析该 Service 的 DNS 名称。',
      observes: '每个请求由哪个 Pod 响应；kube-proxy 为该 Service 生成的 iptables 规则及 conntrack 表项；替换前后 Service 的地址和 EndpointSlice；开启会话亲和性后的规则；DNS 查询结果和 Pod 的 resolv.conf，以及集群是否运行 DNS 插件（其 Service、kubelet 的 MissingClusterDNS 事件）。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const image = await kube.loadImage('backend');
    const namespace = await kube.namespace(ctx.scope, 'services');
    await kube.apps.createNamespacedDeployment({ namespace, body: webDeployment(image, REPLICAS) });
    const service = await kube.core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8000 }] } } });
    const clusterIP = service.spec!.clusterIP!;
    ctx.step(`${REPLICAS} pods Ready behind ${clusterIP}`);
    await until(async () => (await readyEndpoints(kube, namespace)).length === REPLICAS && (await serviceRules(namespace, 'web')).filter((l) => l.includes('-j DNAT')).length === REPLICAS, 90_000, `${REPLICAS} endpoints and their DNAT rules`, 250);
    const pods = await readyPods(kube, namespace);

    ctx.step(`${REQUESTS} requests through the Service`);
    const answers = await ask(clusterIP, REQUESTS);
    const rules = await serviceRules(namespace, 'web');
    const tracked = await execOutcome('conntrack', ['-L', '-d', clusterIP]);
    if (tracked.exitCode !== 0) throw new Error(`conntrack -L: ${tracked.stderr.split('\n')[0]}`);
    const conntrack = tracked.stdout.split('\n').filter((l) => l.startsWith('tcp'));
    const clusterIPOnAnInterface = (await execOutcome('ip', ['-o', 'addr', 'show'])).stdout.includes(` ${clusterIP}/`);

    const victim = pods[0]!;
    ctx.step(`replacing ${victim.name}`);
    ctx.timeline.note(`delete ${victim.name}`);
    await kube.core.deleteNamespacedPod({ name: victim.name, namespace, gracePeriodSeconds: 0 });
    await until(async () => {
      const endpoints = await readyEndpoints(kube, namespace);
      return endpoints.length === REPLICAS && !endpoints.includes(victim.ip);
    }, 90_000, 'a replacement pod in the EndpointSlice', 250);
    const after = await readyPods(kube, namespace);
    const replacement = after.find((p) => !pods.some((q) => q.name === p.name)) ?? null;
    await until(async () => (await serviceRules(namespace, 'web')).some((l) => replacement !== null && l.includes(`${replacement.ip}:`)), 30_000, "kube-proxy's rule for the replacement", 250);
    const answersAfter = await ask(clusterIP, 60);
    const clusterIPAfter = (await kube.core.readNamespacedService({ name: 'web', namespace })).spec!.clusterIP!;

    ctx.step('session affinity by client IP');
    const current = await kube.core.readNamespacedService({ name: 'web', namespace });
    const sticky = await kube.core.replaceNamespacedService({ name: 'web', namespace, body: { ...current, spec: { ...current.spec, sessionAffinity: 'ClientIP' } } });
    await until(async () => (await serviceRules(namespace, 'web')).some((l) => l.includes('-m recent')), 30_000, "kube-proxy's session affinity rules", 250);
    const affinity = { timeoutSeconds: sticky.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 0, rules: await serviceRules(namespace, 'web'), answers: await ask(clusterIP, 60) };

    ctx.step('looking the Service up by name');
    const dnsName = `web.${namespace}.svc.cluster.local`;
    const inPod = (args: string[]) => kube.kubectl(['-n', namespace, 'exec', after[0]!.name, '--', ...args]).catch((error: Error) => `failed: ${error.message.split(': ').slice(1).join(': ')}`);
    const answer = (await inPod(['getent', 'hosts', dnsName])).trim();
    const resolvConf = (await inPod(['cat', '/etc/resolv.conf'])).trim();
    const events = (await kube.core.listNamespacedEvent({ namespace })).items.filter((e) => e.reason === 'MissingClusterDNS').map((e) => e.message ?? '');
    const dnsServices = (await kube.core.listServiceForAllNamespaces({ labelSelector: 'k8s-app=kube-dns' })).items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name} (${s.spec?.clusterIP})`);

    const observation: ServicesObservation = {
      clusterIP,
      pods,
      answers,
      rules,
      conntrack,
      clusterIPOnAnInterface,
      replacement: { deleted: victim, replacement, clusterIPAfter, endpointsAfter: await readyEndpoints(kube, namespace), answersAfter },
      dns: { name: dnsName, answer, resolvConf, events: [...new Set(events)], dnsServices },
      affinity,
    };
    const kept = keptJson(ctx, 'services.json', observation, 'answers, rules, conntrack, the replacement and the lookup (JSON)');
    return [withEvidence(judgeStableEndpoint(observation), ...kept), judgeDnat(observation), judgeRoundRobin(observation), judgeSessionAffinity(observation)];
  },
});
