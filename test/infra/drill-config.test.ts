/** Issue 9: the restore-drill and RPO fields of the configuration, validated with field paths. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config/schema';
import { drillDatabasesOf } from '../../infra/constructs/restore-drills';
import { exampleConfig, problemsOf } from './helpers';

const raw = () => structuredClone(exampleConfig()) as Record<string, any>;

describe('restore drill configuration', () => {
  it('fills the defaults: rpoHours 26, drill settings, no checks', () => {
    const c = raw();
    delete c.rpoHours;
    c.restoreDrill = { schedule: { cron: 'cron(0 6 ? * SUN *)' } };
    delete c.databases[0].drill;
    const parsed = parseConfig(c);
    expect(parsed.rpoHours).toBe(26);
    expect(parsed.restoreDrill).toEqual({
      schedule: { cron: 'cron(0 6 ? * SUN *)', timeZone: 'UTC', enabled: true },
      instanceClass: 'db.t4g.micro',
      clusterInstanceClass: 'db.t4g.medium',
      maxWaitHours: 4,
      maxConcurrency: 2,
      vpcCidr: '10.87.0.0/24',
      evidenceLockDays: 400,
      evidenceExpireDays: 2555,
    });
    expect(drillDatabasesOf(parsed)[0]).toEqual({ identifier: 'orders-db', kind: 'instance', checks: [] });
  });

  it('names every bad drill field by its path, all at once', () => {
    const c = raw();
    c.rpoHours = 0;
    c.databases[0].drill.checks[1].name = 'orders-present';
    c.databases[0].drill.checks[0].expect = {};
    c.databases[1].drill.checks[0].expect = { minRows: -1, nonEmpty: false };
    c.databases[3].drill.checks[0].sql = '';
    c.databases[3].drill.checks[0].extra = 1;
    c.restoreDrill.maxWaitHours = 48;
    c.restoreDrill.instanceClass = 't4g.micro';
    c.restoreDrill.evidenceLockDays = 3000;
    const problems = problemsOf(c).map((p) => `${p.path}: ${p.message}`);
    for (const expected of [
      /^rpoHours: must be more than 0 hours$/,
      /^databases\[0\]\.drill\.checks\[1\]\.name: duplicates checks\[0\]\.name "orders-present"$/,
      /^databases\[0\]\.drill\.checks\[0\]\.expect: must name at least one of minRows, nonEmpty, equals, maxAgeHours$/,
      /^databases\[1\]\.drill\.checks\[0\]\.expect\.minRows: must be 0 or more rows$/,
      /^databases\[1\]\.drill\.checks\[0\]\.expect\.nonEmpty: must be true/,
      /^databases\[3\]\.drill\.checks\[0\]\.sql: must not be empty$/,
      /^databases\[3\]\.drill\.checks\[0\]\.extra: unknown field/,
      /^restoreDrill\.maxWaitHours: must be at most 24 hours$/,
      /^restoreDrill\.instanceClass: must be a DB instance class/,
      /^restoreDrill\.evidenceExpireDays: must be more than restoreDrill\.evidenceLockDays \(3000\)/,
    ]) {
      expect(problems, String(expected)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    }
  });
});
