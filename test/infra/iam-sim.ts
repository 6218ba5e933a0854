/**
 * IAM evaluation helpers for the infra tests, all backed by the third-party evaluator
 * `@cloud-copilot/iam-simulate` (AWS's published permission data):
 *
 * - {@link simulateCall}: one AWS call as AWS would authorize it (identity policies + the resource's
 *   policy, same or cross account, service principals). Uses `runSimulation` with full validation:
 *   an invalid policy, an unknown action, a resource ARN that fits no resource type of the action,
 *   and any context key the evaluator ignored (not applicable to the action) are failures, never
 *   "allowed". Reusable for further allow/deny cases: describe the call as a {@link SimCall}.
 * - {@link identityDecision} / {@link admits}: synchronous checks through the sandbox's adapter
 *   (sandbox/simulator/iam-eval.ts, the same evaluator) for walkers that make thousands of checks.
 *
 * Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { createApp } from '../../infra/app';
import type { VaultConfig } from '../../infra/config/schema';
import { authorize, AwsSandbox, statementsOf, wildcardMatch, type AuthzRequest, type PolicyDocument, type PolicyStatement, type ResourcePolicyKind } from '../../sandbox/simulator/index';
import { VirtualClock } from '../../sandbox/simulator/index';
import { appBindings, type CfnTemplate, type DeployedStack, deployStack, resolveIntrinsics } from '../../sandbox/harness/index';

/** One AWS call to simulate. */
export interface SimCall {
  /** What the call is, for failure messages (e.g. `create-copy: rds:CopyDBSnapshot on the source snapshot`). */
  readonly what: string;
  /**
   * Who calls: a role ARN (`arn:aws:iam::<acct>:role/<name>`, evaluated as a session of it), an
   * account root ARN, or a service principal (`cloudwatch.amazonaws.com`).
   */
  readonly principal: string;
  /** The caller's identity policies (empty for service principals and roots). */
  readonly identityPolicies: readonly PolicyDocument[];
  readonly action: string;
  readonly resource: string;
  /** Account that owns the resource. */
  readonly resourceAccount: string;
  /** The resource's policy (key policy, trust policy, topic policy, bucket policy), if any. */
  readonly resourcePolicy?: PolicyDocument;
  /** The session policy of the caller's role session (AssumeRole `Policy`), if any; the evaluator intersects it with the identity policies. */
  readonly sessionPolicy?: PolicyDocument;
  /** Request context as AWS sets it for this call (aws:PrincipalArn etc. are added). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The outcome of {@link simulateCall}. */
export interface SimOutcome {
  readonly decision: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'Invalid';
  /** Why the simulation could not be trusted, or the evaluator's detail. Empty when clean. */
  readonly problems: readonly string[];
}

const SESSION = 'sim';

/** The principal string the evaluator expects: a role's session ARN, a root ARN or a service principal. */
export function principalString(principal: string): string {
  const role = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(principal);
  return role ? `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/${SESSION}` : principal;
}

const accountOf = (principal: string) => /:(\d{12}):/.exec(principal)?.[1];

/**
 * Simulates one call with the evaluator's full validation. `Invalid` when the simulation reports
 * errors or ignored context keys (a key AWS does not set for this action cannot be relied on).
 * @returns the decision and any problems found
 */
export async function simulateCall(call: SimCall): Promise<SimOutcome> {
  const account = accountOf(call.principal);
  const isService = !account;
  const context: Record<string, string | string[]> = {
    'aws:SecureTransport': 'true',
    ...(isService ? {} : { 'aws:PrincipalArn': call.principal, 'aws:PrincipalAccount': account }),
  };
  for (const [k, v] of Object.entries(call.context ?? {})) context[k] = typeof v === 'string' ? v : [...v];
  const root = /:root$/.test(call.principal);
  const result = await runSimulation(
    {
      request: { principal: principalString(call.principal), action: call.action, resource: { resource: call.resource, accountId: call.resourceAccount }, contextVariables: context },
      identityPolicies: [
        ...call.identityPolicies.map((policy, i) => ({ name: `identity-${i}`, policy })),
        // The account root's implicit full permissions.
        ...(root ? [{ name: 'root', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] : []),
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(call.resourcePolicy ? { resourcePolicy: { Version: '2012-10-17', ...call.resourcePolicy } } : {}),
      ...(call.sessionPolicy ? { sessionPolicy: { Version: '2012-10-17', ...call.sessionPolicy } } : {}),
    },
    {},
  );
  if (result.resultType === 'error') return { decision: 'Invalid', problems: [`simulation error: ${JSON.stringify(result.errors)}`] };
  const results = result.resultType === 'single' ? [result.result] : result.results;
  const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))];
  if (ignored.length > 0) return { decision: 'Invalid', problems: [`context keys the evaluator ignored (not applicable to ${call.action}): ${ignored.join(', ')}`] };
  return { decision: result.overallResult, problems: [] };
}

/** Human-readable line for a failed expectation. */
export function describeOutcome(call: SimCall, outcome: SimOutcome): string {
  return `${call.what}: ${call.principal} ${call.action} on ${call.resource} -> ${outcome.decision}${outcome.problems.length ? ` (${outcome.problems.join('; ')})` : ''}`;
}

/**
 * Simulates every call and returns a line per call whose decision is not `expected`
 * (`Allowed`, or a denial: `Denied` accepts ExplicitlyDenied and ImplicitlyDenied but never Invalid).
 */
export async function mismatches(calls: readonly SimCall[], expected: 'Allowed' | 'Denied'): Promise<string[]> {
  const out: string[] = [];
  for (const call of calls) {
    const outcome = await simulateCall(call);
    const ok = expected === 'Allowed' ? outcome.decision === 'Allowed' : outcome.decision === 'ExplicitlyDenied' || outcome.decision === 'ImplicitlyDenied';
    if (!ok) out.push(describeOutcome(call, outcome));
  }
  return out;
}

// ---------------------------------------------------------------- synchronous checks (sandbox adapter)

const ADMIN: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

function callerOf(principalArn: string, policies: readonly PolicyDocument[]) {
  const root = /^arn:aws:iam::(\d{12}):root$/.exec(principalArn);
  if (root) return { kind: 'root' as const, accountId: root[1]! };
  const account = accountOf(principalArn) ?? '';
  return { kind: 'role' as const, principal: { accountId: account, arn: principalArn, sessionArn: principalString(principalArn) }, policies };
}

/**
 * The identity-policy decision for a role of its own account (no resource policy; for KMS actions
 * AWS's default key policy, which delegates to the account's IAM policies).
 * @param roleArn the role whose session calls (defaults to a placeholder role of the resource's account)
 */
export function identityDecision(policies: readonly PolicyDocument[], req: AuthzRequest, roleArn = 'arn:aws:iam::000000000000:role/subject'): 'allow' | 'explicitDeny' | 'implicitDeny' {
  const caller = callerOf(roleArn, policies);
  const account = caller.kind === 'root' ? caller.accountId : caller.principal.accountId;
  // KMS never lets an identity policy alone grant: the key policy must delegate to the account. Here the
  // question is what the identity policies allow, so the key gets AWS's default (delegating) key policy.
  const delegating: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
  const why = authorize({ caller, request: withPrincipal(roleArn, req), resourceAccountId: account, ...(/^kms:/i.test(req.action) ? { resourcePolicy: delegating } : {}) });
  return why === undefined ? 'allow' : why === 'explicit' ? 'explicitDeny' : 'implicitDeny';
}

/**
 * Whether a resource policy admits `principalArn` for `req`: evaluated as that principal holding
 * every permission its own account can give it (an admin of its account), so the resource policy
 * alone decides, cross-account or same-account.
 */
export function admits(doc: PolicyDocument, principalArn: string, req: AuthzRequest, resourceAccountId: string, kind: ResourcePolicyKind = 'resource'): boolean {
  // Sound shortcut for walkers: a policy with no Allow statement whose Action covers the request cannot admit it.
  const couldAllow = statementsOf(doc).some(
    (st) => st.Effect === 'Allow' && (st.NotAction !== undefined || ([] as string[]).concat((st.Action as string | string[] | undefined) ?? []).some((a) => wildcardMatch(a, req.action, true))),
  );
  if (!couldAllow) return false;
  return authorize({ caller: callerOf(principalArn, [ADMIN]), request: withPrincipal(principalArn, req), resourceAccountId, resourcePolicy: doc, resourcePolicyKind: kind, explainDenial: false }) === undefined;
}

function withPrincipal(principalArn: string, req: AuthzRequest): AuthzRequest {
  return { ...req, context: { 'aws:PrincipalArn': principalArn, 'aws:PrincipalAccount': accountOf(principalArn) ?? '', 'aws:SecureTransport': 'true', ...(req.context ?? {}) } };
}

// ---------------------------------------------------------------- the synthesized app as policies

/** Where a policy document lives and what kind it is. */
export interface PolicyDoc {
  /** `<stack>/<logical id>` (plus the role for identity policies). */
  readonly where: string;
  readonly kind: 'identity' | 'trust' | 'key' | 'topic' | 'bucket' | 'lambda-permission' | 'other-resource';
  readonly stack: ModelStack;
  readonly document: PolicyDocument;
  /** The ARN(s) of the resource a resource policy belongs to (`Resource: "*"` means these). */
  readonly resourceArns: readonly string[];
}

/** One synthesized stack, deployed into a scratch sandbox so every intrinsic is resolved. */
export interface ModelStack {
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  readonly template: CfnTemplate;
  readonly deployed: DeployedStack;
}

/** Every stack of one configuration, its roles and every policy document. */
export interface AppModel {
  readonly config: VaultConfig;
  readonly stacks: readonly ModelStack[];
  readonly sandbox: AwsSandbox;
  readonly roles: ReadonlyArray<{ readonly stack: ModelStack; readonly logicalId: string; readonly arn: string; readonly trust: PolicyDocument; readonly policies: readonly PolicyDocument[] }>;
  readonly documents: readonly PolicyDoc[];
}

/**
 * Synthesizes the app for `config` (no bundling, no nag) and deploys every stack into a scratch
 * sandbox (no clients installed) to resolve intrinsics. About a second; call once per test file.
 */
export function buildAppModel(config: VaultConfig): AppModel {
  const { app } = createApp(config, { bundling: false, nag: false, validation: false, outdir: mkdtempSync(join(tmpdir(), 'rsv-iam-')) });
  const assembly = app.synth();
  const bindings = appBindings(app);
  const sandbox = new AwsSandbox({ clock: new VirtualClock() });
  const stacks: ModelStack[] = assembly.stacks.map((a) => {
    const env = { accountId: a.environment.account, region: a.environment.region, stackName: a.stackName };
    const template = a.template as CfnTemplate;
    return { stackName: a.stackName, accountId: env.accountId, region: env.region, template, deployed: deployStack(sandbox, template, env, bindings.get(a.stackName)!) };
  });
  const roles: AppModel['roles'][number][] = [];
  const documents: PolicyDoc[] = [];
  for (const s of stacks) {
    const resolve = <T>(v: unknown) => resolveIntrinsics(v, { accountId: s.accountId, region: s.region, stackName: s.stackName }, s.deployed.physical) as T;
    for (const r of s.deployed.roles) {
      const record = sandbox.iam.getRole(r.arn)!;
      roles.push({ stack: s, logicalId: r.logicalId, arn: r.arn, trust: record.trustPolicy, policies: record.policies });
      documents.push({ where: `${s.stackName}/${r.logicalId} (trust)`, kind: 'trust', stack: s, document: record.trustPolicy, resourceArns: [r.arn] });
      record.policies.forEach((p, i) => documents.push({ where: `${s.stackName}/${r.logicalId} (identity policy ${i})`, kind: 'identity', stack: s, document: p, resourceArns: [] }));
    }
    for (const k of s.deployed.keys) {
      documents.push({ where: `${s.stackName}/${k.logicalId}`, kind: 'key', stack: s, document: resolve<PolicyDocument>(s.template.Resources[k.logicalId]!.Properties?.KeyPolicy), resourceArns: [k.arn] });
    }
    for (const [id, r] of Object.entries(s.template.Resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::SNS::TopicPolicy') {
        documents.push({ where: `${s.stackName}/${id}`, kind: 'topic', stack: s, document: resolve<PolicyDocument>(p.PolicyDocument), resourceArns: ((p.Topics as unknown[]) ?? []).map((t) => resolve<string>(t)) });
      } else if (r.Type === 'AWS::S3::BucketPolicy') {
        const bucket = resolve<string>(p.Bucket);
        documents.push({ where: `${s.stackName}/${id}`, kind: 'bucket', stack: s, document: resolve<PolicyDocument>(p.PolicyDocument), resourceArns: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/x`] });
      } else if (r.Type === 'AWS::Lambda::Permission') {
        const principal = resolve<string>(p.Principal);
        const fn = resolve<string>(p.FunctionName);
        const st: PolicyStatement = {
          Effect: 'Allow',
          Principal: /amazonaws\.com$/.test(principal) ? { Service: principal } : { AWS: principal },
          Action: resolve<string>(p.Action),
          Resource: fn,
          ...(p.SourceAccount !== undefined && { Condition: { StringEquals: { 'aws:SourceAccount': resolve<string>(p.SourceAccount) } } }),
        };
        documents.push({ where: `${s.stackName}/${id}`, kind: 'lambda-permission', stack: s, document: { Version: '2012-10-17', Statement: [st] }, resourceArns: [fn] });
      } else if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy' && r.Type !== 'AWS::IAM::Role' && p.PolicyDocument !== undefined) {
        documents.push({ where: `${s.stackName}/${id} (${r.Type})`, kind: 'other-resource', stack: s, document: resolve<PolicyDocument>(p.PolicyDocument), resourceArns: [] });
      }
    }
  }
  return { config, stacks, sandbox, roles, documents };
}
