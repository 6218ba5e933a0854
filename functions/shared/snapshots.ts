/**
 * Shared RDS helpers for DB snapshots (DB instances, `snapshot:` ARNs, `*DBSnapshot*` APIs) and DB
 * cluster snapshots (Aurora DB clusters, `cluster-snapshot:` ARNs, `*DBClusterSnapshot*` APIs).
 * Every helper takes the `RDSClient` to use, so the caller decides account (credentials) and Region.
 *
 * API references: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterSnapshots.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html ,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
 */
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  type DBClusterSnapshot,
  type DBSnapshot,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import { parse as parseArn, validate as validateArn } from '@aws-sdk/util-arn-parser';
import { TAGS, type DatabaseKind, type DatabaseRef, type SnapshotRef } from '../../contracts/shapes.js';
import { fitIdentifier, identifierText, sanitizeTagValue } from './identifiers.js';
import {
  CopySlotsBusy,
  isAwsError,
  SnapshotCopyFailed,
  SnapshotIdentifierConflict,
  SnapshotNotFound,
  SnapshotQuotaExceeded,
} from '../../contracts/errors.js';
import { COPY_IDENTIFIER_PREFIX } from '../../contracts/names.js';
export { COPY_IDENTIFIER_PREFIX };

/** A DB snapshot or DB cluster snapshot as described by RDS, normalised across both kinds. */
export interface SnapshotRecord {
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly arn: string;
  /** DBInstanceIdentifier / DBClusterIdentifier the snapshot was taken from. */
  readonly dbIdentifier?: string;
  readonly status: string;
  /** `automated`, `manual`, `shared`, `awsbackup`, ... */
  readonly snapshotType?: string;
  readonly encrypted: boolean;
  /** KMS key ARN (only when encrypted). */
  readonly kmsKeyId?: string;
  /** SnapshotCreateTime: for a copy, when RDS made the copy; absent until `available` (docs/aws-behaviour.md §13). */
  readonly createTime?: Date;
  /**
   * OriginalSnapshotCreateTime (DB snapshots only; RDS keeps it through every copy). DB cluster
   * snapshots have no such field.
   */
  readonly originalCreateTime?: Date;
  /**
   * ARN of the snapshot this one was copied from, as RDS records it on a cross-account or
   * cross-Region copy (`SourceDBSnapshotIdentifier` / `SourceDBClusterSnapshotArn`); set by RDS,
   * not by the caller.
   */
  readonly sourceArn?: string;
  /** GiB. */
  readonly allocatedStorage?: number;
  /** 0-100. */
  readonly percentProgress?: number;
  /** TagList from the describe output; undefined when RDS did not include it. */
  readonly tags?: readonly Tag[];
  readonly engine?: string;
  /** DB snapshots: OptionGroupName. */
  readonly optionGroupName?: string;
}

/** `DB snapshot` or `DB cluster snapshot`, for messages. */
export function snapshotNoun(kind: DatabaseKind): string {
  return kind === 'cluster' ? 'DB cluster snapshot' : 'DB snapshot';
}

/** `DB instance` or `DB cluster`, for messages. */
export function databaseNoun(kind: DatabaseKind): string {
  return kind === 'cluster' ? 'DB cluster' : 'DB instance';
}

/**
 * A SnapshotRecord from what a DB snapshot and a DB cluster snapshot both say, given the fields
 * each kind names its own way (identifier, ARN, database, encryption) and the kind's own extras.
 * `encrypted` falls back to "has a KMS key" when RDS leaves the flag out.
 */
function toRecord(
  s: DBSnapshot | DBClusterSnapshot,
  own: { kind: DatabaseKind; identifier: string; arn: string; dbIdentifier: string | undefined; encrypted: boolean | undefined },
  extras: Partial<SnapshotRecord>,
): SnapshotRecord {
  const encrypted = own.encrypted ?? Boolean(s.KmsKeyId);
  return {
    kind: own.kind,
    identifier: own.identifier,
    arn: own.arn,
    status: s.Status ?? 'unknown',
    encrypted,
    ...(own.dbIdentifier !== undefined && { dbIdentifier: own.dbIdentifier }),
    ...extras,
    ...(s.SnapshotType !== undefined && { snapshotType: s.SnapshotType }),
    ...(encrypted && s.KmsKeyId !== undefined && { kmsKeyId: s.KmsKeyId }),
    ...(s.SnapshotCreateTime !== undefined && { createTime: new Date(s.SnapshotCreateTime) }),
    ...(s.AllocatedStorage !== undefined && { allocatedStorage: s.AllocatedStorage }),
    ...(s.PercentProgress !== undefined && { percentProgress: s.PercentProgress }),
    ...(s.TagList !== undefined && { tags: s.TagList }),
    ...(s.Engine !== undefined && { engine: s.Engine }),
  };
}

function fromDbSnapshot(s: DBSnapshot): SnapshotRecord {
  if (!s.DBSnapshotIdentifier || !s.DBSnapshotArn) throw new Error('RDS returned a DB snapshot without DBSnapshotIdentifier/DBSnapshotArn');
  const own = { kind: 'instance', identifier: s.DBSnapshotIdentifier, arn: s.DBSnapshotArn, dbIdentifier: s.DBInstanceIdentifier, encrypted: s.Encrypted } as const;
  return toRecord(s, own, {
    ...(s.OptionGroupName !== undefined && { optionGroupName: s.OptionGroupName }),
    ...(s.OriginalSnapshotCreateTime !== undefined && { originalCreateTime: new Date(s.OriginalSnapshotCreateTime) }),
    ...(s.SourceDBSnapshotIdentifier?.startsWith('arn:') && { sourceArn: s.SourceDBSnapshotIdentifier }),
  });
}

function fromDbClusterSnapshot(s: DBClusterSnapshot): SnapshotRecord {
  if (!s.DBClusterSnapshotIdentifier || !s.DBClusterSnapshotArn) {
    throw new Error('RDS returned a DB cluster snapshot without DBClusterSnapshotIdentifier/DBClusterSnapshotArn');
  }
  const own = { kind: 'cluster', identifier: s.DBClusterSnapshotIdentifier, arn: s.DBClusterSnapshotArn, dbIdentifier: s.DBClusterIdentifier, encrypted: s.StorageEncrypted } as const;
  return toRecord(s, own, { ...(s.SourceDBClusterSnapshotArn !== undefined && { sourceArn: s.SourceDBClusterSnapshotArn }) });
}

/** Parts of a DB snapshot / DB cluster snapshot ARN. */
export interface SnapshotArnParts {
  readonly kind: DatabaseKind;
  readonly identifier: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * Parses `arn:<partition>:rds:<region>:<account>:snapshot:<id>` (DB snapshot) or
 * `...:cluster-snapshot:<id>` (DB cluster snapshot) with `@aws-sdk/util-arn-parser`.
 * @returns undefined when `arn` is not such an ARN.
 */
export function parseSnapshotArn(arn: string): SnapshotArnParts | undefined {
  if (!validateArn(arn)) return undefined;
  const p = parseArn(arn);
  if (p.service !== 'rds' || !/^\d{12}$/.test(p.accountId) || p.region === '') return undefined;
  const m = /^(snapshot|cluster-snapshot):(.+)$/.exec(p.resource);
  if (!m || !m[1] || !m[2]) return undefined;
  return {
    kind: m[1] === 'cluster-snapshot' ? 'cluster' : 'instance',
    identifier: m[2],
    accountId: p.accountId,
    region: p.region,
    partition: p.partition,
  };
}

/**
 * Converts a record to the contract's {@link SnapshotRef} (account and Region from the ARN;
 * `createTime` ISO-8601 UTC; `allocatedStorageGiB` in GiB).
 */
export function toSnapshotRef(r: SnapshotRecord): SnapshotRef {
  const parts = parseSnapshotArn(r.arn);
  if (!parts) throw new Error(`RDS returned an unexpected ${snapshotNoun(r.kind)} ARN: ${r.arn}`);
  return {
    kind: r.kind,
    identifier: r.identifier,
    arn: r.arn,
    accountId: parts.accountId,
    region: parts.region,
    status: r.status,
    ...(r.kmsKeyId !== undefined && { kmsKeyId: r.kmsKeyId }),
    ...(r.createTime !== undefined && !Number.isNaN(r.createTime.getTime()) && { createTime: r.createTime.toISOString() }),
    ...(r.allocatedStorage !== undefined && { allocatedStorageGiB: r.allocatedStorage }),
    ...(r.engine !== undefined && { engine: r.engine }),
    ...(r.optionGroupName !== undefined && { optionGroupName: r.optionGroupName }),
  };
}

/** Whether `err` is RDS's "snapshot not found" fault for `kind`. */
export function isSnapshotNotFound(err: unknown, kind: DatabaseKind): boolean {
  return kind === 'cluster' ? isAwsError(err, 'DBClusterSnapshotNotFoundFault') : isAwsError(err, 'DBSnapshotNotFound');
}

/** Whether `err` is RDS's "snapshot already exists" fault for `kind`. */
export function isSnapshotAlreadyExists(err: unknown, kind: DatabaseKind): boolean {
  return kind === 'cluster' ? isAwsError(err, 'DBClusterSnapshotAlreadyExistsFault') : isAwsError(err, 'DBSnapshotAlreadyExists');
}

/** Whether an identifier (or snapshot ARN) names an automated snapshot (`rds:<db>-<yyyy-mm-dd-hh-mm>`, docs/aws-behaviour.md §10). */
export function isAutomatedSnapshotIdentifier(identifierOrArn: string): boolean {
  return (parseSnapshotArn(identifierOrArn)?.identifier ?? identifierOrArn).startsWith('rds:');
}

/**
 * Describes one snapshot by identifier (or, for a shared snapshot, ARN) with the given client
 * (its credentials and Region decide where to look). An automated snapshot (`rds:...`) is described
 * with `SnapshotType: 'automated'`, without which RDS does not find it (docs/aws-behaviour.md §15,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html).
 * @returns undefined when RDS reports DBSnapshotNotFound / DBClusterSnapshotNotFoundFault.
 */
export async function describeSnapshot(rds: RDSClient, kind: DatabaseKind, identifier: string): Promise<SnapshotRecord | undefined> {
  const type = isAutomatedSnapshotIdentifier(identifier) ? { SnapshotType: 'automated' } : {};
  try {
    if (kind === 'cluster') {
      const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier, ...type }));
      const s = out.DBClusterSnapshots?.[0];
      return s ? fromDbClusterSnapshot(s) : undefined;
    }
    const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier, ...type }));
    const s = out.DBSnapshots?.[0];
    return s ? fromDbSnapshot(s) : undefined;
  } catch (err) {
    if (isSnapshotNotFound(err, kind)) return undefined;
    throw err;
  }
}

/**
 * Lists every snapshot of a database (or, without `identifier`, of every database of that kind) of
 * the given type (`automated` or `manual`), following
 * `Marker` pagination with the SDK paginators (100 per page).
 */
export async function listSnapshots(
  rds: RDSClient,
  database: DatabaseRef | { readonly kind: DatabaseKind; readonly identifier?: undefined },
  snapshotType: 'automated' | 'manual',
): Promise<SnapshotRecord[]> {
  const out: SnapshotRecord[] = [];
  if (database.kind === 'cluster') {
    const pages = paginateDescribeDBClusterSnapshots(
      { client: rds, pageSize: 100 },
      { ...(database.identifier !== undefined && { DBClusterIdentifier: database.identifier }), SnapshotType: snapshotType },
    );
    for await (const page of pages) for (const s of page.DBClusterSnapshots ?? []) out.push(fromDbClusterSnapshot(s));
  } else {
    const pages = paginateDescribeDBSnapshots(
      { client: rds, pageSize: 100 },
      { ...(database.identifier !== undefined && { DBInstanceIdentifier: database.identifier }), SnapshotType: snapshotType },
    );
    for await (const page of pages) for (const s of page.DBSnapshots ?? []) out.push(fromDbSnapshot(s));
  }
  return out;
}

/**
 * Whether the DB instance / DB cluster exists (DescribeDBInstances / DescribeDBClusters).
 * @returns false on DBInstanceNotFound / DBClusterNotFoundFault.
 */
export async function databaseExists(rds: RDSClient, database: DatabaseRef): Promise<boolean> {
  try {
    if (database.kind === 'cluster') {
      const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: database.identifier }));
      return (out.DBClusters?.length ?? 0) > 0;
    }
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: database.identifier }));
    return (out.DBInstances?.length ?? 0) > 0;
  } catch (err) {
    if (isAwsError(err, 'DBInstanceNotFound', 'DBClusterNotFoundFault')) return false;
    throw err;
  }
}

/**
 * Tags of a snapshot: the describe output's `TagList` when present, else ListTagsForResource.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ListTagsForResource.html
 */
export async function snapshotTags(rds: RDSClient, record: SnapshotRecord): Promise<readonly Tag[]> {
  if (record.tags !== undefined) return record.tags;
  const out = await rds.send(new ListTagsForResourceCommand({ ResourceName: record.arn }));
  return out.TagList ?? [];
}

/** Value of tag `key`, or undefined. */
export function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.Key === key)?.Value;
}

/** Whether the tags carry `rds-snapshot-vault:managed=true`. */
export function isManaged(tags: readonly Tag[]): boolean {
  return tagValue(tags, TAGS.MANAGED) === 'true';
}

/**
 * The tags every copy made by rds-snapshot-vault carries (see {@link TAGS}); every value passes
 * through {@link sanitizeTagValue}, so a run name with characters RDS refuses in tags
 * (docs/aws-behaviour.md §15b) cannot break a copy.
 */
export function managedTags(p: { database: string; sourceSnapshotArn: string; runId: string }): Tag[] {
  return [
    { Key: TAGS.MANAGED, Value: 'true' },
    { Key: TAGS.DATABASE, Value: sanitizeTagValue(p.database) },
    { Key: TAGS.SOURCE_SNAPSHOT, Value: sanitizeTagValue(p.sourceSnapshotArn) },
    { Key: TAGS.RUN, Value: sanitizeTagValue(p.runId) },
  ];
}


/** Longest identifier of a DB snapshot (255) and of a DB cluster snapshot (63), docs/aws-behaviour.md §10. */
export const MAX_SNAPSHOT_IDENTIFIER_LENGTH: Readonly<Record<DatabaseKind, number>> = { instance: 255, cluster: 63 };

/**
 * Deterministic identifier of the manual copy of a snapshot:
 * `rsv-<db identifier>-<yyyymmddhhmm of the source SnapshotCreateTime, UTC>`, lower-case.
 *
 * The result always satisfies RDS's snapshot identifier rules for `kind` (docs/aws-behaviour.md
 * §10: letters, digits and hyphens, starts with a letter, no `--`, no trailing hyphen; at most 255
 * characters for a DB snapshot, 63 for a DB cluster snapshot): characters other than letters,
 * digits and hyphens become hyphens and hyphen runs collapse. When the name would be too long (a DB
 * cluster identifier of 47-63 characters), the database part is cut and an 8-hex hash of the full
 * name is added, `rsv-<db cut>-<hash>-<yyyymmddhhmm>` ({@link fitIdentifier}), so two long
 * identifiers never collide and a re-run finds the same copy. It always starts with `rsv-`
 * ({@link COPY_IDENTIFIER_PREFIX}) and ends with the time stamp.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
 *
 * @param kind `instance` (max 255) or `cluster` (max 63); default `instance`.
 * @throws RangeError when `sourceCreateTime` is invalid or outside years 0-9999.
 */
export function copyIdentifier(dbIdentifier: string, sourceCreateTime: Date, kind: DatabaseKind = 'instance'): string {
  const t = sourceCreateTime.getTime();
  const year = sourceCreateTime.getUTCFullYear();
  if (!Number.isFinite(t) || year < 0 || year > 9999) throw new RangeError(`copyIdentifier: invalid source SnapshotCreateTime ${String(sourceCreateTime)}`);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp =
    pad(year, 4) +
    pad(sourceCreateTime.getUTCMonth() + 1) +
    pad(sourceCreateTime.getUTCDate()) +
    pad(sourceCreateTime.getUTCHours()) +
    pad(sourceCreateTime.getUTCMinutes());
  const db = identifierText(dbIdentifier);
  return db === '' ? `rsv-${stamp}` : fitIdentifier(`rsv-${db}`, MAX_SNAPSHOT_IDENTIFIER_LENGTH[kind], `-${stamp}`);
}

/** Where a copy is made, for messages. */
export interface Location {
  readonly accountId: string;
  readonly region: string;
}

/** Parameters of {@link copySnapshotIdempotently}. */
export interface IdempotentCopyParams {
  /** Client in the *destination* account and Region. */
  readonly rds: RDSClient;
  readonly kind: DatabaseKind;
  /**
   * Source identifier as passed to RDS (identifier for a local copy, ARN for cross-account/Region).
   * Cross-Region: `rds` is a client in the destination Region and the source is an ARN in another
   * Region; the SDK's RDS middleware (`@aws-sdk/middleware-sdk-rds`, crossRegionPresignedUrlMiddleware)
   * then adds `PreSignedUrl`, signed for the ARN's Region. `CopyDBSnapshotMessage` /
   * `CopyDBClusterSnapshotMessage` have no `SourceRegion` member in @aws-sdk/client-rds 3.11xx, so
   * none is passed.
   */
  readonly sourceIdentifier: string;
  /** ARN of the source, recorded in and compared with the `source-snapshot` tag. */
  readonly sourceArn: string;
  readonly targetIdentifier: string;
  /** KMS key (ARN, key ID or alias ARN) of the destination account/Region. */
  readonly kmsKeyId: string;
  readonly tags: Tag[];
  readonly destination: Location;
  /** Maps KMSKeyNotAccessibleFault to a KmsKeyNotAccessible with a specific message. */
  readonly kmsError: (err: Error) => Error;
  /** Now (the handler's start): recorded on a new copy in the `copy-requested-at` tag. */
  readonly requestedAt: Date;
  /** DB snapshots: OptionGroupName of the destination (cross-Region copies, docs/aws-behaviour.md §15a). */
  readonly optionGroupName?: string;
  /**
   * Maps RDS's InvalidParameterValue "The snapshot requires a target option group with the following
   * options: [...]" to a named error (`options` = the option names RDS listed). @default rethrow as is
   */
  readonly optionGroupError?: (err: Error, options: readonly string[]) => Error;
  /**
   * The copy slot of the destination (functions/shared/copy-slots.ts): `acquire` runs right before
   * CopyDB(Cluster)Snapshot (never when an existing copy is adopted) and throws CopySlotsBusy when
   * the destination's slots are all held; `release` runs when RDS refuses the copy (any error but a
   * concurrent duplicate, whose holder is the same copy). @default - no slot table
   */
  readonly slot?: { acquire(): Promise<void>; release(): Promise<void> };
}

/**
 * Verifies that an existing snapshot at the target identifier is a copy we made of this source.
 * @throws SnapshotIdentifierConflict when it lacks the managed tag or copies another source.
 * @throws SnapshotCopyFailed when it is a managed copy in status `failed`.
 */
async function adoptExisting(p: IdempotentCopyParams, existing: SnapshotRecord): Promise<{ record: SnapshotRecord; created: false; copyStartedAt: string }> {
  const tags = await snapshotTags(p.rds, existing);
  const where = `account ${p.destination.accountId} Region ${p.destination.region}`;
  const noun = snapshotNoun(p.kind);
  if (!isManaged(tags)) {
    throw new SnapshotIdentifierConflict(
      `${noun} ${existing.identifier} already exists in ${where} but is not tagged ${TAGS.MANAGED}=true, so rds-snapshot-vault did not create it ` +
        'and will not adopt it. Rename or delete that snapshot (after checking nobody needs it), then re-run.',
    );
  }
  const recordedSource = tagValue(tags, TAGS.SOURCE_SNAPSHOT);
  if (recordedSource !== undefined && recordedSource !== p.sourceArn) {
    throw new SnapshotIdentifierConflict(
      `${noun} ${existing.identifier} in ${where} is a copy of ${recordedSource}, not of ${p.sourceArn} ` +
        '(two source snapshots created in the same minute?). Copy the other snapshot by hand or delete the existing copy, then re-run.',
    );
  }
  if (existing.status === 'failed') {
    throw new SnapshotCopyFailed(
      `An earlier copy ${existing.identifier} in ${where} is in status failed. Check the RDS events of the snapshot, ` +
        'delete the failed copy, then re-run.',
    );
  }
  const recorded = tagValue(tags, TAGS.COPY_REQUESTED_AT);
  const recordedMs = recorded !== undefined ? Date.parse(recorded) : Number.NaN;
  const copyStartedAt = Number.isFinite(recordedMs) && recordedMs <= p.requestedAt.getTime() ? new Date(recordedMs).toISOString() : p.requestedAt.toISOString();
  return { record: existing, created: false, copyStartedAt };
}

/**
 * Copies a snapshot unless the deterministic target already exists.
 *
 * 1. Describes the target; if it exists and is ours (managed tag, same source) returns it with
 *    `created=false`, making no copy call.
 * 2. Otherwise CopyDBSnapshot / CopyDBClusterSnapshot with KmsKeyId and Tags (cross-Region: the
 *    SDK presigns from the source ARN, see {@link IdempotentCopyParams.sourceIdentifier}). A concurrent duplicate (DBSnapshotAlreadyExists /
 *    DBClusterSnapshotAlreadyExistsFault) is resolved as in step 1.
 *
 * @throws SnapshotIdentifierConflict, SnapshotCopyFailed (see adoptExisting)
 * @throws KmsKeyNotAccessible (via `kmsError`) on KMSKeyNotAccessibleFault
 * @throws SnapshotQuotaExceeded on SnapshotQuotaExceeded
 * @throws SnapshotNotFound when RDS cannot see the source (deleted, or not shared with the destination account)
 */
export async function copySnapshotIdempotently(p: IdempotentCopyParams): Promise<{ record: SnapshotRecord; created: boolean; copyStartedAt: string }> {
  const existing = await describeSnapshot(p.rds, p.kind, p.targetIdentifier);
  if (existing) return adoptExisting(p, existing);
  const copyStartedAt = p.requestedAt.toISOString();
  const tags = [...p.tags, { Key: TAGS.COPY_REQUESTED_AT, Value: copyStartedAt }];
  await p.slot?.acquire();
  try {
    if (p.kind === 'cluster') {
      const out = await p.rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: p.sourceIdentifier,
          TargetDBClusterSnapshotIdentifier: p.targetIdentifier,
          KmsKeyId: p.kmsKeyId,
          Tags: tags,
        }),
      );
      if (!out.DBClusterSnapshot) throw new Error('CopyDBClusterSnapshot returned no DBClusterSnapshot');
      return { record: fromDbClusterSnapshot(out.DBClusterSnapshot), created: true, copyStartedAt };
    }
    const out = await p.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: p.sourceIdentifier,
        TargetDBSnapshotIdentifier: p.targetIdentifier,
        KmsKeyId: p.kmsKeyId,
        Tags: tags,
        ...(p.optionGroupName !== undefined && { OptionGroupName: p.optionGroupName }),
      }),
    );
    if (!out.DBSnapshot) throw new Error('CopyDBSnapshot returned no DBSnapshot');
    return { record: fromDbSnapshot(out.DBSnapshot), created: true, copyStartedAt };
  } catch (err) {
    // A release that fails is left to the lease: never hide the copy error behind it.
    if (!isSnapshotAlreadyExists(err, p.kind)) await p.slot?.release().catch(() => undefined);
    if (isSnapshotAlreadyExists(err, p.kind)) {
      const raced = await describeSnapshot(p.rds, p.kind, p.targetIdentifier);
      if (raced) return adoptExisting(p, raced);
      throw err;
    }
    if (isAwsError(err, 'KMSKeyNotAccessibleFault')) throw p.kmsError(err);
    const og = isAwsError(err, 'InvalidParameterValue') ? /requires a target option group with the following options: \[([^\]]*)\]/.exec(err.message) : null;
    if (og && p.optionGroupError) throw p.optionGroupError(err as Error, (og[1] ?? '').split(',').map((o) => o.trim()).filter((o) => o !== ''));
    if (isAwsError(err, 'SnapshotQuotaExceeded') && isCopyLimitMessage(err.message)) {
      const limit = p.kind === 'cluster' ? 5 : 20;
      throw new CopySlotsBusy(
        `RDS refused to start the ${snapshotNoun(p.kind)} copy ${p.targetIdentifier} in account ${p.destination.accountId} Region ${p.destination.region}: ` +
          `the destination already has its maximum of ${snapshotNoun(p.kind)} copies in progress (RDS: ${err.message}; default ${limit} per account and Region, ` +
          'docs/aws-behaviour.md §11). The state machine retries this for hours as copies finish. The copy slot table admitted it, so copies that ' +
          'rds-snapshot-vault does not make (another tool, by hand) hold slots there: lower concurrency.copySlots for that kind to leave room for them, ' +
          'or spread the schedules. This is not the manual snapshot quota.',
        { cause: err },
      );
    }
    if (isAwsError(err, 'SnapshotQuotaExceeded')) {
      throw new SnapshotQuotaExceeded(
        `The manual ${snapshotNoun(p.kind)} quota of account ${p.destination.accountId} in Region ${p.destination.region} is reached ` +
          `(default 100). Raise the RDS quota "Manual ${p.kind === 'cluster' ? 'cluster ' : 'DB instance '}snapshots" in Service Quotas, or lower the retention (keepLast/maxAgeDays).`,
        { cause: err },
      );
    }
    if (isSnapshotNotFound(err, p.kind)) {
      throw new SnapshotNotFound(
        `Source ${snapshotNoun(p.kind)} ${p.sourceIdentifier} was not found by account ${p.destination.accountId} in Region ${p.destination.region}: ` +
          'it was deleted (automated snapshots expire) or, for a cross-account copy, it is not shared with that account. Re-run the backup.',
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Whether a SnapshotQuotaExceeded message is RDS's copies-in-progress limit ("Cannot copy more than
 * 5 snapshots across regions", docs/aws-behaviour.md §11) rather than the manual snapshot quota
 * (§12), which shares the error code.
 */
export function isCopyLimitMessage(message: string): boolean {
  return /\bcop(y|ies)\b/i.test(message) && !/\bmanual\b/i.test(message);
}

/**
 * Deletes a manual snapshot (DeleteDBSnapshot / DeleteDBClusterSnapshot).
 * @returns false when it was already gone (not found), true when deleted.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSnapshot.html
 */
export async function deleteSnapshot(rds: RDSClient, kind: DatabaseKind, identifier: string): Promise<boolean> {
  try {
    if (kind === 'cluster') await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: identifier }));
    else await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: identifier }));
    return true;
  } catch (err) {
    if (isSnapshotNotFound(err, kind)) return false;
    throw err;
  }
}
