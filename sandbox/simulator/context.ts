/**
 * Per-call context and the shared authorization helpers used by every simulated service.
 */
import { awsError, type ServiceName } from './errors';
import type { IamStore, Principal } from './identity';
import { authorize, type AuthzRequest, type DenialReason, type EvalCaller, type PolicyDocument, type ResourcePolicyKind } from './iam-eval';

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
    case 'dynamodb':
      return 'AccessDeniedException';
    default:
      return 'AccessDenied';
  }
}

/** AWS's message: `User: <caller> is not authorized to perform: <action> on resource: <arn> because ...`. */
export function deniedMessage(callerArn: string, req: AuthzRequest, why: DenialReason): string {
  const base = `User: ${callerArn} is not authorized to perform: ${req.action} on resource: ${req.resource}`;
  if (why === 'explicit') return `${base} with an explicit deny`;
  if (why === 'session') return `${base} because no session policy allows the ${req.action} action`;
  if (why === 'resource') return `${base} because no resource-based policy allows the ${req.action} action`;
  return `${base} because no identity-based policy allows the ${req.action} action`;
}

/**
 * The caller as the evaluator sees it: account root, or a role session with the role's identity
 * policies (none once deleted) and its session policy, if AssumeRole was given one.
 */
export function callerFor(iam: IamStore, principal: Principal): EvalCaller {
  if (principal.kind === 'root') return { kind: 'root', accountId: principal.accountId };
  return { kind: 'role', principal, policies: iam.getRole(principal.arn)?.policies ?? [] };
}

/**
 * Whether the caller's identity policies allow `req` (account root: always, unless nothing else).
 * Evaluated as a same-account request: the resource side (RDS snapshot sharing, for example) is the
 * calling service's own check.
 * @returns undefined when allowed, else `explicit` or `identity`
 */
export function identityDenial(iam: IamStore, principal: Principal, req: AuthzRequest): DenialReason | undefined {
  return authorize({ caller: callerFor(iam, principal), request: withPrincipalContext(principal, req), resourceAccountId: principal.accountId });
}

/**
 * Requires the caller's identity policies to allow `req` (account root always passes).
 * @throws `AccessDenied` (RDS, STS), `AuthorizationErrorException` (SNS), `AccessDeniedException` (KMS)
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function requireIdentity(iam: IamStore, ctx: CallContext, req: AuthzRequest): void {
  const why = identityDenial(iam, ctx.principal, req);
  if (why === undefined) return;
  throw awsError(ctx.service, accessDeniedName(ctx.service), deniedMessage(ctx.principal.callerArn, req, why === 'resource' ? 'identity' : why));
}

/**
 * Adds `aws:PrincipalArn` / `aws:PrincipalAccount` and `aws:SecureTransport = true` (every SDK call
 * uses HTTPS) to a request's condition context.
 */
export function withPrincipalContext(p: Principal, req: AuthzRequest): AuthzRequest {
  return { ...req, context: { 'aws:PrincipalArn': p.arn, 'aws:PrincipalAccount': p.accountId, 'aws:SecureTransport': 'true', ...(req.context ?? {}) } };
}

/**
 * Evaluates a resource policy (key policy, trust policy, topic policy, bucket policy) together with
 * the caller's identity policies, same-account or cross-account as the accounts say.
 * @returns `undefined` when allowed, else why it was denied
 */
export function checkWithResourcePolicy(
  iam: IamStore,
  principal: Principal,
  policy: PolicyDocument | undefined,
  resourceAccountId: string,
  req: AuthzRequest,
  kind: ResourcePolicyKind = 'resource',
): DenialReason | undefined {
  return authorize({
    caller: callerFor(iam, principal),
    request: withPrincipalContext(principal, req),
    resourceAccountId,
    ...(policy ? { resourcePolicy: policy } : {}),
    resourcePolicyKind: kind,
  });
}

/**
 * Evaluates a request an AWS service makes as its service principal (`cloudwatch.amazonaws.com`
 * publishing an alarm, `events.amazonaws.com` assuming a target role) against the resource's policy.
 * `aws:SecureTransport` is set (services call over TLS); pass `aws:SourceArn` / `aws:SourceAccount`
 * in `req.context` where AWS sets them.
 * @returns `undefined` when allowed, else why it was denied
 */
export function checkServicePrincipal(service: string, policy: PolicyDocument | undefined, resourceAccountId: string, req: AuthzRequest, kind: ResourcePolicyKind = 'resource'): DenialReason | undefined {
  return authorize({
    caller: { kind: 'service', service },
    request: { ...req, context: { 'aws:SecureTransport': 'true', ...(req.context ?? {}) } },
    resourceAccountId,
    ...(policy ? { resourcePolicy: policy } : {}),
    resourcePolicyKind: kind,
  });
}
