import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/constructs/vault-function';
import {
  type Statement,
  type Synthesized,
  actionsOf,
  asArray,
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

const COMMON_ENV = ['ACCOUNT_ID', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'NODE_OPTIONS'];
const OWN_ENV: Record<string, string[]> = {
  'plan-run': ['DATABASES'],
  'create-copy': ['SOURCE_KMS_KEY_ARN'],
  'poll-status': ['VAULT_ACCOUNT_ID', 'VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID'],
  share: ['VAULT_ACCOUNT_ID'],
  'cross-account-copy': ['VAULT_ACCOUNT_ID', 'VAULT_REGION', 'VAULT_ROLE_ARN', 'VAULT_EXTERNAL_ID', 'VAULT_KMS_KEY_ID'],
  'retention-sweep': [],
  notify: ['TOPIC_ARN'],
};
const VAULT_ROLE_ARN = 'arn:aws:iam::222222222222:role/rds-snapshot-vault-vault-copy';

/** Statements of a function's role other than the ones every function has (logs, X-Ray). */
function ownStatements(name: string): Statement[] {
  const fn = functionsByName(s.source).get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return roleStatements(s.source, roleIdOfFunction(fn.props)).filter(
    (st) => !actionsOf(st).every((a) => a.startsWith('logs:') || a.startsWith('xray:')),
  );
}

describe('SourceStack functions', () => {
  it('deploys the seven functions, each tagged with its functions/ folder', () => {
    expect([...functionsByName(s.source).keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    s.source.resourceCountIs('AWS::Lambda::Function', 7);
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
      NODE_OPTIONS: '--enable-source-maps',
    });
    // Its own log group, kept one year.
    const logGroup = s.source.findResources('AWS::Logs::LogGroup')[fn.props.LoggingConfig.LogGroup.Ref];
    expect(logGroup?.Properties.RetentionInDays).toBe(365);
  });

  it('sets the values the handlers read', () => {
    const env = (name: string) => functionsByName(s.source).get(name)!.props.Environment.Variables;
    expect(JSON.parse(env('plan-run').DATABASES)).toEqual(s.config.databases);
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
      VAULT_KMS_KEY_ID: 'arn:aws:kms:us-east-1:222222222222:alias/rds-snapshot-vault',
    });
    const topicId = Object.keys(s.source.findResources('AWS::SNS::Topic'))[0];
    expect(env('notify').TOPIC_ARN).toEqual({ Ref: topicId });
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

describe('SourceStack least privilege', () => {
  it('plan-run calls nothing', () => {
    expect(ownStatements('plan-run')).toEqual([]);
  });

  it('create-copy copies, tags and describes in the source account and uses KMS through RDS', () => {
    const st = ownStatements('create-copy');
    const rds = st.find((x) => x.Sid === 'CopyAutomatedSnapshots')!;
    expect(actionsOf(rds).sort()).toEqual(
      [
        'rds:AddTagsToResource',
        'rds:CopyDBClusterSnapshot',
        'rds:CopyDBSnapshot',
        'rds:DescribeDBClusterSnapshots',
        'rds:DescribeDBClusters',
        'rds:DescribeDBInstances',
        'rds:DescribeDBSnapshots',
        'rds:ListTagsForResource',
      ].sort(),
    );
    expect(asArray(rds.Resource as string[]).sort()).toEqual(
      [
        'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:db:*',
        'arn:aws:rds:us-east-1:111111111111:cluster:*',
      ].sort(),
    );
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
        'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        { StringEquals: { 'rds:snapshot-tag/rds-snapshot-vault:managed': 'true' } },
      ],
      [
        ['rds:DeleteDBClusterSnapshot'],
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
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
    s.source.resourceCountIs('AWS::Scheduler::Schedule', 1);
    const schedule = Object.values(s.source.findResources('AWS::Scheduler::Schedule'))[0]!.Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(0 5 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { Arn: { Ref: smId }, Input: '{}', RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
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
