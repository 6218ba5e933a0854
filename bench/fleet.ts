/**
 * `npm run bench -- --fleet N [--events] [--json]`: a fleet of N databases backed up on the sandbox
 * by one scheduled BackupRun (issue 12 item 7), or with `--events` by N event-started BackupRun
 * executions at once, one per database, as RDS's "automated snapshot created" events start them
 * (issue 12: "the same fleet started as 1,000 event runs at once holds the same copy limits").
 *
 * Fleet: N databases, every fifth an Aurora DB cluster, 20 GiB to 4 TiB, the example config's
 * cross-account vault with a two-hop DR Region, manual snapshot quotas raised in every account and
 * Region (the copy-in-progress limits stay at AWS's defaults, 20 DB snapshots / 5 DB cluster
 * snapshots per destination). Figures (keys of `--json`):
 * - `wallSeconds`, `peakRssMiB`: the local run (synth and deploy included; RSS is the process peak);
 * - `makespanHours`: virtual time from the first BackupRun's start to the last one's end; `makespanOverMinimum`: that over
 *   the quota-bound minimum = max(for each destination and kind, the sum of copy durations / its
 *   copy slots; the longest single database chain);
 * - `largestStatePayloadBytes`, `largestHistoryEvents`: over every execution of the run, the
 *   Distributed Map's child workflow executions included (sandbox/runner.ts executionTree; caps 262,144
 *   bytes and 25,000 events, docs/aws-behaviour.md §18, §18a); `overStatePayloadBudget`: the
 *   executions over the project's 64 KiB budget (issue 12), `[]` when within it;
 * - `maxCopiesInProgress`: per destination `account/Region/kind`, the most copies requested and not
 *   yet finished at once, beside the limit (rule 11); `copiesPerDatabase`: how many databases had how
 *   many copies;
 * - `transitions`, `transitionsPerDatabase`, `priceUsd` ($0.025 per 1,000 transitions, §18);
 * - `notifications`: SNS messages the workflows published (a scheduled run one report; event runs
 *   only their failures, the rest goes into the daily digest);
 * - `outcomes`: databases (with `--events`, runs) copied, deferred to the scheduled run (issue 12: an
 *   event run with no copy slot in sight within the slot wait's bound), failed; `deferredDatabases`;
 * - `trigger`, `runs`: how the fleet was started and how many BackupRun executions that made.
 *
 * The polling table per copy time is bench/polling.ts.
 */
import { parseConfig } from '../infra/config/schema';
import { createLocalEnvironment, type LocalEnvironment } from '../sandbox/harness/index';
import { copyFigures, type DemoDatabaseSpec, maxOverlap, seedFleet, takeAutomatedSnapshots } from '../sandbox/harness/index';
import { executionTree, type ExecutionRecord, payloadBudgetFindings, STATE_PAYLOAD_BUDGET_BYTES } from '../sandbox/harness/index';
import example from '../config/example.json' with { type: 'json' };

const PRICE_PER_TRANSITION_USD = 0.025 / 1000;

/** The fleet figures `--json` writes. */
export interface FleetFigures {
  fleet: number;
  /** The largest database's allocated storage, GiB (the fleet spans 20 GiB to this). */
  maxGiB: number;
  /** `schedule`: one BackupRun over the fleet; `event`: one event-started BackupRun per database, all at once. */
  trigger: 'schedule' | 'event';
  /** BackupRun executions started (1, or N event runs). */
  runs: number;
  /** `SUCCEEDED` when every run did; else the one run's status, or how many runs did not succeed. */
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
  /** How many databases had how many copies requested (`{"3": 1000}`: every database three copies). */
  copiesPerDatabase: Record<string, number>;
  /** Copy requests RDS refused for its copies-in-progress limit (SnapshotQuotaExceededFault); 0 when the copy slot table held the limits. */
  refusedCopies: number;
  transitions: number;
  transitionsPerDatabase: number;
  priceUsd: number;
  /** SNS messages the workflows published during the run(s) (event runs publish only failures). */
  notifications: number;
  failedDatabases: number;
  /**
   * Issue 12: databases by outcome: `copied` (the DatabaseBackup child succeeded with its copies),
   * `deferred` (an event-started run left it to the scheduled run: the child succeeded in
   * `DeferredToScheduledRun`, no copy), `failed` (the child did not succeed, or no run reached it).
   * With `--events` one run per database, so these are also the runs by outcome.
   */
  outcomes: { copied: number; deferred: number; failed: number };
  /** The deferred databases' identifiers (issue 12), in plan order. */
  deferredDatabases: string[];
  /** The failed databases by their DatabaseBackup child's error name (`{}` when none failed). */
  failuresByError: Record<string, number>;
  /**
   * Most DatabaseBackup child executions running at once (measured): BackupRun's Map concurrency,
   * which plan-run chooses per run within `concurrency.maxDatabasesInParallel` (issue 12).
   */
  mapConcurrency: number;
  /** The (first failed) BackupRun's error and the start of its cause when one did not succeed. */
  error?: string;
  /**
   * Scheduled fleets: VaultRetention (dry run) in each vault Region after the BackupRun, over the
   * copies it made: its status, largest state (256 KiB cap) and history, transitions, and the RDS
   * calls its recovery point check made (RDS allows 300 in a burst, then 12 a second,
   * docs/aws-behaviour.md §40). Absent for event-started fleets.
   */
  vaultRetention?: VaultRetentionFigures[];
}

/** One VaultRetention run of the fleet bench ({@link FleetFigures.vaultRetention}). */
export interface VaultRetentionFigures {
  region: string;
  status: string;
  error?: string;
  largestStatePayloadBytes: number;
  largestStatePayloadAt: string;
  historyEvents: number;
  transitions: number;
  /** RDS calls made with check-recovery-points' role. */
  recoveryPointCheckCalls: number;
  wallSeconds: number;
}

/**
 * N databases: every fifth a cluster (always encrypted), 20 GiB to `maxGiB` (default 4 TiB) spread
 * deterministically.
 */
export function benchFleet(n: number, maxGiB = 4096): DemoDatabaseSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const cluster = i % 5 === 4;
    const enc = (['default-key', 'unencrypted', 'customer-key'] as const)[i % 3]!;
    return {
      identifier: `fleet-${String(i + 1).padStart(4, '0')}`,
      kind: cluster ? 'cluster' : 'instance',
      engine: cluster ? 'aurora-postgresql' : 'postgres',
      allocatedStorageGiB: 20 + ((i * 1103) % (maxGiB - 19)),
      encryption: cluster && enc === 'unencrypted' ? 'default-key' : enc,
      tags: { 'rds-snapshot-vault:backup': 'true' },
    };
  });
}

/** How {@link runFleet} starts the fleet and which copy limits bind. */
export interface FleetRunOptions {
  /**
   * true: every database is listed in the config; false: one is listed and the rest are
   * tag-discovered. @default true
   */
  readonly listed?: boolean;
  /**
   * false: one scheduled BackupRun (`{"trigger":"schedule"}`) over the whole fleet. true: every
   * database's automated snapshot is taken at the same instant, so RDS puts N "automated snapshot
   * created" events (RDS-EVENT-0091 / 0169) at once and the EventBridge rule starts N BackupRun
   * executions at once, each with the input `{"trigger":"event","sourceSnapshotArn":...}`
   * (infra/constructs/snapshot-event-trigger.ts). @default false
   */
  readonly events?: boolean;
  /**
   * Copies in progress allowed per destination account and Region, applied both as RDS's quota in
   * the sandbox (`concurrentDb(Cluster)SnapshotCopies`, so RDS itself refuses a copy above it) and
   * as the copy slot table's limits (`concurrency.copySlots`): lower than AWS's 20 / 5 so a small
   * fleet binds them. @default AWS's 20 DB snapshot copies / 5 DB cluster snapshot copies
   */
  readonly copyLimits?: { readonly dbSnapshotCopies: number; readonly dbClusterSnapshotCopies: number };
  /** The largest database, GiB ({@link benchFleet}). @default 4096 */
  readonly maxGiB?: number;
  /**
   * Identifiers padded to this many characters (`fleet-0001-xxx...`; RDS allows 63): the state a
   * workflow keeps per database grows with them. @default - `fleet-0001` (10 characters)
   */
  readonly identifierLength?: number;
  /**
   * Called after the fleet is seeded, before its automated snapshots are taken and the runs start
   * (tests: set copy shapes and durations with `env.sandbox.rds.setCopyShape`). @default - nothing
   */
  readonly prepare?: (env: LocalEnvironment) => void;
  /**
   * Called after the figures are taken, before the environment is disposed (tests: read the run
   * ledger, start a scheduled run after the event runs, ...). @default - nothing
   */
  readonly inspect?: (env: LocalEnvironment, runs: readonly ExecutionRecord[], figures: FleetFigures) => Promise<void>;
}

/**
 * Backs up {@link benchFleet}(n) on the sandbox: one scheduled BackupRun, or N event-started
 * BackupRun executions at once ({@link FleetRunOptions.events}).
 */
export async function runFleet(n: number, opts: FleetRunOptions = {}): Promise<FleetFigures> {
  const len = opts.identifierLength ?? 0;
  const specs = benchFleet(n, opts.maxGiB).map((d) => (len > d.identifier.length ? { ...d, identifier: `${d.identifier}-`.padEnd(len, 'x') } : d));
  const listed = opts.listed ?? true;
  const config = parseConfig({
    ...example,
    databases: (listed ? specs : specs.slice(0, 1)).map((d) => ({ identifier: d.identifier, kind: d.kind })),
    discovery: { tags: { 'rds-snapshot-vault:backup': 'true' }, export: false },
    // The example's concurrency bound (plan-run chooses the Map's concurrency within it), the copy slot table holds the copy limits (issue 12).
    ...(opts.copyLimits && { concurrency: { ...example.concurrency, copySlots: { ...opts.copyLimits } } }),
    ...(opts.events && { events: { enabled: true } }),
  });
  const t0 = performance.now();
  // Call inputs are not kept: the figures read only each call's operation and error (AwsSandboxOptions.recordCallInputs).
  const env = await createLocalEnvironment({ config, recordCallInputs: false });
  try {
    const raise = {
      manualDbSnapshots: 1_000_000,
      manualDbClusterSnapshots: 1_000_000,
      ...(opts.copyLimits && { concurrentDbSnapshotCopies: opts.copyLimits.dbSnapshotCopies, concurrentDbClusterSnapshotCopies: opts.copyLimits.dbClusterSnapshotCopies }),
    };
    const vaultAccount = config.vault.accountId ?? config.source.accountId;
    env.sandbox.rds.setQuota(config.source.accountId, config.source.region, raise);
    for (const region of [config.vault.region, ...(config.vault.drRegions ?? [])]) {
      env.sandbox.rds.setQuota(vaultAccount, region, raise);
      env.sandbox.rds.setQuota(config.source.accountId, region, raise);
    }
    seedFleet(env, specs);
    opts.prepare?.(env);
    const notificationsBefore = workflowNotifications(env);
    let runs: ExecutionRecord[];
    if (opts.events) {
      takeAutomatedSnapshots(env, specs, { emitEvents: true });
      runs = await env.waitForEventRuns();
    } else {
      takeAutomatedSnapshots(env, specs);
      runs = [await env.startBackupRun({ trigger: 'schedule' })];
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    // Every execution of the runs, the Distributed Map's child workflow executions included (each its own history).
    const execs = executionTree(...runs);
    const transitions = execs.reduce((s, e) => s + e.transitions, 0);
    const biggest = execs.reduce((a, b) => (b.maxPayloadBytes > a.maxPayloadBytes ? b : a));
    const longest = execs.reduce((a, b) => (b.historyEvents > a.historyEvents ? b : a));
    const startMs = Math.min(...runs.map((r) => Date.parse(r.startDate)));
    const endMs = Math.max(...runs.map((r) => Date.parse(r.stopDate ?? new Date(env.clock.nowMs()).toISOString())));
    const copies = copyFigures(env, endMs);
    const makespanHours = (endMs - startMs) / 3_600_000;
    const minimumHours = copies.minimumSeconds / 3600;
    const notRunning = runs.filter((r) => r.status !== 'SUCCEEDED');
    // A database counts as failed when its DatabaseBackup child (or, with no child, its run) did not succeed, or no run reached it.
    const children = runs.flatMap((r) => r.children);
    const failedDatabases = children.filter((c) => c.status !== 'SUCCEEDED').length + Math.max(0, n - children.length);
    // Issue 12: a deferred database's child succeeded in DeferredToScheduledRun (output status DEFERRED).
    const deferred = children.filter((c) => c.status === 'SUCCEEDED' && (c.output as { status?: unknown } | undefined)?.status === 'DEFERRED');
    const deferredDatabases = deferred.map((c) => (c.input as { database?: { identifier?: string } }).database?.identifier ?? '?').sort();
    const figures: FleetFigures = {
      fleet: n,
      maxGiB: opts.maxGiB ?? 4096,
      trigger: opts.events ? 'event' : 'schedule',
      runs: runs.length,
      status: notRunning.length === 0 ? 'SUCCEEDED' : runs.length === 1 ? notRunning[0]!.status : `${notRunning.length} of ${runs.length} runs not SUCCEEDED`,
      wallSeconds: round(wallSeconds, 1),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      makespanHours: round(makespanHours, 2),
      minimumHours: round(minimumHours, 2),
      makespanOverMinimum: round(makespanHours / minimumHours, 2),
      largestStatePayloadBytes: biggest.maxPayloadBytes,
      largestStatePayloadAt: `${biggest.stateMachineName}: ${biggest.maxPayloadAt ?? ''}`,
      overStatePayloadBudget: payloadBudgetFindings(runs),
      largestHistoryEvents: longest.historyEvents,
      largestHistoryAt: longest.stateMachineName,
      maxCopiesInProgress: copies.maxCopiesInProgress,
      copiesPerDatabase: countsOf(specs.map((d) => copies.copiesPerDatabase.get(d.identifier) ?? 0)),
      refusedCopies: env.sandbox.calls.filter((c) => c.operation.startsWith('CopyDB') && c.errorName === 'SnapshotQuotaExceededFault').length,
      transitions,
      transitionsPerDatabase: round(transitions / n, 1),
      priceUsd: round(transitions * PRICE_PER_TRANSITION_USD, 2),
      notifications: workflowNotifications(env) - notificationsBefore,
      ...(notRunning.length > 0 && { error: `${notRunning[0]!.error ?? ''}: ${(notRunning[0]!.cause ?? '').slice(0, 400)}` }),
      mapConcurrency: maxOverlap(children.map((c) => [Date.parse(c.startDate), Date.parse(c.stopDate ?? new Date(endMs).toISOString())] as const)),
      failedDatabases,
      outcomes: { copied: n - failedDatabases - deferred.length, deferred: deferred.length, failed: failedDatabases },
      deferredDatabases,
      failuresByError: countBy(children.filter((c) => c.status !== 'SUCCEEDED').map((c) => c.error ?? c.status)),
    };
    if (!opts.events) figures.vaultRetention = await vaultRetentionFigures(env);
    await opts.inspect?.(env, runs, figures);
    return figures;
  } finally {
    env.dispose();
  }
}

/** VaultRetention (dry run) in each vault Region of `env`, one after the other: see {@link FleetFigures.vaultRetention}. */
async function vaultRetentionFigures(env: LocalEnvironment): Promise<VaultRetentionFigures[]> {
  const out: VaultRetentionFigures[] = [];
  for (const stack of [env.vault, ...env.drVaults]) {
    const region = stack.env.region;
    const check = stack.functions.find((f) => f.entry.includes('check-recovery-points'));
    const before = env.sandbox.calls.length;
    const t0 = performance.now();
    const run = await env.startVaultRetention({ dryRun: true }, `bench-vault-retention-${region}`, region);
    const execs = executionTree(run);
    const biggest = execs.reduce((a, b) => (b.maxPayloadBytes > a.maxPayloadBytes ? b : a));
    out.push({
      region,
      status: run.status,
      ...(run.status !== 'SUCCEEDED' && { error: `${run.error ?? ''}: ${(run.cause ?? '').slice(0, 300)}` }),
      largestStatePayloadBytes: biggest.maxPayloadBytes,
      largestStatePayloadAt: `${biggest.stateMachineName}: ${biggest.maxPayloadAt ?? ''}`,
      historyEvents: Math.max(...execs.map((e) => e.historyEvents)),
      transitions: execs.reduce((s, e) => s + e.transitions, 0),
      recoveryPointCheckCalls: env.sandbox.calls.slice(before).filter((c) => c.service === 'rds' && c.principalArn === check?.roleArn).length,
      wallSeconds: round((performance.now() - t0) / 1000, 1),
    });
  }
  return out;
}

/** Messages the workflows published to SNS (CloudWatch alarm deliveries left out). */
function workflowNotifications(env: LocalEnvironment): number {
  return env.sandbox.sns.messages.filter((m) => m.principalArn !== 'cloudwatch.amazonaws.com').length;
}

/** `{ "<value>": <how many> }` of a list of strings. */
function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** `{ "<value>": <how many> }` of a list of numbers, keys ascending. */
function countsOf(values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of [...values].sort((a, b) => a - b)) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Markdown table of the fleet figures. */
export function fleetTable(f: FleetFigures): string[] {
  return [
    `## fleet of ${f.fleet} (20% DB clusters, 20-${f.maxGiB} GiB, two-hop DR, copy slot table, manual snapshot quotas raised), ${
      f.trigger === 'event' ? `${f.runs} event-started BackupRun executions at once` : `one scheduled BackupRun, ${f.mapConcurrency} at a time`
    }`,
    'measure | value',
    '---|---',
    `status | ${f.status} (${f.failedDatabases} databases not SUCCEEDED${f.failedDatabases > 0 ? `: ${Object.entries(f.failuresByError).map(([e, k]) => `${k} ${e}`).join(', ')}` : ''})${f.error ? ` ${f.error}` : ''}`,
    `${f.trigger === 'event' ? 'runs' : 'databases'} by outcome | ${f.outcomes.copied} copied, ${f.outcomes.deferred} deferred to the scheduled run, ${f.outcomes.failed} failed`,
    `wall time / peak RSS | ${f.wallSeconds} s / ${f.peakRssMiB} MiB`,
    `makespan / quota-bound minimum | ${f.makespanHours} h / ${f.minimumHours} h = ${f.makespanOverMinimum}x`,
    `largest state payload | ${f.largestStatePayloadBytes} bytes at ${f.largestStatePayloadAt} (cap 262,144; budget ${STATE_PAYLOAD_BUDGET_BYTES}: ${f.overStatePayloadBudget.length === 0 ? 'within' : `${f.overStatePayloadBudget.length} executions over`})`,
    `largest history | ${f.largestHistoryEvents} events at ${f.largestHistoryAt} (cap 25,000; every execution, the Distributed Map's children included)`,
    ...Object.entries(f.maxCopiesInProgress).map(([k, v]) => `most copies in progress ${k} | ${v.max} (limit ${v.limit})`),
    `copies per database | ${Object.entries(f.copiesPerDatabase).map(([copies, dbs]) => `${dbs} with ${copies}`).join(', ')}; RDS refused ${f.refusedCopies} for its copy limit`,
    `state transitions | ${f.transitions} (${f.transitionsPerDatabase} per database, $${f.priceUsd})`,
    `notifications published | ${f.notifications}`,
    ...(f.vaultRetention ?? []).map(
      (v) =>
        `VaultRetention (dry run) in ${v.region} | ${v.status}${v.error ? ` ${v.error}` : ''}; largest state ${v.largestStatePayloadBytes} bytes at ${v.largestStatePayloadAt} (cap 262,144); history ${v.historyEvents} events; ${v.transitions} transitions; recovery point check ${v.recoveryPointCheckCalls} RDS calls; ${v.wallSeconds} s`,
    ),
  ];
}
