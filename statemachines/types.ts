import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionPolicy } from '../functions/shared/contracts';

/** The Lambda functions the backup workflows invoke, one per single-purpose step. */
export interface BackupFunctions {
  readonly planRun: IFunction;
  readonly createCopy: IFunction;
  readonly pollStatus: IFunction;
  readonly share: IFunction;
  readonly crossAccountCopy: IFunction;
  readonly retentionSweep: IFunction;
  readonly notify: IFunction;
}

/** Bounds of a Wait -> Poll -> Choice loop. */
export interface PollingProps {
  /**
   * Give up on one copy after this many seconds of waiting (named error `SnapshotCopyTimedOut`).
   * @default 172800 (48 hours)
   */
  readonly maxWaitSeconds?: number;
  /**
   * Give up after this many polls of one copy, whatever the time (keeps history well under 25,000 events).
   * @default 500
   */
  readonly maxPolls?: number;
}

export type { RetentionPolicy };
