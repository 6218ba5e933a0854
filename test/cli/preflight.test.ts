/**
 * `rsv preflight` against one local deployment with a fleet of misconfigurations: each check the
 * command claims catches its case, with the fix it prints; the key policy rule is the one the real
 * workflow meets (the run of the database preflight fails, fails).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, localBackend } from '../../cli/backend';
import { type Check, keyPolicyDelegates, runPreflight } from '../../cli/commands/preflight';
import type { VaultConfig } from '../../infra/config/schema';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { createFleetEnvironment, DEMO_FLEET, takeAutomatedSnapshots } from '../../sandbox/harness/index';
import { configWith } from '../workflow/helpers';
import { cliConfig, runRsv } from './helpers';

const SOURCE = '111111111111';
const REGION = 'us-east-1';
const ORDERS = DEMO_FLEET.filter((d) => d.identifier === 'orders-db');
const config = cliConfig([
  { identifier: 'orders-db', kind: 'instance' },
  { identifier: 'keyless-db', kind: 'instance' },
  { identifier: 'ghost-db', kind: 'instance' },
  { identifier: 'plain-aurora', kind: 'cluster' },
  { identifier: 'tde-db', kind: 'instance' },
  { identifier: 'tz-db', kind: 'instance' },
]);

let env: LocalEnvironment;
let backend: Backend;
let checks: Check[];
const check = (id: string) => checks.find((c) => c.id === id);

beforeAll(async () => {
  // orders-db: its own key, default key policy (delegates to IAM): fine. No automated snapshots.
  env = await createFleetEnvironment({ config }, ORDERS, { snapshotted: [] });
  const { kms, rds } = env.sandbox;
  // keyless-db: a key whose policy names only key administrators, as many hand-written policies do.
  const admins = kms.createKey({
    accountId: SOURCE,
    region: REGION,
    alias: 'alias/keyless-app',
    policy: {
      Version: '2012-10-17',
      Statement: [{ Sid: 'KeyAdministrators', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SOURCE}:root` }, Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:Put*', 'kms:Enable*'], Resource: '*' }],
    },
  });
  rds.createDbInstance({ accountId: SOURCE, region: REGION, identifier: 'keyless-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: true, kmsKeyId: admins.arn });
  rds.createDbCluster({ accountId: SOURCE, region: REGION, identifier: 'plain-aurora', engine: 'aurora-mysql', allocatedStorageGiB: 50, storageEncrypted: false });
  rds.createOptionGroup({ accountId: SOURCE, region: REGION, name: 'oracle-tde', engine: 'oracle-ee', majorEngineVersion: '19', options: [{ name: 'TDE', permanent: true, persistent: true }] });
  rds.createDbInstance({ accountId: SOURCE, region: REGION, identifier: 'tde-db', engine: 'oracle-ee', allocatedStorageGiB: 20, storageEncrypted: false, optionGroupName: 'oracle-tde' });
  rds.createOptionGroup({ accountId: SOURCE, region: REGION, name: 'oracle-tz', engine: 'oracle-ee', majorEngineVersion: '19', options: [{ name: 'Timezone', persistent: true }] });
  rds.createDbInstance({ accountId: SOURCE, region: REGION, identifier: 'tz-db', engine: 'oracle-ee', allocatedStorageGiB: 20, storageEncrypted: false, optionGroupName: 'oracle-tz' });
  backend = localBackend(env);
  checks = await runPreflight(backend, backend, 'config/mine.json');
});
afterAll(() => env?.dispose());

describe('rsv preflight catches each misconfiguration, with its fix', () => {
  it('passes what is right: the stack, a database whose key policy delegates to IAM, the vault keys', () => {
    expect(check('source-stack')?.status).toBe('pass');
    expect(check('database:orders-db')?.status).toBe('pass');
    expect(check('source-key:orders-db')?.status).toBe('pass');
    expect(check('vault-key:us-east-1')?.status).toBe('pass');
    expect(check('vault-key:us-west-2')?.status).toBe('pass');
  });

  it('a source key whose policy does not let the account use it: the statement to add and the commands', async () => {
    const c = check('source-key:keyless-db');
    expect(c?.status).toBe('fail');
    expect(c?.detail).toContain(`does not allow account ${SOURCE} kms:Decrypt, kms:CreateGrant, kms:ReEncryptFrom, kms:GenerateDataKeyWithoutPlaintext`);
    expect(c?.fix).toContain('"kms:ViaService": "rds.us-east-1.amazonaws.com"');
    expect(c?.fix).toContain(`"AWS": "arn:aws:iam::${SOURCE}:root"`);
    expect(c?.fix).toMatch(/aws kms put-key-policy --key-id arn:aws:kms:us-east-1:111111111111:key\/\S+ --policy-name default --policy file:\/\/policy.json/);
    // What preflight predicts is what the workflow meets: the database's backup fails on that key.
    takeAutomatedSnapshots(env, [{ identifier: 'keyless-db', kind: 'instance', engine: 'postgres', allocatedStorageGiB: 20, encryption: 'customer-key' }]);
    const run = await env.startBackupRun({ databases: ['keyless-db'] });
    expect(run.children[0]?.status).toBe('FAILED');
    expect(run.children[0]?.error).toBe('KmsKeyNotAccessible');
  });

  it('a configured database that does not exist, and an unencrypted Aurora cluster', () => {
    expect(check('database:ghost-db')).toMatchObject({ status: 'fail', detail: 'no DB instance ghost-db in 111111111111 us-east-1' });
    expect(check('database:ghost-db')?.fix).toContain('correct "identifier"/"kind" of ghost-db in config/mine.json');
    expect(check('source-key:plain-aurora')).toMatchObject({ status: 'fail', detail: 'unencrypted DB cluster' });
    expect(check('source-key:plain-aurora')?.fix).toContain('UnencryptedClusterNotSupported');
  });

  it('unshareable snapshots (permanent TDE option) and an option group with options but no target option group', () => {
    expect(check('option-group:tde-db')?.status).toBe('fail');
    expect(check('option-group:tde-db')?.fix).toContain('SnapshotNotShareable');
    // Oracle Timezone can be shared, but the DR Region needs an option group of its own.
    const tz = check('option-group:tz-db');
    expect(tz?.status).toBe('fail');
    expect(tz?.detail).toBe('oracle-tz has options (Timezone) and no target option group for us-west-2');
    expect(tz?.fix).toContain('"optionGroups": { "us-west-2": "<option group>" }');
  });

  it('a DR Region without the vault key, and a missing source stack, name the stack to deploy', async () => {
    const moreRegions: VaultConfig = { ...config, vault: { ...config.vault, drRegions: ['us-west-2', 'eu-west-1'] } };
    const more = await runPreflight({ ...backend, config: moreRegions }, backend, 'config/mine.json');
    const eu = more.find((c) => c.id === 'vault-key:eu-west-1');
    expect(eu?.status).toBe('fail');
    expect(eu?.fix).toBe('deploy the vault stack of eu-west-1: AWS_PROFILE=<vault admin> npx cdk deploy rds-snapshot-vault-vault-eu-west-1 -c config=config/mine.json');
    const renamed = configWith((c) => void (c.deploymentName = 'other-vault'));
    const missing = await runPreflight({ ...backend, config: renamed, arns: { backupRun: backend.arns.backupRun.replace('rds-snapshot-vault-', 'other-vault-'), databaseBackup: '' } }, backend, 'c.json');
    expect(missing.find((c) => c.id === 'source-stack')).toMatchObject({ status: 'fail', fix: 'deploy the source stack: AWS_PROFILE=<source admin> npx cdk deploy other-vault-source -c config=c.json' });
  });

  it('checks the manual snapshot quotas against the retention, with the value to request', () => {
    // Source: keepLast 2, maxAgeDays 7 -> 8 copies per database (7 days + this run's), 5 DB instances -> 40.
    expect(check('snapshot-quota:source:instance')).toMatchObject({ status: 'pass', detail: 'ManualSnapshots: 0/100 used; retention keeps up to 40 more (5 DB instances x 8 copies)' });
    // Vault: maxAgeDays 35 -> 36 per database, 5 DB instances -> 180 > 100 in each vault Region.
    for (const region of ['us-east-1', 'us-west-2']) {
      expect(check(`snapshot-quota:${region}:instance`)).toMatchObject({ status: 'fail', detail: 'ManualSnapshots: 0/100 used; retention keeps up to 180 more (5 DB instances x 36 copies)', fix: `request "Manual DB instance snapshots" of at least 180 in ${region} (Service Quotas console), or keep fewer copies per database (retention.vault: maxAgeDays, keepLast)` });
    }
  });

  it('the vault role: trusted with the configured external ID passes; a wrong external ID, a missing role, no vault credentials', async () => {
    expect(check('vault-role')).toMatchObject({ status: 'pass', detail: 'rds-snapshot-vault-vault-copy trusts the source roles with the configured external ID' });
    // The config's external ID differs from the one the vault stack was deployed with (rsv-example-3f9c1b7e).
    const wrong: VaultConfig = { ...config, vault: { ...config.vault, externalId: 'rsv-typo-3f9c1b7f' } };
    const c = (await runPreflight({ ...backend, config: wrong }, backend, 'config/mine.json')).find((x) => x.id === 'vault-role');
    expect(c?.status).toBe('fail');
    expect(c?.detail).toBe('rds-snapshot-vault-vault-copy requires external ID rsv-ex…7e (20 characters); the config has rsv-ty…7f (17 characters)');
    expect(c?.fix).toContain('"vault.externalId" in config/mine.json must be the value the vault stack was deployed with');
    expect(c?.fix).toContain('npx cdk deploy rds-snapshot-vault-vault -c config=config/mine.json');
    // A deployment whose vault stack is not there: the role to deploy.
    const renamed = configWith((x) => void (x.deploymentName = 'other-vault'));
    const gone = (await runPreflight({ ...backend, config: renamed }, backend, 'c.json')).find((x) => x.id === 'vault-role');
    expect(gone).toMatchObject({ status: 'fail', detail: 'no role other-vault-vault-copy in the vault account 222222222222', fix: 'deploy the vault stack (it creates the role): AWS_PROFILE=<vault admin> npx cdk deploy other-vault-vault -c config=c.json' });
    // Without vault credentials (no --vault-profile): skipped, saying how to check.
    const noVault = (await runPreflight(backend, { kms: backend.kms, iam: () => undefined }, 'c.json')).find((x) => x.id === 'vault-role');
    expect(noVault).toMatchObject({ status: 'skip', detail: 'no credentials for the vault account 222222222222' });
    expect(noVault?.fix).toContain('--vault-profile');
  });

  it('the trust policy preflight reads is the one AWS checks: the wrong external ID cannot assume the role', async () => {
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const caller = env.sandbox.credentialsFor(`arn:aws:iam::${SOURCE}:role/rds-snapshot-vault-cross-account-copy`);
    const sts = new STSClient({ region: REGION, credentials: caller });
    const assume = (ExternalId: string) => sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/rds-snapshot-vault-vault-copy', RoleSessionName: 'preflight-test', ExternalId }));
    await expect(assume('rsv-typo-3f9c1b7f')).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume(config.vault.externalId ?? '')).resolves.toMatchObject({ Credentials: expect.anything() });
  });

  it('the command: a table, the fixes, exit 1 when a check fails; --json', async () => {
    const { code, out } = await runRsv(['preflight', '--local', '--json'], { config, backend });
    expect(code).toBe(1);
    const doc = JSON.parse(out) as { ok: boolean; checks: Check[] };
    expect(doc.ok).toBe(false);
    expect(doc.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort()).toEqual(['database:ghost-db', 'option-group:tde-db', 'option-group:tz-db', 'snapshot-quota:us-east-1:instance', 'snapshot-quota:us-west-2:instance', 'source-key:keyless-db', 'source-key:plain-aurora']);
  });
});

describe('key policy reading (unit)', () => {
  const allow = (extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SOURCE}:root` }, Action: 'kms:*', Resource: '*', ...extra });
  it('the default key policy delegates; a Deny or a missing action fails; an unknown condition warns', () => {
    expect(keyPolicyDelegates({ Statement: [allow()] }, SOURCE, REGION).status).toBe('pass');
    expect(keyPolicyDelegates({ Statement: [allow(), { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }] }, SOURCE, REGION)).toEqual({ status: 'fail', detail: 'a Deny statement covers kms:Decrypt' });
    expect(keyPolicyDelegates({ Statement: [allow({ Action: ['kms:Decrypt', 'kms:DescribeKey'] })] }, SOURCE, REGION).status).toBe('fail');
    expect(keyPolicyDelegates({ Statement: [allow({ Condition: { StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } } })] }, SOURCE, REGION).status).toBe('pass');
    // Through another service or Region only: not usable by RDS here.
    expect(keyPolicyDelegates({ Statement: [allow({ Condition: { StringEquals: { 'kms:ViaService': 'rds.eu-west-1.amazonaws.com' } } })] }, SOURCE, REGION).status).toBe('warn');
    // Another account's root does not count.
    expect(keyPolicyDelegates({ Statement: [allow({ Principal: { AWS: 'arn:aws:iam::999999999999:root' } })] }, SOURCE, REGION).status).toBe('fail');
  });
});
