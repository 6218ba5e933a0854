/**
 * Issue 11: CDK bundles a function exactly as deployed (VaultFunction's BUNDLING, the local esbuild):
 * the bundle is within the 450 KB budget, carries the credential-provider stand-ins and none of the
 * nested SDK clients or other services' clients, and its source map has no sources' text. ~20 s
 * (the asset staging of a real synth), hence a slow test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { VaultFunction } from '../../infra/constructs/vault-function';

describe('a Lambda bundle as CDK deploys it (issue 11)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundle-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('poll-restore: under 450 KB, the stand-ins in, no nested clients, a source map without the sources', () => {
    const app = new App({ outdir: join(tmp, 'cdk.out') });
    const stack = new Stack(app, 'Bundle', { env: { account: '111111111111', region: 'eu-west-1' } });
    new VaultFunction(stack, 'Fn', { name: 'poll-restore', environment: {} });
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const dir = join(assembly.directory, assets[0] as string);
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThanOrEqual(450_000);
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
    expect(map.sources.some((f) => f.endsWith('functions/shared/clients/lambda-credentials.ts'))).toBe(true);
    expect(map.sources.some((f) => f.endsWith('functions/poll-restore/index.ts'))).toBe(true);
    expect(map.sources.filter((f) => /nested-clients|credential-provider-(sso|ini)|client-(sts|sns|s3|kms)\//.test(f))).toEqual([]);
    expect(map.sourcesContent ?? []).toEqual([]);
  });
});
