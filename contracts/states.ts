/**
 * The DatabaseBackup states that code outside its builder reads from execution histories, by name:
 * `rsv` (cli/runs.ts: the step a database's run ended in), the demo's timeline
 * (sandbox/demo/report.ts) and the polling bench (bench/polling.ts). statemachines/database-backup.ts
 * names these states from here, so renaming one renames it for its readers too (a reader that wrote
 * the old name as text would silently find nothing), and test/infra/graph.test.ts checks that each
 * is in the synthesized graph. Every state of the graph: statemachines/database-backup.ts's JSDoc.
 */
import type { RecordStatus } from './shapes.js';

/** The state a DatabaseBackup execution ends in, by the status of the run ledger record it wrote. */
export const BACKUP_END_STATES = {
  SUCCEEDED: 'BackupSucceeded',
  FAILED: 'BackupFailed',
  DEFERRED: 'DeferredToScheduledRun',
} as const satisfies Record<RecordStatus, string>;

/** DatabaseBackup's main steps (Task states, and `CopyToDrRegion` inside the DR Regions' Map). */
export const BACKUP_STEPS = {
  createCopy: 'CreateCopy',
  shareWithVault: 'ShareWithVault',
  copyToVault: 'CopyToVault',
  exportToS3: 'ExportToS3',
  copyToDrRegion: 'CopyToDrRegion',
  sweepSourceRetention: 'SweepSourceRetention',
} as const;

/**
 * DatabaseBackup's wait loops: `Init<X>Poll` -> `WaitFor<X>` -> `Poll<X>` -> `Is<X>Ready`, or
 * `<X>TimedOut` past the bound (`DrCopy` has no `Init<X>Poll`: its copy step's result starts the loop).
 */
export const POLL_LOOPS = ['SourceCopy', 'VaultCopy', 'DrCopy', 'Export'] as const;
export type PollLoop = (typeof POLL_LOOPS)[number];

/** The Task state of wait loop `loop` that polls once (`Poll<X>`): entered once per poll. */
export const pollState = <L extends PollLoop>(loop: L): `Poll${L}` => `Poll${loop}`;
/** The Choice state of wait loop `loop` (`Is<X>Ready`): its last entry is the look that saw the copy or export ready. */
export const readyChoice = <L extends PollLoop>(loop: L): `Is${L}Ready` => `Is${loop}Ready`;
