/**
 * Principals, IAM roles and the credentials the sandbox issues.
 *
 * Two kinds of principal exist: an account root (`arn:aws:iam::<acct>:root`, full admin, identity
 * policies never checked) and a role registered with {@link IamStore.putRole} (its identity
 * policies are enforced on every call made with its credentials). Role credentials come from
 * `credentialsFor(roleArn)` (session name `sandbox`, no expiry) or from STS AssumeRole (session
 * name as requested, expiring at `Expiration`).
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html
 */
import type { VirtualClock } from './clock';
import { awsError, SandboxUsageError, type ServiceName } from './errors';
import type { PolicyDocument, PolicyPrincipal } from './iam-eval';

/** A registered IAM role. */
export interface RoleRecord {
  readonly accountId: string;
  readonly roleName: string;
  /** `arn:aws:iam::<acct>:role/<name>`. */
  readonly arn: string;
  /** `AROA...` unique id, as in `AssumedRoleUser.AssumedRoleId`. */
  readonly roleId: string;
  readonly trustPolicy: PolicyDocument;
  readonly policies: readonly PolicyDocument[];
  /** MaxSessionDuration of the role, seconds (3600-43200; default 3600). */
  readonly maxSessionDurationSeconds: number;
}

/** Input of {@link IamStore.putRole}. */
export interface PutRoleInput {
  readonly accountId: string;
  readonly roleName: string;
  readonly trustPolicy: PolicyDocument;
  readonly policies: readonly PolicyDocument[];
  /** Role MaxSessionDuration in seconds (default 3600). */
  readonly maxSessionDurationSeconds?: number;
}

/** The caller of one simulated API call. */
export interface Principal extends PolicyPrincipal {
  readonly kind: 'root' | 'role';
  /** What AWS prints after `User:` in denial messages: the root ARN or the assumed-role session ARN. */
  readonly callerArn: string;
  /** GetCallerIdentity `UserId`. */
  readonly userId: string;
  readonly roleName?: string;
  readonly sessionName?: string;
  /** true when these credentials came from AssumeRole called by a role session (role chaining). */
  readonly chained?: boolean;
}

/** Static credentials as passed to an SDK client's `credentials`. */
export interface SandboxCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Set for AssumeRole credentials. */
  readonly expiration?: Date;
}

interface Session {
  readonly credentials: SandboxCredentials;
  readonly principal: Principal;
  readonly expiresAtMs?: number;
}

const ROOT_RE = /^arn:aws:iam::(\d{12}):root$/;
const ROLE_RE = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** Parses `arn:aws:iam::<acct>:root` or a role ARN; undefined when neither. */
export function parsePrincipalArn(arn: string): { kind: 'root'; accountId: string } | { kind: 'role'; accountId: string; roleName: string } | undefined {
  const root = ROOT_RE.exec(arn);
  if (root) return { kind: 'root', accountId: root[1]! };
  const role = ROLE_RE.exec(arn);
  if (role) return { kind: 'role', accountId: role[1]!, roleName: role[2]! };
  return undefined;
}

/** IAM roles plus the credential registry. */
export class IamStore {
  private readonly roles = new Map<string, RoleRecord>();
  private readonly sessions = new Map<string, Session>();
  private readonly staticKeys = new Map<string, string>();
  private seq = 0;

  constructor(private readonly clock: VirtualClock) {}

  /**
   * Registers (or replaces) a role. Its identity policies are enforced for calls made with its credentials.
   * @returns the role ARN `arn:aws:iam::<accountId>:role/<roleName>`
   * @throws SandboxUsageError for a malformed account id or role name
   */
  putRole(role: PutRoleInput): string {
    if (!/^\d{12}$/.test(role.accountId)) throw new SandboxUsageError(`putRole: accountId must be 12 digits, got ${role.accountId}`);
    if (!/^[\w+=,.@-]{1,64}$/.test(role.roleName)) throw new SandboxUsageError(`putRole: invalid role name ${role.roleName}`);
    const arn = `arn:aws:iam::${role.accountId}:role/${role.roleName}`;
    const existing = this.roles.get(arn);
    this.roles.set(arn, {
      accountId: role.accountId,
      roleName: role.roleName,
      arn,
      roleId: existing?.roleId ?? `AROA${this.nextId(17)}`,
      trustPolicy: role.trustPolicy,
      policies: [...role.policies],
      maxSessionDurationSeconds: role.maxSessionDurationSeconds ?? 3600,
    });
    return arn;
  }

  /** The role registered under `roleArn`, or undefined. */
  getRole(roleArn: string): RoleRecord | undefined {
    return this.roles.get(roleArn);
  }

  /** Removes a role. Sessions of it keep authenticating but every IAM-checked call is then denied (no policies). */
  deleteRole(roleArn: string): void {
    this.roles.delete(roleArn);
  }

  /**
   * Credentials the sandbox recognises as `principalArn` (stable: the same principal always gets the same keys).
   * @param principalArn `arn:aws:iam::<acct>:root` or the ARN of a role registered with putRole
   * @throws SandboxUsageError for any other ARN or an unknown role
   */
  credentialsFor(principalArn: string): SandboxCredentials {
    const parsed = parsePrincipalArn(principalArn);
    if (!parsed) throw new SandboxUsageError(`credentialsFor: ${principalArn} is neither an account root ARN nor a role ARN`);
    if (parsed.kind === 'role' && !this.roles.has(principalArn)) throw new SandboxUsageError(`credentialsFor: role ${principalArn} does not exist (call iam.putRole first)`);
    const known = this.staticKeys.get(principalArn);
    if (known) return this.sessions.get(known)!.credentials;
    const principal = parsed.kind === 'root' ? this.rootPrincipal(parsed.accountId) : this.rolePrincipal(this.roles.get(principalArn)!, 'sandbox', false);
    const creds: SandboxCredentials = {
      accessKeyId: `${parsed.kind === 'root' ? 'AKIA' : 'ASIA'}${this.nextId(16)}`,
      secretAccessKey: `sandbox-secret-${this.nextId(24)}`,
      ...(parsed.kind === 'role' ? { sessionToken: `sandbox-token-${this.nextId(32)}` } : {}),
    };
    this.sessions.set(creds.accessKeyId, { credentials: creds, principal });
    this.staticKeys.set(principalArn, creds.accessKeyId);
    return creds;
  }

  /**
   * Issues AssumeRole session credentials for `role`, expiring `durationSeconds` after now. With a
   * `sessionPolicy`, every call of the session is limited to what it and the role's policies both allow.
   */
  issueSession(role: RoleRecord, sessionName: string, durationSeconds: number, chained: boolean, sessionPolicy?: PolicyDocument): { credentials: SandboxCredentials; principal: Principal } {
    const expiresAtMs = this.clock.nowMs() + durationSeconds * 1000;
    const base = this.rolePrincipal(role, sessionName, chained);
    const principal: Principal = sessionPolicy ? { ...base, sessionPolicy } : base;
    const credentials: SandboxCredentials = {
      accessKeyId: `ASIA${this.nextId(16)}`,
      secretAccessKey: `sandbox-secret-${this.nextId(24)}`,
      sessionToken: `sandbox-token-${this.nextId(32)}`,
      expiration: new Date(expiresAtMs),
    };
    this.sessions.set(credentials.accessKeyId, { credentials, principal, expiresAtMs });
    return { credentials, principal };
  }

  /**
   * The principal behind an access key.
   * @throws `InvalidClientTokenId` (RDS, STS, SNS: Query-protocol services), `UnrecognizedClientException` (KMS),
   *   `InvalidAccessKeyId` (S3) for an unknown key; `ExpiredToken` / `ExpiredTokenException` (KMS) once an
   *   AssumeRole session has expired.
   */
  authenticate(service: ServiceName, accessKeyId: string | undefined): Principal {
    const session = accessKeyId === undefined ? undefined : this.sessions.get(accessKeyId);
    if (!session) {
      if (service === 'kms' || service === 'dynamodb') throw awsError(service, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (service === 's3') throw awsError('s3', 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
      throw awsError(service, 'InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    }
    if (session.expiresAtMs !== undefined && this.clock.nowMs() >= session.expiresAtMs) {
      if (service === 'kms') throw awsError('kms', 'ExpiredTokenException', 'The security token included in the request is expired', 400);
      throw awsError(service, 'ExpiredToken', 'The security token included in the request is expired', 403);
    }
    return session.principal;
  }

  /** The principal of a session of `role` (as a service assuming it acts), without issuing credentials. */
  sessionPrincipal(role: RoleRecord, sessionName: string): { principal: Principal } {
    return { principal: this.rolePrincipal(role, sessionName, false) };
  }

  private rootPrincipal(accountId: string): Principal {
    const arn = `arn:aws:iam::${accountId}:root`;
    return { kind: 'root', accountId, arn, callerArn: arn, userId: accountId };
  }

  private rolePrincipal(role: RoleRecord, sessionName: string, chained: boolean): Principal {
    const sessionArn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
    return {
      kind: 'role',
      accountId: role.accountId,
      arn: role.arn,
      sessionArn,
      callerArn: sessionArn,
      userId: `${role.roleId}:${sessionName}`,
      roleName: role.roleName,
      sessionName,
      chained,
    };
  }

  /** A unique id of `len` characters: `SBX` then the sequence number in base 36, zero-padded (never reused). */
  private nextId(len: number): string {
    this.seq++;
    const digits = this.seq.toString(36).toUpperCase();
    if (digits.length > len - 3) throw new SandboxUsageError(`sandbox ran out of ${len}-character ids`);
    return `SBX${digits.padStart(len - 3, '0')}`;
  }
}
