/**
 * KMS keys of the sandbox: customer managed keys (with key policies and aliases) and the
 * AWS managed `aws/rds` key of each account/Region. Keys are regional: a key is only found in its
 * own Region. Simulated API: DescribeKey, GetKeyPolicy.
 * Source: https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
 */
import { randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock';
import { checkWithResourcePolicy, deniedMessage, requireIdentity, type CallContext } from './context';
import { awsError, SandboxUsageError } from './errors';
import type { IamStore, Principal } from './identity';
import type { DenialReason, PolicyDocument } from './iam-eval';

/** One KMS key. */
export interface KmsKeyRecord {
  readonly keyId: string;
  /** `arn:aws:kms:<region>:<acct>:key/<keyId>`. */
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  policy: PolicyDocument;
  enabled: boolean;
  readonly description: string;
  readonly keyManager: 'CUSTOMER' | 'AWS';
  readonly aliases: string[];
  readonly creationDate: Date;
}

/** Input of {@link KmsStore.createKey}. */
export interface CreateKeyInput {
  readonly accountId: string;
  readonly region: string;
  /** Key policy; default: the account root may do `kms:*` (AWS's default key policy). */
  readonly policy?: PolicyDocument;
  /** `alias/<name>`; must not start with `alias/aws/`. */
  readonly alias?: string;
  readonly description?: string;
}

/** The actions RDS needs on the source key of an encrypted snapshot copy (rule 4). */
export const SOURCE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext'] as const;
/**
 * The actions the caller needs on the destination key of a copy: RDS creates a grant and then works
 * through it. Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html
 */
export const TARGET_KEY_ACTIONS = ['kms:DescribeKey', 'kms:CreateGrant'] as const;

/** Default key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). */
export function defaultKeyPolicy(accountId: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

/** The policy AWS puts on an AWS managed key such as `aws/rds` (usable only via the service, only by its own account). */
export function awsManagedKeyPolicy(accountId: string, region: string, service: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Allow access through the service for all principals in the account that are authorized to use it',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:ListGrants', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com`, 'kms:CallerAccount': accountId } },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
        Resource: '*',
      },
    ],
  };
}

/** Why a key cannot be used. */
export type KeyAccessProblem = { readonly problem: 'disabled' } | { readonly problem: 'denied'; readonly action: string; readonly why: DenialReason };

/** All keys and aliases. */
export class KmsStore {
  private readonly keys = new Map<string, KmsKeyRecord>();
  /** `<acct>/<region>/<alias name>` -> key ARN. */
  private readonly aliases = new Map<string, string>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
  ) {}

  /**
   * Creates a customer managed symmetric key.
   * @returns `{ keyId, arn }` (`arn:aws:kms:<region>:<acct>:key/<uuid>`)
   * @throws SandboxUsageError for an alias that exists or is reserved (`alias/aws/...`)
   */
  createKey(k: CreateKeyInput): { keyId: string; arn: string } {
    if (k.alias !== undefined && (!/^alias\/[a-zA-Z0-9/_-]+$/.test(k.alias) || k.alias.startsWith('alias/aws/'))) {
      throw new SandboxUsageError(`createKey: invalid alias ${k.alias}`);
    }
    if (k.alias !== undefined && this.aliases.has(`${k.accountId}/${k.region}/${k.alias}`)) throw new SandboxUsageError(`createKey: alias ${k.alias} already exists`);
    const rec = this.add(k.accountId, k.region, k.policy ?? defaultKeyPolicy(k.accountId), k.description ?? '', 'CUSTOMER', k.alias);
    return { keyId: rec.keyId, arn: rec.arn };
  }

  /** Replaces a key's policy. @throws SandboxUsageError for an unknown key ARN */
  putKeyPolicy(keyArn: string, policy: PolicyDocument): void {
    this.mustGet(keyArn).policy = policy;
  }

  /** Disables a key (RDS then reports KMSKeyNotAccessibleFault for it). @throws SandboxUsageError for an unknown key ARN */
  disableKey(keyArn: string): void {
    this.mustGet(keyArn).enabled = false;
  }

  /** Re-enables a key. @throws SandboxUsageError for an unknown key ARN */
  enableKey(keyArn: string): void {
    this.mustGet(keyArn).enabled = true;
  }

  /** The AWS managed `aws/rds` key of an account/Region (created on first use). @returns key ARN */
  defaultRdsKey(accountId: string, region: string): string {
    return this.defaultAwsKey(accountId, region, 'rds');
  }

  /**
   * The AWS managed key `aws/<service>` of an account/Region (e.g. `aws/rds`, `aws/s3`), created on
   * first use with the policy AWS gives such keys (usable only through that service by its account).
   * @returns key ARN
   */
  defaultAwsKey(accountId: string, region: string, service: 'rds' | 's3' | 'sns'): string {
    const alias = `alias/aws/${service}`;
    const existing = this.aliases.get(`${accountId}/${region}/${alias}`);
    if (existing) return existing;
    const description =
      service === 'rds' ? 'Default key that protects my RDS database volumes when no other key is defined' : `Default key that protects my ${service.toUpperCase()} data when no other key is defined`;
    return this.add(accountId, region, awsManagedKeyPolicy(accountId, region, service), description, 'AWS', alias).arn;
  }

  /** true when `keyArn` is the `aws/rds` key of its account/Region. */
  isDefaultRdsKey(keyArn: string): boolean {
    const k = this.keys.get(keyArn);
    return !!k && k.keyManager === 'AWS' && k.aliases.includes('alias/aws/rds');
  }

  /** A key by ARN. */
  get(keyArn: string): KmsKeyRecord | undefined {
    return this.keys.get(keyArn);
  }

  /**
   * Resolves a KeyId as AWS APIs accept it — key id, key ARN, `alias/<name>`, alias ARN — as seen
   * from `accountId` in `region`. Keys are regional: a key or alias of another Region is not found.
   * A key id or bare alias name refers to the caller's own account.
   */
  resolve(accountId: string, region: string, keyId: string): KmsKeyRecord | undefined {
    let arn: string | undefined;
    const aliasArn = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/.exec(keyId);
    if (aliasArn) {
      arn = aliasArn[1] === region ? this.aliases.get(`${aliasArn[2]}/${aliasArn[1]}/${aliasArn[3]}`) : undefined;
    } else if (keyId.startsWith('arn:')) {
      arn = keyId;
    } else if (keyId.startsWith('alias/')) {
      arn = this.aliases.get(`${accountId}/${region}/${keyId}`);
    } else {
      arn = `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
    }
    const key = arn === undefined ? undefined : this.keys.get(arn);
    return key && key.region === region ? key : undefined;
  }

  /**
   * Checks that `principal` may use `key` for every action, as RDS does on its behalf
   * (`kms:ViaService` = `<viaService>.<key region>.amazonaws.com`).
   * @returns undefined when usable, else the first problem
   */
  checkUse(principal: Principal, key: KmsKeyRecord, actions: readonly string[], viaService?: string): KeyAccessProblem | undefined {
    if (!key.enabled) return { problem: 'disabled' };
    for (const action of actions) {
      const why = checkWithResourcePolicy(this.iam, principal, key.policy, key.accountId, {
        action,
        resource: key.arn,
        context: {
          'kms:CallerAccount': principal.accountId,
          // Aliases of the key (multi-valued; https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases).
          'kms:ResourceAliases': key.aliases,
          ...(viaService ? { 'kms:ViaService': `${viaService}.${key.region}.amazonaws.com` } : {}),
          // A grant an AWS service creates for its own use (RDS copying a snapshot) carries
          // kms:GrantIsForAWSResource = true (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
          ...(viaService && action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}),
        },
      });
      if (why) return { problem: 'denied', action, why };
    }
    return undefined;
  }

  /**
   * KMS GetKeyPolicy (`rsv preflight` reads the source keys' policies). Input `{ KeyId, PolicyName? }`
   * (PolicyName `default`, the only one; an alias is not accepted as KeyId, as in AWS); output
   * `{ Policy, PolicyName }` with the policy as a JSON string.
   * @throws `NotFoundException` (unknown key), `AccessDeniedException` (key/identity policy do not
   *   allow `kms:GetKeyPolicy`), `ValidationException` (KeyId missing, alias given, PolicyName not `default`)
   * Source: https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
   */
  getKeyPolicy(input: { KeyId?: string; PolicyName?: string }, ctx: CallContext): Record<string, unknown> {
    if (!input.KeyId) throw awsError('kms', 'ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    if (input.KeyId.includes('alias/')) throw awsError('kms', 'ValidationException', 'GetKeyPolicy takes a key ID or key ARN, not an alias');
    if (input.PolicyName !== undefined && input.PolicyName !== 'default') throw awsError('kms', 'ValidationException', `PolicyName must be default, got ${input.PolicyName}`);
    const key = this.resolve(ctx.accountId, ctx.region, input.KeyId);
    if (!key) throw awsError('kms', 'NotFoundException', `Key '${input.KeyId}' does not exist`);
    const request = { action: 'kms:GetKeyPolicy', resource: key.arn, context: { 'kms:CallerAccount': ctx.accountId, 'kms:ResourceAliases': key.aliases } };
    const why = checkWithResourcePolicy(this.iam, ctx.principal, key.policy, key.accountId, request);
    if (why) {
      if (why === 'identity') requireIdentity(this.iam, ctx, { action: 'kms:GetKeyPolicy', resource: key.arn });
      throw awsError('kms', 'AccessDeniedException', deniedMessage(ctx.principal.callerArn, { action: 'kms:GetKeyPolicy', resource: key.arn }, why));
    }
    return { Policy: JSON.stringify(key.policy), PolicyName: 'default' };
  }

  /**
   * KMS DescribeKey. Input `{ KeyId }`; output `{ KeyMetadata }` as the SDK types it.
   * @throws `NotFoundException` (unknown key/alias, or a key of another Region), `AccessDeniedException`
   *   (key policy / identity policy do not allow `kms:DescribeKey`), `ValidationException` (KeyId missing)
   * Source: https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
   */
  describeKey(input: { KeyId?: string }, ctx: CallContext): Record<string, unknown> {
    if (!input.KeyId) throw awsError('kms', 'ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    const key = this.resolve(ctx.accountId, ctx.region, input.KeyId);
    if (!key) {
      const shown = input.KeyId.startsWith('arn:') || input.KeyId.startsWith('alias/') ? input.KeyId : `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${input.KeyId}`;
      throw awsError('kms', 'NotFoundException', input.KeyId.includes('alias/') ? `Alias ${shown} is not found.` : `Key '${shown}' does not exist`);
    }
    const why = checkWithResourcePolicy(this.iam, ctx.principal, key.policy, key.accountId, {
      action: 'kms:DescribeKey',
      resource: key.arn,
      context: { 'kms:CallerAccount': ctx.accountId, 'kms:ResourceAliases': key.aliases },
    });
    if (why) {
      // Same-account identity gap: reuse the identity-based wording.
      if (why === 'identity') requireIdentity(this.iam, ctx, { action: 'kms:DescribeKey', resource: key.arn });
      throw awsError('kms', 'AccessDeniedException', deniedMessage(ctx.principal.callerArn, { action: 'kms:DescribeKey', resource: key.arn }, why));
    }
    return {
      KeyMetadata: {
        AWSAccountId: key.accountId,
        KeyId: key.keyId,
        Arn: key.arn,
        CreationDate: key.creationDate,
        Enabled: key.enabled,
        Description: key.description,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyState: key.enabled ? 'Enabled' : 'Disabled',
        Origin: 'AWS_KMS',
        KeyManager: key.keyManager,
        CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
        MultiRegion: false,
      },
    };
  }

  private add(accountId: string, region: string, policy: PolicyDocument, description: string, keyManager: 'CUSTOMER' | 'AWS', alias?: string): KmsKeyRecord {
    const keyId = randomUUID();
    const rec: KmsKeyRecord = {
      keyId,
      arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
      accountId,
      region,
      policy,
      enabled: true,
      description,
      keyManager,
      aliases: alias ? [alias] : [],
      creationDate: this.clock.now(),
    };
    this.keys.set(rec.arn, rec);
    if (alias) this.aliases.set(`${accountId}/${region}/${alias}`, rec.arn);
    return rec;
  }

  private mustGet(keyArn: string): KmsKeyRecord {
    const k = this.keys.get(keyArn);
    if (!k) throw new SandboxUsageError(`unknown KMS key ${keyArn}`);
    return k;
  }
}
