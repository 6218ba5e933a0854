/**
 * Key guard and tripwires of the vault stack (docs/security.md): the vault key's policy lets only
 * the break-glass role delete or disable it, and the EventBridge rules fire on the CloudTrail events
 * that would destroy or expose vault copies, and only on those. Sample events follow the CloudTrail
 * record format (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FOREIGN_KEY_COPIES_METRIC } from '../../contracts/names';
import { METRICS_NAMESPACE } from '../../functions/shared/handler';
import { KEY_GUARD_ACTIONS } from '../../infra/constructs/keys';
import { matchesEventPattern } from '../../sandbox/simulator/index';
import { configWith, synth, type Synthesized } from './helpers';

let s: Synthesized;
const VAULT = '222222222222';
beforeAll(() => {
  s = synth(configWith({ vault: { drRegions: ['us-west-2'] } }));
});

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const keyPolicies = (t: Synthesized['vault']) =>
  Object.values(t.findResources('AWS::KMS::Key')).map((k) => (k as { Properties: { Description: string; KeyPolicy: { Statement: Statement[] } } }).Properties);

describe('key guard', () => {
  it('every vault key (primary and DR Region) denies deletion and disabling to all but the break-glass role', () => {
    for (const t of [s.vault, ...s.drVaults]) {
      const key = keyPolicies(t).find((k) => k.Description.includes('snapshot copies kept in the vault'));
      expect(key).toBeDefined();
      const deny = key!.KeyPolicy.Statement.find((st) => st.Effect === 'Deny');
      expect(deny).toMatchObject({ Principal: { AWS: '*' }, Condition: { ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${VAULT}:role/${s.config.deploymentName}-break-glass` } } });
      expect([deny!.Action].flat().sort()).toEqual([...KEY_GUARD_ACTIONS].sort());
    }
  });

  it('keeps the account able to change the key policy (KMS lockout check, CloudFormation updates): PutKeyPolicy is never denied', () => {
    const key = keyPolicies(s.vault).find((k) => k.Description.includes('snapshot copies kept in the vault'))!;
    const root = key.KeyPolicy.Statement.find((st) => st.Effect === 'Allow' && JSON.stringify(st.Principal).includes(':root'));
    expect([root!.Action].flat()).toContain('kms:*');
    expect(key.KeyPolicy.Statement.filter((st) => st.Effect === 'Deny').flatMap((st) => [st.Action].flat())).not.toContain('kms:PutKeyPolicy');
  });

  it('a configured break-glass role name replaces the default', () => {
    const t = synth(configWith({ vault: { breakGlassRoleName: 'vault-emergency' } })).vault;
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${VAULT}:role/vault-emergency` } } })]) },
    });
  });
});

// ---------------------------------------------------------------- tripwires

interface Rule {
  Description: string;
  EventPattern: Record<string, unknown>;
  Targets: Array<{ Arn: unknown; Input?: unknown }>;
}
const rules = (t: Synthesized['vault']) => Object.values(t.findResources('AWS::Events::Rule')).map((r) => (r as { Properties: Rule }).Properties);
const RETENTION_ROLE = `arn:aws:iam::${VAULT}:role/rsv-vault-RetentionSweepRole`;
/** The synthesized patterns with the retention role's GetAtt replaced by a concrete ARN. */
function patterns(): Rule[] {
  return rules(s.vault).map((r) => JSON.parse(JSON.stringify(r).replace(/\{"Fn::GetAtt":\["[^"]+","Arn"\]\}/g, JSON.stringify(RETENTION_ROLE))) as Rule);
}
const fires = (event: Record<string, unknown>) => patterns().filter((r) => matchesEventPattern(r.EventPattern, event)).map((r) => r.Description);

const cloudTrail = (source: string, eventName: string, requestParameters: Record<string, unknown>, userIdentity: Record<string, unknown>) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'AWS API Call via CloudTrail',
  source,
  account: VAULT,
  time: '2026-11-20T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '1.09', eventSource: source.replace('aws.', '') + '.amazonaws.com', eventName, eventTime: '2026-11-20T10:00:00Z', awsRegion: 'us-east-1', requestParameters, userIdentity },
});
const admin = { type: 'AssumedRole', arn: `arn:aws:sts::${VAULT}:assumed-role/Admin/alice`, sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${VAULT}:role/Admin` } } };
const retention = { type: 'AssumedRole', arn: `arn:aws:sts::${VAULT}:assumed-role/rsv-vault-RetentionSweepRole/fn`, sessionContext: { sessionIssuer: { type: 'Role', arn: RETENTION_ROLE } } };
const root = { type: 'Root', arn: `arn:aws:iam::${VAULT}:root` };

describe('tripwires (EventBridge rules on CloudTrail management events)', () => {
  it('there are three, each targeting the vault topic', () => {
    const rs = rules(s.vault);
    expect(rs).toHaveLength(3);
    const topic = Object.keys(s.vault.findResources('AWS::SNS::Topic'))[0];
    for (const r of rs) expect(r.Targets).toEqual([expect.objectContaining({ Arn: { Ref: topic } })]);
  });

  it('fire on scheduling deletion of, disabling or re-policying a KMS key, by anyone', () => {
    for (const name of ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy']) {
      expect(fires(cloudTrail('aws.kms', name, { keyId: 'k-1', pendingWindowInDays: 7 }, admin))).toHaveLength(1);
    }
    expect(fires(cloudTrail('aws.kms', 'EnableKeyRotation', { keyId: 'k-1' }, admin))).toEqual([]);
  });

  it('fire on deleting an rsv- copy by anyone but the vault retention role, also root and by ARN', () => {
    expect(fires(cloudTrail('aws.rds', 'DeleteDBSnapshot', { dBSnapshotIdentifier: 'rsv-orders-db-202611200300' }, admin))).toHaveLength(1);
    expect(fires(cloudTrail('aws.rds', 'DeleteDBClusterSnapshot', { dBClusterSnapshotIdentifier: 'rsv-catalog-202611200300' }, root))).toHaveLength(1);
    expect(fires(cloudTrail('aws.rds', 'DeleteDBSnapshot', { dBSnapshotIdentifier: `arn:aws:rds:us-east-1:${VAULT}:snapshot:rsv-orders-db-202611200300` }, admin))).toHaveLength(1);
    expect(fires(cloudTrail('aws.rds', 'DeleteDBSnapshot', { dBSnapshotIdentifier: 'rsv-orders-db-202611200300' }, retention))).toEqual([]);
    expect(fires(cloudTrail('aws.rds', 'DeleteDBSnapshot', { dBSnapshotIdentifier: 'someone-elses-snapshot' }, admin))).toEqual([]);
  });

  it('fire on any change of an rsv- copy\'s restore attribute, even by the retention role', () => {
    expect(fires(cloudTrail('aws.rds', 'ModifyDBSnapshotAttribute', { dBSnapshotIdentifier: 'rsv-orders-db-202611200300', attributeName: 'restore', valuesToAdd: ['333333333333'] }, retention))).toHaveLength(1);
    expect(fires(cloudTrail('aws.rds', 'ModifyDBClusterSnapshotAttribute', { dBClusterSnapshotIdentifier: 'rsv-catalog-202611200300', attributeName: 'restore' }, admin))).toHaveLength(1);
  });

  it('vault copies under a foreign KMS key: an alarm on the metric retention-sweep emits, to the vault topic', () => {
    const alarms = Object.values(s.vault.findResources('AWS::CloudWatch::Alarm')).map((a) => (a as { Properties: Record<string, unknown> }).Properties);
    const alarm = alarms.find((a) => a.MetricName === FOREIGN_KEY_COPIES_METRIC);
    expect(alarm).toBeDefined();
    // The metric as retention-sweep's handler emits it: the shared namespace, Powertools' service dimension = the handler name.
    expect(alarm).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'service', Value: 'retention-sweep' }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const topic = Object.keys(s.vault.findResources('AWS::SNS::Topic'))[0];
    expect(alarm!.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it('the topic key lets EventBridge encrypt (simulated end to end in iam-calls.test.ts)', () => {
    const key = keyPolicies(s.vault).find((k) => k.Description.includes('notification topic'))!;
    expect(key.KeyPolicy.Statement).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }));
  });
});
