/**
 * The simulated Amazon S3: general purpose buckets of every account and Region (bucket names are
 * global), objects with SSE-KMS, bucket policies, and the object operations rds-snapshot-vault uses:
 * CreateBucket, HeadBucket, GetBucketLocation, PutObject, GetObject, HeadObject, ListObjectsV2,
 * DeleteObject.
 *
 * Authorization follows S3's rules for a caller and a bucket (iam-eval.ts has the evaluator judge the documents):
 * same account: an explicit Deny anywhere wins, otherwise the identity policy OR a bucket policy
 * naming the principal allows; another account: the bucket policy AND the identity policy must allow.
 * Every request carries `aws:SecureTransport = true` (the SDK always uses HTTPS), so an `enforceSSL`
 * bucket policy denies nothing. Buckets encrypted with a KMS key make writers need
 * `kms:GenerateDataKey` and readers `kms:Decrypt` on the key (via `s3.<region>.amazonaws.com`).
 *
 * Error names are what the installed AWS SDK v3 S3 client reports for S3's responses (checked by
 * feeding the client real S3 error responses): XML errors keep their `Code` (`NoSuchBucket`,
 * `NoSuchKey`, `AccessDenied`, `PermanentRedirect`, `InvalidArgument`, ...); HEAD responses have no
 * body, so a 404 surfaces as `NotFound` and any other status (403, 301) as `Unknown` with
 * `$metadata.httpStatusCode` set.
 * Sources: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-policy-language-overview.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { VirtualClock } from './clock';
import { checkWithResourcePolicy, deniedMessage, type CallContext } from './context';
import { awsError, SandboxUsageError } from './errors';
import type { IamStore, Principal } from './identity';
import type { KmsStore } from './kms';
import type { AuthzRequest, DenialReason, PolicyDocument } from './iam-eval';

/** Input of {@link S3Store.createBucket} (the sandbox's seed API). */
export interface CreateBucketInput {
  /** Owner account. */
  readonly accountId: string;
  /** The bucket's Region. */
  readonly region: string;
  /** Bucket name: 3-63 characters, lower-case letters, digits, dots and hyphens, globally unique. */
  readonly name: string;
  /** Default encryption SSE-KMS with this key (key id, ARN or alias of the bucket's account/Region). */
  readonly kmsKeyArn?: string;
  /** Bucket policy (resource policy); default none (only the owner account's identity policies grant access). */
  readonly policy?: PolicyDocument;
}

/** One object as the inspection API returns it. */
export interface S3ObjectView {
  readonly key: string;
  /** Bytes. */
  readonly size: number;
  /** The body decoded as UTF-8. */
  readonly body: string;
  /** The raw bytes. */
  readonly bytes: Uint8Array;
  readonly contentType: string;
  /** ISO-8601 UTC (virtual time). */
  readonly lastModified: string;
  /** Quoted MD5 hex, as S3 returns it. */
  readonly etag: string;
  /** KMS key ARN when stored with SSE-KMS. */
  readonly kmsKeyArn?: string;
  readonly metadata: Record<string, string>;
}

interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly lastModifiedMs: number;
  readonly etag: string;
  readonly kmsKeyArn?: string;
  readonly metadata: Record<string, string>;
}

interface Bucket {
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly arn: string;
  readonly creationDate: Date;
  kmsKeyArn?: string;
  policy?: PolicyDocument;
  readonly objects: Map<string, StoredObject>;
}

/** Why an S3 request was denied. */
type S3Denial = DenialReason;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Bucket naming rules (general purpose buckets): 3-63 characters; lower-case letters, digits, dots
 * and hyphens; starts and ends with a letter or digit; no `..`; not an IPv4 address; not starting
 * with `xn--` / `sthree-` or ending with `-s3alias` / `--ol-s3`.
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function isValidBucketName(name: string): boolean {
  if (!BUCKET_NAME.test(name) || name.includes('..')) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return false;
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return false;
  return true;
}

/**
 * A GetObject `Body` like the SDK's: a Node.js Readable with the SDK stream mixin methods
 * (`transformToString(encoding?)`, `transformToByteArray()`, `transformToWebStream()`), which is what
 * aws-sdk-client-mock users build with `sdkStreamMixin`. Each transform may be called more than once.
 */
export function sdkStreamBody(bytes: Uint8Array): Readable & {
  transformToString(encoding?: BufferEncoding): Promise<string>;
  transformToByteArray(): Promise<Uint8Array>;
  transformToWebStream(): ReadableStream;
} {
  const buf = Buffer.from(bytes);
  const stream = Readable.from([buf]);
  return Object.assign(stream, {
    transformToString: async (encoding: BufferEncoding = 'utf8') => buf.toString(encoding),
    transformToByteArray: async () => new Uint8Array(buf),
    transformToWebStream: () => Readable.toWeb(Readable.from([buf])) as unknown as ReadableStream,
  });
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  if (typeof Blob !== 'undefined' && body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const c of body as AsyncIterable<unknown>) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw awsError('s3', 'InvalidArgument', `Unsupported Body type ${Object.prototype.toString.call(body)}`);
}

const s3Err = (name: string, message: string, status?: number) => awsError('s3', name, message, status);

/** All buckets and objects. */
export class S3Store {
  private readonly buckets = new Map<string, Bucket>();

  /**
   * @param beforeRead called before any read of stored objects (the sandbox uses it to write the
   *   objects of RDS export tasks that have completed by now)
   */
  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
    private readonly kms: KmsStore,
    private readonly beforeRead: () => void = () => {},
  ) {}

  // ------------------------------------------------------------------ sandbox set-up / inspection API

  /**
   * Creates a bucket (seed API; no IAM checks).
   * @returns the bucket ARN `arn:aws:s3:::<name>`
   * @throws `InvalidBucketName` (naming rules), `BucketAlreadyOwnedByYou` (same account) /
   *   `BucketAlreadyExists` (another account) — bucket names are global; SandboxUsageError for a
   *   kmsKeyArn that is not a key of the bucket's account/Region
   */
  createBucket(b: CreateBucketInput): string {
    if (!isValidBucketName(b.name)) throw s3Err('InvalidBucketName', `The specified bucket is not valid: ${b.name}`);
    const existing = this.buckets.get(b.name);
    if (existing) {
      throw existing.accountId === b.accountId
        ? s3Err('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409)
        : s3Err('BucketAlreadyExists', 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', 409);
    }
    let kmsKeyArn: string | undefined;
    if (b.kmsKeyArn !== undefined) {
      const key = this.kms.resolve(b.accountId, b.region, b.kmsKeyArn);
      if (!key) throw new SandboxUsageError(`createBucket ${b.name}: KMS key ${b.kmsKeyArn} not found in ${b.accountId}/${b.region}`);
      kmsKeyArn = key.arn;
    }
    this.add(b.name, b.accountId, b.region, kmsKeyArn, b.policy);
    return `arn:aws:s3:::${b.name}`;
  }

  /** Replaces (or with undefined removes) a bucket policy. @throws SandboxUsageError for an unknown bucket */
  putBucketPolicy(bucket: string, policy: PolicyDocument | undefined): void {
    const b = this.mustGet(bucket);
    if (policy === undefined) delete b.policy;
    else b.policy = policy;
  }

  /** A bucket's owner and Region, or undefined. */
  getBucket(bucket: string): { name: string; accountId: string; region: string; arn: string; kmsKeyArn?: string } | undefined {
    const b = this.buckets.get(bucket);
    return b ? { name: b.name, accountId: b.accountId, region: b.region, arn: b.arn, ...(b.kmsKeyArn ? { kmsKeyArn: b.kmsKeyArn } : {}) } : undefined;
  }

  /** Every bucket (all accounts and Regions), in name order. */
  listBuckets(): Array<{ name: string; accountId: string; region: string; arn: string; kmsKeyArn?: string }> {
    return [...this.buckets.keys()].sort().map((n) => this.getBucket(n)!);
  }

  /**
   * Objects of a bucket whose key starts with `prefix`, in key order (UTF-8 binary order, as S3 lists).
   * @throws SandboxUsageError for an unknown bucket
   */
  listObjects(bucket: string, prefix = ''): S3ObjectView[] {
    this.beforeRead();
    const b = this.mustGet(bucket);
    return this.sortedKeys(b)
      .filter((k) => k.startsWith(prefix))
      .map((k) => this.view(b.objects.get(k)!));
  }

  /**
   * Writes an object without IAM checks (how AWS services such as RDS export deliver files with their
   * own role, already authorized). @throws SandboxUsageError for an unknown bucket
   */
  putObjectInternal(bucket: string, key: string, body: string | Uint8Array, opts: { contentType?: string; kmsKeyArn?: string; atMs?: number } = {}): void {
    const b = this.mustGet(bucket);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    const kmsKeyArn = opts.kmsKeyArn ?? b.kmsKeyArn;
    b.objects.set(key, {
      key,
      body: bytes,
      contentType: opts.contentType ?? 'binary/octet-stream',
      lastModifiedMs: opts.atMs ?? this.clock.nowMs(),
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      ...(kmsKeyArn ? { kmsKeyArn } : {}),
      metadata: {},
    });
  }

  /**
   * Authorization of `principal` for `action` on `resource` of `bucket` (identity policies + bucket
   * policy, S3 rules: see the module comment).
   * @returns undefined when allowed, else why it was denied
   */
  authorize(principal: Principal, bucket: string, action: string, resource: string, context: Record<string, string> = {}): S3Denial | undefined {
    const b = this.buckets.get(bucket);
    // A bucket that does not exist yet (CreateBucket) would belong to the caller.
    return checkWithResourcePolicy(this.iam, principal, b?.policy, b?.accountId ?? principal.accountId, { action, resource, context });
  }

  // ------------------------------------------------------------------ API

  /**
   * CreateBucket. Input: Bucket, CreateBucketConfiguration.LocationConstraint (must be the client's
   * Region; omitted only in us-east-1).
   * @returns `{ Location }` (`/<bucket>` in us-east-1, else `http://<bucket>.s3.amazonaws.com/`)
   * @throws `InvalidBucketName`, `IllegalLocationConstraintException`, `BucketAlreadyOwnedByYou`
   *   (outside us-east-1; in us-east-1 re-creating your own bucket succeeds), `BucketAlreadyExists`,
   *   `AccessDenied` (s3:CreateBucket)
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
   */
  createBucketApi(input: { Bucket?: string; CreateBucketConfiguration?: { LocationConstraint?: string } }, ctx: CallContext): Record<string, unknown> {
    const name = this.requireBucketParam(input.Bucket);
    if (!isValidBucketName(name)) throw s3Err('InvalidBucketName', 'The specified bucket is not valid.');
    const constraint = input.CreateBucketConfiguration?.LocationConstraint;
    if (ctx.region === 'us-east-1' ? constraint !== undefined && constraint !== 'us-east-1' : constraint !== ctx.region) {
      throw s3Err(
        'IllegalLocationConstraintException',
        constraint === undefined
          ? 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.'
          : `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      );
    }
    const existing = this.buckets.get(name);
    if (existing && existing.accountId !== ctx.accountId) {
      throw s3Err('BucketAlreadyExists', 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', 409);
    }
    this.requireAllowed(ctx, name, 's3:CreateBucket', `arn:aws:s3:::${name}`);
    if (existing) {
      if (ctx.region === 'us-east-1' && existing.region === 'us-east-1') return { Location: `/${name}` };
      throw s3Err('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409);
    }
    this.add(name, ctx.accountId, ctx.region, undefined, undefined);
    return { Location: ctx.region === 'us-east-1' ? `/${name}` : `http://${name}.s3.amazonaws.com/` };
  }

  /**
   * HeadBucket (needs s3:ListBucket).
   * @returns `{ BucketRegion }`
   * @throws `NotFound` (404, no such bucket); `Unknown` with status 403 (denied) or 301 (bucket in
   *   another Region) — HEAD errors have no body, so the SDK cannot name them
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
   */
  headBucket(input: { Bucket?: string }, ctx: CallContext): Record<string, unknown> {
    const name = this.requireBucketParam(input.Bucket);
    const b = this.buckets.get(name);
    if (!b) throw s3Err('NotFound', 'UnknownError', 404);
    if (this.authorize(ctx.principal, name, 's3:ListBucket', b.arn)) throw s3Err('Unknown', 'UnknownError', 403);
    if (b.region !== ctx.region) throw s3Err('Unknown', 'UnknownError', 301);
    return { BucketRegion: b.region };
  }

  /**
   * GetBucketLocation (any Region's endpoint answers; needs s3:GetBucketLocation).
   * @returns `{ LocationConstraint }` — undefined for us-east-1, else the Region
   * @throws `NoSuchBucket`, `AccessDenied`
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
   */
  getBucketLocation(input: { Bucket?: string }, ctx: CallContext): Record<string, unknown> {
    const b = this.mustExist(input.Bucket);
    this.requireAllowed(ctx, b.name, 's3:GetBucketLocation', b.arn);
    return b.region === 'us-east-1' ? {} : { LocationConstraint: b.region };
  }

  /**
   * PutObject. Input: Bucket, Key (1-1024 UTF-8 bytes), Body (string, bytes, Blob or stream),
   * ContentType, Metadata, ServerSideEncryption (`AES256` | `aws:kms`), SSEKMSKeyId. A bucket with
   * default SSE-KMS encrypts with its key unless the request names another.
   * @returns `{ ETag, ServerSideEncryption, SSEKMSKeyId? }`
   * @throws `NoSuchBucket`, `PermanentRedirect` (301, client in another Region than the bucket),
   *   `AccessDenied` (s3:PutObject on `arn:aws:s3:::<bucket>/<key>`, or kms:GenerateDataKey on the
   *   key), `KMS.DisabledException`, `KMS.NotFoundException`, `InvalidArgument`, `KeyTooLongError`
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
   */
  async putObject(
    input: { Bucket?: string; Key?: string; Body?: unknown; ContentType?: string; Metadata?: Record<string, string>; ServerSideEncryption?: string; SSEKMSKeyId?: string },
    ctx: CallContext,
  ): Promise<Record<string, unknown>> {
    const b = this.mustExistInRegion(input.Bucket, ctx);
    const key = this.requireKey(input.Key);
    this.requireAllowed(ctx, b.name, 's3:PutObject', `${b.arn}/${key}`);
    let kmsKeyArn = b.kmsKeyArn;
    if (input.ServerSideEncryption === 'AES256') kmsKeyArn = undefined;
    else if (input.ServerSideEncryption === 'aws:kms' || input.SSEKMSKeyId !== undefined) {
      if (input.SSEKMSKeyId !== undefined) {
        const key2 = this.kms.resolve(ctx.accountId, b.region, input.SSEKMSKeyId);
        if (!key2) throw s3Err('KMS.NotFoundException', `Invalid keyId '${input.SSEKMSKeyId}'`);
        kmsKeyArn = key2.arn;
      } else if (!kmsKeyArn) {
        kmsKeyArn = this.kms.defaultAwsKey(b.accountId, b.region, 's3');
      }
    } else if (input.ServerSideEncryption !== undefined) {
      throw s3Err('InvalidArgument', `The encryption method specified is not supported: ${input.ServerSideEncryption}`);
    }
    if (kmsKeyArn) this.requireKeyUse(ctx, kmsKeyArn, 'kms:GenerateDataKey');
    const bytes = await bodyBytes(input.Body);
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    b.objects.set(key, {
      key,
      body: bytes,
      contentType: input.ContentType ?? 'binary/octet-stream',
      lastModifiedMs: this.clock.nowMs(),
      etag,
      ...(kmsKeyArn ? { kmsKeyArn } : {}),
      metadata: { ...(input.Metadata ?? {}) },
    });
    return { ETag: etag, ServerSideEncryption: kmsKeyArn ? 'aws:kms' : 'AES256', ...(kmsKeyArn ? { SSEKMSKeyId: kmsKeyArn } : {}) };
  }

  /**
   * GetObject. `Body` is an SDK stream (`await out.Body.transformToString()`).
   * @throws `NoSuchBucket`, `PermanentRedirect`, `NoSuchKey` (404; only when the caller may
   *   s3:ListBucket — otherwise S3 answers `AccessDenied`), `AccessDenied` (s3:GetObject, or
   *   kms:Decrypt on the object's key), `KMS.DisabledException`
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
   */
  getObject(input: { Bucket?: string; Key?: string }, ctx: CallContext): Record<string, unknown> {
    const { obj } = this.readableObject(input, ctx, false);
    return { Body: sdkStreamBody(obj.body), ...this.objectHeaders(obj) };
  }

  /**
   * HeadObject: GetObject's headers without the body.
   * @throws `NotFound` (404); `Unknown` with status 403 (denied, or missing key without
   *   s3:ListBucket) or 301 (other Region); `NoSuchBucket` is also reported as `NotFound`
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
   */
  headObject(input: { Bucket?: string; Key?: string }, ctx: CallContext): Record<string, unknown> {
    const { obj } = this.readableObject(input, ctx, true);
    return this.objectHeaders(obj);
  }

  /**
   * ListObjectsV2. Input: Bucket, Prefix, Delimiter, MaxKeys (0-1000, default 1000), StartAfter,
   * ContinuationToken. Keys in UTF-8 binary order; with Delimiter, keys sharing the part up to the
   * next delimiter roll up into CommonPrefixes (each counts once toward MaxKeys).
   * @returns `{ Name, Prefix, Delimiter?, MaxKeys, KeyCount, IsTruncated, Contents?, CommonPrefixes?, NextContinuationToken?, ContinuationToken?, StartAfter? }`
   * @throws `NoSuchBucket`, `PermanentRedirect`, `AccessDenied` (s3:ListBucket on the bucket ARN,
   *   condition key `s3:prefix`), `InvalidArgument` (bad MaxKeys or ContinuationToken)
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
   */
  listObjectsV2(
    input: { Bucket?: string; Prefix?: string; Delimiter?: string; MaxKeys?: number; StartAfter?: string; ContinuationToken?: string },
    ctx: CallContext,
  ): Record<string, unknown> {
    const b = this.mustExistInRegion(input.Bucket, ctx);
    const prefix = input.Prefix ?? '';
    this.requireAllowed(ctx, b.name, 's3:ListBucket', b.arn, { 's3:prefix': prefix });
    this.beforeRead();
    const maxKeys = input.MaxKeys ?? 1000;
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw s3Err('InvalidArgument', 'Provided max-keys not an integer or within integer range');
    const limit = Math.min(maxKeys, 1000);
    let after = input.StartAfter ?? '';
    if (input.ContinuationToken !== undefined) {
      const decoded = /^sbx-s3:(.*)$/s.exec(Buffer.from(input.ContinuationToken, 'base64url').toString('utf8'));
      if (!decoded) throw s3Err('InvalidArgument', 'The continuation token provided is incorrect');
      after = decoded[1]!;
    }
    const delimiter = input.Delimiter === '' ? undefined : input.Delimiter;
    const contents: StoredObject[] = [];
    const commonPrefixes: string[] = [];
    let last = '';
    let truncated = false;
    for (const key of this.sortedKeys(b)) {
      if (!key.startsWith(prefix) || compareKeys(key, after) <= 0) continue;
      let rolled: string | undefined;
      if (delimiter !== undefined) {
        const idx = key.indexOf(delimiter, prefix.length);
        if (idx >= 0) rolled = key.slice(0, idx + delimiter.length);
      }
      if (rolled !== undefined && commonPrefixes.includes(rolled)) continue;
      if (contents.length + commonPrefixes.length >= limit) {
        truncated = true;
        break;
      }
      if (rolled !== undefined) {
        commonPrefixes.push(rolled);
        // Skip the rest of the rolled-up keys on the next page too.
        last = rolled + '\u{10FFFF}';
      } else {
        contents.push(b.objects.get(key)!);
        last = key;
      }
    }
    return {
      Name: b.name,
      Prefix: prefix,
      ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
      MaxKeys: maxKeys,
      KeyCount: contents.length + commonPrefixes.length,
      IsTruncated: truncated,
      ...(contents.length > 0
        ? { Contents: contents.map((o) => ({ Key: o.key, LastModified: new Date(o.lastModifiedMs), ETag: o.etag, Size: o.body.length, StorageClass: 'STANDARD' })) }
        : {}),
      ...(commonPrefixes.length > 0 ? { CommonPrefixes: commonPrefixes.map((p) => ({ Prefix: p })) } : {}),
      ...(truncated ? { NextContinuationToken: Buffer.from(`sbx-s3:${last}`, 'utf8').toString('base64url') } : {}),
      ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
      ...(input.StartAfter !== undefined ? { StartAfter: input.StartAfter } : {}),
    };
  }

  /**
   * DeleteObject (succeeds also for a key that does not exist, as S3 does).
   * @throws `NoSuchBucket`, `PermanentRedirect`, `AccessDenied` (s3:DeleteObject)
   * Source: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
   */
  deleteObject(input: { Bucket?: string; Key?: string }, ctx: CallContext): Record<string, unknown> {
    const b = this.mustExistInRegion(input.Bucket, ctx);
    const key = this.requireKey(input.Key);
    this.requireAllowed(ctx, b.name, 's3:DeleteObject', `${b.arn}/${key}`);
    this.beforeRead();
    b.objects.delete(key);
    return {};
  }

  // ------------------------------------------------------------------ internals

  private add(name: string, accountId: string, region: string, kmsKeyArn: string | undefined, policy: PolicyDocument | undefined): void {
    this.buckets.set(name, {
      name,
      accountId,
      region,
      arn: `arn:aws:s3:::${name}`,
      creationDate: this.clock.now(),
      ...(kmsKeyArn ? { kmsKeyArn } : {}),
      ...(policy ? { policy } : {}),
      objects: new Map(),
    });
  }

  private readableObject(input: { Bucket?: string; Key?: string }, ctx: CallContext, head: boolean): { b: Bucket; obj: StoredObject } {
    const name = this.requireBucketParam(input.Bucket);
    const b = this.buckets.get(name);
    if (!b) throw head ? s3Err('NotFound', 'UnknownError', 404) : s3Err('NoSuchBucket', 'The specified bucket does not exist', 404);
    if (b.region !== ctx.region) throw head ? s3Err('Unknown', 'UnknownError', 301) : this.redirect(b);
    const key = this.requireKey(input.Key);
    const denied = this.authorize(ctx.principal, b.name, 's3:GetObject', `${b.arn}/${key}`);
    if (denied) throw head ? s3Err('Unknown', 'UnknownError', 403) : s3Err('AccessDenied', deniedMessage(ctx.principal.callerArn, { action: 's3:GetObject', resource: `${b.arn}/${key}` }, denied), 403);
    this.beforeRead();
    const obj = b.objects.get(key);
    if (!obj) {
      // Without s3:ListBucket, S3 does not reveal whether the key exists.
      const mayList = this.authorize(ctx.principal, b.name, 's3:ListBucket', b.arn, { 's3:prefix': key }) === undefined;
      if (head) throw mayList ? s3Err('NotFound', 'UnknownError', 404) : s3Err('Unknown', 'UnknownError', 403);
      throw mayList ? s3Err('NoSuchKey', 'The specified key does not exist.', 404) : s3Err('AccessDenied', 'Access Denied', 403);
    }
    if (obj.kmsKeyArn) {
      try {
        this.requireKeyUse(ctx, obj.kmsKeyArn, 'kms:Decrypt');
      } catch (e) {
        if (head) throw s3Err('Unknown', 'UnknownError', (e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode);
        throw e;
      }
    }
    return { b, obj };
  }

  private objectHeaders(o: StoredObject): Record<string, unknown> {
    return {
      ContentLength: o.body.length,
      ContentType: o.contentType,
      ETag: o.etag,
      LastModified: new Date(o.lastModifiedMs),
      AcceptRanges: 'bytes',
      ServerSideEncryption: o.kmsKeyArn ? 'aws:kms' : 'AES256',
      ...(o.kmsKeyArn ? { SSEKMSKeyId: o.kmsKeyArn } : {}),
      Metadata: { ...o.metadata },
    };
  }

  private view(o: StoredObject): S3ObjectView {
    return {
      key: o.key,
      size: o.body.length,
      body: o.body.toString('utf8'),
      bytes: new Uint8Array(o.body),
      contentType: o.contentType,
      lastModified: new Date(o.lastModifiedMs).toISOString(),
      etag: o.etag,
      ...(o.kmsKeyArn ? { kmsKeyArn: o.kmsKeyArn } : {}),
      metadata: { ...o.metadata },
    };
  }

  private sortedKeys(b: Bucket): string[] {
    return [...b.objects.keys()].sort(compareKeys);
  }

  private requireBucketParam(bucket: string | undefined): string {
    if (!bucket) throw s3Err('InvalidArgument', 'Bucket name must not be empty');
    return bucket;
  }

  private requireKey(key: string | undefined): string {
    if (key === undefined || key.length === 0) throw s3Err('InvalidArgument', 'Object key must not be empty');
    if (Buffer.byteLength(key, 'utf8') > 1024) throw s3Err('KeyTooLongError', 'Your key is too long');
    return key;
  }

  private mustExist(bucket: string | undefined): Bucket {
    const b = this.buckets.get(this.requireBucketParam(bucket));
    if (!b) throw s3Err('NoSuchBucket', 'The specified bucket does not exist', 404);
    return b;
  }

  private mustExistInRegion(bucket: string | undefined, ctx: CallContext): Bucket {
    const b = this.mustExist(bucket);
    if (b.region !== ctx.region) throw this.redirect(b);
    return b;
  }

  private redirect(b: Bucket): Error {
    return s3Err('PermanentRedirect', `The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint. (bucket ${b.name} is in ${b.region})`, 301);
  }

  private requireAllowed(ctx: CallContext, bucket: string, action: string, resource: string, context: Record<string, string> = {}): void {
    const why = this.authorize(ctx.principal, bucket, action, resource, context);
    if (why) throw s3Err('AccessDenied', deniedMessage(ctx.principal.callerArn, { action, resource } as AuthzRequest, why), 403);
  }

  private requireKeyUse(ctx: CallContext, keyArn: string, action: string): void {
    const key = this.kms.get(keyArn);
    if (!key) throw s3Err('KMS.NotFoundException', `Invalid keyId '${keyArn}'`);
    const problem = this.kms.checkUse(ctx.principal, key, [action], 's3');
    if (problem?.problem === 'disabled') throw s3Err('KMS.DisabledException', `${key.arn} is disabled.`);
    if (problem) {
      throw s3Err('AccessDenied', `User: ${ctx.principal.callerArn} is not authorized to perform: ${action} on resource: ${key.arn} because ${problem.why === 'resource' ? 'no resource-based policy' : problem.why === 'explicit' ? 'of an explicit deny in a policy' : 'no identity-based policy'} allows the ${action} action`, 403);
    }
  }

  private mustGet(bucket: string): Bucket {
    const b = this.buckets.get(bucket);
    if (!b) throw new SandboxUsageError(`unknown bucket ${bucket}`);
    return b;
  }
}

/** S3 key order: UTF-8 binary order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
