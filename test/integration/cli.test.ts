/** What a user sees at the command line: listings, coverage, doctor, and one-line errors for bad input. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_LABS, labs } from '../helpers/cli.ts';

const oneLineError = (stderr: string, pattern: RegExp) => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr.trim()).toMatch(pattern);
};

describe('labs list, show, coverage, doctor', () => {
  it("shows a lab's handout and its claims in both languages, or a claim without a lab, running nothing", async () => {
    const lab = await labs(['show', 'k8s-etcd-quorum']);
    expect(lab.exitCode).toBe(0);
    expect(lab.stdout).toContain('starts:    Five hosts on a LAN');
    expect(lab.stdout).toContain('etcd is deployed for high availability, usually with an odd number of members (3, 5, 7).');
    expect(lab.stdout).toContain('etcd 支持高可用部署');
    const zh = await labs(['show', 'k8s-etcd-quorum', '--lang', 'zh']);
    expect(zh.stdout).toContain('k8s-etcd-quorum  [k8s]  1 到 5 个成员的 etcd 集群');
    expect(zh.stdout).toContain('启动：同一局域网上的五台主机');
    const claim = JSON.parse((await labs(['show', 'tcp.handshake.why-three', '--json'])).stdout);
    expect(claim.lab).toBeNull();
    expect(claim.claims[0]).toMatchObject({ id: 'tcp.handshake.why-three', section: 'TCP 协议 › 三次握手' });
    const viaClaim = JSON.parse((await labs(['show', 'k8s.scheduler.filters', '--json'])).stdout);
    expect(viaClaim.lab.id).toBe('k8s-nodes');
    expect(viaClaim.claims.map((c: { id: string }) => c.id)).toEqual(['k8s.daemonset.per-node', 'k8s.scheduler.filters', 'k8s.network.cross-node-path']);
  });

  it('lists labs as JSON with their claim ids', async () => {
    const result = await labs(['list', '--json']);
    expect(result.exitCode).toBe(0);
    const { labs: rows } = JSON.parse(result.stdout);
    expect(rows).toContainEqual(expect.objectContaining({ id: 'tcp-lifecycle', topic: 'tcp', claims: expect.arrayContaining(['tcp.handshake.three-way', 'tcp.close.time-wait']) }));
  });

  it('reports coverage per topic over the whole catalog', async () => {
    const { topics } = JSON.parse((await labs(['coverage', '--json'])).stdout);
    const tcp = topics.find((t: { topic: string }) => t.topic === 'tcp');
    expect(tcp.withLab).toBeGreaterThanOrEqual(7);
    expect(tcp.claims).toBeGreaterThan(tcp.withLab);
    const kafka = topics.find((t: { topic: string }) => t.topic === 'kafka');
    expect(kafka.withLab).toBeGreaterThanOrEqual(4);
    const quic = topics.find((t: { topic: string }) => t.topic === 'quic');
    // Every QUIC claim has a lab except two the captures cannot decide: deployment without an OS upgrade, and loss
    // detection "by timestamps" (the sender's own timing is not on the wire).
    const quicAddedWithoutLab = ['quic.deploy.no-os-upgrade', 'quic.loss.detection'];
    expect([...quic.without].sort()).toEqual([...quicAddedWithoutLab].sort());
    expect(quic.withLab).toBe(quic.claims - quicAddedWithoutLab.length);
    expect(tcp.without).toContain('tcp.handshake.why-three');
  });

  it('doctor tells the truth about this machine', async () => {
    const { capabilities, labs: enabled } = JSON.parse((await labs(['doctor', '--json'])).stdout);
    expect(capabilities.root.ok).toBe(process.getuid?.() === 0);
    for (const tool of ['tcpdump', 'tshark', 'ss', 'netns', 'iptables']) expect(capabilities[tool].ok, tool).toBe(true);
    expect(enabled).toContainEqual(expect.objectContaining({ id: 'tcp-lifecycle', runnable: true }));
    // Which Kubernetes provider a run will use, and why (as root, with the build make's set-up made).
    expect(capabilities.kubernetes.detail).toMatch(capabilities.root.ok ? /^local provider \(the default; --cluster kind, --cluster existing or --context NAME uses another cluster\): one node on this host/ : /^local provider: root: /);
    expect(capabilities['kubernetes-node'].ok).toBe(capabilities.root.ok);
  });
});

describe('bad input: one line, non-zero exit', () => {
  it('an unknown lab id', async () => {
    const result = await labs(['run', 'no-such-lab']);
    expect(result.exitCode).toBe(2);
    oneLineError(result.stderr, /^labs: unknown lab or claim "no-such-lab" \(see `labs list`\)$/);
  });

  it('a claim that has no lab yet', async () => {
    const result = await labs(['run', 'tcp.handshake.why-three']);
    expect(result.exitCode).toBe(2);
    oneLineError(result.stderr, /claim "tcp.handshake.why-three" has no lab yet/);
  });

  it('a malformed lab file', async () => {
    const result = await labs(['list', '--labs-dir', join(FIXTURE_LABS, 'malformed')]);
    expect(result.exitCode).toBe(2);
    oneLineError(result.stderr, /^labs: malformed lab .*bad\.lab\.ts: timeLimitMs: /);
  });

  it('a mistyped name gets the nearest valid one: lab, claim, topic, command, flag', async () => {
    for (const [args, hint] of [
      [['run', 'tcp-lifecyle'], /unknown lab or claim "tcp-lifecyle" \(did you mean "tcp-lifecycle"\?\)/],
      [['show', 'k8s.probe.liveness-restart'], /did you mean "k8s.probe.liveness-restarts"\?/],
      [['list', '--topic', 'k8z'], /no labs for topic "k8z" \(did you mean "k8s"\?\)/],
      [['run', '--topic', 'nosuchthing'], /no labs for topic "nosuchthing" \(topics with labs: dns, docker,/],
      [['lst'], /unknown command "lst" \(did you mean "list"\?\)/],
      [['list', '--jsn'], /Unknown option '--jsn' \(did you mean "--json"\?\)/],
      [['run', 'tcp-lifecycle', '--lang', 'fr'], /--lang takes en or zh, not "fr"/],
    ] as const) {
      const result = await labs([...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      oneLineError(result.stderr, hint);
    }
  });

  it('an unknown command, flag or --jobs value', async () => {
    oneLineError((await labs(['frobnicate'])).stderr, /unknown command "frobnicate"/);
    oneLineError((await labs(['run', '--colour'])).stderr, /Unknown option '--colour'/);
    const jobs = await labs(['run', 'tcp-lifecycle', '--jobs', '0']);
    expect(jobs.exitCode).toBe(2);
    oneLineError(jobs.stderr, /--jobs takes a whole number from 1 to 64, not "0"/);
  });

  it('a --repeat or --retries out of its range', async () => {
    const result = await labs(['run', 'os-memory', '--repeat', '0']);
    expect(result.exitCode).toBe(2);
    oneLineError(result.stderr, /--repeat takes a whole number from 1 to 100, not "0"/);
    const retries = await labs(['run', 'os-memory', '--retries', '9']);
    expect(retries.exitCode).toBe(2);
    oneLineError(retries.stderr, /--retries takes a whole number from 0 to 5, not "9"/);
  });

  it('a malformed baseline is refused before anything runs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'labs-cli-')), 'expect.json');
    writeFileSync(file, '{ not json');
    const result = await labs(['run', 'tcp-lifecycle', '--expect', file]);
    expect(result.exitCode).toBe(2);
    oneLineError(result.stderr, /^labs: malformed baseline /);
  });

  it('a bad --cluster or --context, and an existing cluster the run cannot put images into', async () => {
    const bad = await labs(['run', 'k8s-jobs', '--cluster', 'cloud']);
    expect(bad.exitCode).toBe(2);
    oneLineError(bad.stderr, /^labs: --cluster takes local, kind or existing, not "cloud"$/);
    const both = await labs(['doctor', '--cluster', 'local', '--context', 'kind-labs']);
    expect(both.exitCode).toBe(2);
    oneLineError(both.stderr, /--context names a kubeconfig context: it goes with --cluster existing, not local/);
    const kind = await labs(['run', 'k8s-jobs', '--cluster', 'kind', '--context', 'kind-labs']);
    expect(kind.exitCode).toBe(2);
    oneLineError(kind.stderr, /--context names a kubeconfig context: it goes with --cluster existing, not kind/);
    const env = await labs(['list'], { env: { LABS_CLUSTER: 'minikube' } });
    expect(env.exitCode).toBe(2);
    oneLineError(env.stderr, /^labs: LABS_CLUSTER is "minikube"; it takes local, kind or existing$/);
    const noLoader = await labs(['run', 'k8s-jobs', '--cluster', 'existing', '--json'], { env: { LABS_CLUSTER_LOAD_IMAGE: '' } });
    expect(noLoader.exitCode).toBe(1);
    const lab = JSON.parse(noLoader.stdout).labs[0];
    expect(lab.status).toBe('skipped');
    expect(lab.reason).toMatch(/^missing requirement: kubernetes \(the existing provider needs LABS_CLUSTER_LOAD_IMAGE, a command that puts a local image \{image\} into every node/);
  });

  it('a bad --on, --parallel or --node-selector, and --on kubernetes without a cluster to run on', async () => {
    const cases: [string[], RegExp][] = [
      [['--on', 'docker'], /^labs: --on takes kubernetes, not "docker"$/],
      [['--parallel', '2'], /^labs: --parallel goes with --on kubernetes$/],
      [['--node-selector', 'kernel=6'], /^labs: --node-selector goes with --on kubernetes$/],
      [['--on', 'kubernetes', '--parallel', '0'], /^labs: --parallel takes a whole number from 1 to 64, not "0"$/],
      [['--on', 'kubernetes', '--node-selector', 'kernel'], /^labs: --node-selector takes labels as K=V\[,K=V\], not "kernel"$/],
      [['--on', 'kubernetes', '--workshop'], /^labs: --workshop runs a lab in front of the room, on this host; it does not mix with --on$/],
    ];
    for (const [flags, error] of cases) {
      const result = await labs(['run', 'ip-header', ...flags]);
      expect(result.exitCode, flags.join(' ')).toBe(2);
      oneLineError(result.stderr, error);
    }
    // A cluster that cannot be reached is a missing engine: nothing is started, and the run says why.
    const unreachable = await labs(['run', 'ip-header', '--on', 'kubernetes', '--context', 'nowhere'], { env: { LABS_CLUSTER_LOAD_IMAGE: 'true {image}', KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(unreachable.exitCode).toBe(2);
    oneLineError(unreachable.stderr, /^labs: --on kubernetes needs a cluster: /);
  });

  it('a missing engine skips the lab that needs it, says why and exits non-zero', async () => {
    const result = await labs(['run', 'throws', '--labs-dir', join(FIXTURE_LABS, 'cleanup'), '--json'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(result.exitCode).toBe(1);
    const lab = JSON.parse(result.stdout).labs[0];
    expect(lab.status).toBe('skipped');
    expect(lab.reason).toMatch(/^missing requirement: docker \(/);
  });
});

describe('labs run --repeat, and drift from a baseline', () => {
  it('runs a lab twice, lists each claim\'s verdicts, and makes a drifted verdict a JUnit failure and a non-zero exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'labs-repeat-'));
    const baseline = join(dir, 'expect.json');
    const expected = JSON.parse(readFileSync(new URL('../../labs/expected-verdicts.json', import.meta.url), 'utf8')) as Record<string, string>;
    // A baseline that says the opposite of what os-memory's stack claim has given on every run so far.
    writeFileSync(baseline, JSON.stringify({ ...expected, 'os.memory.stack-grows-down': 'refuted' }));
    const junit = join(dir, 'junit.xml');
    const result = await labs(['run', 'os-memory', '--repeat', '2', '--json', '--expect', baseline, '--junit', junit]);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { repeats: { runs: number; verdicts: Record<string, string[]> }; labs: { claims: { id: string; verdict: string; expected: string | null }[] }[] };
    expect(report.repeats.runs).toBe(2);
    expect(Object.keys(report.repeats.verdicts).sort()).toEqual(['os.memory.contiguity', 'os.memory.layout', 'os.memory.stack-faster', 'os.memory.stack-grows-down']);
    for (const seen of Object.values(report.repeats.verdicts)) expect(seen).toHaveLength(2);
    const stack = report.labs[0]!.claims.find((c) => c.id === 'os.memory.stack-grows-down')!;
    expect(stack.expected).toBe('refuted');
    expect(result.stderr).toMatch(/run 1 of 2[\s\S]*run 2 of 2/);
    expect(result.stderr).toContain(`os.memory.stack-grows-down: expected refuted, got ${stack.verdict}`);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`<failure type="drift" message="verdict drifted: expected refuted, got ${stack.verdict}">`);
    expect(xml).toMatch(/<testsuite name="os-memory" tests="4" errors="0" skipped="0" failures="1"/);
  });

  it('prints the verdicts over the runs in the terminal, flips last', async () => {
    const result = await labs(['run', 'os-memory', '--repeat', '2']);
    expect(result.stdout).toContain('verdicts over 2 runs:');
    expect(result.stdout).toMatch(/os\.memory\.stack-faster\s+confirmed ×2/);
  });
});

describe('labs report', () => {
  it('renders an earlier --json run, and refuses results that are not one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'labs-report-'));
    const results = join(dir, 'results.json');
    writeFileSync(results, JSON.stringify({ runId: 'deadbeef', startedAt: '2026-01-01T00:00:00Z', labs: [{ id: 'x', title: 'x', topic: 'tcp', status: 'passed', durationMs: 1, environment: {}, claims: [{ id: 'tcp.header.length', verdict: 'nuanced', summary: 'a summary', observed: {}, evidence: [] }] }] }));
    const out = join(dir, 'html');
    expect((await labs(['report', results, '--report', out, '--junit', join(dir, 'junit.xml')])).exitCode).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('a summary');
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('name="tcp.header.length"');
    writeFileSync(results, '{"nope": 1}');
    const bad = await labs(['report', results, '--report', out]);
    expect(bad.exitCode).toBe(2);
    oneLineError(bad.stderr, /malformed results .*no "labs" array/);
  });
});
