/**
 * A MySQL-compatible server in a container of the run. By default Debian's MariaDB built from
 * docker/mariadb; set LABS_MYSQL_IMAGE (e.g. mysql:8.4) to run another server where a registry is
 * reachable. The server and version are recorded with every verdict.
 */
import mysql from 'mysql2/promise';
import { startContainer, type Container } from '../resources/container.ts';
import { execIn } from '../resources/docker.ts';
import { until } from '../resources/wait.ts';
import { ensureImage } from '../resources/images.ts';
import type { Scope } from '../resources/scope.ts';

const PASSWORD = 'labs';

export interface MysqlServer {
  container: Container;
  version: string;
  /** A new connection to the `labs` database; closed with the scope. */
  connect(): Promise<mysql.Connection>;
  /** The bytes of a file in the server's data directory, e.g. `labs/t.ibd`. */
  readDataFile(path: string): Promise<Buffer>;
  /** Runs a command in the server's container (e.g. innochecksum). */
  run(cmd: string[]): Promise<string>;
  /** A FROM clause yielding a column `seq` of the integers from..to (MariaDB's sequence engine, or a recursive CTE). */
  sequence(from: number, to: number): string;
}

export async function startMysqlServer(scope: Scope, runId: string): Promise<MysqlServer> {
  const custom = process.env.LABS_MYSQL_IMAGE;
  const image = custom ?? (await ensureImage('mariadb'));
  const env: Record<string, string> = custom
    ? { MYSQL_ROOT_PASSWORD: PASSWORD, MYSQL_DATABASE: 'labs', MYSQL_USER: 'labs', MYSQL_PASSWORD: PASSWORD }
    : { LABS_PASSWORD: PASSWORD };
  const container = await startContainer(scope, runId, { image, name: 'mysql', env });
  const [host, port] = [container.address, 3306];
  const connect = async () => {
    const connection = await mysql.createConnection({ host, port, user: 'labs', password: PASSWORD, database: 'labs', multipleStatements: true });
    // A connection lost later (say, while the container is removed) must not crash the run.
    connection.on('error', () => undefined);
    // MySQL's recursive CTEs (sequence()) stop at 1000 rows unless told otherwise; MariaDB has no such variable.
    await connection.query('SET SESSION cte_max_recursion_depth = 1000000').catch(() => undefined);
    scope.defer('mysql connection', () => connection.destroy());
    return connection;
  };
  // Ready when the server answers its own admin client inside the container, over TCP as `labs`
  // (so the user exists too); only then does the first client connect from outside.
  const ping = ['mysqladmin', 'ping', '--silent', '-h', '127.0.0.1', '-u', 'labs', `-p${PASSWORD}`];
  await until(async () => (await execIn(container.id, ping)).exitCode === 0, 90_000, 'the MySQL server to answer mysqladmin ping', 200);
  const probe = await connect();
  const [[row]] = (await probe.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  return {
    container,
    version: row.version,
    connect,
    async readDataFile(path) {
      const { stdout, exitCode, stderr } = await execIn(container.id, ['base64', '-w0', `/var/lib/mysql/${path}`]);
      if (exitCode !== 0) throw new Error(`cannot read ${path}: ${stderr.trim()}`);
      return Buffer.from(stdout, 'base64');
    },
    sequence(from, to) {
      return row.version.includes('MariaDB')
        ? `seq_${from}_to_${to}`
        : `(WITH RECURSIVE s(seq) AS (SELECT ${from} UNION ALL SELECT seq + 1 FROM s WHERE seq < ${to}) SELECT seq FROM s) AS s`;
    },
    async run(cmd) {
      const { stdout, stderr, exitCode } = await execIn(container.id, cmd);
      if (exitCode !== 0) throw new Error(`${cmd.join(' ')}: ${stderr.trim()}`);
      return stdout;
    },
  };
}
