/**
 * The simulated AWS Secrets Manager, reduced to what restore drills need (issue 9): secrets that
 * RDS creates and owns when a DB instance or DB cluster is modified with
 * `ManageMasterUserPassword` (name `rds!db-<uuid>` / `rds!cluster-<uuid>`, JSON
 * `{"username","password"}`, deleted with the database), and `GetSecretValue` for callers whose IAM
 * identity policy allows `secretsmanager:GetSecretValue` on the secret ARN.
 *
 * Not modelled: resource policies on secrets, rotation, versions other than AWSCURRENT, and the
 * KMS key of the secret (RDS uses `aws/secretsmanager` by default, which every principal of the
 * account may use through Secrets Manager).
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import { randomBytes } from 'node:crypto';
import type { VirtualClock } from './clock';
import { requireIdentity, type CallContext } from './context';
import { awsError } from './errors';
import type { IamStore } from './identity';

interface SecretRecord {
  readonly arn: string;
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  secretString: string;
  readonly createdAt: Date;
  readonly tags: Record<string, string>;
  versionId: string;
}

/** Every secret of every account and Region. */
export class SecretsStore {
  private readonly secrets = new Map<string, SecretRecord>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
  ) {}

  /**
   * Creates a secret owned by RDS (no IAM check here: RDS checks the caller's
   * `secretsmanager:CreateSecret` before calling). ARN `arn:aws:secretsmanager:<r>:<a>:secret:<name>-<6 chars>`.
   * @returns the ARN
   */
  createRdsSecret(s: { accountId: string; region: string; name: string; value: Record<string, unknown>; tags?: Record<string, string> }): string {
    const arn = `arn:aws:secretsmanager:${s.region}:${s.accountId}:secret:${s.name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set(arn, {
      arn,
      name: s.name,
      accountId: s.accountId,
      region: s.region,
      secretString: JSON.stringify(s.value),
      createdAt: this.clock.now(),
      tags: { ...(s.tags ?? {}) },
      versionId: randomBytes(16).toString('hex'),
    });
    return arn;
  }

  /** Replaces a secret's value (RDS resetting the managed password). */
  putRdsSecretValue(arn: string, value: Record<string, unknown>): void {
    const s = this.secrets.get(arn);
    if (!s) return;
    s.secretString = JSON.stringify(value);
    s.versionId = randomBytes(16).toString('hex');
  }

  /** Deletes a secret at once (RDS deletes its managed secret with the database). */
  deleteRdsSecret(arn: string): void {
    this.secrets.delete(arn);
  }

  /** Whether a secret exists (tests). */
  has(arn: string): boolean {
    return this.secrets.has(arn);
  }

  /**
   * GetSecretValue. Input: SecretId (ARN or name, in the caller's account and Region).
   * @throws `ResourceNotFoundException`, `AccessDeniedException` (IAM: `secretsmanager:GetSecretValue` on the secret ARN)
   * Source: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
   */
  getSecretValue(input: { SecretId?: string }, ctx: CallContext): Record<string, unknown> {
    const id = input.SecretId;
    if (!id) throw awsError('secretsmanager', 'InvalidParameterException', 'SecretId is required.');
    const s = this.secrets.get(id) ?? [...this.secrets.values()].find((x) => x.name === id && x.accountId === ctx.accountId && x.region === ctx.region);
    const resource = s?.arn ?? (id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${id}`);
    const context: Record<string, string> = {};
    for (const [k, v] of Object.entries(s?.tags ?? {})) context[`aws:ResourceTag/${k}`] = v;
    requireIdentity(this.iam, ctx, { action: 'secretsmanager:GetSecretValue', resource, context });
    if (!s || s.accountId !== ctx.accountId || s.region !== ctx.region) {
      throw awsError('secretsmanager', 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    return { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: s.secretString, VersionStages: ['AWSCURRENT'], CreatedDate: s.createdAt };
  }
}
