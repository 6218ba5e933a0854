import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/constructs/vault-function';
import { stackBindings } from '../../sandbox/harness/index';
import {
  type Statement,
  type Synthesized,
  actionsOf,
  asArray,
  configWith,
  functionOwnStatements,
  functionsByName,
  logicalIdOf,
  roleIdOfFunction,
  roleStatements,
  synth,
} from './helpers';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

/** The copy slot table (issue 12) of the functions that acquire slots. */
const SLOT_ENV = ['COPY_SLOT_TABLE', 'COPY_SLOT_LIMITS', 'COPY_SLOT_LEASE_SECONDS'];
const COMMON_ENV = ['ACCOUNT_ID', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'];
const OWN_ENV: Record<string, string[]> = {
  'plan-run': ['DATABASES_FILE', 'SOURCE_RETENTION', 'DISCOVERY_TAGS', 'DISCOVERY_EXPORT', 'CHECK_SHAREABLE', 'LEDGER_BUCKET', 'MAP_CONCURRENCY'],
  'create-copy': ['SOURCE_KMS_KEY_ARN', ...SLOT_ENV],
  'poll-status': ['VAULT_ACCOUNT_ID', 'VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID', 'COPY_SLOT_TABLE'],
  share: ['VAULT_ACCOUNT_ID'],
  'cross-account-copy': ['VAULT_ACCOUNT_ID', 'VAULT_REGION', 'VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID', 'VAULT_KMS_KEY_ALIAS', ...SLOT_ENV],
  'retention-sweep': ['DATABASES_FILE'],
  notify: ['TOPIC_ARN', 'RPO_HOURS', 'LEDGER_BUCKET'],
  'record-result': ['LEDGER_BUCKET'],
  'send-digest': ['TOPIC_ARN', 'RPO_HOURS', 'LEDGER_BUCKET'],
  'export-to-s3': ['EXPORT_BUCKET', 'EXPORT_ROLE_ARN', 'EXPORT_KMS_KEY_ARN', 'EXPORT_PREFIX', ...SLOT_ENV],
  'poll-export': ['COPY_SLOT_TABLE'],
};
const VAULT_ROLE_ARN = 'arn:aws:iam::222222222222:role/rds-snapshot-vault-vault-copy';

/** Statements of a function's role other than the ones every function has (logs, X-Ray) and the copy slot table's (tested on its own). */
function ownStatements(name: string): Statement[] {
  return allOwnStatements(name).filter((st) => st.Sid !== 'CopySlotTable');
}
const allOwnStatements = (name: string): Statement[] => functionOwnStatements(s.source, name);

describe('SourceStack functions', () => {
  it('deploys the eleven functions (export and daily digest ones included), each tagged with its functions/ folder', () => {
    expect([...functionsByName(s.source).keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    s.source.resourceCountIs('AWS::Lambda::Function', 11);
  });

  it.each(FUNCTION_NAMES)('%s has the shared defaults and exactly its environment variables', (name) => {
    const fn = functionsByName(s.source).get(name)!;
    expect(fn.props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: name === 'retention-sweep' ? 300 : 60,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
    });
    const env = fn.props.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual([...COMMON_ENV, ...(OWN_ENV[name] ?? [])].sort());
    expect(env).toMatchObject({
      ACCOUNT_ID: '111111111111',
      POWERTOOLS_SERVICE_NAME: name,
      POWERTOOLS_METRICS_NAMESPACE: 'RdsSnapshotVault',
    });
    // Its own log group, kept one year.
    const logGroup = s.source.findResources('AWS::Logs::LogGroup')[fn.props.LoggingConfig.LogGroup.Ref];
    expect(logGroup?.Properties.RetentionInDays).toBe(365);
  });

  it('sets the values the handlers read', () => {
    const env = (name: string) => functionsByName(s.source).get(name)!.props.Environment.Variables;
    // The configured databases travel in plan-run's bundle (no 4 KB environment limit), named by
    // DATABASES_FILE; the bundle's files as the VaultFunction holds them (and the sandbox deploys them).
    const planRun = stackBindings(s.sourceStack).functions.get(functionsByName(s.source).get('plan-run')!.id)!;
    expect(env('plan-run').DATABASES_FILE).toBe('databases.json');
    expect(JSON.parse(planRun.bundledFiles!['databases.json']!)).toEqual([
      { identifier: 'orders-db', kind: 'instance', export: true },
      { identifier: 'billing-db', kind: 'instance', export: false },
      { identifier: 'legacy-reports', kind: 'instance', export: false },
      { identifier: 'catalog-aurora', kind: 'cluster', export: false },
    ]);
    // The same file in retention-sweep's bundle: BackupRun's SweepRemovedDatabases passes no list (issue 12).
    const sweep = stackBindings(s.sourceStack).functions.get(functionsByName(s.source).get('retention-sweep')!.id)!;
    expect(env('retention-sweep').DATABASES_FILE).toBe('databases.json');
    expect(sweep.bundledFiles!['databases.json']).toBe(planRun.bundledFiles!['databases.json']);
    expect(JSON.parse(env('plan-run').DISCOVERY_TAGS)).toEqual({ 'rds-snapshot-vault:backup': 'true' });
    expect(env('plan-run').DISCOVERY_EXPORT).toBe('false');
    // Issue 12: the bounds of BackupRun's Map concurrency (the config's default 100 slots 20 / 5, two-hop DR:
    // 2.33 children per slot), and the Map reads the plan's own number (MaxConcurrencyPath).
    expect(JSON.parse(env('plan-run').MAP_CONCURRENCY)).toEqual({ max: s.config.concurrency.maxDatabasesInParallel, min: Math.min(50, s.config.concurrency.maxDatabasesInParallel), instance: 46, cluster: 11 });
    const sourceKeyId = logicalIdOf(s.source, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('shareable manual copies') });
    expect(env('create-copy').SOURCE_KMS_KEY_ARN).toEqual({ 'Fn::GetAtt': [sourceKeyId, 'Arn'] });
    expect(env('poll-status')).toMatchObject({
      VAULT_ACCOUNT_ID: '222222222222',
      VAULT_ROLE_ARN,
      VAULT_EXTERNAL_ID: 'rsv-example-3f9c1b7e',
    });
    expect(env('share')).toMatchObject({ VAULT_ACCOUNT_ID: '222222222222' });
    expect(env('cross-account-copy')).toMatchObject({
      VAULT_ACCOUNT_ID: '222222222222',
      VAULT_REGION: 'us-east-1',
      VAULT_ROLE_ARN,
      VAULT_EXTERNAL_ID: 'rsv-example-3f9c1b7e',
      VAULT_KMS_KEY_ALIAS: 'alias/rds-snapshot-vault',
    });
    const bucketId = logicalIdOf(s.source, 'AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'export-bucket/' } });
    const exportRoleId = exportRole();
    const exportKeyId = logicalIdOf(s.source, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('S3 exports') });
    expect(env('export-to-s3')).toMatchObject({
      EXPORT_BUCKET: { Ref: bucketId },
      EXPORT_ROLE_ARN: { 'Fn::GetAtt': [exportRoleId, 'Arn'] },
      EXPORT_KMS_KEY_ARN: { 'Fn::GetAtt': [exportKeyId, 'Arn'] },
      EXPORT_PREFIX: 'exports',
    });
    const topicId = Object.keys(s.source.findResources('AWS::SNS::Topic'))[0];
    expect(env('notify').TOPIC_ARN).toEqual({ Ref: topicId });
    const ledgerId = logicalIdOf(s.source, 'AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'run-ledger/' } });
    for (const name of ['notify', 'record-result', 'send-digest']) expect(env(name).LEDGER_BUCKET, name).toEqual({ Ref: ledgerId });
    expect(env('send-digest').TOPIC_ARN).toEqual({ Ref: topicId });
  });

  it('names the roles the vault trusts', () => {
    const roleName = (name: string) => {
      const fn = functionsByName(s.source).get(name)!;
      return s.source.findResources('AWS::IAM::Role')[roleIdOfFunction(fn.props)]?.Properties.RoleName;
    };
    expect(roleName('cross-account-copy')).toBe('rds-snapshot-vault-cross-account-copy');
    expect(roleName('poll-status')).toBe('rds-snapshot-vault-poll-status');
  });

  it('attaches no managed policies to function roles', () => {
    for (const fn of functionsByName(s.source).values()) {
      expect(s.source.findResources('AWS::IAM::Role')[roleIdOfFunction(fn.props)]?.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

/** Logical ID of the role RDS assumes to write exports. */
function exportRole(): string {
  const ids = Object.entries(s.source.findResources('AWS::IAM::Role'))
    .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('export.rds.amazonaws.com'))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('SourceStack least privilege', () => {
  it('plan-run only describes databases, snapshots, option groups and the account\'s RDS quotas and lists tags, in the source account and Region', () => {
    const [plans, ...rest] = ownStatements('plan-run');
    // Issue 12: the run's plan in the run ledger, plans/ only (write it, read one item back).
    expect(plans).toMatchObject({ Sid: 'WriteAndReadLedgerPlans', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'] });
    expect(JSON.stringify(plans!.Resource)).toMatch(/^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["RunLedgerBucket[A-Z0-9]+","Arn"\]\},"\/plans\/\*"\]\]\}$/);
    expect(rest).toEqual([
      // Plan-time check for permanent/persistent options (TDE), docs/aws-behaviour.md §15a.
      { Sid: 'DescribeOptionGroups', Effect: 'Allow', Action: 'rds:DescribeOptionGroups', Resource: 'arn:aws:rds:us-east-1:111111111111:og:*' },
      {
        Sid: 'DescribeDatabasesAndSnapshots',
        Effect: 'Allow',
        Action: [
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBClusters',
          'rds:DescribeDBInstances',
          'rds:DescribeDBSnapshots',
          'rds:ListTagsForResource',
        ],
        Resource: [
          'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
          'arn:aws:rds:us-east-1:111111111111:cluster:*',
          'arn:aws:rds:us-east-1:111111111111:db:*',
          'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        ],
      },
      // Manual snapshot quotas before the run (issue 12); the action has no resource type.
      { Sid: 'DescribeAccountQuotas', Effect: 'Allow', Action: 'rds:DescribeAccountAttributes', Resource: '*' },
    ]);
  });

  it('export-to-s3 starts and describes exports, passes only the export role and only to RDS export', () => {
    const st = ownStatements('export-to-s3');
    const exportKeyId = logicalIdOf(s.source, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('S3 exports') });
    // StartExportTask is authorized on the source snapshot: only this tool's rsv- copies of this account in this Region.
    // DescribeExportTasks (by task identifier) stays on "*"; the passable role bounds the export.
    const { accountId, region } = s.config.source;
    expect(st.find((x) => x.Sid === 'StartExportTasksOfOwnCopies')).toEqual({
      Sid: 'StartExportTasksOfOwnCopies',
      Effect: 'Allow',
      Action: 'rds:StartExportTask',
      Resource: [`arn:aws:rds:${region}:${accountId}:cluster-snapshot:rsv-*`, `arn:aws:rds:${region}:${accountId}:snapshot:rsv-*`],
    });
    expect(st.find((x) => x.Sid === 'DescribeExportTasks')).toEqual({ Sid: 'DescribeExportTasks', Effect: 'Allow', Action: 'rds:DescribeExportTasks', Resource: '*' });
    expect(st.filter((x) => ([] as string[]).concat(x.Action as string | string[]).includes('rds:StartExportTask'))).toHaveLength(1);
    expect(st.find((x) => x.Sid === 'PassExportRoleToRds')).toEqual({
      Sid: 'PassExportRoleToRds',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [exportRole(), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'export.rds.amazonaws.com' } },
    });
    expect(st.find((x) => x.Sid === 'UseExportKeyForExportTasks')).toMatchObject({
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: { 'Fn::GetAtt': [exportKeyId, 'Arn'] },
    });
    expect(st.flatMap(actionsOf).sort()).toEqual(
      ['iam:PassRole', 'kms:CreateGrant', 'kms:DescribeKey', 'rds:DescribeExportTasks', 'rds:StartExportTask'].sort(),
    );
  });

  it('the copy slot table (issue 12): on-demand, PITR, TTL on expiresAt; only the copy, export and poll functions may GetItem/UpdateItem it, nothing else', () => {
    const tables = s.source.findResources('AWS::DynamoDB::Table');
    const [tableId, table] = Object.entries(tables)[0]!;
    expect(Object.keys(tables)).toHaveLength(1);
    expect(table.Properties).toMatchObject({
      TableName: `${s.config.deploymentName}-copy-slots`,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'slot', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const users = ['create-copy', 'cross-account-copy', 'export-to-s3', 'poll-status', 'poll-export'];
    for (const [name] of functionsByName(s.source)) {
      const slot = allOwnStatements(name).filter((x) => actionsOf(x).some((a) => a.startsWith('dynamodb:')));
      if (users.includes(name)) {
        expect(slot, name).toEqual([{ Sid: 'CopySlotTable', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } }]);
      } else expect(slot, name).toEqual([]);
    }
    const env = (name: string) => functionsByName(s.source).get(name)!.props.Environment.Variables as Record<string, string>;
    expect(env('create-copy')).toMatchObject({ COPY_SLOT_TABLE: `${s.config.deploymentName}-copy-slots`, COPY_SLOT_LIMITS: '{"instance":20,"cluster":5,"export":5}', COPY_SLOT_LEASE_SECONDS: String(51 * 3600) });
  });

  it('poll-export only describes export tasks', () => {
    expect(ownStatements('poll-export').flatMap(actionsOf)).toEqual(['rds:DescribeExportTasks']);
  });

  it('only export-to-s3 may pass a role, and only the export role', () => {
    for (const [name] of functionsByName(s.source)) {
      const passes = ownStatements(name).filter((x) => actionsOf(x).some((a) => a.startsWith('iam:')));
      if (name === 'export-to-s3') expect(passes.map((x) => x.Resource)).toEqual([{ 'Fn::GetAtt': [exportRole(), 'Arn'] }]);
      else expect(passes, name).toEqual([]);
    }
  });

  it('create-copy copies, tags and describes in the source account and uses KMS through RDS', () => {
    const st = ownStatements('create-copy');
    const read = st.find((x) => x.Sid === 'DescribeDatabasesAndSnapshots')!;
    expect(actionsOf(read).sort()).toEqual(
      ['rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:DescribeDBSnapshots', 'rds:ListTagsForResource'].sort(),
    );
    expect(asArray(read.Resource as string[]).sort()).toEqual(
      [
        'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:db:*',
        'arn:aws:rds:us-east-1:111111111111:cluster:*',
      ].sort(),
    );
    const copy = st.find((x) => x.Sid === 'CopyAutomatedSnapshots')!;
    expect(actionsOf(copy).sort()).toEqual(['rds:CopyDBClusterSnapshot', 'rds:CopyDBSnapshot']);
    expect(asArray(copy.Resource as string[]).sort()).toEqual(['arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*', 'arn:aws:rds:us-east-1:111111111111:snapshot:*']);
    const tag = st.find((x) => x.Sid === 'TagOwnCopies')!;
    expect(actionsOf(tag)).toEqual(['rds:AddTagsToResource']);
    expect(asArray(tag.Resource as string[]).sort()).toEqual(['arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rsv-*', 'arn:aws:rds:us-east-1:111111111111:snapshot:rsv-*']);
    // The only statements of create-copy granting a write action on RDS are these two.
    expect(st.filter((x) => actionsOf(x).some((a) => /^rds:(Copy|AddTags|Delete|Modify|Restore|Create)/.test(a))).map((x) => x.Sid).sort()).toEqual(['CopyAutomatedSnapshots', 'TagOwnCopies']);
    const viaRds = st.find((x) => x.Sid === 'ReadAutomatedSnapshotKeysViaRds')!;
    expect(viaRds.Resource).toBe('arn:aws:kms:us-east-1:111111111111:key/*');
    expect(viaRds.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } });
    // The automated snapshot's key is a copy source: RDS needs rule 4's actions on it.
    expect(actionsOf(viaRds).sort()).toEqual(['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']);
    const sourceKey = st.find((x) => x.Sid === 'EncryptCopyWithSourceKey')!;
    expect(actionsOf(sourceKey)).toEqual(expect.arrayContaining(['kms:CreateGrant', 'kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:Decrypt']));
  });

  it('poll-status describes and assumes only the vault role', () => {
    const st = ownStatements('poll-status');
    const assume = st.filter((x) => actionsOf(x).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(assume[0]?.Resource).toBe(VAULT_ROLE_ARN);
    expect(st.flatMap(actionsOf).sort()).toEqual(['rds:DescribeDBClusterSnapshots', 'rds:DescribeDBSnapshots', 'sts:AssumeRole']);
    // Cross-account mode: the vault copies are described through the vault role, never directly.
    const describe = st.find((x) => x.Sid === 'DescribeSnapshotCopies')!;
    expect(asArray(describe.Resource as string[]).every((r) => r.includes(':us-east-1:111111111111:'))).toBe(true);
  });

  it('cross-account-copy only assumes the vault role', () => {
    expect(ownStatements('cross-account-copy')).toEqual([
      { Sid: 'AssumeVaultRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: VAULT_ROLE_ARN },
    ]);
  });

  it('share modifies only managed copies', () => {
    const st = ownStatements('share');
    const modify = st.filter((x) => actionsOf(x).some((a) => a.startsWith('rds:Modify')));
    expect(modify.map((x) => [actionsOf(x), x.Resource, x.Condition])).toEqual([
      [
        ['rds:ModifyDBSnapshotAttribute'],
        'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        { StringEquals: { 'rds:snapshot-tag/rds-snapshot-vault:managed': 'true' } },
      ],
      [
        ['rds:ModifyDBClusterSnapshotAttribute'],
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
        { StringEquals: { 'rds:cluster-snapshot-tag/rds-snapshot-vault:managed': 'true' } },
      ],
    ]);
    expect(st.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['rds:DescribeDBSnapshotAttributes', 'rds:DescribeDBClusterSnapshotAttributes']),
    );
  });

  it('retention-sweep deletes only snapshots tagged rds-snapshot-vault:managed=true', () => {
    const st = ownStatements('retention-sweep');
    const deletes = st.filter((x) => actionsOf(x).some((a) => a.startsWith('rds:Delete')));
    expect(deletes.map((x) => [actionsOf(x), x.Resource, x.Condition])).toEqual([
      [
        ['rds:DeleteDBSnapshot'],
        'arn:aws:rds:us-east-1:111111111111:snapshot:rsv-*',
        { StringEquals: { 'rds:snapshot-tag/rds-snapshot-vault:managed': 'true' } },
      ],
      [
        ['rds:DeleteDBClusterSnapshot'],
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rsv-*',
        { StringEquals: { 'rds:cluster-snapshot-tag/rds-snapshot-vault:managed': 'true' } },
      ],
    ]);
  });

  it('notify publishes to its topic and uses the topic key', () => {
    const st = ownStatements('notify');
    const topicId = Object.keys(s.source.findResources('AWS::SNS::Topic'))[0];
    expect(st.find((x) => actionsOf(x).includes('sns:Publish'))?.Resource).toEqual({ Ref: topicId });
    expect(st.flatMap(actionsOf)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  it('only retention-sweep may delete and only share may modify snapshot attributes', () => {
    for (const [name] of functionsByName(s.source)) {
      const actions = ownStatements(name).flatMap(actionsOf);
      if (name !== 'retention-sweep') expect(actions.filter((a) => /^rds:Delete/.test(a)), name).toEqual([]);
      if (name !== 'share') expect(actions.filter((a) => /Attribute$/.test(a) && a.includes('Modify')), name).toEqual([]);
      expect(actions.filter((a) => a === '*' || a.endsWith(':*')), name).toEqual([]);
    }
  });
});

describe('SourceStack source key', () => {
  it('rotates, has the source alias and is retained', () => {
    const id = logicalIdOf(s.source, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('shareable manual copies') });
    s.source.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Retain' });
    s.source.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/rds-snapshot-vault-source', TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] } });
  });

  it('grants the vault account only through RDS', () => {
    const key = Object.values(s.source.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('shareable') } }))[0]!;
    const statements = key.Properties.KeyPolicy.Statement as Statement[];
    const forVault = statements.filter((st) => JSON.stringify(st.Principal).includes(':iam::222222222222:root'));
    expect(forVault.flatMap(actionsOf).sort()).toEqual(
      ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'].sort(),
    );
    for (const st of forVault) {
      expect(st.Effect).toBe('Allow');
      expect(st.Condition?.StringEquals?.['kms:ViaService']).toEqual(['rds.us-east-1.amazonaws.com']);
      if (actionsOf(st).includes('kms:CreateGrant')) expect(st.Condition?.Bool).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
    }
    // Everything else is the source account itself.
    for (const st of statements.filter((x) => !forVault.includes(x))) {
      expect(JSON.stringify(st.Principal)).toContain(':iam::111111111111:root');
    }
  });
});

describe('SourceStack workflows', () => {
  it('names the state machines', () => {
    s.source.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-DatabaseBackup' });
    s.source.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-BackupRun' });
  });

  it('schedules BackupRun with the configured cron and time zone', () => {
    const smId = logicalIdOf(s.source, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-BackupRun' });
    // The other schedule is the DailyDigest's (issue 12, events enabled).
    s.source.resourceCountIs('AWS::Scheduler::Schedule', 2);
    const schedule = Object.values(s.source.findResources('AWS::Scheduler::Schedule')).find((r) => r.Properties.Target.Arn.Ref === smId)!.Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(0 5 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { Arn: { Ref: smId }, Input: '{"trigger":"schedule"}', RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
    });
    const roleId = schedule.Target.RoleArn['Fn::GetAtt'][0] as string;
    expect(roleStatements(s.source, roleId)).toEqual([
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: smId } },
    ]);
    const trust = s.source.findResources('AWS::IAM::Role')[roleId]!.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      },
    ]);
  });

  it('subscribes the configured e-mails to a KMS-encrypted, SSL-only topic', () => {
    s.source.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'sre-oncall@example.com' });
  });
});

describe('SourceStack export storage', () => {
  const exportBucket = () => logicalIdOf(s.source, 'AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'export-bucket/' } });
  const exportKey = () => logicalIdOf(s.source, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('S3 exports') });

  it('encrypts the export bucket with the rotating export key (SSE-KMS, bucket key)', () => {
    const bucket = s.source.findResources('AWS::S3::Bucket')[exportBucket()]!;
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [exportKey(), 'Arn'] } } },
      ],
    });
    const key = s.source.findResources('AWS::KMS::Key')[exportKey()]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('blocks all public access, versions objects, disables ACLs and logs access to its own log bucket', () => {
    const bucket = s.source.findResources('AWS::S3::Bucket')[exportBucket()]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const logBucketId = bucket.LoggingConfiguration.DestinationBucketName.Ref as string;
    expect(logBucketId).not.toBe(exportBucket());
    expect(s.source.findResources('AWS::S3::Bucket')[logBucketId]!.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
  });

  it('denies every request without TLS (enforceSSL) on both buckets', () => {
    for (const id of Object.keys(s.source.findResources('AWS::S3::Bucket'))) {
      const policy = Object.values(s.source.findResources('AWS::S3::BucketPolicy')).find(
        (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }),
      )!;
      expect(policy.Properties.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] }],
        }),
      );
    }
  });

  it('moves exports to GLACIER and DEEP_ARCHIVE and expires them as configured', () => {
    const rules = s.source.findResources('AWS::S3::Bucket')[exportBucket()]!.Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      {
        Id: 'ExportLifecycle',
        Status: 'Enabled',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        Transitions: [
          { StorageClass: 'GLACIER', TransitionInDays: 30 },
          { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
        ],
        ExpirationInDays: 2555,
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      },
    ]);
  });

  it('lets only export.rds.amazonaws.com of this account assume the export role', () => {
    const trust = s.source.findResources('AWS::IAM::Role')[exportRole()]!.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'export.rds.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      },
    ]);
    expect(s.source.findResources('AWS::IAM::Role')[exportRole()]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('gives the export role only the documented S3 actions on the export prefix and KMS on the export key', () => {
    const bucketArn = { 'Fn::GetAtt': [exportBucket(), 'Arn'] };
    expect(roleStatements(s.source, exportRole())).toEqual([
      {
        Sid: 'WriteExports',
        Effect: 'Allow',
        Action: ['s3:DeleteObject*', 's3:GetObject*', 's3:PutObject*'],
        Resource: { 'Fn::Join': ['', [bucketArn, '/exports/*']] },
      },
      { Sid: 'ListExportBucket', Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: bucketArn },
      {
        Sid: 'UseExportKey',
        Effect: 'Allow',
        Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:RetireGrant'],
        Resource: { 'Fn::GetAtt': [exportKey(), 'Arn'] },
      },
    ]);
  });

  it('catalogs the export prefix with a Glue crawler whose role only reads it', () => {
    s.source.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'rds_snapshot_vault' }) });
    const crawler = Object.values(s.source.findResources('AWS::Glue::Crawler'))[0]!.Properties;
    expect(crawler).toMatchObject({
      Name: 'rds-snapshot-vault-exports',
      DatabaseName: 'rds_snapshot_vault',
      Targets: { S3Targets: [{ Path: { 'Fn::Join': ['', ['s3://', { Ref: exportBucket() }, '/exports/']] } }] },
      CrawlerSecurityConfiguration: { Ref: expect.any(String) },
    });
    const security = s.source.findResources('AWS::Glue::SecurityConfiguration')[crawler.CrawlerSecurityConfiguration.Ref]!;
    expect(security.Properties.EncryptionConfiguration.CloudWatchEncryption.CloudWatchEncryptionMode).toBe('SSE-KMS');
    const st = roleStatements(s.source, crawler.Role['Fn::GetAtt'][0]);
    const s3Actions = st.flatMap(actionsOf).filter((a) => a.startsWith('s3:'));
    expect(s3Actions.sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const glueResources = st.filter((x) => actionsOf(x).some((a) => a.startsWith('glue:Create'))).flatMap((x) => asArray(x.Resource as string[]));
    expect(glueResources.every((r) => r === 'arn:aws:glue:us-east-1:111111111111:catalog' || r.includes('rds_snapshot_vault'))).toBe(true);
  });
});

describe('SourceStack snapshot events', () => {
  it('starts BackupRun on automated DB and DB cluster snapshot events, with the event input transformer', () => {
    const smId = logicalIdOf(s.source, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-BackupRun' });
    s.source.resourceCountIs('AWS::Events::Rule', 1);
    const rule = Object.values(s.source.findResources('AWS::Events::Rule'))[0]!.Properties;
    expect(rule.State).toBe('ENABLED');
    expect(rule.EventPattern).toEqual({
      source: ['aws.rds'],
      'detail-type': ['RDS DB Snapshot Event', 'RDS DB Cluster Snapshot Event'],
      detail: { EventID: ['RDS-EVENT-0091', 'RDS-EVENT-0169'] },
    });
    expect(rule.Targets).toHaveLength(1);
    const target = rule.Targets[0];
    expect(target.Arn).toEqual({ Ref: smId });
    expect(target.InputTransformer).toEqual({
      InputPathsMap: { arn: '$.detail.SourceArn' },
      InputTemplate: '{"trigger":"event","sourceSnapshotArn":<arn>}',
    });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 });
    // The template becomes BackupRun input once EventBridge substitutes the (quoted) ARN.
    const arn = 'arn:aws:rds:us-east-1:111111111111:snapshot:rds:orders-db-2026-11-20-05-10';
    expect(JSON.parse(target.InputTransformer.InputTemplate.replace('<arn>', JSON.stringify(arn)))).toEqual({
      trigger: 'event',
      sourceSnapshotArn: arn,
    });
  });

  it('uses a role that EventBridge of this account assumes and that may only start BackupRun', () => {
    const smId = logicalIdOf(s.source, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'rds-snapshot-vault-BackupRun' });
    const target = Object.values(s.source.findResources('AWS::Events::Rule'))[0]!.Properties.Targets[0];
    const roleId = target.RoleArn['Fn::GetAtt'][0] as string;
    expect(roleStatements(s.source, roleId)).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: smId } }]);
    expect(s.source.findResources('AWS::IAM::Role')[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      },
    ]);
  });
});

describe('SourceStack without exports and events', () => {
  let t: Synthesized;
  beforeAll(() => {
    t = synth(
      configWith({
        databases: [
          { identifier: 'orders-db', kind: 'instance', export: false },
          { identifier: 'catalog-aurora', kind: 'cluster' },
        ],
        discovery: { tags: { team: 'payments' }, export: false },
        events: { enabled: false },
      }),
    );
  });

  it('creates no bucket, export role, Glue resources or export functions when nothing exports', () => {
    t.source.resourceCountIs('AWS::S3::Bucket', 2); // the run ledger and its access-log bucket (issue 12)
    t.source.resourceCountIs('AWS::Glue::Crawler', 0);
    t.source.resourceCountIs('AWS::Glue::Database', 0);
    expect(JSON.stringify(t.source.findResources('AWS::IAM::Role'))).not.toContain('export.rds.amazonaws.com');
    const names = [...functionsByName(t.source).keys()];
    expect(names).not.toContain('export-to-s3');
    expect(names).not.toContain('poll-export');
    expect(names).toHaveLength(8); // record-result included; no send-digest (events disabled)
    expect(names).not.toContain('send-digest');
    expect(t.sourceStack.exportStorage).toBeUndefined();
  });

  it('creates no EventBridge rule when events are disabled', () => {
    t.source.resourceCountIs('AWS::Events::Rule', 0);
  });

  it('passes the discovery tags to plan-run', () => {
    const env = functionsByName(t.source).get('plan-run')!.props.Environment.Variables;
    // configWith deep-merges objects: the example's tag stays, the new one is added (all must match).
    expect(JSON.parse(env.DISCOVERY_TAGS)).toEqual({ 'rds-snapshot-vault:backup': 'true', team: 'payments' });
    expect(env.DISCOVERY_EXPORT).toBe('false');
  });
});
