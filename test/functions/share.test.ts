import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBSnapshotAttributesCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/share/index.js';
import type { ShareOutput, SnapshotRef } from '../../contracts/shapes.js';
import { awsError, BASE_ENV, caught, fakeContext, NOW, REGION, SOURCE_ACCOUNT, testClients, VAULT_ACCOUNT, type TestClients } from './helpers.js';

const ENV = { ...BASE_ENV, VAULT_ACCOUNT_ID: VAULT_ACCOUNT };
const snapshot: SnapshotRef = {
  kind: 'instance',
  identifier: 'rsv-orders-db-202611200400',
  arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:rsv-orders-db-202611200400`,
  accountId: SOURCE_ACCOUNT,
  region: REGION,
  status: 'available',
};
const attrs = (values: string[]) => ({ DBSnapshotAttributesResult: { DBSnapshotIdentifier: snapshot.identifier, DBSnapshotAttributes: [{ AttributeName: 'restore', AttributeValues: values }] } });

let t: TestClients;
const invoke = (event: unknown) => createHandler({ env: ENV, clients: t.factory, now: () => NOW })(event, fakeContext('share')) as Promise<ShareOutput>;

beforeEach(() => {
  t = testClients();
});

describe('share', () => {
  it('adds the vault account to the restore attribute', async () => {
    t.sourceRds.on(DescribeDBSnapshotAttributesCommand).resolves(attrs(['333333333333']));
    t.sourceRds.on(ModifyDBSnapshotAttributeCommand).resolves(attrs(['333333333333', VAULT_ACCOUNT]));
    const out = await invoke({ snapshot });
    expect(t.sourceRds).toHaveReceivedCommandWith(ModifyDBSnapshotAttributeCommand, {
      DBSnapshotIdentifier: snapshot.identifier,
      AttributeName: 'restore',
      ValuesToAdd: [VAULT_ACCOUNT],
    });
    expect(out).toEqual({ sharedWith: ['333333333333', VAULT_ACCOUNT], alreadyShared: false });
  });

  it('is idempotent: already shared -> alreadyShared=true and no modify call', async () => {
    t.sourceRds.on(DescribeDBSnapshotAttributesCommand).resolves(attrs([VAULT_ACCOUNT]));
    const out = await invoke({ snapshot });
    expect(out).toEqual({ sharedWith: [VAULT_ACCOUNT], alreadyShared: true });
    expect(t.sourceRds).not.toHaveReceivedCommand(ModifyDBSnapshotAttributeCommand);
  });

  it('cluster snapshots use the DB cluster snapshot attribute APIs', async () => {
    t.sourceRds.on(DescribeDBClusterSnapshotAttributesCommand).resolves({ DBClusterSnapshotAttributesResult: { DBClusterSnapshotAttributes: [] } });
    t.sourceRds.on(ModifyDBClusterSnapshotAttributeCommand).resolves({});
    const out = await invoke({ snapshot: { ...snapshot, kind: 'cluster', arn: snapshot.arn.replace(':snapshot:', ':cluster-snapshot:') } });
    expect(t.sourceRds).toHaveReceivedCommandWith(ModifyDBClusterSnapshotAttributeCommand, { AttributeName: 'restore', ValuesToAdd: [VAULT_ACCOUNT] });
    expect(t.sourceRds).not.toHaveReceivedCommand(ModifyDBSnapshotAttributeCommand);
    expect(out).toEqual({ sharedWith: [VAULT_ACCOUNT], alreadyShared: false });
  });

  it('default-key snapshot -> SnapshotNotShareable with the fix; 20-account limit -> ShareLimitExceeded', async () => {
    t.sourceRds.on(DescribeDBSnapshotAttributesCommand).resolves(attrs([]));
    t.sourceRds
      .on(ModifyDBSnapshotAttributeCommand)
      .rejectsOnce(awsError('InvalidParameterValue', 'Encrypted snapshots with the default KMS key cannot be shared.'))
      .rejectsOnce(awsError('SharedSnapshotQuotaExceededFault', 'quota'));
    const notShareable = await caught(() => invoke({ snapshot }));
    expect(notShareable.name).toBe('SnapshotNotShareable');
    expect(notShareable.message).toMatch(/customer-managed key/);
    const limit = await caught(() => invoke({ snapshot }));
    expect(limit.name).toBe('ShareLimitExceeded');
    expect(limit.message).toContain('20');
  });

  it('refuses a snapshot of another account (InvalidInput naming snapshot.accountId)', async () => {
    const err = await caught(() => invoke({ snapshot: { ...snapshot, accountId: VAULT_ACCOUNT } }));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('snapshot.accountId');
  });
});
