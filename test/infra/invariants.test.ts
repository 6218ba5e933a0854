/**
 * Invariants that hold for every template of the app, whatever the configuration: checked on the
 * example configuration and on a cross-Region one.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DRILL_FUNCTION_NAMES, FUNCTION_NAMES } from '../../infra/constructs/vault-function';
import { type StackBindings, stackBindings } from '../../sandbox/harness/index';
import { WORKFLOW_ALARMS } from '../../infra/constructs/workflow-alarms';
import { type Statement, type Synthesized, actionsOf, asArray, configWith, projectConfig, roleStatements, synth } from './helpers';

/** Synthesizes on first use, then returns the same result (one synth per configuration per file). */
function once(make: () => Synthesized): () => Synthesized {
  let result: Synthesized | undefined;
  return () => (result ??= make());
}

const crossRegion = once(() =>
  synth(
    configWith({
      deploymentName: 'dr-vault',
      vault: { region: 'eu-west-1' },
      schedule: { timeZone: 'Europe/Paris', enabled: false },
      notifications: { emails: [] },
    }),
  ),
);

const variants: Array<[string, () => Synthesized]> = [
  ['example', once(() => synth())],
  ['cross-Region', crossRegion],
  ['same-account', once(() => synth(projectConfig('same-account.json')))],
];

describe.each(variants)('%s configuration', (_name, make) => {
  let s: Synthesized;
  let templates: Array<[string, Template]>;
  /** The harness's bindings of each stack (read from the construct tree), by the names of `templates`. */
  let bindings: Map<string, StackBindings>;
  beforeAll(() => {
    s = make();
    templates = [
      ['source', s.source],
      ['vault', s.vault],
      ...s.drVaults.map((t, i): [string, Template] => [`vault ${s.config.vault.drRegions[i]}`, t]),
    ];
    bindings = new Map([
      ['source', stackBindings(s.sourceStack)],
      ['vault', stackBindings(s.vaultStack)],
      ...s.drVaultStacks.map((st, i): [string, StackBindings] => [`vault ${s.config.vault.drRegions[i]}`, stackBindings(st)]),
    ]);
  });

  it('ships nothing for the local sandbox: no resource carries rds-snapshot-vault metadata, no template holds bundled files (issue 11)', () => {
    for (const [name, t] of templates) {
      const text = JSON.stringify(t.toJSON());
      for (const [id, r] of Object.entries(t.toJSON().Resources as Record<string, { Metadata?: Record<string, unknown> }>)) {
        expect(Object.keys(r.Metadata ?? {}).filter((k) => k.startsWith('rds-snapshot-vault')), `${name} ${id}`).toEqual([]);
      }
      for (const fn of bindings.get(name)!.functions.values()) {
        for (const content of Object.values(fn.bundledFiles ?? {})) expect(text.includes(JSON.stringify(content).slice(1, -1)), `${name}: ${fn.entry}'s bundled file in the template`).toBe(false);
      }
    }
    // The source stack does bundle files (plan-run's databases.json): the check above is not vacuous.
    expect([...bindings.get('source')!.functions.values()].some((f) => f.bundledFiles !== undefined)).toBe(true);
  });

  it('the harness finds every Lambda function and state machine of the template from the construct tree', () => {
    for (const [name, t] of templates) {
      const b = bindings.get(name)!;
      const fns = t.findResources('AWS::Lambda::Function');
      expect([...b.functions.keys()].sort(), name).toEqual(Object.keys(fns).sort());
      for (const [id, fn] of b.functions) expect(fns[id]!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME, `${name} ${id}`).toBe(fn.entry);
      expect([...b.stateMachines.keys()].sort(), name).toEqual(Object.keys(t.findResources('AWS::StepFunctions::StateMachine')).sort());
    }
  });

  it('every S3 bucket blocks public access, enforces TLS, is versioned and encrypted', () => {
    for (const [name, t] of templates) {
      for (const [id, bucket] of Object.entries(t.findResources('AWS::S3::Bucket'))) {
        expect(bucket.Properties.PublicAccessBlockConfiguration, `${name} ${id}`).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(bucket.Properties.VersioningConfiguration, `${name} ${id}`).toEqual({ Status: 'Enabled' });
        expect(bucket.Properties.BucketEncryption, `${name} ${id}`).toBeDefined();
        expect(bucket.DeletionPolicy, `${name} ${id}`).toBe('Retain');
        const policies = Object.values(t.findResources('AWS::S3::BucketPolicy')).filter((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }));
        const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
        expect(statements.some((st) => st.Effect === 'Deny' && JSON.stringify(st.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}'), `${name} ${id}`).toBe(true);
      }
    }
  });

  it('every KMS key has rotation on and is retained', () => {
    for (const [name, t] of templates) {
      const keys = Object.values(t.findResources('AWS::KMS::Key'));
      expect(keys.length, name).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.Properties.EnableKeyRotation, name).toBe(true);
        expect(key.DeletionPolicy, name).toBe('Retain');
      }
    }
  });

  it('no resource policy allows a wildcard principal', () => {
    for (const [name, t] of templates) {
      const documents = [
        ...Object.values(t.findResources('AWS::KMS::Key')).map((r) => r.Properties.KeyPolicy),
        ...Object.values(t.findResources('AWS::SNS::TopicPolicy')).map((r) => r.Properties.PolicyDocument),
        ...Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties.AssumeRolePolicyDocument),
      ];
      for (const doc of documents) {
        for (const st of doc.Statement as Statement[]) {
          if (st.Effect !== 'Allow') continue;
          const p = JSON.stringify(st.Principal);
          expect(p, `${name}: ${JSON.stringify(st)}`).not.toMatch(/^"\*"$|"AWS":"\*"|"AWS":\["\*"\]/);
        }
      }
    }
  });

  it('every SNS topic is KMS-encrypted and SSL-only', () => {
    for (const [name, t] of templates) {
      const topics = t.findResources('AWS::SNS::Topic');
      expect(Object.keys(topics), name).toHaveLength(1);
      for (const [id, topic] of Object.entries(topics)) {
        expect(topic.Properties.KmsMasterKeyId, name).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
        const policies = Object.values(t.findResources('AWS::SNS::TopicPolicy')).filter((p) =>
          JSON.stringify(p.Properties.Topics).includes(`"${id}"`),
        );
        const ssl = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
        expect(ssl, name).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
        // CloudWatch alarms may use the topic key (else alarm notifications are dropped).
        const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0] as string;
        const keyPolicy = t.findResources('AWS::KMS::Key')[keyId]!.Properties.KeyPolicy.Statement as Statement[];
        expect(keyPolicy.some((st) => JSON.stringify(st.Principal) === '{"Service":"cloudwatch.amazonaws.com"}'), name).toBe(true);
      }
    }
  });

  it('every Lambda function is a project function with the common variables and an explicit runtime', () => {
    for (const [name, t] of templates) {
      for (const [id, fn] of Object.entries(t.findResources('AWS::Lambda::Function'))) {
        expect([...FUNCTION_NAMES, ...DRILL_FUNCTION_NAMES], `${name} ${id}`).toContain(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME);
        expect(Object.keys(fn.Properties.Environment.Variables), `${name} ${id}`).toEqual(
          expect.arrayContaining(['ACCOUNT_ID', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE']),
        );
        // Issue 11: no --enable-source-maps (the bundles carry no map; parsing one cost ~0.25x the cold import).
        expect(fn.Properties.Environment.Variables, `${name} ${id}`).not.toHaveProperty('NODE_OPTIONS');
        expect(fn.Properties.Runtime).toBe('nodejs22.x');
      }
    }
  });

  it('every state machine has failed, timed-out and aborted alarms notifying the topic', () => {
    for (const [name, t] of templates) {
      const topicId = Object.keys(t.findResources('AWS::SNS::Topic'))[0]!;
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      for (const smId of Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))) {
        const mine = alarms.filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'StateMachineArn', Value: { Ref: smId } }]));
        expect(mine.map((a) => a.MetricName).sort(), `${name} ${smId}`).toEqual(
          ['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut'].sort(),
        );
        expect(WORKFLOW_ALARMS.map((d) => d.id).sort()).toEqual(mine.map((a) => a.MetricName).sort());
        for (const a of mine) {
          expect(a).toMatchObject({
            Namespace: 'AWS/States',
            Statistic: 'Sum',
            Period: 300,
            Threshold: 1,
            EvaluationPeriods: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [{ Ref: topicId }],
          });
        }
      }
    }
  });

  it('every schedule has a time zone, a state machine target and a start-only role', () => {
    for (const [name, t] of templates) {
      const schedules = Object.values(t.findResources('AWS::Scheduler::Schedule')).map((r) => r.Properties);
      // One per stack, plus the RestoreDrill schedule where restore drills are deployed (issue 9) and
      // the DailyDigest schedule where event runs are (issue 12).
      const extra = [...bindings.get(name)!.stateMachines.values()].filter((kind) => ['RestoreDrill', 'DailyDigest'].includes(kind));
      expect(schedules, name).toHaveLength(1 + extra.length);
      for (const sch of schedules) {
        expect(sch.ScheduleExpressionTimezone, name).toEqual(expect.any(String));
        expect(Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))).toContain(sch.Target.Arn.Ref);
        const statements = roleStatements(t, sch.Target.RoleArn['Fn::GetAtt'][0]);
        expect(statements.flatMap(actionsOf), name).toEqual(['states:StartExecution']);
      }
    }
  });

  it('no IAM policy allows a wildcard action, and every delete is limited to managed snapshots', () => {
    for (const [name, t] of templates) {
      for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
        for (const st of asArray(policy.Properties.PolicyDocument.Statement as Statement[])) {
          if (st.Effect !== 'Allow') continue;
          for (const a of actionsOf(st)) expect(a === '*' || /^[a-z0-9-]+:\*$/.test(a), `${name} ${a}`).toBe(false);
          if (actionsOf(st).some((a) => /^rds:DeleteDB(Cluster)?Snapshot$/.test(a))) {
            expect(JSON.stringify(st.Condition), name).toMatch(/rds:(cluster-)?snapshot-tag\/rds-snapshot-vault:managed/);
          }
          // Issue 9: DB instances / DB clusters may be deleted only when they are restore-drill resources.
          if (actionsOf(st).some((a) => /^rds:DeleteDB(Instance|Cluster)$/.test(a))) {
            expect(st.Condition, name).toEqual({ StringEquals: { 'aws:ResourceTag/rds-snapshot-vault:drill': 'true' } });
            for (const r of asArray(st.Resource)) expect(String(r), name).toMatch(/:(db|cluster):rsv-drill-\*$/);
          }
          expect(actionsOf(st).filter((a) => /^rds:Delete/.test(a) && !/^rds:DeleteDB(Cluster)?Snapshot$|^rds:DeleteDB(Instance|Cluster)$/.test(a)), name).toEqual([]);
        }
      }
    }
  });
});

describe('cross-Region specifics', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = crossRegion();
  });

  it('lets RDS of both Regions use the source key on the vault account\'s behalf', () => {
    const key = Object.values(s.source.findResources('AWS::KMS::Key')).find((k) =>
      String(k.Properties.Description).includes('shareable'),
    )!;
    const forVault = (key.Properties.KeyPolicy.Statement as Statement[]).filter((st) => JSON.stringify(st.Principal).includes('222222222222'));
    for (const st of forVault) {
      expect(st.Condition?.StringEquals?.['kms:ViaService']).toEqual(['rds.us-east-1.amazonaws.com', 'rds.eu-west-1.amazonaws.com']);
    }
  });

  it('points the source functions at the vault Region and names everything after the deployment', () => {
    const fns = Object.values(s.source.findResources('AWS::Lambda::Function'));
    const copy = fns.find((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'cross-account-copy')!;
    expect(copy.Properties.Environment.Variables).toMatchObject({
      VAULT_REGION: 'eu-west-1',
      VAULT_KMS_KEY_ALIAS: 'alias/dr-vault',
      VAULT_ROLE_ARN: 'arn:aws:iam::222222222222:role/dr-vault-vault-copy',
    });
    expect(s.sourceStack.stackName).toBe('dr-vault-source');
    expect(s.vaultStack.region).toBe('eu-west-1');
  });

  it('deploys a disabled schedule in the configured time zone', () => {
    s.source.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED', ScheduleExpressionTimezone: 'Europe/Paris' });
  });

  it('creates no subscriptions when no e-mail is configured', () => {
    s.source.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});
