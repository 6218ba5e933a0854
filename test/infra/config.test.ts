import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError, checkScheduleExpression, isIanaTimeZone, loadConfig, parseConfig } from '../../infra/config/schema';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from './helpers';

/** The example file as raw JSON, to break one field at a time. */
function raw(): Record<string, any> {
  return structuredClone(exampleConfig()) as Record<string, any>;
}

function problemsOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseConfig(input, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return [...(err as InvalidConfigError).problems];
  }
  throw new Error('expected parseConfig to throw');
}

describe('config/example.json', () => {
  it('parses', () => {
    const config = loadConfig(EXAMPLE_CONFIG_PATH);
    expect(config.deploymentName).toBe('rds-snapshot-vault');
    expect(config.databases).toHaveLength(4);
    expect(config.databases.find((d) => d.kind === 'cluster')?.identifier).toBe('catalog-aurora');
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
    const config = parseConfig(c);
    expect(config.notifications.emails).toEqual([]);
    expect(config.concurrency.maxDatabasesInParallel).toBe(4);
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
  ['vault account = source account', (c) => (c.vault.accountId = c.source.accountId), 'vault.accountId', /must differ/],
  ['region malformed', (c) => (c.source.region = 'US East'), 'source.region', /Region code/],
  ['regions in different partitions', (c) => (c.vault.region = 'cn-north-1'), 'vault.region', /partition/],
  ['externalId too short', (c) => (c.vault.externalId = 'short'), 'vault.externalId', /12-1224/],
  ['externalId bad characters', (c) => (c.vault.externalId = 'has spaces in it!'), 'vault.externalId', /12-1224/],
  ['externalId missing', (c) => delete c.vault.externalId, 'vault.externalId', /required/],
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
  ['bad e-mail', (c) => (c.notifications.emails = ['ops@example.com', 'not-an-email']), 'notifications.emails[1]', /e-mail/],
  ['parallelism 0', (c) => (c.concurrency.maxDatabasesInParallel = 0), 'concurrency.maxDatabasesInParallel', /at least 1/],
  ['parallelism 50', (c) => (c.concurrency.maxDatabasesInParallel = 50), 'concurrency.maxDatabasesInParallel', /at most 20/],
  ['maxWaitHours 0', (c) => (c.polling.maxWaitHours = 0), 'polling.maxWaitHours', /more than 0/],
  ['maxWaitHours 100', (c) => (c.polling.maxWaitHours = 100), 'polling.maxWaitHours', /at most 72/],
  ['unknown top-level field', (c) => (c.dryRun = true), 'dryRun', /unknown field/],
  ['unknown nested field', (c) => (c.vault.kmsKeyArn = 'x'), 'vault.kmsKeyArn', /unknown field/],
];

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
