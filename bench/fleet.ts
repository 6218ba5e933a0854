/**
 * `npm run bench -- --fleet N [--json]`: a fleet of N databases backed up by one BackupRun on the
 * sandbox (issue 12 item 7).
 *
 * Fleet: N databases, every fifth an Aurora DB cluster, 20 GiB to 4 TiB, the example config's
 * cross-account vault with a two-hop DR Region, manual snapshot quotas raised in every account and
 * Region (the copy-in-progress limits stay at AWS's defaults, 20 DB snapshots / 5 DB cluster
 * snapshots per destination). Figures (keys of `--json`):
 * - `wallSeconds`, `peakRssMiB`: the local run (synth and deploy included; RSS is the process peak);
 * - `makespanHours`: virtual time from BackupRun's start to its end; `makespanOverMinimum`: that over
 *   the quota-bound minimum = max(for each destination and kind, the sum of copy durations / its
 *   copy slots; the longest single database chain);
 * - `largestStatePayloadBytes`, `largestHistoryEvents`: over every execution of the run, the
 *   Distributed Map's child workflow executions included (sandbox/runner.ts executionTree; caps 262,144
 *   bytes and 25,000 events, docs/aws-behaviour.md §18, §18a); `overStatePayloadBudget`: the
 *   executions over the project's 64 KiB budget (issue 12), `[]` when within it;
 * - `maxCopiesInProgress`: per destination `account/Region/kind`, the most copies requested and not
 *   yet finished at once, beside the limit (rule 11);
 * - `transitions`, `transitionsPerDatabase`, `priceUsd` ($0.025 per 1,000 transitions, §18).
 *
 * The polling table per copy time is bench/polling.ts.
 */
import { parseConfig } from '../infra/config/schema';
import { createLocalEnvironment } from '../sandbox/harness/index';
import { type DemoDatabaseSpec, maxOverlap, seedFleet, takeAutomatedSnapshots } from '../sandbox/harness/index';
import { executionTree, payloadBudgetFindings, STATE_PAYLOAD_BUDGET_BYTES } from '../sandbox/harness/index';
import example from '../config/example.json' with { type: 'json' };

const PRICE_PER_TRANSITION_USD = 0.025 / 1000;

/** The fleet figures `--json` writes. */
export interface FleetFigures {
  fleet: number;
  status: string;
  wallSeconds: number;
  peakRssMiB: number;
  makespanHours: number;
  minimumHours: number;
  makespanOverMinimum: number;
  largestStatePayloadBytes: number;
  largestStatePayloadAt: string;
  /** Issue 12: executions whose largest payload exceeds the project's 64 KiB budget (sandbox/harness/runner.ts payloadBudgetFindings); [] = within it. */
  overStatePayloadBudget: string[];
  largestHistoryEvents: number;
  /** The state machine of the execution with the largest history (BackupRun, its Map Run children `BackupRun/BackupDatabases`, DatabaseBackup). */
  largestHistoryAt: string;
  maxCopiesInProgress: Record<string, { max: number; limit: number }>;
  transitions: number;
  transitionsPerDatabase: number;
  priceUsd: number;
  failedDatabases: number;
  /** BackupRun's Map MaxConcurrency (`concurrency.maxDatabasesInParallel`). */
  mapConcurrency: number;
  /** BackupRun's error and the start of its cause when it did not succeed. */
  error?: string;
}

/** N databases: every fifth a cluster (always encrypted), 20 GiB-4 TiB spread deterministically. */
export function benchFleet(n: number): DemoDatabaseSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const cluster = i % 5 === 4;
    const enc = (['default-key', 'unencrypted', 'customer-key'] as const)[i % 3]!;
    return {
      identifier: `fleet-${String(i + 1).padStart(4, '0')}`,
      kind: cluster ? 'cluster' : 'instance',
      engine: cluster ? 'aurora-postgresql' : 'postgres',
      allocatedStorageGiB: 20 + ((i * 1103) % 4077),
      encryption: cluster && enc === 'unencrypted' ? 'default-key' : enc,
      tags: { 'rds-snapshot-vault:backup': 'true' },
    };
  });
}

/**
 * Runs BackupRun over {@link benchFleet}(n).
 * @param listed true: every database is listed in the config; false: one is listed and the rest are
 *   tag-discovered (the only way past ~55 databases while the list travels in an environment variable).
 */
export async function runFleet(n: number, listed: boolean): Promise<FleetFigures> {
  const specs = benchFleet(n);
  const config = parseConfig({
    ...example,
    databases: (listed ? specs : specs.slice(0, 1)).map((d) => ({ identifier: d.identifier, kind: d.kind })),
    discovery: { tags: { 'rds-snapshot-vault:backup': 'true' }, export: false },
    // The example's concurrency: the Map runs 50 children, the copy slot table holds the copy limits (issue 12).
  });
  const t0 = performance.now();
  const env = await createLocalEnvironment({ config });
  try {
    const raise = { manualDbSnapshots: 1_000_000, manualDbClusterSnapshots: 1_000_000 };
    const vaultAccount = config.vault.accountId ?? config.source.accountId;
    env.sandbox.rds.setQuota(config.source.accountId, config.source.region, raise);
    for (const region of [config.vault.region, ...(config.vault.drRegions ?? [])]) {
      env.sandbox.rds.setQuota(vaultAccount, region, raise);
      env.sandbox.rds.setQuota(config.source.accountId, region, raise);
    }
    seedFleet(env, specs);
    takeAutomatedSnapshots(env, specs);
    const run = await env.startBackupRun({ trigger: 'schedule' });
    const wallSeconds = (performance.now() - t0) / 1000;
    // Every execution of the run, the Distributed Map's child workflow executions included (each its own history).
    const execs = executionTree(run);
    const transitions = execs.reduce((s, e) => s + e.transitions, 0);
    const biggest = execs.reduce((a, b) => (b.maxPayloadBytes > a.maxPayloadBytes ? b : a));
    const longest = execs.reduce((a, b) => (b.historyEvents > a.historyEvents ? b : a));
    const startMs = Date.parse(run.startDate);
    const endMs = Date.parse(run.stopDate ?? new Date(env.clock.nowMs()).toISOString());
    // Copies: slots held, and the quota-bound minimum.
    const log = env.sandbox.rds.copyLog();
    const groups = new Map<string, typeof log>();
    for (const c of log) {
      const key = `${c.accountId}/${c.region}/${c.kind}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const maxCopiesInProgress: FleetFigures['maxCopiesInProgress'] = {};
    let minimumSeconds = 0;
    for (const [key, copies] of [...groups].sort()) {
      const [acct, region, kind] = key.split('/') as [string, string, 'instance' | 'cluster'];
      const q = env.sandbox.rds.quota(acct, region);
      const limit = kind === 'instance' ? q.concurrentDbSnapshotCopies : q.concurrentDbClusterSnapshotCopies;
      maxCopiesInProgress[key] = { max: maxOverlap(copies.map((c) => [c.requestedAtMs, c.endedAtMs ?? endMs] as const)), limit };
      minimumSeconds = Math.max(minimumSeconds, copies.reduce((s, c) => s + c.durationSeconds, 0) / limit);
    }
    const chains = new Map<string, number>();
    for (const c of log) chains.set(c.dbIdentifier, (chains.get(c.dbIdentifier) ?? 0) + c.durationSeconds);
    minimumSeconds = Math.max(minimumSeconds, ...chains.values());
    const makespanHours = (endMs - startMs) / 3_600_000;
    const minimumHours = minimumSeconds / 3600;
    return {
      fleet: n,
      status: run.status,
      wallSeconds: round(wallSeconds, 1),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      makespanHours: round(makespanHours, 2),
      minimumHours: round(minimumHours, 2),
      makespanOverMinimum: round(makespanHours / minimumHours, 2),
      largestStatePayloadBytes: biggest.maxPayloadBytes,
      largestStatePayloadAt: `${biggest.stateMachineName}: ${biggest.maxPayloadAt ?? ''}`,
      overStatePayloadBudget: payloadBudgetFindings([run]),
      largestHistoryEvents: longest.historyEvents,
      largestHistoryAt: longest.stateMachineName,
      maxCopiesInProgress,
      transitions,
      transitionsPerDatabase: round(transitions / n, 1),
      priceUsd: round(transitions * PRICE_PER_TRANSITION_USD, 2),
      ...(run.status !== 'SUCCEEDED' && { error: `${run.error ?? ''}: ${(run.cause ?? '').slice(0, 400)}` }),
      mapConcurrency: config.concurrency.maxDatabasesInParallel,
      failedDatabases: run.children.filter((c) => c.status !== 'SUCCEEDED').length + Math.max(0, n - run.children.length),
    };
  } finally {
    env.dispose();
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Markdown table of the fleet figures. */
export function fleetTable(f: FleetFigures): string[] {
  return [
    `## fleet of ${f.fleet} (20% DB clusters, 20 GiB-4 TiB, two-hop DR, ${f.mapConcurrency} at a time, copy slot table, manual snapshot quotas raised)`,
    'measure | value',
    '---|---',
    `status | ${f.status} (${f.failedDatabases} databases not SUCCEEDED)${f.error ? ` ${f.error}` : ''}`,
    `wall time / peak RSS | ${f.wallSeconds} s / ${f.peakRssMiB} MiB`,
    `makespan / quota-bound minimum | ${f.makespanHours} h / ${f.minimumHours} h = ${f.makespanOverMinimum}x`,
    `largest state payload | ${f.largestStatePayloadBytes} bytes at ${f.largestStatePayloadAt} (cap 262,144; budget ${STATE_PAYLOAD_BUDGET_BYTES}: ${f.overStatePayloadBudget.length === 0 ? 'within' : `${f.overStatePayloadBudget.length} executions over`})`,
    `largest history | ${f.largestHistoryEvents} events at ${f.largestHistoryAt} (cap 25,000; every execution, the Distributed Map's children included)`,
    ...Object.entries(f.maxCopiesInProgress).map(([k, v]) => `most copies in progress ${k} | ${v.max} (limit ${v.limit})`),
    `state transitions | ${f.transitions} (${f.transitionsPerDatabase} per database, $${f.priceUsd})`,
  ];
}
