/**
 * `rsv preflight`: the checks a first run depends on, each `pass`, `fail`, `warn` or `skip` with the
 * exact fix. Exit code 0 when nothing fails, 1 otherwise.
 *
 * 1. the source stack is deployed (BackupRun exists: ListExecutions);
 * 2. per configured database: it exists as configured (DescribeDBInstances / DescribeDBClusters);
 *    an Aurora cluster is encrypted (`UnencryptedClusterNotSupported` otherwise); the key policy of its
 *    customer managed KMS key lets this account's IAM policies use it through RDS (GetKeyPolicy), which
 *    the create-copy role needs to copy the automated snapshot (docs/aws-behaviour.md §4); in
 *    cross-account mode, its option group has no permanent or persistent option but Oracle Timezone/OLS
 *    (such snapshots cannot be shared, §15a; the rule plan-run applies, `lockedOptionsOf`), and an option group with options has a target option group for each other Region
 *    (`optionGroups`, §15a);
 * 3. the vault key alias exists in the vault Region and each DR Region (DescribeKey by alias, with
 *    `--vault-profile`);
 * 4. the manual snapshot quota has room for the retention (DescribeAccountAttributes), skipped where
 *    the API is not available (the local sandbox does not simulate it yet);
 * 5. cross-account mode: the vault copy role exists in the vault account and its trust policy, as
 *    deployed, trusts the source account's cross-account-copy and poll-status roles with the
 *    configured `vault.externalId` (GetRole with `--vault-profile`, docs/aws-behaviour.md §24). Its
 *    limit: it reads the trust policy and does not assume the role, so it cannot see an SCP, a
 *    permissions boundary or the source roles' own sts:AssumeRole permission; those show as
 *    VaultRoleNotAssumable at the first run's CopyToVault.
 */
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { copiesKeptPerDatabase } from '../../functions/plan-run/quota.js';
import { DescribeAccountAttributesCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeOptionGroupsCommand } from '@aws-sdk/client-rds';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { partitionOf, type VaultConfig } from '../../infra/config/schema';
import { deploymentNames } from '../../infra/constructs/names';
import { type LockedOptions, lockedOptionsOf } from '../../functions/plan-run/option-groups';
import { type Backend, vaultAccountOf } from '../backend';
import { type Output, style, table } from '../render';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';
export interface Check {
  /** Stable id, e.g. `source-key:orders-db`. */
  readonly id: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do (fail, warn, skip). */
  readonly fix?: string;
}

/** The actions RDS needs on the source key to copy an encrypted snapshot (docs/aws-behaviour.md §4). */
export const SOURCE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext'] as const;

export interface PreflightOptions {
  readonly json: boolean;
  /** The config file, for the deploy commands in fixes. */
  readonly configPath: string;
}

/** Extra clients preflight needs: KMS per account and Region (undefined without credentials). */
export interface PreflightClients {
  kms(accountId: string, region: string): KMSClient | undefined;
  /** IAM of an account (undefined without credentials); without it the vault role check is skipped. */
  iam?(accountId: string): IAMClient | undefined;
}

/**
 * `rsv preflight`: every check a first run depends on (stacks, databases and their KMS key policies,
 * manual snapshot quotas against the retention, vault keys per Region, the vault copy role's trust
 * policy and external ID, shareable snapshots), each PASS/FAIL/SKIP with the exact fix.
 * @returns exit code: 0 no check failed; 1 at least one failed
 */
export async function preflightCommand(backend: Backend, clients: PreflightClients, o: PreflightOptions, output: Output): Promise<number> {
  const checks = await runPreflight(backend, clients, o.configPath);
  const failed = checks.filter((c) => c.status === 'fail');
  if (o.json) {
    output.out(`${JSON.stringify({ ok: failed.length === 0, checks }, null, 2)}\n`);
    return failed.length === 0 ? 0 : 1;
  }
  const mark = (s: CheckStatus) => (s === 'pass' ? style(output, 'green', 'PASS') : s === 'fail' ? style(output, 'red', 'FAIL') : s === 'warn' ? style(output, 'yellow', 'WARN') : 'SKIP');
  output.out(`${table(['CHECK', 'RESULT', 'DETAIL'], checks.map((c) => [c.id, mark(c.status), c.detail]))}\n`);
  const toFix = checks.filter((x) => x.fix && x.status !== 'pass');
  if (toFix.length) output.out(`\nWhat to do:\n${toFix.map((c) => `- ${mark(c.status)} ${c.id}: ${c.fix}`).join('\n')}\n`);
  const passed = checks.filter((c) => c.status === 'pass').length;
  output.out(
    `\n${failed.length === 0 ? style(output, 'green', `Ready: ${passed} of ${checks.length} checks passed.`) : style(output, 'red', `${failed.length} of ${checks.length} checks failed: fix ${failed.length === 1 ? 'it' : 'them'} before the first run (rsv preflight again to confirm).`)}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

/** Runs every check; never throws for an AWS error (it becomes a failed check naming it). */
export async function runPreflight(backend: Backend, clients: PreflightClients, configPath: string): Promise<Check[]> {
  const { config } = backend;
  const names = deploymentNames(config.deploymentName);
  const checks: Check[] = [];
  const src = config.source;
  const crossAccount = config.vault.accountId !== undefined;

  // 1. The source stack.
  try {
    await backend.sfn.send(new ListExecutionsCommand({ stateMachineArn: backend.arns.backupRun, maxResults: 1 }));
    checks.push({ id: 'source-stack', status: 'pass', detail: `${names.backupRunStateMachine} found in ${src.accountId} ${src.region}` });
  } catch (err) {
    const e = err as Error;
    checks.push({
      id: 'source-stack',
      status: 'fail',
      detail: `${e.name}: ${e.message}`,
      fix: e.name === 'StateMachineDoesNotExist' ? `deploy the source stack: AWS_PROFILE=<source admin> npx cdk deploy ${names.sourceStack} -c config=${configPath}` : 'check the source account credentials (--profile) and Region',
    });
  }

  // 2. Each configured database.
  const rds = backend.rds(src.accountId, src.region);
  const kms = clients.kms(src.accountId, src.region);
  const otherRegions = [config.vault.region, ...config.vault.drRegions].filter((r) => r !== src.region);
  // The rule plan-run applies at every run (SnapshotNotShareable), read the same way.
  let locked = new Map<string, LockedOptions>();
  if (rds && crossAccount) {
    try {
      locked = await lockedOptionsOf(rds, config.databases.filter((d) => d.kind === 'instance').map((d) => d.identifier));
    } catch {
      // Reported per database below (DescribeDBInstances fails there too).
    }
  }
  for (const db of config.databases) {
    if (!rds) break;
    let info: { encrypted: boolean; kmsKeyId?: string; optionGroup?: string } | undefined;
    try {
      if (db.kind === 'cluster') {
        const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: db.identifier }))).DBClusters?.[0];
        if (c) info = { encrypted: c.StorageEncrypted === true, ...(c.KmsKeyId ? { kmsKeyId: c.KmsKeyId } : {}) };
      } else {
        const d = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.identifier }))).DBInstances?.[0];
        const og = d?.OptionGroupMemberships?.[0]?.OptionGroupName;
        if (d) info = { encrypted: d.StorageEncrypted === true, ...(d.KmsKeyId ? { kmsKeyId: d.KmsKeyId } : {}), ...(og ? { optionGroup: og } : {}) };
      }
    } catch (err) {
      const e = err as Error;
      if (!/NotFound/.test(e.name)) {
        checks.push({ id: `database:${db.identifier}`, status: 'fail', detail: `${e.name}: ${e.message}`, fix: 'check the source credentials: preflight needs rds:Describe*' });
        continue;
      }
    }
    if (!info) {
      checks.push({
        id: `database:${db.identifier}`,
        status: 'fail',
        detail: `no DB ${db.kind === 'cluster' ? 'cluster' : 'instance'} ${db.identifier} in ${src.accountId} ${src.region}`,
        fix: `correct "identifier"/"kind" of ${db.identifier} in ${configPath} (a DB cluster is "kind": "cluster"), or remove it; the run would fail it with DatabaseNotFound`,
      });
      continue;
    }
    checks.push({ id: `database:${db.identifier}`, status: 'pass', detail: `${db.kind === 'cluster' ? 'DB cluster' : 'DB instance'}, ${info.encrypted ? 'encrypted' : 'unencrypted'}` });
    checks.push(await sourceKeyCheck(db.identifier, db.kind, info, kms, config));
    if (db.kind === 'instance' && info.optionGroup && !info.optionGroup.startsWith('default:')) {
      checks.push(await optionGroupCheck(db, info.optionGroup, rds, locked.get(db.identifier.toLowerCase()), otherRegions, configPath));
    }
  }

  // 3. The vault key alias in each vault Region.
  const vaultAccount = vaultAccountOf(config);
  for (const region of [config.vault.region, ...config.vault.drRegions]) {
    const id = `vault-key:${region}`;
    const client = clients.kms(vaultAccount, region);
    if (!client) {
      checks.push({ id, status: 'skip', detail: `no credentials for the vault account ${vaultAccount}`, fix: 'pass --vault-profile <vault account profile> to check the vault keys' });
      continue;
    }
    const stack = region === config.vault.region ? names.vaultStack : names.drVaultStack(region);
    try {
      const key = (await client.send(new DescribeKeyCommand({ KeyId: names.vaultKeyAlias }))).KeyMetadata;
      checks.push(
        key?.Enabled
          ? { id, status: 'pass', detail: `${names.vaultKeyAlias} -> ${key.Arn}` }
          : { id, status: 'fail', detail: `${names.vaultKeyAlias} is ${key?.KeyState ?? 'not enabled'}`, fix: `enable the key: aws kms enable-key --key-id ${key?.Arn} --region ${region}` },
      );
    } catch (err) {
      const e = err as Error;
      checks.push({
        id,
        status: 'fail',
        detail: `${e.name}: ${e.message}`,
        fix: e.name === 'NotFoundException' ? `deploy the vault stack of ${region}: AWS_PROFILE=<vault admin> npx cdk deploy ${stack} -c config=${configPath}` : 'check the vault credentials (--vault-profile): preflight needs kms:DescribeKey',
      });
    }
  }

  // 4. Manual snapshot quota.
  checks.push(...(await quotaChecks(backend, config)));

  // 5. The vault role.
  if (crossAccount) checks.push(await vaultRoleCheck(config, clients, configPath));
  return checks;
}

/** `rsv-e…3f` style: enough to compare two external IDs without printing them whole. */
export function maskExternalId(id: string): string {
  return id.length <= 8 ? `${id.slice(0, 2)}…` : `${id.slice(0, 6)}…${id.slice(-2)} (${id.length} characters)`;
}

/**
 * The vault copy role as deployed: GetRole in the vault account, then its trust policy's statements
 * allowing sts:AssumeRole: the principals they name and the `sts:ExternalId` they require
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
 */
async function vaultRoleCheck(config: VaultConfig, clients: PreflightClients, configPath: string): Promise<Check> {
  const id = 'vault-role';
  const names = deploymentNames(config.deploymentName);
  const vaultAccount = vaultAccountOf(config);
  const deploy = `AWS_PROFILE=<vault admin> npx cdk deploy ${names.vaultStack} -c config=${configPath}`;
  const iam = clients.iam?.(vaultAccount);
  if (!iam) {
    return {
      id,
      status: 'skip',
      detail: `no credentials for the vault account ${vaultAccount}`,
      fix: `pass --vault-profile <vault account profile> to check ${names.vaultCopyRole} and its external ID (or compare by hand: aws iam get-role --role-name ${names.vaultCopyRole} --query Role.AssumeRolePolicyDocument)`,
    };
  }
  let doc: PolicyDoc;
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: names.vaultCopyRole }))).Role;
    // IAM returns the trust policy URL-encoded (API_Role).
    doc = JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? '%7B%7D')) as PolicyDoc;
  } catch (err) {
    const e = err as Error;
    if (e.name === 'NoSuchEntityException' || e.name === 'NoSuchEntity') {
      return { id, status: 'fail', detail: `no role ${names.vaultCopyRole} in the vault account ${vaultAccount}`, fix: `deploy the vault stack (it creates the role): ${deploy}` };
    }
    return { id, status: 'warn', detail: `cannot read ${names.vaultCopyRole}: ${e.name}`, fix: 'preflight needs iam:GetRole on the vault role (--vault-profile)' };
  }
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []).filter((s) => s.Effect === 'Allow' && asList(s.Action).some((a) => actionMatches(a, 'sts:AssumeRole')));
  const externalIds = statements.flatMap((s) => asList(s.Condition?.StringEquals?.['sts:ExternalId']));
  const principals = statements.flatMap((s) => asList((s.Principal as { AWS?: unknown } | undefined)?.AWS));
  const src = config.source.accountId;
  const expected = [names.crossAccountCopyRole, names.pollStatusRole].map((r) => `arn:${partitionOf(config.source.region)}:iam::${src}:role/${r}`);
  const missing = expected.filter((p) => !principals.includes(p));
  if (!externalIds.includes(config.vault.externalId ?? '')) {
    return {
      id,
      status: 'fail',
      detail: `${names.vaultCopyRole} requires external ID ${externalIds.map(maskExternalId).join(' or ') || '(none)'}; the config has ${maskExternalId(config.vault.externalId ?? '')}`,
      fix: `"vault.externalId" in ${configPath} must be the value the vault stack was deployed with (every CopyToVault fails with VaultRoleNotAssumable until they match): put that value back in the config, or, to change it, redeploy the vault stack with this config: ${deploy}`,
    };
  }
  if (missing.length > 0) {
    return {
      id,
      status: 'fail',
      detail: `${names.vaultCopyRole} does not trust ${missing.join(', ')}`,
      fix: `the vault stack was deployed for another source account or deploymentName: redeploy it with this config: ${deploy}`,
    };
  }
  return { id, status: 'pass', detail: `${names.vaultCopyRole} trusts the source roles with the configured external ID` };
}

async function sourceKeyCheck(identifier: string, kind: string, info: { encrypted: boolean; kmsKeyId?: string }, kms: KMSClient | undefined, config: VaultConfig): Promise<Check> {
  const id = `source-key:${identifier}`;
  const { accountId, region } = config.source;
  if (!info.encrypted) {
    return kind === 'cluster'
      ? { id, status: 'fail', detail: 'unencrypted DB cluster', fix: `RDS cannot encrypt a DB cluster snapshot while copying it, so ${identifier} cannot be vaulted (UnencryptedClusterNotSupported): restore it into an encrypted cluster, or remove it from the config` }
      : { id, status: 'pass', detail: 'unencrypted: copied under the stack key' };
  }
  if (!kms || !info.kmsKeyId) return { id, status: 'skip', detail: 'no KMS client for the source account' };
  try {
    const meta = (await kms.send(new DescribeKeyCommand({ KeyId: info.kmsKeyId }))).KeyMetadata;
    if (meta?.KeyManager === 'AWS') return { id, status: 'pass', detail: 'AWS managed key aws/rds: used through RDS, copied under the stack key' };
    if (meta && meta.Enabled === false) return { id, status: 'fail', detail: `${info.kmsKeyId} is ${meta.KeyState}`, fix: `enable it: aws kms enable-key --key-id ${info.kmsKeyId} --region ${region}` };
    const text = (await kms.send(new GetKeyPolicyCommand({ KeyId: meta?.Arn ?? info.kmsKeyId, PolicyName: 'default' }))).Policy ?? '{}';
    const verdict = keyPolicyDelegates(JSON.parse(text) as PolicyDoc, accountId, region);
    if (verdict.status === 'pass') return { id, status: 'pass', detail: `${info.kmsKeyId}: the key policy lets this account's IAM policies use it` };
    return { id, status: verdict.status, detail: `${info.kmsKeyId}: ${verdict.detail}`, fix: keyPolicyFix(info.kmsKeyId, accountId, region) };
  } catch (err) {
    const e = err as Error;
    return {
      id,
      status: 'fail',
      detail: `cannot read ${info.kmsKeyId}: ${e.name}`,
      fix: `${e.name === 'AccessDeniedException' ? "the key policy does not even let this account read it, so it does not delegate to IAM either. " : ''}${keyPolicyFix(info.kmsKeyId, accountId, region)}`,
    };
  }
}

/** The statement to add to a source key's policy, and how. */
export function keyPolicyFix(keyId: string, accountId: string, region: string): string {
  const statement = {
    Sid: 'AllowRdsSnapshotVaultThroughRds',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${accountId}:root` },
    Action: [...SOURCE_KEY_ACTIONS],
    Resource: '*',
    Condition: { StringEquals: { 'kms:ViaService': `rds.${region}.amazonaws.com`, 'kms:CallerAccount': accountId } },
  };
  return [
    `add this statement to the key policy of ${keyId} (it lets the stack's create-copy role, whose IAM policy already allows these actions through RDS, use the key):`,
    JSON.stringify(statement, null, 2),
    `  aws kms get-key-policy --key-id ${keyId} --policy-name default --query Policy --output text --region ${region} > policy.json`,
    '  # add the statement to "Statement" in policy.json, then:',
    `  aws kms put-key-policy --key-id ${keyId} --policy-name default --policy file://policy.json --region ${region}`,
  ].join('\n');
}

type Statement = { Effect?: string; Principal?: unknown; Action?: string | string[]; NotAction?: unknown; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };
type PolicyDoc = { Statement?: Statement | Statement[] };

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
const actionMatches = (pattern: string, action: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

/**
 * Whether a key policy delegates the source key actions to the account's IAM policies (an Allow for
 * the account root or account ID), through RDS. Conservative: an Allow with conditions other than
 * `kms:ViaService` (rds in the Region) / `kms:CallerAccount` (this account) cannot be checked here and
 * is a `warn`; a Deny of any needed action to everyone or the account is a `fail`.
 * Key policy semantics: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
export function keyPolicyDelegates(policy: PolicyDoc, accountId: string, region: string): { status: 'pass' | 'fail' | 'warn'; detail: string } {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  const forAccount = (p: unknown) => {
    if (p === '*') return true;
    const aws = asList((p as { AWS?: unknown } | undefined)?.AWS);
    return aws.some((a) => a === '*' || a === accountId || a === `arn:aws:iam::${accountId}:root` || /^arn:aws[\w-]*:iam::\d{12}:root$/.test(a) && a.includes(`::${accountId}:`));
  };
  const conditionOk = (c: Statement['Condition']) =>
    !c ||
    Object.entries(c).every(([op, kv]) =>
      ['StringEquals', 'StringLike'].includes(op) &&
      Object.entries(kv).every(([k, v]) => (k.toLowerCase() === 'kms:viaservice' && asList(v).includes(`rds.${region}.amazonaws.com`)) || (k.toLowerCase() === 'kms:calleraccount' && asList(v).includes(accountId))),
    );
  const missing: string[] = [];
  let conditional = false;
  for (const action of SOURCE_KEY_ACTIONS) {
    const denied = statements.some((s) => s.Effect === 'Deny' && forAccount(s.Principal) && asList(s.Action).some((a) => actionMatches(a, action)));
    if (denied) return { status: 'fail', detail: `a Deny statement covers ${action}` };
    const allows = statements.filter((s) => s.Effect === 'Allow' && forAccount(s.Principal) && asList(s.Action).some((a) => actionMatches(a, action)));
    if (allows.some((s) => conditionOk(s.Condition))) continue;
    if (allows.length > 0) conditional = true;
    else missing.push(action);
  }
  if (missing.length > 0) return { status: 'fail', detail: `the key policy does not allow account ${accountId} ${missing.join(', ')}` };
  if (conditional) return { status: 'warn', detail: 'the key policy allows the actions only under conditions preflight cannot evaluate' };
  return { status: 'pass', detail: 'delegates to IAM' };
}

async function optionGroupCheck(
  db: VaultConfig['databases'][number],
  optionGroup: string,
  rds: NonNullable<ReturnType<Backend['rds']>>,
  locked: LockedOptions | undefined,
  otherRegions: readonly string[],
  configPath: string,
): Promise<Check> {
  const id = `option-group:${db.identifier}`;
  const group = (await rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: optionGroup }))).OptionGroupsList?.[0];
  const options = group?.Options ?? [];
  if (locked) {
    return {
      id,
      status: 'fail',
      detail: `${optionGroup} has permanent/persistent option(s) ${locked.options.join(', ')}: its snapshots cannot be shared`,
      fix: `${db.identifier} cannot be copied to another account (SnapshotNotShareable, docs/aws-behaviour.md §15a): remove it from ${configPath}, or vault it with a same-account deployment`,
    };
  }
  const mapped = (db as { optionGroups?: Record<string, string> }).optionGroups ?? {};
  const unmapped = options.length > 0 ? otherRegions.filter((r) => !mapped[r]) : [];
  if (unmapped.length > 0) {
    return {
      id,
      status: 'fail',
      detail: `${optionGroup} has options (${options.map((o) => o.OptionName).join(', ')}) and no target option group for ${unmapped.join(', ')}`,
      fix: `create an option group with the same options in the vault account in ${unmapped.join(', ')} and name it in ${configPath}: "optionGroups": { ${unmapped.map((r) => `"${r}": "<option group>"`).join(', ')} } (else the copy fails with OptionGroupRequired)`,
    };
  }
  return { id, status: 'pass', detail: `${optionGroup}: ${options.length === 0 ? 'no options' : 'options mapped for every Region'}` };
}

/**
 * Manual snapshot quota headroom (docs/aws-behaviour.md §12: 100 per Region by default, adjustable):
 * `ManualSnapshots` / `ManualClusterSnapshots` of DescribeAccountAttributes
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeAccountAttributes.html),
 * against what retention keeps: per database at most max(keepLast, maxAgeDays) daily copies plus the
 * GFS ones. Skipped where the API is not available.
 */
async function quotaChecks(backend: Backend, config: VaultConfig): Promise<Check[]> {
  const places = [
    { where: 'source', accountId: config.source.accountId, region: config.source.region, retention: config.retention.source },
    ...[config.vault.region, ...config.vault.drRegions].map((region) => ({ where: region, accountId: vaultAccountOf(config), region, retention: config.retention.vault })),
  ];
  const checks: Check[] = [];
  for (const p of places) {
    const id = `snapshot-quota:${p.where}`;
    const rds = backend.rds(p.accountId, p.region);
    if (!rds) {
      checks.push({ id, status: 'skip', detail: 'no credentials for that account', fix: 'pass --vault-profile' });
      continue;
    }
    // The same estimate plan-run fails fast with (functions/plan-run/quota.ts).
    const perDb = copiesKeptPerDatabase(p.retention);
    try {
      const quotas = (await rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas ?? [];
      for (const [name, kind] of [['ManualSnapshots', 'instance'], ['ManualClusterSnapshots', 'cluster']] as const) {
        const q = quotas.find((x) => x.AccountQuotaName === name);
        const dbs = config.databases.filter((d) => d.kind === kind).length;
        if (!q || dbs === 0) continue;
        const need = dbs * perDb;
        const free = (q.Max ?? 0) - (q.Used ?? 0);
        const detail = `${name}: ${q.Used}/${q.Max} used; retention keeps up to ${need} more (${dbs} ${kind === 'instance' ? 'DB instance' : 'DB cluster'}${dbs === 1 ? '' : 's'} x ${perDb} copies)`;
        const retention = `retention.${p.where === 'source' ? 'source' : 'vault'}`;
        checks.push(
          need <= free
            ? { id: `${id}:${kind}`, status: 'pass', detail }
            : { id: `${id}:${kind}`, status: 'fail', detail, fix: `request "${name === 'ManualSnapshots' ? 'Manual DB instance snapshots' : 'Manual DB cluster snapshots'}" of at least ${(q.Used ?? 0) + need} in ${p.region} (Service Quotas console), or keep fewer copies per database (${retention}: maxAgeDays, keepLast)` },
        );
      }
    } catch (err) {
      const e = err as Error;
      const dbs = config.databases.length;
      checks.push({
        id,
        status: 'skip',
        detail: `DescribeAccountAttributes: ${e.name} (not available here)`,
        fix: `compare by hand: retention keeps up to ${perDb} copies per database in ${p.region}, ${perDb * dbs} for ${dbs} configured databases (plus tag-discovered ones); quotas "Manual DB instance snapshots" and "Manual DB cluster snapshots" are 100 per Region by default: aws rds describe-account-attributes --region ${p.region}`,
      });
    }
  }
  return checks;
}
