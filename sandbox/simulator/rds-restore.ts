/**
 * The simulated RDS restore APIs (issue 9): DB instances and Aurora DB clusters restored from DB
 * snapshots / DB cluster snapshots, the Aurora DB instance created in a restored DB cluster, the
 * master password managed in Secrets Manager, describe, and delete. Kept apart from rds.ts, which
 * owns the source databases and the snapshots; this store reads snapshots through
 * `RdsStore.restoreSource` only.
 *
 * Every restored database is backed by a REAL database (sandbox/simulator/db-server.ts): a restore creates a
 * fresh database from the snapshot's SQL fixture (the fixture of the source database as of the
 * snapshot's OriginalSnapshotCreateTime, see {@link RestoreStore.setSqlFixture}) and reports its
 * `127.0.0.1:<port>` as the Endpoint once `available`.
 *
 * Status over virtual time (computed lazily from the clock, like copies):
 * `creating` for {@link restoreDurationSeconds} -> `available`; ModifyDB* with
 * ManageMasterUserPassword -> `resetting-master-credentials` for 60 s (secret `creating`) ->
 * `available` (secret `active`); DeleteDB* -> `deleting` for 120 s -> gone (the identifier stays
 * taken meanwhile).
 *
 * Stricter than AWS where AWS is unconfirmed or lenient (each said where it applies):
 * - there is no default VPC: `DBSubnetGroupName` is required;
 * - unknown parameters of ModifyDB* are refused (`NotImplemented`), so a drill cannot rely on
 *   behaviour the sandbox does not model.
 * API reference: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/Welcome.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock';
import { createRestoredDatabase, dropRestoredDatabase, setPassword, type RestoredDatabaseEndpoint } from './db-server';
import { requireIdentity, type CallContext } from './context';
import { rdsError, SandboxUsageError } from './errors';
import type { IamStore } from './identity';
import { SOURCE_KEY_ACTIONS, type KmsStore } from './kms';
import type { RdsKind, RdsStore } from './rds';
import type { SecretsStore } from './secrets';

/** Seconds from a restore request to `available`: 5 min + 0.5 s/GiB for a DB instance, 5 min + 0.1 s/GiB for a DB cluster; 8 min for an Aurora DB instance. */
export function restoreDurationSeconds(r: { kind: RdsKind | 'cluster-instance'; sizeGiB: number }): number {
  if (r.kind === 'cluster-instance') return 480;
  return Math.round(300 + r.sizeGiB * (r.kind === 'instance' ? 0.5 : 0.1));
}

/** Seconds a managed master password reset takes (status `resetting-master-credentials`). */
export const RESET_CREDENTIALS_SECONDS = 60;
/** Seconds a deleted DB instance / DB cluster stays `deleting` before it is gone. */
export const DELETING_SECONDS = 120;

type Tag = { Key?: string; Value?: string };

interface RestoredDatabase {
  readonly kind: RdsKind;
  readonly accountId: string;
  readonly region: string;
  readonly identifier: string;
  readonly arn: string;
  readonly engine: string;
  readonly resourceId: string;
  readonly tags: Map<string, string>;
  readonly createdAtMs: number;
  readonly availableAtMs: number;
  readonly sizeGiB: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly subnetGroup: string;
  readonly securityGroups: string[];
  readonly publiclyAccessible: boolean;
  readonly instanceClass?: string;
  readonly snapshotArn?: string;
  /** Aurora DB instance: its DB cluster (lower-case). */
  readonly clusterIdentifier?: string;
  deletionProtection: boolean;
  stalled?: boolean;
  resettingUntilMs?: number;
  deletingAtMs?: number;
  secretArn?: string;
  /** Standalone DB instance and DB cluster: the real database behind the endpoint. */
  database?: RestoredDatabaseEndpoint;
}

interface Fixture {
  readonly atMs: number;
  readonly sql: string;
}

const DB_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Rule: DB instance / DB cluster identifiers are 1-63 letters, digits, hyphens; start with a letter; no `--`, no trailing hyphen. Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html */
export function isValidDbIdentifier(id: string): boolean {
  return id.length >= 1 && id.length <= 63 && DB_ID.test(id.toLowerCase());
}

/** The restore side of the simulated RDS. */
export class RestoreStore {
  private readonly restored = new Map<string, RestoredDatabase>();
  private readonly fixtures = new Map<string, Fixture[]>();
  private readonly subnetGroups = new Set<string>();
  private readonly securityGroups = new Set<string>();
  private readonly stallPatterns: RegExp[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
    private readonly kms: KmsStore,
    private readonly rds: RdsStore,
    private readonly secrets: SecretsStore,
  ) {}

  // ------------------------------------------------------------------ sandbox set-up API

  /**
   * Sets the SQL fixture (CREATE/INSERT statements for the database's engine) of an existing source
   * database from clock now (or `at`) on. A snapshot carries the fixture in effect at its
   * OriginalSnapshotCreateTime, so changing it later (e.g. emptying a table) affects only later
   * snapshots; copies carry their source's.
   * @throws SandboxUsageError when the database does not exist
   */
  setSqlFixture(f: { accountId: string; region: string; kind: RdsKind; dbIdentifier: string; sql: string; at?: Date }): void {
    const rid = this.rds.databaseResourceId(f.accountId, f.region, f.kind, f.dbIdentifier);
    if (!rid) throw new SandboxUsageError(`setSqlFixture: ${f.kind} ${f.dbIdentifier} does not exist in ${f.accountId}/${f.region}`);
    const list = this.fixtures.get(rid) ?? [];
    list.push({ atMs: f.at?.getTime() ?? this.clock.nowMs(), sql: f.sql });
    list.sort((a, b) => a.atMs - b.atMs);
    this.fixtures.set(rid, list);
  }

  /** Creates a DB subnet group (CloudFormation AWS::RDS::DBSubnetGroup; name stored lower-case). */
  createDbSubnetGroup(accountId: string, region: string, name: string): void {
    this.subnetGroups.add(`${accountId}/${region}/${name.toLowerCase()}`);
  }

  /** Creates a VPC security group id (CloudFormation AWS::EC2::SecurityGroup). */
  createSecurityGroup(accountId: string, region: string, groupId: string): void {
    this.securityGroups.add(`${accountId}/${region}/${groupId}`);
  }

  /** Keeps a restored DB instance / DB cluster `creating` forever (fault tests). @throws SandboxUsageError */
  stallRestore(accountId: string, region: string, kind: RdsKind, identifier: string): void {
    const r = this.restored.get(this.arn(accountId, region, kind, identifier.toLowerCase()));
    if (!r) throw new SandboxUsageError(`stallRestore: no restored ${kind} ${identifier}`);
    r.stalled = true;
  }

  /** From now on, restores (and Aurora DB instances) whose new identifier matches stay `creating` forever (fault tests). */
  stallRestoresMatching(pattern: RegExp): void {
    this.stallPatterns.push(pattern);
  }

  /** Restored DB instances and DB clusters not yet gone (status at clock now). */
  listRestored(): Array<{ kind: RdsKind; accountId: string; region: string; identifier: string; status: string; tags: Record<string, string>; database?: string; secretArn?: string }> {
    this.reap();
    return [...this.restored.values()].map((r) => ({
      kind: r.kind,
      accountId: r.accountId,
      region: r.region,
      identifier: r.identifier,
      status: this.status(r),
      tags: Object.fromEntries(r.tags),
      ...(r.database ? { database: r.database.database } : {}),
      ...(r.secretArn ? { secretArn: r.secretArn } : {}),
    }));
  }

  // ------------------------------------------------------------------ API

  /**
   * RestoreDBInstanceFromDBSnapshot. Input: DBInstanceIdentifier, DBSnapshotIdentifier (name or ARN),
   * DBInstanceClass, DBSubnetGroupName (required here: no default VPC), VpcSecurityGroupIds,
   * PubliclyAccessible, DeletionProtection, Tags.
   * @throws `MissingParameter`; `InvalidParameterValue` (identifier; tags; a shared encrypted DB
   *   snapshot, docs/aws-behaviour.md §5); `DBSnapshotNotFoundFault`; `InvalidDBSnapshotStateFault`;
   *   `DBInstanceAlreadyExistsFault`; `DBSubnetGroupNotFoundFault`; `InvalidParameterCombination`
   *   (unknown security group); `KMSKeyNotAccessibleFault`; `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
   */
  async restoreDbInstanceFromDbSnapshot(input: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const r = await this.restore('instance', input, ctx);
    return { DBInstance: this.toDbInstance(r) };
  }

  /**
   * RestoreDBClusterFromSnapshot (Aurora): like the DB instance restore, with DBClusterIdentifier,
   * SnapshotIdentifier (a DB cluster snapshot, name or ARN), Engine (required, must match). A DB
   * cluster may be restored from a shared encrypted DB cluster snapshot when the caller may use its
   * KMS key (docs/aws-behaviour.md §5). The cluster has no DB instance: add one with CreateDBInstance.
   * @throws as restoreDbInstanceFromDbSnapshot, with the DB cluster fault names
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html
   */
  async restoreDbClusterFromSnapshot(input: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const r = await this.restore('cluster', input, ctx);
    return { DBCluster: this.toDbCluster(r) };
  }

  /**
   * CreateDBInstance, only as an Aurora DB instance in a restored DB cluster (DBClusterIdentifier
   * required; a standalone create is not simulated). Input: DBInstanceIdentifier, DBInstanceClass,
   * Engine (must equal the cluster's), DBClusterIdentifier, PubliclyAccessible, Tags.
   * @throws `MissingParameter`; `InvalidParameterValue`; `DBClusterNotFoundFault`;
   *   `InvalidParameterCombination` (engine mismatch); `DBInstanceAlreadyExistsFault`; `AccessDenied`;
   *   `NotImplemented` (no DBClusterIdentifier)
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
   */
  createDbInstance(input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    const id = this.requireString(input, 'DBInstanceIdentifier');
    const clusterId = input.DBClusterIdentifier as string | undefined;
    if (!clusterId) throw rdsError('NotImplemented', 'The sandbox simulates CreateDBInstance only for an Aurora DB instance in a DB cluster (DBClusterIdentifier).', 501);
    if (!isValidDbIdentifier(id)) throw rdsError('InvalidParameterValue', invalidId('DBInstanceIdentifier'));
    const engine = this.requireString(input, 'Engine');
    const instanceClass = this.requireString(input, 'DBInstanceClass');
    const tags = (input.Tags as Tag[] | undefined) ?? [];
    const arn = this.arn(ctx.accountId, ctx.region, 'instance', id.toLowerCase());
    requireIdentity(this.iam, ctx, { action: 'rds:CreateDBInstance', resource: arn, context: requestTagContext(tags) });
    const clusterArn = this.arn(ctx.accountId, ctx.region, 'cluster', clusterId.toLowerCase());
    requireIdentity(this.iam, ctx, { action: 'rds:CreateDBInstance', resource: clusterArn });
    if (tags.length > 0) requireIdentity(this.iam, ctx, { action: 'rds:AddTagsToResource', resource: arn, context: requestTagContext(tags) });
    validateTags(tags);
    const cluster = this.live(clusterArn);
    if (!cluster) throw rdsError('DBClusterNotFoundFault', `DBCluster ${clusterId} not found.`);
    if (cluster.engine !== engine) throw rdsError('InvalidParameterCombination', `The engine ${engine} does not match the DB cluster's engine ${cluster.engine}.`);
    this.rejectExisting('instance', id, ctx);
    const now = this.clock.nowMs();
    const r: RestoredDatabase = {
      kind: 'instance',
      accountId: ctx.accountId,
      region: ctx.region,
      identifier: id.toLowerCase(),
      arn,
      engine,
      resourceId: `db-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      tags: tagMap(tags),
      createdAtMs: now,
      availableAtMs: now + restoreDurationSeconds({ kind: 'cluster-instance', sizeGiB: 0 }) * 1000,
      sizeGiB: cluster.sizeGiB,
      encrypted: cluster.encrypted,
      ...(cluster.kmsKeyId ? { kmsKeyId: cluster.kmsKeyId } : {}),
      subnetGroup: cluster.subnetGroup,
      securityGroups: cluster.securityGroups,
      publiclyAccessible: input.PubliclyAccessible === true,
      instanceClass,
      clusterIdentifier: cluster.identifier,
      deletionProtection: input.DeletionProtection === true,
      ...(this.stallPatterns.some((p) => p.test(id.toLowerCase())) ? { stalled: true } : {}),
    };
    this.restored.set(arn, r);
    return { DBInstance: this.toDbInstance(r) };
  }

  /**
   * ModifyDBInstance / ModifyDBCluster: `ManageMasterUserPassword: true` has RDS generate a fresh
   * master password, keep it in a Secrets Manager secret it owns (`MasterUserSecret.SecretArn`) and
   * set it on the database; `DeletionProtection`; `ApplyImmediately` (accepted). Other parameters:
   * `NotImplemented` (stricter). The caller also needs `secretsmanager:CreateSecret` and
   * `secretsmanager:TagResource` on the new secret (stricter reading of
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-permissions).
   * @throws `DBInstanceNotFoundFault` / `DBClusterNotFoundFault`; `InvalidDBInstanceStateFault` /
   *   `InvalidDBClusterStateFault` (not `available`); `InvalidParameterCombination` (the password of
   *   an Aurora DB instance is the cluster's); `AccessDenied`; `AccessDeniedException`-shaped
   *   `AccessDenied` for the secret
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html
   */
  async modify(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const idParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier';
    const id = this.requireString(input, idParam);
    for (const k of Object.keys(input)) {
      if (![idParam, 'ManageMasterUserPassword', 'DeletionProtection', 'ApplyImmediately'].includes(k)) {
        throw rdsError('NotImplemented', `The sandbox does not simulate ${k} on Modify${kind === 'instance' ? 'DBInstance' : 'DBCluster'}.`, 501);
      }
    }
    const r = this.mustFind(kind, id, ctx);
    requireIdentity(this.iam, ctx, { action: kind === 'instance' ? 'rds:ModifyDBInstance' : 'rds:ModifyDBCluster', resource: r.arn, context: resourceTagContext(r.tags) });
    const st = this.status(r);
    if (st !== 'available') {
      throw rdsError(kind === 'instance' ? 'InvalidDBInstanceStateFault' : 'InvalidDBClusterStateFault', `${kind === 'instance' ? 'DB instance' : 'DB cluster'} ${r.identifier} is not in available state (current state: ${st}).`);
    }
    if (typeof input.DeletionProtection === 'boolean') r.deletionProtection = input.DeletionProtection;
    if (input.ManageMasterUserPassword === true) {
      if (r.clusterIdentifier) throw rdsError('InvalidParameterCombination', `DB instance ${r.identifier} is a member of DB cluster ${r.clusterIdentifier}: manage the master user password on the DB cluster.`);
      const name = `rds!${kind === 'instance' ? 'db' : 'cluster'}-${randomUUID()}`;
      const secretResource = `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}`;
      requireIdentity(this.iam, ctx, { action: 'secretsmanager:CreateSecret', resource: secretResource });
      requireIdentity(this.iam, ctx, { action: 'secretsmanager:TagResource', resource: secretResource });
      const password = randomBytes(24).toString('base64url');
      if (r.database) await setPassword(r.database, password);
      const value = { username: r.database?.username ?? 'postgres', password };
      if (r.secretArn) this.secrets.putRdsSecretValue(r.secretArn, value);
      else r.secretArn = this.secrets.createRdsSecret({ accountId: ctx.accountId, region: ctx.region, name, value, tags: { 'aws:rds:primaryDBInstanceArn': r.arn } });
      r.resettingUntilMs = this.clock.nowMs() + RESET_CREDENTIALS_SECONDS * 1000;
    }
    return kind === 'instance' ? { DBInstance: this.toDbInstance(r) } : { DBCluster: this.toDbCluster(r) };
  }

  /**
   * DeleteDBInstance / DeleteDBCluster: `SkipFinalSnapshot: true` is required here (final
   * snapshots are not simulated); the database goes `deleting` and disappears after
   * {@link DELETING_SECONDS}; its real database and its managed secret are dropped at once.
   * @throws `DBInstanceNotFoundFault` / `DBClusterNotFoundFault`; `InvalidDBInstanceStateFault` /
   *   `InvalidDBClusterStateFault` (already deleting; a DB cluster with DB instances that are not
   *   deleting); `InvalidParameterCombination` (DeletionProtection on; no SkipFinalSnapshot and no
   *   FinalDBSnapshotIdentifier); `NotImplemented` (a final snapshot); `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html
   */
  async delete(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const idParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier';
    const id = this.requireString(input, idParam);
    const r = this.mustFind(kind, id, ctx);
    requireIdentity(this.iam, ctx, { action: kind === 'instance' ? 'rds:DeleteDBInstance' : 'rds:DeleteDBCluster', resource: r.arn, context: resourceTagContext(r.tags) });
    const invalidState = kind === 'instance' ? 'InvalidDBInstanceStateFault' : 'InvalidDBClusterStateFault';
    if (this.status(r) === 'deleting') throw rdsError(invalidState, `${r.identifier} is already being deleted.`);
    if (r.deletionProtection) {
      throw rdsError('InvalidParameterCombination', `Cannot delete protected ${kind === 'instance' ? 'DB Instance' : 'Cluster'}, please disable deletion protection and try again.`);
    }
    if (input.SkipFinalSnapshot !== true) {
      if (input.FinalDBSnapshotIdentifier === undefined) throw rdsError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
      throw rdsError('NotImplemented', 'The sandbox does not simulate final snapshots on delete.', 501);
    }
    if (kind === 'cluster') {
      const members = [...this.restored.values()].filter((m) => m.kind === 'instance' && m.clusterIdentifier === r.identifier && m.accountId === r.accountId && m.region === r.region && m.deletingAtMs === undefined);
      if (members.length > 0) throw rdsError(invalidState, 'Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
    }
    r.deletingAtMs = this.clock.nowMs();
    if (r.database) await dropRestoredDatabase(r.database);
    if (r.secretArn) this.secrets.deleteRdsSecret(r.secretArn);
    return kind === 'instance' ? { DBInstance: this.toDbInstance(r) } : { DBCluster: this.toDbCluster(r) };
  }

  /**
   * DescribeDBInstances / DescribeDBClusters over restored databases, merged with the source
   * databases rds.ts describes (`delegate`): by identifier, a restored one answers itself; without
   * an identifier the restored ones (filters `db-instance-id`, `db-cluster-id`, `engine`) follow
   * the delegate's last page.
   */
  describe(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext, delegate: () => Record<string, unknown>): Record<string, unknown> {
    this.reap();
    const idParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier';
    const id = input[idParam] as string | undefined;
    const listKey = kind === 'instance' ? 'DBInstances' : 'DBClusters';
    const toItem = (r: RestoredDatabase) => (kind === 'instance' ? this.toDbInstance(r) : this.toDbCluster(r));
    if (id) {
      const arn = id.startsWith('arn:') ? id.toLowerCase() : this.arn(ctx.accountId, ctx.region, kind, id.toLowerCase());
      const r = this.restored.get(arn);
      if (r && r.accountId === ctx.accountId && r.region === ctx.region) {
        requireIdentity(this.iam, ctx, { action: kind === 'instance' ? 'rds:DescribeDBInstances' : 'rds:DescribeDBClusters', resource: r.arn });
        return { [listKey]: [toItem(r)] };
      }
      return delegate();
    }
    const out = delegate();
    if (out.Marker) return out;
    const filters = (input.Filters as Array<{ Name?: string; Values?: string[] }> | undefined) ?? [];
    const mine = [...this.restored.values()].filter((r) => {
      if (r.kind !== kind || r.accountId !== ctx.accountId || r.region !== ctx.region) return false;
      return filters.every((f) => {
        const vals = (f.Values ?? []).map((v) => v.toLowerCase());
        if (f.Name === 'engine') return vals.includes(r.engine);
        if (f.Name === 'db-cluster-id') return vals.includes(kind === 'cluster' ? r.identifier : (r.clusterIdentifier ?? '')) || vals.includes(r.arn);
        return vals.includes(r.identifier) || vals.includes(r.arn);
      });
    });
    return { ...out, [listKey]: [...((out[listKey] as unknown[]) ?? []), ...mine.map(toItem)] };
  }

  // ------------------------------------------------------------------ internals

  private async restore(kind: RdsKind, input: Record<string, unknown>, ctx: CallContext): Promise<RestoredDatabase> {
    const idParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier';
    const snapParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'SnapshotIdentifier';
    const id = this.requireString(input, idParam);
    const snapId = this.requireString(input, snapParam);
    if (kind === 'cluster') this.requireString(input, 'Engine');
    if (!isValidDbIdentifier(id)) throw rdsError('InvalidParameterValue', invalidId(idParam));
    const tags = (input.Tags as Tag[] | undefined) ?? [];
    const arn = this.arn(ctx.accountId, ctx.region, kind, id.toLowerCase());
    const action = kind === 'instance' ? 'rds:RestoreDBInstanceFromDBSnapshot' : 'rds:RestoreDBClusterFromSnapshot';
    const notFound = kind === 'instance' ? 'DBSnapshotNotFoundFault' : 'DBClusterSnapshotNotFoundFault';

    // IAM: the new database (with the request tags), the snapshot, the subnet group.
    requireIdentity(this.iam, ctx, { action, resource: arn, context: requestTagContext(tags) });
    const source = this.rds.restoreSource(kind, snapId, ctx);
    if (!source) throw rdsError(notFound, `${kind === 'instance' ? 'DBSnapshot' : 'DBClusterSnapshot'} not found: ${snapId}`);
    const snapTagContext: Record<string, string> = {};
    if (!source.shared) for (const [k, v] of Object.entries(source.tags)) snapTagContext[`aws:ResourceTag/${k}`] = v;
    requireIdentity(this.iam, ctx, { action, resource: source.arn, context: snapTagContext });
    const subnetGroup = (input.DBSubnetGroupName as string | undefined)?.toLowerCase();
    if (subnetGroup) requireIdentity(this.iam, ctx, { action, resource: `arn:aws:rds:${ctx.region}:${ctx.accountId}:subgrp:${subnetGroup}` });
    if (tags.length > 0) requireIdentity(this.iam, ctx, { action: 'rds:AddTagsToResource', resource: arn, context: requestTagContext(tags) });
    validateTags(tags);

    if (source.status !== 'available') {
      throw rdsError(kind === 'instance' ? 'InvalidDBSnapshotStateFault' : 'InvalidDBClusterSnapshotStateFault', `Snapshot ${source.identifier} is in state ${source.status}; a restore needs an available snapshot.`);
    }
    if (kind === 'cluster' && input.Engine !== source.engine) {
      throw rdsError('InvalidParameterCombination', `Engine ${String(input.Engine)} does not match the DB cluster snapshot's engine ${source.engine}.`);
    }
    // docs/aws-behaviour.md §5: a DB instance cannot be restored from a shared encrypted DB snapshot
    // (copy it first); a DB cluster can. The AWS error name is not documented: modelled as InvalidParameterValue.
    if (kind === 'instance' && source.shared && source.encrypted) {
      throw rdsError('InvalidParameterValue', `DB instance restore from a shared encrypted DB snapshot is not supported (${source.arn}): copy the snapshot into this account first.`);
    }
    this.rejectExisting(kind, id, ctx);
    if (!subnetGroup) throw rdsError('DBSubnetGroupNotFoundFault', 'DBSubnetGroupName is required: the sandbox models an account without a default VPC.');
    if (!this.subnetGroups.has(`${ctx.accountId}/${ctx.region}/${subnetGroup}`)) throw rdsError('DBSubnetGroupNotFoundFault', `DB subnet group '${subnetGroup}' does not exist.`);
    const sgs = (input.VpcSecurityGroupIds as string[] | undefined) ?? [];
    for (const sg of sgs) {
      if (!this.securityGroups.has(`${ctx.accountId}/${ctx.region}/${sg}`)) throw rdsError('InvalidParameterCombination', `The security group '${sg}' does not exist in the DB subnet group's VPC.`);
    }
    // The caller must be able to use the snapshot's KMS key (RDS creates a grant on it).
    let kmsKeyId: string | undefined;
    if (source.encrypted) {
      const key = source.kmsKeyId ? this.kms.get(source.kmsKeyId) : undefined;
      const problem = key ? this.kms.checkUse(ctx.principal, key, SOURCE_KEY_ACTIONS, 'rds') : { problem: 'missing' };
      if (!key || problem) {
        throw rdsError('KMSKeyNotAccessibleFault', `The snapshot's KMS key [${source.kmsKeyId ?? 'None'}] does not exist, is not enabled or you do not have permissions to access it.`);
      }
      kmsKeyId = key.arn;
    }

    const now = this.clock.nowMs();
    const fixture = this.fixtureAt(source.resourceId, Date.parse(source.originalCreateTime));
    const dbName = `rsv_${id.toLowerCase().replace(/-/g, '_')}`;
    const database = await createRestoredDatabase(source.engine, dbName, fixture);
    const r: RestoredDatabase = {
      kind,
      accountId: ctx.accountId,
      region: ctx.region,
      identifier: id.toLowerCase(),
      arn,
      engine: source.engine,
      resourceId: `${kind === 'instance' ? 'db' : 'cluster'}-${randomBytes(13).toString('hex').toUpperCase().slice(0, 26)}`,
      tags: tagMap(tags),
      createdAtMs: now,
      availableAtMs: now + restoreDurationSeconds({ kind, sizeGiB: source.sizeGiB }) * 1000,
      sizeGiB: source.sizeGiB,
      encrypted: source.encrypted,
      ...(kmsKeyId ? { kmsKeyId } : {}),
      subnetGroup,
      securityGroups: sgs,
      publiclyAccessible: input.PubliclyAccessible === true,
      ...(kind === 'instance' ? { instanceClass: (input.DBInstanceClass as string | undefined) ?? 'db.m5.large' } : {}),
      snapshotArn: source.arn,
      deletionProtection: input.DeletionProtection === true,
      database,
      ...(this.stallPatterns.some((p) => p.test(id.toLowerCase())) ? { stalled: true } : {}),
    };
    this.restored.set(arn, r);
    return r;
  }

  private fixtureAt(resourceId: string, atMs: number): string | undefined {
    const list = this.fixtures.get(resourceId) ?? [];
    let found: string | undefined;
    for (const f of list) if (f.atMs <= atMs) found = f.sql;
    return found;
  }

  private status(r: RestoredDatabase): string {
    const now = this.clock.nowMs();
    if (r.deletingAtMs !== undefined) return 'deleting';
    if (r.stalled || now < r.availableAtMs) return 'creating';
    if (r.resettingUntilMs !== undefined && now < r.resettingUntilMs) return 'resetting-master-credentials';
    return 'available';
  }

  /** Removes databases whose deletion finished. */
  private reap(): void {
    const now = this.clock.nowMs();
    for (const [arn, r] of this.restored) if (r.deletingAtMs !== undefined && now >= r.deletingAtMs + DELETING_SECONDS * 1000) this.restored.delete(arn);
  }

  private live(arn: string): RestoredDatabase | undefined {
    this.reap();
    return this.restored.get(arn);
  }

  private mustFind(kind: RdsKind, id: string, ctx: CallContext): RestoredDatabase {
    const arn = id.startsWith('arn:') ? id.toLowerCase() : this.arn(ctx.accountId, ctx.region, kind, id.toLowerCase());
    const r = this.live(arn);
    if (!r || r.accountId !== ctx.accountId || r.region !== ctx.region) {
      throw rdsError(kind === 'instance' ? 'DBInstanceNotFoundFault' : 'DBClusterNotFoundFault', `${kind === 'instance' ? 'DBInstance' : 'DBCluster'} ${id} not found.`);
    }
    return r;
  }

  private rejectExisting(kind: RdsKind, id: string, ctx: CallContext): void {
    const arn = this.arn(ctx.accountId, ctx.region, kind, id.toLowerCase());
    if (this.live(arn) || this.rds.databaseResourceId(ctx.accountId, ctx.region, kind, id) !== undefined) {
      throw rdsError(kind === 'instance' ? 'DBInstanceAlreadyExistsFault' : 'DBClusterAlreadyExistsFault', `${kind === 'instance' ? 'DB instance' : 'DB cluster'} already exists`);
    }
  }

  private requireString(input: Record<string, unknown>, name: string): string {
    const v = input[name];
    if (typeof v !== 'string' || v === '') throw rdsError('MissingParameter', `The request must contain the parameter ${name}`);
    return v;
  }

  private arn(accountId: string, region: string, kind: RdsKind, identifier: string): string {
    return `arn:aws:rds:${region}:${accountId}:${kind === 'instance' ? 'db' : 'cluster'}:${identifier}`;
  }

  private endpointOf(r: RestoredDatabase): RestoredDatabaseEndpoint | undefined {
    if (r.database) return r.database;
    if (r.clusterIdentifier) return this.restored.get(this.arn(r.accountId, r.region, 'cluster', r.clusterIdentifier))?.database;
    return undefined;
  }

  private toDbInstance(r: RestoredDatabase): Record<string, unknown> {
    const status = this.status(r);
    const ep = this.endpointOf(r);
    const showEndpoint = status !== 'creating' && status !== 'deleting' && ep;
    return {
      DBInstanceIdentifier: r.identifier,
      DBInstanceArn: r.arn,
      DBInstanceClass: r.instanceClass,
      DBInstanceStatus: status,
      Engine: r.engine,
      // DBName: the initial database, here the real database the fixture was loaded into.
      ...(ep ? { DBName: ep.database } : {}),
      ...(showEndpoint ? { Endpoint: { Address: ep.host, Port: ep.port } } : {}),
      ...(r.clusterIdentifier ? { DBClusterIdentifier: r.clusterIdentifier } : {}),
      ...(status !== 'creating' ? { InstanceCreateTime: new Date(r.availableAtMs) } : {}),
      DbiResourceId: r.resourceId,
      AllocatedStorage: r.sizeGiB,
      StorageEncrypted: r.encrypted,
      ...(r.kmsKeyId ? { KmsKeyId: r.kmsKeyId } : {}),
      DBSubnetGroup: { DBSubnetGroupName: r.subnetGroup },
      VpcSecurityGroups: r.securityGroups.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
      PubliclyAccessible: r.publiclyAccessible,
      DeletionProtection: r.deletionProtection,
      ...(r.secretArn ? { MasterUserSecret: { SecretArn: r.secretArn, SecretStatus: status === 'resetting-master-credentials' ? 'creating' : 'active' } } : {}),
      TagList: [...r.tags].map(([Key, Value]) => ({ Key, Value })),
    };
  }

  private toDbCluster(r: RestoredDatabase): Record<string, unknown> {
    const status = this.status(r);
    const ep = r.database;
    const members = [...this.restored.values()].filter((m) => m.kind === 'instance' && m.clusterIdentifier === r.identifier && m.accountId === r.accountId && m.region === r.region);
    return {
      DBClusterIdentifier: r.identifier,
      DBClusterArn: r.arn,
      Status: status,
      Engine: r.engine,
      EngineMode: 'provisioned',
      ...(ep ? { DatabaseName: ep.database } : {}),
      ...(status !== 'creating' && status !== 'deleting' && ep ? { Endpoint: ep.host, Port: ep.port } : {}),
      DbClusterResourceId: r.resourceId,
      AllocatedStorage: r.sizeGiB,
      StorageEncrypted: r.encrypted,
      ...(r.kmsKeyId ? { KmsKeyId: r.kmsKeyId } : {}),
      DBSubnetGroup: r.subnetGroup,
      VpcSecurityGroups: r.securityGroups.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
      DeletionProtection: r.deletionProtection,
      DBClusterMembers: members.map((m, i) => ({ DBInstanceIdentifier: m.identifier, IsClusterWriter: i === 0, PromotionTier: 1 })),
      ...(r.secretArn ? { MasterUserSecret: { SecretArn: r.secretArn, SecretStatus: status === 'resetting-master-credentials' ? 'creating' : 'active' } } : {}),
      TagList: [...r.tags].map(([Key, Value]) => ({ Key, Value })),
    };
  }
}

const invalidId = (param: string) =>
  `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`;

function tagMap(tags: Tag[]): Map<string, string> {
  return new Map(tags.filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

function requestTagContext(tags: Tag[]): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const t of tags) {
    if (!t.Key) continue;
    ctx[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
    ctx[`rds:req-tag/${t.Key}`] = t.Value ?? '';
  }
  return ctx;
}

function resourceTagContext(tags: Map<string, string>): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const [k, v] of tags) {
    ctx[`aws:ResourceTag/${k}`] = v;
    ctx[`rds:db-tag/${k}`] = v;
  }
  return ctx;
}

/** docs/aws-behaviour.md §15b: tag keys may not start with `aws:` or `rds:`. */
function validateTags(tags: Tag[]): void {
  for (const t of tags) {
    if (!t.Key) throw rdsError('InvalidParameterValue', 'Tag keys must not be empty.');
    if (/^(aws|rds):/i.test(t.Key)) throw rdsError('InvalidParameterValue', "Tag keys cannot start with the reserved prefixes 'aws:' or 'rds:'.");
  }
}
