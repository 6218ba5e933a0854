import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import {
  type Statement,
  type Synthesized,
  actionsOf,
  asArray,
  configWith,
  functionsByName,
  logicalIdOf,
  roleIdOfFunction,
  roleStatements,
  synth,
} from './helpers';

let s: Synthesized;
let vaultRoleId: string;
beforeAll(() => {
  s = synth();
  vaultRoleId = logicalIdOf(s.vault, 'AWS::IAM::Role', { RoleName: 'rds-snapshot-vault-vault-copy' });
});

/** IAM action patterns: does `granted` (may contain `*`) cover `action`? */
function covers(granted: string, action: string): boolean {
  const re = new RegExp(`^${granted.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(action);
}

const FORBIDDEN = [
  'rds:DeleteDBSnapshot',
  'rds:DeleteDBClusterSnapshot',
  'rds:DeleteDBInstance',
  'rds:ModifyDBSnapshotAttribute',
  'rds:ModifyDBClusterSnapshotAttribute',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBClusterFromSnapshot',
];

describe('VaultStack', () => {
  it('is named and protected from termination', () => {
    expect(s.vaultStack.stackName).toBe('rds-snapshot-vault-vault');
    expect(s.vaultStack.terminationProtection).toBe(true);
    expect(s.vaultStack.account).toBe('222222222222');
    expect(s.vaultStack.region).toBe('us-east-1');
  });

  describe('vault copy role', () => {
    it('trusts exactly the two source roles, with the external ID', () => {
      const trust = s.vault.findResources('AWS::IAM::Role')[vaultRoleId]!.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      const principals = trust.flatMap((st) => asArray((st.Principal as { AWS?: string | string[] }).AWS));
      expect(principals.sort()).toEqual([
        'arn:aws:iam::111111111111:role/rds-snapshot-vault-cross-account-copy',
        'arn:aws:iam::111111111111:role/rds-snapshot-vault-poll-status',
      ]);
      for (const st of trust) {
        expect(st.Effect).toBe('Allow');
        expect(st.Action).toBe('sts:AssumeRole');
        expect(Object.keys(st.Principal as object)).toEqual(['AWS']);
        expect(st.Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'rsv-example-3f9c1b7e' } });
      }
    });

    it('allows no delete, share or restore action', () => {
      const allowed = roleStatements(s.vault, vaultRoleId)
        .filter((st) => st.Effect === 'Allow')
        .flatMap(actionsOf);
      for (const action of FORBIDDEN) {
        expect(allowed.filter((g) => covers(g, action)), action).toEqual([]);
      }
      expect([...new Set(allowed.filter((a) => a.startsWith('rds:')))].sort()).toEqual(
        [
          'rds:AddTagsToResource',
          'rds:CopyDBClusterSnapshot',
          'rds:CopyDBSnapshot',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBSnapshots',
          'rds:ListTagsForResource',
        ].sort(),
      );
    });

    it('denies delete, share and restore explicitly', () => {
      const deny = roleStatements(s.vault, vaultRoleId).filter((st) => st.Effect === 'Deny');
      expect(deny).toHaveLength(1);
      expect(actionsOf(deny[0]!).sort()).toEqual(
        ['rds:Delete*', 'rds:ModifyDBClusterSnapshotAttribute', 'rds:ModifyDBSnapshotAttribute', 'rds:Restore*'].sort(),
      );
      expect(deny[0]!.Resource).toBe('*');
      expect(deny[0]!.Condition).toBeUndefined();
      for (const action of FORBIDDEN) expect(actionsOf(deny[0]!).some((g) => covers(g, action)), action).toBe(true);
    });

    it('copies into the vault account in the vault and DR Regions only, from the source account or the vault itself', () => {
      const st = roleStatements(s.vault, vaultRoleId);
      const copy = st.find((x) => actionsOf(x).includes('rds:CopyDBSnapshot'))!;
      // Only this tool's copies (rsv-*), as targets and as sources.
      expect(asArray(copy.Resource as string[]).sort()).toEqual(
        [
          'arn:aws:rds:us-east-1:222222222222:snapshot:rsv-*',
          'arn:aws:rds:us-east-1:222222222222:cluster-snapshot:rsv-*',
          'arn:aws:rds:us-west-2:222222222222:snapshot:rsv-*',
          'arn:aws:rds:us-west-2:222222222222:cluster-snapshot:rsv-*',
          'arn:aws:rds:us-east-1:111111111111:snapshot:rsv-*',
          'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rsv-*',
        ].sort(),
      );
      const tag = st.find((x) => actionsOf(x).includes('rds:AddTagsToResource'))!;
      expect(asArray(tag.Resource as string[]).sort()).toEqual(
        [
          'arn:aws:rds:us-east-1:222222222222:snapshot:rsv-*',
          'arn:aws:rds:us-east-1:222222222222:cluster-snapshot:rsv-*',
          'arn:aws:rds:us-west-2:222222222222:snapshot:rsv-*',
          'arn:aws:rds:us-west-2:222222222222:cluster-snapshot:rsv-*',
        ].sort(),
      );
    });

    it('uses the vault key and, only through RDS, the source account keys', () => {
      const st = roleStatements(s.vault, vaultRoleId).filter((x) => actionsOf(x).some((a) => a.startsWith('kms:')));
      const vaultKeyId = logicalIdOf(s.vault, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('copies kept in the vault') });
      const isGrant = (x: (typeof st)[number]) => actionsOf(x).includes('kms:CreateGrant');
      const on = (resource: unknown, grant: boolean) => st.find((x) => JSON.stringify(x.Resource) === JSON.stringify(resource) && isGrant(x) === grant)!;
      const vaultKey = { 'Fn::GetAtt': [vaultKeyId, 'Arn'] };
      const onVaultKey = on(vaultKey, false);
      // No kms:Encrypt on any key; CreateGrant in its own statement.
      expect(actionsOf(onVaultKey).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'].sort());
      // Only through RDS (of the vault Regions): never callable directly, e.g. to CreateGrant for itself.
      const viaVault = { 'kms:ViaService': ['rds.us-east-1.amazonaws.com', 'rds.us-west-2.amazonaws.com'] };
      expect(onVaultKey.Condition).toEqual({ StringEquals: viaVault });
      // CreateGrant only through RDS and only for a grant RDS makes for itself.
      expect(on(vaultKey, true)).toMatchObject({ Action: 'kms:CreateGrant', Condition: { StringEquals: viaVault, Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
      const sourceKeys = 'arn:aws:kms:us-east-1:111111111111:key/*';
      expect(on(sourceKeys, false).Condition).toEqual({ StringEquals: { 'kms:ViaService': ['rds.us-east-1.amazonaws.com'] } });
      expect(actionsOf(on(sourceKeys, false)).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'].sort());
      expect(on(sourceKeys, true).Condition).toEqual({ StringEquals: { 'kms:ViaService': ['rds.us-east-1.amazonaws.com'] }, Bool: { 'kms:GrantIsForAWSResource': 'true' } });
      // The DR Region's key is created by the DR vault stack: key/* there, through RDS, with the vault alias only.
      const drKeys = 'arn:aws:kms:us-west-2:222222222222:key/*';
      const aliases = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/rds-snapshot-vault'] } };
      expect(on(drKeys, false).Condition).toEqual({ StringEquals: { 'kms:ViaService': ['rds.us-west-2.amazonaws.com'] }, ...aliases });
      expect(on(drKeys, true).Condition).toEqual({ StringEquals: { 'kms:ViaService': ['rds.us-west-2.amazonaws.com'] }, Bool: { 'kms:GrantIsForAWSResource': 'true' }, ...aliases });
      expect(actionsOf(on(drKeys, false)).sort()).toEqual(actionsOf(onVaultKey).sort());
      expect(st).toHaveLength(6);
    });
  });

  describe('vault key', () => {
    it('rotates, is retained, has alias/<deploymentName> and trusts only the vault account', () => {
      const id = logicalIdOf(s.vault, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('copies kept in the vault') });
      const key = s.vault.findResources('AWS::KMS::Key')[id]!;
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe('Retain');
      s.vault.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/rds-snapshot-vault', TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] } });
      for (const st of key.Properties.KeyPolicy.Statement as Statement[]) {
        // Allows name the vault account only; the one Deny (the key guard) applies to everyone.
        if ((st as { Effect?: string }).Effect === 'Deny') expect(st.Principal).toEqual({ AWS: '*' });
        else expect(JSON.stringify(st.Principal)).toContain(':iam::222222222222:root');
      }
    });
  });

  describe('vault retention', () => {
    it('deploys retention-sweep in the vault, deleting only managed copies of the vault', () => {
      const fns = functionsByName(s.vault);
      // Plus the restore-drill functions (issue 9; the example config enables restoreDrill).
      expect([...fns.keys()].sort()).toEqual(['check-recovery-points', 'cleanup-drill', 'plan-drill', 'poll-restore', 'record-evidence', 'retention-sweep', 'start-restore', 'validate-restore']);
      const fn = fns.get('retention-sweep')!;
      expect(fn.props.Environment.Variables.ACCOUNT_ID).toBe('222222222222');
      const deletes = roleStatements(s.vault, roleIdOfFunction(fn.props)).filter((st) => actionsOf(st).some((a) => a.startsWith('rds:Delete')));
      expect(deletes.map((st) => [st.Resource, st.Condition])).toEqual([
        // Only our copies: named rsv-* (identifiers cannot change) and tagged managed=true.
        ['arn:aws:rds:us-east-1:222222222222:snapshot:rsv-*', { StringEquals: { 'rds:snapshot-tag/rds-snapshot-vault:managed': 'true' } }],
        [
          'arn:aws:rds:us-east-1:222222222222:cluster-snapshot:rsv-*',
          { StringEquals: { 'rds:cluster-snapshot-tag/rds-snapshot-vault:managed': 'true' } },
        ],
      ]);
    });

    it('schedules VaultRetention from vaultRetentionSchedule', () => {
      const smId = logicalIdOf(s.vault, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-VaultRetention' });
      s.vault.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 12 * * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({ Arn: { Ref: smId }, Input: '{}' }),
      });
    });

    it('has its own encrypted topic with the e-mail subscriptions', () => {
      s.vault.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      s.vault.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'sre-oncall@example.com' });
    });
  });
});

describe('DR vault stacks', () => {
  let dr: Template;
  beforeAll(() => {
    expect(s.drVaultStacks).toHaveLength(1);
    dr = s.drVaults[0]!;
  });

  it('deploys one <name>-vault-<region> stack per DR Region, in the vault account, protected from termination', () => {
    const stack = s.drVaultStacks[0]!;
    expect(stack.stackName).toBe('rds-snapshot-vault-vault-us-west-2');
    expect(stack.account).toBe('222222222222');
    expect(stack.region).toBe('us-west-2');
    expect(stack.terminationProtection).toBe(true);
    expect(stack.isPrimary).toBe(false);
    expect(s.vaultStack.isPrimary).toBe(true);
  });

  it('has a rotating, retained vault key with the same alias as the primary Region', () => {
    const id = logicalIdOf(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('copies kept in the vault') });
    const key = dr.findResources('AWS::KMS::Key')[id]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/rds-snapshot-vault', TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] } });
    for (const st of key.Properties.KeyPolicy.Statement as Statement[]) {
      if ((st as { Effect?: string }).Effect === 'Deny') expect(st.Principal).toEqual({ AWS: '*' });
      else expect(JSON.stringify(st.Principal)).toContain(':iam::222222222222:root');
    }
  });

  it('has no copy role and trusts nothing from the source account', () => {
    expect(s.drVaultStacks[0]!.vaultCopyRole).toBeUndefined();
    expect(Object.values(dr.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName)).not.toContain('rds-snapshot-vault-vault-copy');
    // The source account appears only as data (VaultRetention's provenance check), never in a policy.
    const policies = ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::KMS::Key', 'AWS::SNS::TopicPolicy'].map((type) => JSON.stringify(dr.findResources(type)));
    for (const p of policies) expect(p).not.toContain('111111111111');
  });

  it('sweeps that Region\'s managed copies with its own retention-sweep, VaultRetention, schedule, topic and alarms', () => {
    const fn = functionsByName(dr).get('retention-sweep')!;
    // Plus check-recovery-points (issue 9): the DR copies' recovery point age is measured in their own Region.
    expect([...functionsByName(dr).keys()].sort()).toEqual(['check-recovery-points', 'retention-sweep']);
    const deletes = roleStatements(dr, roleIdOfFunction(fn.props)).filter((st) => actionsOf(st).some((a) => a.startsWith('rds:Delete')));
    expect(deletes.map((st) => st.Resource)).toEqual([
      'arn:aws:rds:us-west-2:222222222222:snapshot:rsv-*',
      'arn:aws:rds:us-west-2:222222222222:cluster-snapshot:rsv-*',
    ]);
    const smId = logicalIdOf(dr, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-VaultRetention' });
    dr.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 12 * * ? *)', Target: Match.objectLike({ Arn: { Ref: smId } }) });
    dr.resourceCountIs('AWS::SNS::Topic', 1);
    // 3 workflow alarms + the tripwire dead-letter queue + foreign-key copies (issue 8) + one recovery point alarm per configured database (issue 9).
    dr.resourceCountIs('AWS::CloudWatch::Alarm', 6 + s.config.databases.length); // + the fleet recovery point alarm
  });

  it('creates one stack per DR Region in order, and single-step lets RDS in the DR Regions use the source key', () => {
    const multi = synth(configWith({ vault: { drRegions: ['us-west-2', 'eu-west-1'], drCopyMode: 'single-step' } }));
    expect(multi.drVaultStacks.map((x) => [x.stackName, x.region])).toEqual([
      ['rds-snapshot-vault-vault-us-west-2', 'us-west-2'],
      ['rds-snapshot-vault-vault-eu-west-1', 'eu-west-1'],
    ]);
    const roleId = logicalIdOf(multi.vault, 'AWS::IAM::Role', { RoleName: 'rds-snapshot-vault-vault-copy' });
    const onSource = roleStatements(multi.vault, roleId).find((x) => x.Resource === 'arn:aws:kms:us-east-1:111111111111:key/*')!;
    expect(onSource.Condition?.StringEquals?.['kms:ViaService']).toEqual([
      'rds.us-east-1.amazonaws.com',
      'rds.us-west-2.amazonaws.com',
      'rds.eu-west-1.amazonaws.com',
    ]);
    const sourceKey = Object.values(multi.source.findResources('AWS::KMS::Key')).find((k) => String(k.Properties.Description).includes('shareable'))!;
    for (const st of (sourceKey.Properties.KeyPolicy.Statement as Statement[]).filter((x) => JSON.stringify(x.Principal).includes('222222222222'))) {
      expect(st.Condition?.StringEquals?.['kms:ViaService']).toEqual([
        'rds.us-east-1.amazonaws.com',
        'rds.us-west-2.amazonaws.com',
        'rds.eu-west-1.amazonaws.com',
      ]);
    }
  });
});
