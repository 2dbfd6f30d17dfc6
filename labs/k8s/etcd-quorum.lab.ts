/**
 * Lab: why etcd clusters have an odd number of members: how many members each size can lose and
 * still accept writes.
 *
 * Starts: five hosts on a LAN (network namespaces); on them, in turn, etcd clusters of 1 to 5
 * members (etcd v3.6, the one the Kubernetes build makes, with its default Raft timing: 100 ms
 * heartbeat, 1 s election timeout).
 *
 * Does: for each size, writes a key, then kills members one at a time (the last host first; the
 * first host's member is never killed) and after each kill writes again through the first member,
 * trying for up to 12 s (the survivors may have to elect a new leader first).
 *
 * Observes: whether each write was accepted, after how long and how many attempts; so, per size,
 * the failures it survived and the quorum it needs.
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { execOutcome, spawnLabelled } from '../../src/resources/process.ts';
import { buildKubernetes } from '../../src/systems/kubernetes.ts';

const MEMBERS = ['m1', 'm2', 'm3', 'm4', 'm5'] as const;
const address = (i: number) => `198.18.100.${i + 1}`;
const WRITE_WINDOW_MS = 12_000;
const ATTEMPT_TIMEOUT_MS = 3000;
const b64 = (text: string) => Buffer.from(text).toString('base64');

export interface QuorumObservation {
  /** Per cluster size: a write after each number of members killed (0 = all up). */
  sizes: { members: number; writes: { killed: number; accepted: boolean; ms: number; attempts: number; error: string }[] }[];
}

/** The most members a cluster lost with writes still accepted (-1 when even the healthy cluster refused). */
export function survivedFailures(writes: QuorumObservation['sizes'][number]['writes']): number {
  let survived = -1;
  for (const w of [...writes].sort((a, b) => a.killed - b.killed)) {
    if (!w.accepted) break;
    survived = w.killed;
  }
  return survived;
}

export function judgeOddMembers(o: QuorumObservation): ClaimResult {
  const tolerance = Object.fromEntries(o.sizes.map((s) => [s.members, survivedFailures(s.writes)]));
  const observed = { failuresSurvived: tolerance, quorum: Object.fromEntries(o.sizes.map((s) => [s.members, s.members - tolerance[s.members]!])) };
  const evidence: Evidence[] = [
    { kind: 'bars', title: 'Members an etcd cluster of each size lost while still accepting writes', bars: o.sizes.map((s) => ({ label: `${s.members} member${s.members > 1 ? 's' : ''}`, value: Math.max(0, tolerance[s.members]!) })) },
    { kind: 'table', title: `Each write after killing members (through the first member, ${WRITE_WINDOW_MS / 1000} s allowed)`, columns: ['members', 'killed', 'write', 'ms', 'attempts', 'last error'], rows: o.sizes.flatMap((s) => s.writes.map((w) => [s.members, w.killed, w.accepted ? 'accepted' : 'refused', w.ms, w.attempts, w.error])) },
  ];
  const sizes = [1, 2, 3, 4, 5];
  if (!sizes.every((n) => n in tolerance) || Object.values(tolerance).some((t) => t < 0)) return { id: 'k8s.etcd.odd-members', verdict: 'unverifiable', summary: 'Not every cluster size took a write while healthy, so what each survives could not be measured.', summaryZh: '并非每种规模的集群在健康时都接受了写入，因此无法测出各自能容忍多少故障。', observed, evidence };
  // Surviving more than a minority lost would refute majority quorums; surviving less is a cluster that did not settle in time.
  if (sizes.some((n) => tolerance[n]! > Math.floor((n - 1) / 2)) || tolerance[4]! > tolerance[3]! || tolerance[2]! > tolerance[1]!)
    return { id: 'k8s.etcd.odd-members', verdict: 'refuted', summary: `Even sizes are not wasted here: clusters of 1-5 survived ${sizes.map((n) => tolerance[n]).join(', ')} failures, more than a majority quorum allows.`, summaryZh: `偶数规模在这里并没有白费：1-5 个成员的集群分别容忍了 ${sizes.map((n) => tolerance[n]).join('、')} 个成员故障，超出了多数派法定人数（quorum）所允许的范围。`, observed, evidence };
  if (sizes.some((n) => tolerance[n]! < Math.floor((n - 1) / 2)))
    return { id: 'k8s.etcd.odd-members', verdict: 'unverifiable', summary: `Clusters of 1-5 survived ${sizes.map((n) => tolerance[n]).join(', ')} failures: some stopped accepting writes while a majority was still up, which says the cluster did not settle within ${WRITE_WINDOW_MS / 1000} s, not how many failures it tolerates.`, summaryZh: `1-5 个成员的集群分别容忍了 ${sizes.map((n) => tolerance[n]).join('、')} 个成员故障：有的集群在多数成员仍在线时就不再接受写入，这只说明集群没能在 ${WRITE_WINDOW_MS / 1000} s 内稳定下来，并不能说明它能容忍多少故障。`, observed, evidence };
  return {
    id: 'k8s.etcd.odd-members',
    verdict: 'confirmed',
    summary: `Clusters of 1, 2, 3, 4, 5 members kept accepting writes after losing ${sizes.map((n) => tolerance[n]).join(', ')} members: a write needs a majority (Raft quorum ${sizes.map((n) => Math.floor(n / 2) + 1).join(', ')}), so a 4th member adds no tolerance over 3 (and a 2nd none over 1) while one more member must answer each write. That is why members come in odd numbers; even numbers work, they only cost without helping.`,
    summaryZh: `1、2、3、4、5 个成员的集群在分别失去 ${sizes.map((n) => tolerance[n]).join('、')} 个成员后仍能接受写入：一次写入需要多数成员确认（Raft 法定人数依次为 ${sizes.map((n) => Math.floor(n / 2) + 1).join('、')}），所以从 3 个成员增加到 4 个并不能多容忍一个故障（从 1 个增加到 2 个也一样），反而每次写入都要多等一个成员应答。这就是成员数取奇数的原因；偶数也能工作，只是多付出成本而没有任何好处。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'k8s-etcd-quorum',
  title: 'etcd clusters of 1 to 5 members: the failures each survives',
  topic: 'k8s',
  claims: ['k8s.etcd.odd-members'],
  requires: ['root', 'kubernetes-build'],
  timeLimitMs: 180_000,
  handout: {
    starts: 'Five hosts on a LAN; etcd clusters of 1 to 5 members on them, one size at a time.',
    does: 'Writes a key, then kills members one by one (never the first) and writes again after each kill, trying for up to 12 s.',
    observes: 'Each write accepted or refused, its time and attempts: the failures each size survives.',
    zh: {
      title: '1 到 5 个成员的 etcd 集群：各自能容忍多少故障',
      starts: '同一局域网上的五台主机；在其上依次搭建 1 到 5 个成员的 etcd 集群，每次只运行一种规模。',
      does: '写入一个键，然后逐个杀掉成员（始终不杀第一个），每杀一个就再写一次，每次写入最多重试 12 s。',
      observes: '每次写入是被接受还是被拒绝、耗时和尝试次数，由此得出每种规模能容忍的故障数。',
    },
  },
  needs: {
    topology: {
      hosts: Object.fromEntries(MEMBERS.map((m) => [m, {}])),
      lans: [{ name: 'lan', members: MEMBERS.map((m, i) => [m, `${address(i)}/24`] as [string, string]) }],
    },
  },
  async run(ctx) {
    const etcd = join(await buildKubernetes(), 'bin/etcd');
    const sizes: QuorumObservation['sizes'] = [];
    // The members live in the LAN's namespaces: the writes go from the first host, as a client there would.
    const putOnce = (killed: number, timeoutMs: number) =>
      execOutcome('curl', ['-sS', '--max-time', String(timeoutMs / 1000), '-X', 'POST', '-d', JSON.stringify({ key: b64('labs/quorum'), value: b64(`after ${killed} killed`) }), `http://${address(0)}:2379/v3/kv/put`], { netns: ctx.hosts.m1!.netns });
    // After a kill the survivors may first have to elect a leader: a write counts as accepted if one
    // attempt succeeds within WRITE_WINDOW_MS; without a quorum none ever does.
    const put = async (killed: number) => {
      const started = Date.now();
      let error = '';
      let attempts = 0;
      while (Date.now() - started < WRITE_WINDOW_MS) {
        attempts++;
        const answer = await putOnce(killed, ATTEMPT_TIMEOUT_MS);
        if (answer.exitCode === 0 && answer.stdout.includes('"header"') && !answer.stdout.includes('"error"')) return { killed, accepted: true, ms: Date.now() - started, attempts, error: '' };
        error = answer.exitCode === 28 ? `no answer in ${ATTEMPT_TIMEOUT_MS} ms` : answer.stderr || answer.stdout;
      }
      return { killed, accepted: false, ms: Date.now() - started, attempts, error };
    };
    for (let size = 1; size <= MEMBERS.length; size++) {
      ctx.step(`a cluster of ${size}`);
      const scope = ctx.scope.child(`etcd cluster of ${size}`);
      const names = MEMBERS.slice(0, size);
      const initial = names.map((m, i) => `${m}=http://${address(i)}:2380`).join(',');
      const members = names.map((m, i) =>
        spawnLabelled(scope, ctx.runId, etcd, ['--name', m, '--data-dir', join(ctx.workDir, `size${size}`, m), '--listen-client-urls', `http://${address(i)}:2379`, '--advertise-client-urls', `http://${address(i)}:2379`, '--listen-peer-urls', `http://${address(i)}:2380`, '--initial-advertise-peer-urls', `http://${address(i)}:2380`, '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', `labs-${size}`, '--heartbeat-interval', '100', '--election-timeout', '1000', '--unsafe-no-fsync', '--log-level', 'error'], { netns: ctx.hosts[m]!.netns }),
      );
      const writes = [await put(0)];
      for (let killed = 1; killed < size && writes.at(-1)!.accepted; killed++) {
        await members[size - killed]!.stop('SIGKILL');
        writes.push(await put(killed));
      }
      sizes.push({ members: size, writes });
      await scope.close();
    }
    const observation: QuorumObservation = { sizes };
    const kept = keptJson(ctx, 'quorum.json', observation, 'every write after each kill (JSON)');
    return [withEvidence(judgeOddMembers(observation), ...kept)];
  },
});
