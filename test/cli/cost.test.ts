/**
 * `rsv cost`'s model: the figures against hand calculations written here (50 databases x 500 GiB,
 * and a cluster fleet crossing Regions with exports). End to end against the local sandbox (sizes
 * from RDS, transitions measured from a run, output and exit codes): reports.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type CostReport, estimateCost, SANDBOX_WORKFLOW } from '../../cli/commands/cost';
import { PRICES } from '../../cli/pricing';
import { configWith } from '../workflow/helpers';
import { cliConfig } from './helpers';

const line = (r: CostReport, id: string) => {
  const l = r.lines.find((x) => x.id === id);
  if (!l) throw new Error(`no line ${id} in ${r.lines.map((x) => x.id).join(', ')}`);
  return l;
};

describe('estimateCost: hand calculations', () => {
  it('50 DB instances x 500 GiB, vault in the source Region, one DR Region, example retention, 30 days', () => {
    const config = cliConfig(Array.from({ length: 50 }, (_, i) => ({ identifier: `db-${i + 1}`, kind: 'instance' })));
    const dbs = config.databases.map((d) => ({ identifier: d.identifier, kind: 'instance' as const, sizeGiB: 500, export: false }));
    const r = estimateCost(config, dbs, { transitionsPerDatabase: 100, lambdaInvocationsPerDatabase: 30, basis: 'test' }, { days: 30, dailyChange: 0.05 });
    // By hand. 25,000 GiB in all. Retention keeps max(keepLast, maxAgeDays, minAgeDays) + 1 copies:
    // source max(2, 7, 1) + 1 = 8, vault max(14, 35, 7) + 1 = 36.
    // Source: 1 full + 7 incremental copies at 5%: 25,000 x 1.35 = 33,750 GiB-month x $0.095.
    expect(line(r, 'storage-source-instance').usd).toBeCloseTo(3206.25, 2);
    // Vault and DR: 36 full copies each: 25,000 x 36 = 900,000 GiB-month x $0.095 = $85,500.
    expect(line(r, 'storage-vault-instance').usd).toBeCloseTo(85_500, 2);
    expect(line(r, 'storage-dr-us-west-2-instance').usd).toBeCloseTo(85_500, 2);
    // Transfer: vault Region = source Region, so only the DR hop: 25,000 GiB = 26,843.5456 GB a run x 30 x $0.02.
    expect(line(r, 'transfer-us-east-1-us-west-2').usd).toBeCloseTo(16_106.13, 2);
    expect(r.lines.filter((l) => l.id.startsWith('transfer-'))).toHaveLength(1);
    // Keys: us-east-1 source key + topic key + vault key + topic key + evidence key = 5; us-west-2 vault + topic = 2.
    expect(line(r, 'kms-keys-us-east-1').usd).toBe(5);
    expect(line(r, 'kms-keys-us-west-2').usd).toBe(2);
    // KMS requests: 50 databases x 3 copies x 30 runs x 10 = 45,000 requests = 4.5 x $0.03.
    expect(line(r, 'kms-requests').quantity).toBe(45_000);
    // Step Functions: 100 x 50 x 30 = 150,000 transitions = 150 x $0.025.
    expect(line(r, 'sfn-transitions').usd).toBeCloseTo(3.75, 2);
    // Lambda: 30 x 50 x 30 = 45,000 invocations; 45,000 x 1 s x 0.25 GB = 11,250 GB-s x $0.0000133334.
    expect(line(r, 'lambda-requests').quantity).toBe(45_000);
    expect(line(r, 'lambda-duration').usd).toBeCloseTo(0.15, 2);
    // Logs: 45,000 x 2,048 bytes = 0.09216 GB x $0.50; a year kept: 1.10592 GB-month x $0.03.
    expect(line(r, 'logs-ingestion').quantity).toBeCloseTo(0.09216, 5);
    expect(line(r, 'logs-storage').quantity).toBeCloseTo(1.10592, 4);
    expect(r.lines.some((l) => l.id.startsWith('export-'))).toBe(false);
    // Total, summed by hand from the lines above.
    expect(r.totalUsd).toBeCloseTo(3206.25 + 85_500 + 85_500 + 16_106.13 + 5 + 2 + 0.14 + 3.75 + 0.01 + 0.15 + 0.05 + 0.03, 0);
    // Every line names its price's page and Region.
    for (const l of r.lines) {
      expect(l.source).toMatch(/^https:\/\/aws\.amazon\.com\/.+\/pricing\/$/);
      expect(['us-east-1', 'us-west-2']).toContain(l.region);
    }
  });

  it('Aurora clusters with exports, vault in another Region, single-step DR copies, 15 days', () => {
    const config = configWith((c) => {
      c.databases = [
        { identifier: 'a1', kind: 'cluster', export: true },
        { identifier: 'a2', kind: 'cluster' },
      ];
      c.discovery = undefined;
      c.vault.region = 'us-east-2';
      c.vault.drRegions = ['us-west-2'];
      c.vault.drCopyMode = 'single-step';
      c.restoreDrill = undefined;
      c.retention.vault = { keepLast: 7, maxAgeDays: 7, minAgeDays: 1 };
    });
    const dbs = [
      { identifier: 'a1', kind: 'cluster' as const, sizeGiB: 1000, export: true },
      { identifier: 'a2', kind: 'cluster' as const, sizeGiB: 200, export: false },
    ];
    const r = estimateCost(config, dbs, SANDBOX_WORKFLOW, { days: 15, dailyChange: 0 });
    // Half a month. Aurora backup storage $0.021. Vault keeps max(7, 7, 1) + 1 = 8 full copies of 1,200 GiB.
    expect(line(r, 'storage-vault-cluster').quantity).toBeCloseTo(1200 * 8 * 0.5, 6);
    expect(line(r, 'storage-vault-cluster').usd).toBeCloseTo(100.8, 2);
    expect(line(r, 'storage-vault-cluster').region).toBe('us-east-2');
    // Source copies with no daily change: just the first full copy, 1,200 GiB x 0.5 month x $0.021.
    expect(line(r, 'storage-source-cluster').usd).toBeCloseTo(12.6, 2);
    // Two hops leave us-east-1 (to the vault Region and, single-step, to the DR Region): 1,200 GiB = 1,288.49 GB x 15 runs x $0.02 each.
    expect(line(r, 'transfer-us-east-1-us-east-2').usd).toBeCloseTo(386.55, 2);
    expect(line(r, 'transfer-us-east-1-us-west-2').usd).toBeCloseTo(386.55, 2);
    // Export of a1 only: 1,000 GiB = 1,073.74 GB x 15 runs x $0.010 (Aurora).
    expect(line(r, 'export-cluster').usd).toBeCloseTo(161.06, 2);
    // Keys: source key + topic key + export key in us-east-1 (half a month each); no evidence key.
    expect(line(r, 'kms-keys-us-east-1').quantity).toBe(1.5);
    expect(line(r, 'kms-keys-us-east-2').quantity).toBe(1);
  });

  it('every price in the table has a unit, an AWS pricing page and prices for the us Regions used above', () => {
    for (const p of PRICES) {
      expect(p.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(p.unit.length).toBeGreaterThan(1);
      for (const r of ['us-east-1', 'us-east-2', 'us-west-2']) expect(p.usdByRegion[r]).toBeGreaterThan(0);
    }
  });
});
