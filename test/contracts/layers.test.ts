/**
 * Issue 11, one-way dependencies: infra/ -> statemachines/ -> contracts/ <- functions/. This reads
 * every TypeScript source of the four layers, resolves each import specifier (value and type-only
 * imports, re-exports, dynamic `import()`), and fails on an edge that points back up or sideways:
 * - contracts/ imports only contracts/, `zod/mini` and Node built-ins (no AWS SDK, no CDK, no full zod);
 * - functions/ never imports infra/ or statemachines/;
 * - statemachines/ never imports infra/ or functions/;
 * - infra/ never imports functions/ (what it shares with a function lives in contracts/).
 * No madge: a regular expression over the sources, like test/functions/bundles.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const LAYERS = ['contracts', 'functions', 'statemachines', 'infra'] as const;
type Layer = (typeof LAYERS)[number];

/** Top-level folders each layer must not import. */
const FORBIDDEN: Record<Layer, readonly string[]> = {
  contracts: ['functions', 'statemachines', 'infra', 'sandbox', 'cli', 'bench', 'test', 'bin'],
  functions: ['statemachines', 'infra', 'sandbox', 'cli', 'bench', 'test', 'bin'],
  statemachines: ['functions', 'infra', 'sandbox', 'cli', 'bench', 'test', 'bin'],
  infra: ['functions', 'sandbox', 'cli', 'bench', 'test'],
};

/** Packages contracts/ may import: the schema library's small build and Node built-ins. */
const CONTRACT_PACKAGES = /^(zod\/mini$|node:)/;

/** Every import specifier of a TypeScript source: `import ... from`, `export ... from`, `import '...'`, `import('...')`. */
export function importSpecifiers(source: string): string[] {
  const specs: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] as string);
  return specs;
}

function sourcesOf(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f).split(sep).join('/'));
}

/** The violations of the layer rules by the file `file` (repository-relative) with content `source`. */
export function violations(file: string, source: string): string[] {
  const layer = file.split('/')[0] as Layer;
  const out: string[] = [];
  for (const spec of importSpecifiers(source)) {
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '');
      const top = target.split('/')[0] as string;
      if (target.startsWith('..') || FORBIDDEN[layer].includes(top)) out.push(`${file} -> ${target}.ts`);
    } else if (layer === 'contracts' && !CONTRACT_PACKAGES.test(spec)) {
      out.push(`${file} -> package ${spec}`);
    }
  }
  return out;
}

describe('one-way dependencies (issue 11)', () => {
  const files = LAYERS.flatMap(sourcesOf);
  const found = files.flatMap((f) => violations(f, readFileSync(join(ROOT, f), 'utf8')));

  it('reads every layer (the walk is not vacuous)', () => {
    for (const layer of LAYERS) expect(files.filter((f) => f.startsWith(`${layer}/`)).length, layer).toBeGreaterThan(3);
    // Both sides reach contracts/: the edges the layering is for.
    const specs = (f: string) => importSpecifiers(readFileSync(join(ROOT, f), 'utf8'));
    expect(specs('statemachines/types.ts')).toContain('../contracts/shapes');
    expect(specs('functions/shared/snapshots.ts')).toContain('../../contracts/shapes.js');
  });

  it('no file imports a layer above it, and contracts/ imports no SDK or CDK', () => {
    expect(found).toEqual([]);
  });

  it('flags a back-edge, a sideways edge and an SDK import in contracts/', () => {
    expect(violations('statemachines/x.ts', "import { nag } from '../infra/constructs/nag';")).toEqual(['statemachines/x.ts -> infra/constructs/nag.ts']);
    expect(violations('functions/a/index.ts', "import type { X } from '../../statemachines/types.js';")).toEqual([
      'functions/a/index.ts -> statemachines/types.ts',
    ]);
    expect(violations('infra/constructs/y.ts', "export { A } from '../../functions/shared/ledger';")).toEqual(['infra/constructs/y.ts -> functions/shared/ledger.ts']);
    expect(violations('contracts/z.ts', "import { STSClient } from '@aws-sdk/client-sts';\nimport * as z from 'zod';")).toEqual([
      'contracts/z.ts -> package @aws-sdk/client-sts',
      'contracts/z.ts -> package zod',
    ]);
    expect(violations('contracts/z.ts', "import * as z from 'zod/mini';\nimport { createHash } from 'node:crypto';\nimport type { A } from './shapes.js';")).toEqual([]);
  });
});
