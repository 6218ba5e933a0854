/**
 * Issue 11: each Lambda bundle carries only the SDK clients its function calls. esbuild bundles
 * what an entry's import graph reaches, so this walks each functions/<name>/index.ts through its
 * relative value imports (type-only imports are erased) and collects the `@aws-sdk/client-*`
 * packages it reaches; a handler that imported the every-client factory (functions/shared/clients.ts)
 * would reach all of them. Then the credential-provider stand-ins (functions/shared/clients/lambda-credentials.ts)
 * are checked against the SDK's default chain. CDK's own bundling of a function: bundles.slow.test.ts.
 * Sizes and cold import of all bundles: `npm run bench -- --bundles`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import * as standIns from '../../functions/shared/clients/lambda-credentials.js';
import { BUNDLE_ALIASES } from '../../infra/constructs/vault-function';

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
    expect(Object.keys(BUNDLE_ALIASES).sort()).toEqual(imported.map(([pkg]) => pkg).sort());
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
