/**
 * Per-call context and the shared authorization helpers used by every simulated service.
 */
import { awsError, type ServiceName } from './errors';
import type { IamStore, Principal } from './identity';
import { combine, evaluateResource, type AuthzRequest, type PolicyDocument } from './policy';

/** Who called what, where. Passed to every operation handler and to fault `match` functions. */
export interface CallContext {
  readonly service: ServiceName;
  /** Command name without `Command`, e.g. `CopyDBSnapshot`. */
  readonly operation: string;
  /** Caller's account id. */
  readonly accountId: string;
  /** The client's Region (for RDS copies: the destination Region). */
  readonly region: string;
  /** Role ARN (`arn:aws:iam::<acct>:role/<name>`) or account root ARN of the caller. */
  readonly principalArn: string;
  readonly principal: Principal;
}

/** One recorded call, in call order. */
export interface CallRecord {
  readonly service: ServiceName;
  readonly operation: string;
  accountId: string;
  region: string;
  principalArn: string;
  readonly input: unknown;
  /** Virtual time of the call, ISO-8601 UTC. */
  readonly at: string;
  /** Name of the error the call failed with; absent on success. */
  errorName?: string;
}

/** The error name a service uses for an authorization failure. */
export function accessDeniedName(service: ServiceName): string {
  switch (service) {
    case 'sns':
      return 'AuthorizationErrorException';
    case 'kms':
    case 'secretsmanager':
      return 'AccessDeniedException';
    default:
      return 'AccessDenied';
  }
}

/** AWS's message: `User: <caller> is not authorized to perform: <action> on resource: <arn> because ...`. */
export function deniedMessage(callerArn: string, req: AuthzRequest, why: 'identity' | 'explicit' | 'resource'): string {
  const base = `User: ${callerArn} is not authorized to perform: ${req.action} on resource: ${req.resource}`;
  if (why === 'explicit') return `${base} with an explicit deny`;
  if (why === 'resource') return `${base} because no resource-based policy allows the ${req.action} action`;
  return `${base} because no identity-based policy allows the ${req.action} action`;
}

/**
 * Requires the caller's identity policies to allow `req` (account root always passes).
 * @throws `AccessDenied` (RDS, STS), `AuthorizationErrorException` (SNS), `AccessDeniedException` (KMS)
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function requireIdentity(iam: IamStore, ctx: CallContext, req: AuthzRequest): void {
  const decision = iam.identityDecision(ctx.principal, withPrincipalContext(ctx.principal, req));
  if (decision === 'allow') return;
  throw awsError(ctx.service, accessDeniedName(ctx.service), deniedMessage(ctx.principal.callerArn, req, decision === 'explicitDeny' ? 'explicit' : 'identity'));
}

/**
 * Adds `aws:PrincipalArn` / `aws:PrincipalAccount` and `aws:SecureTransport = true` (every SDK call
 * uses HTTPS) to a request's condition context.
 */
export function withPrincipalContext(p: Principal, req: AuthzRequest): AuthzRequest {
  return { ...req, context: { 'aws:PrincipalArn': p.arn, 'aws:PrincipalAccount': p.accountId, 'aws:SecureTransport': 'true', ...(req.context ?? {}) } };
}

/**
 * Evaluates a resource policy together with the caller's identity policies.
 * @returns `undefined` when allowed, else why it was denied
 */
export function checkWithResourcePolicy(
  iam: IamStore,
  principal: Principal,
  policy: PolicyDocument | undefined,
  resourceAccountId: string,
  req: AuthzRequest,
): 'explicit' | 'resource' | 'identity' | undefined {
  const full = withPrincipalContext(principal, req);
  const res = evaluateResource(policy, principal, full);
  const id = iam.identityDecision(principal, full);
  if (combine(res, id, principal, resourceAccountId)) return undefined;
  if (res.explicitDeny || id === 'explicitDeny') return 'explicit';
  if (res.allow === undefined) return 'resource';
  return 'identity';
}
