/**
 * The simulated AWS STS: AssumeRole and GetCallerIdentity.
 * Sources: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */
import { checkWithResourcePolicy, deniedMessage, type CallContext } from './context';
import { validateIdentityPolicy } from '@cloud-copilot/iam-policy';
import { awsError, SandboxUsageError } from './errors';
import type { PolicyDocument } from './iam-eval';
import type { IamStore } from './identity';

/**
 * AssumeRole. The role must exist; its trust policy must allow the caller (role ARN, session ARN,
 * account root ARN or account id in `Principal.AWS`, or `*`) for `sts:AssumeRole`, with conditions
 * such as `StringEquals: { "sts:ExternalId": ... }` evaluated against the request; a role caller
 * also needs `sts:AssumeRole` on the role in its identity policy unless the trust policy names it
 * directly in the same account. DurationSeconds: 900 up to the role's MaxSessionDuration (3600 by
 * default; at most 3600 when chaining roles); default 3600. `Policy` (inline session policy, JSON,
 * at most 2,048 characters): the session may then do only what both the role's identity policies
 * and this policy allow (docs/aws-behaviour.md §26).
 * @returns `{ Credentials: { AccessKeyId, SecretAccessKey, SessionToken, Expiration (Date) }, AssumedRoleUser: { AssumedRoleId, Arn } }`
 * @throws `AccessDenied` ("User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>"),
 *   `ValidationError` (RoleSessionName / DurationSeconds / RoleArn / Policy malformed or out of range),
 *   `MalformedPolicyDocumentException` (wire code MalformedPolicyDocument; Policy not JSON or not a valid policy)
 */
export function assumeRole(
  iam: IamStore,
  input: { RoleArn?: string; RoleSessionName?: string; ExternalId?: string; DurationSeconds?: number; Policy?: string; PolicyArns?: unknown[] },
  ctx: CallContext,
): Record<string, unknown> {
  if (!input.RoleArn || !/^arn:aws:iam::\d{12}:role\/.+$/.test(input.RoleArn)) {
    throw awsError('sts', 'ValidationError', `1 validation error detected: Value '${input.RoleArn ?? 'null'}' at 'roleArn' failed to satisfy constraint: Member must be a valid role ARN`);
  }
  if (!input.RoleSessionName || !/^[\w+=,.@-]{2,64}$/.test(input.RoleSessionName)) {
    throw awsError('sts', 'ValidationError', `1 validation error detected: Value '${input.RoleSessionName ?? 'null'}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const sessionPolicy = parseSessionPolicy(input);
  const context: Record<string, string> = input.ExternalId !== undefined ? { 'sts:ExternalId': input.ExternalId } : {};
  const req = { action: 'sts:AssumeRole', resource: input.RoleArn, context };
  const role = iam.getRole(input.RoleArn);
  if (!role) throw awsError('sts', 'AccessDenied', deniedMessage(ctx.principal.callerArn, req, 'resource').replace(/ because.*$/, ''));
  const why = checkWithResourcePolicy(iam, ctx.principal, role.trustPolicy, role.accountId, req, 'trust');
  if (why) throw awsError('sts', 'AccessDenied', deniedMessage(ctx.principal.callerArn, req, why).replace(/ because.*$/, ''));
  const duration = input.DurationSeconds ?? 3600;
  const chained = ctx.principal.kind === 'role';
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw awsError('sts', 'ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
  }
  if (chained && duration > 3600) throw awsError('sts', 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  if (duration > role.maxSessionDurationSeconds) throw awsError('sts', 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  const { credentials, principal } = iam.issueSession(role, input.RoleSessionName, duration, chained, sessionPolicy);
  return {
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      Expiration: credentials.expiration,
    },
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.callerArn },
  };
}

/** Longest inline session policy STS accepts (characters of the JSON text). */
export const SESSION_POLICY_MAX_CHARS = 2048;

/**
 * The inline session policy of an AssumeRole request (`Policy`, a JSON policy document of at most
 * 2,048 characters), validated as an identity policy.
 * @throws `ValidationError` (too long), `MalformedPolicyDocumentException` (not JSON or not a valid policy);
 *   SandboxUsageError for `PolicyArns` (managed session policies are not modelled)
 */
function parseSessionPolicy(input: { Policy?: string; PolicyArns?: unknown[] }): PolicyDocument | undefined {
  if (input.PolicyArns !== undefined && input.PolicyArns.length > 0) throw new SandboxUsageError('AssumeRole: PolicyArns (managed session policies) are not modelled by the sandbox; pass an inline Policy');
  if (input.Policy === undefined) return undefined;
  if (input.Policy.length < 1 || input.Policy.length > SESSION_POLICY_MAX_CHARS) {
    throw awsError('sts', 'ValidationError', `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to ${SESSION_POLICY_MAX_CHARS}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(input.Policy);
  } catch {
    throw awsError('sts', 'MalformedPolicyDocumentException', 'The policy is not in the valid JSON format.');
  }
  const errors = validateIdentityPolicy(doc);
  if (errors.length > 0) throw awsError('sts', 'MalformedPolicyDocumentException', `The policy is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return doc as PolicyDocument;
}

/**
 * GetCallerIdentity (needs no permission).
 * @returns `{ Account, Arn, UserId }`: for a role session Arn is `arn:aws:sts::<acct>:assumed-role/<role>/<session>`
 * Source: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
export function getCallerIdentity(ctx: CallContext): Record<string, unknown> {
  return { Account: ctx.accountId, Arn: ctx.principal.callerArn, UserId: ctx.principal.userId };
}
