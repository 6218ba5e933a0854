/**
 * Issue 11: sandbox/ is three parts with one public entry each, and dependencies go one way,
 * demo -> harness -> simulator:
 * - a file under sandbox/simulator/ imports nothing of sandbox/harness/ or sandbox/demo/;
 * - a file under sandbox/harness/ imports nothing of sandbox/demo/, and the simulator through its index only;
 * - a file under sandbox/demo/ reaches the harness and the simulator through their index files only;
 * - anything outside sandbox/ (tests, bench/, cli/, package.json scripts, vitest configs) names only
 *   the public entries: sandbox/{simulator,harness,demo}/index.ts and sandbox/harness/setup/index.ts;
 * - nothing else sits at sandbox/'s top level (no shim files for the old paths).
 * Static: reads the sources (import/export specifiers, dynamic imports with a literal path).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/vault-function';

const PUBLIC_ENTRIES = ['sandbox/simulator/index.ts', 'sandbox/harness/index.ts', 'sandbox/harness/setup/index.ts', 'sandbox/demo/index.ts'];
const PARTS = ['simulator', 'harness', 'demo'] as const;
type Part = (typeof PARTS)[number];
/** What each part may import of the other parts (through their index files). */
const MAY_IMPORT: Record<Part, readonly Part[]> = { simulator: [], harness: ['simulator'], demo: ['harness', 'simulator'] };

/** Relative module specifiers of a TypeScript source (static, re-export, side-effect and literal dynamic imports). */
function specifiersOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
}

/** The repository path (forward slashes) a relative specifier of `file` resolves to, as the TypeScript bundler resolution would. */
function resolveSpecifier(file: string, spec: string, exists: (p: string) => boolean): string {
  const base = normalize(join(dirname(file), spec.replace(/\.js$/, ''))).split('\\').join('/');
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (candidate.endsWith('.ts') && exists(candidate)) return candidate;
  return base;
}

const partOf = (path: string): Part | undefined => PARTS.find((p) => path.startsWith(`sandbox/${p}/`));

/**
 * Every import of `files` (repository path -> source) that breaks the rules above, as
 * `<file> imports <target>: <rule>`. Empty = the boundaries hold.
 */
function boundaryViolations(files: ReadonlyMap<string, string>, exists: (p: string) => boolean = (p) => files.has(p)): string[] {
  const out: string[] = [];
  for (const [file, source] of files) {
    const from = partOf(file);
    for (const spec of specifiersOf(source)) {
      const target = resolveSpecifier(file, spec, exists);
      if (!target.startsWith('sandbox/')) continue;
      const to = partOf(target);
      if (from === undefined) {
        if (!file.startsWith('sandbox/') && !PUBLIC_ENTRIES.includes(target)) out.push(`${file} imports ${target}: outside sandbox/, import only ${PUBLIC_ENTRIES.join(', ')}`);
        else if (file.startsWith('sandbox/')) out.push(`${file} imports ${target}: no file may sit at sandbox/'s top level`);
      } else if (to !== from) {
        if (to === undefined || !MAY_IMPORT[from].includes(to)) out.push(`${file} imports ${target}: sandbox/${from} may not depend on ${to ? `sandbox/${to}` : target}`);
        else if (!PUBLIC_ENTRIES.includes(target)) out.push(`${file} imports ${target}: use sandbox/${to}'s index.ts, the rest is internal`);
      }
    }
  }
  return out;
}

/** The TypeScript sources of the repository (node_modules, cdk.out and out excluded), by repository path. */
function repositorySources(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(join(PROJECT_ROOT, dir))) {
      if (['node_modules', 'cdk.out', 'out', '.git'].includes(name)) continue;
      const path = dir ? `${dir}/${name}` : name;
      if (statSync(join(PROJECT_ROOT, path)).isDirectory()) walk(path);
      else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) files.set(path, readFileSync(join(PROJECT_ROOT, path), 'utf8'));
    }
  };
  walk('');
  return files;
}

describe('sandbox boundaries', () => {
  it('the checker catches each kind of violation (so the repository check below can fail)', () => {
    const files = new Map([
      ['sandbox/simulator/rds.ts', "import { WorkflowRunner } from '../harness/index';\nimport type { X } from './clock';"],
      ['sandbox/simulator/clock.ts', 'export type X = 1;'],
      ['sandbox/harness/runner.ts', "export { y } from '../demo/index';\nimport { VirtualClock } from '../simulator/clock';\nimport { z } from '../simulator/index';"],
      ['sandbox/demo/index.ts', "const d = await import('../harness/runner');\nimport '../harness/setup/index';"],
      ['test/x.test.ts', "import { a } from '../sandbox/harness/runner';\nimport { b } from '../sandbox/simulator';\nimport '../sandbox/harness/setup/index';\nimport { c } from '../sandbox/aws/rds.js';"],
      ['sandbox/shim.ts', "export * from './harness/index';"],
      ['sandbox/simulator/index.ts', ''],
      ['sandbox/harness/index.ts', ''],
      ['sandbox/harness/setup/index.ts', ''],
    ]);
    expect(boundaryViolations(files).map((v) => v.split(':')[0])).toEqual([
      'sandbox/simulator/rds.ts imports sandbox/harness/index.ts',
      'sandbox/harness/runner.ts imports sandbox/demo/index.ts',
      'sandbox/harness/runner.ts imports sandbox/simulator/clock.ts',
      'sandbox/demo/index.ts imports sandbox/harness/runner.ts',
      'test/x.test.ts imports sandbox/harness/runner.ts',
      'test/x.test.ts imports sandbox/aws/rds',
      'sandbox/shim.ts imports sandbox/harness/index.ts',
    ]);
  });

  it('holds for every TypeScript file of the repository', () => {
    const files = repositorySources();
    expect(files.size).toBeGreaterThan(100);
    expect(boundaryViolations(files, (p) => existsSync(join(PROJECT_ROOT, p)))).toEqual([]);
  });

  it('package.json scripts and the vitest configs name only public entries', () => {
    const texts = ['package.json', ...readdirSync(PROJECT_ROOT).filter((f) => /^vitest.*\.ts$/.test(f))].map((f) => [f, readFileSync(join(PROJECT_ROOT, f), 'utf8')] as const);
    const named = texts.flatMap(([f, text]) => [...text.matchAll(/\bsandbox\/[\w./-]+\.ts\b/g)].map((m) => `${f}: ${m[0]}`));
    expect(named.length).toBeGreaterThan(0); // the demo script and the MariaDB setup file
    expect(named.filter((n) => !PUBLIC_ENTRIES.includes(n.split(': ')[1]!))).toEqual([]);
  });

  it('sandbox/ holds the three parts and nothing else (no shims for the old paths)', () => {
    expect(readdirSync(join(PROJECT_ROOT, 'sandbox')).sort()).toEqual([...PARTS].sort());
    for (const entry of PUBLIC_ENTRIES) expect(existsSync(join(PROJECT_ROOT, entry)), entry).toBe(true);
  });
});
