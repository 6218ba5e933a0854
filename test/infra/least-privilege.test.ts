/**
 * Least privilege, checked over the synthesized templates of EVERY stack the app creates (source,
 * vault, and any DR vault stacks), with the third-party IAM evaluator (@cloud-copilot/iam-simulate,
 * through test/infra/iam-sim.ts) so that wildcards, NotAction, conditions and explicit denies count
 * as AWS counts them:
 *
 * 1. the vault copy role cannot delete, change snapshot attributes (share) or restore, and denies
 *    those explicitly;
 * 2. walking every IAM policy, trust policy, key policy and resource policy of the vault stacks,
 *    no principal of the source account (its root/admins included, knowing the external ID) can
 *    delete a vault snapshot, change or destroy a vault key, invoke or change the vault's
 *    retention-sweep, or change a vault role; the walker is itself tested on planted holes;
 * 3. rds:DeleteDBSnapshot / rds:DeleteDBClusterSnapshot are granted only to retention-sweep roles and
 *    only for snapshots tagged rds-snapshot-vault:managed=true; no other rds:Delete* anywhere;
 * 4. a KMS key grants another account only through RDS (kms:ViaService) and only the copy actions;
 * 5. every function role's actions are a subset of what that function's code calls (a table per
 *    function, read from functions/<name>/), and every (role, action) seen in the sandbox's call
 *    log during a real demo-fleet BackupRun is granted.
 *
 * The stacks are found by iterating the cloud assembly, so new functions and stacks (issue 3:
 * export-to-s3, poll-export, DR vault stacks) are covered as they appear; a function missing from
 * the table fails test 5 with its name.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app';
import type { VaultConfig } from '../../infra/config/schema';
import { TAGS } from '../../contracts/shapes';
import { AwsSandbox } from '../../sandbox/simulator/index';
import { type AuthzRequest, type PolicyDocument, type PolicyPrincipal, type PolicyStatement, statementsOf, wildcardMatch as globMatch } from '../../sandbox/simulator/index';
import { VirtualClock } from '../../sandbox/simulator/index';
import { appBindings, type CfnTemplate, type DeployedStack, deployStack, resolveIntrinsics } from '../../sandbox/harness/index';
import { exampleConfig } from './helpers';
import { admits, identityDecision } from './iam-sim';

// ---------------------------------------------------------------- the model of the synthesized app

interface StackModel {
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  readonly template: CfnTemplate;
  readonly deployed: DeployedStack;
  /** `<name>-vault` or `<name>-vault-<region>`. */
  readonly isVault: boolean;
}

interface RoleModel {
  readonly stack: StackModel;
  readonly logicalId: string;
  readonly arn: string;
  readonly trust: PolicyDocument;
  /** Inline, attached (AWS::IAM::Policy / ManagedPolicy) and AWS managed policies (as the sandbox models them). */
  readonly policies: readonly PolicyDocument[];
  /** AWS managed policy ARNs attached (the sandbox only models AWSLambdaBasicExecutionRole). */
  readonly managedPolicyArns: readonly string[];
  /** functions/<entry> folders whose Lambda runs as this role. */
  readonly functions: readonly string[];
}

/** A resource-based policy of some resource of a stack. */
interface ResourcePolicy {
  readonly stack: StackModel;
  readonly where: string;
  readonly type: string;
  readonly document: PolicyDocument;
}

interface AppModel {
  readonly config: VaultConfig;
  readonly stacks: readonly StackModel[];
  readonly roles: readonly RoleModel[];
  readonly resourcePolicies: readonly ResourcePolicy[];
  readonly keyPolicies: ReadonlyArray<ResourcePolicy & { readonly keyArn: string; readonly aliases: readonly string[] }>;
}

const asArray = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/** Synthesizes the app (no bundling, no nag), deploys every stack into a scratch sandbox to resolve intrinsics. */
function modelOf(config: VaultConfig): AppModel {
  const { app } = createApp(config, { bundling: false, nag: false, validation: false, outdir: mkdtempSync(join(tmpdir(), 'rsv-lp-')) });
  const assembly = app.synth();
  const bindings = appBindings(app);
  const sandbox = new AwsSandbox({ clock: new VirtualClock() });
  const vaultStackRe = new RegExp(`^${config.deploymentName}-vault(-[a-z0-9-]+)?$`);
  const stacks: StackModel[] = assembly.stacks.map((a) => {
    const env = { accountId: a.environment.account, region: a.environment.region, stackName: a.stackName };
    const template = a.template as CfnTemplate;
    return { stackName: a.stackName, accountId: env.accountId, region: env.region, template, deployed: deployStack(sandbox, template, env, bindings.get(a.stackName)!), isVault: vaultStackRe.test(a.stackName) };
  });
  const resolve = <T>(s: StackModel, v: unknown) =>
    resolveIntrinsics(v, { accountId: s.accountId, region: s.region, stackName: s.stackName }, s.deployed.physical) as T;

  const roles: RoleModel[] = [];
  const resourcePolicies: ResourcePolicy[] = [];
  const keyPolicies: AppModel['keyPolicies'][number][] = [];
  for (const s of stacks) {
    for (const r of s.deployed.roles) {
      const record = sandbox.iam.getRole(r.arn)!;
      const cfn = s.template.Resources[r.logicalId]!.Properties ?? {};
      roles.push({
        stack: s,
        logicalId: r.logicalId,
        arn: r.arn,
        trust: record.trustPolicy,
        policies: record.policies,
        managedPolicyArns: asArray(cfn.ManagedPolicyArns as unknown[]).map((m) => String(resolve<string>(s, m))),
        functions: s.deployed.functions.filter((f) => f.roleArn === r.arn).map((f) => f.entry),
      });
    }
    for (const k of s.deployed.keys) {
      const doc = resolve<PolicyDocument>(s, s.template.Resources[k.logicalId]!.Properties?.KeyPolicy);
      keyPolicies.push({ stack: s, where: `${s.stackName}/${k.logicalId}`, type: 'AWS::KMS::Key', document: doc, keyArn: k.arn, aliases: k.aliases });
    }
    for (const [id, r] of Object.entries(s.template.Resources)) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::Lambda::Permission') {
        // A Lambda resource policy statement, as the Lambda API builds it from the permission.
        const principal = resolve<string>(s, p.Principal);
        const st: PolicyStatement = {
          Effect: 'Allow',
          Principal: /amazonaws\.com$/.test(principal) ? { Service: principal } : { AWS: principal },
          Action: resolve<string>(s, p.Action),
          Resource: resolve<string>(s, p.FunctionName),
          ...(p.SourceAccount !== undefined && { Condition: { StringEquals: { 'aws:SourceAccount': resolve<string>(s, p.SourceAccount) } } }),
        };
        resourcePolicies.push({ stack: s, where: `${s.stackName}/${id}`, type: r.Type, document: { Statement: [st] } });
      } else if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy' && p.PolicyDocument !== undefined) {
        // SNS topic policies, S3 bucket policies, SQS queue policies, EventBridge bus policies...
        resourcePolicies.push({ stack: s, where: `${s.stackName}/${id}`, type: r.Type, document: resolve<PolicyDocument>(s, p.PolicyDocument) });
      }
    }
  }
  return { config, stacks, roles, resourcePolicies: [...resourcePolicies, ...keyPolicies], keyPolicies };
}

/** Every action of every Allow statement of the role (patterns as written). */
const allowedPatterns = (role: RoleModel): string[] =>
  role.policies.flatMap((d) => statementsOf(d)).filter((st) => st.Effect === 'Allow').flatMap((st) => [...asArray(st.Action)]);

/** Allow statements that use NotAction (they grant "everything but"; never acceptable here). */
const notActionAllows = (role: RoleModel): PolicyStatement[] =>
  role.policies.flatMap((d) => statementsOf(d)).filter((st) => st.Effect === 'Allow' && st.NotAction !== undefined);

const principalOf = (arn: string): PolicyPrincipal => {
  const account = /::(\d{12}):/.exec(arn)?.[1] ?? '';
  return { accountId: account, arn };
};

// ---------------------------------------------------------------- what the code calls (read from functions/)

/** RDS's KMS needs on a key used to copy a snapshot (docs/aws-behaviour.md §4), plus Encrypt (AWS's sample key policy lists it). */
const KMS_COPY = ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
/** Every function: its log group (AWSLambdaBasicExecutionRole or an own log group grant) and active X-Ray tracing. */
const LAMBDA_COMMON = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * What each function's code calls (the SDK commands in functions/<name>/ and the functions/shared
 * helpers it uses), as IAM actions, plus what AWS checks on its behalf (KMS through RDS/SNS,
 * iam:PassRole for an export). A granted action outside its row fails the test.
 */
/** functions/shared/copy-slots.ts (issue 12): read and conditional write of the copy slot table. */
const SLOT_TABLE = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

const CODE_CALLS: Readonly<Record<string, readonly string[]>> = {
  // plan-run (issue 3: tag discovery and event resolution): DescribeDBInstances/Clusters + ListTagsForResource,
  // DescribeDB(Cluster)Snapshots for an event's snapshot ARN. Issue 2's plan-run calls nothing.
  // Issue 7: DescribeDBInstances + DescribeOptionGroups for the plan-time TDE check (CHECK_SHAREABLE).
  // Issue 12: shared/ledger.ts writePlan (PutObject) and readPlanItem (GetObject) on plans/ of the run ledger.
  'plan-run': ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource', 'rds:DescribeOptionGroups', 'rds:DescribeAccountAttributes', 's3:PutObject', 's3:GetObject'],
  // create-copy/copy.ts + shared/snapshots.ts: listSnapshots, describeSnapshot, databaseExists,
  // copySnapshotIdempotently (Copy* with Tags => AddTagsToResource; adoptExisting => ListTagsForResource); KMS via RDS.
  'create-copy': [
    'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBInstances', 'rds:DescribeDBClusters',
    'rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:AddTagsToResource', 'rds:ListTagsForResource', ...KMS_COPY, ...SLOT_TABLE,
  ],
  // poll-status/poll.ts: describeSnapshot (source), assumeVaultRole + describeSnapshot (vault); releases the copy slot (issue 12).
  'poll-status': ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'sts:AssumeRole', ...SLOT_TABLE],
  // share/share.ts: Describe*SnapshotAttributes, Modify*SnapshotAttribute.
  share: ['rds:DescribeDBSnapshotAttributes', 'rds:DescribeDBClusterSnapshotAttributes', 'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute'],
  // cross-account-copy/vault-copy.ts: assumeVaultRole, then copySnapshotIdempotently under the vault role.
  // Same-account mode (issue 3) copies with its own credentials: the copy actions and KMS through RDS.
  'cross-account-copy': [
    'sts:AssumeRole', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot',
    'rds:AddTagsToResource', 'rds:ListTagsForResource', ...KMS_COPY, 'kms:Encrypt', ...SLOT_TABLE,
  ],
  // retention-sweep/sweep.ts: listSnapshots, snapshotTags, deleteSnapshot; AddTagsToResource (source only: markVaulted).
  'retention-sweep': ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource', 'rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot', 'rds:AddTagsToResource'],
  // notify/report.ts: sns:Publish to a KMS-encrypted topic (SNS uses the key on the caller's behalf).
  // notify/report.ts: sns:Publish to a KMS-encrypted topic (SNS uses the key on the caller's behalf);
  // shared/ledger.ts readRun (issue 12): ListObjectsV2 (s3:ListBucket) and GetObject of the run's records.
  notify: ['sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey*', 's3:ListBucket', 's3:GetObject'],
  // record-result/record.ts -> shared/ledger.ts writeRecord (issue 12): PutObject into the SSE-S3 run ledger.
  'record-result': ['s3:PutObject'],
  // send-digest/digest.ts (issue 12): shared/ledger.ts readDay (ListObjectsV2, GetObject), then sns:Publish like notify.
  'send-digest': ['sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey*', 's3:ListBucket', 's3:GetObject'],
  // export-to-s3 (issue 3): StartExportTask/DescribeExportTasks, PassRole of the export role, the export key.
  'export-to-s3': [
    'rds:StartExportTask', 'rds:DescribeExportTasks', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'iam:PassRole',
    'kms:CreateGrant', 'kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:RetireGrant', ...SLOT_TABLE,
  ],
  // poll-export (issue 3): DescribeExportTasks; releases the export slot (issue 12).
  'poll-export': ['rds:DescribeExportTasks', ...SLOT_TABLE],
  // check-recovery-points/check.ts + shared/recovery-points.ts (issue 9): Describe*Snapshots only.
  'check-recovery-points': ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
  // Restore drills (issue 9). plan-drill: listManagedDatabases (retention-sweep/inventory.ts): listSnapshots, snapshotTags.
  'plan-drill': ['rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:ListTagsForResource'],
  // start-restore/restore.ts + shared/recovery-points.ts: Describe*Snapshots, Restore*, CreateDBInstance (with Tags =>
  // AddTagsToResource), Modify* ManageMasterUserPassword (RDS creates the secret as the caller), the vault key through RDS.
  'start-restore': [
    'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterFromSnapshot',
    'rds:CreateDBInstance', 'rds:AddTagsToResource', 'rds:ModifyDBInstance', 'rds:ModifyDBCluster', 'secretsmanager:CreateSecret', 'secretsmanager:TagResource',
    'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext',
  ],
  // poll-restore/poll.ts: DescribeDBInstances, DescribeDBClusters.
  'poll-restore': ['rds:DescribeDBInstances', 'rds:DescribeDBClusters'],
  // validate-restore/validate.ts: GetSecretValue (then SQL over TCP, no AWS call).
  'validate-restore': ['secretsmanager:GetSecretValue'],
  // cleanup-drill/cleanup.ts: Describe (sweep), Delete drill DB instances / DB clusters.
  'cleanup-drill': ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DeleteDBInstance', 'rds:DeleteDBCluster'],
  // record-evidence/evidence.ts: PutObject into the SSE-KMS evidence bucket.
  'record-evidence': ['s3:PutObject', 'kms:GenerateDataKey', 'kms:Decrypt'],
};

/** API operations authorised under an IAM action of another name. */
const OPERATION_ACTIONS: Readonly<Record<string, string>> = { 's3:ListObjectsV2': 's3:ListBucket', 's3:HeadObject': 's3:GetObject' };

/** The vault copy role (assumed by cross-account-copy and poll-status): copy, tag, describe, KMS for the copy. */
const VAULT_COPY_ROLE_CALLS = [
  'rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:AddTagsToResource', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots',
  'rds:ListTagsForResource', ...KMS_COPY, 'kms:Encrypt',
];

/** Whether `pattern` (as granted) is covered by the list (`kms:GenerateDataKey*` covers itself; `rds:*` is covered by nothing but `rds:*`). */
const coveredBy = (list: readonly string[], pattern: string) => list.some((l) => l.toLowerCase() === pattern.toLowerCase() || (!pattern.includes('*') && globMatch(l, pattern, true)));

// ---------------------------------------------------------------- the tests

let model: AppModel;
beforeAll(() => {
  model = modelOf(exampleConfig());
});

const vaultStacks = () => model.stacks.filter((s) => s.isVault);
const vaultCopyRoles = () =>
  model.roles.filter((r) => r.stack.isVault && statementsOf(r.trust).some((st) => asArray(typeof st.Principal === 'object' ? st.Principal.AWS : undefined).some((p) => p.includes(`:${model.config.source.accountId}:`))));

describe('the synthesized app', () => {
  it('has a source stack and at least one vault stack, each vault stack in the vault account', () => {
    expect(model.stacks.filter((s) => !s.isVault).length).toBeGreaterThanOrEqual(1);
    expect(vaultStacks().length).toBeGreaterThanOrEqual(1);
    const vaultAccount = model.config.vault.accountId ?? model.config.source.accountId;
    for (const s of vaultStacks()) expect(s.accountId, s.stackName).toBe(vaultAccount);
  });
});

describe('the vault copy role', () => {
  const DESTRUCTIVE = [
    'rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot', 'rds:DeleteDBInstance', 'rds:DeleteDBCluster',
    'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute',
    'rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBClusterToPointInTime',
  ];

  it('exists (one per deployment, trusted by the source account only)', () => {
    expect(vaultCopyRoles()).toHaveLength(model.config.vault.accountId === undefined ? 0 : 1);
  });

  it('has no Allow matching rds:Delete*, rds:Modify*SnapshotAttribute or rds:Restore*, and no NotAction Allow', () => {
    for (const role of vaultCopyRoles()) {
      expect(notActionAllows(role)).toEqual([]);
      for (const pattern of allowedPatterns(role)) {
        for (const bad of ['rds:Delete*', 'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBClusterSnapshotAttribute', 'rds:Restore*']) {
          // Overlap both ways: a granted `rds:*` covers the bad action; a granted `rds:DeleteDBSnapshot` is covered by `rds:Delete*`.
          expect(globMatch(pattern, bad, true) || globMatch(bad, pattern, true), `${role.arn} allows ${pattern}`).toBe(false);
        }
      }
    }
  });

  it('denies them explicitly, on every resource (a later broad grant cannot give them back)', () => {
    for (const role of vaultCopyRoles()) {
      const resource = `arn:aws:rds:${model.config.vault.region}:${role.stack.accountId}:snapshot:rsv-x`;
      // Prove the explicit Deny by adding an Allow of everything: the role must still be refused.
      const withAdmin = [...role.policies, { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*' }] }];
      for (const action of DESTRUCTIVE) {
        expect(identityDecision(withAdmin, { action, resource, context: { [`rds:snapshot-tag/${TAGS.MANAGED}`]: 'true' } }, role.arn), `${action} on ${role.arn}`).toBe('explicitDeny');
      }
    }
  });
});

// ---------------------------------------------------------------- walk every policy of the vault stacks

/** One thing a source-account principal must not be able to do in the vault. */
interface Threat {
  readonly what: string;
  readonly request: AuthzRequest;
}

function vaultThreats(m: AppModel): Threat[] {
  const out: Threat[] = [];
  const managedTag = { [`rds:snapshot-tag/${TAGS.MANAGED}`]: 'true', [`rds:cluster-snapshot-tag/${TAGS.MANAGED}`]: 'true', [`aws:ResourceTag/${TAGS.MANAGED}`]: 'true' };
  for (const s of m.stacks.filter((x) => x.isVault)) {
    const rds = `arn:aws:rds:${s.region}:${s.accountId}`;
    for (const tags of [managedTag, {}]) {
      out.push({ what: `delete a vault DB snapshot in ${s.region}`, request: { action: 'rds:DeleteDBSnapshot', resource: `${rds}:snapshot:rsv-orders-db-202611200300`, context: tags } });
      out.push({ what: `delete a vault DB cluster snapshot in ${s.region}`, request: { action: 'rds:DeleteDBClusterSnapshot', resource: `${rds}:cluster-snapshot:rsv-catalog-aurora-202611200300`, context: tags } });
      out.push({ what: `share a vault snapshot out of ${s.region}`, request: { action: 'rds:ModifyDBSnapshotAttribute', resource: `${rds}:snapshot:rsv-orders-db-202611200300`, context: tags } });
      out.push({ what: `untag/retag a vault snapshot so retention treats it differently`, request: { action: 'rds:RemoveTagsFromResource', resource: `${rds}:snapshot:rsv-orders-db-202611200300`, context: tags } });
    }
    for (const k of s.deployed.keys) {
      for (const action of ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:CreateGrant', 'kms:RevokeGrant', 'kms:DeleteAlias', 'kms:UpdateAlias']) {
        // Called directly (no kms:ViaService): a grant RDS makes for its own copy is not a threat; a
        // grant the caller makes for itself or another account is (it outlives the session).
        out.push({ what: `${action} on vault key ${k.aliases.join(',') || k.arn}`, request: { action, resource: k.arn, context: { 'kms:CallerAccount': s.accountId } } });
      }
    }
    for (const f of s.deployed.functions) {
      for (const action of ['lambda:InvokeFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:AddPermission']) {
        out.push({ what: `${action} on vault function ${f.entry}`, request: { action, resource: f.arn } });
      }
    }
    for (const r of s.deployed.roles) {
      for (const action of ['iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRolePolicy', 'iam:PassRole']) {
        out.push({ what: `${action} on vault role ${r.name}`, request: { action, resource: r.arn } });
      }
    }
  }
  return out;
}

/**
 * Who in the source account we model: the account root (a compromised production admin can act as
 * any principal of the account), a generic admin role, and every role the source stacks create
 * (trust policies may name them). All know the external ID (it is in the functions' environment).
 */
function sourcePrincipals(m: AppModel): PolicyPrincipal[] {
  const acct = m.config.source.accountId;
  const roles = m.roles.filter((r) => r.stack.accountId === acct && !r.stack.isVault).map((r) => principalOf(r.arn));
  return [principalOf(`arn:aws:iam::${acct}:root`), principalOf(`arn:aws:iam::${acct}:role/prod-admin`), ...roles];
}

/**
 * Every way a source principal reaches a threat: (a) directly, through a resource policy of a vault
 * stack that admits it (its own account lets an admin do anything, so the resource policy alone
 * decides); (b) through a vault role it can assume (trust policy, with the external ID; role chains
 * followed to a fixpoint) whose identity policies allow the request, or that carries an AWS
 * managed policy the sandbox cannot evaluate (reported as unprovable).
 * @returns human-readable findings; empty = proven safe.
 */
function sourceReach(m: AppModel, extra: { roles?: RoleModel[]; resourcePolicies?: ResourcePolicy[] } = {}): string[] {
  const roles = extra.roles ?? m.roles;
  const resourcePolicies = extra.resourcePolicies ?? m.resourcePolicies;
  const findings: string[] = [];
  const threats = vaultThreats(m);
  const externalId = m.config.vault.externalId ?? '';
  const sources = sourcePrincipals(m);

  // (a) resource policies of the vault stacks.
  for (const rp of resourcePolicies.filter((x) => x.stack.isVault)) {
    for (const caller of sources) {
      for (const t of threats) {
        if (admits(rp.document, caller.arn, t.request, rp.stack.accountId)) findings.push(`${caller.arn} can ${t.what} through the resource policy of ${rp.where} (${rp.type})`);
      }
    }
  }

  // (b) vault roles a source principal can assume, transitively.
  const reachable = new Map<string, RoleModel>();
  let frontier: PolicyPrincipal[] = sources;
  while (frontier.length > 0) {
    const next: PolicyPrincipal[] = [];
    for (const role of roles.filter((r) => r.stack.isVault && !reachable.has(r.arn))) {
      const assumable = frontier.some((caller) => admits(role.trust, caller.arn, { action: 'sts:AssumeRole', resource: role.arn, context: { 'sts:ExternalId': externalId } }, role.stack.accountId, 'trust'));
      if (assumable) {
        reachable.set(role.arn, role);
        next.push(principalOf(role.arn));
      }
    }
    frontier = next;
  }
  for (const role of reachable.values()) {
    const unknownManaged = role.managedPolicyArns.filter((a) => !a.endsWith('/AWSLambdaBasicExecutionRole'));
    if (unknownManaged.length > 0) findings.push(`source-assumable role ${role.arn} carries AWS managed policies ${unknownManaged.join(', ')} the test cannot evaluate`);
    for (const t of threats) {
      if (identityDecision(role.policies, t.request, role.arn) === 'allow') findings.push(`source principals can ${t.what} by assuming ${role.arn}`);
    }
  }
  return findings;
}

describe('no principal of the source account can destroy what the vault keeps', () => {
  it('walks every IAM policy, trust policy, key policy and resource policy of the vault stacks: no path', () => {
    // The walk must actually cover something: the vault key policies, the copy role (reachable) and the retention roles.
    expect(model.keyPolicies.filter((k) => k.stack.isVault).length).toBeGreaterThanOrEqual(vaultStacks().length);
    expect(model.roles.filter((r) => r.stack.isVault).length).toBeGreaterThan(0);
    expect(sourceReach(model)).toEqual([]);
  });

  it('the walker finds planted holes (a broad grant on the copy role, a key policy admitting the source account, a Lambda permission)', () => {
    const copyRole = vaultCopyRoles()[0];
    if (!copyRole) return expect(model.config.vault.accountId).toBeUndefined();
    const vault = vaultStacks()[0]!;
    const src = model.config.source.accountId;
    // 1. The copy role gains kms:* (not covered by its explicit Deny): the walker sees key destruction through it.
    const broadRole: RoleModel = { ...copyRole, policies: [...copyRole.policies, { Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }] };
    const roles = model.roles.map((r) => (r === copyRole ? broadRole : r));
    expect(sourceReach(model, { roles }).some((f) => f.includes('kms:ScheduleKeyDeletion') && f.includes('by assuming'))).toBe(true);
    // The explicit Deny wins over a planted rds:* grant: deletes stay impossible.
    const rdsAll: RoleModel = { ...copyRole, policies: [...copyRole.policies, { Statement: [{ Effect: 'Allow', Action: 'rds:*', Resource: '*' }] }] };
    expect(sourceReach(model, { roles: model.roles.map((r) => (r === copyRole ? rdsAll : r)) }).filter((f) => f.includes('delete'))).toEqual([]);
    // 2. A vault key policy that admits the source account for kms:*.
    const leakyKey: ResourcePolicy = { stack: vault, where: 'planted key policy', type: 'AWS::KMS::Key', document: { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${src}:root` }, Action: 'kms:*', Resource: '*' }] } };
    expect(sourceReach(model, { resourcePolicies: [...model.resourcePolicies, leakyKey] }).some((f) => f.includes('kms:PutKeyPolicy'))).toBe(true);
    // 3. A Lambda permission letting the source account invoke the vault's retention-sweep (it would sweep with any policy it passes).
    const sweep = vault.deployed.functions.find((f) => f.entry === 'retention-sweep')!;
    const invoke: ResourcePolicy = { stack: vault, where: 'planted permission', type: 'AWS::Lambda::Permission', document: { Statement: [{ Effect: 'Allow', Principal: { AWS: src }, Action: 'lambda:InvokeFunction', Resource: sweep.arn }] } };
    expect(sourceReach(model, { resourcePolicies: [...model.resourcePolicies, invoke] }).some((f) => f.includes('lambda:InvokeFunction on vault function retention-sweep'))).toBe(true);
    // 4. A trust policy without the external ID condition is still only as good as its identity policies: the walker follows it.
    const trustAll: RoleModel = { ...copyRole, trust: { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${src}:root` }, Action: 'sts:AssumeRole' }] }, policies: [{ Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] }] };
    expect(sourceReach(model, { roles: model.roles.map((r) => (r === copyRole ? trustAll : r)) }).some((f) => f.includes('iam:UpdateAssumeRolePolicy'))).toBe(true);
  });

  it('the only vault role the source account can assume is the copy role, and only with the external ID', () => {
    const assumable = (externalId: string | undefined) =>
      model.roles
        .filter((r) => r.stack.isVault)
        .filter((r) =>
          sourcePrincipals(model).some((caller) =>
            admits(r.trust, caller.arn, { action: 'sts:AssumeRole', resource: r.arn, context: { ...(externalId !== undefined && { 'sts:ExternalId': externalId }) } }, r.stack.accountId, 'trust'),
          ),
        )
        .map((r) => r.arn);
    expect(assumable(model.config.vault.externalId)).toEqual(vaultCopyRoles().map((r) => r.arn));
    expect(assumable('wrong-external-id')).toEqual([]);
    expect(assumable(undefined)).toEqual([]);
  });
});

// ---------------------------------------------------------------- deletes

describe('delete permissions', () => {
  const DELETES = [
    { action: 'rds:DeleteDBSnapshot', resource: (s: StackModel) => `arn:aws:rds:${s.region}:${s.accountId}:snapshot:rsv-x-202611200300`, key: `rds:snapshot-tag/${TAGS.MANAGED}` },
    { action: 'rds:DeleteDBClusterSnapshot', resource: (s: StackModel) => `arn:aws:rds:${s.region}:${s.accountId}:cluster-snapshot:rsv-x-202611200300`, key: `rds:cluster-snapshot-tag/${TAGS.MANAGED}` },
  ];
  const OTHER_DELETES = ['rds:DeleteDBInstance', 'rds:DeleteDBCluster', 'rds:DeleteDBInstanceAutomatedBackup', 'rds:DeleteDBClusterAutomatedBackup', 'rds:DeleteGlobalCluster', 'kms:ScheduleKeyDeletion'];

  it('rds:DeleteDB(Cluster)Snapshot is granted only to retention-sweep roles, and only on snapshots tagged managed=true', () => {
    const sweepRoles = model.roles.filter((r) => r.functions.includes('retention-sweep'));
    expect(sweepRoles.length, 'a retention-sweep role in the source stack and in each vault stack').toBeGreaterThanOrEqual(1 + vaultStacks().length);
    for (const role of model.roles) {
      for (const d of DELETES) {
        const resource = d.resource(role.stack);
        const tagged = identityDecision(role.policies, { action: d.action, resource, context: { [d.key]: 'true' } }, role.arn);
        const untagged = identityDecision(role.policies, { action: d.action, resource, context: {} }, role.arn);
        const otherValue = identityDecision(role.policies, { action: d.action, resource, context: { [d.key]: 'false' } }, role.arn);
        expect(untagged, `${role.arn}: ${d.action} without the managed tag`).not.toBe('allow');
        expect(otherValue, `${role.arn}: ${d.action} with managed=false`).not.toBe('allow');
        if (role.functions.includes('retention-sweep')) expect(tagged, `${role.arn}: ${d.action} on a managed copy`).toBe('allow');
        else expect(tagged, `${role.arn} (${role.functions.join(',') || 'no function'}): ${d.action}`).not.toBe('allow');
      }
    }
  });

  it('every statement that could allow a snapshot delete carries the managed-tag condition itself', () => {
    for (const role of model.roles) {
      for (const st of role.policies.flatMap((d) => statementsOf(d)).filter((x) => x.Effect === 'Allow')) {
        for (const d of DELETES) {
          if (!asArray(st.Action).some((p) => globMatch(p, d.action, true))) continue;
          expect(st.Condition?.StringEquals?.[d.key], `${role.arn} ${JSON.stringify(st)}`).toBe('true');
        }
      }
    }
  });

  it('no role may delete a database, an automated backup or a KMS key (only cleanup-drill deletes drill-tagged rsv-drill-* DB instances/clusters)', () => {
    const DRILL_DELETES = new Set(['rds:DeleteDBInstance', 'rds:DeleteDBCluster']);
    for (const role of model.roles) {
      const drillCleanup = role.functions.includes('cleanup-drill');
      if (drillCleanup) {
        const { accountId, region } = role.stack;
        for (const [action, type] of [['rds:DeleteDBInstance', 'db'], ['rds:DeleteDBCluster', 'cluster']] as const) {
          const drill = `arn:aws:rds:${region}:${accountId}:${type}:rsv-drill-1a2b3c4d-orders-db`;
          const tag = { 'aws:ResourceTag/rds-snapshot-vault:drill': 'true' };
          expect(identityDecision(role.policies, { action, resource: drill, context: tag }, role.arn), `${role.arn}: ${action} drill`).toBe('allow');
          expect(identityDecision(role.policies, { action, resource: drill }, role.arn), `${role.arn}: ${action} untagged`).not.toBe('allow');
          expect(identityDecision(role.policies, { action, resource: `arn:aws:rds:${region}:${accountId}:${type}:orders-db`, context: tag }, role.arn), `${role.arn}: ${action} not rsv-drill-*`).not.toBe('allow');
        }
      }
      for (const action of OTHER_DELETES) {
        if (drillCleanup && DRILL_DELETES.has(action)) continue;
        expect(identityDecision(role.policies, { action, resource: '*' }, role.arn), `${role.arn}: ${action}`).not.toBe('allow');
        const st = role.policies.flatMap((d) => statementsOf(d)).find((x) => x.Effect === 'Allow' && asArray(x.Action).some((p) => globMatch(p, action, true)));
        expect(st, `${role.arn}: ${action}`).toBeUndefined();
      }
    }
  });
});

// ---------------------------------------------------------------- key policies

describe('KMS key policies', () => {
  const ALLOWED = new Set(KMS_COPY.map((a) => a.toLowerCase()));
  /** Accounts named by a statement's Principal.AWS (12-digit IDs, root ARNs, role ARNs). */
  const accountsOf = (st: PolicyStatement): string[] =>
    typeof st.Principal === 'object' ? asArray(st.Principal.AWS).map((p) => /^(\d{12})$/.exec(p)?.[1] ?? /::(\d{12}):/.exec(p)?.[1] ?? p) : st.Principal === '*' ? ['*'] : [];

  it('grant another account only through RDS (kms:ViaService) and only the copy actions; CreateGrant only for AWS resources', () => {
    let crossAccount = 0;
    for (const k of model.keyPolicies) {
      for (const st of statementsOf(k.document).filter((x) => x.Effect === 'Allow')) {
        const foreign = accountsOf(st).filter((a) => a !== k.stack.accountId);
        if (foreign.length === 0) continue;
        crossAccount++;
        expect(foreign, k.where).not.toContain('*');
        expect(st.NotAction, k.where).toBeUndefined();
        for (const a of asArray(st.Action)) expect(ALLOWED.has(a.toLowerCase()), `${k.where} grants ${foreign.join(',')} ${a}`).toBe(true);
        const via = asArray(st.Condition?.StringEquals?.['kms:ViaService'] as string | string[] | undefined);
        expect(via.length, `${k.where}: kms:ViaService`).toBeGreaterThan(0);
        for (const v of via) expect(v, k.where).toMatch(/^rds\.[a-z0-9-]+\.amazonaws\.com$/);
        if (asArray(st.Action).some((a) => a.toLowerCase() === 'kms:creategrant')) {
          expect(String(st.Condition?.Bool?.['kms:GrantIsForAWSResource']), `${k.where}: CreateGrant for AWS resources only`).toBe('true');
        }
      }
    }
    // Cross-account mode: the source key admits the vault account; same-account mode (issue 3): no foreign grant at all.
    if (model.config.vault.accountId !== undefined && model.config.vault.accountId !== model.config.source.accountId) expect(crossAccount).toBeGreaterThan(0);
  });

  it('evaluated: the vault account can decrypt the source key through RDS, never directly, and can never administer it', () => {
    const vaultAcct = model.config.vault.accountId;
    if (vaultAcct === undefined) return;
    const caller = principalOf(`arn:aws:iam::${vaultAcct}:role/${model.config.deploymentName}-vault-copy`);
    for (const k of model.keyPolicies.filter((x) => !x.stack.isVault)) {
      const through = (action: string, via?: string) =>
        admits(k.document, caller.arn, { action, resource: k.keyArn, context: { ...(via !== undefined && { 'kms:ViaService': via }), 'kms:CallerAccount': vaultAcct } }, k.stack.accountId);
      for (const admin of ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:Encrypt', 'kms:RevokeGrant']) expect(through(admin, `rds.${k.stack.region}.amazonaws.com`), `${k.where}: ${admin}`).toBe(false);
      expect(through('kms:Decrypt'), `${k.where}: Decrypt outside RDS`).toBe(false);
      expect(through('kms:Decrypt', `s3.${k.stack.region}.amazonaws.com`), `${k.where}: Decrypt via S3`).toBe(false);
    }
    const sourceKey = model.keyPolicies.find((x) => !x.stack.isVault && x.aliases.some((a) => a.endsWith('-source')));
    expect(sourceKey, 'the source key').toBeDefined();
    // Admitted for the vault account (an admin there), through RDS.
    const via = { 'kms:ViaService': `rds.${model.config.source.region}.amazonaws.com`, 'kms:CallerAccount': vaultAcct };
    expect(admits(sourceKey!.document, caller.arn, { action: 'kms:Decrypt', resource: sourceKey!.keyArn, context: via }, sourceKey!.stack.accountId)).toBe(true);
    // ...by its account, not by naming the role: without an identity grant in the vault account, nothing.
    expect(identityDecision([], { action: 'kms:Decrypt', resource: sourceKey!.keyArn, context: via }, caller.arn)).toBe('implicitDeny');
  });
});

// ---------------------------------------------------------------- function roles vs. the code

describe('function roles hold only what the code calls', () => {
  it('every function has a row in the table (a new function must be read and added)', () => {
    const entries = new Set(model.stacks.flatMap((s) => s.deployed.functions.map((f) => f.entry)));
    for (const e of entries) expect(Object.keys(CODE_CALLS), `functions/${e}`).toContain(e);
  });

  it('each function role allows only actions of its row (plus logs and X-Ray), with no NotAction and no service wildcard', () => {
    for (const role of model.roles.filter((r) => r.functions.length > 0)) {
      const allowedList = [...LAMBDA_COMMON, ...role.functions.flatMap((f) => CODE_CALLS[f] ?? [])];
      expect(notActionAllows(role), role.arn).toEqual([]);
      for (const pattern of allowedPatterns(role)) {
        expect(coveredBy(allowedList, pattern), `${role.functions.join(',')} (${role.arn}) is granted ${pattern}, which its code does not call`).toBe(true);
      }
    }
  });

  it('the vault copy role allows only copy, tag, describe and the KMS copy actions', () => {
    for (const role of vaultCopyRoles()) {
      for (const pattern of allowedPatterns(role)) expect(coveredBy(VAULT_COPY_ROLE_CALLS, pattern), `${role.arn} is granted ${pattern}`).toBe(true);
    }
  });
});

// ---------------------------------------------------------------- the sandbox call log of a real run

describe('a demo-fleet BackupRun in the sandbox', () => {
  /**
   * Granted but never exercised by one demo-fleet run (checked when this test was written; they
   * are kept on purpose, each for a path the demo does not take):
   * - create-copy: rds:DescribeDBInstances / rds:DescribeDBClusters (only when a database has no
   *   automated snapshot: DatabaseNotFound vs NoAutomatedSnapshot), rds:ListTagsForResource (only
   *   when an existing copy is adopted and the describe output has no TagList), rds:AddTagsToResource
   *   (authorised by RDS as part of CopyDB*Snapshot with Tags, not called directly);
   * - share: rds:DescribeDB(Cluster)SnapshotAttributes is called, Modify* only for new shares;
   * - retention-sweep: rds:DeleteDB(Cluster)Snapshot (nothing is old enough on day one),
   *   rds:ListTagsForResource (the sandbox returns TagList with the describe);
   * - vault copy role: rds:ListTagsForResource (adoption only);
   * - KMS actions are authorised inside RDS/SNS on the caller's behalf and never appear as calls.
   */
  it('calls only (role, action) pairs the templates grant', async () => {
    const { fleetEnvironment } = await import('../workflow/helpers');
    const env = await fleetEnvironment();
    try {
      const run = await env.startBackupRun({});
      expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');
      const stacks = [env.source, env.vault];
      const roleOf = new Map<string, string>();
      for (const st of stacks) {
        for (const f of st.functions) roleOf.set(f.roleArn, `function ${f.entry}`);
        for (const sm of st.stateMachines) roleOf.set(sm.roleArn, `state machine ${sm.kind}`);
        for (const r of st.roles) if (!roleOf.has(r.arn)) roleOf.set(r.arn, `role ${r.name}`);
      }
      const seen = new Map<string, Set<string>>();
      for (const c of env.sandbox.calls) {
        if (!/:role\//.test(c.principalArn)) continue; // account root: the test's own setup calls
        // API operations whose IAM action has another name (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html: s3:ListBucket).
        const action = OPERATION_ACTIONS[`${c.service}:${c.operation}`] ?? `${c.service}:${c.operation}`;
        if (!seen.has(c.principalArn)) seen.set(c.principalArn, new Set());
        seen.get(c.principalArn)!.add(action);
      }
      expect(seen.size).toBeGreaterThanOrEqual(6);
      for (const [roleArn, actions] of seen) {
        const role = env.sandbox.iam.getRole(roleArn);
        expect(role, `${roleArn} made calls but is not a deployed role`).toBeDefined();
        const granted = role!.policies.flatMap((d) => statementsOf(d)).filter((st) => st.Effect === 'Allow').flatMap((st) => [...asArray(st.Action)]);
        for (const action of actions) {
          expect(granted.some((g) => globMatch(g, action, true)), `${roleOf.get(roleArn) ?? roleArn} called ${action}, which it is not granted`).toBe(true);
          // And the code table agrees: what a function calls is in its row.
          const fn = /^function (.+)$/.exec(roleOf.get(roleArn) ?? '')?.[1];
          if (fn !== undefined) expect(coveredBy(CODE_CALLS[fn] ?? [], action), `functions/${fn} called ${action}, missing from its CODE_CALLS row`).toBe(true);
        }
      }
      // The vault copy role was used by the source functions (AssumeRole) to copy and describe.
      const copyRole = [...seen.keys()].find((a) => a.endsWith('-vault-copy'));
      expect(copyRole && [...seen.get(copyRole)!].sort()).toEqual(expect.arrayContaining(['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:DescribeDBSnapshots']));
    } finally {
      env.dispose();
    }
  });
});
