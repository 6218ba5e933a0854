/**
 * IAM policy documents and their evaluation, as far as the sandbox needs them.
 *
 * Identity policies: allowed when some `Allow` statement matches and no `Deny` matches.
 * Resource policies (KMS key policies, role trust policies, SNS topic policies) additionally match
 * the caller against `Principal`. The two combine as AWS documents it:
 * - same account: allowed if the resource policy names the principal itself (or `*`), or the
 *   resource policy names the account (`arn:aws:iam::<acct>:root` / `<acct>`) AND an identity
 *   policy allows;
 * - cross-account: the resource policy must name the principal or its account AND an identity
 *   policy must allow;
 * - an explicit `Deny` anywhere wins.
 * Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 *
 * Conditions: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`,
 * `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`, `Bool`, `Null`,
 * each with optional `IfExists` and `ForAnyValue:`/`ForAllValues:` prefixes. Keys the sandbox knows
 * (see {@link isKnownConditionKey}) are evaluated; a known key absent from the request fails a
 * positive operator and satisfies a negated one (as in AWS). Unknown keys and unknown operators are
 * treated as satisfied.
 */

/** One statement of a policy document. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | number | readonly (string | boolean | number)[]>>>>;
}

/** An IAM policy document (identity policy, key policy, trust policy or topic policy). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[] | PolicyStatement;
}

/** The request a policy is evaluated against. Condition keys are matched case-insensitively. */
export interface AuthzRequest {
  /** `service:Operation`, e.g. `rds:CopyDBSnapshot`. */
  readonly action: string;
  /** ARN of the resource (or a pattern-like string such as `arn:aws:rds:r:a:snapshot:*` for list calls). */
  readonly resource: string;
  /** Condition context: key -> value(s). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The caller as policies see it. */
export interface PolicyPrincipal {
  readonly accountId: string;
  /** `arn:aws:iam::<acct>:root` or the role ARN `arn:aws:iam::<acct>:role/<name>`. */
  readonly arn: string;
  /** The session ARN for assumed roles (`arn:aws:sts::<acct>:assumed-role/<name>/<session>`). */
  readonly sessionArn?: string;
}

const asArray = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** Statements of a document as an array. */
export function statementsOf(doc: PolicyDocument | undefined): readonly PolicyStatement[] {
  if (!doc) return [];
  return asArray(doc.Statement as PolicyStatement | readonly PolicyStatement[]);
}

const globCache = new Map<string, RegExp>();
/** IAM wildcard match: `*` any run of characters, `?` exactly one. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let re = globCache.get(key);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    globCache.set(key, re);
  }
  return re.test(value);
}

function actionMatches(st: PolicyStatement, action: string): boolean {
  if (st.Action !== undefined) return asArray(st.Action).some((p) => globMatch(p, action, true));
  if (st.NotAction !== undefined) return !asArray(st.NotAction).some((p) => globMatch(p, action, true));
  return false;
}

function resourceMatches(st: PolicyStatement, resource: string, defaultMatch: boolean): boolean {
  if (st.Resource !== undefined) return asArray(st.Resource).some((p) => globMatch(p, resource));
  if (st.NotResource !== undefined) return !asArray(st.NotResource).some((p) => globMatch(p, resource));
  return defaultMatch;
}

const KNOWN_KEYS = new Set([
  'sts:externalid',
  'kms:viaservice',
  'kms:calleraccount',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:sourceowner',
  // Always present on S3 requests (the SDK uses HTTPS), so enforceSSL-style Deny statements are evaluated, not assumed.
  'aws:securetransport',
  's3:prefix',
  'iam:passedtoservice',
]);
const KNOWN_PREFIXES = ['aws:resourcetag/', 'aws:requesttag/', 'rds:snapshot-tag/', 'rds:cluster-snapshot-tag/', 'rds:db-tag/', 'rds:cluster-tag/', 'rds:req-tag/'];

/** Condition keys the sandbox evaluates; any other key counts as satisfied. */
export function isKnownConditionKey(key: string): boolean {
  const k = key.toLowerCase();
  return KNOWN_KEYS.has(k) || KNOWN_PREFIXES.some((p) => k.startsWith(p));
}

function lookupContext(ctx: AuthzRequest['context'], key: string): readonly string[] | undefined {
  if (!ctx) return undefined;
  const k = key.toLowerCase();
  for (const [ck, v] of Object.entries(ctx)) {
    if (ck.toLowerCase() === k) return asArray(v as string | readonly string[]);
  }
  return undefined;
}

function conditionSatisfied(op: string, key: string, expected: readonly string[], ctx: AuthzRequest['context']): boolean {
  let operator = op;
  let setOp: 'any' | 'all' | undefined;
  if (operator.startsWith('ForAnyValue:')) {
    setOp = 'any';
    operator = operator.slice('ForAnyValue:'.length);
  } else if (operator.startsWith('ForAllValues:')) {
    setOp = 'all';
    operator = operator.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (operator.endsWith('IfExists')) {
    ifExists = true;
    operator = operator.slice(0, -'IfExists'.length);
  }
  if (!isKnownConditionKey(key)) return true;
  const actual = lookupContext(ctx, key);
  if (operator === 'Null') {
    const wantNull = expected.some((e) => e.toLowerCase() === 'true');
    return wantNull ? actual === undefined : actual !== undefined;
  }
  type Cmp = (a: string, e: string) => boolean;
  const cmps: Record<string, { cmp: Cmp; negated: boolean }> = {
    StringEquals: { cmp: (a, e) => a === e, negated: false },
    StringNotEquals: { cmp: (a, e) => a === e, negated: true },
    StringEqualsIgnoreCase: { cmp: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
    StringNotEqualsIgnoreCase: { cmp: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true },
    StringLike: { cmp: (a, e) => globMatch(e, a), negated: false },
    StringNotLike: { cmp: (a, e) => globMatch(e, a), negated: true },
    ArnEquals: { cmp: (a, e) => a === e, negated: false },
    ArnLike: { cmp: (a, e) => globMatch(e, a), negated: false },
    ArnNotEquals: { cmp: (a, e) => a === e, negated: true },
    ArnNotLike: { cmp: (a, e) => globMatch(e, a), negated: true },
    Bool: { cmp: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
  };
  const c = cmps[operator];
  if (!c) return true; // operator the sandbox does not model
  if (actual === undefined || actual.length === 0) {
    if (ifExists) return true;
    if (setOp === 'all') return true; // ForAllValues over an empty set is vacuously true
    return c.negated;
  }
  const matchOne = (a: string) => expected.some((e) => c.cmp(a, e));
  if (setOp === 'all') return actual.every((a) => (c.negated ? !matchOne(a) : matchOne(a)));
  const anyMatch = actual.some(matchOne);
  return c.negated ? !anyMatch : anyMatch;
}

function conditionsSatisfied(st: PolicyStatement, ctx: AuthzRequest['context']): boolean {
  if (!st.Condition) return true;
  for (const [op, block] of Object.entries(st.Condition)) {
    for (const [key, raw] of Object.entries(block)) {
      const expected = asArray(raw as string | readonly string[]).map((v) => String(v));
      if (!conditionSatisfied(op, key, expected, ctx)) return false;
    }
  }
  return true;
}

/** Result of evaluating identity policies. */
export type IdentityDecision = 'allow' | 'explicitDeny' | 'implicitDeny';

/**
 * Evaluates identity policies (no `Principal`): `allow` when an Allow matches and no Deny does.
 * A statement without Resource/NotResource does not match (identity policies require one).
 */
export function evaluateIdentity(policies: readonly PolicyDocument[], req: AuthzRequest): IdentityDecision {
  let allowed = false;
  for (const doc of policies) {
    for (const st of statementsOf(doc)) {
      if (!actionMatches(st, req.action) || !resourceMatches(st, req.resource, false) || !conditionsSatisfied(st, req.context)) continue;
      if (st.Effect === 'Deny') return 'explicitDeny';
      if (st.Effect === 'Allow') allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicitDeny';
}

/** How a resource-policy statement's Principal matches the caller. */
type PrincipalMatch = 'principal' | 'account' | undefined;

function principalMatch(st: PolicyStatement, caller: PolicyPrincipal): PrincipalMatch {
  const p = st.Principal;
  if (p === undefined) return undefined;
  if (p === '*') return 'principal';
  let best: PrincipalMatch;
  for (const v of asArray(p.AWS)) {
    if (v === '*') return 'principal';
    if (v === caller.arn || (caller.sessionArn !== undefined && v === caller.sessionArn)) return 'principal';
    if (v === caller.accountId || v === `arn:aws:iam::${caller.accountId}:root`) {
      // The account root naming itself is the principal (root is the account).
      best = caller.arn === `arn:aws:iam::${caller.accountId}:root` ? 'principal' : 'account';
    }
  }
  return best;
}

/** Result of evaluating a resource policy for one caller and request. */
export interface ResourceDecision {
  readonly explicitDeny: boolean;
  /** `principal`: the policy names the caller (or `*`); `account`: it names the caller's account. */
  readonly allow: PrincipalMatch;
}

/** Evaluates a resource-based policy (statements with `Principal`). Missing Resource means "this resource". */
export function evaluateResource(doc: PolicyDocument | undefined, caller: PolicyPrincipal, req: AuthzRequest): ResourceDecision {
  let allow: PrincipalMatch;
  for (const st of statementsOf(doc)) {
    const who = principalMatch(st, caller);
    if (who === undefined) continue;
    if (!actionMatches(st, req.action) || !resourceMatches(st, req.resource, true) || !conditionsSatisfied(st, req.context)) continue;
    if (st.Effect === 'Deny') return { explicitDeny: true, allow: undefined };
    if (st.Effect === 'Allow' && allow !== 'principal') allow = who;
  }
  return { explicitDeny: false, allow };
}

/**
 * Combines a resource policy with the caller's identity decision (see the module comment).
 * @param resourceAccountId account that owns the resource
 * @param identity the caller's identity-policy decision (`allow` for account root credentials)
 */
export function combine(resource: ResourceDecision, identity: IdentityDecision, caller: PolicyPrincipal, resourceAccountId: string): boolean {
  if (resource.explicitDeny || identity === 'explicitDeny') return false;
  if (caller.accountId === resourceAccountId) {
    return resource.allow === 'principal' || (resource.allow === 'account' && identity === 'allow');
  }
  return resource.allow !== undefined && identity === 'allow';
}
