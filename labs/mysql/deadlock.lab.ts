/**
 * Lab: the four conditions of deadlock, provoked with two real InnoDB transactions, then broken one
 * at a time.
 *
 * Starts: a MySQL-compatible server in a container (MariaDB unless LABS_MYSQL_IMAGE says otherwise)
 * with a table of two rows, and three connections: two transactions and an observer.
 *
 * Does, 20 times per variant: T1 locks row 1 and T2 row 2; then T1 asks for row 2 and T2 for row 1.
 * The variants:
 *   - all four conditions: exclusive locks (UPDATE), each transaction holding one and waiting;
 *   - no mutual exclusion: shared locks (LOCK IN SHARE MODE), which do not exclude each other;
 *   - no hold-and-wait: each transaction takes both rows in one statement;
 *   - no circular wait: both lock row 1 before row 2;
 *   - preemption: the second request is NOWAIT, so a transaction that cannot have a lock gives up
 *     (and releases what it holds) instead of waiting.
 *
 * Observes: the errors the server returns (1213 deadlock, 1205/3572 lock wait) and the server's
 * LATEST DETECTED DEADLOCK report. The shared-lock variant also tests the sheet's remark that
 * mutual exclusion "usually cannot be broken".
 */
import type { Connection } from 'mysql2/promise';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { notObserved } from '../../src/core/verdict.ts';
import { startMysqlServer } from '../../src/systems/mysql-server.ts';
import type { Timeline } from '../../src/resources/timeline.ts';

export const ROUNDS = 20;

export interface VariantResult {
  name: string;
  condition: string;
  rounds: number;
  deadlocks: number;
  lockWaitErrors: number;
  completed: number;
}

const CONDITION_ZH: Record<string, string> = { 'mutual exclusion': '互斥', 'hold and wait': '持有并等待', 'circular wait': '循环等待', preemption: '不可剥夺' };

/** The sheet: mutual exclusion is the resource's own nature and usually cannot be broken. The shared-lock variant tries. */
export function judgeMutualExclusion(variants: VariantResult[]): ClaimResult {
  const id = 'os.deadlock.mutual-exclusion-unbreakable';
  const all = variants.find((v) => v.condition === 'all four');
  const shared = variants.find((v) => v.condition === 'mutual exclusion');
  const observed = { exclusive: all, shared };
  const evidence: Evidence[] = [{ kind: 'table', title: 'The same two rows locked in crossed order, exclusively and shared', columns: ['locks', 'rounds', 'deadlocks', 'rounds with both committed'], rows: [all, shared].filter((v) => v !== undefined).map((v) => [v.name, v.rounds, v.deadlocks, v.completed]) }];
  if (!all || !shared || !shared.rounds) return { id, verdict: 'unverifiable', summary: 'The exclusive or the shared-lock variant did not run.', summaryZh: '排他锁或共享锁的变体没有运行。', observed, evidence };
  if (shared.deadlocks > 0 || shared.completed < shared.rounds)
    return { id, verdict: 'confirmed', summary: `Even with shared locks the crossed requests deadlocked ${shared.deadlocks} times in ${shared.rounds} rounds (${shared.completed} rounds with both committed): taking shared locks did not remove the exclusion.`, summaryZh: `即使改用共享锁，交叉的加锁请求在 ${shared.rounds} 轮中仍死锁 ${shared.deadlocks} 次（两个事务都提交的只有 ${shared.completed} 轮）：共享锁没有消除互斥。`, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `Mutual exclusion was broken here: with shared locks (LOCK IN SHARE MODE) both transactions held both rows at once, and the crossed requests that deadlocked ${all.deadlocks} of ${all.rounds} times with exclusive locks deadlocked ${shared.deadlocks} of ${shared.rounds} times, both committing every round. Whether a resource must be exclusive depends on the access, not on the resource: readers can share (shared locks, MVCC snapshot reads), writers of the same row cannot.`,
    summaryZh: `这里互斥被破坏了：使用共享锁（LOCK IN SHARE MODE）时，两个事务可以同时持有两行的锁；同样交叉顺序的请求，用排他锁时 ${all.rounds} 轮中死锁 ${all.deadlocks} 次，用共享锁时 ${shared.rounds} 轮中死锁 ${shared.deadlocks} 次，每轮两个事务都提交成功。资源是否必须独占取决于访问方式，而不是资源本身：读者可以共享（共享锁、MVCC 快照读），而写同一行的写者不能。`,
    observed,
    evidence,
  };
}

export function judgeDeadlock(variants: VariantResult[], report: string): ClaimResult {
  const all = variants.find((v) => v.condition === 'all four');
  const broken = variants.filter((v) => v !== all);
  const observed = { variants, reportExcerpt: report.split('\n').slice(0, 12) };
  if (!all?.rounds) return notObserved('os.deadlock.four-conditions', { en: 'The variant with all four conditions did not run.', zh: '四个条件同时具备的变体没有运行。' }, observed);
  if (all.deadlocks === all.rounds && (!broken.length || broken.some((v) => !v.rounds))) {
    return notObserved('os.deadlock.four-conditions', { en: `No variant with a condition removed ran${broken.length ? ` (${broken.filter((v) => !v.rounds).map((v) => v.condition).join(', ')} had no rounds)` : ''}.`, zh: `破坏某个条件的变体没有运行${broken.length ? `（${broken.filter((v) => !v.rounds).map((v) => CONDITION_ZH[v.condition] ?? v.condition).join('、')} 没有任何一轮）` : ''}。` }, observed);
  }
  const holds = all.deadlocks === all.rounds && broken.every((v) => v.deadlocks === 0);
  const evidence: Evidence[] = [
    { kind: 'path', title: 'The wait-for cycle of one deadlocked round', hops: [{ address: 'T1', note: 'holds row 1' }, { address: 'row 2', note: 'T1 waits; T2 holds' }, { address: 'T2', note: 'holds row 2' }, { address: 'row 1', note: 'T2 waits; T1 holds' }, { address: 'T1', note: 'cycle closed' }] },
    { kind: 'bars', title: `Deadlocks in ${ROUNDS} rounds per variant`, bars: variants.map((v) => ({ label: v.name, value: v.deadlocks })) },
    { kind: 'table', title: 'Outcome per variant', columns: ['variant', 'condition removed', 'deadlocks', 'lock-wait errors', 'rounds with both committed'], rows: variants.map((v) => [v.name, v.condition, v.deadlocks, v.lockWaitErrors, v.completed]) },
    { kind: 'command', title: "The server's report of the last deadlock", command: 'SHOW ENGINE INNODB STATUS (LATEST DETECTED DEADLOCK)', output: report },
  ];
  return {
    id: 'os.deadlock.four-conditions',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `With all four conditions present, ${all.deadlocks} of ${all.rounds} rounds deadlocked and InnoDB rolled one transaction back (error 1213); removing any one condition (${broken.map((v) => v.condition).join(', ')}) left no deadlock in ${broken.map((v) => v.rounds).reduce((a, b) => a + b, 0)} rounds${broken.some((v) => v.lockWaitErrors) ? `, though refusing to wait cost ${broken.reduce((a, v) => a + v.lockWaitErrors, 0)} lock-wait errors instead` : ''}.`
      : `Deadlocks per variant: ${variants.map((v) => `${v.name} ${v.deadlocks}/${v.rounds}`).join(', ')}.`,
    summaryZh: holds
      ? `四个条件同时具备时，${all.rounds} 轮中有 ${all.deadlocks} 轮发生死锁，InnoDB 回滚了其中一个事务（错误 1213）；破坏任意一个条件（${broken.map((v) => CONDITION_ZH[v.condition] ?? v.condition).join('、')}）后，${broken.map((v) => v.rounds).reduce((a, b) => a + b, 0)} 轮中没有发生死锁${broken.some((v) => v.lockWaitErrors) ? `，但拒绝等待换来了 ${broken.reduce((a, v) => a + v.lockWaitErrors, 0)} 次锁等待错误` : ''}。`
      : `各变体的死锁次数：${variants.map((v) => `${v.name} ${v.deadlocks}/${v.rounds}`).join('，')}。`,
    observed,
    evidence,
  };
}

interface Variant {
  name: string;
  condition: string;
  first: [string, string];
  second: [string, string];
}

const upd = (id: number) => `UPDATE account SET balance = balance + 1 WHERE id = ${id}`;
const share = (id: number) => `SELECT * FROM account WHERE id = ${id} LOCK IN SHARE MODE`;

/**
 * One round: T1 and T2 take their first locks, then both ask for their second ones. Which of the
 * second requests reaches the server first does not matter: once both hold a lock, two crossed
 * requests wait for each other whatever their order, and a NOWAIT request fails whatever its order.
 */
async function round(t1: Connection, t2: Connection, v: Variant, timeline: Timeline): Promise<{ deadlock: boolean; lockWait: boolean; completed: boolean }> {
  const ops = [timeline.invoke('T1', v.name), timeline.invoke('T2', v.name)];
  await t1.query('BEGIN');
  await t2.query('BEGIN');
  await t1.query(v.first[0]);
  await t2.query(v.first[1]);
  // Each transaction ends as soon as its second statement does, so a waiting one can go on.
  const finish = (t: Connection, sql: string) =>
    t.query(sql).then(
      async () => (await t.query('COMMIT'), 0),
      async (error: { errno?: number }) => (await t.query('ROLLBACK'), error.errno ?? -1),
    );
  const codes = await Promise.all([finish(t1, v.second[0]), finish(t2, v.second[1])]);
  // A rolled-back transaction certainly did not take effect: a `fail` on the timeline.
  codes.forEach((code, i) => (code === 0 ? ops[i]!.ok('committed') : ops[i]!.fail(`error ${code}, rolled back`)));
  return { deadlock: codes.includes(1213), lockWait: codes.some((c) => c === 1205 || c === 3572), completed: codes.every((c) => c === 0) };
}

async function deadlockReport(observer: Connection): Promise<string> {
  const [rows] = (await observer.query('SHOW ENGINE INNODB STATUS')) as unknown as [{ Status: string }[]];
  const status = rows[0]!.Status;
  const start = status.indexOf('LATEST DETECTED DEADLOCK');
  if (start < 0) return '(no deadlock reported)';
  const end = status.indexOf('------------\nTRANSACTIONS', start);
  return status.slice(start, end > 0 ? end : start + 3000).trim();
}

export default defineLab({
  id: 'mysql-deadlock',
  title: 'The four conditions of deadlock, provoked with InnoDB row locks and broken one at a time',
  topic: 'mysql',
  claims: ['os.deadlock.four-conditions', 'os.deadlock.mutual-exclusion-unbreakable'],
  requires: ['docker'],
  timeLimitMs: 180_000,
  handout: {
    starts: 'A MariaDB (or LABS_MYSQL_IMAGE) server with account(id, balance) holding rows 1 and 2; two transactions and an observer connection for the deadlock report.',
    does: 'Locks rows in opposite order 20 times, then repeats with shared locks, one-statement locking, ordered locking and NOWAIT.',
    observes: 'Deadlock (1213) and lock-wait errors, and the LATEST DETECTED DEADLOCK report.',
    zh: {
      title: '死锁的四个必要条件：用 InnoDB 行锁制造死锁，再逐一破坏',
      starts: '一个 MariaDB（或 LABS_MYSQL_IMAGE）服务器，表 account(id, balance) 中有行 1 和行 2；两个事务，以及一个用于查看死锁报告的观察连接。',
      does: '以相反顺序加行锁，重复 20 次；然后分别改用共享锁、单条语句加锁、按固定顺序加锁和 NOWAIT 重复实验。',
      observes: '死锁（1213）和锁等待错误，以及 LATEST DETECTED DEADLOCK 报告。',
    },
  },
  async run(ctx) {
    ctx.step('starting the server');
    const server = await startMysqlServer(ctx.scope, ctx.runId);
    ctx.environment.server = server.version;
    const [t1, t2, observer] = [await server.connect(), await server.connect(), await server.connect()];
    await observer.query('CREATE TABLE account (id INT PRIMARY KEY, balance INT NOT NULL) ENGINE=InnoDB; INSERT INTO account VALUES (1, 100), (2, 100)');
    const [[{ timeout }]] = (await observer.query('SELECT @@innodb_lock_wait_timeout AS timeout')) as unknown as [[{ timeout: number }]];
    ctx.environment.innodb_lock_wait_timeout = String(timeout);
    const variants: Variant[] = [
      { name: 'opposite order, exclusive', condition: 'all four', first: [upd(1), upd(2)], second: [upd(2), upd(1)] },
      { name: 'shared locks', condition: 'mutual exclusion', first: [share(1), share(2)], second: [share(2), share(1)] },
      { name: 'both rows in one statement', condition: 'hold and wait', first: ['SELECT * FROM account WHERE id IN (1, 2) FOR UPDATE', 'SELECT 1'], second: ['SELECT 1', 'SELECT * FROM account WHERE id IN (1, 2) FOR UPDATE'] },
      { name: 'same order', condition: 'circular wait', first: [upd(1), 'SELECT 1'], second: [upd(2), `${upd(1)}`] },
      { name: 'NOWAIT', condition: 'preemption', first: [upd(1), upd(2)], second: ['SELECT * FROM account WHERE id = 2 FOR UPDATE', 'SELECT * FROM account WHERE id = 1 FOR UPDATE NOWAIT'] },
    ];
    const results: VariantResult[] = [];
    let report = '';
    for (const v of variants) {
      ctx.step(`${v.name}: ${ROUNDS} rounds`);
      const result: VariantResult = { name: v.name, condition: v.condition, rounds: ROUNDS, deadlocks: 0, lockWaitErrors: 0, completed: 0 };
      for (let i = 0; i < ROUNDS; i++) {
        const r = await round(t1, t2, v, ctx.timeline);
        result.deadlocks += Number(r.deadlock);
        result.lockWaitErrors += Number(r.lockWait);
        result.completed += Number(r.completed);
      }
      if (v.condition === 'all four') report = await deadlockReport(observer);
      results.push(result);
    }
    return [judgeDeadlock(results, report), judgeMutualExclusion(results)];
  },
});
