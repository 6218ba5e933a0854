/**
 * RDS export tasks (StartExportTask / DescribeExportTasks / CancelExportTask): a DB snapshot or DB
 * cluster snapshot exported as Apache Parquet into an S3 bucket of the snapshot's Region
 * (docs/aws-behaviour.md §16).
 *
 * Status is computed lazily from the virtual clock, like snapshot copies: `STARTING` for
 * {@link EXPORT_STARTING_SECONDS} (RDS restores the whole database first), then `IN_PROGRESS` with
 * PercentProgress rising linearly, `COMPLETE` after {@link exportDurationSeconds}. When a task is
 * settled as COMPLETE (the sandbox settles before every call and every inspection), its files are
 * written into the bucket under `<S3Prefix>/<ExportTaskIdentifier>/` and RDS emits RDS-EVENT-0161
 * (DB snapshot) / RDS-EVENT-0164 (DB cluster snapshot); FAILED and CANCELED emit 0159/0162 and
 * 0160/0163. Times of written objects and events are the completion instant, not the observation.
 *
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartExportTask.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeExportTasks.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CancelExportTask.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.FileNames.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html
 */
import { createHash } from 'node:crypto';
import type { VirtualClock } from './clock';
import { checkServicePrincipal, deniedMessage, identityDenial, requireIdentity, type CallContext } from './context';
import { rdsError, SandboxUsageError } from './errors';
import type { PutEventInput } from './events';
import type { IamStore, Principal, RoleRecord } from './identity';
import type { KmsStore } from './kms';

import type { RdsQuota, SnapshotRecordView } from './rds';
import { parseRdsArn } from './rds';
import type { S3Store } from './s3';

/** Seconds an export task stays `STARTING` (RDS restores the snapshot into a temporary database). */
export const EXPORT_STARTING_SECONDS = 600;
/** Fixed part of an export's total duration, seconds (STARTING included). */
export const EXPORT_BASE_SECONDS = 1200;
/** Extraction time per GiB of allocated storage, seconds. */
export const EXPORT_SECONDS_PER_GIB = 6;

/**
 * Virtual duration of one export task from StartExportTask to COMPLETE, whole seconds:
 * 20 min + 6 s/GiB (20 GiB ~ 22 min; 4 TiB ~ 7.2 h), of which the first
 * {@link EXPORT_STARTING_SECONDS} are `STARTING`.
 * @param opts.sizeGiB allocated storage of the snapshot, GiB (>= 0)
 * @throws RangeError for a negative or non-finite size
 */
export function exportDurationSeconds(opts: { sizeGiB: number }): number {
  if (!Number.isFinite(opts.sizeGiB) || opts.sizeGiB < 0) throw new RangeError(`exportDurationSeconds: sizeGiB must be >= 0, got ${opts.sizeGiB}`);
  return Math.round(EXPORT_BASE_SECONDS + EXPORT_SECONDS_PER_GIB * opts.sizeGiB);
}

/** Status of an export task. */
export type ExportTaskStatus = 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'CANCELING' | 'CANCELED';

/** Sandbox-side view of an export task (status at clock now). */
export interface ExportTaskView {
  readonly identifier: string;
  readonly accountId: string;
  readonly region: string;
  readonly sourceArn: string;
  readonly sourceType: 'SNAPSHOT' | 'CLUSTER';
  readonly s3Bucket: string;
  /** '' when none was given. */
  readonly s3Prefix: string;
  readonly iamRoleArn: string;
  /** KMS key ARN. */
  readonly kmsKeyId: string;
  readonly status: ExportTaskStatus;
  readonly percentProgress: number;
  /** ISO-8601 UTC. */
  readonly taskStartTime: string;
  /** ISO-8601 UTC once COMPLETE / FAILED / CANCELED. */
  readonly taskEndTime?: string;
  readonly totalExtractedDataInGB?: number;
  readonly failureCause?: string;
  /** Keys written into the bucket (after COMPLETE). */
  readonly objectKeys: readonly string[];
}

interface ExportTask {
  readonly seq: number;
  readonly identifier: string;
  readonly accountId: string;
  readonly region: string;
  readonly source: SnapshotRecordView;
  readonly sourceType: 'SNAPSHOT' | 'CLUSTER';
  readonly s3Bucket: string;
  readonly s3Prefix: string;
  readonly iamRoleArn: string;
  readonly kmsKeyArn: string;
  readonly kmsKeyInput: string;
  readonly exportOnly: readonly string[];
  readonly startMs: number;
  readonly durationMs: number;
  failedAtMs?: number;
  failureCause?: string;
  cancelRequestedAtMs?: number;
  /** Set once the terminal side effects (objects, event) ran. */
  settled?: 'COMPLETE' | 'FAILED' | 'CANCELED';
  objectKeys: string[];
}

/** Seconds a CancelExportTask stays `CANCELING` before `CANCELED`. */
export const EXPORT_CANCELING_SECONDS = 60;

/** ExportTaskIdentifier: 1-60 characters, RDS identifier rules. */
export const EXPORT_TASK_IDENTIFIER_MAX = 60;

const INVALID_ID_MESSAGE =
  'The parameter ExportTaskIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.';

/** The S3 actions the export role needs (StartExportTask, IamRoleArn). */
export const EXPORT_ROLE_S3_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:GetBucketLocation'] as const;

/** What the export store needs from the rest of the sandbox. */
export interface ExportDeps {
  readonly clock: VirtualClock;
  readonly iam: IamStore;
  readonly kms: KmsStore;
  readonly s3: S3Store;
  getSnapshot(arn: string): SnapshotRecordView | undefined;
  quota(accountId: string, region: string): RdsQuota;
  emit(e: PutEventInput): void;
}

/** Export tasks of every account and Region. */
export class ExportTaskStore {
  private readonly tasks = new Map<string, ExportTask>();
  private seq = 0;

  constructor(private readonly d: ExportDeps) {}

  // ------------------------------------------------------------------ sandbox API

  /** Forces a task to FAILED from now on. @throws SandboxUsageError for an unknown or ambiguous identifier, or a task already ended */
  failExportTask(identifier: string, failureCause = 'The export task failed (injected by the sandbox).'): void {
    this.settle();
    const t = this.mustFind(identifier);
    const st = this.status(t).status;
    if (st !== 'STARTING' && st !== 'IN_PROGRESS') throw new SandboxUsageError(`failExportTask: ${identifier} is already ${st}`);
    t.failedAtMs = this.d.clock.nowMs();
    t.failureCause = failureCause;
    this.settle();
  }

  /** One task by identifier (any account/Region), or undefined. @throws SandboxUsageError when ambiguous */
  getExportTask(identifier: string): ExportTaskView | undefined {
    this.settle();
    const found = [...this.tasks.values()].filter((t) => t.identifier === identifier.toLowerCase());
    if (found.length > 1) throw new SandboxUsageError(`export task ${identifier} exists in several accounts/Regions`);
    return found[0] ? this.view(found[0]) : undefined;
  }

  /** Every task, in start order. */
  listExportTasks(): ExportTaskView[] {
    this.settle();
    return [...this.tasks.values()].sort((a, b) => a.seq - b.seq).map((t) => this.view(t));
  }

  /**
   * Runs the terminal side effects of every task that has ended by now, in order of end time:
   * writes the export's files (COMPLETE) and emits the RDS event. Idempotent.
   */
  settle(): void {
    const now = this.d.clock.nowMs();
    const due: Array<{ t: ExportTask; status: 'COMPLETE' | 'FAILED' | 'CANCELED'; atMs: number }> = [];
    for (const t of this.tasks.values()) {
      if (t.settled) continue;
      const end = this.terminal(t);
      if (end.atMs <= now) due.push({ t, ...end });
    }
    due.sort((a, b) => a.atMs - b.atMs || a.t.seq - b.t.seq);
    for (const { t, status, atMs } of due) {
      let final = status;
      if (status === 'COMPLETE') {
        if (!this.d.s3.getBucket(t.s3Bucket)) {
          t.failedAtMs = atMs;
          t.failureCause = `The S3 bucket ${t.s3Bucket} no longer exists.`;
          final = 'FAILED';
        } else {
          this.writeFiles(t, atMs);
        }
      }
      t.settled = final;
      this.emitEnd(t, final, atMs);
    }
  }

  // ------------------------------------------------------------------ API

  /**
   * StartExportTask. Input: ExportTaskIdentifier, SourceArn (DB snapshot or DB cluster snapshot ARN
   * of the caller's account and the client's Region), S3BucketName, IamRoleArn, KmsKeyId, S3Prefix?,
   * ExportOnly?. Checks, in order: parameters; identifier (1-60 characters, RDS identifier rules);
   * `rds:StartExportTask` (resource `*`); identifier unused in the account/Region; source exists and is
   * `available`; no other task of the same source STARTING/IN_PROGRESS; bucket exists in the
   * snapshot's Region and its policy lets the role in; role exists, trusts `export.rds.amazonaws.com`,
   * and may s3:PutObject/GetObject/ListBucket/DeleteObject/GetBucketLocation on the bucket; caller may
   * `iam:PassRole` it (`iam:PassedToService` = `export.rds.amazonaws.com`); KMS key is a customer
   * managed, enabled key of the Region the caller may `kms:CreateGrant` + `kms:DescribeKey`; fewer than
   * `concurrentExportTasks` (5) tasks STARTING/IN_PROGRESS in the account/Region.
   * @returns the ExportTask (Status `STARTING`)
   * @throws `MissingParameter`; `InvalidParameterValue` (identifier, S3Prefix with `:`, SourceArn not
   *   a snapshot ARN); `AccessDenied` (rds:StartExportTask, iam:PassRole); `ExportTaskAlreadyExistsFault`
   *   (identifier in use; or the source already being exported); `DBSnapshotNotFoundFault` /
   *   `DBClusterSnapshotNotFoundFault`; `InvalidExportSourceStateFault` (source not available);
   *   `InvalidS3BucketFault`; `IamRoleNotFoundFault`; `IamRoleMissingPermissionsFault`;
   *   `KMSKeyNotAccessibleFault`; `InvalidExportOnlyFault`; `ExportTaskLimitReachedFault` (not in the
   *   API reference's error list nor an SDK class: the code AWS returns, as checked by production tools)
   */
  startExportTask(input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    this.settle();
    for (const p of ['ExportTaskIdentifier', 'SourceArn', 'S3BucketName', 'IamRoleArn', 'KmsKeyId']) {
      if (typeof input[p] !== 'string' || (input[p] as string).length === 0) throw rdsError('MissingParameter', `The request must contain the parameter ${p}`);
    }
    const idInput = input.ExportTaskIdentifier as string;
    const sourceArnInput = input.SourceArn as string;
    const bucketName = input.S3BucketName as string;
    const roleArn = input.IamRoleArn as string;
    const kmsKeyInput = input.KmsKeyId as string;
    const s3Prefix = ((input.S3Prefix as string | undefined) ?? '').replace(/^\/+|\/+$/g, '');
    const exportOnly = (input.ExportOnly as string[] | undefined) ?? [];
    if (!isValidExportTaskIdentifier(idInput)) throw rdsError('InvalidParameterValue', INVALID_ID_MESSAGE);
    const identifier = idInput.toLowerCase();
    if (s3Prefix.includes(':')) throw rdsError('InvalidParameterValue', `Exports to S3 don't support S3 prefixes containing a colon (:): ${s3Prefix}`);

    // Authorized against the source DB (cluster) snapshot ARN: the Service Authorization Reference lists
    // snapshot / cluster-snapshot (and cluster) as StartExportTask's resource types. A malformed SourceArn
    // is checked against "*" here and rejected below.
    const authResource = /^arn:aws:rds:[a-z0-9-]+:\d{12}:(snapshot|cluster-snapshot):.+$/.test(sourceArnInput ?? '') ? sourceArnInput.replace(/:([^:]+)$/, (m) => m.toLowerCase()) : '*';
    requireIdentity(this.d.iam, ctx, { action: 'rds:StartExportTask', resource: authResource });

    if (this.tasks.has(this.key(ctx.accountId, ctx.region, identifier))) {
      throw rdsError('ExportTaskAlreadyExistsFault', `The export task with the ID ${identifier} already exists.`);
    }

    const parsed = parseRdsArn(sourceArnInput);
    if (!parsed || (parsed.type !== 'snapshot' && parsed.type !== 'cluster-snapshot')) {
      throw rdsError('InvalidParameterValue', `SourceArn must be the ARN of a DB snapshot or DB cluster snapshot (the sandbox does not simulate DB cluster exports): ${sourceArnInput}`);
    }
    const kind = parsed.type === 'snapshot' ? 'instance' : 'cluster';
    const notFound = () =>
      kind === 'instance' ? rdsError('DBSnapshotNotFoundFault', `DBSnapshot not found: ${sourceArnInput}`) : rdsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot not found: ${sourceArnInput}`);
    const sourceArn = `arn:aws:rds:${parsed.region}:${parsed.accountId}:${parsed.type}:${parsed.id.toLowerCase()}`;
    if (parsed.accountId !== ctx.accountId || parsed.region !== ctx.region) throw notFound();
    const source = this.d.getSnapshot(sourceArn);
    if (!source) throw notFound();
    if (source.status !== 'available') {
      throw rdsError('InvalidExportSourceStateFault', `The state of the ${kind === 'instance' ? 'DB snapshot' : 'DB cluster snapshot'} ${source.identifier} is ${source.status}; only available snapshots can be exported.`);
    }
    if (/^(db2|custom-)/.test(source.engine)) throw rdsError('InvalidExportSourceStateFault', `Snapshots of engine ${source.engine} cannot be exported to Amazon S3.`);
    const running = [...this.tasks.values()].find((t) => t.source.arn === sourceArn && this.isActive(t));
    if (running) {
      throw rdsError('ExportTaskAlreadyExistsFault', `You can't start an export task that's already running: export task ${running.identifier} is exporting ${sourceArn}.`);
    }
    for (const e of exportOnly) {
      if (!/^[A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+){0,2}$/.test(e)) throw rdsError('InvalidExportOnlyFault', `The export is invalid for exporting to an Amazon S3 bucket: ExportOnly entry ${e}`);
    }

    // Bucket: same Region as the snapshot.
    const bucket = this.d.s3.getBucket(bucketName);
    if (!bucket || bucket.region !== source.region) {
      throw rdsError(
        'InvalidS3BucketFault',
        bucket
          ? `The S3 bucket ${bucketName} is in ${bucket.region}; it must be in the snapshot's Region ${source.region}.`
          : `The specified Amazon S3 bucket name ${bucketName} can't be found or Amazon RDS isn't authorized to access the specified Amazon S3 bucket.`,
      );
    }

    // Role: exists, trusted by export.rds.amazonaws.com, may use the bucket.
    const role = this.d.iam.getRole(roleArn);
    if (!role) throw rdsError('IamRoleNotFoundFault', `The IAM role ${roleArn} is missing for exporting to an Amazon S3 bucket.`);
    if (!trustsService(role, 'export.rds.amazonaws.com')) {
      throw rdsError('IamRoleMissingPermissionsFault', `The IAM role ${roleArn} does not trust export.rds.amazonaws.com (sts:AssumeRole in its trust policy).`);
    }
    const rolePrincipal = exportRolePrincipal(role);
    const objectArn = `${bucket.arn}/${s3Prefix ? `${s3Prefix}/` : ''}${identifier}/export_info_${identifier}.json`;
    for (const action of EXPORT_ROLE_S3_ACTIONS) {
      const resource = action === 's3:ListBucket' || action === 's3:GetBucketLocation' ? bucket.arn : objectArn;
      const why = this.d.s3.authorize(rolePrincipal, bucket.name, action, resource);
      if (why === 'identity' && bucket.accountId === role.accountId) {
        throw rdsError('IamRoleMissingPermissionsFault', `The IAM role ${roleArn} requires additional permissions to export to an Amazon S3 bucket: ${action} on ${resource}.`);
      }
      if (why) throw rdsError('InvalidS3BucketFault', `Amazon RDS isn't authorized to access the specified Amazon S3 bucket ${bucketName}: ${deniedMessage(rolePrincipal.callerArn, { action, resource }, why)}.`);
    }

    // iam:PassRole by the caller.
    const passReq = { action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': 'export.rds.amazonaws.com' } };
    if (identityDenial(this.d.iam, ctx.principal, passReq) !== undefined) {
      throw rdsError('AccessDenied', deniedMessage(ctx.principal.callerArn, passReq, 'identity'));
    }

    // KMS key: customer managed, enabled, this Region, usable by the caller through RDS.
    const key = this.d.kms.resolve(ctx.accountId, source.region, kmsKeyInput);
    const keyProblem = (why: string) => rdsError('KMSKeyNotAccessibleFault', `The KMS key [${kmsKeyInput}] does not exist, is not enabled or you do not have permissions to access it: ${why}.`);
    if (!key) throw keyProblem(`no such key in ${source.region}`);
    if (key.keyManager !== 'CUSTOMER') throw keyProblem('exports need a customer managed key, not an AWS managed key');
    const problem = this.d.kms.checkUse(ctx.principal, key, ['kms:CreateGrant', 'kms:DescribeKey'], 'rds');
    if (problem) throw keyProblem(problem.problem === 'disabled' ? 'key is disabled' : `${problem.action} denied`);

    // Concurrency limit (rule 16).
    const limit = this.d.quota(ctx.accountId, ctx.region).concurrentExportTasks;
    const active = [...this.tasks.values()].filter((t) => t.accountId === ctx.accountId && t.region === ctx.region && this.isActive(t)).length;
    if (active >= limit) {
      throw rdsError('ExportTaskLimitReachedFault', `You have reached the maximum number of ${limit} concurrent export tasks in progress for this account in ${ctx.region}.`);
    }

    const t: ExportTask = {
      seq: ++this.seq,
      identifier,
      accountId: ctx.accountId,
      region: ctx.region,
      source,
      sourceType: kind === 'instance' ? 'SNAPSHOT' : 'CLUSTER',
      s3Bucket: bucket.name,
      s3Prefix,
      iamRoleArn: roleArn,
      kmsKeyArn: key.arn,
      kmsKeyInput,
      exportOnly,
      startMs: this.d.clock.nowMs(),
      durationMs: exportDurationSeconds({ sizeGiB: source.sizeGiB }) * 1000,
      objectKeys: [],
    };
    this.tasks.set(this.key(ctx.accountId, ctx.region, identifier), t);
    return this.toApi(t);
  }

  /**
   * DescribeExportTasks. Input: ExportTaskIdentifier, SourceArn, SourceType (`SNAPSHOT` | `CLUSTER`),
   * Filters (`export-task-identifier`, `s3-bucket`, `source-arn`, `status` in lower case),
   * MaxRecords 20-100 (default 100), Marker. Tasks of the caller's account and Region, oldest first.
   * @returns `{ ExportTasks, Marker? }`
   * @throws `ExportTaskNotFoundFault` (ExportTaskIdentifier given and unknown), `InvalidParameterValue`
   *   (MaxRecords/Marker), `AccessDenied` (rds:DescribeExportTasks, resource `*`)
   */
  describeExportTasks(input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    this.settle();
    const maxRecords = input.MaxRecords === undefined ? 100 : (input.MaxRecords as number);
    if (!Number.isInteger(maxRecords) || maxRecords < 20 || maxRecords > 100) {
      throw rdsError('InvalidParameterValue', `Invalid value ${String(input.MaxRecords)} for MaxRecords. Must be between 20 and 100`);
    }
    requireIdentity(this.d.iam, ctx, { action: 'rds:DescribeExportTasks', resource: '*' });
    const filters = (input.Filters as Array<{ Name?: string; Values?: string[] }> | undefined) ?? [];
    const values = (name: string) => filters.find((f) => f.Name === name)?.Values;
    const id = (input.ExportTaskIdentifier as string | undefined)?.toLowerCase();
    let rows = [...this.tasks.values()].filter((t) => t.accountId === ctx.accountId && t.region === ctx.region).sort((a, b) => a.seq - b.seq);
    if (id !== undefined) {
      rows = rows.filter((t) => t.identifier === id);
      if (rows.length === 0) throw rdsError('ExportTaskNotFoundFault', `Cannot find export task with ID ${input.ExportTaskIdentifier as string}`);
    }
    const sourceArn = input.SourceArn as string | undefined;
    if (sourceArn !== undefined) rows = rows.filter((t) => t.source.arn === sourceArn.toLowerCase() || t.source.arn === sourceArn);
    if (input.SourceType !== undefined) rows = rows.filter((t) => t.sourceType === input.SourceType);
    const fid = values('export-task-identifier');
    if (fid) rows = rows.filter((t) => fid.map((v) => v.toLowerCase()).includes(t.identifier));
    const fb = values('s3-bucket');
    if (fb) rows = rows.filter((t) => fb.includes(t.s3Bucket));
    const fs = values('source-arn');
    if (fs) rows = rows.filter((t) => fs.includes(t.source.arn));
    const fst = values('status');
    if (fst) rows = rows.filter((t) => fst.includes(this.status(t).status.toLowerCase()));
    let offset = 0;
    if (input.Marker !== undefined) {
      const m = /^sbx-export-marker-(\d+)$/.exec(Buffer.from(String(input.Marker), 'base64url').toString('utf8'));
      if (!m) throw rdsError('InvalidParameterValue', `Invalid marker: ${String(input.Marker)}`);
      offset = Number(m[1]);
    }
    const page = rows.slice(offset, offset + maxRecords);
    const next = offset + maxRecords;
    return {
      ExportTasks: page.map((t) => this.toApi(t)),
      ...(next < rows.length ? { Marker: Buffer.from(`sbx-export-marker-${next}`, 'utf8').toString('base64url') } : {}),
    };
  }

  /**
   * CancelExportTask: a STARTING or IN_PROGRESS task becomes `CANCELING`, then `CANCELED` after
   * {@link EXPORT_CANCELING_SECONDS}; files already written stay.
   * @returns the ExportTask (Status `CANCELING`)
   * @throws `MissingParameter`, `ExportTaskNotFoundFault`, `InvalidExportTaskStateFault` (task not
   *   STARTING/IN_PROGRESS), `AccessDenied` (rds:CancelExportTask, resource `*`)
   */
  cancelExportTask(input: Record<string, unknown>, ctx: CallContext): Record<string, unknown> {
    this.settle();
    const id = input.ExportTaskIdentifier as string | undefined;
    if (!id) throw rdsError('MissingParameter', 'The request must contain the parameter ExportTaskIdentifier');
    requireIdentity(this.d.iam, ctx, { action: 'rds:CancelExportTask', resource: '*' });
    const t = this.tasks.get(this.key(ctx.accountId, ctx.region, id.toLowerCase()));
    if (!t) throw rdsError('ExportTaskNotFoundFault', `Cannot find export task with ID ${id}`);
    const st = this.status(t).status;
    if (st !== 'STARTING' && st !== 'IN_PROGRESS') throw rdsError('InvalidExportTaskStateFault', `Cannot cancel export task ${t.identifier} because it is in state ${st}.`);
    t.cancelRequestedAtMs = this.d.clock.nowMs();
    return this.toApi(t);
  }

  // ------------------------------------------------------------------ internals

  private key(accountId: string, region: string, identifier: string): string {
    return `${accountId}/${region}/${identifier}`;
  }

  private mustFind(identifier: string): ExportTask {
    const found = [...this.tasks.values()].filter((t) => t.identifier === identifier.toLowerCase());
    if (found.length === 0) throw new SandboxUsageError(`unknown export task ${identifier}`);
    if (found.length > 1) throw new SandboxUsageError(`export task ${identifier} exists in several accounts/Regions`);
    return found[0]!;
  }

  private isActive(t: ExportTask): boolean {
    const st = this.status(t).status;
    return st === 'STARTING' || st === 'IN_PROGRESS';
  }

  /** When and how the task ends: FAILED (injected, or bucket gone), CANCELED (after CANCELING), else COMPLETE. */
  private terminal(t: ExportTask): { status: 'COMPLETE' | 'FAILED' | 'CANCELED'; atMs: number } {
    if (t.failedAtMs !== undefined) return { status: 'FAILED', atMs: t.failedAtMs };
    if (t.cancelRequestedAtMs !== undefined) return { status: 'CANCELED', atMs: t.cancelRequestedAtMs + EXPORT_CANCELING_SECONDS * 1000 };
    return { status: 'COMPLETE', atMs: t.startMs + t.durationMs };
  }

  /** Status and progress at clock now. */
  private status(t: ExportTask): { status: ExportTaskStatus; percent: number; endMs?: number } {
    const now = this.d.clock.nowMs();
    const inProgressStart = t.startMs + EXPORT_STARTING_SECONDS * 1000;
    const progressAt = (ms: number): number => {
      if (ms <= inProgressStart) return 0;
      const span = Math.max(1, t.startMs + t.durationMs - inProgressStart);
      return Math.min(99, Math.floor((100 * (ms - inProgressStart)) / span));
    };
    const end = this.terminal(t);
    if (now >= end.atMs) {
      const stoppedAt = end.status === 'CANCELED' ? t.cancelRequestedAtMs! : end.atMs;
      return { status: end.status, percent: end.status === 'COMPLETE' ? 100 : progressAt(stoppedAt), endMs: end.atMs };
    }
    if (t.cancelRequestedAtMs !== undefined && now >= t.cancelRequestedAtMs) return { status: 'CANCELING', percent: progressAt(t.cancelRequestedAtMs) };
    if (now < inProgressStart) return { status: 'STARTING', percent: 0 };
    return { status: 'IN_PROGRESS', percent: progressAt(now) };
  }

  private extractedGB(t: ExportTask): number {
    return Math.max(1, Math.ceil(t.source.sizeGiB / 2));
  }

  private toApi(t: ExportTask): Record<string, unknown> {
    const st = this.status(t);
    return {
      ExportTaskIdentifier: t.identifier,
      SourceArn: t.source.arn,
      ...(t.exportOnly.length > 0 ? { ExportOnly: [...t.exportOnly] } : {}),
      SnapshotTime: new Date(t.source.createTime),
      TaskStartTime: new Date(t.startMs),
      ...(st.endMs !== undefined ? { TaskEndTime: new Date(st.endMs) } : {}),
      S3Bucket: t.s3Bucket,
      S3Prefix: t.s3Prefix,
      IamRoleArn: t.iamRoleArn,
      KmsKeyId: t.kmsKeyInput,
      Status: st.status,
      PercentProgress: st.percent,
      ...(st.status === 'COMPLETE' ? { TotalExtractedDataInGB: this.extractedGB(t) } : {}),
      ...(st.status === 'FAILED' && t.failureCause ? { FailureCause: t.failureCause } : {}),
      SourceType: t.sourceType,
    };
  }

  private view(t: ExportTask): ExportTaskView {
    const st = this.status(t);
    return {
      identifier: t.identifier,
      accountId: t.accountId,
      region: t.region,
      sourceArn: t.source.arn,
      sourceType: t.sourceType,
      s3Bucket: t.s3Bucket,
      s3Prefix: t.s3Prefix,
      iamRoleArn: t.iamRoleArn,
      kmsKeyId: t.kmsKeyArn,
      status: st.status,
      percentProgress: st.percent,
      taskStartTime: new Date(t.startMs).toISOString(),
      ...(st.endMs !== undefined ? { taskEndTime: new Date(st.endMs).toISOString() } : {}),
      ...(st.status === 'COMPLETE' ? { totalExtractedDataInGB: this.extractedGB(t) } : {}),
      ...(st.status === 'FAILED' && t.failureCause ? { failureCause: t.failureCause } : {}),
      objectKeys: [...t.objectKeys],
    };
  }

  /**
   * Files of a completed export (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.FileNames.html):
   * `<prefix>/<id>/export_info_<id>.json`, `<prefix>/<id>/export_tables_info_<id>_from_1_to_<n>.json`
   * and per table `<prefix>/<id>/<database>/<schema>.<table>/1/part-00000-<uuid>.gz.parquet`.
   */
  private writeFiles(t: ExportTask, atMs: number): void {
    const base = `${t.s3Prefix ? `${t.s3Prefix}/` : ''}${t.identifier}/`;
    const tables = fakeTables(t.source);
    const filtered = t.exportOnly.length === 0 ? tables : tables.filter((x) => t.exportOnly.some((e) => [x.database, `${x.database}.${x.schema}`, `${x.database}.${x.schema}.${x.table}`, `${x.database}.${x.table}`].includes(e)));
    const put = (key: string, body: string, contentType: string) => {
      this.d.s3.putObjectInternal(t.s3Bucket, base + key, body, { contentType, kmsKeyArn: t.kmsKeyArn, atMs });
      t.objectKeys.push(base + key);
    };
    const perTable = filtered.map((x) => {
      const uuid = pseudoUuid(`${t.identifier}/${x.database}/${x.schema}.${x.table}`);
      const key = `${x.database}/${x.schema}.${x.table}/1/part-00000-${uuid}.gz.parquet`;
      put(key, `PAR1 sandbox placeholder for ${x.database}.${x.schema}.${x.table} (${x.rows} rows) PAR1`, 'application/octet-stream');
      return { target: `${x.database}.${x.schema}.${x.table}`, status: 'COMPLETE', sizeGB: x.sizeGB, rows: x.rows, s3Path: `s3://${t.s3Bucket}/${base}${x.database}/${x.schema}.${x.table}/` };
    });
    const common = {
      exportTaskIdentifier: t.identifier,
      sourceArn: t.source.arn,
      sourceType: t.sourceType,
      exportOnly: [...t.exportOnly],
      snapshotTime: t.source.createTime,
      taskStartTime: new Date(t.startMs).toISOString(),
      taskEndTime: new Date(atMs).toISOString(),
      s3Bucket: t.s3Bucket,
      s3Prefix: t.s3Prefix,
      exportedFilesPath: `s3://${t.s3Bucket}/${base}`,
      iamRoleArn: t.iamRoleArn,
      kmsKeyId: t.kmsKeyArn,
      status: 'COMPLETE',
      percentProgress: 100,
      totalExportedDataInGB: this.extractedGB(t),
    };
    put(`export_tables_info_${t.identifier}_from_1_to_${perTable.length}.json`, JSON.stringify({ perTableStatus: perTable }, null, 2), 'application/json');
    put(`export_info_${t.identifier}.json`, JSON.stringify({ ...common, tables: perTable.map((p) => p.target), perTableStatus: perTable }, null, 2), 'application/json');
  }

  /** RDS-EVENT-0159/0160/0161 (DB snapshot) and 0162/0163/0164 (DB cluster snapshot). */
  private emitEnd(t: ExportTask, status: 'COMPLETE' | 'FAILED' | 'CANCELED', atMs: number): void {
    const cluster = t.sourceType === 'CLUSTER';
    const ids = cluster ? { FAILED: 'RDS-EVENT-0162', CANCELED: 'RDS-EVENT-0163', COMPLETE: 'RDS-EVENT-0164' } : { FAILED: 'RDS-EVENT-0159', CANCELED: 'RDS-EVENT-0160', COMPLETE: 'RDS-EVENT-0161' };
    const noun = cluster ? 'cluster snapshot' : 'snapshot';
    const message = { FAILED: `The ${noun} export task failed.`, CANCELED: `The ${noun} export task was canceled.`, COMPLETE: `The ${noun} export task completed.` }[status];
    const at = new Date(atMs);
    this.d.emit({
      accountId: t.accountId,
      region: t.region,
      source: 'aws.rds',
      detailType: cluster ? 'RDS DB Cluster Snapshot Event' : 'RDS DB Snapshot Event',
      time: at,
      resources: [t.source.arn],
      detail: {
        EventCategories: ['notification'],
        SourceType: cluster ? 'CLUSTER_SNAPSHOT' : 'SNAPSHOT',
        SourceArn: t.source.arn,
        Date: at.toISOString(),
        Message: message,
        SourceIdentifier: t.source.identifier,
        EventID: ids[status],
        Tags: { ...t.source.tags },
      },
    });
  }
}

/**
 * ExportTaskIdentifier rules: 1-60 ASCII letters, digits and hyphens, starting with a letter, no
 * trailing hyphen, no `--`. The character rules are RDS's identifier rules (the message RDS returns
 * for a bad identifier); the 60-character maximum is not in the API reference but is what RDS
 * enforces in practice (reported by production tools).
 */
export function isValidExportTaskIdentifier(id: string): boolean {
  return id.length >= 1 && id.length <= EXPORT_TASK_IDENTIFIER_MAX && /^[A-Za-z][A-Za-z0-9-]*$/.test(id) && !id.endsWith('-') && !id.includes('--');
}

/**
 * Whether a role's trust policy lets `service` (e.g. `export.rds.amazonaws.com`) assume it, judged by
 * the evaluator as that service principal acting for the role's own account (`aws:SourceAccount`).
 * RDS does not document the `aws:SourceArn` it sends when it assumes the export role, so none is
 * sent: a trust policy that requires one is refused (the stricter reading).
 */
function trustsService(role: RoleRecord, service: string): boolean {
  return checkServicePrincipal(service, role.trustPolicy, role.accountId, { action: 'sts:AssumeRole', resource: role.arn, context: { 'aws:SourceAccount': role.accountId } }, 'trust') === undefined;
}

/** The principal RDS acts as when it assumes the export role. */
function exportRolePrincipal(role: RoleRecord): Principal {
  const sessionArn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/rds-export`;
  return { kind: 'role', accountId: role.accountId, arn: role.arn, sessionArn, callerArn: sessionArn, userId: `${role.roleId}:rds-export`, roleName: role.roleName, sessionName: 'rds-export', chained: false };
}

/** A UUID-shaped string derived from `seed` (stable across runs). */
function pseudoUuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A few fake tables of a database (PostgreSQL-style `<db>/<schema>.<table>`; MySQL uses the database as schema). */
function fakeTables(s: SnapshotRecordView): Array<{ database: string; schema: string; table: string; rows: number; sizeGB: number }> {
  const database = s.dbIdentifier.replace(/[^A-Za-z0-9_]/g, '_');
  const schema = /postgres/.test(s.engine) ? 'public' : database;
  const names = ['customers', 'orders', 'order_items'];
  const total = Math.max(1, Math.ceil(s.sizeGiB / 2));
  return names.map((table, i) => ({ database, schema, table, rows: 1000 * (i + 1) * Math.max(1, s.sizeGiB), sizeGB: Math.round((total * (i + 1)) / 6) }));
}
