/**
 * Lab: the apiserver's three gates (authentication, authorization, admission), the quotas and limits
 * a namespace can carry, and the types of Secret.
 *
 * Starts: the run's Kubernetes cluster (its apiserver authenticates client certificates of its own
 * CA, service-account tokens and anonymous requests; authorizes with Node and RBAC; runs the
 * default admission plugins).
 *
 * Does: sends the same request (list the lab namespace's pods, with curl) with a client
 * certificate from a foreign CA that claims system:masters, with a made-up bearer token, with no
 * credentials, and with a service account's token before and after a RoleBinding lets it list pods.
 * Puts a ResourceQuota (1 pod) and a LimitRange (CPU at most 500m, 100m by default) in the
 * namespace, then creates a pod asking for a whole CPU, a pod asking for nothing, a second pod, and
 * the second pod again in a namespace with neither. Creates Secrets with kubectl's generic,
 * docker-registry and tls commands, then through the API a tls Secret without its key and a Secret
 * whose type is the word docker-registry.
 *
 * Observes: every HTTP status with the apiserver's message and the user it saw (a
 * SelfSubjectReview); the pods' stored CPU requests and the quota's status; the Secrets' stored
 * types and keys, or the apiserver's refusal.
 */
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { exec, execOutcome } from '../../src/resources/process.ts';
import { until } from '../../src/resources/wait.ts';
import { apiRefusal, kubernetesCluster } from '../../src/systems/kubernetes.ts';

export interface Answer {
  code: number;
  message: string;
}
export interface ApiserverObservation {
  /** The same list request with each kind of credentials. */
  requests: { credentials: string; code: number; user: string; message: string }[];
  quota: { quotasInNewNamespace: number; limitRangesInNewNamespace: number; hardPods: string; usedPods: string; limitMaxCpu: string; limitDefaultCpu: string };
  pods: { pod: string; namespace: 'with quota and limits' | 'without'; asked: string; code: number; storedCpuRequest: string | null; message: string }[];
  secrets: { made: string; name: string; code: number; type: string | null; keys: string[]; message: string }[];
}

const who = (o: ApiserverObservation, credentials: string) => o.requests.find((r) => r.credentials === credentials);

export function judgeGates(o: ApiserverObservation): ClaimResult {
  const [foreign, token, anonymous, saBefore, saAfter] = ['client certificate from another CA, O=system:masters', 'a made-up bearer token', 'no credentials', 'service account token, no RoleBinding', 'service account token, after a RoleBinding'].map((c) => who(o, c));
  const quotaRefusal = o.pods.find((p) => p.code === 403 && /exceeded quota/.test(p.message));
  const limitRefusal = o.pods.find((p) => p.code === 403 && /maximum cpu usage/.test(p.message));
  const observed = { requests: o.requests.map((r) => `${r.credentials}: ${r.code} as ${r.user || '?'}`), quotaRefusal: quotaRefusal?.message ?? null, limitRefusal: limitRefusal?.message ?? null };
  const evidence: Evidence[] = [
    { kind: 'table', title: "One request (list pods) with different credentials: the apiserver's answer", columns: ['credentials', 'HTTP status', 'user the apiserver saw', 'message'], rows: o.requests.map((r) => [r.credentials, r.code, r.user || '-', r.message]) },
    { kind: 'table', title: 'Pods created by an allowed user against the namespace quota and limits: admission', columns: ['pod', 'namespace', 'asked', 'HTTP status', 'stored CPU request', 'message'], rows: o.pods.map((p) => [p.pod, p.namespace, p.asked, p.code, p.storedCpuRequest ?? '-', p.message]) },
  ];
  if (!foreign || !token || !anonymous || !saBefore || !saAfter) return { id: 'k8s.apiserver.authn-authz-admission', verdict: 'unverifiable', summary: 'Not every request was made.', summaryZh: '并非每个请求都已发出。', observed, evidence };
  // No HTTP answer at all: a TLS refusal of the foreign certificate is an answer; anything else (a timeout, a refused connection) is not.
  const tlsRefusal = (r: ApiserverObservation['requests'][number]) => r.code === 0 && /bad certificate|certificate required|unknown ca/i.test(r.message);
  const unanswered = o.requests.filter((r) => r.code === 0 && !(r === foreign && tlsRefusal(r)));
  if (unanswered.length) return { id: 'k8s.apiserver.authn-authz-admission', verdict: 'unverifiable', summary: `The apiserver did not answer the request with ${unanswered.map((r) => `${r.credentials} (${r.message})`).join('; ')}.`, summaryZh: `apiserver 没有响应以下凭据发出的请求：${unanswered.map((r) => `${r.credentials}（${r.message}）`).join('；')}。`, observed, evidence };
  const checks: [string, boolean][] = [
    [`a certificate from another CA claiming system:masters was refused ${foreign.code ? `as unauthenticated (${foreign.code})` : `before any HTTP, in the TLS handshake (${foreign.message})`}`, foreign.code === 401 || tlsRefusal(foreign)],
    [`a made-up token too (${token.code})`, token.code === 401],
    [`no credentials made the caller ${anonymous.user || 'nobody'}, who was then forbidden (${anonymous.code})`, anonymous.code === 403 && anonymous.user === 'system:anonymous'],
    [`the service account was known (${saBefore.user}) but forbidden (${saBefore.code}) until a RoleBinding allowed it (${saAfter.code})`, saBefore.code === 403 && saAfter.code === 200 && saBefore.user.startsWith('system:serviceaccount:')],
    [`an allowed user's pods were refused by admission plugins: ResourceQuota (${quotaRefusal?.code ?? 'no refusal'}) and LimitRanger (${limitRefusal?.code ?? 'no refusal'})`, !!quotaRefusal && !!limitRefusal],
  ];
  // The same checks in Chinese, in the same order.
  const checksZh = [
    `由其他 CA 签发、自称 system:masters 的证书${foreign.code ? `被当作未认证请求拒绝（${foreign.code}）` : `在 TLS 握手阶段、尚未进入 HTTP 就被拒绝（${foreign.message}）`}`,
    `伪造的 token 同样被拒绝（${token.code}）`,
    `不带凭据时调用者被识别为 ${anonymous.user || '（无）'}，随后被禁止访问（${anonymous.code}）`,
    `ServiceAccount 能被识别（${saBefore.user}），但在 RoleBinding 授权之前被禁止访问（${saBefore.code}），授权之后才放行（${saAfter.code}）`,
    `已获授权用户创建的 Pod 被准入插件拒绝：ResourceQuota（${quotaRefusal?.code ?? '未拒绝'}）和 LimitRanger（${limitRefusal?.code ?? '未拒绝'}）`,
  ];
  const failed = checks.filter(([, ok]) => !ok);
  const failedZh = checksZh.filter((_, i) => !checks[i]![1]);
  if (failed.length) return { id: 'k8s.apiserver.authn-authz-admission', verdict: 'refuted', summary: `Not the three gates as stated: ${failed.map(([what]) => what).join('; ')}.`, summaryZh: `与所述的三道关卡不符：${failedZh.join('；')}。`, observed, evidence };
  return { id: 'k8s.apiserver.authn-authz-admission', verdict: 'confirmed', summary: `Three gates, each seen stopping a request: ${checks.map(([what]) => what).join('; ')}. Authentication answers 401 (who are you?), authorization 403 naming the user, admission 403 naming the plugin's rule.`, summaryZh: `三道关卡，每一道都被观察到拦下了请求：${checksZh.join('；')}。认证不通过返回 401（你是谁？），鉴权不通过返回 403 并指明用户，准入不通过返回 403 并指明插件的规则。`, observed, evidence };
}

export function judgeQuotaLimits(o: ApiserverObservation): ClaimResult {
  const q = o.quota;
  const pod = (name: string, ns: ApiserverObservation['pods'][number]['namespace']) => o.pods.find((p) => p.pod === name && p.namespace === ns);
  const [first, second, big, elsewhere] = [pod('first', 'with quota and limits'), pod('second', 'with quota and limits'), pod('one-cpu', 'with quota and limits'), pod('second', 'without')];
  const observed = { ...q, firstStoredCpu: first?.storedCpuRequest ?? null, secondCode: second?.code ?? null, oneCpuCode: big?.code ?? null, sameSecondPodElsewhereCode: elsewhere?.code ?? null };
  const evidence: Evidence[] = [{ kind: 'table', title: 'The namespace before and after a ResourceQuota and a LimitRange were put in it', columns: ['', 'observed'], rows: [['ResourceQuotas / LimitRanges in a new namespace', `${q.quotasInNewNamespace} / ${q.limitRangesInNewNamespace}`], ['quota: pods used / hard', `${q.usedPods} / ${q.hardPods}`], ['LimitRange: max / default CPU request', `${q.limitMaxCpu} / ${q.limitDefaultCpu}`], ['pod asking for nothing: stored CPU request', first?.storedCpuRequest ?? '-'], ['second pod', second ? `${second.code} ${second.message}` : '-'], ['pod asking for 1 CPU', big ? `${big.code} ${big.message}` : '-'], ['the second pod in a namespace without them', elsewhere ? String(elsewhere.code) : '-']] }];
  if (!first || !second || !big || !elsewhere) return { id: 'k8s.namespace.quota-limits', verdict: 'unverifiable', summary: 'Not every pod was tried.', summaryZh: '并非每个 Pod 都已尝试创建。', observed, evidence };
  const works = first.code === 201 && first.storedCpuRequest === q.limitDefaultCpu && second.code === 403 && /exceeded quota/.test(second.message) && big.code === 403 && /maximum cpu usage/.test(big.message) && elsewhere.code === 201;
  if (!works) return { id: 'k8s.namespace.quota-limits', verdict: 'refuted', summary: `The namespace's quota and limits did not hold: first pod ${first.code} (CPU ${first.storedCpuRequest}), second ${second.code}, one CPU ${big.code}, the second elsewhere ${elsewhere.code}.`, summaryZh: `命名空间的配额和限制没有生效：第一个 Pod ${first.code}（CPU ${first.storedCpuRequest}），第二个 ${second.code}，申请 1 CPU 的 ${big.code}，放到别的命名空间中的第二个 Pod ${elsewhere.code}。`, observed, evidence };
  return {
    id: 'k8s.namespace.quota-limits',
    verdict: 'confirmed',
    summary: `A new namespace carries ${q.quotasInNewNamespace} ResourceQuotas and ${q.limitRangesInNewNamespace} LimitRanges; once they are put in it they hold for that namespace alone: the pod asking for nothing was stored with the LimitRange's ${first.storedCpuRequest} CPU, the quota (${q.usedPods}/${q.hardPods} pods) refused a second pod ("${second.message}"), the LimitRange refused 1 CPU ("${big.message}"), and the same second pod was accepted in a namespace without them.`,
    summaryZh: `新建的命名空间带有 ${q.quotasInNewNamespace} 个 ResourceQuota 和 ${q.limitRangesInNewNamespace} 个 LimitRange；放入之后，它们只对该命名空间生效：不申请任何资源的 Pod 被存储时带上了 LimitRange 给的 ${first.storedCpuRequest} CPU，配额（${q.usedPods}/${q.hardPods} 个 Pod）拒绝了第二个 Pod（“${second.message}”），LimitRange 拒绝了 1 CPU 的请求（“${big.message}”），而同样的第二个 Pod 在没有这些约束的命名空间中被接受了。`,
    observed,
    evidence,
  };
}

export function judgeSecretTypes(o: ApiserverObservation): ClaimResult {
  const made = (how: string) => o.secrets.find((s) => s.made === how);
  const [generic, registry, tls, tlsNoKey, literal] = ['kubectl create secret generic', 'kubectl create secret docker-registry', 'kubectl create secret tls', 'API: type kubernetes.io/tls without tls.key', 'API: type "docker-registry"'].map(made);
  const observed = { secrets: o.secrets.map((s) => ({ made: s.made, code: s.code, type: s.type, keys: s.keys })) };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Secrets made three ways with kubectl and two through the API: the type stored', columns: ['made with', 'HTTP status', 'stored type', 'keys', 'message'], rows: o.secrets.map((s) => [s.made, s.code, s.type ?? '-', s.keys.join(', '), s.message]) }];
  if (!generic || !registry || !tls || !tlsNoKey || !literal) return { id: 'k8s.secret.types', verdict: 'unverifiable', summary: 'Not every Secret was tried.', summaryZh: '并非每个 Secret 都已尝试创建。', observed, evidence };
  const failed = [generic, registry, tls].filter((s) => s.code !== 201);
  if (failed.length) return { id: 'k8s.secret.types', verdict: 'unverifiable', summary: `kubectl could not make ${failed.map((s) => `${s.name} (${s.message})`).join('; ')}.`, summaryZh: `kubectl 无法创建 ${failed.map((s) => `${s.name}（${s.message}）`).join('；')}。`, observed, evidence };
  if (generic.type !== 'Opaque' || !registry.type || !tls.type) return { id: 'k8s.secret.types', verdict: 'refuted', summary: `kubectl's secrets were stored as ${generic.type}, ${registry.type}, ${tls.type}.`, summaryZh: `kubectl 创建的 Secret 存储的类型为 ${generic.type}、${registry.type}、${tls.type}。`, observed, evidence };
  const namesDiffer = registry.type !== 'docker-registry' || tls.type !== 'tls';
  if (!namesDiffer) return { id: 'k8s.secret.types', verdict: 'confirmed', summary: `The types were stored as named: ${generic.type}, ${registry.type}, ${tls.type}.`, summaryZh: `存储的类型与名称一致：${generic.type}、${registry.type}、${tls.type}。`, observed, evidence };
  return {
    id: 'k8s.secret.types',
    verdict: 'nuanced',
    summary: `Opaque is a type, but docker-registry and tls are kubectl's command names: the Secrets were stored as ${registry.type} (key ${registry.keys.join(', ')}) and ${tls.type} (keys ${tls.keys.join(', ')}). ${tlsNoKey.code === 422 ? `Those types are checked: a kubernetes.io/tls Secret without tls.key was refused (${tlsNoKey.code}: ${tlsNoKey.message}).` : `A kubernetes.io/tls Secret without tls.key was not refused as invalid (${tlsNoKey.code}).`} A Secret whose type is the word docker-registry was ${literal.code === 201 ? `accepted (${literal.code}) as a custom type, unchecked and useless as pull credentials` : `refused (${literal.code})`}.`,
    summaryZh: `Opaque 是一种类型，但 docker-registry 和 tls 只是 kubectl 的命令名：这两个 Secret 实际存储的类型是 ${registry.type}（键 ${registry.keys.join(', ')}）和 ${tls.type}（键 ${tls.keys.join(', ')}）。${tlsNoKey.code === 422 ? `这些类型会被校验：缺少 tls.key 的 kubernetes.io/tls Secret 被拒绝（${tlsNoKey.code}：${tlsNoKey.message}）。` : `缺少 tls.key 的 kubernetes.io/tls Secret 没有被当作非法拒绝（${tlsNoKey.code}）。`}type 直接写成 docker-registry 这个词的 Secret ${literal.code === 201 ? `被接受了（${literal.code}），成为一种自定义类型，既不受校验，也不能用作拉取镜像的凭据` : `被拒绝了（${literal.code}）`}。`,
    observed,
    evidence,
  };
}

/** One request with curl: its HTTP status and parsed body, or status 0 and curl's error when no HTTP answer came. */
async function curl(url: string, args: string[]): Promise<{ code: number; body: Record<string, unknown> }> {
  const out = await execOutcome('curl', ['-sS', '--max-time', '10', ...args, '-w', '\n%{http_code}', url]);
  if (out.exitCode !== 0) return { code: 0, body: { message: out.stderr.replace(/^curl: \(\d+\) /, '') } };
  const lines = out.stdout.split('\n');
  const code = Number(lines.pop());
  const text = lines.join('\n');
  return { code, body: text.startsWith('{') ? JSON.parse(text) : { message: text } };
}

async function foreignClientCert(dir: string): Promise<string[]> {
  const sh = (script: string) => exec('sh', ['-c', script], { cwd: dir });
  await sh(`openssl ecparam -name prime256v1 -genkey -noout -out foreign-ca.key && openssl req -x509 -new -key foreign-ca.key -subj /CN=foreign-ca -days 1 -out foreign-ca.crt 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out intruder.key && openssl req -new -key intruder.key -subj "/O=system:masters/CN=intruder" 2>/dev/null | openssl x509 -req -CA foreign-ca.crt -CAkey foreign-ca.key -set_serial 1 -days 1 -out intruder.crt 2>/dev/null`);
  return ['--cert', join(dir, 'intruder.crt'), '--key', join(dir, 'intruder.key')];
}

export default defineLab({
  id: 'k8s-apiserver',
  title: "The apiserver's gates (authentication, authorization, admission), a namespace's quota and limits, the types of Secret",
  topic: 'k8s',
  claims: ['k8s.apiserver.authn-authz-admission', 'k8s.namespace.quota-limits', 'k8s.secret.types'],
  requires: ['root', 'docker', 'kubernetes', 'kubernetes-node'],
  timeLimitMs: 120_000,
  handout: {
    starts: "The run's Kubernetes cluster.",
    does: 'The same request with a foreign client certificate, a made-up token, no credentials, and a service account before and after a RoleBinding; a ResourceQuota (1 pod) and a LimitRange (CPU ≤ 500m, 100m by default) and four pods against them; Secrets made with kubectl generic, docker-registry and tls, and two through the API.',
    observes: "Each HTTP status, message and the user the apiserver saw; the pods' stored CPU requests and the quota's status; the Secrets' stored types and keys.",
    zh: {
      title: 'apiserver 的三道关卡（认证、鉴权、准入）、命名空间的配额与限制、Secret 的各种类型',
      starts: '本次运行的 Kubernetes 集群。',
      does: '同一个请求分别使用非本集群签发的客户端证书、伪造的 token、不带任何凭据，以及在创建 RoleBinding 前后使用同一个 ServiceAccount 发出；创建一个 ResourceQuota（1 个 Pod）和一个 LimitRange（CPU ≤ 500m，默认 100m），再用四个 Pod 去触碰这些限制；用 kubectl 的 generic、docker-registry 和 tls 各创建一个 Secret，另外通过 API 直接创建两个。',
      observes: '每次请求的 HTTP 状态码、消息，以及 apiserver 识别出的用户；Pod 实际存储的 CPU request 和配额状态；各 Secret 存储的类型和键。',
    },
  },
  needs: { shared: { kube: kubernetesCluster } },
  async run(ctx) {
    const kube = ctx.shared.kube;
    ctx.environment.kubernetes = kube.version;
    const namespace = await kube.namespace(ctx.scope, 'apiserver');
    const free = await kube.namespace(ctx.scope, 'apiserver-free');
    const image = await kube.loadImage('backend');
    const api = kube.env.API_SERVER!;
    const ca = ['--cacert', join(kube.env.STATE_DIR!, 'pki/ca.crt')];
    const rbac = kube.config.makeApiClient(k8s.RbacAuthorizationV1Api);
    const listPods = `${api}/api/v1/namespaces/${namespace}/pods`;
    const whoAmI = async (auth: string[]) => {
      const review = await curl(`${api}/apis/authentication.k8s.io/v1/selfsubjectreviews`, [...ca, ...auth, '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}']);
      return ((review.body.status as { userInfo?: { username?: string } } | undefined)?.userInfo?.username as string) ?? '';
    };
    const requests: ApiserverObservation['requests'] = [];
    const attempt = async (credentials: string, auth: string[]) => {
      const answer = await curl(listPods, [...ca, ...auth]);
      const message = answer.code === 200 ? `${(answer.body.items as unknown[] | undefined)?.length ?? 0} pods listed` : String(answer.body.message ?? '');
      // A caller may not be allowed to ask who it is (anonymous is not): then the refusal names it.
      const user = (await whoAmI(auth)) || (message.match(/^\S+ is forbidden: User "([^"]+)"/)?.[1] ?? '');
      requests.push({ credentials, code: answer.code, user, message });
    };

    ctx.step('authentication and authorization: one request, five kinds of credentials');
    await attempt('client certificate from another CA, O=system:masters', await foreignClientCert(ctx.workDir));
    await attempt('a made-up bearer token', ['-H', 'Authorization: Bearer made-up-token']);
    await attempt('no credentials', []);
    await kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    const token = (await kube.core.createNamespacedServiceAccountToken({ name: 'reader', namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } })).status!.token;
    const bearer = ['-H', `Authorization: Bearer ${token}`];
    await attempt('service account token, no RoleBinding', bearer);
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace, body: { metadata: { name: 'reader-reads-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }] } });
    await until(async () => (await curl(listPods, [...ca, ...bearer])).code === 200, 10_000, 'the RoleBinding to take effect', 200).catch(() => undefined); // else the next request shows it did not
    await attempt('service account token, after a RoleBinding', bearer);

    ctx.step('admission: a ResourceQuota and a LimitRange in the namespace, and pods against them');
    const quotasInNewNamespace = (await kube.core.listNamespacedResourceQuota({ namespace })).items.length;
    const limitRangesInNewNamespace = (await kube.core.listNamespacedLimitRange({ namespace })).items.length;
    await kube.core.createNamespacedLimitRange({ namespace, body: { metadata: { name: 'bounds' }, spec: { limits: [{ type: 'Container', max: { cpu: '500m' }, defaultRequest: { cpu: '100m' }, _default: { cpu: '200m' } }] } } });
    await kube.core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'one-pod' }, spec: { hard: { pods: '1' } } } });
    await until(async () => !!(await kube.core.readNamespacedResourceQuota({ name: 'one-pod', namespace })).status?.hard, 15_000, "the quota's status", 100);
    const pods: ApiserverObservation['pods'] = [];
    const tryPod = async (pod: string, where: string, label: ApiserverObservation['pods'][number]['namespace'], cpu?: string) => {
      const body = { metadata: { name: pod }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image, imagePullPolicy: 'Never', command: ['sleep', 'infinity'], ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}) }] } };
      const result = await kube.core.createNamespacedPod({ namespace: where, body }).then((p) => ({ code: 201, message: '', storedCpuRequest: p.spec?.containers[0]?.resources?.requests?.cpu ?? null }), (e) => ({ ...apiRefusal(e), storedCpuRequest: null }));
      pods.push({ pod, namespace: label, asked: cpu ? `${cpu} CPU` : 'nothing', ...result });
    };
    // The pod asking for 1 CPU first, while the quota still has room: only the LimitRange can refuse it.
    await tryPod('one-cpu', namespace, 'with quota and limits', '1');
    await tryPod('first', namespace, 'with quota and limits');
    await tryPod('second', namespace, 'with quota and limits');
    await tryPod('second', free, 'without');
    await until(async () => (await kube.core.readNamespacedResourceQuota({ name: 'one-pod', namespace })).status?.used?.pods === '1', 15_000, "the quota's usage", 100).catch(() => undefined);
    const quota = await kube.core.readNamespacedResourceQuota({ name: 'one-pod', namespace });

    ctx.step('Secrets: kubectl generic, docker-registry, tls; then two through the API');
    await exec('sh', ['-c', 'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout tls.key -out tls.crt -subj /CN=web.example -days 1 2>/dev/null'], { cwd: ctx.workDir });
    const secrets: ApiserverObservation['secrets'] = [];
    const describeSecret = async (made: string, name: string, outcome: Answer) => {
      const stored = outcome.code === 201 ? await kube.core.readNamespacedSecret({ name, namespace }) : undefined;
      secrets.push({ made, name, code: outcome.code, type: stored?.type ?? null, keys: Object.keys(stored?.data ?? {}).sort(), message: outcome.message });
    };
    const kubectl = (args: string[]) => kube.kubectl(['-n', namespace, ...args]).then(() => ({ code: 201, message: '' }), (e: Error) => ({ code: 0, message: e.message.split('\n').at(-1) ?? '' }));
    await describeSecret('kubectl create secret generic', 'generic', await kubectl(['create', 'secret', 'generic', 'generic', '--from-literal=password=s3cret']));
    await describeSecret('kubectl create secret docker-registry', 'registry', await kubectl(['create', 'secret', 'docker-registry', 'registry', '--docker-server=registry.example', '--docker-username=learner', '--docker-password=s3cret']));
    await describeSecret('kubectl create secret tls', 'tls', await kubectl(['create', 'secret', 'tls', 'tls', `--cert=${join(ctx.workDir, 'tls.crt')}`, `--key=${join(ctx.workDir, 'tls.key')}`]));
    const viaApi = (name: string, type: string, data: Record<string, string>) => kube.core.createNamespacedSecret({ namespace, body: { metadata: { name }, type, stringData: data } }).then(() => ({ code: 201, message: '' }), (e) => apiRefusal(e));
    await describeSecret('API: type kubernetes.io/tls without tls.key', 'tls-no-key', await viaApi('tls-no-key', 'kubernetes.io/tls', { 'tls.crt': 'not really a certificate' }));
    await describeSecret('API: type "docker-registry"', 'literal-registry', await viaApi('literal-registry', 'docker-registry', { password: 's3cret' }));

    const limit = (await kube.core.readNamespacedLimitRange({ name: 'bounds', namespace })).spec?.limits[0] ;
    const observation: ApiserverObservation = {
      requests,
      quota: { quotasInNewNamespace, limitRangesInNewNamespace, hardPods: quota.status?.hard?.pods ?? '', usedPods: quota.status?.used?.pods ?? '', limitMaxCpu: limit?.max?.cpu ?? '', limitDefaultCpu: limit?.defaultRequest?.cpu ?? '' },
      pods,
      secrets,
    };
    const kept = keptJson(ctx, 'apiserver.json', observation, 'requests, pods and Secrets with the answers (JSON)');
    return [withEvidence(judgeGates(observation), ...kept), judgeQuotaLimits(observation), judgeSecretTypes(observation)];
  },
});
