/**
 * plan-run domain logic: turns a BackupRun execution input into the list of databases to back up.
 * Pure (no AWS calls).
 */
import type { DatabaseRef, PlanRunInput, PlanRunOutput } from '../shared/contracts.js';
import { InvalidInput, UnknownDatabase } from '../shared/errors.js';
import { databaseNoun, parseSnapshotArn, snapshotNoun } from '../shared/snapshots.js';

/** Where this function runs; a `sourceSnapshotArn` must be in the same account and Region. */
export interface PlanContext {
  readonly configured: readonly DatabaseRef[];
  readonly accountId: string;
  readonly region: string;
}

/**
 * Plans a backup run.
 *
 * - `databases` omitted: all configured databases, in configuration order. Given: that subset in
 *   the given order, duplicates removed (identifiers compare case-insensitively; RDS stores them
 *   lower-case).
 * - `sourceSnapshotArn`: must be a DB snapshot / DB cluster snapshot ARN in this account and
 *   Region, and the plan must contain exactly one database whose kind matches the ARN's resource
 *   type (`snapshot` -> instance, `cluster-snapshot` -> cluster). It is copied onto that item only.
 *
 * @throws InvalidInput empty `databases`, bad ARN, ARN with zero or several databases, kind mismatch.
 * @throws UnknownDatabase naming every requested identifier that is not configured.
 */
export function planRun(input: PlanRunInput, ctx: PlanContext): PlanRunOutput {
  const byId = new Map(ctx.configured.map((d) => [d.identifier.toLowerCase(), d]));
  let selected: DatabaseRef[];
  if (input.databases === undefined) {
    selected = [...ctx.configured];
  } else {
    if (input.databases.length === 0) throw new InvalidInput('databases: must list at least one database (omit it to back up all configured databases)');
    const wanted = [...new Set(input.databases.map((d) => d.toLowerCase()))];
    const unknown = wanted.filter((d) => !byId.has(d));
    if (unknown.length > 0) throw new UnknownDatabase(unknown, ctx.configured.map((d) => d.identifier));
    selected = wanted.map((d) => byId.get(d)).filter((d): d is DatabaseRef => d !== undefined);
  }

  if (input.sourceSnapshotArn === undefined) {
    return { runId: input.runId, databases: selected.map((database) => ({ database, runId: input.runId })) };
  }

  const arn = input.sourceSnapshotArn;
  const parts = parseSnapshotArn(arn);
  if (!parts) {
    throw new InvalidInput(
      'sourceSnapshotArn: must be a DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>) or a DB cluster snapshot ARN (...:cluster-snapshot:<id>)',
    );
  }
  if (parts.accountId !== ctx.accountId || parts.region !== ctx.region) {
    throw new InvalidInput(
      `sourceSnapshotArn: the snapshot must be in this account and Region (${ctx.accountId}, ${ctx.region}), not ${parts.accountId}, ${parts.region}`,
    );
  }
  if (selected.length !== 1) {
    throw new InvalidInput(
      `sourceSnapshotArn: requires exactly one database in "databases", got ${selected.length} (${selected.map((d) => d.identifier).join(', ')})`,
    );
  }
  const only = selected[0] as DatabaseRef;
  if (only.kind !== parts.kind) {
    throw new InvalidInput(
      `sourceSnapshotArn: a ${snapshotNoun(parts.kind)} ARN cannot be the source for ${databaseNoun(only.kind)} ${only.identifier}; ` +
        `use a ${only.kind === 'cluster' ? 'cluster-snapshot' : 'snapshot'} ARN`,
    );
  }
  return { runId: input.runId, databases: [{ database: only, runId: input.runId, sourceSnapshotArn: arn }] };
}
