import 'aws-sdk-client-mock-vitest/extend';
import { CopyDBClusterSnapshotCommand, CopyDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler, vaultKeyAliasArn } from '../../functions/cross-account-copy/index.js';
import { TAGS, type CrossAccountCopyOutput, type SnapshotRef } from '../../contracts/shapes.js';
import {
  awsError,
  BASE_ENV,
  caught,
  COPY_ID,
  dbClusterSnapshot,
  dbSnapshot,
  fakeContext,
  managedTagList,
  NOW,
  REGION,
  routeDescribes,
  SOURCE_ACCOUNT,
  SOURCE_KMS_KEY_ARN,
  sourceCopyRef,
  testClients,
  VAULT_ACCESS_KEY,
  VAULT_ACCOUNT,
  VAULT_REGION,
  VAULT_ROLE_ARN,
  type TestClients,
} from './helpers.js';

const ALIAS = 'alias/rds-snapshot-vault';
const DR_REGION = 'us-west-2';
const aliasArn = (region: string, account = VAULT_ACCOUNT) => `arn:aws:kms:${region}:${account}:${ALIAS}`;
const ENV = {
  ...BASE_ENV,
  VAULT_ACCOUNT_ID: VAULT_ACCOUNT,
  VAULT_REGION,
  VAULT_ROLE_ARN,
  VAULT_EXTERNAL_ID: 'ext-123',
  VAULT_KMS_KEY_ALIAS: ALIAS,
};
/** Same-account mode: no role, the vault is this account. */
const SAME_ACCOUNT_ENV = { ...BASE_ENV, VAULT_ACCOUNT_ID: SOURCE_ACCOUNT, VAULT_REGION, VAULT_KMS_KEY_ALIAS: ALIAS };
const database = { identifier: 'orders-db', kind: 'instance' } as const;
const ID = COPY_ID;
const sourceCopy = sourceCopyRef('2026-11-20T04:30:00.000Z', { kmsKeyId: SOURCE_KMS_KEY_ARN });
/** The vault copy in the vault Region: the source of a two-hop DR copy. */
const vaultCopyRef: SnapshotRef = {
  ...sourceCopy,
  arn: `arn:aws:rds:${VAULT_REGION}:${VAULT_ACCOUNT}:snapshot:${ID}`,
  accountId: VAULT_ACCOUNT,
  region: VAULT_REGION,
  kmsKeyId: aliasArn(VAULT_REGION),
};

let t: TestClients;
const invoke = (event: unknown, env: Record<string, string | undefined> = ENV) =>
  createHandler({ env, clients: t.factory, now: () => NOW })(event, fakeContext('cross-account-copy')) as Promise<CrossAccountCopyOutput>;
const copyIn = (account: string, region: string, source = sourceCopy.arn, status = 'creating') =>
  dbSnapshot({ id: ID, account, region, type: 'manual', status, kmsKeyId: aliasArn(region, account), tags: managedTagList('orders-db', source) });
const copyInput = (stub: TestClients['vaultRds']) => stub.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input;

beforeEach(() => {
  t = testClients();
});

describe('cross-account-copy: vault copy (cross-account mode)', () => {
  it('assumes the vault role with the external ID and copies BY ARN with the vault key alias ARN of the vault Region; no SourceRegion', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(VAULT_ACCOUNT, VAULT_REGION) }));

    const out = await invoke({ database, runId: 'run-7', destinationRegion: VAULT_REGION, snapshot: sourceCopy });

    expect(t.sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: VAULT_ROLE_ARN,
      ExternalId: 'ext-123',
      DurationSeconds: 900,
      RoleSessionName: 'rds-snapshot-vault-cross-account-copy',
    });
    expect(t.vaultRds).toHaveReceivedCommandWith(CopyDBSnapshotCommand, {
      SourceDBSnapshotIdentifier: sourceCopy.arn,
      TargetDBSnapshotIdentifier: ID,
      KmsKeyId: `arn:aws:kms:${VAULT_REGION}:${VAULT_ACCOUNT}:alias/rds-snapshot-vault`,
      Tags: [
        { Key: TAGS.MANAGED, Value: 'true' },
        { Key: TAGS.DATABASE, Value: 'orders-db' },
        { Key: TAGS.SOURCE_SNAPSHOT, Value: sourceCopy.arn },
        { Key: TAGS.RUN, Value: 'run-7' },
        { Key: TAGS.COPY_REQUESTED_AT, Value: NOW.toISOString() },
      ],
    });
    // CopyDBSnapshotMessage has no SourceRegion member: the SDK middleware presigns from the ARN.
    expect(copyInput(t.vaultRds) && 'SourceRegion' in copyInput(t.vaultRds)!).toBe(false);
    expect(t.sourceRds).not.toHaveReceivedAnyCommand();
    const vaultClientOptions = t.rdsOptions.find((o) => o.credentials && typeof o.credentials !== 'function' && o.credentials.accessKeyId === VAULT_ACCESS_KEY);
    expect(vaultClientOptions?.region).toBe(VAULT_REGION);
    expect(out).toMatchObject({ created: true, startedAt: NOW.toISOString() });
    expect(out.snapshot).toMatchObject({ accountId: VAULT_ACCOUNT, region: VAULT_REGION });
  });

  it('single-step DR copy: destinationRegion -> client AND key alias ARN in that Region (KMS keys are regional)', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(VAULT_ACCOUNT, DR_REGION) }));
    const out = await invoke({ database, runId: 'r', snapshot: sourceCopy, destinationRegion: DR_REGION });
    expect(copyInput(t.vaultRds)).toMatchObject({ SourceDBSnapshotIdentifier: sourceCopy.arn, KmsKeyId: aliasArn(DR_REGION) });
    expect(t.rdsOptions.at(-1)?.region).toBe(DR_REGION);
    expect(out.snapshot.region).toBe(DR_REGION);
  });

  it('two-hop DR copy: the vault copy (vault account) into a DR Region of the same account, by ARN', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(VAULT_ACCOUNT, DR_REGION, vaultCopyRef.arn) }));
    const out = await invoke({ database, runId: 'r', snapshot: vaultCopyRef, destinationRegion: DR_REGION });
    expect(copyInput(t.vaultRds)).toMatchObject({ SourceDBSnapshotIdentifier: vaultCopyRef.arn, TargetDBSnapshotIdentifier: ID, KmsKeyId: aliasArn(DR_REGION) });
    expect(copyInput(t.vaultRds)?.Tags).toContainEqual({ Key: TAGS.SOURCE_SNAPSHOT, Value: vaultCopyRef.arn });
    expect(out.created).toBe(true);
  });

  it('option groups (docs/aws-behaviour.md §15a): OptionGroupName of the destination Region on a cross-Region copy only', async () => {
    const optionGroups = { [DR_REGION]: 'ledger-dr-og', [VAULT_REGION]: 'ledger-og' };
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(VAULT_ACCOUNT, DR_REGION, vaultCopyRef.arn) }));
    await invoke({ database, runId: 'r', snapshot: vaultCopyRef, destinationRegion: DR_REGION, optionGroups });
    expect(copyInput(t.vaultRds)).toMatchObject({ OptionGroupName: 'ledger-dr-og' });
    // Same Region as the source (a vault copy of a source copy in the vault Region): no OptionGroupName,
    // even when one is configured for that Region.
    const sameRegionSource = { ...sourceCopy, region: VAULT_REGION, arn: sourceCopy.arn.replace(`:${sourceCopy.region}:`, `:${VAULT_REGION}:`) };
    t = testClients();
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(VAULT_ACCOUNT, VAULT_REGION, sameRegionSource.arn) }));
    await invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sameRegionSource, optionGroups });
    expect(copyInput(t.vaultRds)?.SourceDBSnapshotIdentifier).toBe(sameRegionSource.arn);
    expect(copyInput(t.vaultRds)).not.toHaveProperty('OptionGroupName');
    // ... and a cross-Region copy into the vault Region gets that Region's option group.
    t = testClients();
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(VAULT_ACCOUNT, VAULT_REGION) }));
    await invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy, optionGroups });
    expect(copyInput(t.vaultRds)).toMatchObject({ OptionGroupName: 'ledger-og' });
  });

  it('"requires a target option group" -> OptionGroupRequired naming the account, Region, engine, options and the config field', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).rejects(awsError('InvalidParameterValue', 'The snapshot requires a target option group with the following options: [Timezone, OLS]'));
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: { ...vaultCopyRef, engine: 'oracle-ee', optionGroupName: 'ledger-og' }, destinationRegion: DR_REGION }));
    expect(err.name).toBe('OptionGroupRequired');
    for (const part of [`account ${VAULT_ACCOUNT} Region ${DR_REGION}`, 'engine oracle-ee', 'ledger-og', '(Timezone, OLS)', `for Region ${DR_REGION} in databases[].optionGroups of orders-db`, 'orders-db']) expect(err.message).toContain(part);
    // Any other InvalidParameterValue keeps its name.
    t.vaultRds.on(CopyDBSnapshotCommand).rejects(awsError('InvalidParameterValue', 'something else'));
    expect((await caught(() => invoke({ database, runId: 'r', snapshot: vaultCopyRef, destinationRegion: DR_REGION }))).name).toBe('InvalidParameterValue');
  });

  it('rejects a copy onto itself (the vault copy into the vault Region)', async () => {
    const err = await caught(() => invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: vaultCopyRef }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toMatch(/already in the destination/);
    expect(t.vaultRds).not.toHaveReceivedAnyCommand();
  });

  it('re-run: an existing managed copy of the same source -> created=false, no copy call', async () => {
    routeDescribes(t.vaultRds, { byId: { [ID]: copyIn(VAULT_ACCOUNT, VAULT_REGION, sourceCopy.arn, 'available') } });
    const out = await invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy });
    expect(out.created).toBe(false);
    expect(t.vaultRds).not.toHaveReceivedCommand(CopyDBSnapshotCommand);
    // No copy-requested-at tag (a copy made before that tag existed): elapsed time counts from now.
    expect(out.copyStartedAt).toBe(NOW.toISOString());
  });

  it('re-run finding the copy still in progress: copyStartedAt = its copy-requested-at tag, so polling counts from the real request (§13)', async () => {
    const earlier = '2026-11-21T01:30:00.000Z';
    const inProgress = copyIn(VAULT_ACCOUNT, VAULT_REGION, sourceCopy.arn, 'creating');
    routeDescribes(t.vaultRds, { byId: { [ID]: { ...inProgress, TagList: [...(inProgress.TagList ?? []), { Key: TAGS.COPY_REQUESTED_AT, Value: earlier }] } } });
    const out = await invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy });
    expect(out).toMatchObject({ created: false, startedAt: NOW.toISOString(), copyStartedAt: earlier });
    // A tag in the future or not a time is ignored.
    t = testClients();
    routeDescribes(t.vaultRds, { byId: { [ID]: { ...inProgress, TagList: [...(inProgress.TagList ?? []), { Key: TAGS.COPY_REQUESTED_AT, Value: 'soon' }] } } });
    expect((await invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy })).copyStartedAt).toBe(NOW.toISOString());
  });

  it('cluster: CopyDBClusterSnapshot by ARN with the destination key alias ARN', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBClusterSnapshotCommand).callsFake((i: { TargetDBClusterSnapshotIdentifier: string }) => ({
      DBClusterSnapshot: dbClusterSnapshot({ id: i.TargetDBClusterSnapshotIdentifier, account: VAULT_ACCOUNT, region: DR_REGION, status: 'creating', kmsKeyId: aliasArn(DR_REGION) }),
    }));
    const snap: SnapshotRef = { ...sourceCopy, kind: 'cluster', identifier: 'rsv-users-202611200400', arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster-snapshot:rsv-users-202611200400` };
    await invoke({ database: { identifier: 'users', kind: 'cluster' }, runId: 'r', snapshot: snap, destinationRegion: DR_REGION });
    expect(t.vaultRds).toHaveReceivedCommandWith(CopyDBClusterSnapshotCommand, { SourceDBClusterSnapshotIdentifier: snap.arn, KmsKeyId: aliasArn(DR_REGION) });
  });

  it('KMSKeyNotAccessibleFault -> KmsKeyNotAccessible naming the SOURCE key and the vault account', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).rejects(awsError('KMSKeyNotAccessibleFault', 'The source snapshot KMS key does not exist, is not enabled or you do not have permissions to access it.'));
    const err = await caught(() => invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy }));
    expect(err.name).toBe('KmsKeyNotAccessible');
    expect(err.message).toContain(SOURCE_KMS_KEY_ARN);
    expect(err.message).toContain(VAULT_ACCOUNT);
    expect(err.message).toMatch(/source key policy/i);
  });

  it('KMSKeyNotAccessibleFault that names the destination key -> message points at the vault key of that Region', async () => {
    routeDescribes(t.vaultRds, {});
    t.vaultRds.on(CopyDBSnapshotCommand).rejects(awsError('KMSKeyNotAccessibleFault', `Key ${aliasArn(DR_REGION)} does not exist.`));
    const err = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy, destinationRegion: DR_REGION }));
    expect(err.message).toMatch(/vault KMS key/);
    expect(err.message).toContain(DR_REGION);
  });

  it('AccessDenied from STS -> VaultRoleNotAssumable naming the role and the external ID/trust policy', async () => {
    t.sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: sts:AssumeRole'));
    const err = await caught(() => invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy }));
    expect(err.name).toBe('VaultRoleNotAssumable');
    expect(err.message).toContain(VAULT_ROLE_ARN);
    expect(err.message).toMatch(/external ID/i);
    expect(err.message).toMatch(/trust policy/i);
    expect(t.vaultRds).not.toHaveReceivedAnyCommand();
  });

  it('invalid event -> InvalidInput with the field path', async () => {
    const err = await caught(() => invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: { ...sourceCopy, arn: 'rsv-orders-db' } }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('snapshot.arn');
    const region = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy, destinationRegion: 'mars' }));
    expect(region.message).toContain('destinationRegion');
    // Issue 11: no VAULT_REGION default any more; every DatabaseBackup payload names the destination.
    t = testClients();
    const missing = await caught(() => invoke({ database, runId: 'r', snapshot: sourceCopy }));
    expect(missing.name).toBe('InvalidInput');
    expect(missing.message).toContain('destinationRegion: required');
    expect(t.sts).not.toHaveReceivedAnyCommand();
    expect(t.vaultRds).not.toHaveReceivedAnyCommand();
  });
});

describe('cross-account-copy: same-account mode', () => {
  it('copies with its own credentials into the vault Region of its own account: NO STS call, key alias of this account', async () => {
    routeDescribes(t.sourceRds, {});
    t.sourceRds.on(CopyDBSnapshotCommand).callsFake(() => ({ DBSnapshot: copyIn(SOURCE_ACCOUNT, VAULT_REGION) }));
    const out = await invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy }, SAME_ACCOUNT_ENV);
    expect(t.sts).not.toHaveReceivedAnyCommand();
    expect(t.vaultRds).not.toHaveReceivedAnyCommand();
    expect(t.rdsOptions).toEqual([{ region: VAULT_REGION }]);
    expect(copyInput(t.sourceRds)).toMatchObject({ SourceDBSnapshotIdentifier: sourceCopy.arn, KmsKeyId: aliasArn(VAULT_REGION, SOURCE_ACCOUNT) });
    expect(out.snapshot).toMatchObject({ accountId: SOURCE_ACCOUNT, region: VAULT_REGION });
  });

  it('environment: role and external ID both or neither; same-account needs VAULT_ACCOUNT_ID = ACCOUNT_ID; alias name, not ARN', async () => {
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{ ...ENV, VAULT_EXTERNAL_ID: undefined }, 'VAULT_EXTERNAL_ID: must be set together with VAULT_ROLE_ARN'],
      [{ ...ENV, VAULT_ROLE_ARN: undefined }, 'VAULT_ROLE_ARN: must be set together with VAULT_EXTERNAL_ID'],
      [{ ...SAME_ACCOUNT_ENV, VAULT_ACCOUNT_ID: VAULT_ACCOUNT }, 'VAULT_ROLE_ARN: required'],
      [{ ...ENV, VAULT_ACCOUNT_ID: SOURCE_ACCOUNT }, 'VAULT_ROLE_ARN: must be absent'],
      [{ ...ENV, VAULT_ROLE_ARN: VAULT_ROLE_ARN.replace(VAULT_ACCOUNT, '333333333333') }, 'VAULT_ROLE_ARN: must be a role of VAULT_ACCOUNT_ID'],
      [{ ...ENV, VAULT_KMS_KEY_ALIAS: aliasArn(VAULT_REGION) }, 'VAULT_KMS_KEY_ALIAS'],
      [{ ...ENV, VAULT_KMS_KEY_ALIAS: 'alias/aws/rds' }, 'VAULT_KMS_KEY_ALIAS'],
    ];
    for (const [env, message] of cases) {
      t = testClients();
      const err = await caught(() => invoke({ database, runId: 'r', destinationRegion: VAULT_REGION, snapshot: sourceCopy }, env));
      expect(err.name, message).toBe('InvalidEnvironment');
      expect(err.message).toContain(message);
      expect(t.sts).not.toHaveReceivedAnyCommand();
    }
  });
});

describe('vaultKeyAliasArn', () => {
  it('builds the alias ARN per partition and Region', () => {
    expect(vaultKeyAliasArn('aws', 'us-west-2', VAULT_ACCOUNT, ALIAS)).toBe(`arn:aws:kms:us-west-2:${VAULT_ACCOUNT}:alias/rds-snapshot-vault`);
    expect(vaultKeyAliasArn('aws-us-gov', 'us-gov-west-1', VAULT_ACCOUNT, ALIAS)).toBe(`arn:aws-us-gov:kms:us-gov-west-1:${VAULT_ACCOUNT}:alias/rds-snapshot-vault`);
  });
});

describe('SDK cross-Region presigning (verifies the assumption the copy relies on)', () => {
  it('a CopyDBSnapshot sent in the destination Region with a source ARN of another Region carries a PreSignedUrl for the source Region', async () => {
    let body = '';
    const client = new RDSClient({
      region: DR_REGION,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          body = String(request.body ?? '');
          throw Object.assign(new Error('stop after serialisation'), { name: 'TestStop' });
        },
      },
    });
    await caught(() =>
      client.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: sourceCopy.arn, TargetDBSnapshotIdentifier: ID, KmsKeyId: aliasArn(DR_REGION) })),
    );
    const params = new URLSearchParams(body);
    const presigned = params.get('PreSignedUrl');
    expect(presigned).toBeTruthy();
    const url = new URL(presigned!);
    expect(url.hostname).toBe(`rds.${REGION}.amazonaws.com`);
    expect(url.searchParams.get('DestinationRegion')).toBe(DR_REGION);
    expect(url.searchParams.get('KmsKeyId')).toBe(aliasArn(DR_REGION));
    expect(params.has('SourceRegion')).toBe(false);
  });
});
