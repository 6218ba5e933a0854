/**
 * Issue 8 item 3 (least privilege), simulated with the third-party evaluator
 * (@cloud-copilot/iam-simulate through test/infra/iam-sim.ts) against the synthesized policies of
 * config/example.json (cross-account, one DR Region):
 *
 * 1. create-copy tags only `rsv-*` DB (cluster) snapshots of its own account and Region, and only
 *    with the project's tag keys (`TAGS`, `ForAllValues:StringEquals` on `aws:TagKeys`);
 * 2. create-copy reaches the account's other KMS keys (aws/rds of the automated snapshot) only
 *    through RDS of its Region (`kms:ViaService`);
 * 3. the vault copy role tags only with the project's tag keys, and copies and tags only `rsv-*` copies;
 * 4. the vault copy role uses the source KMS key only through RDS, only to read a shared snapshot
 *    (no kms:Encrypt, CreateGrant only for RDS's own grants), and the source key policy admits the
 *    vault account only for that (issue 8 item 3, "the copy role uses only the source key");
 * 5. export-to-s3 starts export tasks only of `rsv-*` copies;
 * 6. poll-status's vault session (the vault copy role with poll-status's session policy) can only describe.
 *
 * Each allowed case has denied neighbours that differ in one thing (resource, tag key, caller
 * service), so a wider grant fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TAGS } from '../../contracts/shapes';
import { DESCRIBE_ONLY_SESSION_POLICY } from '../../functions/shared/vault-role';
import type { PolicyDocument } from '../../sandbox/simulator/index';
import { projectConfig } from './helpers';
import { buildAppModel, mismatches, type AppModel, type SimCall } from './iam-sim';

const PROJECT_KEYS: string[] = Object.values(TAGS);
const DATE = '202611200300';

/** Request context of a tagging request with these keys, as AWS sets it. */
function tagging(keys: readonly string[]): Record<string, string | string[]> {
  return { ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'v'])), 'aws:TagKeys': [...keys] };
}

let m: AppModel;
let S: string;
let R: string;
let V: string;
let VR: string;
let DR: string;
let createRole: string;
let exportRole: string;
let vaultRole: string;
let sourceKeyArn: string;
let sourceKeyPolicy: PolicyDocument;
let vaultKeyArn: string;
const policiesOf = (roleArn: string): readonly PolicyDocument[] => m.roles.find((r) => r.arn === roleArn)!.policies;
const call = (what: string, principal: string, action: string, resource: string, extra: Partial<SimCall> = {}): SimCall => ({
  what,
  principal,
  identityPolicies: policiesOf(principal),
  action,
  resource,
  resourceAccount: /:(\d{12}):/.exec(resource)![1]!,
  ...extra,
});

beforeAll(() => {
  m = buildAppModel(projectConfig('example.json'));
  const source = m.stacks.find((s) => s.stackName === `${m.config.deploymentName}-source`)!;
  S = source.accountId;
  R = source.region;
  V = m.config.vault.accountId!;
  VR = m.config.vault.region;
  DR = m.config.vault.drRegions![0]!;
  createRole = source.deployed.functions.find((f) => f.entry === 'create-copy')!.roleArn;
  exportRole = source.deployed.functions.find((f) => f.entry === 'export-to-s3')!.roleArn;
  vaultRole = m.roles.find((r) => r.arn.endsWith(`:role/${m.config.deploymentName}-vault-copy`))!.arn;
  const sourceKey = source.deployed.keys.find((k) => k.aliases.includes(`alias/${m.config.deploymentName}-source`))!;
  sourceKeyArn = sourceKey.arn;
  sourceKeyPolicy = m.documents.find((d) => d.kind === 'key' && d.resourceArns.includes(sourceKeyArn))!.document;
  const vaultStack = m.stacks.find((s) => s.accountId === V && s.region === VR && s.deployed.keys.length > 0)!;
  vaultKeyArn = vaultStack.deployed.keys.find((k) => k.aliases.includes(`alias/${m.config.deploymentName}`))!.arn;
});

describe('create-copy tags only its rsv- copies, only with the project tag keys', () => {
  it('config: a cross-account example with distinct source and vault accounts', () => {
    expect(S).not.toBe(V);
    expect(createRole).toMatch(/^arn:aws:iam::\d{12}:role\//);
  });

  it('allowed: Copy* of the automated snapshot to an rsv- copy with the project keys, and AddTagsToResource on it', async () => {
    const allowed = [
      call('copy source', createRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${R}:${S}:snapshot:rds:orders-db-2026-11-20-03-00`),
      call('copy target', createRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${R}:${S}:snapshot:rsv-orders-db-${DATE}`, { context: tagging(PROJECT_KEYS) }),
      call('tag DB snapshot copy', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:snapshot:rsv-orders-db-${DATE}`, { context: tagging(PROJECT_KEYS) }),
      call('tag DB cluster snapshot copy', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:cluster-snapshot:rsv-ledger-${DATE}`, {
        context: tagging([TAGS.MANAGED, TAGS.RUN]),
      }),
      call('cluster copy target', createRole, 'rds:CopyDBClusterSnapshot', `arn:aws:rds:${R}:${S}:cluster-snapshot:rsv-ledger-${DATE}`, { context: tagging(PROJECT_KEYS) }),
    ];
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });

  it('denied: tagging a DB instance, a DB cluster, a non-rsv or automated snapshot, another Region, a foreign tag key, no tag keys', async () => {
    const keys = tagging(PROJECT_KEYS);
    const rsv = `arn:aws:rds:${R}:${S}:snapshot:rsv-orders-db-${DATE}`;
    const denied = [
      call('DB instance', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:db:orders-db`, { context: keys }),
      call('DB cluster', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:cluster:ledger`, { context: keys }),
      call('manual snapshot not ours', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:snapshot:before-upgrade`, { context: keys }),
      call('automated snapshot', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:snapshot:rds:orders-db-2026-11-20-03-00`, { context: keys }),
      call('cluster snapshot not ours', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${R}:${S}:cluster-snapshot:ledger-final`, { context: keys }),
      call('rsv- copy in another Region', createRole, 'rds:AddTagsToResource', `arn:aws:rds:${DR}:${S}:snapshot:rsv-orders-db-${DATE}`, { context: keys }),
      call('foreign tag key', createRole, 'rds:AddTagsToResource', rsv, { context: tagging([TAGS.MANAGED, 'owner']) }),
      call('project-like but foreign key', createRole, 'rds:AddTagsToResource', rsv, { context: tagging(['rds-snapshot-vault:managed-by']) }),
      call('no aws:TagKeys', createRole, 'rds:AddTagsToResource', rsv),
      call('copy with a foreign tag key', createRole, 'rds:CopyDBSnapshot', rsv, { context: tagging([TAGS.MANAGED, 'owner']) }),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });
});

describe("create-copy uses the account's KMS keys only through RDS", () => {
  // aws/rds (or the DB's own key): not the source key, whose own statement is separate.
  const key = () => `arn:aws:kms:${R}:${S}:key/0b3e1c2d-1111-2222-3333-444455556666`;
  // AWS's default key policy (aws/rds's policy also delegates to the account's principals through RDS).
  const delegating = (): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${S}:root` }, Action: 'kms:*', Resource: '*' }] });
  const ACTIONS = ['kms:Decrypt', 'kms:CreateGrant', 'kms:DescribeKey', 'kms:ReEncryptFrom', 'kms:GenerateDataKey'];

  it('allowed through rds.<region>.amazonaws.com', async () => {
    const allowed = ACTIONS.map((a) => call(`via RDS ${a}`, createRole, a, key(), { resourcePolicy: delegating(), context: { 'kms:ViaService': `rds.${R}.amazonaws.com`, 'kms:CallerAccount': S } }));
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });

  it('denied when called directly, through another service or through RDS of another Region', async () => {
    const denied = ACTIONS.flatMap((a) => [
      call(`direct ${a}`, createRole, a, key(), { resourcePolicy: delegating(), context: { 'kms:CallerAccount': S } }),
      call(`via S3 ${a}`, createRole, a, key(), { resourcePolicy: delegating(), context: { 'kms:ViaService': `s3.${R}.amazonaws.com`, 'kms:CallerAccount': S } }),
      call(`via RDS ${DR} ${a}`, createRole, a, key(), { resourcePolicy: delegating(), context: { 'kms:ViaService': `rds.${DR}.amazonaws.com`, 'kms:CallerAccount': S } }),
    ]);
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });
});

describe('the vault copy role tags only with the project tag keys', () => {
  it('allowed: Copy* target and AddTagsToResource on vault and DR copies with the project keys', async () => {
    const allowed = [VR, DR].flatMap((region) => [
      call(`copy target ${region}`, vaultRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${region}:${V}:snapshot:rsv-orders-db-${DATE}`, { context: tagging(PROJECT_KEYS) }),
      call(`tag ${region}`, vaultRole, 'rds:AddTagsToResource', `arn:aws:rds:${region}:${V}:snapshot:rsv-orders-db-${DATE}`, { context: tagging(PROJECT_KEYS) }),
      call(`tag cluster ${region}`, vaultRole, 'rds:AddTagsToResource', `arn:aws:rds:${region}:${V}:cluster-snapshot:rsv-ledger-${DATE}`, { context: tagging([TAGS.MANAGED]) }),
    ]);
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });

  it('denied: a foreign tag key, no tag keys, and a copy with a foreign tag key', async () => {
    const copy = `arn:aws:rds:${VR}:${V}:snapshot:rsv-orders-db-${DATE}`;
    const denied = [
      call('foreign tag key', vaultRole, 'rds:AddTagsToResource', copy, { context: tagging([TAGS.MANAGED, 'owner']) }),
      call('foreign tag key only', vaultRole, 'rds:AddTagsToResource', copy, { context: tagging(['rds-snapshot-vault:managed-by']) }),
      call('no aws:TagKeys', vaultRole, 'rds:AddTagsToResource', copy),
      call('copy with a foreign tag key', vaultRole, 'rds:CopyDBSnapshot', copy, { context: tagging([TAGS.MANAGED, 'owner']) }),
      call('tag a vault DB instance', vaultRole, 'rds:AddTagsToResource', `arn:aws:rds:${VR}:${V}:db:restored`, { context: tagging(PROJECT_KEYS) }),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });
});

describe('same-account mode: cross-account-copy tags vault copies only with the project tag keys', () => {
  let sa: AppModel;
  let copier: string;
  beforeAll(() => {
    sa = buildAppModel(projectConfig('same-account.json'));
    copier = sa.stacks.flatMap((s) => s.deployed.functions).find((f) => f.entry === 'cross-account-copy')!.roleArn;
  });
  const simCall = (what: string, action: string, resource: string, context?: Record<string, string | string[]>): SimCall => ({
    what,
    principal: copier,
    identityPolicies: sa.roles.find((r) => r.arn === copier)!.policies,
    action,
    resource,
    resourceAccount: /:(\d{12}):/.exec(resource)![1]!,
    ...(context && { context }),
  });

  it('allowed with the project keys; denied with a foreign key or no tag keys', async () => {
    const acct = /:(\d{12}):/.exec(copier)![1]!;
    const copy = `arn:aws:rds:${sa.config.vault.region}:${acct}:snapshot:rsv-orders-db-${DATE}`;
    expect(await mismatches([simCall('tag', 'rds:AddTagsToResource', copy, tagging(PROJECT_KEYS)), simCall('copy target', 'rds:CopyDBSnapshot', copy, tagging(PROJECT_KEYS))], 'Allowed')).toEqual([]);
    expect(
      await mismatches(
        [
          simCall('foreign key', 'rds:AddTagsToResource', copy, tagging([TAGS.MANAGED, 'owner'])),
          simCall('no aws:TagKeys', 'rds:AddTagsToResource', copy),
          simCall('copy with a foreign key', 'rds:CopyDBSnapshot', copy, tagging(['owner'])),
        ],
        'Denied',
      ),
    ).toEqual([]);
  });
});

describe('the vault copy role copies and tags only rsv- copies', () => {
  // A shared snapshot has no resource policy: RDS checks the share itself, IAM only the caller's
  // identity policies, so the source snapshot is evaluated as if in the caller's account.
  const shared = () => ({ resourceAccount: V });
  it('denied: tagging or copying to a vault snapshot that is not an rsv- copy, and copying from a source snapshot that is not one', async () => {
    const keys = tagging(PROJECT_KEYS);
    const denied = [
      call('tag a vault admin snapshot', vaultRole, 'rds:AddTagsToResource', `arn:aws:rds:${VR}:${V}:snapshot:before-upgrade`, { context: keys }),
      call('tag a vault admin cluster snapshot', vaultRole, 'rds:AddTagsToResource', `arn:aws:rds:${DR}:${V}:cluster-snapshot:ledger-final`, { context: keys }),
      call('copy to a non-rsv vault snapshot', vaultRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${VR}:${V}:snapshot:orders-db-by-hand`, { context: keys }),
      call('copy from a source snapshot that is not an rsv- copy', vaultRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${R}:${S}:snapshot:before-upgrade`, shared()),
      call('copy from a source automated snapshot', vaultRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${R}:${S}:snapshot:rds:orders-db-2026-11-20-03-00`, shared()),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
    const allowed = [
      call('copy from the shared source copy', vaultRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${R}:${S}:snapshot:rsv-orders-db-${DATE}`, shared()),
      call('copy from the shared source cluster copy', vaultRole, 'rds:CopyDBClusterSnapshot', `arn:aws:rds:${R}:${S}:cluster-snapshot:rsv-ledger-${DATE}`, shared()),
      call('two-hop: copy from the vault copy', vaultRole, 'rds:CopyDBSnapshot', `arn:aws:rds:${VR}:${V}:snapshot:rsv-orders-db-${DATE}`),
    ];
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });
});

describe('the vault copy role uses the source key only through RDS, only to read the shared snapshot', () => {
  const viaRds = (region: string) => ({ 'kms:ViaService': `rds.${region}.amazonaws.com`, 'kms:CallerAccount': V });
  // The calls RDS makes for the vault when it copies the shared snapshot (docs/aws-behaviour.md §4).
  const READS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext'];
  const onSourceKey = (what: string, action: string, context: Record<string, string | string[]>, identityPolicies?: readonly PolicyDocument[]): SimCall =>
    call(what, vaultRole, action, sourceKeyArn, { resourcePolicy: sourceKeyPolicy, context, ...(identityPolicies && { identityPolicies }) });

  it('allowed: what a cross-account copy needs, through RDS of the source or vault Region; CreateGrant for RDS itself', async () => {
    const allowed = [R, VR].flatMap((region) => [
      ...READS.map((a) => onSourceKey(`${a} via RDS ${region}`, a, viaRds(region))),
      onSourceKey(`CreateGrant for RDS via ${region}`, 'kms:CreateGrant', { ...viaRds(region), 'kms:GrantIsForAWSResource': 'true' }),
    ]);
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });

  it('denied: kms:Encrypt, a grant not for an AWS resource, any direct call, another service, RDS of a Region that does not copy', async () => {
    const denied = [
      onSourceKey('Encrypt via RDS', 'kms:Encrypt', viaRds(R)),
      onSourceKey('CreateGrant via RDS, not for an AWS resource', 'kms:CreateGrant', { ...viaRds(R), 'kms:GrantIsForAWSResource': 'false' }),
      onSourceKey('CreateGrant directly', 'kms:CreateGrant', { 'kms:CallerAccount': V, 'kms:GrantIsForAWSResource': 'false' }),
      ...READS.map((a) => onSourceKey(`${a} directly`, a, { 'kms:CallerAccount': V })),
      ...READS.map((a) => onSourceKey(`${a} via S3`, a, { 'kms:ViaService': `s3.${R}.amazonaws.com`, 'kms:CallerAccount': V })),
      onSourceKey('Decrypt via RDS of an unrelated Region', 'kms:Decrypt', viaRds('ap-southeast-2')),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });

  it("the source key policy alone (caller an admin of the vault account) admits only what the copy needs, through RDS", async () => {
    const admin: PolicyDocument[] = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];
    const allowed = [
      ...READS.map((a) => onSourceKey(`${a} via RDS`, a, viaRds(R), admin)),
      onSourceKey('CreateGrant for RDS', 'kms:CreateGrant', { ...viaRds(R), 'kms:GrantIsForAWSResource': 'true' }, admin),
    ];
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
    const denied = [
      onSourceKey('Encrypt via RDS', 'kms:Encrypt', viaRds(R), admin),
      onSourceKey('CreateGrant not for an AWS resource', 'kms:CreateGrant', { ...viaRds(R), 'kms:GrantIsForAWSResource': 'false' }, admin),
      onSourceKey('Decrypt directly', 'kms:Decrypt', { 'kms:CallerAccount': V }, admin),
      onSourceKey('ScheduleKeyDeletion', 'kms:ScheduleKeyDeletion', { 'kms:CallerAccount': V }, admin),
      onSourceKey('PutKeyPolicy', 'kms:PutKeyPolicy', { 'kms:CallerAccount': V }, admin),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });

  it('the vault key: no kms:Encrypt, CreateGrant only for RDS itself', async () => {
    const delegating: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${V}:root` }, Action: 'kms:*', Resource: '*' }] };
    const onVaultKey = (what: string, action: string, context: Record<string, string>) => call(what, vaultRole, action, vaultKeyArn, { resourcePolicy: delegating, context: { 'kms:CallerAccount': V, ...context } });
    const via = { 'kms:ViaService': `rds.${VR}.amazonaws.com` };
    expect(
      await mismatches(
        [onVaultKey('DescribeKey via RDS', 'kms:DescribeKey', via), onVaultKey('CreateGrant for RDS', 'kms:CreateGrant', { ...via, 'kms:GrantIsForAWSResource': 'true' })],
        'Allowed',
      ),
    ).toEqual([]);
    expect(
      await mismatches(
        [
          onVaultKey('Encrypt via RDS', 'kms:Encrypt', via),
          onVaultKey('CreateGrant not for an AWS resource', 'kms:CreateGrant', { ...via, 'kms:GrantIsForAWSResource': 'false' }),
          onVaultKey('Decrypt directly', 'kms:Decrypt', {}),
        ],
        'Denied',
      ),
    ).toEqual([]);
  });
});

describe('export-to-s3 exports only rsv- copies', () => {
  it('allowed on rsv- DB (cluster) snapshot copies of its account and Region; denied on any other snapshot', async () => {
    const allowed = [
      call('rsv- DB snapshot copy', exportRole, 'rds:StartExportTask', `arn:aws:rds:${R}:${S}:snapshot:rsv-orders-db-${DATE}`),
      call('rsv- DB cluster snapshot copy', exportRole, 'rds:StartExportTask', `arn:aws:rds:${R}:${S}:cluster-snapshot:rsv-ledger-${DATE}`),
    ];
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
    const denied = [
      call('manual snapshot not ours', exportRole, 'rds:StartExportTask', `arn:aws:rds:${R}:${S}:snapshot:before-upgrade`),
      call('automated snapshot', exportRole, 'rds:StartExportTask', `arn:aws:rds:${R}:${S}:snapshot:rds:orders-db-2026-11-20-03-00`),
      call('cluster snapshot not ours', exportRole, 'rds:StartExportTask', `arn:aws:rds:${R}:${S}:cluster-snapshot:ledger-final`),
      call('rsv- copy of another Region', exportRole, 'rds:StartExportTask', `arn:aws:rds:${DR}:${S}:snapshot:rsv-orders-db-${DATE}`),
      call('a DB cluster', exportRole, 'rds:StartExportTask', `arn:aws:rds:${R}:${S}:cluster:ledger`),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });
});

describe("poll-status's vault session can only describe", () => {
  // The vault copy role's policies intersected with the session policy poll-status passes to AssumeRole.
  const session = () => ({ sessionPolicy: DESCRIBE_ONLY_SESSION_POLICY as unknown as PolicyDocument });
  const copy = (region: string) => `arn:aws:rds:${region}:${V}:snapshot:rsv-orders-db-${DATE}`;
  const clusterCopy = (region: string) => `arn:aws:rds:${region}:${V}:cluster-snapshot:rsv-ledger-${DATE}`;

  it('allowed: Describe* of vault and DR copies', async () => {
    const allowed = [VR, DR].flatMap((region) => [
      call(`describe ${region}`, vaultRole, 'rds:DescribeDBSnapshots', copy(region), session()),
      call(`describe cluster ${region}`, vaultRole, 'rds:DescribeDBClusterSnapshots', clusterCopy(region), session()),
    ]);
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });

  it('denied: copy, tag, delete, share and any use of the vault key, which the role itself may partly do', async () => {
    const delegating: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${V}:root` }, Action: 'kms:*', Resource: '*' }] };
    const denied = [
      call('copy', vaultRole, 'rds:CopyDBSnapshot', copy(VR), { ...session(), context: tagging(PROJECT_KEYS) }),
      call('cluster copy', vaultRole, 'rds:CopyDBClusterSnapshot', clusterCopy(DR), { ...session(), context: tagging(PROJECT_KEYS) }),
      call('tag', vaultRole, 'rds:AddTagsToResource', copy(VR), { ...session(), context: tagging(PROJECT_KEYS) }),
      call('delete', vaultRole, 'rds:DeleteDBSnapshot', copy(VR), session()),
      call('delete cluster', vaultRole, 'rds:DeleteDBClusterSnapshot', clusterCopy(VR), session()),
      call('share', vaultRole, 'rds:ModifyDBSnapshotAttribute', copy(VR), session()),
      call('grant on the vault key via RDS', vaultRole, 'kms:CreateGrant', vaultKeyArn, {
        ...session(),
        resourcePolicy: delegating,
        context: { 'kms:ViaService': `rds.${VR}.amazonaws.com`, 'kms:CallerAccount': V, 'kms:GrantIsForAWSResource': 'true' },
      }),
    ];
    expect(await mismatches(denied, 'Denied')).toEqual([]);
    // Without the session policy the role may copy, tag and use the key: the session policy is what denies them.
    const roleAlone = [
      call('copy (role alone)', vaultRole, 'rds:CopyDBSnapshot', copy(VR), { context: tagging(PROJECT_KEYS) }),
      call('tag (role alone)', vaultRole, 'rds:AddTagsToResource', copy(VR), { context: tagging(PROJECT_KEYS) }),
    ];
    expect(await mismatches(roleAlone, 'Allowed')).toEqual([]);
  });
});
