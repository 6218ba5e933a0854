/**
 * Issue 11: CDK bundles a function exactly as deployed (VaultFunction's BUNDLING, the local esbuild):
 * the bundle is within the 450 KB budget, carries the credential-provider stand-ins and none of the
 * nested SDK clients, and no source map. ~20 s
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

  it('poll-restore: under 450 KB, the credential stand-ins in, no SSO or STS client, no source map', () => {
    const app = new App({ outdir: join(tmp, 'cdk.out') });
    const stack = new Stack(app, 'Bundle', { env: { account: '111111111111', region: 'eu-west-1' } });
    new VaultFunction(stack, 'Fn', { name: 'poll-restore', environment: {} });
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const dir = join(assembly.directory, assets[0] as string);
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThanOrEqual(450_000);
    // No source map (parsing one at cold start cost ~0.25x, see BUNDLING), so nothing to parse.
    expect(readdirSync(dir).sort()).toEqual(['index.mjs']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code).not.toContain('sourceMappingURL');
    // The stand-ins are in; the nested SSO client (signing name awsssoportal) and STS client (web identity) are not.
    expect(code).toContain('are not bundled into rds-snapshot-vault Lambda functions');
    expect(code).not.toMatch(/awsssoportal|AssumeRoleWithWebIdentity/);
  });
});
