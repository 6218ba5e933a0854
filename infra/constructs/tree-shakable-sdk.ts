/**
 * Issue 11: the AWS SDK clients the Lambda bundles carry, rewritten so that esbuild can leave out
 * the schemas of the operations a function never calls.
 *
 * Each client's `dist-es/schemas/schemas_0.js` holds the schema of every operation and shape of its
 * service (S3: 137 KB of source). The schemas are plain `export var X$ = [...]` arrays, so esbuild
 * should drop the unused ones, but their trait objects use computed keys naming module constants
 * (`{ [_hH]: _xaa }` with `const _hH = "httpHeader"`), and esbuild counts a computed key it cannot
 * see through as a possible side effect (a key's `toString()` may run code), so it keeps every
 * schema and every string constant they reference: 68 KB of S3 schemas and ~50 KB of RDS schemas
 * in plan-run, where its calls need ~10 KB and ~38 KB. This is the SDK's known bundle size regression
 * since 3.930 (https://github.com/aws/aws-sdk-js-v3/issues/7607); its fix in the code generator
 * writes the trait keys as literal strings (https://github.com/smithy-lang/smithy-typescript/pull/1889,
 * open when this was written). {@link literalTraitKeys} makes the same change to the generated
 * file: `[_hH]:` becomes `"httpHeader":`, the string the constant holds, so every schema is the same
 * value as before and esbuild can tell that building it has no side effect.
 *
 * CDK's NodejsFunction runs the esbuild command line, which takes no plugins, and the schemas file
 * is imported by relative paths inside the client, which `--alias` cannot redirect. So
 * {@link treeShakableSdkAliases} writes, once per client version, a copy of the client's `dist-es`
 * (and its package.json: `sideEffects: false`, the version the user agent reports) with the schema
 * files rewritten, under `<project root>/.sdk-bundle-cache/` (git-ignored), and returns
 * `--alias` entries pointing the package at the copy. The copy imports its dependencies
 * (`@smithy/core`, `@aws-sdk/core`, ...) by package name, which resolve to the project's
 * node_modules as before. Only the Lambda bundles use the copies: tests, the sandbox and the CLI
 * import the real packages. test/functions/bundles.test.ts checks that every schema of every copy
 * equals the original's, and runs plan-run's bundle against a local RDS and S3 endpoint.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The SDK clients the functions call (functions/shared/clients/<name>.ts), as package names under `@aws-sdk/`. */
export const BUNDLED_SDK_CLIENTS = ['client-dynamodb', 'client-rds', 'client-s3', 'client-secrets-manager', 'client-sns', 'client-sts'] as const;

/** Bumped whenever {@link literalTraitKeys} changes, so older copies are not reused. */
const REWRITE_VERSION = 1;

/** The folder (under the project root) holding the rewritten copies. */
export const SDK_BUNDLE_CACHE = '.sdk-bundle-cache';

/** A generated schemas file the rewrite applies to (`dist-es/schemas/schemas_<n>.js`). */
const SCHEMAS_FILE = /^schemas_\d+\.js$/;

/** A client package cannot be copied faithfully: it has dependencies nested in its own node_modules (the copy would resolve others). */
export class SdkClientNotCopyable extends Error {
  constructor(pkg: string, why: string) {
    super(`@aws-sdk/${pkg} cannot be rewritten for the Lambda bundles: ${why}`);
    this.name = 'SdkClientNotCopyable';
  }
}

/**
 * Rewrites the computed trait keys of a generated SDK schemas module into the string literals the
 * named module constants hold: `{ [_hH]: _xaa }` -> `{ "httpHeader": _xaa }`. Only keys naming a
 * top-level `const _x = "..."` of the same module are rewritten; any other computed key is left as
 * it is. Pure.
 * @returns the rewritten source and the number of keys rewritten
 */
export function literalTraitKeys(source: string): { code: string; rewritten: number } {
  const constants = new Map<string, string>();
  for (const m of source.matchAll(/^const (_[A-Za-z0-9_]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(m[1] as string, m[2] as string);
  let rewritten = 0;
  // A computed key opens an object literal or follows a property: `{ [_x]:` or `, [_x]:`.
  const code = source.replace(/([{,]\s*)\[(_[A-Za-z0-9_]+)\]:/g, (all: string, before: string, name: string) => {
    const literal = constants.get(name);
    if (literal === undefined) return all;
    rewritten++;
    return `${before}${literal}:`;
  });
  return { code, rewritten };
}

/**
 * Makes (once per client version and rewrite version) the rewritten copy of each of
 * {@link BUNDLED_SDK_CLIENTS} under `<root>/.sdk-bundle-cache/` and returns the esbuild aliases
 * `@aws-sdk/<client>` -> `<copy>/dist-es/index.js`. A copy is written to a temporary folder and
 * renamed into place, so concurrent synths never see half a copy.
 * @param root the project root (its node_modules holds the clients and their dependencies)
 * @throws SdkClientNotCopyable when a client has dependencies of its own in a nested node_modules
 */
export function treeShakableSdkAliases(root: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const pkg of BUNDLED_SDK_CLIENTS) {
    const source = join(root, 'node_modules', '@aws-sdk', pkg);
    if (existsSync(join(source, 'node_modules'))) throw new SdkClientNotCopyable(pkg, 'it has a nested node_modules');
    const manifest = readFileSync(join(source, 'package.json'), 'utf8');
    const version = (JSON.parse(manifest) as { version: string }).version;
    const tag = createHash('sha256').update(`${REWRITE_VERSION}\n${manifest}`).digest('hex').slice(0, 12);
    const copy = join(root, SDK_BUNDLE_CACHE, `${pkg}@${version}-${tag}`);
    if (!existsSync(join(copy, 'dist-es', 'index.js'))) {
      writeCopy(source, copy, manifest);
      // Copies of this client's earlier versions (or rewrites) are no longer used.
      for (const old of readdirSync(join(root, SDK_BUNDLE_CACHE))) {
        if (old.startsWith(`${pkg}@`) && old !== basename(copy) && !old.includes('.tmp-')) rmSync(join(root, SDK_BUNDLE_CACHE, old), { recursive: true, force: true });
      }
    }
    aliases[`@aws-sdk/${pkg}`] = join(copy, 'dist-es', 'index.js');
  }
  return aliases;
}

function writeCopy(source: string, copy: string, manifest: string): void {
  const staging = `${copy}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(staging, { recursive: true });
  try {
    cpSync(join(source, 'dist-es'), join(staging, 'dist-es'), { recursive: true });
    writeFileSync(join(staging, 'package.json'), manifest);
    const schemas = join(staging, 'dist-es', 'schemas');
    for (const f of existsSync(schemas) ? readdirSync(schemas) : []) {
      if (SCHEMAS_FILE.test(f)) writeFileSync(join(schemas, f), literalTraitKeys(readFileSync(join(schemas, f), 'utf8')).code);
    }
    renameSync(staging, copy);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    // Another synth renamed the same copy into place first: use it.
    if (existsSync(join(copy, 'dist-es', 'index.js'))) return;
    throw err;
  }
}
