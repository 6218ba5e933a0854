/** The reusable constructs on their own, in small stacks (no full app synth). */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { BackupSchedule } from '../../infra/constructs/backup-schedule';
import { grantRetentionSweep } from '../../infra/constructs/function-permissions';
import { SourceKey, VaultKey } from '../../infra/constructs/keys';
import { deploymentNames, kmsAliasArn, rdsArns, roleArn } from '../../infra/constructs/names';
import { NotificationTopic } from '../../infra/constructs/notification-topic';
import { VaultCopyRole } from '../../infra/constructs/vault-copy-role';
import { VaultFunction } from '../../infra/constructs/vault-function';
import { WorkflowAlarms } from '../../infra/constructs/workflow-alarms';

const ENV = { account: '111111111111', region: 'eu-central-1' };

function stack(env: { account?: string; region?: string } = ENV): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }), 'Test', { env });
}

function stateMachine(scope: Stack): sfn.StateMachine {
  return new sfn.StateMachine(scope, 'Sm', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(scope, 'P')) });
}

describe('names', () => {
  it('derives every name and ARN from the deployment name and the partition of the Region', () => {
    expect(deploymentNames('x')).toMatchObject({ sourceStack: 'x-source', vaultCopyRole: 'x-vault-copy', vaultKeyAlias: 'alias/x' });
    expect(roleArn({ accountId: '222222222222', region: 'cn-north-1' }, 'r')).toBe('arn:aws-cn:iam::222222222222:role/r');
    expect(kmsAliasArn({ accountId: '222222222222', region: 'us-gov-west-1' }, 'alias/x')).toBe(
      'arn:aws-us-gov:kms:us-gov-west-1:222222222222:alias/x',
    );
    expect(rdsArns({ accountId: '1', region: 'eu-west-1' }).clusterSnapshots).toBe('arn:aws:rds:eu-west-1:1:cluster-snapshot:*');
  });
});

describe('BackupSchedule', () => {
  it('renders a disabled schedule with custom input and retry policy', () => {
    const s = stack();
    const sm = stateMachine(s);
    new BackupSchedule(s, 'Schedule', {
      stateMachine: sm,
      expression: 'rate(6 hours)',
      timeZone: 'Europe/Berlin',
      enabled: false,
      input: { databases: ['orders-db'] },
      maximumRetryAttempts: 5,
    });
    Template.fromStack(s).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'DISABLED',
      Target: { Input: '{"databases":["orders-db"]}', RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 } },
    });
  });
});

describe('WorkflowAlarms', () => {
  it('creates one alarm per definition, named after the prefix', () => {
    const s = stack();
    const topic = new sns.Topic(s, 'T');
    const alarms = new WorkflowAlarms(s, 'Alarms', {
      stateMachine: stateMachine(s),
      topic,
      alarmNamePrefix: 'dr-BackupRun',
      definitions: [{ id: 'ExecutionThrottled', metric: (sm, p) => sm.metricThrottled(p), description: 'throttled' }],
    });
    expect(alarms.alarms).toHaveLength(1);
    Template.fromStack(s).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'dr-BackupRun-ExecutionThrottled',
      MetricName: 'ExecutionThrottled',
      OKActions: [{ Ref: Match.anyValue() }],
    });
  });
});

describe('VaultFunction', () => {
  it('refuses to override a common variable', () => {
    const s = stack();
    expect(
      () =>
        new VaultFunction(s, 'Fn', {
          name: 'notify',
          environment: { TOPIC_ARN: 'x', LEDGER_BUCKET: 'b', ACCOUNT_ID: '999999999999' } as { TOPIC_ARN: string; LEDGER_BUCKET: string },
        }),
    ).toThrow(/ACCOUNT_ID is set by VaultFunction itself/);
  });

  it('fails synthesis when the environment exceeds 4 KB', () => {
    const s = stack();
    new VaultFunction(s, 'Fn', { name: 'plan-run', environment: { DATABASES_FILE: 'x'.repeat(4100), LEDGER_BUCKET: 'b' } });
    expect(() => Template.fromStack(s)).toThrow(/Lambda allows 4096/);
  });

  it('fails fast when the handler file is missing', () => {
    const s = stack();
    expect(() => new VaultFunction(s, 'Fn', { name: 'share', environment: { VAULT_ACCOUNT_ID: '2' }, entry: '/nope/index.ts' })).toThrow(
      /Cannot find entry file/,
    );
  });

  it('takes overrides for timeout, memory and role name', () => {
    const s = stack();
    const fn = new VaultFunction(s, 'Fn', { name: 'retention-sweep', environment: {}, memorySize: 512, roleName: 'my-role' });
    grantRetentionSweep(fn);
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 300, Environment: { Variables: { ACCOUNT_ID: '111111111111' } } });
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'my-role' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'retention-sweep' } } });
    // Issue 11: nothing for the local sandbox in the template (the harness reads the construct tree).
    expect(Object.values(t.findResources('AWS::Lambda::Function')).map((r) => r.Metadata)).toEqual([undefined]);
    expect(fn.name).toBe('retention-sweep');
  });

  it('needs a stack with an explicit environment for its grants', () => {
    const s = stack({});
    const fn = new VaultFunction(s, 'Fn', { name: 'retention-sweep', environment: {} });
    expect(() => grantRetentionSweep(fn)).toThrow(/explicit env/);
  });
});

describe('VaultCopyRole', () => {
  it('rejects a wildcard or non-role trusted principal', () => {
    const s = stack({ account: '222222222222', region: 'eu-central-1' });
    const key = new SourceKey(s, 'K', { aliasName: 'alias/k', vaultAccountId: '333333333333', rdsRegions: ['eu-central-1'] }).key;
    const props = { roleName: 'r', externalId: 'abcdefghijklmnop', source: { accountId: '111111111111', region: 'eu-central-1' }, vaultKey: key };
    expect(() => new VaultCopyRole(s, 'A', { ...props, trustedRoleArns: ['arn:aws:iam::111111111111:role/*'] })).toThrow(/full IAM role ARN/);
    expect(() => new VaultCopyRole(s, 'B', { ...props, trustedRoleArns: ['arn:aws:iam::111111111111:root'] })).toThrow(/full IAM role ARN/);
    expect(() => new VaultCopyRole(s, 'C', { ...props, trustedRoleArns: [] })).toThrow(/must not be empty/);
  });
});

describe('snapshots (one per construct; asset hashes blanked)', () => {
  function blankAssets(template: Record<string, unknown>): Record<string, unknown> {
    return JSON.parse(JSON.stringify(template).replace(/"S3Key":"[^"]+"/g, '"S3Key":"<asset>"'));
  }

  it('renders the constructs of one deployment', () => {
    const s = stack({ account: '222222222222', region: 'eu-central-1' });
    new SourceKey(s, 'SourceKey', {
      aliasName: 'alias/dr-source',
      vaultAccountId: '333333333333',
      rdsRegions: ['eu-central-1', 'eu-west-1'],
    });
    const vaultKey = new VaultKey(s, 'VaultKey', { aliasName: 'alias/dr' });
    new VaultCopyRole(s, 'VaultCopyRole', {
      roleName: 'dr-vault-copy',
      trustedRoleArns: ['arn:aws:iam::111111111111:role/dr-cross-account-copy', 'arn:aws:iam::111111111111:role/dr-poll-status'],
      externalId: 'abcdefghijklmnop',
      source: { accountId: '111111111111', region: 'eu-west-1' },
      vaultKey: vaultKey.key,
    });
    const topic = new NotificationTopic(s, 'Topic', { emails: ['ops@example.com'] });
    const fn = new VaultFunction(s, 'Notify', { name: 'notify', environment: { TOPIC_ARN: topic.topic.topicArn, LEDGER_BUCKET: 'ledger-bucket' } });
    topic.grantPublish(fn.role);
    const sm = stateMachine(s);
    new WorkflowAlarms(s, 'Alarms', { stateMachine: sm, topic: topic.topic, alarmNamePrefix: 'dr-Sm' });
    new BackupSchedule(s, 'Schedule', { stateMachine: sm, expression: 'cron(0 5 * * ? *)' });
    expect(blankAssets(Template.fromStack(s).toJSON())).toMatchSnapshot();
  });
});
