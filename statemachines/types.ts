import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionPolicy } from '../contracts/shapes';

/** The Lambda functions the backup workflows invoke, one per single-purpose step. */
export interface BackupFunctions {
  readonly planRun: IFunction;
  readonly createCopy: IFunction;
  readonly pollStatus: IFunction;
  /** Absent in same-account mode (nothing to share). */
  readonly share?: IFunction;
  readonly crossAccountCopy: IFunction;
  readonly retentionSweep: IFunction;
  readonly notify: IFunction;
  /** Issue 12: writes each database's result to the run ledger (DatabaseBackup's last step on both paths). */
  readonly recordResult: IFunction;
  /** Present when some database is exported to S3. */
  readonly exportToS3?: IFunction;
  readonly pollExport?: IFunction;
}

// VaultMode and DrCopyMode: one definition, shared with the configuration (contracts/rules.ts).
export type { DrCopyMode, VaultMode } from '../contracts/rules';

/** Bounds of a Wait -> Poll -> Choice loop. */
export interface PollingProps {
  /**
   * Give up on one copy after this many seconds of waiting (named error `SnapshotCopyTimedOut`).
   * @default 172800 (48 hours)
   */
  readonly maxWaitSeconds?: number;
  /**
   * Give up after this many polls of one copy, whatever the time (keeps history well under 25,000 events).
   * @default 200 (`DEFAULT_MAX_POLLS` in statemachines/timeouts.ts)
   */
  readonly maxPolls?: number;
}

export type { RetentionPolicy };
