import 'aws-sdk-client-mock-vitest/extend';
import { CopyDBClusterSnapshotCommand, CopyDBSnapshotCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/cross-account-copy/index.js';
import { TAGS, type CrossAccountCopyOutput, type SnapshotRef } from '../../functions/shared/contracts.js';
import {
  awsError,
  BASE_ENV,
  caught,
  dbClusterSnapshot,
  dbSnapshot,
  fakeContext,
  managedTagList,
  NOW,
  REGION,
  routeDescribes,
  SOURCE_ACCOUNT,
  SOURCE_KMS_KEY_ARN,
  testClients,
  VAULT_ACCESS_KEY,
  VAULT_ACCOUNT,
  VAULT_KMS_KEY_ARN,
  VAULT_REGION,
  VAULT_ROLE_ARN,
  type TestClients,
} from './helpers.js';

const ENV = {
  ...BASE_ENV,
  VAULT_ACCOUNT_ID: VAULT_ACCOUNT,
  VAULT_REGION,
  VAULT_ROLE_ARN,
  VAULT_EXTERNAL_ID: 'ext-123',
  VAULT_KMS_KEY_ID: VAULT_KMS_KEY_ARN,
};
const database = { identifier: 'orders-db', kind: 'instance' } as const;
const sourceCopy: SnapshotRef = {
  kind: 'instance',
  identifier: 'rsv-orders-db-202611200400',
  arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:rsv-orders-db-202611200400`,
  accountId: SOURCE_ACCOUNT,
  region: REGION,
  status: 'available',
  kmsKeyId: SOURCE_KMS_KEY_ARN,
  createTime: '2026-11-20T04:30:00.000Z',
};

let t: TestClients;
const invoke = (event: unknown, env: Record<string, string | undefined> = ENV) =>
  createHandler({ env, clients: t.factory, now: () => NOW })(event, fakeContext('cross-account-copy')) as Promise<CrossAccountCopyOutput>;
const vaultCopy = (id: string, status = 'creating') =>
  dbSnapshot({ id, account: VAULT_ACCOUNT, region: VAULT_REGION, type: 'manual', status, kmsKeyId: VAULT_KMS_KEY_ARN, tags: managedTagList('orders-db', sourceCopy.arn) });

beforeEach(() => {
  t = testClients();
});

describe('cross-account-copy', () => {
  it('assumes the vault role with the external ID and copies BY ARN with the vault key, cross-Region with SourceRegion', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: vaultCopy(i.TargetDBSnapshotIdentifier) }));

    const out = await invoke({ database, runId: 'run-7', snapshot: sourceCopy });

    expect(t.sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: VAULT_ROLE_ARN,
      ExternalId: 'ext-123',
      DurationSeconds: 900,
      RoleSessionName: 'rds-snapshot-vault-cross-account-copy',
    });
    expect(t.vaultRds).toHaveReceivedCommandWith(CopyDBSnapshotCommand, {
      SourceDBSnapshotIdentifier: sourceCopy.arn,
      TargetDBSnapshotIdentifier: sourceCopy.identifier,
      KmsKeyId: VAULT_KMS_KEY_ARN,
      SourceRegion: REGION,
      Tags: [
        { Key: TAGS.MANAGED, Value: 'true' },
        { Key: TAGS.DATABASE, Value: 'orders-db' },
        { Key: TAGS.SOURCE_SNAPSHOT, Value: sourceCopy.arn },
        { Key: TAGS.RUN, Value: 'run-7' },
      ],
    });
    expect(t.sourceRds).not.toHaveReceivedAnyCommand();
    const vaultClientOptions = t.rdsOptions.find((o) => o.credentials && typeof o.credentials !== 'function' && o.credentials.accessKeyId === VAULT_ACCESS_KEY);
    expect(vaultClientOptions?.region).toBe(VAULT_REGION);
    expect(out).toMatchObject({ created: true, startedAt: NOW.toISOString() });
    expect(out.snapshot).toMatchObject({ accountId: VAULT_ACCOUNT, region: VAULT_REGION, kmsKeyId: VAULT_KMS_KEY_ARN });
  });

  it('same Region: no SourceRegion (no presigned URL)', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake((i: { TargetDBSnapshotIdentifier: string }) => ({ DBSnapshot: vaultCopy(i.TargetDBSnapshotIdentifier) }));
    const key = VAULT_KMS_KEY_ARN.replace(VAULT_REGION, REGION);
    await invoke({ database, runId: 'r', snapshot: sourceCopy }, { ...ENV, VAULT_REGION: REGION, VAULT_KMS_KEY_ID: key });
    const input = t.vaultRds.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input;
    expect(input).toBeDefined();
    expect(input && 'SourceRegion' in input).toBe(false);
  });

  it('re-run: an existing managed vault copy of the same source -> created=false, no copy call', async () => {
    routeDescribes(t.vaultRds, { byId: { [sourceCopy.identifier]: vaultCopy(sourceCopy.identifier, 'available') } });
    const out = await invoke({ database, runId: 'r', snapshot: sourceCopy });
    expect(out.created).toBe(false);
    expect(t.vaultRds).not.toHaveReceivedCommand(CopyDBSnapshotCommand);
  });

  it('cluster: CopyDBClusterSnapshot by ARN', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBClusterSnapshotCommand).callsFake((i: { TargetDBClusterSnapshotIdentifier: string }) => ({
      DBClusterSnapshot: dbClusterSnapshot({ id: i.TargetDBClusterSnapshotIdentifier, account: VAULT_ACCOUNT, region: VAULT_REGION, status: 'creating', kmsKeyId: VAULT_KMS_KEY_ARN }),
    }));
    const snap: SnapshotRef = { ...sourceCopy, kind: 'cluster', identifier: 'rsv-users-202611200400', arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster-snapshot:rsv-users-202611200400` };
    await invoke({ database: { identifier: 'users', kind: 'cluster' }, runId: 'r', snapshot: snap });
    expect(t.vaultRds).toHaveReceivedCommandWith(CopyDBClusterSnapshotCommand, { SourceDBClusterSnapshotIdentifier: snap.arn, KmsKeyId: VAULT_KMS_KEY_ARN });
  });

  it('KMSKeyNotAccessibleFault -> KmsKeyNotAccessible naming the SOURCE key and the vault account', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).rejects(awsError('KMSKeyNotAccessibleFault', 'The source snapshot KMS key does not exist, is not enabled or you do not have permissions to access it.'));
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy }));
    expect(err.name).toBe('KmsKeyNotAccessible');
    expect(err.message).toContain(SOURCE_KMS_KEY_ARN);
    expect(err.message).toContain(VAULT_ACCOUNT);
    expect(err.message).toMatch(/source key policy/i);
  });

  it('KMSKeyNotAccessibleFault that names the vault key -> message points at the vault key', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).rejects(awsError('KMSKeyNotAccessibleFault', `Key ${VAULT_KMS_KEY_ARN} is disabled.`));
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy }));
    expect(err.message).toMatch(/vault KMS key/);
  });

  it('AccessDenied from STS -> VaultRoleNotAssumable naming the role and the external ID/trust policy', async () => {
    t.sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: sts:AssumeRole'));
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy }));
    expect(err.name).toBe('VaultRoleNotAssumable');
    expect(err.message).toContain(VAULT_ROLE_ARN);
    expect(err.message).toMatch(/external ID/i);
    expect(err.message).toMatch(/trust policy/i);
    expect(t.vaultRds).not.toHaveReceivedAnyCommand();
  });

  it('rejects a vault key of another Region at cold start (KMS keys are regional)', async () => {
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy }, { ...ENV, VAULT_KMS_KEY_ID: VAULT_KMS_KEY_ARN.replace(VAULT_REGION, 'us-east-1') }));
    expect(err.name).toBe('InvalidEnvironment');
    expect(err.message).toContain('VAULT_KMS_KEY_ID');
  });

  it('invalid event -> InvalidInput with the field path', async () => {
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: { ...sourceCopy, arn: 'rsv-orders-db' } }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('snapshot.arn');
  });
});
