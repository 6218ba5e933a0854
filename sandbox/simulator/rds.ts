/**
 * The simulated Amazon RDS: DB instances, DB clusters, DB snapshots and DB cluster snapshots of
 * every account and Region, and the RDS API operations rds-snapshot-vault uses. Enforces the rules
 * in docs/aws-behaviour.md (rule numbers in comments).
 *
 * Copy status is computed lazily from the virtual clock (see copy-model.ts).
 * API reference: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/Welcome.html
 */
import { randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock';
import { requireIdentity, type CallContext } from './context';
import { copyDurationSeconds, scheduleCopies, transferPercent, type CopyShape } from './copy-model';
import { rdsError, SandboxUsageError } from './errors';
import type { PutEventInput } from './events';
import type { IamStore, Principal } from './identity';
import { KmsStore, SOURCE_KEY_ACTIONS, TARGET_KEY_ACTIONS, type KmsKeyRecord } from './kms';

/** `instance` = DB instance / DB snapshot; `cluster` = DB cluster / DB cluster snapshot. */
export type RdsKind = 'instance' | 'cluster';

/** Input of `createDbInstance` / `createDbCluster`. */
export interface CreateDatabaseInput {
  readonly accountId: string;
  readonly region: string;
  /** DBInstanceIdentifier / DBClusterIdentifier (stored lower-case). */
  readonly identifier: string;
  /** e.g. `postgres`, `mysql`, `aurora-postgresql`. */
  readonly engine: string;
  /** GiB; also the size of its snapshots. */
  readonly allocatedStorageGiB: number;
  readonly storageEncrypted: boolean;
  /** KMS key ARN; when encrypted and omitted: the account's `aws/rds` key in that Region. */
  readonly kmsKeyId?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * DB instances only: the Aurora DB cluster this instance is a member of (must exist in the same
   * account/Region). DescribeDBInstances then reports `DBClusterIdentifier` and the cluster lists the
   * instance in `DBClusterMembers` (the first member is the writer). Cluster members have no DB
   * snapshots of their own (Aurora backs up at cluster level).
   */
  readonly dbClusterIdentifier?: string;
  /**
   * DB instances only: the option group the instance (and its DB snapshots) uses; must exist in the
   * account/Region (see `createOptionGroup`) for the same engine. Default: `default:<engine>`, an
   * option group with no options (created on first use). Rule 15a.
   */
  readonly optionGroupName?: string;
}

/** One option of an option group (rule 15a). */
export interface OptionGroupOption {
  /** e.g. `TDE`, `Timezone`, `OLS`, `TDE_SQLServer`. */
  readonly name: string;
  /** A permanent option can never be removed from the option group (Oracle TDE). */
  readonly permanent?: boolean;
  /** A persistent option cannot be removed while a DB instance uses the group (SQL Server TDE, Oracle Timezone). */
  readonly persistent?: boolean;
}

/** Input of `createOptionGroup`. */
export interface CreateOptionGroupInput {
  readonly accountId: string;
  readonly region: string;
  /** OptionGroupName: 1-255 letters, digits, hyphens (stored lower-case). */
  readonly name: string;
  /** EngineName, e.g. `oracle-ee`, `sqlserver-se`, `mysql`. */
  readonly engine: string;
  /** MajorEngineVersion, e.g. `19`. @default '1' */
  readonly majorEngineVersion?: string;
  readonly options?: readonly OptionGroupOption[];
}

/** Sandbox-side view of a snapshot (status and progress computed at clock now). */
export interface SnapshotRecordView {
  readonly identifier: string;
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly kind: RdsKind;
  readonly snapshotType: 'automated' | 'manual';
  /** `creating` | `available` | `failed`. */
  readonly status: string;
  /** 0-100. */
  readonly percentProgress: number;
  readonly encrypted: boolean;
  /** KMS key ARN; absent when unencrypted. */
  readonly kmsKeyId?: string;
  readonly sizeGiB: number;
  readonly engine: string;
  /**
   * When the snapshot was created, ISO-8601 UTC (for a copy: when the copy was requested). The
   * sandbox view always has it; the API leaves SnapshotCreateTime out until `available` (rule 13).
   */
  readonly createTime: string;
  readonly dbIdentifier: string;
  readonly tags: Record<string, string>;
  /** Account ids (or `all`) in the `restore` attribute. */
  readonly sharedWith: string[];
  /** ARN of the snapshot this one was copied from (copies only). */
  readonly sourceArn?: string;
  /** When the copy started transferring (left the queue), ISO-8601 UTC (copies only, once started). */
  readonly copyStartedAt?: string;
  /** DB snapshots only: the option group name and its options as the snapshot carries them (rule 15a). */
  readonly optionGroupName?: string;
  readonly options?: readonly OptionGroupOption[];
}

/** Per account/Region limits (rules 2, 11, 12). */
export interface RdsQuota {
  /** Manual DB snapshots per account/Region (default 100). */
  manualDbSnapshots: number;
  /** Manual DB cluster snapshots per account/Region (default 100). */
  manualDbClusterSnapshots: number;
  /**
   * DB snapshot copies in progress per destination account/Region; a CopyDBSnapshot beyond it is
   * rejected at once with `SnapshotQuotaExceeded` (default 20, rule 11).
   */
  concurrentDbSnapshotCopies: number;
  /** DB cluster snapshot copies in progress per destination account/Region; beyond it CopyDBClusterSnapshot is rejected (default 5, rule 11). */
  concurrentDbClusterSnapshotCopies: number;
  /** Accounts a manual snapshot can be shared with (default 20). */
  sharedAccountsPerSnapshot: number;
  /** Export tasks STARTING/IN_PROGRESS at once per account/Region (default 5, rule 16). */
  concurrentExportTasks: number;
}

const DEFAULT_QUOTA: RdsQuota = {
  manualDbSnapshots: 100,
  manualDbClusterSnapshots: 100,
  concurrentDbSnapshotCopies: 20,
  concurrentDbClusterSnapshotCopies: 5,
  sharedAccountsPerSnapshot: 20,
  concurrentExportTasks: 5,
};

interface DatabaseRecord {
  readonly accountId: string;
  readonly region: string;
  readonly identifier: string;
  readonly kind: RdsKind;
  readonly engine: string;
  readonly allocatedStorageGiB: number;
  readonly storageEncrypted: boolean;
  readonly kmsKeyId?: string;
  readonly tags: Map<string, string>;
  readonly arn: string;
  readonly createTime: Date;
  readonly resourceId: string;
  /** Instances that are Aurora cluster members: the cluster identifier (lower-case). */
  readonly dbClusterIdentifier?: string;
  /** DB instances: option group name (lower-case) in the same account/Region. */
  readonly optionGroupName?: string;
}

interface OptionGroupRecord {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly engine: string;
  readonly majorEngineVersion: string;
  readonly options: readonly OptionGroupOption[];
  readonly arn: string;
}

interface CopyInfo {
  readonly requestedAtMs: number;
  readonly durationSeconds: number;
  readonly crossRegion: boolean;
  readonly crossAccount: boolean;
  readonly sourceArn: string;
  readonly sourceRegion: string;
  /** The source database (`<acct>/<region>/<kind>/<db id>`): copies of one source DB run one after another (rule 11). */
  readonly sourceDbKey: string;
  /** Seconds RDS holds the copy in its queue (0%, no progress) before it may start (`queued-then-jump` shape; 0 for steady). */
  readonly queuedSeconds: number;
}

/** Which copies a {@link SandboxRds.setCopyShape} rule applies to (the copy being requested). */
export interface CopyShapeTarget {
  /** Target identifier (lower-case). */
  readonly identifier: string;
  /** The source database's identifier. */
  readonly dbIdentifier: string;
  /** Destination account and Region. */
  readonly accountId: string;
  readonly region: string;
  readonly kind: RdsKind;
  readonly crossRegion: boolean;
}

interface SnapshotRecord {
  readonly seq: number;
  readonly accountId: string;
  readonly region: string;
  readonly kind: RdsKind;
  readonly identifier: string;
  readonly arn: string;
  readonly snapshotType: 'automated' | 'manual';
  readonly dbIdentifier: string;
  readonly engine: string;
  readonly sizeGiB: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly createTimeMs: number;
  readonly originalCreateTimeMs: number;
  readonly dbCreateTime: Date;
  readonly resourceId: string;
  readonly tags: Map<string, string>;
  readonly sharedWith: Set<string>;
  readonly copy?: CopyInfo;
  /** DB snapshots: the option group name and the options the snapshot carries (rule 15a). */
  readonly optionGroupName?: string;
  readonly options: readonly OptionGroupOption[];
  failedAtMs?: number;
  stalledAtMs?: number;
  deletedAtMs?: number;
}

interface KindSpec {
  readonly arnType: 'snapshot' | 'cluster-snapshot';
  readonly dbArnType: 'db' | 'cluster';
  readonly label: 'DBSnapshot' | 'DBClusterSnapshot';
  readonly notFound: 'DBSnapshotNotFoundFault' | 'DBClusterSnapshotNotFoundFault';
  readonly alreadyExists: 'DBSnapshotAlreadyExistsFault' | 'DBClusterSnapshotAlreadyExistsFault';
  readonly invalidState: 'InvalidDBSnapshotStateFault' | 'InvalidDBClusterSnapshotStateFault';
  readonly dbNotFound: 'DBInstanceNotFoundFault' | 'DBClusterNotFoundFault';
  readonly tagKeyPrefix: 'rds:snapshot-tag/' | 'rds:cluster-snapshot-tag/';
  /** Max TargetDB(Cluster)SnapshotIdentifier length. */
  readonly maxIdLength: number;
}

const SPEC: Record<RdsKind, KindSpec> = {
  instance: {
    arnType: 'snapshot',
    dbArnType: 'db',
    label: 'DBSnapshot',
    notFound: 'DBSnapshotNotFoundFault',
    alreadyExists: 'DBSnapshotAlreadyExistsFault',
    invalidState: 'InvalidDBSnapshotStateFault',
    dbNotFound: 'DBInstanceNotFoundFault',
    tagKeyPrefix: 'rds:snapshot-tag/',
    maxIdLength: 255,
  },
  cluster: {
    arnType: 'cluster-snapshot',
    dbArnType: 'cluster',
    label: 'DBClusterSnapshot',
    notFound: 'DBClusterSnapshotNotFoundFault',
    alreadyExists: 'DBClusterSnapshotAlreadyExistsFault',
    invalidState: 'InvalidDBClusterSnapshotStateFault',
    dbNotFound: 'DBClusterNotFoundFault',
    tagKeyPrefix: 'rds:cluster-snapshot-tag/',
    maxIdLength: 63,
  },
};

const RDS_ARN = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):(db|cluster|snapshot|cluster-snapshot):(.+)$/;

/** Parses an RDS ARN `arn:aws:rds:<region>:<acct>:<type>:<id>`; undefined when it is not one. */
export function parseRdsArn(arn: string): { region: string; accountId: string; type: 'db' | 'cluster' | 'snapshot' | 'cluster-snapshot'; id: string } | undefined {
  const m = RDS_ARN.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, accountId: m[2]!, type: m[3] as 'db', id: m[4]! };
}

/**
 * Rule 10: 1-`max` letters, digits and hyphens, starting with a letter, no trailing hyphen, no `--`.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html
 */
export function isValidSnapshotIdentifier(id: string, max = 255): boolean {
  return id.length >= 1 && id.length <= max && /^[A-Za-z][A-Za-z0-9-]*$/.test(id) && !id.endsWith('-') && !id.includes('--');
}

const invalidIdentifierMessage = (param: string) =>
  `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`;

type Tag = { Key?: string; Value?: string };

/** Rule 15b: the characters RDS allows in tag keys and values. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}\s_.:/=+\-@]*$/u;

function tagList(tags: Map<string, string>): Array<{ Key: string; Value: string }> {
  return [...tags.entries()].map(([Key, Value]) => ({ Key, Value }));
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `rds:<db>-<yyyy-mm-dd-hh-mm>` (UTC). */
export function automatedSnapshotIdentifier(dbIdentifier: string, at: Date): string {
  return `rds:${dbIdentifier}-${at.getUTCFullYear()}-${pad2(at.getUTCMonth() + 1)}-${pad2(at.getUTCDate())}-${pad2(at.getUTCHours())}-${pad2(at.getUTCMinutes())}`;
}

/** Everything RDS in every account and Region. */
export class RdsStore {
  private readonly databases = new Map<string, DatabaseRecord>();
  /** Live snapshots by ARN. */
  private readonly snapshots = new Map<string, SnapshotRecord>();
  /** Every copy ever requested (also deleted ones), per destination bucket `<acct>/<region>/<kind>`. */
  private readonly copyHistory = new Map<string, SnapshotRecord[]>();
  /**
   * The same copies by destination and source DB (`<destination>|<sourceDbKey>`): the copies that
   * queue behind each other ({@link RdsStore.status}), so a copy's status costs the copies of its own
   * database, not of the whole destination (1,000 databases at once: issue 12).
   */
  private readonly copiesBySource = new Map<string, SnapshotRecord[]>();
  private readonly quotas = new Map<string, Partial<RdsQuota>>();
  /** Option groups by `<acct>/<region>/<name lower-case>` (rule 15a). */
  private readonly optionGroups = new Map<string, OptionGroupRecord>();
  private seq = 0;
  private copyShapes: Array<{ readonly match: (c: CopyShapeTarget) => boolean; readonly shape: CopyShape; readonly durationSeconds?: number }> = [];
  private crossAccountCrossRegionClusterCopy = true;
  private emitEvent: (e: PutEventInput) => void = () => {};

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
    private readonly kms: KmsStore,
  ) {}

  /** Where RDS events go (the sandbox wires EventBridge's default bus here). */
  setEventSink(sink: (e: PutEventInput) => void): void {
    this.emitEvent = sink;
  }

  // ------------------------------------------------------------------ sandbox set-up API

  /**
   * Creates a DB instance (available at once).
   * @throws `DBInstanceAlreadyExistsFault` when the identifier exists in that account/Region;
   *   `DBClusterNotFoundFault` for an unknown `dbClusterIdentifier`; SandboxUsageError for an unknown kmsKeyId
   */
  createDbInstance(db: CreateDatabaseInput): void {
    this.createDatabase(db, 'instance');
  }

  /**
   * Creates an option group in an account/Region (rule 15a), like CreateOptionGroup followed by
   * ModifyOptionGroup adding `options`.
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithOptionGroups.html
   * @returns the option group ARN
   * @throws `OptionGroupAlreadyExistsFault`; SandboxUsageError for an invalid name
   */
  createOptionGroup(og: CreateOptionGroupInput): string {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,254}$/.test(og.name) || og.name.endsWith('-') || og.name.includes('--')) {
      throw new SandboxUsageError(`createOptionGroup: invalid option group name ${og.name}`);
    }
    const key = `${og.accountId}/${og.region}/${og.name.toLowerCase()}`;
    if (this.optionGroups.has(key)) throw rdsError('OptionGroupAlreadyExistsFault', `Option group ${og.name} already exists.`);
    return this.putOptionGroup(og);
  }

  /** Creates a DB cluster (Aurora; available at once). @throws `DBClusterAlreadyExistsFault`; SandboxUsageError */
  createDbCluster(db: CreateDatabaseInput): void {
    this.createDatabase(db, 'cluster');
  }

  /**
   * Deletes a database and its automated snapshots (AWS default when automated backups are not
   * retained). Copies still reading from a deleted automated snapshot fail (rule 14).
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html
   * @throws SandboxUsageError when the database does not exist
   */
  deleteDatabase(accountId: string, region: string, identifier: string, kind: RdsKind): void {
    const arn = this.dbArn(accountId, region, kind, identifier.toLowerCase());
    const db = this.databases.get(arn);
    if (!db) throw new SandboxUsageError(`deleteDatabase: ${kind} ${identifier} does not exist in ${accountId}/${region}`);
    this.databases.delete(arn);
    for (const s of [...this.snapshots.values()]) {
      if (s.accountId === accountId && s.region === region && s.kind === kind && s.snapshotType === 'automated' && s.dbIdentifier === db.identifier) this.removeSnapshot(s);
    }
  }

  /**
   * Adds an automated snapshot `rds:<db>-<yyyy-mm-dd-hh-mm>` of a database, `available` at once,
   * SnapshotCreateTime = `at` (default clock now), size/engine/encryption of the database. Unless
   * `opts.emitEvent` is false, RDS puts the "automated snapshot created" event on the account/Region's
   * default EventBridge bus (time = `at`):
   * DB instance: detail-type `RDS DB Snapshot Event`, SourceType `SNAPSHOT`, EventID `RDS-EVENT-0091`,
   * EventCategories `['creation']`, Message `Automated snapshot created.`;
   * DB cluster: detail-type `RDS DB Cluster Snapshot Event`, SourceType `CLUSTER_SNAPSHOT`, EventID
   * `RDS-EVENT-0169`, EventCategories `['backup']`, Message `Automated cluster snapshot created.`;
   * detail also has SourceArn, SourceIdentifier (`rds:...`), Date (ISO-8601 UTC with ms), Tags;
   * resources = [snapshot ARN].
   * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.Messages.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloud-watch-events.html
   * @returns `{ identifier, arn }`
   * @throws SandboxUsageError when the database does not exist or is an Aurora cluster member;
   *   `DBSnapshotAlreadyExistsFault` / `DBClusterSnapshotAlreadyExistsFault` when one exists for that minute
   */
  createAutomatedSnapshot(s: { accountId: string; region: string; dbIdentifier: string; kind: RdsKind; at?: Date }, opts: { emitEvent?: boolean } = {}): { identifier: string; arn: string } {
    const db = this.mustGetDb(s.accountId, s.region, s.kind, s.dbIdentifier);
    this.rejectClusterMember(db, 'createAutomatedSnapshot');
    const at = s.at ?? this.clock.now();
    const identifier = automatedSnapshotIdentifier(db.identifier, at);
    const created = this.addSnapshotOf(db, identifier, 'automated', at, new Map());
    if (opts.emitEvent !== false) {
      const cluster = db.kind === 'cluster';
      this.emitEvent({
        accountId: db.accountId,
        region: db.region,
        source: 'aws.rds',
        detailType: cluster ? 'RDS DB Cluster Snapshot Event' : 'RDS DB Snapshot Event',
        time: at,
        resources: [created.arn],
        detail: {
          EventCategories: [cluster ? 'backup' : 'creation'],
          SourceType: cluster ? 'CLUSTER_SNAPSHOT' : 'SNAPSHOT',
          SourceArn: created.arn,
          Date: at.toISOString(),
          Message: cluster ? 'Automated cluster snapshot created.' : 'Automated snapshot created.',
          SourceIdentifier: created.identifier,
          EventID: cluster ? 'RDS-EVENT-0169' : 'RDS-EVENT-0091',
          Tags: Object.fromEntries(this.snapshots.get(created.arn)!.tags),
        },
      });
    }
    return created;
  }

  /**
   * Adds a manual snapshot of a database, `available` at once (for tests that need existing manual
   * snapshots, e.g. retention). Counts toward the manual snapshot quota.
   * @param s.identifier valid snapshot identifier (rule 10)
   * @param s.at SnapshotCreateTime (default clock now)
   * @returns `{ identifier, arn }`
   * @throws SandboxUsageError (unknown database / invalid identifier); `DBSnapshotAlreadyExistsFault` /
   *   `DBClusterSnapshotAlreadyExistsFault`
   */
  createManualSnapshot(s: { accountId: string; region: string; dbIdentifier: string; kind: RdsKind; identifier: string; at?: Date; tags?: Readonly<Record<string, string>> }): { identifier: string; arn: string } {
    const db = this.mustGetDb(s.accountId, s.region, s.kind, s.dbIdentifier);
    this.rejectClusterMember(db, 'createManualSnapshot');
    if (!isValidSnapshotIdentifier(s.identifier, SPEC[s.kind].maxIdLength)) throw new SandboxUsageError(`createManualSnapshot: invalid identifier ${s.identifier}`);
    return this.addSnapshotOf(db, s.identifier.toLowerCase(), 'manual', s.at ?? this.clock.now(), new Map(Object.entries(s.tags ?? {})));
  }

  /** Every live snapshot in an account/Region, oldest first, status/progress at clock now. */
  listSnapshots(accountId: string, region: string): SnapshotRecordView[] {
    return [...this.snapshots.values()].filter((s) => s.accountId === accountId && s.region === region).map((s) => this.view(s));
  }

  /**
   * Every copy ever requested (failed and deleted ones included), for measurements (bench): where it
   * went, its kind, and its virtual times in epoch ms. `startedAtMs` is absent while it waits behind
   * another copy of the same source DB; `endedAtMs` is when it became available, failed or was
   * deleted (absent while still in progress). A copy occupies its destination's copy slot from
   * `requestedAtMs` to `endedAtMs` (rule 11).
   */
  copyLog(): Array<{ accountId: string; region: string; kind: RdsKind; dbIdentifier: string; sizeGiB: number; crossRegion: boolean; durationSeconds: number; requestedAtMs: number; startedAtMs?: number; endedAtMs?: number }> {
    const now = this.clock.nowMs();
    return [...this.copyHistory.values()].flat().map((s) => {
      const copy = s.copy!;
      const st = this.status(s);
      const term = Math.min(s.failedAtMs ?? Infinity, s.deletedAtMs ?? Infinity);
      const done = st.startMs !== undefined && s.stalledAtMs === undefined ? st.startMs + copy.durationSeconds * 1000 : Infinity;
      const end = Math.min(term, done);
      return {
        accountId: s.accountId,
        region: s.region,
        kind: s.kind,
        dbIdentifier: s.dbIdentifier,
        sizeGiB: s.sizeGiB,
        crossRegion: copy.crossRegion,
        durationSeconds: copy.durationSeconds,
        requestedAtMs: copy.requestedAtMs,
        ...(st.startMs !== undefined && { startedAtMs: st.startMs }),
        ...(end <= now && { endedAtMs: end }),
      };
    });
  }

  /** One live snapshot by ARN, or undefined. */
  getSnapshot(arn: string): SnapshotRecordView | undefined {
    const s = this.snapshots.get(arn);
    return s ? this.view(s) : undefined;
  }

  /** Changes quotas of one account/Region (rules 2, 11, 12). */
  setQuota(accountId: string, region: string, q: Partial<RdsQuota>): void {
    this.quotas.set(`${accountId}/${region}`, { ...(this.quotas.get(`${accountId}/${region}`) ?? {}), ...q });
  }

  /** The effective quotas of an account/Region. */
  quota(accountId: string, region: string): RdsQuota {
    return { ...DEFAULT_QUOTA, ...(this.quotas.get(`${accountId}/${region}`) ?? {}) };
  }

  /**
   * Rule 9: whether CopyDBClusterSnapshot accepts a source in another account AND another Region in
   * one step (current API reference: yes; older Aurora pages: no). Default true.
   */
  setCrossAccountCrossRegionClusterCopy(allowed: boolean): void {
    this.crossAccountCrossRegionClusterCopy = allowed;
  }

  /**
   * Sandbox option: copies requested from now on that `match` (every copy when absent) progress in
   * `shape` (copy-model.ts `CopyShape`), and, with `durationSeconds`, transfer for that long (whole
   * seconds, queue not included) instead of the size-based {@link copyDurationSeconds}. The last
   * matching rule wins; copies already requested keep their shape. Default: steady, size-based.
   * @throws RangeError for a negative or non-finite queuedSeconds or durationSeconds
   */
  setCopyShape(rule: { readonly match?: (c: CopyShapeTarget) => boolean; readonly shape: CopyShape; readonly durationSeconds?: number }): void {
    const bad = (v: number | undefined) => v !== undefined && !(Number.isFinite(v) && v >= 0);
    if (bad(rule.durationSeconds) || (rule.shape.kind === 'queued-then-jump' && bad(rule.shape.queuedSeconds))) {
      throw new RangeError(`setCopyShape: queuedSeconds and durationSeconds must be finite and >= 0`);
    }
    this.copyShapes.push({ match: rule.match ?? (() => true), shape: rule.shape, ...(rule.durationSeconds !== undefined && { durationSeconds: Math.round(rule.durationSeconds) }) });
  }

  /** Forgets every {@link setCopyShape} rule (later copies are steady and size-based again). */
  clearCopyShapes(): void {
    this.copyShapes = [];
  }

  private copyShapeOf(c: CopyShapeTarget): { shape: CopyShape; durationSeconds?: number } {
    for (let i = this.copyShapes.length - 1; i >= 0; i--) {
      const r = this.copyShapes[i]!;
      if (r.match(c)) return r;
    }
    return { shape: { kind: 'steady' } };
  }

  /** Forces a snapshot to `failed` from now on (fault tests). @throws SandboxUsageError for an unknown ARN */
  failSnapshot(arn: string): void {
    const s = this.mustGetSnapshot(arn);
    if (s.failedAtMs === undefined) s.failedAtMs = this.clock.nowMs();
  }

  /** Forces a snapshot to stay `creating` forever, progress frozen (fault tests). @throws SandboxUsageError */
  stallSnapshot(arn: string): void {
    const s = this.mustGetSnapshot(arn);
    if (s.stalledAtMs === undefined) s.stalledAtMs = this.clock.nowMs();
  }

  // ------------------------------------------------------------------ API: describe

  /**
   * DescribeDBInstances. Input: DBInstanceIdentifier (name or ARN), Filters (`db-instance-id`,
   * `db-cluster-id`, `engine`; names or ARNs), MaxRecords (20-100, default 100), Marker. Each
   * DBInstance carries `TagList` and, for Aurora cluster members, `DBClusterIdentifier`.
   * @throws `DBInstanceNotFoundFault`, `InvalidParameterValue` (MaxRecords/Marker/unknown filter), `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html
   */
  describeDbInstances(input: { DBInstanceIdentifier?: string; MaxRecords?: number; Marker?: string; Filters?: Array<{ Name?: string; Values?: string[] }> }, ctx: CallContext): Record<string, unknown> {
    return this.describeDatabases('instance', input.DBInstanceIdentifier, input, ctx);
  }

  /**
   * DescribeDBClusters, like describeDbInstances (Filters `db-cluster-id`, `engine`); each DBCluster
   * carries `TagList` and `DBClusterMembers` (`{ DBInstanceIdentifier, IsClusterWriter }`).
   * @throws `DBClusterNotFoundFault`, `InvalidParameterValue`, `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html
   */
  describeDbClusters(input: { DBClusterIdentifier?: string; MaxRecords?: number; Marker?: string; Filters?: Array<{ Name?: string; Values?: string[] }> }, ctx: CallContext): Record<string, unknown> {
    return this.describeDatabases('cluster', input.DBClusterIdentifier, input, ctx);
  }

  /**
   * DescribeDBSnapshots / DescribeDBClusterSnapshots (rule 15).
   * Input: DB(Cluster)SnapshotIdentifier (name, or ARN — also of a snapshot shared by another
   * account), DBInstanceIdentifier / DBClusterIdentifier, SnapshotType (`automated` | `manual` |
   * `shared` | `public`), IncludeShared, IncludePublic, Filters (`db-instance-id` / `db-cluster-id`,
   * `db-snapshot-id` / `db-cluster-snapshot-id`, `snapshot-type`, `engine`), MaxRecords 20-100
   * (default 100), Marker. Shared snapshots of other accounts appear only with SnapshotType=shared
   * or IncludeShared=true (or when named by ARN); they show the ARN as identifier and
   * SnapshotType `shared`.
   * @throws `DBSnapshotNotFoundFault` / `DBClusterSnapshotNotFoundFault` (identifier given, not found),
   *   `InvalidParameterValue` (MaxRecords outside 20-100, bad Marker), `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html
   */
  describeSnapshots(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const spec = SPEC[kind];
    const maxRecords = this.maxRecords(input.MaxRecords);
    const idParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier';
    const dbParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier';
    const snapshotId = input[idParam] as string | undefined;
    const dbId = input[dbParam] as string | undefined;
    const filters = (input.Filters as Array<{ Name?: string; Values?: string[] }> | undefined) ?? [];
    const filterValues = (name: string) => filters.find((f) => f.Name === name)?.Values?.map((v) => v.toLowerCase());
    const snapshotType = ((input.SnapshotType as string | undefined) ?? filterValues('snapshot-type')?.[0])?.toLowerCase();
    const includeShared = input.IncludeShared === true;
    const includePublic = input.IncludePublic === true;

    const resource = snapshotId
      ? this.snapshotArnFromInput(kind, snapshotId, ctx)
      : dbId
        ? (dbId.startsWith('arn:') ? dbId : this.dbArn(ctx.accountId, ctx.region, kind, dbId.toLowerCase()))
        : `arn:aws:rds:${ctx.region}:${ctx.accountId}:${spec.arnType}:*`;
    requireIdentity(this.iam, ctx, { action: kind === 'instance' ? 'rds:DescribeDBSnapshots' : 'rds:DescribeDBClusterSnapshots', resource });

    let candidates: SnapshotRecord[];
    if (snapshotId) {
      const found = this.findVisible(kind, snapshotId, ctx);
      if (!found) throw rdsError(spec.notFound, `${spec.label} not found: ${snapshotId}`);
      // Rule 15: an automated snapshot described by identifier needs SnapshotType=automated (API
      // reference: "If this identifier is for an automated snapshot, the SnapshotType parameter must
      // also be specified"). By ARN too: the stricter reading (AWS does not say that an ARN lifts it).
      // An own snapshot whose type differs from a given SnapshotType is not found either (it is a filter).
      if (found.accountId === ctx.accountId && ((found.snapshotType === 'automated' && snapshotType !== 'automated') || (snapshotType !== undefined && (snapshotType === 'automated' || snapshotType === 'manual') && found.snapshotType !== snapshotType))) {
        throw rdsError(spec.notFound, `${spec.label} not found: ${snapshotId}`);
      }
      candidates = [found];
    } else {
      candidates = [...this.snapshots.values()].filter((s) => {
        if (s.kind !== kind || s.region !== ctx.region) return false;
        const own = s.accountId === ctx.accountId;
        const sharedWithMe = !own && s.sharedWith.has(ctx.accountId);
        const isPublic = !own && s.sharedWith.has('all');
        switch (snapshotType) {
          case 'automated':
            return own && s.snapshotType === 'automated';
          case 'manual':
            return own && s.snapshotType === 'manual';
          case 'shared':
            return sharedWithMe;
          case 'public':
            return isPublic;
          default:
            return own || (includeShared && sharedWithMe) || (includePublic && isPublic);
        }
      });
    }
    const dbFilter = dbId ? [dbId.startsWith('arn:') ? (parseRdsArn(dbId)?.id ?? dbId) : dbId] : filterValues(kind === 'instance' ? 'db-instance-id' : 'db-cluster-id');
    const idFilter = filterValues(kind === 'instance' ? 'db-snapshot-id' : 'db-cluster-snapshot-id');
    const engineFilter = filterValues('engine');
    const rows = candidates
      .filter((s) => !dbFilter || dbFilter.some((d) => d.toLowerCase() === s.dbIdentifier || d.toLowerCase() === this.dbArn(s.accountId, s.region, kind, s.dbIdentifier)))
      .filter((s) => !idFilter || idFilter.includes(s.identifier) || idFilter.includes(s.arn.toLowerCase()))
      .filter((s) => !engineFilter || engineFilter.includes(s.engine))
      .sort((a, b) => a.seq - b.seq);
    const { page, marker } = this.paginate(rows, maxRecords, input.Marker as string | undefined);
    const items = page.map((s) => (kind === 'instance' ? this.toDbSnapshot(s, ctx.accountId) : this.toDbClusterSnapshot(s, ctx.accountId)));
    return kind === 'instance' ? { DBSnapshots: items, ...(marker ? { Marker: marker } : {}) } : { DBClusterSnapshots: items, ...(marker ? { Marker: marker } : {}) };
  }

  /** Manual snapshots of one kind that an account owns in a Region (copies in progress included): the rule 12 count. */
  private manualSnapshotCount(accountId: string, region: string, kind: RdsKind): number {
    return [...this.snapshots.values()].filter((s) => s.accountId === accountId && s.region === region && s.kind === kind && s.snapshotType === 'manual').length;
  }

  /**
   * DescribeAccountAttributes (no parameters): the caller's RDS quotas in its account and Region as
   * `AccountQuotas: [{ AccountQuotaName, Used, Max }]`. The sandbox reports the two manual snapshot
   * quotas under AWS's names, `ManualSnapshots` (manual DB instance snapshots) and
   * `ManualClusterSnapshots` (manual DB cluster snapshots), Used = the count the copy check applies
   * (rule 12; failed copies included, the stricter reading of AWS's "excludes invalid snapshots").
   * AWS lists more quotas (DBInstances, AllocatedStorage, ...); callers must find theirs by name.
   * @throws `AccessDenied` without rds:DescribeAccountAttributes (an action with no resource type: `*`)
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeAccountAttributes.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AccountQuota.html
   */
  describeAccountAttributes(_input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    requireIdentity(this.iam, ctx, { action: 'rds:DescribeAccountAttributes', resource: '*' });
    const q = this.quota(ctx.accountId, ctx.region);
    return {
      AccountQuotas: [
        { AccountQuotaName: 'ManualSnapshots', Used: this.manualSnapshotCount(ctx.accountId, ctx.region, 'instance'), Max: q.manualDbSnapshots },
        { AccountQuotaName: 'ManualClusterSnapshots', Used: this.manualSnapshotCount(ctx.accountId, ctx.region, 'cluster'), Max: q.manualDbClusterSnapshots },
      ],
    };
  }

  /**
   * DescribeOptionGroups (rule 15a). Input: OptionGroupName, EngineName, MajorEngineVersion (needs
   * EngineName), MaxRecords 20-100 (default 100), Marker. Each OptionGroup has OptionGroupName,
   * EngineName, MajorEngineVersion, OptionGroupArn and Options (`{ OptionName, Permanent, Persistent }`).
   * @throws `OptionGroupNotFoundFault` (OptionGroupName given, not found), `InvalidParameterCombination`
   *   (MajorEngineVersion without EngineName), `InvalidParameterValue` (MaxRecords/Marker), `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOptionGroups.html
   */
  describeOptionGroups(input: { OptionGroupName?: string; EngineName?: string; MajorEngineVersion?: string; MaxRecords?: number; Marker?: string }, ctx: CallContext): Record<string, unknown> {
    const maxRecords = this.maxRecords(input.MaxRecords);
    const resource = input.OptionGroupName
      ? `arn:aws:rds:${ctx.region}:${ctx.accountId}:og:${input.OptionGroupName.toLowerCase()}`
      : `arn:aws:rds:${ctx.region}:${ctx.accountId}:og:*`;
    requireIdentity(this.iam, ctx, { action: 'rds:DescribeOptionGroups', resource });
    if (input.MajorEngineVersion !== undefined && input.EngineName === undefined) {
      throw rdsError('InvalidParameterCombination', 'If MajorEngineVersion is supplied, EngineName must also be supplied.');
    }
    let rows = [...this.optionGroups.values()].filter((g) => g.accountId === ctx.accountId && g.region === ctx.region);
    if (input.OptionGroupName !== undefined) {
      rows = rows.filter((g) => g.name === input.OptionGroupName!.toLowerCase());
      if (rows.length === 0) throw rdsError('OptionGroupNotFoundFault', `Specified OptionGroupName: ${input.OptionGroupName} not found.`);
    }
    if (input.EngineName !== undefined) rows = rows.filter((g) => g.engine === input.EngineName!.toLowerCase());
    if (input.MajorEngineVersion !== undefined) rows = rows.filter((g) => g.majorEngineVersion === input.MajorEngineVersion);
    const { page, marker } = this.paginate(rows, maxRecords, input.Marker);
    return {
      OptionGroupsList: page.map((g) => ({
        OptionGroupName: g.name,
        OptionGroupDescription: `option group ${g.name}`,
        EngineName: g.engine,
        MajorEngineVersion: g.majorEngineVersion,
        OptionGroupArn: g.arn,
        AllowsVpcAndNonVpcInstanceMemberships: false,
        Options: g.options.map((o) => ({ OptionName: o.name, Permanent: o.permanent === true, Persistent: o.persistent === true, OptionSettings: [] })),
      })),
      ...(marker ? { Marker: marker } : {}),
    };
  }

  // ------------------------------------------------------------------ API: copy

  /**
   * CopyDBSnapshot / CopyDBClusterSnapshot. The client's Region is the destination (rule 8).
   * Input: Source/Target identifiers, KmsKeyId, CopyTags, Tags, SourceRegion (accepted), PreSignedUrl (ignored).
   * OptionGroupName (DB snapshots, rule 15a). The copy starts `creating` with PercentProgress 0 and no
   * SnapshotCreateTime (rule 13), waits behind earlier copies of the same source DB into the same
   * destination (rule 11) and, in the `queued-then-jump` shape ({@link setCopyShape}), in RDS's queue
   * with 0%, then progresses linearly for {@link copyDurationSeconds} and becomes `available`
   * (SnapshotCreateTime = when it was requested).
   * @throws `MissingParameter`; `InvalidParameterValue` (bad target identifier, rule 10; cross-Region
   *   encrypted copy without KmsKeyId; cluster copy with KmsKeyId of an unencrypted source, rule 7;
   *   cross-account cross-Region cluster copy when disabled, rule 9; reserved `aws:` tag keys);
   *   `DBSnapshotNotFoundFault` / `DBClusterSnapshotNotFoundFault` (unknown source, or another
   *   account's snapshot not given by ARN or not shared with the caller, rule 4);
   *   `InvalidDBSnapshotStateFault` / `InvalidDBClusterSnapshotStateFault` (source not available);
   *   `DBSnapshotAlreadyExistsFault` / `DBClusterSnapshotAlreadyExistsFault` (rule 10);
   *   `SnapshotQuotaExceededFault` (rule 12 "Cannot create more than N manual snapshots"; rule 11
   *   "Cannot copy more than N (cluster) snapshots ..." when the destination already has
   *   `concurrentDb(Cluster)SnapshotCopies` copies in progress); `OptionGroupNotFoundFault`,
   *   `InvalidParameterValue` "The snapshot requires a target option group with the following options: [...]"
   *   (rule 15a); invalid tags (rule 15b); `KMSKeyNotAccessibleFault` (rules 4, 6); `AccessDenied`.
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
   */
  copySnapshot(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const spec = SPEC[kind];
    const sourceParam = kind === 'instance' ? 'SourceDBSnapshotIdentifier' : 'SourceDBClusterSnapshotIdentifier';
    const targetParam = kind === 'instance' ? 'TargetDBSnapshotIdentifier' : 'TargetDBClusterSnapshotIdentifier';
    const sourceInput = input[sourceParam] as string | undefined;
    const targetInput = input[targetParam] as string | undefined;
    if (!sourceInput) throw rdsError('MissingParameter', `The request must contain the parameter ${sourceParam}`);
    if (!targetInput) throw rdsError('MissingParameter', `The request must contain the parameter ${targetParam}`);
    if (!isValidSnapshotIdentifier(targetInput, spec.maxIdLength)) throw rdsError('InvalidParameterValue', invalidIdentifierMessage(targetParam));
    const targetId = targetInput.toLowerCase();
    const targetArn = `arn:aws:rds:${ctx.region}:${ctx.accountId}:${spec.arnType}:${targetId}`;
    const tags = (input.Tags as Tag[] | undefined) ?? [];
    const kmsKeyInput = input.KmsKeyId as string | undefined;

    // Rule 4/8: a source in another account or Region must be named by ARN.
    const source = this.findCopySource(kind, sourceInput, ctx);
    if (!source) throw rdsError(spec.notFound, `${spec.label} not found: ${sourceInput}`);
    const crossAccount = source.accountId !== ctx.accountId;
    const crossRegion = source.region !== ctx.region;

    const action = kind === 'instance' ? 'rds:CopyDBSnapshot' : 'rds:CopyDBClusterSnapshot';
    const requestTags = this.requestTagContext(tags);
    requireIdentity(this.iam, ctx, { action, resource: source.arn, context: this.resourceTagContext(source, crossAccount) });
    requireIdentity(this.iam, ctx, { action, resource: targetArn, context: requestTags });
    if (tags.length > 0) requireIdentity(this.iam, ctx, { action: 'rds:AddTagsToResource', resource: targetArn, context: requestTags });
    this.validateTags(tags);

    const sourceStatus = this.status(source);
    if (sourceStatus.status !== 'available') {
      throw rdsError(spec.invalidState, `Snapshot ${source.identifier} is in state ${sourceStatus.status}; the source of a copy must be available.`);
    }
    if (this.snapshots.has(targetArn)) {
      throw rdsError(
        spec.alreadyExists,
        kind === 'instance'
          ? `Cannot create the snapshot because a snapshot with the identifier ${targetId} already exists.`
          : `Cannot create the cluster snapshot because one with the identifier ${targetId} already exists.`,
      );
    }
    const quota = this.quota(ctx.accountId, ctx.region);
    const limit = kind === 'instance' ? quota.manualDbSnapshots : quota.manualDbClusterSnapshots;
    const manualCount = this.manualSnapshotCount(ctx.accountId, ctx.region, kind);
    if (manualCount >= limit) {
      throw rdsError('SnapshotQuotaExceededFault', `Cannot create more than ${limit} manual ${kind === 'instance' ? 'snapshots' : 'cluster snapshots'}`);
    }
    // Rule 11: copies in progress per destination account/Region; one more is rejected at once, not
    // queued. Same wire code as rule 12 (the SDK names it SnapshotQuotaExceededFault); the message
    // tells them apart ("Cannot copy more than 5 snapshots across regions", pbudzon/aws-maintenance#19).
    // A copy waiting behind another copy of the same source DB is in progress too (stricter reading).
    const copyLimit = kind === 'instance' ? quota.concurrentDbSnapshotCopies : quota.concurrentDbClusterSnapshotCopies;
    const inProgress = (this.copyHistory.get(this.bucketKey({ accountId: ctx.accountId, region: ctx.region, kind })) ?? []).filter(
      (c) => c.deletedAtMs === undefined && this.status(c).status === 'creating',
    ).length;
    if (inProgress >= copyLimit) {
      throw rdsError(
        'SnapshotQuotaExceededFault',
        `Cannot copy more than ${copyLimit} ${kind === 'instance' ? 'snapshots' : 'cluster snapshots'} ${crossRegion ? 'across regions' : 'at the same time'}`,
      );
    }
    if (kind === 'cluster' && crossAccount && crossRegion && !this.crossAccountCrossRegionClusterCopy) {
      throw rdsError('InvalidParameterValue', 'You can only copy a shared DB cluster snapshot, whether encrypted or not, in the same AWS Region.');
    }

    // Encryption (rules 3, 4, 6, 7).
    let targetKey: KmsKeyRecord | undefined;
    if (!source.encrypted) {
      if (kmsKeyInput !== undefined && kind === 'cluster') {
        throw rdsError('InvalidParameterValue', 'You cannot encrypt an unencrypted DB cluster snapshot when you copy it. Do not specify KmsKeyId for an unencrypted source.');
      }
      if (kmsKeyInput !== undefined) targetKey = this.resolveTargetKey(kmsKeyInput, ctx);
    } else {
      if (kmsKeyInput === undefined) {
        if (crossRegion) throw rdsError('InvalidParameterValue', 'Must specify new KMS key for cross region encrypted snapshot copy.');
        if (crossAccount) throw rdsError('KMSKeyNotAccessibleFault', 'The target KMS key [None] does not exist, is not enabled or you do not have permissions to access it.');
        targetKey = this.kms.get(source.kmsKeyId!);
      } else {
        targetKey = this.resolveTargetKey(kmsKeyInput, ctx);
      }
      this.checkSourceKey(source, ctx.principal);
    }

    // Rule 15a: a cross-Region copy of a DB snapshot whose option group has options needs an
    // OptionGroupName of the destination account/Region for the same engine. Stricter reading: that
    // group must hold every option of the snapshot's group (AWS: "with the following options").
    let optionGroupName = source.optionGroupName;
    let options = source.options;
    const ogInput = input.OptionGroupName as string | undefined;
    if (ogInput !== undefined) {
      if (kind === 'cluster') throw rdsError('InvalidParameterValue', 'OptionGroupName is not supported for DB cluster snapshots.');
      // AWS's permission data lists only the `snapshot` resource type for CopyDBSnapshot, so the
      // option group is not authorised separately (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).
      const og = this.optionGroups.get(`${ctx.accountId}/${ctx.region}/${ogInput.toLowerCase()}`);
      if (!og) throw rdsError('OptionGroupNotFoundFault', `Specified OptionGroupName: ${ogInput} not found.`);
      if (og.engine !== source.engine.toLowerCase()) {
        throw rdsError('InvalidParameterValue', `The option group ${og.name} is for engine ${og.engine}, not ${source.engine}.`);
      }
      const missing = source.options.filter((o) => !og.options.some((t) => t.name.toLowerCase() === o.name.toLowerCase()));
      if (missing.length > 0) throw rdsError('InvalidParameterValue', `The snapshot requires a target option group with the following options: [${missing.map((o) => o.name).join(', ')}]`);
      optionGroupName = og.name;
      options = og.options;
    } else if (crossRegion && source.options.length > 0) {
      throw rdsError('InvalidParameterValue', `The snapshot requires a target option group with the following options: [${source.options.map((o) => o.name).join(', ')}]`);
    }

    const now = this.clock.nowMs();
    const shaped = this.copyShapeOf({ identifier: targetId, dbIdentifier: source.dbIdentifier, accountId: ctx.accountId, region: ctx.region, kind, crossRegion });
    const sourceTags = input.CopyTags === true && !crossAccount ? new Map(source.tags) : new Map<string, string>();
    for (const t of tags) if (t.Key) sourceTags.set(t.Key, t.Value ?? '');
    const rec: SnapshotRecord = {
      seq: ++this.seq,
      accountId: ctx.accountId,
      region: ctx.region,
      kind,
      identifier: targetId,
      arn: targetArn,
      snapshotType: 'manual',
      dbIdentifier: source.dbIdentifier,
      engine: source.engine,
      sizeGiB: source.sizeGiB,
      encrypted: targetKey !== undefined,
      ...(targetKey ? { kmsKeyId: targetKey.arn } : {}),
      createTimeMs: now,
      originalCreateTimeMs: source.originalCreateTimeMs,
      dbCreateTime: source.dbCreateTime,
      resourceId: source.resourceId,
      tags: sourceTags,
      sharedWith: new Set(),
      ...(optionGroupName !== undefined ? { optionGroupName } : {}),
      options,
      copy: {
        requestedAtMs: now,
        durationSeconds: shaped.durationSeconds ?? copyDurationSeconds({ sizeGiB: source.sizeGiB, kind, crossRegion }),
        crossRegion,
        crossAccount,
        sourceArn: source.arn,
        sourceRegion: source.region,
        sourceDbKey: `${source.accountId}/${source.region}/${kind}/${source.dbIdentifier}`,
        queuedSeconds: shaped.shape.kind === 'queued-then-jump' ? Math.max(0, shaped.shape.queuedSeconds) : 0,
      },
    };
    this.snapshots.set(rec.arn, rec);
    const bucket = this.bucketKey(rec);
    const history = this.copyHistory.get(bucket) ?? [];
    history.push(rec);
    this.copyHistory.set(bucket, history);
    const sameSource = `${bucket}|${rec.copy!.sourceDbKey}`;
    this.copiesBySource.set(sameSource, [...(this.copiesBySource.get(sameSource) ?? []), rec]);
    return kind === 'instance' ? { DBSnapshot: this.toDbSnapshot(rec, ctx.accountId) } : { DBClusterSnapshot: this.toDbClusterSnapshot(rec, ctx.accountId) };
  }

  // ------------------------------------------------------------------ API: sharing

  /**
   * ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute: shares a manual snapshot
   * (AttributeName `restore`, ValuesToAdd / ValuesToRemove = account ids or `all`). Idempotent.
   * @throws `InvalidParameterValue` (identifier not a manual snapshot name — automated snapshots, rule 1;
   *   AttributeName other than `restore`; encrypted with the `aws/rds` key, rule 3; `all` on an
   *   encrypted snapshot, rule 3; a value that is not a 12-digit account id or `all`);
   *   `DBSnapshotNotFoundFault` / `DBClusterSnapshotNotFoundFault`; `InvalidDBSnapshotStateFault` /
   *   `InvalidDBClusterSnapshotStateFault` (not available); `SharedSnapshotQuotaExceededFault`
   *   (more than 20 accounts, rule 2); `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html
   */
  modifySnapshotAttribute(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const spec = SPEC[kind];
    const idParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier';
    const id = input[idParam] as string | undefined;
    if (!id) throw rdsError('MissingParameter', `The request must contain the parameter ${idParam}`);
    // Rule 1: automated snapshots (`rds:...`) and AWS Backup ones (`awsbackup:...`) fail identifier validation.
    if (!isValidSnapshotIdentifier(id)) throw rdsError('InvalidParameterValue', invalidIdentifierMessage(idParam));
    const snap = this.snapshots.get(`arn:aws:rds:${ctx.region}:${ctx.accountId}:${spec.arnType}:${id.toLowerCase()}`);
    if (!snap) throw rdsError(spec.notFound, `${spec.label} not found: ${id}`);
    requireIdentity(this.iam, ctx, {
      action: kind === 'instance' ? 'rds:ModifyDBSnapshotAttribute' : 'rds:ModifyDBClusterSnapshotAttribute',
      resource: snap.arn,
      context: this.resourceTagContext(snap, false),
    });
    if (input.AttributeName !== 'restore') throw rdsError('InvalidParameterValue', `Invalid snapshot attribute name: ${String(input.AttributeName)}. The only supported attribute is restore.`);
    if (snap.snapshotType !== 'manual') throw rdsError('InvalidParameterValue', invalidIdentifierMessage(idParam));
    const st = this.status(snap).status;
    if (st !== 'available') throw rdsError(spec.invalidState, `${spec.label} ${snap.identifier} is not in available state (current state: ${st}).`);
    const toAdd = (input.ValuesToAdd as string[] | undefined) ?? [];
    const toRemove = (input.ValuesToRemove as string[] | undefined) ?? [];
    for (const v of [...toAdd, ...toRemove]) {
      if (v !== 'all' && !/^\d{12}$/.test(v)) throw rdsError('InvalidParameterValue', `Invalid value ${v} for the restore attribute: must be a 12-digit AWS account ID or all.`);
    }
    if (toAdd.length > 0 && snap.encrypted) {
      if (snap.kmsKeyId && this.kms.isDefaultRdsKey(snap.kmsKeyId)) {
        throw rdsError(
          'InvalidParameterValue',
          `${spec.label} ${snap.identifier} is encrypted with the AWS managed KMS key aws/rds (${snap.kmsKeyId}), which cannot be shared with other accounts. Copy the snapshot with a customer managed KMS key (KmsKeyId) and share the copy.`,
        );
      }
      if (toAdd.includes('all')) throw rdsError('InvalidParameterValue', `Encrypted ${kind === 'instance' ? 'snapshots' : 'cluster snapshots'} cannot be made public (restore attribute value all).`);
    }
    // Rule 15a: a snapshot with a permanent or persistent option (SQL Server / Oracle TDE) cannot be
    // shared, except Oracle's Timezone and OLS options (USER_ShareSnapshot.html).
    const locked = snap.options.filter((o) => (o.permanent === true || o.persistent === true) && !(snap.engine.startsWith('oracle') && ['timezone', 'ols'].includes(o.name.toLowerCase())));
    if (toAdd.length > 0 && locked.length > 0) {
      throw rdsError(
        'InvalidParameterValue',
        `${spec.label} ${snap.identifier} uses option group ${snap.optionGroupName ?? '(none)'} with permanent or persistent options [${locked.map((o) => o.name).join(', ')}] and cannot be shared.`,
      );
    }
    const next = new Set(snap.sharedWith);
    for (const v of toAdd) next.add(v);
    for (const v of toRemove) next.delete(v);
    const max = this.quota(ctx.accountId, ctx.region).sharedAccountsPerSnapshot;
    const accounts = [...next].filter((v) => v !== 'all').length;
    if (accounts > max) throw rdsError('SharedSnapshotQuotaExceededFault', `You have exceeded the maximum number of accounts (${max}) you can share a manual ${kind === 'instance' ? 'DB snapshot' : 'DB cluster snapshot'} with.`);
    snap.sharedWith.clear();
    for (const v of next) snap.sharedWith.add(v);
    return this.attributesResult(snap);
  }

  /**
   * DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes (own snapshots, names incl. automated).
   * @throws `DBSnapshotNotFoundFault` / `DBClusterSnapshotNotFoundFault`, `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshotAttributes.html
   */
  describeSnapshotAttributes(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const spec = SPEC[kind];
    const idParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier';
    const id = input[idParam] as string | undefined;
    if (!id) throw rdsError('MissingParameter', `The request must contain the parameter ${idParam}`);
    const arn = this.snapshotArnFromInput(kind, id, ctx);
    const snap = parseRdsArn(arn)?.accountId === ctx.accountId ? this.snapshots.get(arn) : undefined;
    if (!snap || snap.region !== ctx.region) throw rdsError(spec.notFound, `${spec.label} not found: ${id}`);
    requireIdentity(this.iam, ctx, { action: kind === 'instance' ? 'rds:DescribeDBSnapshotAttributes' : 'rds:DescribeDBClusterSnapshotAttributes', resource: snap.arn });
    return this.attributesResult(snap);
  }

  // ------------------------------------------------------------------ API: delete

  /**
   * DeleteDBSnapshot / DeleteDBClusterSnapshot (own manual snapshots; a copy in progress may be
   * deleted, which cancels it). Copies still reading from the deleted snapshot fail (rule 14).
   * @throws `DBSnapshotNotFoundFault` / `DBClusterSnapshotNotFoundFault` (unknown, or of another
   *   account); `InvalidDBSnapshotStateFault` / `InvalidDBClusterSnapshotStateFault` (automated
   *   snapshot); `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSnapshot.html
   */
  deleteSnapshot(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const spec = SPEC[kind];
    const idParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier';
    const id = input[idParam] as string | undefined;
    if (!id) throw rdsError('MissingParameter', `The request must contain the parameter ${idParam}`);
    const arn = this.snapshotArnFromInput(kind, id, ctx);
    const parsed = parseRdsArn(arn);
    const snap = parsed && parsed.accountId === ctx.accountId && parsed.region === ctx.region ? this.snapshots.get(arn) : undefined;
    if (!snap) throw rdsError(spec.notFound, `${spec.label} not found: ${id}`);
    requireIdentity(this.iam, ctx, {
      action: kind === 'instance' ? 'rds:DeleteDBSnapshot' : 'rds:DeleteDBClusterSnapshot',
      resource: snap.arn,
      context: this.resourceTagContext(snap, false),
    });
    if (snap.snapshotType === 'automated') throw rdsError(spec.invalidState, 'Only manual snapshots may be deleted.');
    const view = kind === 'instance' ? this.toDbSnapshot(snap, ctx.accountId) : this.toDbClusterSnapshot(snap, ctx.accountId);
    this.removeSnapshot(snap);
    return kind === 'instance' ? { DBSnapshot: { ...view, Status: 'deleted' } } : { DBClusterSnapshot: { ...view, Status: 'deleted' } };
  }

  // ------------------------------------------------------------------ API: tags

  /**
   * AddTagsToResource / ListTagsForResource / RemoveTagsFromResource on an RDS ARN of the caller's
   * account and Region (db, cluster, snapshot, cluster-snapshot).
   * @throws the not-found fault of the resource type, `InvalidParameterValue` (not an RDS ARN,
   *   reserved `aws:` tag keys), `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AddTagsToResource.html
   */
  tags(op: 'AddTagsToResource' | 'ListTagsForResource' | 'RemoveTagsFromResource', input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const name = input.ResourceName as string | undefined;
    if (!name) throw rdsError('MissingParameter', 'The request must contain the parameter ResourceName');
    const parsed = parseRdsArn(name);
    if (!parsed) throw rdsError('InvalidParameterValue', `The specified resource name does not match an RDS resource in this region: ${name}`);
    const tagsMap = this.tagsOf(name, parsed, ctx);
    const tags = (input.Tags as Tag[] | undefined) ?? [];
    const snap = this.snapshots.get(name);
    const resourceContext = snap ? this.resourceTagContext(snap, false) : this.plainTagContext(tagsMap);
    if (op === 'AddTagsToResource') {
      requireIdentity(this.iam, ctx, { action: 'rds:AddTagsToResource', resource: name, context: { ...resourceContext, ...this.requestTagContext(tags) } });
      this.validateTags(tags);
      for (const t of tags) if (t.Key) tagsMap.set(t.Key, t.Value ?? '');
      return {};
    }
    if (op === 'RemoveTagsFromResource') {
      requireIdentity(this.iam, ctx, { action: 'rds:RemoveTagsFromResource', resource: name, context: resourceContext });
      for (const k of (input.TagKeys as string[] | undefined) ?? []) tagsMap.delete(k);
      return {};
    }
    requireIdentity(this.iam, ctx, { action: 'rds:ListTagsForResource', resource: name, context: resourceContext });
    return { TagList: tagList(tagsMap) };
  }

  // ------------------------------------------------------------------ internals

  private createDatabase(db: CreateDatabaseInput, kind: RdsKind): void {
    const identifier = db.identifier.toLowerCase();
    const arn = this.dbArn(db.accountId, db.region, kind, identifier);
    if (this.databases.has(arn)) {
      throw kind === 'instance'
        ? rdsError('DBInstanceAlreadyExistsFault', `DB instance already exists: ${identifier}`)
        : rdsError('DBClusterAlreadyExistsFault', `DB cluster already exists: ${identifier}`);
    }
    let dbClusterIdentifier: string | undefined;
    if (db.dbClusterIdentifier !== undefined) {
      if (kind !== 'instance') throw new SandboxUsageError(`create ${kind} ${identifier}: dbClusterIdentifier is only for DB instances`);
      dbClusterIdentifier = db.dbClusterIdentifier.toLowerCase();
      if (!this.databases.has(this.dbArn(db.accountId, db.region, 'cluster', dbClusterIdentifier))) {
        throw rdsError('DBClusterNotFoundFault', `DBCluster ${db.dbClusterIdentifier} not found.`);
      }
    }
    let optionGroupName: string | undefined;
    if (kind === 'instance') {
      if (db.optionGroupName !== undefined) {
        const og = this.optionGroups.get(`${db.accountId}/${db.region}/${db.optionGroupName.toLowerCase()}`);
        if (!og) throw new SandboxUsageError(`create ${kind} ${identifier}: option group ${db.optionGroupName} not found in ${db.accountId}/${db.region} (createOptionGroup first)`);
        if (og.engine !== db.engine.toLowerCase()) throw new SandboxUsageError(`create ${kind} ${identifier}: option group ${og.name} is for engine ${og.engine}, not ${db.engine}`);
        optionGroupName = og.name;
      } else {
        optionGroupName = `default:${db.engine.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
        if (!this.optionGroups.has(`${db.accountId}/${db.region}/${optionGroupName}`)) {
          this.putOptionGroup({ accountId: db.accountId, region: db.region, name: optionGroupName, engine: db.engine });
        }
      }
    } else if (db.optionGroupName !== undefined) {
      throw new SandboxUsageError(`create ${kind} ${identifier}: optionGroupName is for DB instances (DB cluster snapshots carry no option group)`);
    }
    let kmsKeyId: string | undefined;
    if (db.storageEncrypted) {
      if (db.kmsKeyId) {
        const key = this.kms.resolve(db.accountId, db.region, db.kmsKeyId);
        if (!key) throw new SandboxUsageError(`create ${kind} ${identifier}: KMS key ${db.kmsKeyId} not found in ${db.accountId}/${db.region}`);
        kmsKeyId = key.arn;
      } else {
        kmsKeyId = this.kms.defaultRdsKey(db.accountId, db.region);
      }
    }
    this.databases.set(arn, {
      accountId: db.accountId,
      region: db.region,
      identifier,
      kind,
      engine: db.engine,
      allocatedStorageGiB: db.allocatedStorageGiB,
      storageEncrypted: db.storageEncrypted,
      ...(kmsKeyId ? { kmsKeyId } : {}),
      tags: new Map(Object.entries(db.tags ?? {})),
      arn,
      createTime: this.clock.now(),
      resourceId: `${kind === 'instance' ? 'db' : 'cluster'}-${randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase()}`,
      ...(dbClusterIdentifier ? { dbClusterIdentifier } : {}),
      ...(optionGroupName ? { optionGroupName } : {}),
    });
  }

  private putOptionGroup(og: CreateOptionGroupInput): string {
    const name = og.name.toLowerCase();
    const arn = `arn:aws:rds:${og.region}:${og.accountId}:og:${name}`;
    this.optionGroups.set(`${og.accountId}/${og.region}/${name}`, {
      accountId: og.accountId,
      region: og.region,
      name,
      engine: og.engine.toLowerCase(),
      majorEngineVersion: og.majorEngineVersion ?? '1',
      options: [...(og.options ?? [])],
      arn,
    });
    return arn;
  }

  private addSnapshotOf(db: DatabaseRecord, identifier: string, type: 'automated' | 'manual', at: Date, tags: Map<string, string>): { identifier: string; arn: string } {
    const spec = SPEC[db.kind];
    const arn = `arn:aws:rds:${db.region}:${db.accountId}:${spec.arnType}:${identifier}`;
    if (this.snapshots.has(arn)) throw rdsError(spec.alreadyExists, `${spec.label} already exists: ${identifier}`);
    this.snapshots.set(arn, {
      seq: ++this.seq,
      accountId: db.accountId,
      region: db.region,
      kind: db.kind,
      identifier,
      arn,
      snapshotType: type,
      dbIdentifier: db.identifier,
      engine: db.engine,
      sizeGiB: db.allocatedStorageGiB,
      encrypted: db.storageEncrypted,
      ...(db.kmsKeyId ? { kmsKeyId: db.kmsKeyId } : {}),
      createTimeMs: at.getTime(),
      originalCreateTimeMs: at.getTime(),
      dbCreateTime: db.createTime,
      resourceId: db.resourceId,
      tags,
      sharedWith: new Set(),
      ...(db.optionGroupName !== undefined ? { optionGroupName: db.optionGroupName } : {}),
      options: db.optionGroupName !== undefined ? [...(this.optionGroups.get(`${db.accountId}/${db.region}/${db.optionGroupName}`)?.options ?? [])] : [],
    });
    return { identifier, arn };
  }

  /** Removes a snapshot now; copies reading from it that are still in progress fail (rule 14). */
  private removeSnapshot(snap: SnapshotRecord): void {
    const now = this.clock.nowMs();
    for (const other of this.snapshots.values()) {
      if (other.copy?.sourceArn === snap.arn && other.failedAtMs === undefined && this.status(other).status === 'creating') other.failedAtMs = now;
    }
    snap.deletedAtMs = now;
    this.snapshots.delete(snap.arn);
  }

  private bucketKey(s: { accountId: string; region: string; kind: RdsKind }): string {
    return `${s.accountId}/${s.region}/${s.kind}`;
  }

  /** Status and progress of a snapshot at clock now. */
  private status(s: SnapshotRecord): { status: 'creating' | 'available' | 'failed'; percent: number; startMs?: number } {
    const now = this.clock.nowMs();
    if (!s.copy) {
      if (s.failedAtMs !== undefined && s.failedAtMs <= now) return { status: 'failed', percent: 100 };
      return { status: 'available', percent: 100 };
    }
    // Rule 11: the slot limit rejects copies at request time (copySnapshot); what queues is a copy
    // of the same source DB behind another one into the same destination (one after another).
    const sourceDbKey = s.copy.sourceDbKey;
    const starts = scheduleCopies(
      (this.copiesBySource.get(`${this.bucketKey(s)}|${sourceDbKey}`) ?? []).map((c) => {
        const term = Math.min(c.failedAtMs ?? Number.POSITIVE_INFINITY, c.deletedAtMs ?? Number.POSITIVE_INFINITY);
        return {
          seq: c.seq,
          // A copy RDS holds in its queue (queued-then-jump) cannot start before its queue time is over.
          requestedAtMs: c.copy!.requestedAtMs + c.copy!.queuedSeconds * 1000,
          durationMs: c.copy!.durationSeconds * 1000,
          ...(Number.isFinite(term) ? { terminatedAtMs: term } : {}),
          stalled: c.stalledAtMs !== undefined,
        };
      }),
      1,
    );
    const start = starts.get(s.seq);
    const durationMs = s.copy.durationSeconds * 1000;
    const progressAt = (t: number): number => {
      if (start === undefined || t <= start) return 0;
      const frozen = s.stalledAtMs !== undefined ? Math.min(t, s.stalledAtMs) : t;
      return transferPercent(frozen - start, durationMs);
    };
    const withStart = start !== undefined && start <= now ? { startMs: start } : {};
    if (s.failedAtMs !== undefined && s.failedAtMs <= now) return { status: 'failed', percent: progressAt(s.failedAtMs), ...withStart };
    if (start === undefined || now < start) return { status: 'creating', percent: 0 };
    if (s.stalledAtMs === undefined && now >= start + durationMs) return { status: 'available', percent: 100, startMs: start };
    return { status: 'creating', percent: progressAt(now), startMs: start };
  }

  private view(s: SnapshotRecord): SnapshotRecordView {
    const st = this.status(s);
    return {
      identifier: s.identifier,
      arn: s.arn,
      accountId: s.accountId,
      region: s.region,
      kind: s.kind,
      snapshotType: s.snapshotType,
      status: st.status,
      percentProgress: st.percent,
      encrypted: s.encrypted,
      ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
      sizeGiB: s.sizeGiB,
      engine: s.engine,
      createTime: new Date(s.createTimeMs).toISOString(),
      dbIdentifier: s.dbIdentifier,
      tags: Object.fromEntries(s.tags),
      sharedWith: [...s.sharedWith],
      ...(s.copy ? { sourceArn: s.copy.sourceArn } : {}),
      ...(st.startMs !== undefined ? { copyStartedAt: new Date(st.startMs).toISOString() } : {}),
      ...(s.optionGroupName !== undefined ? { optionGroupName: s.optionGroupName, options: s.options } : {}),
    };
  }

  private toDbSnapshot(s: SnapshotRecord, viewer: string): Record<string, unknown> {
    const st = this.status(s);
    const own = s.accountId === viewer;
    return {
      DBSnapshotIdentifier: own ? s.identifier : s.arn,
      DBInstanceIdentifier: s.dbIdentifier,
      // Rule 13: absent until the snapshot is available.
      ...(st.status === 'available' ? { SnapshotCreateTime: new Date(s.createTimeMs) } : {}),
      Engine: s.engine,
      AllocatedStorage: s.sizeGiB,
      Status: st.status,
      Port: 5432,
      AvailabilityZone: `${s.region}a`,
      InstanceCreateTime: s.dbCreateTime,
      MasterUsername: 'admin',
      LicenseModel: s.engine.startsWith('postgres') ? 'postgresql-license' : 'general-public-license',
      SnapshotType: own ? s.snapshotType : s.sharedWith.has(viewer) ? 'shared' : 'public',
      PercentProgress: st.percent,
      ...(s.copy?.crossRegion ? { SourceRegion: s.copy.sourceRegion } : {}),
      ...(s.copy && (s.copy.crossRegion || s.copy.crossAccount) ? { SourceDBSnapshotIdentifier: s.copy.sourceArn } : {}),
      StorageType: 'gp3',
      Encrypted: s.encrypted,
      ...(s.kmsKeyId ? { KmsKeyId: s.kmsKeyId } : {}),
      DBSnapshotArn: s.arn,
      IAMDatabaseAuthenticationEnabled: false,
      ProcessorFeatures: [],
      DbiResourceId: s.resourceId,
      TagList: own ? tagList(s.tags) : [],
      OriginalSnapshotCreateTime: new Date(s.originalCreateTimeMs),
      SnapshotTarget: 'region',
      ...(s.optionGroupName !== undefined ? { OptionGroupName: s.optionGroupName } : {}),
    };
  }

  private toDbClusterSnapshot(s: SnapshotRecord, viewer: string): Record<string, unknown> {
    const st = this.status(s);
    const own = s.accountId === viewer;
    return {
      AvailabilityZones: [`${s.region}a`, `${s.region}b`, `${s.region}c`],
      DBClusterSnapshotIdentifier: own ? s.identifier : s.arn,
      DBClusterIdentifier: s.dbIdentifier,
      // Rule 13: absent until the snapshot is available.
      ...(st.status === 'available' ? { SnapshotCreateTime: new Date(s.createTimeMs) } : {}),
      Engine: s.engine,
      EngineMode: 'provisioned',
      AllocatedStorage: s.sizeGiB,
      Status: st.status,
      Port: 5432,
      ClusterCreateTime: s.dbCreateTime,
      MasterUsername: 'admin',
      LicenseModel: s.engine,
      SnapshotType: own ? s.snapshotType : s.sharedWith.has(viewer) ? 'shared' : 'public',
      PercentProgress: st.percent,
      StorageEncrypted: s.encrypted,
      ...(s.kmsKeyId ? { KmsKeyId: s.kmsKeyId } : {}),
      DBClusterSnapshotArn: s.arn,
      ...(s.copy && (s.copy.crossRegion || s.copy.crossAccount) ? { SourceDBClusterSnapshotArn: s.copy.sourceArn } : {}),
      IAMDatabaseAuthenticationEnabled: false,
      TagList: own ? tagList(s.tags) : [],
      DbClusterResourceId: s.resourceId,
      StorageType: 'aurora',
    };
  }

  private attributesResult(s: SnapshotRecord): Record<string, unknown> {
    const attrs = [{ AttributeName: 'restore', AttributeValues: [...s.sharedWith] }];
    return s.kind === 'instance'
      ? { DBSnapshotAttributesResult: { DBSnapshotIdentifier: s.identifier, DBSnapshotAttributes: attrs } }
      : { DBClusterSnapshotAttributesResult: { DBClusterSnapshotIdentifier: s.identifier, DBClusterSnapshotAttributes: attrs } };
  }

  private dbArn(accountId: string, region: string, kind: RdsKind, identifier: string): string {
    return `arn:aws:rds:${region}:${accountId}:${SPEC[kind].dbArnType}:${identifier}`;
  }

  /** Turns a name or ARN into the snapshot ARN it denotes from the caller's point of view. */
  private snapshotArnFromInput(kind: RdsKind, id: string, ctx: CallContext): string {
    if (id.startsWith('arn:')) {
      const p = parseRdsArn(id);
      if (p) return `arn:aws:rds:${p.region}:${p.accountId}:${p.type}:${p.id.toLowerCase()}`;
      return id;
    }
    return `arn:aws:rds:${ctx.region}:${ctx.accountId}:${SPEC[kind].arnType}:${id.toLowerCase()}`;
  }

  /** A snapshot the caller may see by name/ARN in its Region: its own, or another account's shared with it (or public). */
  private findVisible(kind: RdsKind, id: string, ctx: CallContext): SnapshotRecord | undefined {
    const arn = this.snapshotArnFromInput(kind, id, ctx);
    const s = this.snapshots.get(arn);
    if (!s || s.kind !== kind || s.region !== ctx.region) return undefined;
    if (s.accountId === ctx.accountId) return s;
    return s.sharedWith.has(ctx.accountId) || s.sharedWith.has('all') ? s : undefined;
  }

  /** Copy source: a name means the caller's account and Region; an ARN may point to another Region and (if shared) another account. */
  private findCopySource(kind: RdsKind, id: string, ctx: CallContext): SnapshotRecord | undefined {
    const arn = this.snapshotArnFromInput(kind, id, ctx);
    const s = this.snapshots.get(arn);
    if (!s || s.kind !== kind) return undefined;
    if (s.accountId === ctx.accountId) return s;
    return s.sharedWith.has(ctx.accountId) || s.sharedWith.has('all') ? s : undefined;
  }

  /** Destination key of a copy: must exist and be enabled in the caller's account and the destination Region (rule 6). */
  private resolveTargetKey(keyInput: string, ctx: CallContext): KmsKeyRecord {
    const key =
      keyInput === 'alias/aws/rds' || keyInput === `arn:aws:kms:${ctx.region}:${ctx.accountId}:alias/aws/rds`
        ? this.kms.get(this.kms.defaultRdsKey(ctx.accountId, ctx.region))
        : this.kms.resolve(ctx.accountId, ctx.region, keyInput);
    const notAccessible = () => rdsError('KMSKeyNotAccessibleFault', `The target KMS key [${keyInput}] does not exist, is not enabled or you do not have permissions to access it.`);
    if (!key || key.accountId !== ctx.accountId) throw notAccessible();
    if (this.kms.checkUse(ctx.principal, key, TARGET_KEY_ACTIONS, 'rds')) throw notAccessible();
    return key;
  }

  /** Rule 4: the caller's account (key policy) and principal (IAM) must be allowed to use the source key. */
  private checkSourceKey(source: SnapshotRecord, principal: Principal): void {
    const key = source.kmsKeyId ? this.kms.get(source.kmsKeyId) : undefined;
    const base = `The source snapshot KMS key [${source.kmsKeyId ?? 'None'}] does not exist, is not enabled or you do not have permissions to access it.`;
    if (!key) throw rdsError('KMSKeyNotAccessibleFault', base);
    const problem = this.kms.checkUse(principal, key, SOURCE_KEY_ACTIONS, 'rds');
    if (!problem) return;
    if (problem.problem === 'disabled') throw rdsError('KMSKeyNotAccessibleFault', `${base} (key is disabled)`);
    const where =
      problem.why === 'resource' || (problem.why === 'explicit' && key.accountId !== principal.accountId)
        ? `the key policy of ${key.arn} (account ${key.accountId}) does not allow account ${principal.accountId} (${principal.arn})`
        : `the IAM policies of ${principal.arn} in account ${principal.accountId} do not allow it on ${key.arn}`;
    throw rdsError('KMSKeyNotAccessibleFault', `${base} ${problem.action} denied: ${where}.`);
  }

  /**
   * Request-tag condition context of a tagging request (Tags on a Copy*, AddTagsToResource):
   * `aws:RequestTag/<key>` and `rds:req-tag/<key>` per tag, and `aws:TagKeys`, the multivalued list
   * of the keys in the request, which AWS sets for every request that carries tags (so policies can
   * limit tag keys with `ForAllValues:StringEquals`). No tags: no `aws:TagKeys` at all.
   * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tagkeys
   */
  private requestTagContext(tags: Tag[]): Record<string, string | string[]> {
    const ctx: Record<string, string | string[]> = {};
    const keys: string[] = [];
    for (const t of tags) {
      if (!t.Key) continue;
      ctx[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
      ctx[`rds:req-tag/${t.Key}`] = t.Value ?? '';
      keys.push(t.Key);
    }
    if (keys.length > 0) ctx['aws:TagKeys'] = [...new Set(keys)];
    return ctx;
  }

  private resourceTagContext(s: SnapshotRecord, hideTags: boolean): Record<string, string> {
    if (hideTags) return {};
    const ctx: Record<string, string> = {};
    for (const [k, v] of s.tags) {
      ctx[`aws:ResourceTag/${k}`] = v;
      ctx[`${SPEC[s.kind].tagKeyPrefix}${k}`] = v;
    }
    return ctx;
  }

  private plainTagContext(tags: Map<string, string>): Record<string, string> {
    const ctx: Record<string, string> = {};
    for (const [k, v] of tags) ctx[`aws:ResourceTag/${k}`] = v;
    return ctx;
  }

  /**
   * Rule 15b: keys 1-128 and values 0-256 characters of Unicode letters, digits, whitespace and
   * `_ . : / = + - @`; keys may not start with `aws:` or `rds:`.
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html
   */
  private validateTags(tags: Tag[]): void {
    for (const t of tags) {
      if (!t.Key) throw rdsError('InvalidParameterValue', 'Tag keys must not be empty.');
      const lower = t.Key.toLowerCase();
      if (lower.startsWith('aws:')) throw rdsError('InvalidParameterValue', "Tag keys cannot start with the reserved prefix 'aws:'.");
      if (lower.startsWith('rds:')) throw rdsError('InvalidParameterValue', "Tag keys cannot start with the reserved prefix 'rds:'.");
      if ([...t.Key].length > 128 || !TAG_TEXT.test(t.Key)) {
        throw rdsError('InvalidParameterValue', `Invalid tag key ${JSON.stringify(t.Key)}: 1-128 Unicode letters, digits, white space and _ . : / = + - @`);
      }
      const v = t.Value ?? '';
      if ([...v].length > 256 || (v !== '' && !TAG_TEXT.test(v))) {
        throw rdsError('InvalidParameterValue', `Invalid tag value ${JSON.stringify(v)} for key ${t.Key}: 0-256 Unicode letters, digits, white space and _ . : / = + - @`);
      }
    }
  }

  private tagsOf(name: string, parsed: NonNullable<ReturnType<typeof parseRdsArn>>, ctx: CallContext): Map<string, string> {
    const mine = parsed.accountId === ctx.accountId && parsed.region === ctx.region;
    const notFound = () => {
      switch (parsed.type) {
        case 'db':
          return rdsError('DBInstanceNotFoundFault', `DBInstance ${parsed.id} not found.`);
        case 'cluster':
          return rdsError('DBClusterNotFoundFault', `DBCluster ${parsed.id} not found.`);
        case 'snapshot':
          return rdsError('DBSnapshotNotFoundFault', `DBSnapshot not found: ${parsed.id}`);
        default:
          return rdsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot not found: ${parsed.id}`);
      }
    };
    if (!mine) throw notFound();
    if (parsed.type === 'db' || parsed.type === 'cluster') {
      const db = this.databases.get(name.toLowerCase());
      if (!db) throw notFound();
      return db.tags;
    }
    const snap = this.snapshots.get(this.snapshotArnFromInput(parsed.type === 'snapshot' ? 'instance' : 'cluster', name, ctx));
    if (!snap) throw notFound();
    return snap.tags;
  }

  private describeDatabases(kind: RdsKind, id: string | undefined, input: { MaxRecords?: number; Marker?: string; Filters?: Array<{ Name?: string; Values?: string[] }> }, ctx: CallContext): Record<string, unknown> {
    const maxRecords = this.maxRecords(input.MaxRecords);
    const spec = SPEC[kind];
    const arn = id ? (id.startsWith('arn:') ? id.toLowerCase() : this.dbArn(ctx.accountId, ctx.region, kind, id.toLowerCase())) : `arn:aws:rds:${ctx.region}:${ctx.accountId}:${spec.dbArnType}:*`;
    requireIdentity(this.iam, ctx, { action: kind === 'instance' ? 'rds:DescribeDBInstances' : 'rds:DescribeDBClusters', resource: arn });
    let rows: DatabaseRecord[];
    if (id) {
      const db = this.databases.get(arn);
      if (!db || db.accountId !== ctx.accountId || db.region !== ctx.region) {
        throw rdsError(spec.dbNotFound, kind === 'instance' ? `DBInstance ${id} not found.` : `DBCluster ${id} not found.`);
      }
      rows = [db];
    } else {
      rows = [...this.databases.values()].filter((d) => d.kind === kind && d.accountId === ctx.accountId && d.region === ctx.region);
    }
    const allowedFilters = kind === 'instance' ? ['db-instance-id', 'db-cluster-id', 'engine'] : ['db-cluster-id', 'engine'];
    for (const f of input.Filters ?? []) {
      if (!f.Name || !allowedFilters.includes(f.Name)) throw rdsError('InvalidParameterValue', `Unrecognized filter name: ${String(f.Name)}`);
      const vals = (f.Values ?? []).map((v) => (v.startsWith('arn:') ? (parseRdsArn(v)?.id ?? v) : v).toLowerCase());
      rows = rows.filter((d) => {
        if (f.Name === 'engine') return vals.includes(d.engine.toLowerCase());
        if (f.Name === 'db-cluster-id') return kind === 'cluster' ? vals.includes(d.identifier) : d.dbClusterIdentifier !== undefined && vals.includes(d.dbClusterIdentifier);
        return vals.includes(d.identifier);
      });
    }
    const { page, marker } = this.paginate(rows, maxRecords, input.Marker);
    const common = (d: DatabaseRecord) => ({
      Engine: d.engine,
      AllocatedStorage: d.allocatedStorageGiB,
      StorageEncrypted: d.storageEncrypted,
      ...(d.kmsKeyId ? { KmsKeyId: d.kmsKeyId } : {}),
      TagList: tagList(d.tags),
      BackupRetentionPeriod: 7,
    });
    if (kind === 'instance') {
      return {
        DBInstances: page.map((d) => ({
          DBInstanceIdentifier: d.identifier,
          DBInstanceArn: d.arn,
          DBInstanceClass: 'db.t4g.medium',
          DBInstanceStatus: 'available',
          InstanceCreateTime: d.createTime,
          DbiResourceId: d.resourceId,
          ...(d.dbClusterIdentifier ? { DBClusterIdentifier: d.dbClusterIdentifier } : {}),
          ...(d.optionGroupName ? { OptionGroupMemberships: [{ OptionGroupName: d.optionGroupName, Status: 'in-sync' }] } : {}),
          ...common(d),
        })),
        ...(marker ? { Marker: marker } : {}),
      };
    }
    return {
      DBClusters: page.map((d) => ({
        DBClusterIdentifier: d.identifier,
        DBClusterArn: d.arn,
        Status: 'available',
        ClusterCreateTime: d.createTime,
        DbClusterResourceId: d.resourceId,
        EngineMode: 'provisioned',
        DBClusterMembers: this.clusterMembers(d).map((m, i) => ({ DBInstanceIdentifier: m.identifier, IsClusterWriter: i === 0, PromotionTier: 1 })),
        ...common(d),
        // Aurora's storage is not fixed: DescribeDBClusters reports AllocatedStorage 1 for it
        // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html); its snapshots carry the size.
        ...(d.engine.startsWith('aurora') && { AllocatedStorage: 1 }),
      })),
      ...(marker ? { Marker: marker } : {}),
    };
  }

  private maxRecords(v: unknown): number {
    if (v === undefined) return 100;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 20 || v > 100) {
      throw rdsError('InvalidParameterValue', `Invalid value ${String(v)} for MaxRecords. Must be between 20 and 100`);
    }
    return v;
  }

  private paginate<T>(rows: readonly T[], maxRecords: number, marker: string | undefined): { page: T[]; marker?: string } {
    let offset = 0;
    if (marker !== undefined) {
      const m = /^sbx-marker-(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
      if (!m) throw rdsError('InvalidParameterValue', `Invalid marker: ${marker}`);
      offset = Number(m[1]);
    }
    const page = rows.slice(offset, offset + maxRecords);
    const next = offset + maxRecords;
    return next < rows.length ? { page, marker: Buffer.from(`sbx-marker-${next}`, 'utf8').toString('base64url') } : { page };
  }

  private clusterMembers(cluster: DatabaseRecord): DatabaseRecord[] {
    return [...this.databases.values()].filter(
      (d) => d.kind === 'instance' && d.accountId === cluster.accountId && d.region === cluster.region && d.dbClusterIdentifier === cluster.identifier,
    );
  }

  private rejectClusterMember(db: DatabaseRecord, api: string): void {
    if (db.kind === 'instance' && db.dbClusterIdentifier !== undefined) {
      throw new SandboxUsageError(`${api}: DB instance ${db.identifier} is a member of Aurora DB cluster ${db.dbClusterIdentifier}; Aurora snapshots are DB cluster snapshots (kind 'cluster')`);
    }
  }

  private mustGetDb(accountId: string, region: string, kind: RdsKind, identifier: string): DatabaseRecord {
    const db = this.databases.get(this.dbArn(accountId, region, kind, identifier.toLowerCase()));
    if (!db) throw new SandboxUsageError(`${kind} ${identifier} does not exist in ${accountId}/${region} (create it first)`);
    return db;
  }

  private mustGetSnapshot(arn: string): SnapshotRecord {
    const s = this.snapshots.get(arn);
    if (!s) throw new SandboxUsageError(`unknown snapshot ${arn}`);
    return s;
  }

  // ------------------------------------------------------------------ hooks for rds-restore.ts (issue 9)

  /**
   * The snapshot a restore in the caller's account and Region would read (its own, or another
   * account's shared with it, by name or ARN), with what a restore needs beyond the view:
   * `originalCreateTime` (ISO-8601 UTC, preserved across copies), `resourceId` of the database it
   * was taken from (preserved across copies) and `shared` (owned by another account). Undefined when
   * not visible.
   */
  restoreSource(kind: RdsKind, id: string, ctx: CallContext): (SnapshotRecordView & { originalCreateTime: string; resourceId: string; shared: boolean }) | undefined {
    const s = this.findVisible(kind, id, ctx);
    if (!s) return undefined;
    return { ...this.view(s), originalCreateTime: new Date(s.originalCreateTimeMs).toISOString(), resourceId: s.resourceId, shared: s.accountId !== ctx.accountId };
  }

  /** The DbiResourceId / DbClusterResourceId of a database, or undefined when it does not exist. */
  databaseResourceId(accountId: string, region: string, kind: RdsKind, identifier: string): string | undefined {
    return this.databases.get(this.dbArn(accountId, region, kind, identifier.toLowerCase()))?.resourceId;
  }
}
