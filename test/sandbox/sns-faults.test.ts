/**
 * SNS Publish, fault injection, and the copy timing model.
 */
import { CopyDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSServiceException } from '@aws-sdk/client-rds';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { copyDurationSeconds, scheduleCopies } from '../../sandbox/simulator/index';
import { expectAwsError, newWorld, R1, R2, root, SOURCE, VAULT, type World } from './helpers';

describe('SNS Publish', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('stores published messages with virtual time and returns a MessageId', async () => {
    w = newWorld();
    const topicArn = w.sandbox.sns.createTopic({ accountId: SOURCE, region: R1, name: 'backup-report' });
    w.clock.advance(90);
    const out = await w.sns(root(SOURCE)).send(new PublishCommand({ TopicArn: topicArn, Subject: 'rds-snapshot-vault: 3 succeeded, 1 failed', Message: '{"ok":3}' }));
    expect(out.MessageId).toBeTruthy();
    expect(w.sandbox.sns.messages).toEqual([
      { topicArn, subject: 'rds-snapshot-vault: 3 succeeded, 1 failed', message: '{"ok":3}', at: '2026-11-20T05:01:30.000Z', messageId: out.MessageId, principalArn: root(SOURCE) },
    ]);
  });

  it('an unknown topic or a topic of another Region fails with NotFoundException', async () => {
    w = newWorld();
    const topicArn = w.sandbox.sns.createTopic({ accountId: SOURCE, region: R1, name: 't' });
    await expectAwsError(w.sns(root(SOURCE)).send(new PublishCommand({ TopicArn: `${topicArn}-missing`, Message: 'x' })), 'NotFoundException');
    await expectAwsError(w.sns(root(SOURCE), R2).send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })), 'NotFoundException');
    expect(w.sandbox.sns.messages).toHaveLength(0);
  });

  it('Subject over 100 characters, with a line break or non-ASCII, and Message over 256 KiB fail with InvalidParameterException', async () => {
    w = newWorld();
    const TopicArn = w.sandbox.sns.createTopic({ accountId: SOURCE, region: R1, name: 't' });
    const sns = w.sns(root(SOURCE));
    for (const Subject of ['x'.repeat(101), 'two\nlines', 'caf\u00e9', '', ' leading space']) {
      const e = await expectAwsError(sns.send(new PublishCommand({ TopicArn, Subject, Message: 'm' })), 'InvalidParameterException');
      expect(e.message).toBe('Invalid parameter: Subject');
    }
    await expect(sns.send(new PublishCommand({ TopicArn, Subject: 'y'.repeat(100), Message: 'm' }))).resolves.toBeDefined();
    await expect(sns.send(new PublishCommand({ TopicArn, Message: 'z'.repeat(262_144) }))).resolves.toBeDefined();
    await expectAwsError(sns.send(new PublishCommand({ TopicArn, Message: 'z'.repeat(262_145) })), 'InvalidParameterException');
    await expectAwsError(sns.send(new PublishCommand({ TopicArn, Message: '' })), 'InvalidParameterException');
  });

  it('another account needs the topic policy; a role needs sns:Publish (AuthorizationErrorException otherwise); encrypted topics need the KMS key', async () => {
    w = newWorld();
    const TopicArn = w.sandbox.sns.createTopic({ accountId: SOURCE, region: R1, name: 't' });
    await expectAwsError(w.sns(root(VAULT)).send(new PublishCommand({ TopicArn, Message: 'm' })), 'AuthorizationErrorException');
    w.sandbox.sns.setTopicPolicy(TopicArn, { Statement: [{ Effect: 'Allow', Principal: { AWS: VAULT }, Action: 'sns:Publish', Resource: TopicArn }] });
    await expect(w.sns(root(VAULT)).send(new PublishCommand({ TopicArn, Message: 'm' }))).resolves.toBeDefined();
    const mute = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'mute', trustPolicy: { Statement: [] }, policies: [] });
    w.sandbox.sns.setTopicPolicy(TopicArn, { Statement: [{ Effect: 'Allow', Principal: { AWS: root(SOURCE) }, Action: 'SNS:*', Resource: TopicArn }] });
    const e = await expectAwsError(w.sns(mute).send(new PublishCommand({ TopicArn, Message: 'm' })), 'AuthorizationErrorException');
    expect(e.message).toContain('is not authorized to perform: SNS:Publish on resource: ' + TopicArn);

    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/topic' });
    const encrypted = w.sandbox.sns.createTopic({ accountId: SOURCE, region: R1, name: 'enc', kmsMasterKeyId: 'alias/topic' });
    const notifier = w.sandbox.iam.putRole({ accountId: SOURCE, roleName: 'notifier', trustPolicy: { Statement: [] }, policies: [{ Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] }] });
    await expectAwsError(w.sns(notifier).send(new PublishCommand({ TopicArn: encrypted, Message: 'm' })), 'KMSAccessDeniedException');
    w.sandbox.iam.putRole({
      accountId: SOURCE,
      roleName: 'notifier',
      trustPolicy: { Statement: [] },
      policies: [{ Statement: [{ Effect: 'Allow', Action: ['sns:Publish', 'kms:GenerateDataKey*', 'kms:Decrypt'], Resource: '*' }] }],
    });
    await expect(w.sns(notifier).send(new PublishCommand({ TopicArn: encrypted, Message: 'm' }))).resolves.toBeDefined();
    w.sandbox.kms.disableKey(key.arn);
    await expectAwsError(w.sns(notifier).send(new PublishCommand({ TopicArn: encrypted, Message: 'm' })), 'KMSDisabledException');
  });

  it('a CloudWatch alarm publishes as cloudwatch.amazonaws.com: a TLS-deny-only topic policy or a key without a CloudWatch statement makes it fail silently (recorded, no message)', () => {
    w = newWorld();
    const alarm = `arn:aws:cloudwatch:${R1}:${SOURCE}:alarm:BackupRun-ExecutionsFailed`;
    const key = w.sandbox.kms.createKey({ accountId: SOURCE, region: R1, alias: 'alias/alarms' });
    const topic = w.sandbox.sns.createTopic({ accountId: SOURCE, region: R1, name: 'alarms', kmsMasterKeyId: key.arn });
    const tlsDeny = { Effect: 'Deny' as const, Principal: '*' as const, Action: 'sns:Publish', Resource: topic, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    const allowCw = (condition: Record<string, Record<string, string>>) => ({ Effect: 'Allow' as const, Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: topic, Condition: condition });
    const publish = () => w.sandbox.sns.alarmPublish(alarm, topic);

    // What CDK's enforceSSL writes: the deny alone. SNS's default policy (owner account) is gone, and it never admitted the service anyway.
    w.sandbox.sns.setTopicPolicy(topic, { Version: '2012-10-17', Statement: [tlsDeny] });
    expect(publish()).toMatchObject({ status: 'failed', error: expect.stringContaining(`Resource: ${alarm} is not authorized to perform: SNS:Publish on resource: ${topic}`) });
    // Scoped to another account's alarms, or to other alarms: still refused.
    w.sandbox.sns.setTopicPolicy(topic, { Version: '2012-10-17', Statement: [tlsDeny, allowCw({ StringEquals: { 'aws:SourceAccount': VAULT } })] });
    expect(publish().status).toBe('failed');
    w.sandbox.sns.setTopicPolicy(topic, { Version: '2012-10-17', Statement: [tlsDeny, allowCw({ ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${R1}:${SOURCE}:alarm:Other-*` } })] });
    expect(publish().status).toBe('failed');
    // Topic policy right, key policy (AWS's default: the account's IAM principals) does not admit CloudWatch.
    w.sandbox.sns.setTopicPolicy(topic, { Version: '2012-10-17', Statement: [tlsDeny, allowCw({ StringEquals: { 'aws:SourceAccount': SOURCE }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${R1}:${SOURCE}:alarm:*` } })] });
    expect(publish()).toMatchObject({ status: 'failed', error: expect.stringContaining('encryption key') });
    // A key statement conditioned on a key AWS does not document for this request (aws:SourceAccount) is not relied on.
    const rootStatement = { Sid: 'root', Effect: 'Allow' as const, Principal: { AWS: `arn:aws:iam::${SOURCE}:root` }, Action: 'kms:*', Resource: '*' };
    const cwKey = (extra: object) => ({ Version: '2012-10-17', Statement: [rootStatement, { Effect: 'Allow' as const, Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', ...extra }] });
    w.sandbox.kms.putKeyPolicy(key.arn, cwKey({ Condition: { StringEquals: { 'aws:SourceAccount': SOURCE } } }));
    expect(publish().status).toBe('failed');
    w.sandbox.kms.putKeyPolicy(key.arn, cwKey({}));
    const ok = publish();
    expect(ok.status).toBe('delivered');
    expect(w.sandbox.sns.messages.at(-1)).toMatchObject({ topicArn: topic, principalArn: 'cloudwatch.amazonaws.com', messageId: ok.messageId });
    // Nothing was thrown and nothing published on the failures: five failed attempts, one delivery, one message.
    expect(w.sandbox.sns.alarmDeliveries.map((d) => d.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'delivered']);
    expect(w.sandbox.sns.messages.filter((m) => m.topicArn === topic)).toHaveLength(1);
  });
});

describe('fault injection', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  it('the next matching call throws the injected error (SDK exception shape), then calls run again', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'db', engine: 'postgres', allocatedStorageGiB: 5, storageEncrypted: false });
    const auto = w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'db', kind: 'instance' });
    const rds = w.rds(root(SOURCE));
    w.sandbox.faults.inject({ service: 'rds', operation: 'CopyDBSnapshot', error: { name: 'ThrottlingException', message: 'Rate exceeded' } });
    await expect(rds.send(new DescribeDBSnapshotsCommand({}))).resolves.toBeDefined();
    const e = await expectAwsError(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'c1' })), 'ThrottlingException');
    expect(e).toBeInstanceOf(RDSServiceException);
    expect(e.message).toBe('Rate exceeded');
    expect(e.$retryable).toEqual({ throttling: true });
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(w.sandbox.rds.listSnapshots(SOURCE, R1).map((s) => s.identifier)).not.toContain('c1');
    await expect(rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: auto.identifier, TargetDBSnapshotIdentifier: 'c1' }))).resolves.toBeDefined();
    expect(w.sandbox.calls.map((c) => `${c.operation}:${c.errorName ?? 'ok'}`)).toEqual(['DescribeDBSnapshots:ok', 'CopyDBSnapshot:ThrottlingException', 'CopyDBSnapshot:ok']);
  });

  it('times, match, wildcard operations, server faults and SDK fault classes', async () => {
    w = newWorld();
    const rds = w.rds(root(SOURCE));
    w.sandbox.faults.inject({ service: 'rds', operation: '*', error: { name: 'InternalFailure' }, times: 2, match: (_input, ctx) => ctx.accountId === SOURCE });
    const e1 = await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({})), 'InternalFailure');
    expect(e1.$metadata?.httpStatusCode).toBe(500);
    expect(e1.$fault).toBe('server');
    await expect(w.rds(root(VAULT)).send(new DescribeDBSnapshotsCommand({}))).resolves.toBeDefined(); // not matched
    await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({})), 'InternalFailure');
    await expect(rds.send(new DescribeDBSnapshotsCommand({}))).resolves.toBeDefined();

    w.sandbox.faults.inject({ service: 'sts', operation: 'AssumeRole', error: { name: 'ServiceUnavailable' }, times: Infinity });
    for (let i = 0; i < 3; i++) {
      const e = await expectAwsError(w.sts(root(SOURCE)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${VAULT}:role/x`, RoleSessionName: 'abc' })), 'ServiceUnavailable');
      expect(e.$metadata?.httpStatusCode).toBe(503);
    }
    w.sandbox.faults.clear();
    await expectAwsError(w.sts(root(SOURCE)).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${VAULT}:role/x`, RoleSessionName: 'abc' })), 'AccessDenied');

    w.sandbox.faults.inject({ service: 'rds', operation: 'DescribeDBSnapshots', error: { name: 'DBSnapshotNotFoundFault' } });
    const e2 = await expectAwsError(rds.send(new DescribeDBSnapshotsCommand({})), 'DBSnapshotNotFoundFault');
    expect(e2.constructor.name).toBe('DBSnapshotNotFoundFault');
  });
});

describe('copy timing model', () => {
  it('copyDurationSeconds grows with size: ~4 min for 20 GiB, ~10 h for 4 TiB; cross-Region is slower', () => {
    expect(copyDurationSeconds({ sizeGiB: 20, kind: 'instance', crossRegion: false })).toBe(240);
    expect(copyDurationSeconds({ sizeGiB: 4096, kind: 'cluster', crossRegion: false })).toBe(36_924);
    expect(copyDurationSeconds({ sizeGiB: 4096, kind: 'instance', crossRegion: true })).toBeGreaterThan(36_924);
    expect(() => copyDurationSeconds({ sizeGiB: -1, kind: 'instance', crossRegion: false })).toThrow(RangeError);
  });

  it('rule 11 (property): the queue never runs more than `limit` copies at once and starts them first-in-first-out', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 600 }), duration: fc.integer({ min: 1, max: 3000 }), cut: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }) }), { maxLength: 30 }),
        (limit, specs) => {
          let t = 0;
          const copies = specs.map((s, seq) => {
            t += s.gap * 1000;
            return { seq, requestedAtMs: t, durationMs: s.duration * 1000, ...(s.cut !== undefined ? { terminatedAtMs: t + s.cut * 1000 } : {}), stalled: false };
          });
          const starts = scheduleCopies(copies, limit);
          const intervals = copies.filter((c) => starts.has(c.seq)).map((c) => ({ c, start: starts.get(c.seq)!, end: Math.min(starts.get(c.seq)! + c.durationMs, c.terminatedAtMs ?? Infinity) }));
          for (const { start } of intervals) {
            const running = intervals.filter((i) => i.start <= start && i.end > start).length;
            expect(running).toBeLessThanOrEqual(limit);
          }
          for (let i = 1; i < intervals.length; i++) expect(intervals[i]!.start).toBeGreaterThanOrEqual(intervals[i - 1]!.start);
          for (const { c, start } of intervals) expect(start).toBeGreaterThanOrEqual(c.requestedAtMs);
        },
      ),
      { numRuns: 200 },
    );
  });
});
