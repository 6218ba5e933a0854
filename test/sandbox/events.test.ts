/**
 * EventBridge in the sandbox: event patterns, InputTransformer, asynchronous delivery that never moves
 * virtual time, and the events RDS emits for automated snapshots (docs/aws-behaviour.md §17).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { applyInputTransformer, matchesEventPattern, type EventDelivery, type EventEnvelope } from '../../sandbox/simulator/index';
import { newWorld, OTHER, R1, R2, SOURCE, VAULT, type World } from './helpers';

/** The rule SourceStack deploys (team brief, "Stacks"). */
const SNAPSHOT_RULE = {
  pattern: { source: ['aws.rds'], 'detail-type': ['RDS DB Snapshot Event', 'RDS DB Cluster Snapshot Event'], detail: { EventID: ['RDS-EVENT-0091', 'RDS-EVENT-0169'] } },
  transformer: { InputPathsMap: { arn: '$.detail.SourceArn' }, InputTemplate: '{"trigger":"event","sourceSnapshotArn":<arn>}' },
};
const BACKUP_RUN = `arn:aws:states:${R1}:${SOURCE}:stateMachine:BackupRun`;

const event = (detail: object, extra: Partial<EventEnvelope> = {}): Record<string, unknown> => ({
  version: '0',
  id: 'x',
  'detail-type': 'RDS DB Snapshot Event',
  source: 'aws.rds',
  account: SOURCE,
  time: '2026-11-20T05:00:00Z',
  region: R1,
  resources: [],
  detail,
  ...extra,
});

describe('EventBridge event patterns', () => {
  it('values are any-of lists; nested objects match nested fields; every field of the pattern must match', () => {
    const p = { source: ['aws.rds', 'aws.backup'], detail: { EventID: ['RDS-EVENT-0091'], SourceType: ['SNAPSHOT'] } };
    expect(matchesEventPattern(p, event({ EventID: 'RDS-EVENT-0091', SourceType: 'SNAPSHOT' }))).toBe(true);
    expect(matchesEventPattern(p, event({ EventID: 'RDS-EVENT-0042', SourceType: 'SNAPSHOT' }))).toBe(false);
    expect(matchesEventPattern(p, event({ EventID: 'RDS-EVENT-0091' }))).toBe(false);
    expect(matchesEventPattern(p, event({ EventID: 'RDS-EVENT-0091', SourceType: 'SNAPSHOT' }, { source: 'aws.ec2' }))).toBe(false);
    // An array in the event matches when any element matches.
    expect(matchesEventPattern({ detail: { EventCategories: ['backup'] } }, event({ EventCategories: ['notification', 'backup'] }))).toBe(true);
    expect(matchesEventPattern({ detail: { EventCategories: ['backup'] } }, event({ EventCategories: ['creation'] }))).toBe(false);
    // Case-sensitive; numbers compare numerically; null matches null only (not absence).
    expect(matchesEventPattern({ source: ['AWS.RDS'] }, event({}))).toBe(false);
    expect(matchesEventPattern({ detail: { n: [5] } }, event({ n: 5.0 }))).toBe(true);
    expect(matchesEventPattern({ detail: { n: ['5'] } }, event({ n: 5 }))).toBe(false);
    expect(matchesEventPattern({ detail: { v: [null] } }, event({ v: null }))).toBe(true);
    expect(matchesEventPattern({ detail: { v: [null] } }, event({}))).toBe(false);
  });

  it('prefix, suffix, equals-ignore-case, wildcard, anything-but, exists, numeric and $or', () => {
    const arn = `arn:aws:rds:${R1}:${SOURCE}:snapshot:rds:orders-db-2026-11-20-05-00`;
    const e = event({ SourceArn: arn, SourceIdentifier: 'rds:orders-db-2026-11-20-05-00', Size: 120, Message: 'Automated snapshot created.' });
    const m = (detail: Record<string, unknown>) => matchesEventPattern({ detail }, e);
    expect(m({ SourceArn: [{ prefix: `arn:aws:rds:${R1}:${SOURCE}:snapshot:rds:` }] })).toBe(true);
    expect(m({ SourceArn: [{ prefix: `arn:aws:rds:${R2}:` }] })).toBe(false);
    expect(m({ SourceIdentifier: [{ suffix: '05-00' }] })).toBe(true);
    expect(m({ Message: [{ 'equals-ignore-case': 'AUTOMATED SNAPSHOT CREATED.' }] })).toBe(true);
    expect(m({ SourceIdentifier: [{ wildcard: 'rds:orders-*-05-00' }] })).toBe(true);
    expect(m({ SourceIdentifier: [{ 'anything-but': ['rds:other'] }] })).toBe(true);
    expect(m({ SourceIdentifier: [{ 'anything-but': 'rds:orders-db-2026-11-20-05-00' }] })).toBe(false);
    expect(m({ SourceIdentifier: [{ 'anything-but': { prefix: 'rds:' } }] })).toBe(false);
    expect(m({ Missing: [{ 'anything-but': 'x' }] })).toBe(false); // anything-but needs the field
    expect(m({ SourceArn: [{ exists: true }], Missing: [{ exists: false }] })).toBe(true);
    expect(m({ Missing: [{ exists: true }] })).toBe(false);
    expect(m({ SourceArn: [{ exists: false }] })).toBe(false);
    expect(m({ Size: [{ numeric: ['>', 100, '<=', 120] }] })).toBe(true);
    expect(m({ Size: [{ numeric: ['<', 100] }] })).toBe(false);
    expect(matchesEventPattern({ $or: [{ source: ['aws.ec2'] }, { detail: { Size: [120] } }] }, e)).toBe(true);
    expect(matchesEventPattern({ $or: [{ source: ['aws.ec2'] }, { detail: { Size: [1] } }] }, e)).toBe(false);
  });

  it('invalid patterns and targets are rejected like PutRule/PutTargets would (InvalidEventPatternException / ValidationException)', () => {
    const w = newWorld();
    try {
      const base = { accountId: SOURCE, region: R1, name: 'r', targets: [] };
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: { source: 'aws.rds' } })).toThrow(/InvalidEventPatternException/);
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: { source: [] } })).toThrow(/InvalidEventPatternException/);
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: {} })).toThrow(/InvalidEventPatternException/);
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: { source: [{ regex: '.*' }] } })).toThrow(/InvalidEventPatternException/);
      const t = { id: 't', arn: BACKUP_RUN };
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: SNAPSHOT_RULE.pattern, targets: [{ ...t, input: '{}', inputPath: '$.detail' }] })).toThrow(/ValidationException/);
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: SNAPSHOT_RULE.pattern, targets: [{ ...t, inputTransformer: { InputPathsMap: { arn: '$.detail.SourceArn' }, InputTemplate: '{"a":<arn>' } }] })).toThrow(/ValidationException/);
      expect(() => w.sandbox.events.putRule({ ...base, eventPattern: SNAPSHOT_RULE.pattern, targets: [1, 2, 3, 4, 5, 6].map((i) => ({ id: `t${i}`, arn: BACKUP_RUN })) })).toThrow(/ValidationException/);
      expect(() => w.sandbox.events.putRule({ ...base, name: 'bad name', eventPattern: SNAPSHOT_RULE.pattern })).toThrow(/ValidationException/);
    } finally {
      w.sandbox.uninstall();
    }
  });
});

describe('InputTransformer', () => {
  const rule = { name: 'snap', arn: `arn:aws:events:${R1}:${SOURCE}:rule/snap` };
  const env = event({ SourceArn: 'arn:x', Size: 3, Tags: { a: 'b' } }) as unknown as EventEnvelope;

  it('a placeholder outside quotes gets the JSON value (strings quoted, objects serialized, missing -> null); inside quotes the raw string', () => {
    expect(applyInputTransformer(SNAPSHOT_RULE.transformer, env, rule, '')).toEqual({ trigger: 'event', sourceSnapshotArn: 'arn:x' });
    const t = {
      InputPathsMap: { arn: '$.detail.SourceArn', size: '$.detail.Size', tags: '$.detail.Tags', nope: '$.detail.Nope', acct: '$.account' },
      InputTemplate: '{"s":"snapshot <arn> of <size> GiB","n":<size>,"o":<tags>,"m":<nope>,"a":"<acct>","r":"<aws.events.rule-name>","keep":"<unknown>"}',
    };
    expect(applyInputTransformer(t, env, rule, '')).toEqual({ s: 'snapshot arn:x of 3 GiB', n: 3, o: { a: 'b' }, m: null, a: SOURCE, r: 'snap', keep: '<unknown>' });
    // A template that is not JSON yields a string.
    expect(applyInputTransformer({ InputPathsMap: { arn: '$.detail.SourceArn' }, InputTemplate: '"Snapshot <arn> created"' }, env, rule, '')).toBe('Snapshot arn:x created');
    expect(applyInputTransformer({ InputTemplate: '{"event":<aws.events.event>}' }, env, rule, '')).toEqual({ event: env });
  });
});

describe('EventBridge delivery and RDS snapshot events', () => {
  let w: World;
  afterEach(() => w.sandbox.uninstall());

  /** The rule's target role, as the source stack makes it: trusted by EventBridge for this account, may start BackupRun. */
  function eventsRole(trustCondition: Record<string, string> = { 'aws:SourceAccount': SOURCE }, action = 'states:StartExecution') {
    return w.sandbox.iam.putRole({
      accountId: SOURCE,
      roleName: 'events',
      trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: trustCondition } }] },
      policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: BACKUP_RUN }] }],
    });
  }

  function withRule(state: 'ENABLED' | 'DISABLED' = 'ENABLED', registerRole = true) {
    if (registerRole) eventsRole();
    w.sandbox.events.putRule({
      accountId: SOURCE,
      region: R1,
      name: 'rsv-snapshot-events',
      eventPattern: SNAPSHOT_RULE.pattern,
      state,
      targets: [{ id: 'BackupRun', arn: BACKUP_RUN, roleArn: `arn:aws:iam::${SOURCE}:role/events`, inputTransformer: SNAPSHOT_RULE.transformer }],
    });
    const got: EventDelivery[] = [];
    w.sandbox.events.setTargetHandler((d) => {
      got.push(d);
    });
    return got;
  }

  it('an automated DB snapshot emits RDS-EVENT-0091 (RDS DB Snapshot Event, SNAPSHOT, creation) and the rule delivers {"trigger":"event","sourceSnapshotArn":...} after the call returns, without moving virtual time', async () => {
    w = newWorld();
    const got = withRule();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    const snap = w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance' });
    expect(w.sandbox.events.emitted).toEqual([
      {
        version: '0',
        id: expect.any(String),
        'detail-type': 'RDS DB Snapshot Event',
        source: 'aws.rds',
        account: SOURCE,
        time: '2026-11-20T05:00:00Z',
        region: R1,
        resources: [snap.arn],
        detail: {
          EventCategories: ['creation'],
          SourceType: 'SNAPSHOT',
          SourceArn: snap.arn,
          Date: '2026-11-20T05:00:00.000Z',
          Message: 'Automated snapshot created.',
          SourceIdentifier: 'rds:orders-db-2026-11-20-05-00',
          EventID: 'RDS-EVENT-0091',
          Tags: {},
        },
      },
    ]);
    expect(got).toEqual([]); // asynchronous
    expect(w.sandbox.events.deliveries).toEqual([]);
    await w.sandbox.events.settled();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ rule: 'rsv-snapshot-events', targetArn: BACKUP_RUN, roleArn: `arn:aws:iam::${SOURCE}:role/events`, input: { trigger: 'event', sourceSnapshotArn: snap.arn } });
    expect(w.sandbox.events.deliveries).toEqual([{ rule: 'rsv-snapshot-events', targetArn: BACKUP_RUN, roleArn: `arn:aws:iam::${SOURCE}:role/events`, input: { trigger: 'event', sourceSnapshotArn: snap.arn }, at: '2026-11-20T05:00:00.000Z', status: 'delivered' }]);
    expect(w.clock.now().toISOString()).toBe('2026-11-20T05:00:00.000Z');
    expect(w.clock.pending).toBe(0);
  });

  it('an automated DB cluster snapshot emits RDS-EVENT-0169 (RDS DB Cluster Snapshot Event, CLUSTER_SNAPSHOT, backup); emitEvent:false emits nothing; manual snapshots emit nothing', async () => {
    w = newWorld();
    const got = withRule();
    w.sandbox.rds.createDbCluster({ accountId: SOURCE, region: R1, identifier: 'catalog', engine: 'aurora-postgresql', allocatedStorageGiB: 20, storageEncrypted: false });
    const at = new Date('2026-11-19T03:10:00Z');
    const snap = w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', at });
    w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', at: new Date('2026-11-18T03:10:00Z') }, { emitEvent: false });
    w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'catalog', kind: 'cluster', identifier: 'm1' });
    expect(w.sandbox.events.emitted).toHaveLength(1);
    expect(w.sandbox.events.emitted[0]).toMatchObject({
      'detail-type': 'RDS DB Cluster Snapshot Event',
      time: '2026-11-19T03:10:00Z',
      detail: { EventCategories: ['backup'], SourceType: 'CLUSTER_SNAPSHOT', SourceArn: snap.arn, SourceIdentifier: 'rds:catalog-2026-11-19-03-10', EventID: 'RDS-EVENT-0169', Message: 'Automated cluster snapshot created.' },
    });
    await w.sandbox.events.settled();
    expect(got.map((d) => d.input)).toEqual([{ trigger: 'event', sourceSnapshotArn: snap.arn }]);
  });

  it('no handler: recorded, not delivered; disabled rules, other accounts/Regions and non-matching events are not delivered; a throwing handler is recorded as failed', async () => {
    w = newWorld();
    w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
    withRule();
    w.sandbox.events.setTargetHandler(undefined);
    w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', at: new Date('2026-11-19T00:00:00Z') });
    await w.sandbox.events.settled();
    expect(w.sandbox.events.emitted).toHaveLength(1);
    expect(w.sandbox.events.deliveries).toEqual([]);

    const got = withRule('DISABLED');
    w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance', at: new Date('2026-11-18T00:00:00Z') });
    const base = { source: 'aws.rds', detailType: 'RDS DB Snapshot Event', detail: { EventID: 'RDS-EVENT-0091', SourceArn: 'a' } };
    await w.sandbox.events.settled();
    expect(got).toEqual([]);
    const got2 = withRule('ENABLED');
    w.sandbox.events.putEvent({ ...base, accountId: OTHER, region: R1 });
    w.sandbox.events.putEvent({ ...base, accountId: SOURCE, region: R2 });
    w.sandbox.events.putEvent({ ...base, accountId: SOURCE, region: R1, detail: { EventID: 'RDS-EVENT-0042' } });
    await w.sandbox.events.settled();
    expect(got2).toEqual([]);
    expect(w.sandbox.events.deliveries).toEqual([]);
    w.sandbox.events.setTargetHandler(() => {
      throw new Error('StartExecution failed');
    });
    w.sandbox.events.putEvent({ ...base, accountId: SOURCE, region: R1 });
    await w.sandbox.events.settled();
    expect(w.sandbox.events.deliveries).toMatchObject([{ status: 'failed', error: 'Error: StartExecution failed', input: { trigger: 'event', sourceSnapshotArn: 'a' } }]);
  });

  it('input variants: constant Input, InputPath, or the whole event', async () => {
    w = newWorld();
    const targets = [
      { id: 'const', arn: 'arn:c', input: '{"k":1}' },
      { id: 'path', arn: 'arn:p', inputPath: '$.detail' },
      { id: 'whole', arn: 'arn:w' },
    ];
    w.sandbox.events.putRule({ accountId: SOURCE, region: R1, name: 'all', eventPattern: { source: ['custom'] }, targets });
    const got: Record<string, unknown> = {};
    w.sandbox.events.setTargetHandler((d) => {
      got[d.targetArn] = d.input;
    });
    const env = w.sandbox.events.putEvent({ accountId: SOURCE, region: R1, source: 'custom', detailType: 'x', detail: { a: 1 } });
    await w.sandbox.events.settled();
    expect(got).toEqual({ 'arn:c': { k: 1 }, 'arn:p': { a: 1 }, 'arn:w': env });
  });

  it('EventBridge assumes the target role as events.amazonaws.com (aws:SourceArn = the rule) and needs states:StartExecution: otherwise the delivery fails, recorded, and the target never runs', async () => {
    const snapshot = () => {
      w.sandbox.rds.createDbInstance({ accountId: SOURCE, region: R1, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: 20, storageEncrypted: false });
      w.sandbox.rds.createAutomatedSnapshot({ accountId: SOURCE, region: R1, dbIdentifier: 'orders-db', kind: 'instance' });
    };
    const cases: Array<{ name: string; setup: () => void; error: RegExp | undefined }> = [
      { name: 'role as deployed', setup: () => eventsRole(), error: undefined },
      { name: 'scoped to this rule by aws:SourceArn', setup: () => eventsRole({ 'aws:SourceArn': `arn:aws:events:${R1}:${SOURCE}:rule/rsv-snapshot-events` }), error: undefined },
      { name: 'no such role', setup: () => undefined, error: /sts:AssumeRole on resource: arn:aws:iam::\d+:role\/events/ },
      { name: 'trust for another account', setup: () => eventsRole({ 'aws:SourceAccount': VAULT }), error: /events\.amazonaws\.com is not authorized to perform: sts:AssumeRole/ },
      { name: 'trust for another rule', setup: () => eventsRole({ 'aws:SourceArn': `arn:aws:events:${R1}:${SOURCE}:rule/other` }), error: /sts:AssumeRole/ },
      { name: 'role without StartExecution', setup: () => eventsRole(undefined, 'states:DescribeExecution'), error: /assumed-role\/events\/events is not authorized to perform: states:StartExecution on resource: arn:aws:states:/ },
    ];
    for (const c of cases) {
      w = newWorld();
      c.setup();
      const got = withRule('ENABLED', false);
      snapshot();
      await w.sandbox.events.settled();
      expect(got.length, c.name).toBe(c.error ? 0 : 1);
      const [rec] = w.sandbox.events.deliveries;
      expect(rec?.status, c.name).toBe(c.error ? 'failed' : 'delivered');
      if (c.error) expect(rec?.error, c.name).toMatch(c.error);
      w.sandbox.uninstall();
    }
    w = newWorld();
  });
});
