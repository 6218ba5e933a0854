/**
 * validate-restore domain: connect to the restored database with its real driver and run the
 * database's configured checks (issue 9).
 *
 * - `pg` for `postgres`, `aurora-postgresql`; `mysql2` for `mysql`, `mariadb`, `aurora-mysql`;
 *   other engines (`oracle-*`, `sqlserver-*`, ...) get no data checks (`driver: 'none'`, with a note).
 * - Credentials: the master user secret RDS manages in Secrets Manager (`{"username","password"}`).
 * - Every query runs in a READ ONLY transaction that is rolled back, with a 60 s statement timeout.
 * - A query that fails (missing table, syntax) is a failed check whose `actual` is `{ error }`.
 * - Expectations: `minRows` (rows returned >= N), `nonEmpty` (>= 1 row), `equals` (first column of
 *   the first row, compared as text), `maxAgeHours` (first column of the first row is a timestamp at
 *   most N hours before the snapshot's recovery point time: the database was being written up to
 *   its backup). All given expectations must hold.
 * @throws RestoreCheckFailed (any check failed; message has query, expected and actual of each),
 *   MasterSecretUnusable, the driver's connection errors by code (ECONNREFUSED, ETIMEDOUT: retried)
 * Sources: https://node-postgres.com/apis/client, https://sidorares.github.io/node-mysql2/docs,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MasterSecretUnusable, RestoreCheckFailed, type CheckResult, type DrillCheck, type ValidationResult } from '../../contracts/drill.js';

/** Rows a query returned, each an object keyed by column name (in column order). */
export type Rows = ReadonlyArray<Record<string, unknown>>;

/** An open read-only session on the restored database. */
export interface SqlSession {
  query(sql: string): Promise<Rows>;
  close(): Promise<void>;
}

/** Opens a session; the real ones use `pg` / `mysql2` (see {@link openSession}). */
export type SessionOpener = (p: { driver: 'pg' | 'mysql2'; host: string; port: number; user: string; password: string; database?: string; tls: boolean }) => Promise<SqlSession>;

import type { ValidateRestoreInput } from '../../contracts/functions/validate-restore.js';
export type { ValidateRestoreInput };

/** The driver for an engine, or `none`. */
export function driverFor(engine: string): 'pg' | 'mysql2' | 'none' {
  if (engine === 'postgres' || engine === 'aurora-postgresql') return 'pg';
  if (engine === 'mysql' || engine === 'mariadb' || engine === 'aurora-mysql') return 'mysql2';
  return 'none';
}

const STATEMENT_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The real drivers. TLS: verify the server certificate (RDS CA via NODE_EXTRA_CA_CERTS on Lambda). */
export const openSession: SessionOpener = async (p) => {
  if (p.driver === 'pg') {
    const pg = (await import('pg')).default;
    const client = new pg.Client({
      host: p.host,
      port: p.port,
      user: p.user,
      password: p.password,
      database: p.database ?? 'postgres',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      ...(p.tls ? { ssl: { rejectUnauthorized: true } } : {}),
    });
    await client.connect();
    return {
      query: async (sql) => {
        await client.query('BEGIN READ ONLY');
        try {
          return (await client.query(sql)).rows as Rows;
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
      },
      close: () => client.end(),
    };
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    host: p.host,
    port: p.port,
    user: p.user,
    password: p.password,
    ...(p.database ? { database: p.database } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    // DATETIME/TIMESTAMP values read as UTC, whatever the Lambda's TZ.
    timezone: 'Z',
    ...(p.tls ? { ssl: { rejectUnauthorized: true } } : {}),
  });
  // Results in utf8mb4 whatever the server's settings (init_connect, skip-character-set-client-handshake
  // ignore the handshake's character set): the Lambda bundle decodes no other (functions/shared/stand-ins/iconv-lite.ts).
  // https://dev.mysql.com/doc/refman/8.4/en/charset-connection.html
  await conn.query('SET NAMES utf8mb4').catch(async (err: unknown) => {
    await conn.end().catch(() => undefined);
    throw err;
  });
  return {
    query: async (sql) => {
      await conn.query('START TRANSACTION READ ONLY');
      try {
        const [rows] = await conn.query({ sql, timeout: STATEMENT_TIMEOUT_MS });
        return (Array.isArray(rows) ? rows : []) as Rows;
      } finally {
        await conn.query('ROLLBACK').catch(() => undefined);
      }
    },
    close: () => conn.end(),
  };
};

function firstValue(rows: Rows): unknown {
  const row = rows[0];
  return row ? Object.values(row)[0] : undefined;
}

function asText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}

/** Evaluates one check's rows against its expectations. `snapshotTime` is ISO-8601 UTC. */
export function evaluate(check: DrillCheck, rows: Rows, snapshotTime: string): CheckResult {
  const e = check.expect;
  const actual: Record<string, unknown> = { rows: rows.length };
  let passed = true;
  if (e.minRows !== undefined && rows.length < e.minRows) passed = false;
  if (e.nonEmpty && rows.length === 0) passed = false;
  const v = firstValue(rows);
  if (e.equals !== undefined) {
    actual.value = v === undefined || v === null ? null : asText(v);
    if (v === undefined || v === null || asText(v) !== String(e.equals)) passed = false;
  }
  if (e.maxAgeHours !== undefined) {
    const t = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(t)) {
      actual.newest = v === undefined || v === null ? null : asText(v);
      passed = false;
    } else {
      const ageHours = Math.round(((Date.parse(snapshotTime) - t) / 3_600_000) * 100) / 100;
      actual.newest = new Date(t).toISOString();
      actual.ageHours = ageHours;
      if (ageHours > e.maxAgeHours) passed = false;
    }
  }
  return { name: check.name, sql: check.sql, expect: e, passed, actual };
}

/** See the module comment. */
export async function validateRestore(sm: SecretsManagerClient, input: ValidateRestoreInput, opts: { open?: SessionOpener; tls: boolean }): Promise<ValidationResult> {
  const { database, target, poll } = input;
  const driver = driverFor(target.engine);
  if (driver === 'none') {
    return { driver, note: `no driver for engine ${target.engine} here: restore and RTO only, no data checks`, checks: [] };
  }
  if (database.discovered) return { driver, note: 'not configured (found in the vault by its managed copies): restore and RTO only, no data checks', checks: [] };
  if (database.checks.length === 0) return { driver, note: 'no checks configured for this database: restore and RTO only', checks: [] };
  if (!poll.endpoint) throw new Error(`The restored ${target.instanceIdentifier} reported no endpoint`);
  if (!poll.secretArn) throw new MasterSecretUnusable('(none)', 'the restore has no managed master user secret');
  const out = await sm.send(new GetSecretValueCommand({ SecretId: poll.secretArn }));
  let secret: { username?: unknown; password?: unknown };
  try {
    secret = JSON.parse(out.SecretString ?? '') as typeof secret;
  } catch {
    throw new MasterSecretUnusable(poll.secretArn, 'SecretString is not JSON');
  }
  if (typeof secret.username !== 'string' || typeof secret.password !== 'string') throw new MasterSecretUnusable(poll.secretArn, 'no username/password');
  const dbName = database.databaseName ?? (poll.dbName || undefined);
  const session = await (opts.open ?? openSession)({ driver, host: poll.endpoint.host, port: poll.endpoint.port, user: secret.username, password: secret.password, ...(dbName ? { database: dbName } : {}), tls: opts.tls });
  const results: CheckResult[] = [];
  try {
    for (const check of database.checks) {
      try {
        results.push(evaluate(check, await session.query(check.sql), target.snapshotTime));
      } catch (err) {
        results.push({ name: check.name, sql: check.sql, expect: check.expect, passed: false, actual: { error: (err as Error).message } });
      }
    }
  } finally {
    await session.close().catch(() => undefined);
  }
  if (results.some((r) => !r.passed)) throw new RestoreCheckFailed(database.identifier, results);
  return { driver, checks: results };
}
