import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidConfigError,
  checkScheduleExpression,
  exportsEnabled,
  isIanaTimeZone,
  loadConfig,
  parseConfig,
  vaultAccountIdOf,
  vaultModeOf,
  vaultRegionsOf,
} from '../../infra/config/schema';
import { policySchema } from '../../contracts/rules';
import { EXAMPLE_CONFIG_PATH, exampleConfig, problemsOf, projectConfig } from './helpers';

/** The example file as raw JSON, to break one field at a time. */
function raw(): Record<string, any> {
  return structuredClone(exampleConfig()) as Record<string, any>;
}


describe('config/example.json', () => {
  it('parses', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.deploymentName).toBe('rds-snapshot-vault');
    expect(config.databases).toHaveLength(4);
    expect(config.databases.find((d) => d.kind === 'cluster')?.identifier).toBe('catalog-aurora');
  });

  it('has a DR Region, an exported database, tag discovery, a Glue catalog and events', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(vaultModeOf(config)).toBe('cross-account');
    expect(config.vault).toMatchObject({ drRegions: ['us-west-2'], drCopyMode: 'two-hop' });
    expect(vaultRegionsOf(config)).toEqual(['us-east-1', 'us-west-2']);
    expect(config.databases.filter((d) => d.export).map((d) => d.identifier)).toEqual(['orders-db']);
    expect(config.discovery).toEqual({ tags: { 'rds-snapshot-vault:backup': 'true' }, export: false });
    expect(config.export).toEqual({
      prefix: 'exports',
      lifecycle: { glacierAfterDays: 30, deepArchiveAfterDays: 180, expireAfterDays: 2555 },
      glueCatalog: true,
    });
    expect(config.events).toEqual({ enabled: true });
    expect(exportsEnabled(config)).toBe(true);
  });
});

describe('config/same-account.json', () => {
  it('parses into same-account mode: no vault account, vault Region us-west-2, source us-east-1', () => {
    const config = projectConfig('same-account.json');
    expect(config.vault.accountId).toBeUndefined();
    expect(config.vault.externalId).toBeUndefined();
    expect(config.vault.region).toBe('us-west-2');
    expect(config.source.region).toBe('us-east-1');
    expect(vaultModeOf(config)).toBe('same-account');
    expect(vaultAccountIdOf(config)).toBe(config.source.accountId);
    expect(exportsEnabled(config)).toBe(false);
  });
});

describe('defaults', () => {
  it('fills optional fields', () => {
    const c = raw();
    delete c.notifications;
    delete c.concurrency;
    delete c.polling;
    delete c.schedule.enabled;
    delete c.schedule.timeZone;
    delete c.vault.drRegions;
    delete c.vault.drCopyMode;
    delete c.events;
    delete c.discovery;
    delete c.export.prefix;
    delete c.export.glueCatalog;
    delete c.export.lifecycle;
    delete c.databases[0].export;
    c.databases[1].export = true;
    const config = parseConfig(c);
    expect(config.vault.drRegions).toEqual([]);
    expect(config.vault.drCopyMode).toBe('two-hop');
    expect(config.events).toEqual({ enabled: true });
    expect(config.discovery).toBeUndefined();
    expect(config.export).toEqual({ prefix: 'exports', lifecycle: {}, glueCatalog: false });
    expect(config.databases[0]!.export).toBe(false);
    expect(config.retention.vault.gfs).toBeUndefined();
    expect(config.notifications.emails).toEqual([]);
    expect(config.concurrency).toEqual({ maxDatabasesInParallel: 100, copySlots: { dbSnapshotCopies: 20, dbClusterSnapshotCopies: 5, exportTasks: 5 } });
    expect(config.polling.maxWaitHours).toBe(48);
    expect(config.schedule.enabled).toBe(true);
    expect(config.schedule.timeZone).toBe('UTC');
  });
});

type Case = [description: string, mutate: (c: Record<string, any>) => void, path: string, message: RegExp];

const cases: Case[] = [
  ['deploymentName upper case', (c) => (c.deploymentName = 'Vault'), 'deploymentName', /lower-case/],
  ['deploymentName too long', (c) => (c.deploymentName = 'a'.repeat(33)), 'deploymentName', /1-32/],
  ['deploymentName trailing hyphen', (c) => (c.deploymentName = 'vault-'), 'deploymentName', /hyphen/],
  ['source account not 12 digits', (c) => (c.source.accountId = '12345'), 'source.accountId', /12-digit/],
  ['source account a number', (c) => (c.source.accountId = 111111111111), 'source.accountId', /12-digit/],
  ['vault account = source account', (c) => (c.vault.accountId = c.source.accountId), 'vault.accountId', /must differ.*omit vault\.accountId/],
  ['region malformed', (c) => (c.source.region = 'US East'), 'source.region', /Region code/],
  ['regions in different partitions', (c) => (c.vault.region = 'cn-north-1'), 'vault.region', /partition/],
  ['externalId too short', (c) => (c.vault.externalId = 'short'), 'vault.externalId', /12-1224/],
  ['externalId bad characters', (c) => (c.vault.externalId = 'has spaces in it!'), 'vault.externalId', /12-1224/],
  ['externalId missing', (c) => delete c.vault.externalId, 'vault.externalId', /is required when vault\.accountId is set/],
  ['externalId without accountId', (c) => delete c.vault.accountId, 'vault.externalId', /must be omitted without vault\.accountId/],
  [
    'same-account vault Region = source Region',
    (c) => {
      delete c.vault.accountId;
      delete c.vault.externalId;
    },
    'vault.region',
    /must differ from source\.region \(us-east-1\) in same-account mode/,
  ],
  [
    'same-account DR Region = source Region',
    (c) => {
      delete c.vault.accountId;
      delete c.vault.externalId;
      c.vault.region = 'us-west-2';
      c.vault.drRegions = ['us-east-1'];
    },
    'vault.drRegions[0]',
    /must differ from source\.region \(us-east-1\) in same-account mode/,
  ],
  ['drRegions not an array', (c) => (c.vault.drRegions = 'us-west-2'), 'vault.drRegions', /array of AWS Region codes/],
  ['drRegion malformed', (c) => (c.vault.drRegions = ['west']), 'vault.drRegions[0]', /Region code/],
  ['drRegion = vault Region', (c) => (c.vault.drRegions = ['us-east-1']), 'vault.drRegions[0]', /must differ from vault\.region \(us-east-1\)/],
  ['drRegion duplicated', (c) => (c.vault.drRegions = ['us-west-2', 'eu-west-1', 'us-west-2']), 'vault.drRegions[2]', /duplicates vault\.drRegions\[0\]/],
  ['drRegion in another partition', (c) => (c.vault.drRegions = ['cn-north-1']), 'vault.drRegions[0]', /same partition/],
  ['drCopyMode unknown', (c) => (c.vault.drCopyMode = 'direct'), 'vault.drCopyMode', /"two-hop".*"single-step"/],
  ['database export not boolean', (c) => (c.databases[0].export = 'yes'), 'databases[0].export', /true or false/],
  ['export block missing while a database exports', (c) => delete c.export, 'export', /is required when a database has "export": true/],
  [
    'export block missing while discovery exports',
    (c) => {
      delete c.export;
      c.databases[0].export = false;
      c.discovery.export = true;
    },
    'export',
    /discovery\.export is true/,
  ],
  ['export prefix with leading slash', (c) => (c.export.prefix = '/exports'), 'export.prefix', /no leading, trailing or double "\/"/],
  ['export prefix with spaces', (c) => (c.export.prefix = 'my exports'), 'export.prefix', /letters, digits/],
  ['export prefix too long', (c) => (c.export.prefix = 'a'.repeat(201)), 'export.prefix', /at most 200/],
  ['glacierAfterDays negative', (c) => (c.export.lifecycle.glacierAfterDays = -1), 'export.lifecycle.glacierAfterDays', /at least 0 days/],
  ['expireAfterDays 0', (c) => (c.export.lifecycle = { expireAfterDays: 0 }), 'export.lifecycle.expireAfterDays', /at least 1 day/],
  ['deepArchive before glacier', (c) => (c.export.lifecycle.deepArchiveAfterDays = 30), 'export.lifecycle.deepArchiveAfterDays', /greater than export\.lifecycle\.glacierAfterDays \(30 <= 30\)/],
  ['expiry before deep archive', (c) => (c.export.lifecycle.expireAfterDays = 100), 'export.lifecycle.expireAfterDays', /greater than export\.lifecycle\.deepArchiveAfterDays/],
  ['expiry before glacier without deep archive', (c) => (c.export.lifecycle = { glacierAfterDays: 90, expireAfterDays: 60 }), 'export.lifecycle.expireAfterDays', /greater than export\.lifecycle\.glacierAfterDays/],
  ['lifecycle fractional days', (c) => (c.export.lifecycle.glacierAfterDays = 1.5), 'export.lifecycle.glacierAfterDays', /whole number/],
  ['glueCatalog not boolean', (c) => (c.export.glueCatalog = 1), 'export.glueCatalog', /true or false/],
  ['unknown export field', (c) => (c.export.bucketName = 'x'), 'export.bucketName', /unknown field/],
  ['discovery without tags', (c) => (c.discovery = {}), 'discovery.tags', /required/],
  ['discovery with empty tags', (c) => (c.discovery.tags = {}), 'discovery.tags', /at least one tag/],
  ['discovery tag key reserved', (c) => (c.discovery.tags = { 'aws:backup': 'true' }), 'discovery.tags.aws:backup', /must not start with "aws:" or "rds:"/],
  ['discovery tag key with bad characters', (c) => (c.discovery.tags = { 'back#up': 'true' }), 'discovery.tags.back#up', /1-128 letters/],
  ['discovery tag value not a string', (c) => (c.discovery.tags = { backup: true }), 'discovery.tags.backup', /must be a string/],
  ['discovery tag value too long', (c) => (c.discovery.tags = { backup: 'x'.repeat(257) }), 'discovery.tags.backup', /at most 256/],
  ['discovery export not boolean', (c) => (c.discovery.export = 'no'), 'discovery.export', /true or false/],
  ['events.enabled not boolean', (c) => (c.events.enabled = 'on'), 'events.enabled', /true or false/],
  ['unknown events field', (c) => (c.events.bus = 'custom'), 'events.bus', /unknown field/],
  ['gfs negative', (c) => (c.retention.vault.gfs = { daily: 7, weekly: -1 }), 'retention.vault.gfs.weekly', /0 or more/],
  ['gfs fractional', (c) => (c.retention.source.gfs = { monthly: 1.5 }), 'retention.source.gfs.monthly', /whole number/],
  ['gfs unknown generation', (c) => (c.retention.vault.gfs = { hourly: 24 }), 'retention.vault.gfs.hourly', /unknown field/],
  ['no databases', (c) => (c.databases = []), 'databases', /at least one/],
  ['identifier starts with digit', (c) => (c.databases[2].identifier = '9db'), 'databases[2].identifier', /1-63 letters, digits or hyphens/],
  ['identifier with --', (c) => (c.databases[2].identifier = 'a--b'), 'databases[2].identifier', /"--"/],
  ['identifier trailing hyphen', (c) => (c.databases[2].identifier = 'ab-'), 'databases[2].identifier', /hyphen/],
  ['identifier 64 chars', (c) => (c.databases[0].identifier = 'a'.repeat(64)), 'databases[0].identifier', /1-63/],
  ['identifier upper case', (c) => (c.databases[0].identifier = 'Orders-db'), 'databases[0].identifier', /lower-case/],
  ['duplicate identifier', (c) => (c.databases[3].identifier = 'orders-db'), 'databases[3].identifier', /duplicates databases\[0\]/],
  ['kind unknown', (c) => (c.databases[1].kind = 'serverless'), 'databases[1].kind', /"instance".*"cluster"/],
  ['unknown database field', (c) => (c.databases[0].engine = 'postgres'), 'databases[0].engine', /unknown field/],
  ['cron with 5 fields', (c) => (c.schedule.cron = 'cron(0 5 * * ?)'), 'schedule.cron', /6 fields/],
  ['cron without ?', (c) => (c.schedule.cron = 'cron(0 5 * * * *)'), 'schedule.cron', /"\?"/],
  ['not cron or rate', (c) => (c.vaultRetentionSchedule.cron = '0 5 * * ? *'), 'vaultRetentionSchedule.cron', /cron\(<6 fields>\)/],
  ['bad time zone', (c) => (c.schedule.timeZone = 'Mars/Olympus'), 'schedule.timeZone', /IANA/],
  ['enabled not boolean', (c) => (c.schedule.enabled = 'yes'), 'schedule.enabled', /true or false/],
  ['vaultRetentionSchedule missing', (c) => delete c.vaultRetentionSchedule, 'vaultRetentionSchedule', /required/],
  ['keepLast 0', (c) => (c.retention.vault.keepLast = 0), 'retention.vault.keepLast', /at least 1/],
  ['keepLast fractional', (c) => (c.retention.source.keepLast = 1.5), 'retention.source.keepLast', /whole number/],
  ['minAgeDays negative', (c) => (c.retention.source.minAgeDays = -1), 'retention.source.minAgeDays', /0 or more/],
  ['minAgeDays > maxAgeDays', (c) => (c.retention.vault.minAgeDays = 40), 'retention.vault.minAgeDays', /<= maxAgeDays/],
  ['maxAgeDays half a day', (c) => (c.retention.vault.maxAgeDays = 35.5), 'retention.vault.maxAgeDays', /whole number/],
  ['maxAgeDays past 100 years', (c) => (c.retention.source.maxAgeDays = 36_501), 'retention.source.maxAgeDays', /at most 36500 days/],
  ['bad e-mail', (c) => (c.notifications.emails = ['ops@example.com', 'not-an-email']), 'notifications.emails[1]', /e-mail/],
  ['parallelism 0', (c) => (c.concurrency.maxDatabasesInParallel = 0), 'concurrency.maxDatabasesInParallel', /at least 1/],
  ['parallelism 201', (c) => (c.concurrency.maxDatabasesInParallel = 201), 'concurrency.maxDatabasesInParallel', /at most 200/],
  ['parallelism 57.5', (c) => (c.concurrency.maxDatabasesInParallel = 57.5), 'concurrency.maxDatabasesInParallel', /whole number/],
  ['parallelism "auto"', (c) => (c.concurrency.maxDatabasesInParallel = 'auto'), 'concurrency.maxDatabasesInParallel', /must be a number/],
  ['21 DB snapshot copy slots', (c) => (c.concurrency.copySlots = { dbSnapshotCopies: 21 }), 'concurrency.copySlots.dbSnapshotCopies', /at most 20/],
  ['6 DB cluster snapshot copy slots', (c) => (c.concurrency.copySlots = { dbClusterSnapshotCopies: 6 }), 'concurrency.copySlots.dbClusterSnapshotCopies', /at most 5/],
  ['0 export slots', (c) => (c.concurrency.copySlots = { exportTasks: 0 }), 'concurrency.copySlots.exportTasks', /at least 1/],
  ['maxWaitHours 0', (c) => (c.polling.maxWaitHours = 0), 'polling.maxWaitHours', /more than 0/],
  ['maxWaitHours 100', (c) => (c.polling.maxWaitHours = 100), 'polling.maxWaitHours', /at most 72/],
  ['unknown top-level field', (c) => (c.dryRun = true), 'dryRun', /unknown field/],
  ['unknown nested field', (c) => (c.vault.kmsKeyArn = 'x'), 'vault.kmsKeyArn', /unknown field/],
  ['optionGroups Region that gets no copy', (c) => (c.databases[0].optionGroups = { 'eu-west-1': 'og' }), 'databases[0].optionGroups.eu-west-1', /vault Region or a DR Region \(us-east-1, us-west-2\)/],
  ['optionGroups bad name', (c) => (c.databases[0].optionGroups = { 'us-west-2': '1-og' }), 'databases[0].optionGroups.us-west-2', /option group name rules/],
  ['optionGroups name ending in hyphen', (c) => (c.databases[0].optionGroups = { 'us-west-2': 'og-' }), 'databases[0].optionGroups.us-west-2', /hyphen/],
  ['optionGroups on a cluster', (c) => (c.databases[3].optionGroups = { 'us-west-2': 'og' }), 'databases[3].optionGroups', /DB instances only/],
];

describe('valid variants', () => {
  it('accepts optionGroups of a DB instance for the vault Region and a DR Region', () => {
    const c = raw();
    c.databases[0].optionGroups = { 'us-west-2': 'orders-dr-og', 'us-east-1': 'orders-og' };
    expect(parseConfig(c).databases[0]?.optionGroups).toEqual({ 'us-west-2': 'orders-dr-og', 'us-east-1': 'orders-og' });
  });

  it('accepts parallelism above the copy limits with clusters and discovery (the copy slot table holds the limits, issue 12)', () => {
    const c = raw();
    c.concurrency.maxDatabasesInParallel = 120;
    c.concurrency.copySlots = { dbClusterSnapshotCopies: 3 };
    expect(parseConfig(c).concurrency).toEqual({ maxDatabasesInParallel: 120, copySlots: { dbSnapshotCopies: 20, dbClusterSnapshotCopies: 3, exportTasks: 5 } });
  });

  it('accepts GFS counts, single-step DR copies and disabled events', () => {
    const c = raw();
    c.retention.vault.gfs = { daily: 7, weekly: 4, monthly: 12, yearly: 3 };
    c.vault.drCopyMode = 'single-step';
    c.vault.drRegions = ['us-west-2', 'eu-west-1'];
    c.events.enabled = false;
    const config = parseConfig(c);
    expect(config.retention.vault.gfs).toEqual({ daily: 7, weekly: 4, monthly: 12, yearly: 3 });
    expect(config.vault).toMatchObject({ drCopyMode: 'single-step', drRegions: ['us-west-2', 'eu-west-1'] });
    expect(config.events.enabled).toBe(false);
  });

  it('deploys no export when an export block exists but nothing exports', () => {
    const c = raw();
    c.databases[0].export = false;
    expect(exportsEnabled(parseConfig(c))).toBe(false);
  });
});

describe('invalid configurations', () => {
  it.each(cases)('%s -> %s', (_description, mutate, path, message) => {
    const c = raw();
    mutate(c);
    const problems = problemsOf(c);
    const atPath = problems.filter((p) => p.path === path);
    expect(atPath.map((p) => p.message).join(' | '), JSON.stringify(problems)).toMatch(message);
  });

  it('lists every problem at once, each as "<path>: <what is wrong>"', () => {
    const c = raw();
    c.deploymentName = 'BAD';
    c.databases[2].identifier = 'x--y';
    c.vault.accountId = c.source.accountId;
    c.retention.source.minAgeDays = 30;
    c.extra = 1;
    let error: unknown;
    try {
      parseConfig(c, 'my.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const e = error as InvalidConfigError;
    expect(e.name).toBe('InvalidConfigError');
    expect(e.message).toContain('my.json');
    for (const line of [
      'deploymentName: ',
      'databases[2].identifier: must be 1-63 letters, digits or hyphens',
      'vault.accountId: must differ',
      'retention.source.minAgeDays: must be <= maxAgeDays',
      'extra: unknown field',
    ]) {
      expect(e.message).toContain(line);
    }
    expect(e.problems).toHaveLength(5);
  });

  it('rejects a non-object', () => {
    expect(problemsOf('nope')[0]?.path).toBe('(root)');
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsv-config-'));

  it('reports a missing file', () => {
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/\(file\): cannot be read/);
  });

  it('reports invalid JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "deploymentName": ');
    expect(() => loadConfig(path)).toThrow(/\(file\): is not valid JSON/);
  });

  it('names the file in the message', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...raw(), deploymentName: 'X' }));
    expect(() => loadConfig(path)).toThrow(/bad\.json/);
  });
});

describe('field helpers', () => {
  it.each([
    ['cron(0 5 * * ? *)', true],
    ['cron(0/15 * ? * MON-FRI *)', true],
    ['rate(1 day)', true],
    ['rate(12 hours)', true],
    ['rate(0 hours)', false],
    ['at(2026-11-21T05:00:00)', false],
    ['cron(0 5 ? * ? *)', false],
  ])('schedule expression %s valid=%s', (expression, valid) => {
    expect(checkScheduleExpression(expression) === undefined).toBe(valid);
  });

  it.each([
    ['UTC', true],
    ['Etc/UTC', true],
    ['Europe/Paris', true],
    ['America/Argentina/Buenos_Aires', true],
    ['utc', false],
    ['Mars/Olympus', false],
    ['+01:00', false],
  ])('time zone %s valid=%s', (name, valid) => {
    expect(isIanaTimeZone(name)).toBe(valid);
  });
});

describe('retention bounds: one rule for the configuration and the functions (contracts/rules.ts RETENTION_BOUNDS)', () => {
  // Each policy is tried as retention.vault of the example and as the policy a function receives (retention-sweep's
  // input, plan-run's SOURCE_RETENTION): both must accept it or both reject it, on the same field.
  const base = { keepLast: 14, maxAgeDays: 35, minAgeDays: 7 };
  const cases: Array<[string, Record<string, number>, boolean]> = [
    ['the example', {}, true],
    ['maxAgeDays 1 day, minAgeDays 0', { maxAgeDays: 1, minAgeDays: 0 }, true],
    ['maxAgeDays 100 years', { maxAgeDays: 36_500, minAgeDays: 36_500 }, true],
    ['maxAgeDays 0', { maxAgeDays: 0, minAgeDays: 0 }, false],
    ['maxAgeDays half a day', { maxAgeDays: 0.5, minAgeDays: 0 }, false],
    ['maxAgeDays 35.5', { maxAgeDays: 35.5 }, false],
    ['maxAgeDays past 100 years', { maxAgeDays: 36_501 }, false],
    ['minAgeDays 1.5', { minAgeDays: 1.5 }, false],
    ['minAgeDays -1', { minAgeDays: -1 }, false],
    ['minAgeDays > maxAgeDays', { minAgeDays: 36 }, false],
    ['keepLast 0', { keepLast: 0 }, false],
    ['keepLast 2.5', { keepLast: 2.5 }, false],
  ];
  it.each(cases)('%s', (_name, patch, valid) => {
    const policy = { ...base, ...patch };
    const c = raw();
    c.retention.vault = policy;
    const configPaths = valid ? (parseConfig(c), []) : problemsOf(c).map((p) => p.path);
    const parsed = policySchema.safeParse(policy);
    expect(parsed.success, 'policySchema').toBe(valid);
    expect(configPaths.length === 0, 'configuration').toBe(valid);
    if (!parsed.success) {
      expect(configPaths).toEqual(parsed.error.issues.map((i) => `retention.vault.${i.path.join('.')}`));
    }
  });
});
