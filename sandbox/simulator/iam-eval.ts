/**
 * IAM policy documents, and a thin adapter over the third-party evaluator `@cloud-copilot/iam-simulate`
 * (built from AWS's published permission data) that every simulated service uses to authorize a call.
 * The sandbox has no policy logic of its own: identity policies, resource policies (KMS key policies,
 * role trust policies, SNS topic policies, S3 bucket policies), same-account and cross-account rules,
 * service principals and explicit denies are all judged by the evaluator.
 *
 * What the adapter adds, and why:
 * - **Condition keys the sandbox cannot judge never count as satisfied.** A key is judged when the
 *   request carries it, or when the sandbox models it so its absence is a fact ({@link AUTHORITATIVE_KEYS};
 *   resource and request tag keys only for RDS, whose tags the sandbox models). A request key that
 *   AWS's data says does not apply to the action is dropped from the request and is unjudged too.
 *   For an unjudged key in an `Allow` statement the statement cannot grant (it is removed). In a
 *   `Deny` statement the unjudged condition entry is taken as met, so the deny applies whenever the
 *   rest of the statement matches: the stricter reading, chosen because a deny that silently stops
 *   applying is the failure that hides bugs, while a deny that applies too often shows up as an
 *   AccessDenied a test sees.
 * - Account root credentials get an allow-everything identity policy (the root user's implicit
 *   permissions); resource policies still apply to them (key policies, cross-account access).
 * - Parsed and validated policies are cached per document and per set of judged keys, so a call
 *   costs one evaluation, not a parse.
 * - A malformed policy document is a sandbox usage error (AWS rejects it at put time with
 *   `MalformedPolicyDocument`), never "no permissions".
 *
 * Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { validateIdentityPolicy, validateResourcePolicy, validateTrustPolicy, type ValidatedPolicy } from '@cloud-copilot/iam-policy';
import { SandboxUsageError } from './errors';
import { catalogAction, conditionKeysFor, conditionKeyMatches, resourceTypesFor } from './iam-catalog';

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

/** An IAM policy document (identity policy, key policy, trust policy, topic policy or bucket policy). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[] | PolicyStatement;
}

/** The request a policy is evaluated against. Condition keys are matched case-insensitively. */
export interface AuthzRequest {
  /** `service:Operation`, e.g. `rds:CopyDBSnapshot`. */
  readonly action: string;
  /** ARN of the resource, or `*` for actions that take no resource. */
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
  /**
   * The inline session policy passed to AssumeRole (`Policy`), if any: the session may do only what
   * both the role's identity policies and this policy allow (docs/aws-behaviour.md §26).
   */
  readonly sessionPolicy?: PolicyDocument;
}

/** Who makes a request: an account root, a role session, or an AWS service principal. */
export type EvalCaller =
  | { readonly kind: 'root'; readonly accountId: string }
  | { readonly kind: 'role'; readonly principal: PolicyPrincipal; readonly policies: readonly PolicyDocument[] }
  | { readonly kind: 'service'; readonly service: string };

/**
 * Why a request was denied: an explicit Deny, no resource-policy grant, no identity-policy grant, or
 * the identity policies allow it but the session policy does not.
 */
export type DenialReason = 'explicit' | 'resource' | 'identity' | 'session';

/** What kind of resource policy a document is (decides how it is validated). */
export type ResourcePolicyKind = 'resource' | 'trust';

/** Input of {@link authorize}. */
export interface AuthorizeInput {
  readonly caller: EvalCaller;
  readonly request: AuthzRequest;
  /** Account that owns the resource. */
  readonly resourceAccountId: string;
  /** The resource's policy (key policy, trust policy, topic policy, bucket policy), if it has one. */
  readonly resourcePolicy?: PolicyDocument;
  /** @default 'resource' ('trust' for role trust policies) */
  readonly resourcePolicyKind?: ResourcePolicyKind;
  /**
   * Whether an implicit denial must say whether the identity or the resource policy lacked the grant
   * (one more evaluation). Callers that only need allowed/denied pass false: the reason is then
   * `resource` for any implicit denial. @default true
   */
  readonly explainDenial?: boolean;
}

/**
 * Condition keys the sandbox models wherever AWS sets them, so a request without them truly lacks
 * them (lower case). Any other key in a policy is unjudged unless the request carries it.
 */
export const AUTHORITATIVE_KEYS: ReadonlySet<string> = new Set([
  'sts:externalid',
  'kms:viaservice',
  'kms:calleraccount',
  'kms:grantisforawsresource',
  'kms:resourcealiases',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:securetransport',
  'aws:sourcearn',
  'aws:sourceaccount',
  'iam:passedtoservice',
  's3:prefix',
]);
/** Tag keys, authoritative for RDS only (the sandbox models RDS tags, not tags of other resources). */
const RDS_TAG_PREFIXES = ['aws:resourcetag/', 'aws:requesttag/', 'rds:snapshot-tag/', 'rds:cluster-snapshot-tag/', 'rds:db-tag/', 'rds:cluster-tag/', 'rds:req-tag/'];

const ADMIN: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const asArray = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** Statements of a document as an array. */
export function statementsOf(doc: PolicyDocument | undefined): readonly PolicyStatement[] {
  if (!doc) return [];
  return asArray(doc.Statement as PolicyStatement | readonly PolicyStatement[]);
}

function isJudged(key: string, service: string, present: ReadonlySet<string>): boolean {
  const k = key.toLowerCase();
  if (present.has(k)) return true;
  if (present.has(`!${k}`)) return false; // sent by the sandbox but not applicable to the action: unjudged
  if (AUTHORITATIVE_KEYS.has(k)) return true;
  return service === 'rds' && (k === 'aws:tagkeys' || RDS_TAG_PREFIXES.some((p) => k.startsWith(p)));
}

/**
 * The document with unjudged condition keys handled as the module comment says: an Allow statement
 * conditioned on one is removed; a Deny statement loses that condition entry.
 */
export function withoutUnjudgedKeys(doc: PolicyDocument, judged: (key: string) => boolean): { doc: PolicyDocument; unjudged: string[] } {
  const unjudged = new Set<string>();
  const out: PolicyStatement[] = [];
  for (const st of statementsOf(doc)) {
    if (!st.Condition) {
      out.push(st);
      continue;
    }
    let dropStatement = false;
    const condition: Record<string, Record<string, string | boolean | number | readonly (string | boolean | number)[]>> = {};
    for (const [op, block] of Object.entries(st.Condition)) {
      const kept: Record<string, string | boolean | number | readonly (string | boolean | number)[]> = {};
      for (const [key, value] of Object.entries(block)) {
        if (judged(key)) kept[key] = value;
        else {
          unjudged.add(key);
          if (st.Effect === 'Allow') dropStatement = true;
        }
      }
      if (Object.keys(kept).length > 0) condition[op] = kept;
    }
    if (dropStatement) continue;
    const { Condition: _dropped, ...rest } = st;
    out.push(Object.keys(condition).length > 0 ? { ...rest, Condition: condition } : rest);
  }
  return { doc: { Version: doc.Version ?? '2012-10-17', Statement: out }, unjudged: [...unjudged] };
}

type Validator = (policy: unknown) => ReturnType<typeof validateIdentityPolicy>;
const VALIDATORS: Record<'identity' | ResourcePolicyKind, Validator> = { identity: validateIdentityPolicy, resource: validateResourcePolicy, trust: validateTrustPolicy };

const prepared = new WeakMap<PolicyDocument, Map<string, ValidatedPolicy<{ name: string }>>>();
const validated = new WeakSet<PolicyDocument>();
/** The validated, evaluator-ready form of `doc` for one set of judged keys (cached; the document is validated once). */
function prepare(doc: PolicyDocument, kind: 'identity' | ResourcePolicyKind, name: string, service: string, present: ReadonlySet<string>, signature: string): ValidatedPolicy<{ name: string }> {
  if (!validated.has(doc)) {
    const errors = VALIDATORS[kind](doc);
    if (errors.length > 0) throw new SandboxUsageError(`MalformedPolicyDocument (${name}): ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    validated.add(doc);
  }
  let byKeys = prepared.get(doc);
  if (!byKeys) {
    byKeys = new Map();
    prepared.set(doc, byKeys);
  }
  const cacheKey = `${kind}|${name}|${signature}`;
  let v = byKeys.get(cacheKey);
  if (!v) {
    // The rewrite only removes statements or condition entries of a valid document, so it needs no
    // second validation (a statement list left empty is fine for the evaluator).
    const { doc: judgedDoc } = withoutUnjudgedKeys(doc, (k) => isJudged(k, service, present));
    v = { __validated: true, policyDocument: judgedDoc, metadata: { name }, errors: [] };
    byKeys.set(cacheKey, v);
  }
  return v;
}

/** Per allowed-key list (one per action and resource types): whether a context key applies. */
const applicable = new WeakMap<readonly string[], Map<string, boolean>>();

/** The request context the evaluator sees: keys that apply to the action (others are unjudged), as strings. */
function effectiveContext(req: AuthzRequest): { context: Record<string, string | string[]>; dropped: string[] } {
  const out: Record<string, string | string[]> = {};
  const dropped: string[] = [];
  const action = catalogAction(req.action);
  if (!action) throw new SandboxUsageError(`authorize: ${req.action} is not an AWS action (per the Service Authorization Reference)`);
  const allowed = conditionKeysFor(action, req.resource);
  let applies = applicable.get(allowed);
  if (!applies) {
    applies = new Map();
    applicable.set(allowed, applies);
  }
  for (const [k, v] of Object.entries(req.context ?? {})) {
    let ok = applies.get(k);
    if (ok === undefined) {
      ok = allowed.some((a) => conditionKeyMatches(a, k));
      applies.set(k, ok);
    }
    if (!ok) {
      dropped.push(k.toLowerCase());
      continue;
    }
    out[k] = typeof v === 'string' ? v : [...v];
  }
  return { context: out, dropped };
}

/** The principal string the evaluator matches against `Principal` elements. */
function principalString(caller: EvalCaller): string {
  if (caller.kind === 'root') return `arn:aws:iam::${caller.accountId}:root`;
  if (caller.kind === 'service') return caller.service;
  return caller.principal.sessionArn ?? caller.principal.arn;
}

function run(caller: EvalCaller, identity: readonly PolicyDocument[], input: AuthorizeInput, context: Record<string, string | string[]>, service: string, present: ReadonlySet<string>, signature: string) {
  const resourceKind = input.resourcePolicyKind ?? 'resource';
  return runUnsafeSimulation(
    {
      request: {
        principal: principalString(caller),
        action: input.request.action,
        resource: { resource: input.request.resource, accountId: input.resourceAccountId },
        contextVariables: context,
      },
      identityPolicies: identity.map((doc, i) => ({ name: `identity-${i}`, policy: prepare(doc, 'identity', `identity-${i}`, service, present, signature) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: prepare(input.resourcePolicy, resourceKind, resourceKind, service, present, signature) } : {}),
    },
    {},
  );
}

const sessionPolicyOf = (caller: EvalCaller): PolicyDocument | undefined => (caller.kind === 'role' ? caller.principal.sessionPolicy : undefined);

/**
 * Authorizes one request with the third-party evaluator.
 * @returns undefined when allowed, else why it was denied (for AWS's message wording)
 * @throws SandboxUsageError for an action AWS does not have or a malformed policy document
 */
export function authorize(input: AuthorizeInput): DenialReason | undefined {
  const memo = memoFor(input);
  const memoKey = memo && decisionKey(input);
  if (memo && memo.has(memoKey!)) return memo.get(memoKey!) ?? undefined;
  const why = decide(input);
  memo?.set(memoKey!, why ?? null);
  return why;
}

/**
 * Decisions are pure functions of the caller, its identity policies, the resource policy and the
 * request; policy documents are never changed in place (a new policy is a new object), so a
 * decision is cached per (identity policy list, resource policy) object pair.
 */
const NO_POLICY = {};
const decisionMemo = new WeakMap<object, WeakMap<object, Map<string, DenialReason | null>>>();
function memoFor(input: AuthorizeInput): Map<string, DenialReason | null> | undefined {
  // A session policy is part of who calls: decisions of sessions with one are cached per session policy object.
  const idKey: object = input.caller.kind === 'role' ? (input.caller.principal.sessionPolicy ?? input.caller.policies) : NO_POLICY;
  const rpKey: object = input.resourcePolicy ?? NO_POLICY;
  let byRp = decisionMemo.get(idKey);
  if (!byRp) {
    byRp = new WeakMap();
    decisionMemo.set(idKey, byRp);
  }
  let m = byRp.get(rpKey);
  if (!m) {
    m = new Map();
    byRp.set(rpKey, m);
  }
  return m;
}
function decisionKey(input: AuthorizeInput): string {
  const ctx = input.request.context ?? {};
  const keys = Object.keys(ctx).sort();
  const policiesTag = input.caller.kind === 'role' && input.caller.principal.sessionPolicy ? policiesId(input.caller.policies) : 0;
  return JSON.stringify([principalString(input.caller), input.caller.kind, policiesTag, input.request.action, input.request.resource, input.resourceAccountId, input.resourcePolicyKind ?? 'resource', input.explainDenial ?? true, keys.map((k) => [k, ctx[k]])]);
}

/**
 * Whether the session policy of a role session allows the request on its own. The evaluator's
 * unsafe entry point takes no session policy, so the sandbox intersects by evaluating twice: the
 * request must pass the full evaluation (identity + resource policy) and this one. Here the session
 * policy is the caller's only identity policy, in its own account and with no resource policy (for
 * KMS, AWS's default key policy that delegates to IAM), so a resource policy that names the session
 * can never stand in for it: stricter than AWS, where a resource-based grant naming the session
 * itself is not limited by the session policy (docs/aws-behaviour.md §26).
 */
function runSessionPolicy(
  caller: Extract<EvalCaller, { kind: 'role' }>,
  session: PolicyDocument,
  input: AuthorizeInput,
  context: Record<string, string | string[]>,
  service: string,
  present: ReadonlySet<string>,
  signature: string,
) {
  const account = caller.principal.accountId;
  return runUnsafeSimulation(
    {
      request: { principal: principalString(caller), action: input.request.action, resource: { resource: input.request.resource, accountId: account }, contextVariables: context },
      identityPolicies: [{ name: 'session', policy: prepare(session, 'identity', 'session', service, present, signature) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(service === 'kms' ? { resourcePolicy: prepare(delegatingKeyPolicy(account), 'resource', 'resource', service, present, signature) } : {}),
    },
    {},
  );
}

const delegatingPolicies = new Map<string, PolicyDocument>();
/** AWS's default key policy for `account` (one object per account, so its prepared form is cached). */
function delegatingKeyPolicy(account: string): PolicyDocument {
  let doc = delegatingPolicies.get(account);
  if (!doc) {
    doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
    delegatingPolicies.set(account, doc);
  }
  return doc;
}

/** A stable number per identity policy list object (decisions of a session policy are cached per role policy list too). */
const policyIds = new WeakMap<object, number>();
let nextPolicyId = 1;
function policiesId(policies: object): number {
  let id = policyIds.get(policies);
  if (id === undefined) {
    id = nextPolicyId++;
    policyIds.set(policies, id);
  }
  return id;
}

function decide(input: AuthorizeInput): DenialReason | undefined {
  const { caller, request } = input;
  const service = request.action.slice(0, request.action.indexOf(':')).toLowerCase();
  const { context, dropped } = effectiveContext(request);
  const present = new Set([...Object.keys(context).map((k) => k.toLowerCase()), ...dropped.map((k) => `!${k}`)]);
  const signature = `${service}|${[...present].sort().join(',')}`;
  const identity = caller.kind === 'root' ? [ADMIN] : caller.kind === 'role' ? caller.policies : [];
  const result = run(caller, identity, input, context, service, present, signature);
  const session = sessionPolicyOf(caller);
  if (result === 'Allowed' && session && caller.kind === 'role') {
    const bySession = runSessionPolicy(caller, session, input, context, service, present, signature);
    return bySession === 'Allowed' ? undefined : bySession === 'ExplicitlyDenied' ? 'explicit' : 'session';
  }
  if (result === 'Allowed') return undefined;
  if (result === 'ExplicitlyDenied') return 'explicit';
  // Implicit deny: no resource-policy grant, or (with an admin identity the request passes) no identity grant.
  if (caller.kind === 'service' || !input.resourcePolicy) return caller.kind === 'service' ? 'resource' : 'identity';
  if (input.explainDenial === false) return 'resource';
  return run(caller, [ADMIN], input, context, service, present, signature) === 'Allowed' ? 'identity' : 'resource';
}

/**
 * Whether `action` supports `resource` (its ARN fits a resource type of the action, or the action only
 * takes `*`). For sandbox self-checks and tests.
 */
export function actionTakesResource(action: string, resource: string): boolean {
  const a = catalogAction(action);
  if (!a) return false;
  if (a.wildcardOnly) return resource === '*';
  return resource === '*' || resourceTypesFor(a, resource).length > 0;
}
