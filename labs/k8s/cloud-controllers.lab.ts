/**
 * Lab: which controllers the cloud-controller-manager has, against the sheet's four (Node, Route,
 * Service, Volume), and where the volume controllers are.
 *
 * Starts: nothing but the two controller managers of the Kubernetes build (v1.35.4): upstream's
 * cloud-controller-manager command and kube-controller-manager.
 *
 * Does: asks each for its flags (--help), and starts the cloud-controller-manager with an in-tree
 * cloud provider's name (and a kubeconfig pointing nowhere).
 *
 * Observes: the controllers each one lists under --controllers ("All controllers", "Disabled-by-default
 * controllers"), and what the cloud-controller-manager says when told to run a cloud it does not have.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { exec, execOutcome } from '../../src/resources/process.ts';
import { buildKubernetes } from '../../src/systems/kubernetes.ts';

/** The sheet's four controllers and how a controller name of the real program would show each. */
const SHEET_CONTROLLERS = [
  { sheet: 'Node Controller', matches: /node(?!-?ipam|-?route)/ },
  { sheet: 'Route Controller', matches: /route/ },
  { sheet: 'Service Controller', matches: /service/ },
  { sheet: 'Volume Controller', matches: /volume|attach/ },
] as const;

export interface CloudControllersObservation {
  cloudControllerManager: { all: string[]; disabledByDefault: string[] };
  kubeControllerManager: { all: string[]; disabledByDefault: string[] };
  /** The cloud-controller-manager's last words when started with --cloud-provider=gce. */
  withAnInTreeCloud: string;
}

/** The controller names a controller manager's --help lists for --controllers. */
export function parseControllers(help: string): { all: string[]; disabledByDefault: string[] } {
  const list = (label: string) =>
    (help.match(new RegExp(`${label}:[ \\t]*([^\\n]*)`))?.[1] ?? '')
      .replace(/\s*\(default .*\)$/, '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  return { all: list('All controllers'), disabledByDefault: list('Disabled-by-default controllers') };
}

export function judgeCloudControllers(o: CloudControllersObservation): ClaimResult {
  const ccm = o.cloudControllerManager.all;
  const found = SHEET_CONTROLLERS.map((c) => ({ sheet: c.sheet, controllers: ccm.filter((n) => c.matches.test(n)) }));
  const volumesInKcm = o.kubeControllerManager.all.filter((n) => /volume|attach/.test(n));
  const observed = { cloudControllerManager: ccm, sheetControllersFound: Object.fromEntries(found.map((f) => [f.sheet, f.controllers])), volumeControllersInKubeControllerManager: volumesInKcm, withAnInTreeCloud: o.withAnInTreeCloud };
  const evidence: Evidence[] = [
    { kind: 'table', title: "The sheet's cloud-controller-manager controllers against the program's own list", columns: ['the sheet', 'cloud-controller-manager v1.35 (--help)'], rows: found.map((f) => [f.sheet, f.controllers.join(', ') || '(none)']) },
    { kind: 'table', title: 'Controllers each controller manager lists for --controllers', columns: ['program', 'all controllers', 'disabled by default'], rows: [['cloud-controller-manager', ccm.join(', '), o.cloudControllerManager.disabledByDefault.join(', ') || '-'], ['kube-controller-manager', o.kubeControllerManager.all.join(', '), o.kubeControllerManager.disabledByDefault.join(', ') || '-']] },
    { kind: 'command', title: 'The cloud-controller-manager told to run an in-tree cloud', command: 'cloud-controller-manager --cloud-provider=gce ...', output: o.withAnInTreeCloud },
  ];
  if (!ccm.length || !o.kubeControllerManager.all.length) return { id: 'k8s.ccm.controllers', verdict: 'unverifiable', summary: 'A controller manager did not list its controllers.', summaryZh: '有一个控制器管理器没有列出它的控制器。', observed, evidence };
  const missing = found.filter((f) => !f.controllers.length).map((f) => f.sheet);
  if (!missing.length) return { id: 'k8s.ccm.controllers', verdict: 'confirmed', summary: `The cloud-controller-manager lists controllers for all four: ${found.map((f) => `${f.sheet}: ${f.controllers.join(', ')}`).join('; ')}.`, summaryZh: `cloud-controller-manager 为这四个都列出了对应的控制器：${found.map((f) => `${f.sheet}：${f.controllers.join(', ')}`).join('；')}。`, observed, evidence };
  return {
    id: 'k8s.ccm.controllers',
    verdict: 'refuted',
    summary: `The cloud-controller-manager of v1.35 lists ${ccm.join(', ')}: ${found.filter((f) => f.controllers.length).map((f) => `${f.sheet} → ${f.controllers.join(', ')}`).join('; ')}, but no ${missing.join(' or ')}. Volumes are the kube-controller-manager's business (${volumesInKcm.join(', ')}), and cloud disks are attached by CSI drivers, not by a cloud controller.${/unknown cloud provider|not registered/i.test(o.withAnInTreeCloud) ? ` The program also carries no cloud of its own: "${o.withAnInTreeCloud}".` : ''}`,
    summaryZh: `v1.35 的 cloud-controller-manager 列出的控制器是 ${ccm.join(', ')}：${found.filter((f) => f.controllers.length).map((f) => `${f.sheet} → ${f.controllers.join(', ')}`).join('；')}，但没有 ${missing.join(' 或 ')}。卷由 kube-controller-manager 负责（${volumesInKcm.join(', ')}），云盘由 CSI 驱动挂接，而不是由云控制器挂接。${/unknown cloud provider|not registered/i.test(o.withAnInTreeCloud) ? `该程序本身也不内置任何云提供商：“${o.withAnInTreeCloud}”。` : ''}`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'k8s-cloud-controllers',
  title: "The cloud-controller-manager's controllers against the sheet's four",
  topic: 'k8s',
  claims: ['k8s.ccm.controllers'],
  requires: ['kubernetes-build'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'Nothing but the cloud-controller-manager and kube-controller-manager of the Kubernetes build (v1.35.4).',
    does: 'Asks each for --help; starts the cloud-controller-manager with --cloud-provider=gce.',
    observes: 'The controllers each lists for --controllers, and what the cloud-controller-manager says about a cloud it does not have.',
    zh: {
      title: 'cloud-controller-manager 包含的控制器，与学习资料所列的四个对照',
      starts: '仅 Kubernetes 构建（v1.35.4）中的 cloud-controller-manager 和 kube-controller-manager，别无其他。',
      does: '分别查看两者的 --help；以 --cloud-provider=gce 启动 cloud-controller-manager。',
      observes: '两者在 --controllers 说明中各自列出的控制器，以及 cloud-controller-manager 面对一个它并未内置的云时给出的信息。',
    },
  },
  async run(ctx) {
    const bin = join(await buildKubernetes(), 'bin');
    ctx.environment.kubernetes = (await exec(join(bin, 'kube-controller-manager'), ['--version'])).trim();
    ctx.step('the controllers each controller manager lists');
    const help = async (program: string) => parseControllers((await execOutcome(join(bin, program), ['--help'])).output);
    const cloudControllerManager = await help('cloud-controller-manager');
    const kubeControllerManager = await help('kube-controller-manager');
    ctx.step('the cloud-controller-manager told to run an in-tree cloud');
    // A kubeconfig it must be given, pointing nowhere: it fails on the cloud before it would connect.
    const kubeconfig = join(ctx.workDir, 'nowhere.kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: none, user: {}}]\ncontexts: [{name: none, context: {cluster: none, user: none}}]\ncurrent-context: none\n');
    const started = await execOutcome(join(bin, 'cloud-controller-manager'), ['--cloud-provider=gce', `--kubeconfig=${kubeconfig}`, '--authentication-skip-lookup', '--leader-elect=false', '--secure-port=0'], { timeoutMs: 20_000 });
    const withAnInTreeCloud = started.output.split('\n').filter((l) => /cloud provider|unknown|not registered|could not/i.test(l)).at(-1)?.replace(/^[IEWF]\d{4} [\d:.]+\s+\d+ \S+\] /, '') ?? `exit ${started.exitCode}`;
    const observation: CloudControllersObservation = { cloudControllerManager, kubeControllerManager, withAnInTreeCloud };
    const kept = keptJson(ctx, 'controllers.json', observation, 'controller lists of both controller managers (JSON)');
    return [withEvidence(judgeCloudControllers(observation), ...kept)];
  },
});
