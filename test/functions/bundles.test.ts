/**
 * Issue 11: each Lambda bundle carries only the SDK clients its function calls. esbuild bundles
 * what an entry's import graph reaches, so this walks each functions/<name>/index.ts through its
 * relative value imports (type-only imports are erased) and collects the `@aws-sdk/client-*`
 * packages it reaches; a handler that imported the every-client factory (functions/shared/clients.ts)
 * would reach all of them. Sizes and cold import are measured by `npm run bench -- --bundles`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The SDK clients each function calls (its domain code's AWS APIs). */
const EXPECTED: Record<string, string[]> = {
  'check-recovery-points': ['client-rds'],
  'cleanup-drill': ['client-rds'],
  'create-copy': ['client-rds'],
  'cross-account-copy': ['client-rds', 'client-sts'],
  'export-to-s3': ['client-rds'],
  notify: ['client-sns'],
  'plan-drill': ['client-rds'],
  'plan-run': ['client-rds'],
  'poll-export': ['client-rds'],
  'poll-restore': ['client-rds'],
  'poll-status': ['client-rds', 'client-sts'],
  'record-evidence': ['client-s3'],
  'retention-sweep': ['client-rds'],
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
    expect(sdkClientsOf(join(ROOT, 'functions', 'shared', 'clients.ts')).clients).toEqual(['client-rds', 'client-s3', 'client-secrets-manager', 'client-sns', 'client-sts']);
  });
});
