/**
 * The payload contracts between the state machines (statemachines/), the Lambda handlers
 * (functions/<name>/), the notification and the local runner (sandbox/).
 *
 * Every Lambda is invoked by Step Functions' `lambda:invoke` integration with `Payload` = one of
 * the `...Input` types below and returns the matching `...Output`. Times are ISO-8601 UTC strings
 * (`2026-11-21T05:00:00.000Z`), durations are seconds, sizes GiB.
 *
 * Errors: handlers throw named errors (see errors.ts); Step Functions sees `Error` = the error's
 * `name` and `Cause` = `{"errorType","errorMessage","trace"}` JSON.
 * Source: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

/** `instance` = RDS DB instance (DB snapshots); `cluster` = Aurora DB cluster (DB cluster snapshots). */
export type DatabaseKind = 'instance' | 'cluster';

/** One database to back up, as configured. */
export interface DatabaseRef {
  /** DBInstanceIdentifier or DBClusterIdentifier (lower-case, 1-63 chars). */
  readonly identifier: string;
  readonly kind: DatabaseKind;
}

/** RDS snapshot status values we act on (`creating` -> `available`; `failed` possible). */
export type SnapshotStatus = 'creating' | 'available' | 'failed' | 'deleting' | string;

/**
 * A snapshot the workflow made or reads, wherever it lives.
 * `arn` is `arn:aws:rds:<region>:<account>:snapshot:<id>` (DB snapshot) or
 * `arn:aws:rds:<region>:<account>:cluster-snapshot:<id>` (DB cluster snapshot).
 */
export interface SnapshotRef {
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly status: SnapshotStatus;
  /** KMS key ARN the snapshot is encrypted with; absent when unencrypted. */
  readonly kmsKeyId?: string;
  /** SnapshotCreateTime, ISO-8601 UTC; absent while RDS has not set it. */
  readonly createTime?: string;
  /** AllocatedStorage in GiB, when RDS reports it. */
  readonly allocatedStorageGiB?: number;
  /** Engine (e.g. `oracle-ee`), when RDS reports it. */
  readonly engine?: string;
  /** DB snapshots: the option group the snapshot carries (OptionGroupName), when RDS reports it. */
  readonly optionGroupName?: string;
}

/** Tag keys written on every copy this tool makes. Retention only ever touches `MANAGED`-tagged snapshots. */
export const TAGS = {
  /** `"true"` on every snapshot rds-snapshot-vault created. */
  MANAGED: 'rds-snapshot-vault:managed',
  /** DB instance / DB cluster identifier the snapshot belongs to. */
  DATABASE: 'rds-snapshot-vault:database',
  /** ARN of the snapshot this one was copied from. */
  SOURCE_SNAPSHOT: 'rds-snapshot-vault:source-snapshot',
  /** Run identifier (BackupRun execution name) that made it. */
  RUN: 'rds-snapshot-vault:run',
  /**
   * When the copy was requested, ISO-8601 UTC: a later run that finds the copy still in progress
   * measures elapsed time from it (RDS gives no SnapshotCreateTime until the copy is available,
   * docs/aws-behaviour.md §13).
   */
  COPY_REQUESTED_AT: 'rds-snapshot-vault:copy-requested-at',
  /**
   * `"true"` on a source copy once its vault copy (and every configured DR copy) is `available`;
   * source retention never deletes a copy without it.
   */
  VAULTED: 'rds-snapshot-vault:vaulted',
} as const;

// ---------------------------------------------------------------- plan-run

/** What started a run: the daily schedule, an RDS snapshot event (EventBridge rule), or a person. */
export type RunTrigger = 'schedule' | 'event' | 'manual';

/**
 * A database's result in a run, as the run ledger records it: backed up, failed, or (issue 12)
 * deferred by an event-started run to the scheduled run (no copy made, not a failure).
 */
export const RECORD_STATUSES = ['SUCCEEDED', 'FAILED', 'DEFERRED'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

/** BackupRun execution input (schedule or StartExecution). All fields optional. */
export interface PlanRunInput {
  /**
   * `event` (set by the EventBridge rule's input transformer): `sourceSnapshotArn` is an automated
   * snapshot just created; its database is found by describing it, and a database that is not
   * configured or discovered is skipped (not an error). @default 'manual'
   */
  readonly trigger?: RunTrigger;
  /** Subset of configured databases to back up: identifiers; omitted = all configured. */
  readonly databases?: readonly string[];
  /** A specific source snapshot ARN to copy instead of the newest automated one (needs exactly one database). */
  readonly sourceSnapshotArn?: string;
  /** Execution name, passed by the state machine from `$$.Execution.Name`. */
  readonly runId: string;
}
/** What the PlanRun state sends: the execution input as given, and the execution name. */
export interface PlanRunEvent {
  readonly input: Omit<PlanRunInput, 'runId'>;
  readonly runId: string;
}
/** One database of a run: the DatabaseBackup child execution's input. */
export interface PlannedDatabase {
  readonly database: DatabaseRef;
  readonly runId: string;
  /** Export the run's manual copy to S3 (Parquet) for this database. Always present. */
  readonly export: boolean;
  readonly sourceSnapshotArn?: string;
  /**
   * Region -> option group name in the vault account of that Region, passed as OptionGroupName on
   * cross-Region copies (docs/aws-behaviour.md §15a). Always present (`{}` when none configured).
   */
  readonly optionGroups: Readonly<Record<string, string>>;
  /**
   * Why this database cannot be backed up, found at plan time (e.g. `SnapshotNotShareable`: its
   * option group has permanent or persistent options, docs/aws-behaviour.md §15a); DatabaseBackup
   * fails at once with this error and cause (`{"errorType","errorMessage"}` JSON). Always present (null = fine).
   */
  readonly blocked: { readonly error: string; readonly cause: string } | null;
  /**
   * Issue 12: `event` for the database of an event-started run (absent otherwise): its run ledger
   * record is also filed under the day for the daily digest (functions/shared/ledger.ts).
   */
  readonly trigger?: 'event';
}
export interface PlanRunOutput {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly databases: readonly PlannedDatabase[];
  /** databases.length (the state machine skips the fleet Map when 0). */
  readonly count: number;
  /** Databases named by the trigger but not backed up, with why (e.g. an event for an unconfigured database). */
  readonly skipped: ReadonlyArray<{ readonly identifier: string; readonly reason: string }>;
  /** Databases found by tag discovery (also in `databases`). */
  readonly discovered: readonly string[];
  /** Issue 12: BackupRun's Map concurrency for this plan (functions/plan-run/order.ts `mapConcurrency`), 1 or more. */
  readonly concurrency: number;
}

/**
 * What the plan-run Lambda returns to BackupRun (issue 12): fixed size but for `items`, a few bytes per
 * database. The plan itself ({@link PlanRunOutput}'s databases, skipped and discovered) is in the run
 * ledger (`plans/<runId>/`, functions/shared/ledger.ts `writePlan`).
 */
export interface PlanRunResult {
  readonly runId: string;
  readonly trigger: RunTrigger;
  /** Planned databases (the state machine skips the fleet Map when 0). */
  readonly count: number;
  /** Plan chunk objects in the run ledger (count / 100 rounded up). */
  readonly chunks: number;
  /** `[0, 1, ..., count - 1]`: what BackupRun's Map iterates over (each iteration reads its item). */
  readonly items: readonly number[];
  /** How many databases the trigger named but the plan skipped (listed in the plan head and the log). */
  readonly skipped: number;
  /** How many databases tag discovery found (listed in the plan head). */
  readonly discovered: number;
  /**
   * Issue 12: child executions BackupRun's Distributed Map runs at once for this plan (its
   * `MaxConcurrencyPath`, `$.plan.concurrency`): a whole number from 1 to the configured
   * `concurrency.maxDatabasesInParallel` (functions/plan-run/order.ts `mapConcurrency`).
   */
  readonly concurrency: number;
}

/** plan-run's second mode (issue 12): read item `index` of a run's plan; returns its {@link PlannedDatabase}. */
export interface PlanItemEvent {
  readonly runId: string;
  readonly index: number;
}

// ---------------------------------------------------------------- create-copy

export interface CreateCopyInput {
  readonly database: DatabaseRef;
  readonly runId: string;
  /** Copy this snapshot (ARN, same account/Region) instead of the newest automated snapshot. */
  readonly sourceSnapshotArn?: string;
  /**
   * Issue 12: `event` for an event-started run's database (the plan item's `trigger`): a copy that
   * cannot expect a slot within the slot wait's bound is deferred to the scheduled run
   * (`CopySlotsDeferred`, functions/shared/copy-slots.ts) instead of waiting. Absent otherwise.
   */
  readonly trigger?: 'event';
}
export interface CreateCopyOutput {
  /** The manual copy in the source account, encrypted with the source stack's KMS key. */
  readonly snapshot: SnapshotRef;
  /** The automated (or given) snapshot it was copied from. */
  readonly sourceSnapshot: SnapshotRef;
  /** false when a copy with the same deterministic identifier already existed (re-run). */
  readonly created: boolean;
  /** When the handler ran, ISO-8601 UTC. */
  readonly startedAt: string;
  /**
   * When RDS was asked for this copy, ISO-8601 UTC: `startedAt` for a new copy; for an existing
   * copy the time in its `copy-requested-at` tag (else `startedAt`). Polling measures elapsed time from it.
   */
  readonly copyStartedAt: string;
  /**
   * Age of the recovery point (the copied snapshot's SnapshotCreateTime) at `startedAt`, whole
   * seconds; 0 when RDS reported no time. Notify reports `RecoveryPointStale` above the RPO objective.
   */
  readonly recoveryPointAgeSeconds: number;
}

// ---------------------------------------------------------------- poll-status

export interface PollStatusInput {
  readonly snapshot: SnapshotRef;
  /** Polls made so far for this snapshot (0 on the first poll). */
  readonly attempt: number;
  /**
   * When RDS was asked for this copy (the copy step's `copyStartedAt`), ISO-8601 UTC. Elapsed time
   * is measured from it: RDS gives no SnapshotCreateTime until a copy is available
   * (docs/aws-behaviour.md §13).
   */
  readonly copyStartedAt: string;
  /**
   * The previous poll of this copy (its `elapsedSeconds` and `percentProgress`; the loop's Init gives
   * 0 and 0): with it poll-status estimates the completion from the rise of PercentProgress.
   * Absent: the estimate uses this poll alone.
   */
  readonly previous?: { readonly elapsedSeconds: number; readonly percentProgress: number };
  /** The loop's elapsed bound (`polling.maxWaitHours` x 3600), seconds: no wait is aimed past it. */
  readonly maxWaitSeconds?: number;
}
/**
 * What every poll of a DatabaseBackup wait loop returns (poll-status, poll-export): the loop's
 * Choice reads `ready`, its Wait state `waitSeconds`, and the next poll's input `attempt`.
 */
export interface PollProgress<Status extends string> {
  /** The status RDS reports (snapshot status, export task status). */
  readonly status: Status;
  /** 0-100, RDS `PercentProgress`. */
  readonly percentProgress: number;
  /** true when the copy or task is done: the loop ends. */
  readonly ready: boolean;
  /** Seconds the state machine should wait before the next poll, whole seconds (bounds per poll function). */
  readonly waitSeconds: number;
  /** attempt + 1. */
  readonly attempt: number;
  /** Seconds since the step started, whole seconds, >= 0. */
  readonly elapsedSeconds: number;
  /** When the poll ran, ISO-8601 UTC. */
  readonly checkedAt: string;
}

/**
 * A copy's poll: `ready` when status is `available`; `waitSeconds` >= 30, at most 1,800 (30 min)
 * unless a rising PercentProgress backs a longer one (functions/poll-status/poll.ts);
 * `elapsedSeconds` since the copy step started (`copyStartedAt`).
 */
export interface PollStatusOutput extends PollProgress<SnapshotStatus> {
  /** The snapshot as described now (status, createTime filled in). */
  readonly snapshot: SnapshotRef;
}

// ---------------------------------------------------------------- share

export interface ShareInput {
  readonly snapshot: SnapshotRef;
}
export interface ShareOutput {
  /** Account IDs in the `restore` attribute after the call. */
  readonly sharedWith: readonly string[];
  /** true when the vault account was already in the attribute (nothing changed). */
  readonly alreadyShared: boolean;
}

// ---------------------------------------------------------------- cross-account-copy

export interface CrossAccountCopyInput {
  readonly database: DatabaseRef;
  readonly runId: string;
  /**
   * The snapshot to copy, by ARN: the shared manual copy in the source account, or (two-hop DR
   * copies) the vault copy in the vault account's primary Region.
   */
  readonly snapshot: SnapshotRef;
  /**
   * Region of the vault account to copy into (the client's Region, docs/aws-behaviour.md §8):
   * the vault Region for the vault copy, a DR Region for a DR copy. Required (issue 11: DatabaseBackup
   * always passes it; the former VAULT_REGION default was never reached).
   */
  readonly destinationRegion: string;
  /** Region -> option group name of the vault account (the database's `optionGroups`); used for cross-Region copies. @default {} */
  readonly optionGroups?: Readonly<Record<string, string>>;
}
export interface CrossAccountCopyOutput {
  /** The copy in the vault account, encrypted with the vault KMS key. */
  readonly snapshot: SnapshotRef;
  readonly created: boolean;
  readonly startedAt: string;
  /** When RDS was asked for this copy, ISO-8601 UTC (see CreateCopyOutput.copyStartedAt). */
  readonly copyStartedAt: string;
}

// ---------------------------------------------------------------- export-to-s3 / poll-export

/** An RDS export task (StartExportTask); identifier = the copy identifier (unique per snapshot). */
export interface ExportTaskRef {
  readonly identifier: string;
  /** The exported snapshot's ARN. */
  readonly sourceArn: string;
  readonly region: string;
  readonly s3Bucket: string;
  /** `<EXPORT_PREFIX>/<db identifier>/<yyyy-mm-dd of the snapshot>` */
  readonly s3Prefix: string;
  /** `s3://<bucket>/<prefix>/<identifier>/` where RDS writes the Parquet files. */
  readonly s3Uri: string;
  /** `STARTING` | `IN_PROGRESS` | `COMPLETE` | `FAILED` | `CANCELED` | `CANCELING` */
  readonly status: string;
}
export interface ExportToS3Input {
  readonly database: DatabaseRef;
  readonly runId: string;
  /** The run's manual copy in the source account (must be `available`). */
  readonly snapshot: SnapshotRef;
}
export interface ExportToS3Output {
  readonly exportTask: ExportTaskRef;
  /** false when a task with this identifier already existed (reused, not an error). */
  readonly created: boolean;
  readonly startedAt: string;
}
export interface PollExportInput {
  readonly exportTask: ExportTaskRef;
  readonly attempt: number;
}
/**
 * An export task's poll: `ready` when `COMPLETE`; `waitSeconds` bounded to [300, 3600] (exports
 * take hours; few polls).
 */
export interface PollExportOutput extends PollProgress<string> {
  readonly exportTask: ExportTaskRef;
}

// ---------------------------------------------------------------- retention-sweep

/**
 * Retention policy; all ages in days (1 day = 86,400 s), counted from the recovery point time
 * (OriginalSnapshotCreateTime; SnapshotCreateTime for DB cluster snapshots, which have no original
 * time). keepLast and GFS count recovery-point days, not copies (functions/retention-sweep/policy.ts).
 */
export interface RetentionPolicy {
  /** Always keep every copy of the newest N recovery-point days (UTC days with a timely copy). */
  readonly keepLast: number;
  /** Delete managed copies older than this (unless kept by keepLast). */
  readonly maxAgeDays: number;
  /** Never delete anything younger than this. */
  readonly minAgeDays: number;
  /**
   * Grandfather-father-son: additionally keep the newest available copy of each of the last N UTC
   * days, ISO weeks, calendar months and years (kept even past maxAgeDays).
   */
  readonly gfs?: { readonly daily?: number; readonly weekly?: number; readonly monthly?: number; readonly yearly?: number };
}
export interface RetentionSweepInput {
  readonly database: DatabaseRef;
  readonly policy: RetentionPolicy;
  /** Decide and report, delete nothing. */
  readonly dryRun?: boolean;
  /** Identifier of this run's copy: nothing is deleted unless it is listed and `available`. */
  readonly protectIdentifier?: string;
  /**
   * Source retention: this run's copy, whose vault copy is `available`. Unless a DR copy failed, it
   * is first tagged `rds-snapshot-vault:vaulted=true`; either way no managed copy without that tag
   * is deleted (implies `requireVaulted`).
   */
  readonly markVaulted?: { readonly identifier: string; readonly anyDrCopyFailed?: boolean };
  /** Source retention: never delete a managed copy that lacks `rds-snapshot-vault:vaulted=true`. */
  readonly requireVaulted?: boolean;
  /**
   * Vault retention: only copies that RDS records as copied from a snapshot of one of these
   * accounts (the source account; the vault account itself for two-hop DR copies) are candidates.
   * Names and tags can be set by the source account's copy role; RDS's record of the copy source
   * cannot.
   */
  readonly provenanceAccounts?: readonly string[];
}
export interface RetentionDecision {
  readonly identifier: string;
  readonly arn: string;
  readonly createTime?: string;
  readonly reason: string;
}
export interface RetentionSweepOutput {
  readonly accountId: string;
  readonly region: string;
  readonly kept: readonly RetentionDecision[];
  readonly deleted: readonly RetentionDecision[];
  readonly dryRun: boolean;
  /**
   * Vault retention (`provenanceAccounts` given): identifiers of this database's managed copies
   * encrypted under a KMS key of another account, which the vault does not control (never counted
   * for keepLast or GFS; also counted as the `ForeignKeyCopies` metric, alarmed to the vault topic).
   * Empty for source retention; always set by retention-sweep (optional for older producers and fakes).
   */
  readonly foreignKeyCopies?: readonly string[];
}

/**
 * VaultRetention's first step: the configured databases plus every database with managed copies
 * in this account and Region (so tag-discovered databases and databases removed from the config
 * stay under the retention policy).
 */
export interface ListManagedDatabasesInput {
  readonly listDatabases: { readonly configured: readonly DatabaseRef[] };
}
export interface ListManagedDatabasesOutput {
  readonly databases: readonly DatabaseRef[];
}

/**
 * retention-sweep input of BackupRun's `SweepRemovedDatabases` (source account): apply `policy` to
 * the managed copies of every database that has some here but is not in `configured` (removed from
 * the configuration, or discovered by tag and no longer tagged), with the source rules: a copy
 * without the `vaulted` tag is never deleted, and neither is the newest vaulted copy of a database.
 */
export interface SweepRemovedDatabasesInput {
  /**
   * `configured` absent: the configured databases bundled with the function (`DATABASES_FILE`, issue 12:
   * BackupRun's Task input stays O(1) whatever the fleet size); without that file the input is invalid.
   */
  readonly sweepRemoved: { readonly configured?: readonly DatabaseRef[]; readonly policy: RetentionPolicy; readonly dryRun?: boolean };
}
/** Output of {@link SweepRemovedDatabasesInput}: per swept database, how many copies it kept and which it deleted (bounded: identifiers only). */
export interface SweepRemovedDatabasesOutput {
  readonly accountId: string;
  readonly region: string;
  readonly dryRun: boolean;
  readonly databases: ReadonlyArray<{ readonly database: DatabaseRef; readonly kept: number; readonly deleted: readonly string[] }>;
  /** Copies deleted (or, in a dry run, that would be) over all swept databases: what BackupRun keeps in its state. */
  readonly deletedCount: number;
}

// ---------------------------------------------------------------- notify

/**
 * Issue 12: DatabaseBackup's output when an event-started run deferred the database to the scheduled
 * run (`DeferredToScheduledRun`): no copy made, not a failure. `reason` is the caught
 * `CopySlotsDeferred` Cause (the Lambda error JSON); `ledger` the run ledger record's
 * `{ database, status: 'DEFERRED', key }`.
 */
export interface DatabaseBackupDeferredOutput {
  readonly database: DatabaseRef;
  readonly runId: string;
  readonly status: 'DEFERRED';
  readonly reason: string;
  readonly ledger: { readonly database: string; readonly status: 'DEFERRED'; readonly key: string };
}
/** DatabaseBackup execution output (child of BackupRun). */
export interface DatabaseBackupOutput {
  readonly database: DatabaseRef;
  readonly runId: string;
  readonly sourceCopy: CreateCopyOutput;
  readonly sourceCopyReady: PollStatusOutput;
  /** null in same-account mode (nothing is shared). */
  readonly share: ShareOutput | null;
  readonly vaultCopy: CrossAccountCopyOutput;
  readonly vaultCopyReady: PollStatusOutput;
  readonly sourceRetention: RetentionSweepOutput;
  /** One entry per DR Region of the vault account (empty when none configured). */
  readonly drCopies: ReadonlyArray<{ readonly region: string; readonly copy: CrossAccountCopyOutput; readonly ready: PollStatusOutput }>;
  /** The S3 export, or null when the database is not exported. */
  readonly export: { readonly task: ExportToS3Output; readonly ready: PollExportOutput } | null;
  /** What BackupRun keeps of this database (fixed bound, see {@link DatabaseSummary}). */
  readonly summary: DatabaseSummary;
}

/**
 * The part of a DatabaseBackup output BackupRun keeps per database, and what notify reports from.
 * Fixed-bound by design (no lists but one entry per configured DR Region, no ARN that can be
 * derived): BackupRun gathers one per database into its state, which Step Functions caps at
 * 256 KiB (docs/aws-behaviour.md §18a); about 400 bytes each. The copy identifier is the same in the
 * source account, the vault account and every DR Region, so their ARNs follow from it.
 * Durations are `elapsedSeconds` of the last poll, in seconds.
 */
export interface DatabaseSummary {
  /** Identifier of the manual copy, e.g. `rsv-orders-db-202611200300`. */
  readonly copy: string;
  /** The copy in the source account (its ARN: source account and Region, this identifier). */
  readonly source: { readonly created: boolean; readonly seconds: number };
  /** The vault copy. */
  readonly vault: { readonly arn: string; readonly created: boolean; readonly seconds: number };
  /** One per DR Region (ARN: the vault copy's, in that Region). */
  readonly dr: ReadonlyArray<{ readonly region: string; readonly created: boolean; readonly seconds: number }>;
  /** The S3 export, or null when the database is not exported. */
  readonly export: { readonly s3Uri: string; readonly status: string; readonly created: boolean; readonly seconds: number } | null;
  /** Source retention: how many managed copies were kept and deleted. */
  readonly retention: { readonly kept: number; readonly deleted: number };
  /**
   * Age of the recovery point this backup produced when the backup picked it, whole seconds
   * (CreateCopyOutput.recoveryPointAgeSeconds); notify reports `RecoveryPointStale` above the RPO objective.
   */
  readonly recoveryPointAgeSeconds?: number;
}

/** One element of BackupRun's Map result, as produced by the state machine. */
export type DatabaseResult =
  | { readonly database: DatabaseRef; readonly status: 'SUCCEEDED'; readonly summary: DatabaseSummary }
  | {
      readonly database: DatabaseRef;
      readonly status: 'FAILED';
      /**
       * The failed child execution's error name (e.g. `SnapshotCopyTimedOut`); `States.TaskFailed`
       * or another Step Functions name when the child's could not be read.
       */
      readonly error: string;
      /** The child's cause (bounded by the functions: functions/shared/handler.ts), else the task's cause. */
      readonly cause: string;
    };

/**
 * Issue 12: one element of BackupRun's Map result: fixed size whatever the database did (its result
 * is in the run ledger, functions/shared/ledger.ts). About 50 bytes plus the identifier (<= 63
 * characters) and, when failed, the error name (<= 256 characters, Step Functions' bound).
 */
export interface DatabaseStatus {
  /** DBInstanceIdentifier or DBClusterIdentifier. */
  readonly database: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** FAILED: the child execution's error name (e.g. `SnapshotCopyTimedOut`), or a Step Functions name. */
  readonly error?: string;
}

/**
 * notify's input from BackupRun: the run, what started it, and either `chunks` (issue 12: BackupRun
 * passes the number of plan chunks; notify reads the planned databases from the run ledger, and a
 * planned database without a record is reported FAILED `LedgerRecordMissing`) or `results` (each
 * database's status; exactly one of the two).
 */
export type { NotifyInput } from './functions/notify.js';
/** Most database identifiers notify returns in a list (the notification itself names them all). */
export const MAX_LISTED_DATABASES = 20;
export interface NotifyOutput {
  /** false when nothing was published: an event run whose database succeeded or was deferred (it goes into the daily digest). */
  readonly published: boolean;
  /** '' when not published. */
  readonly subject: string;
  readonly succeeded: number;
  readonly failed: number;
  /** Identifiers of the databases that failed: the first {@link MAX_LISTED_DATABASES} (issue 12: bounded output); `failed` counts them all. */
  readonly failedDatabases: readonly string[];
  /**
   * Issue 12: databases an event-started run deferred to the scheduled run (a `DEFERRED` run ledger
   * record: no copy made, not failed). `succeeded + failed + deferred` is the number of databases reported.
   */
  readonly deferred: number;
  /** '' when not published. */
  readonly messageId: string;
}
