/**
 * Every AWS call the deployed system makes, simulated against the synthesized policies of every
 * shipped configuration (config/*.json) with the third-party evaluator (test/infra/iam-sim.ts:
 * identity policy + resource policy + trust policy, same or cross account, service principals), and
 * asserted allowed; then the calls that must never succeed, asserted denied.
 *
 * The call table below is read from the handler code (functions/<name>/ and functions/shared/):
 *
 * | function | action | resource | context |
 * |---|---|---|---|
 * | plan-run | rds:DescribeDBInstances / rds:DescribeDBClusters | each configured DB (cluster) ARN | |
 * | plan-run | rds:ListTagsForResource | each DB (cluster) ARN (tag discovery) | |
 * | plan-run | rds:DescribeDBSnapshots / rds:DescribeDBClusterSnapshots | the event's automated snapshot ARN | |
 * | plan-run | s3:PutObject / s3:GetObject | the run's plan in the run ledger (`plans/<runId>/`, issue 12) | |
 * | create-copy | rds:DescribeDB(Cluster)Snapshots | the DB (list by DBInstanceIdentifier) and the rsv- copy | |
 * | create-copy | rds:CopyDB(Cluster)Snapshot | source automated snapshot, then the rsv- target | aws:RequestTag/*, aws:TagKeys on the target |
 * | create-copy | rds:AddTagsToResource, rds:ListTagsForResource | the rsv- copy | request tags |
 * | create-copy (RDS for it) | kms:CreateGrant, DescribeKey, Decrypt, GenerateDataKey*, ReEncrypt* | the source key (SOURCE_KMS_KEY_ARN) | kms:ViaService rds.<region>, kms:CallerAccount, kms:GrantIsForAWSResource |
 * | share | rds:DescribeDB(Cluster)SnapshotAttributes, rds:ModifyDB(Cluster)SnapshotAttribute | the rsv- copy | rds:(cluster-)snapshot-tag/managed = true |
 * | cross-account-copy, poll-status | sts:AssumeRole | the vault copy role | sts:ExternalId |
 * | vault copy role (cross-account-copy) | rds:CopyDB(Cluster)Snapshot, AddTagsToResource, ListTagsForResource, Describe* | shared source copy -> vault copy (vault Region; DR Regions) | request tags |
 * | vault copy role (RDS for it) | kms copy actions | the source key (cross-account) and the vault key / DR vault keys | kms:ViaService, kms:ResourceAliases for DR keys |
 * | poll-status | rds:DescribeDB(Cluster)Snapshots | the source copy; the vault copy (as the vault role) | |
 * | retention-sweep (source and each vault stack) | rds:DescribeDB(Cluster)Snapshots, rds:ListTagsForResource, rds:DeleteDB(Cluster)Snapshot | rsv- copies of its account and Region | snapshot tag managed = true |
 * | plan-drill (vault stacks with restore drills) | rds:DescribeDB(Cluster)Snapshots, rds:ListTagsForResource | any rsv- copy of its account and Region (an unconfigured database's too) | |
 * | notify | sns:Publish | the topic (TOPIC_ARN) | |
 * | notify (SNS for it) | kms:GenerateDataKey, kms:Decrypt | the topic key | kms:ViaService sns.<region> |
 * | export-to-s3 | rds:StartExportTask, rds:DescribeExportTasks, iam:PassRole | the rsv- copy, *, the export role | iam:PassedToService export.rds.amazonaws.com |
 * | export-to-s3 (RDS for it) | kms:CreateGrant, kms:DescribeKey | the export key | kms:ViaService rds.<region> |
 * | poll-export | rds:DescribeExportTasks | * | |
 * | export.rds.amazonaws.com | sts:AssumeRole | the export role | aws:SourceAccount |
 *
 * Lambda and Step Functions assume each function's and state machine's role (trust policies).
 * State machines: lambda:InvokeFunction of every function their definitions call,
 * states:StartExecution / DescribeExecution / StopExecution of a `.sync` child, sns:Publish where a
 * Task publishes; a Distributed Map: states:StartExecution on its own state machine and
 * DescribeExecution / StopExecution / RedriveExecution on its child workflow executions (§29). Alarms: `cloudwatch.amazonaws.com` publishing to each alarm action's topic, and
 * using that topic's key. Schedules and event rules: the service principal assuming the target role,
 * then the role starting the state machine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/vault-function';
import { TAGS } from '../../contracts/shapes';
import type { PolicyDocument } from '../../sandbox/simulator/index';
import { resolveIntrinsics } from '../../sandbox/harness/index';
import { projectConfig } from './helpers';
import { buildAppModel, mismatches, type AppModel, type ModelStack, type SimCall } from './iam-sim';

const CONFIGS = readdirSync(join(PROJECT_ROOT, 'config')).filter((f) => f.endsWith('.json'));
const DATE = '202611200300';
const KMS_COPY = ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];
const MANAGED = (kind: 'instance' | 'cluster') => ({ [`rds:${kind === 'instance' ? 'snapshot' : 'cluster-snapshot'}-tag/${TAGS.MANAGED}`]: 'true', [`aws:ResourceTag/${TAGS.MANAGED}`]: 'true' });
const REQUEST_TAGS = { [`aws:RequestTag/${TAGS.MANAGED}`]: 'true', [`aws:RequestTag/${TAGS.DATABASE}`]: 'orders-db', 'aws:TagKeys': [TAGS.MANAGED, TAGS.DATABASE, TAGS.SOURCE_SNAPSHOT, TAGS.RUN] };

/** Lookups over one configuration's model. */
class Calls {
  constructor(readonly m: AppModel) {}
  get source(): ModelStack {
    return this.m.stacks.find((s) => s.stackName === `${this.m.config.deploymentName}-source`)!;
  }
  get vaults(): ModelStack[] {
    return this.m.stacks.filter((s) => s !== this.source);
  }
  policies(roleArn: string): readonly PolicyDocument[] {
    const r = this.m.roles.find((x) => x.arn === roleArn);
    if (!r) throw new Error(`no role ${roleArn} in the templates`);
    return r.policies;
  }
  trust(roleArn: string): PolicyDocument {
    return this.m.roles.find((x) => x.arn === roleArn)!.trust;
  }
  keyPolicy(keyArn: string): PolicyDocument {
    const d = this.m.documents.find((x) => x.kind === 'key' && x.resourceArns.includes(keyArn));
    if (!d) throw new Error(`no key policy for ${keyArn}`);
    return d.document;
  }
  bucketPolicy(bucket: string): PolicyDocument | undefined {
    return this.m.documents.find((x) => x.kind === 'bucket' && x.resourceArns.includes(`arn:aws:s3:::${bucket}`))?.document;
  }
  topicPolicy(topicArn: string): PolicyDocument | undefined {
    return this.m.documents.find((x) => x.kind === 'topic' && x.resourceArns.includes(topicArn))?.document;
  }
  fn(stack: ModelStack, entry: string) {
    return stack.deployed.functions.find((f) => f.entry === entry);
  }
  keyByAlias(stack: ModelStack, alias: string): string {
    const k = stack.deployed.keys.find((x) => x.aliases.includes(alias));
    if (!k) throw new Error(`no key ${alias} in ${stack.stackName}`);
    return k.arn;
  }
  /** The KMS key a topic is encrypted with. */
  topicKey(stack: ModelStack, topicLogicalId: string): string | undefined {
    const p = stack.template.Resources[topicLogicalId]?.Properties?.KmsMasterKeyId;
    return p === undefined ? undefined : (resolveIntrinsics(p, { accountId: stack.accountId, region: stack.region, stackName: stack.stackName }, stack.deployed.physical) as string);
  }
}

const acct = (arn: string) => /:(\d{12}):/.exec(arn)![1]!;
const rds = (region: string, account: string) => `arn:aws:rds:${region}:${account}`;

/** A call as a role of its stack (identity policies; a resource policy where the resource has one). */
function asRole(c: Calls, what: string, roleArn: string, action: string, resource: string, extra: Partial<SimCall> = {}): SimCall {
  // S3 ARNs name no account: such calls pass `resourceAccount` in `extra`.
  const resourceAccount = extra.resourceAccount ?? (resource === '*' ? acct(roleArn) : acct(resource));
  return { what, principal: roleArn, identityPolicies: c.policies(roleArn), action, resource, ...extra, resourceAccount };
}

/** KMS calls RDS (or SNS) makes with the caller's credentials on `keyArn`. */
function viaService(c: Calls, what: string, roleArn: string, keyArn: string, service: 'rds' | 'sns', actions: readonly string[]): SimCall[] {
  const region = keyArn.split(':')[3]!;
  const stack = c.m.stacks.find((s) => s.deployed.keys.some((k) => k.arn === keyArn));
  const aliases = stack?.deployed.keys.find((k) => k.arn === keyArn)?.aliases ?? [];
  return actions.map((action) =>
    asRole(c, `${what} (${service} uses the key)`, roleArn, action, keyArn, {
      resourcePolicy: c.keyPolicy(keyArn),
      context: {
        'kms:ViaService': `${service}.${region}.amazonaws.com`,
        'kms:CallerAccount': acct(roleArn),
        ...(aliases.length > 0 && { 'kms:ResourceAliases': aliases }),
        ...(action === 'kms:CreateGrant' && { 'kms:GrantIsForAWSResource': 'true' }),
      },
    }),
  );
}

/** Every call the deployed system makes, for one configuration. */
function allowedCalls(c: Calls): SimCall[] {
  const cfg = c.m.config;
  const out: SimCall[] = [];
  const src = c.source;
  const S = src.accountId;
  const R = src.region;
  const V = cfg.vault.accountId ?? S;
  const VR = cfg.vault.region;
  const dr = cfg.vault.drRegions ?? [];
  const crossAccount = V !== S;
  const dbs = cfg.databases.map((d) => ({ id: d.identifier, kind: d.kind as 'instance' | 'cluster' }));
  const snapType = (k: 'instance' | 'cluster') => (k === 'instance' ? 'snapshot' : 'cluster-snapshot');
  const act = (k: 'instance' | 'cluster', inst: string) => (k === 'instance' ? inst : inst.replace('DBSnapshot', 'DBClusterSnapshot'));
  const dbArn = (k: 'instance' | 'cluster', region: string, account: string, id: string) => `${rds(region, account)}:${k === 'instance' ? 'db' : 'cluster'}:${id}`;
  const sourceKey = c.keyByAlias(src, `alias/${cfg.deploymentName}-source`);

  // plan-run
  const plan = c.fn(src, 'plan-run')!;
  for (const d of dbs) {
    out.push(asRole(c, 'plan-run', plan.roleArn, d.kind === 'instance' ? 'rds:DescribeDBInstances' : 'rds:DescribeDBClusters', dbArn(d.kind, R, S, d.id)));
    out.push(asRole(c, 'plan-run', plan.roleArn, 'rds:ListTagsForResource', dbArn(d.kind, R, S, d.id)));
    out.push(asRole(c, 'plan-run', plan.roleArn, act(d.kind, 'rds:DescribeDBSnapshots'), `${rds(R, S)}:${snapType(d.kind)}:rds:${d.id}-2026-11-20-03-00`));
  }
  // create-copy, share, poll-status, retention-sweep (source)
  const create = c.fn(src, 'create-copy')!;
  const share = c.fn(src, 'share');
  const poll = c.fn(src, 'poll-status')!;
  const sweep = c.fn(src, 'retention-sweep')!;
  for (const d of dbs) {
    const auto = `${rds(R, S)}:${snapType(d.kind)}:rds:${d.id}-2026-11-20-03-00`;
    const copy = `${rds(R, S)}:${snapType(d.kind)}:rsv-${d.id}-${DATE}`;
    out.push(asRole(c, 'create-copy: list snapshots of the DB', create.roleArn, act(d.kind, 'rds:DescribeDBSnapshots'), dbArn(d.kind, R, S, d.id)));
    out.push(asRole(c, 'create-copy: source', create.roleArn, act(d.kind, 'rds:CopyDBSnapshot'), auto));
    out.push(asRole(c, 'create-copy: target', create.roleArn, act(d.kind, 'rds:CopyDBSnapshot'), copy, { context: REQUEST_TAGS }));
    out.push(asRole(c, 'create-copy: tags', create.roleArn, 'rds:AddTagsToResource', copy, { context: REQUEST_TAGS }));
    out.push(asRole(c, 'create-copy: adopt', create.roleArn, 'rds:ListTagsForResource', copy, { context: MANAGED(d.kind) }));
    out.push(asRole(c, 'create-copy: describe copy', create.roleArn, act(d.kind, 'rds:DescribeDBSnapshots'), copy));
    out.push(asRole(c, 'poll-status: source copy', poll.roleArn, act(d.kind, 'rds:DescribeDBSnapshots'), copy));
    out.push(asRole(c, 'retention-sweep (source): list', sweep.roleArn, act(d.kind, 'rds:DescribeDBSnapshots'), dbArn(d.kind, R, S, d.id)));
    out.push(asRole(c, 'retention-sweep (source): tags', sweep.roleArn, 'rds:ListTagsForResource', copy, { context: MANAGED(d.kind) }));
    out.push(asRole(c, 'retention-sweep (source): delete', sweep.roleArn, act(d.kind, 'rds:DeleteDBSnapshot'), copy, { context: MANAGED(d.kind) }));
    if (share && crossAccount) {
      out.push(asRole(c, 'share: read', share.roleArn, act(d.kind, 'rds:DescribeDBSnapshotAttributes'), copy, { context: MANAGED(d.kind) }));
      out.push(asRole(c, 'share: add the vault account', share.roleArn, act(d.kind, 'rds:ModifyDBSnapshotAttribute'), copy, { context: MANAGED(d.kind) }));
    }
  }
  out.push(...viaService(c, 'create-copy: re-encrypt under the source key', create.roleArn, sourceKey, 'rds', KMS_COPY));

  // cross-account-copy (and poll-status) into the vault, DR copies.
  const xcopy = c.fn(src, 'cross-account-copy')!;
  const vaultStack = c.vaults.find((s) => s.region === VR)!;
  const vaultKey = c.keyByAlias(vaultStack, `alias/${cfg.deploymentName}`);
  const vaultRole = xcopy.environment.VAULT_ROLE_ARN;
  const copier = vaultRole ?? xcopy.roleArn;
  if (vaultRole) {
    for (const [fn, name] of [[xcopy, 'cross-account-copy'], [poll, 'poll-status']] as const) {
      out.push(asRole(c, `${name}: assume the vault role`, fn.roleArn, 'sts:AssumeRole', vaultRole, { resourcePolicy: c.trust(vaultRole), context: { 'sts:ExternalId': fn.environment.VAULT_EXTERNAL_ID ?? '' } }));
    }
  }
  const drTargets = dr.map((region) => ({ region, key: c.keyByAlias(c.vaults.find((s) => s.region === region)!, `alias/${cfg.deploymentName}`) }));
  for (const d of dbs) {
    const shared = `${rds(R, S)}:${snapType(d.kind)}:rsv-${d.id}-${DATE}`;
    const vaultCopy = `${rds(VR, V)}:${snapType(d.kind)}:rsv-${d.id}-${DATE}`;
    // A shared snapshot has no resource policy: RDS checks the share itself (the sandbox models it), IAM
    // only the caller's identity policy. So the cross-account source is evaluated identity-only.
    out.push(asRole(c, 'vault copy: source', copier, act(d.kind, 'rds:CopyDBSnapshot'), shared, { resourceAccount: acct(copier) }));
    out.push(asRole(c, 'vault copy: target', copier, act(d.kind, 'rds:CopyDBSnapshot'), vaultCopy, { context: REQUEST_TAGS }));
    out.push(asRole(c, 'vault copy: tags', copier, 'rds:AddTagsToResource', vaultCopy, { context: REQUEST_TAGS }));
    out.push(asRole(c, 'vault copy: adopt', copier, 'rds:ListTagsForResource', vaultCopy));
    out.push(asRole(c, 'vault copy: describe', copier, act(d.kind, 'rds:DescribeDBSnapshots'), vaultCopy));
    for (const t of drTargets) {
      const drCopy = `${rds(t.region, V)}:${snapType(d.kind)}:rsv-${d.id}-${DATE}`;
      const from = cfg.vault.drCopyMode === 'single-step' ? shared : vaultCopy;
      out.push(asRole(c, `DR copy to ${t.region}: source`, copier, act(d.kind, 'rds:CopyDBSnapshot'), from, { resourceAccount: acct(copier) }));
      out.push(asRole(c, `DR copy to ${t.region}: target`, copier, act(d.kind, 'rds:CopyDBSnapshot'), drCopy, { context: REQUEST_TAGS }));
      out.push(asRole(c, `DR copy to ${t.region}: tags`, copier, 'rds:AddTagsToResource', drCopy, { context: REQUEST_TAGS }));
    }
  }
  out.push(...viaService(c, 'vault copy: decrypt the source copy', copier, sourceKey, 'rds', KMS_COPY));
  out.push(...viaService(c, 'vault copy: encrypt under the vault key', copier, vaultKey, 'rds', KMS_COPY));
  for (const t of drTargets) out.push(...viaService(c, `DR copy: encrypt under the ${t.region} vault key`, copier, t.key, 'rds', KMS_COPY));
  if (cfg.vault.drCopyMode !== 'single-step') for (const t of drTargets) void t; // two-hop reads the vault copy: the vault key above

  // retention-sweep in each vault stack.
  for (const v of c.vaults) {
    const vs = c.fn(v, 'retention-sweep');
    if (!vs) continue;
    for (const d of dbs) {
      const copy = `${rds(v.region, v.accountId)}:${snapType(d.kind)}:rsv-${d.id}-${DATE}`;
      out.push(asRole(c, `vault retention-sweep ${v.region}: list`, vs.roleArn, act(d.kind, 'rds:DescribeDBSnapshots'), dbArn(d.kind, v.region, S, d.id).replace(`:${S}:`, `:${v.accountId}:`)));
      out.push(asRole(c, `vault retention-sweep ${v.region}: tags`, vs.roleArn, 'rds:ListTagsForResource', copy, { context: MANAGED(d.kind) }));
      out.push(asRole(c, `vault retention-sweep ${v.region}: delete`, vs.roleArn, act(d.kind, 'rds:DeleteDBSnapshot'), copy, { context: MANAGED(d.kind) }));
    }
  }

  // plan-drill: lists the managed copies of every database in the vault (configured or not) and reads their tags.
  for (const v of c.vaults) {
    const pd = c.fn(v, 'plan-drill');
    if (!pd) continue;
    for (const [kind, id] of [...dbs.map((d) => [d.kind, d.id] as const), ['instance', 'not-configured-db'] as const, ['cluster', 'not-configured-aurora'] as const]) {
      const copy = `${rds(v.region, v.accountId)}:${snapType(kind)}:rsv-${id}-${DATE}`;
      out.push(asRole(c, `plan-drill ${v.region}: list`, pd.roleArn, act(kind, 'rds:DescribeDBSnapshots'), copy));
      out.push(asRole(c, `plan-drill ${v.region}: tags`, pd.roleArn, 'rds:ListTagsForResource', copy));
    }
  }

  // notify, and the topics' keys.
  for (const st of c.m.stacks) {
    const notify = c.fn(st, 'notify');
    if (!notify) continue;
    const topic = notify.environment.TOPIC_ARN!;
    out.push(asRole(c, 'notify: publish', notify.roleArn, 'sns:Publish', topic, { resourcePolicy: c.topicPolicy(topic) }));
    const t = st.deployed.topics.find((x) => x.arn === topic)!;
    const key = c.topicKey(st, t.logicalId);
    if (key) out.push(...viaService(c, 'notify: encrypted topic', notify.roleArn, key, 'sns', ['kms:GenerateDataKey', 'kms:Decrypt']));
  }

  // The run ledger (issue 12): record-result writes each record (and an event run's daily copy); notify
  // lists and reads a run's records; send-digest lists and reads a day's. Requests over TLS (the bucket denies others).
  const rec = c.fn(src, 'record-result')!;
  const ledger = rec.environment.LEDGER_BUCKET!;
  const onLedger = (extra: Record<string, string> = {}) => ({ resourceAccount: S, resourcePolicy: c.bucketPolicy(ledger), context: { 'aws:SecureTransport': 'true', ...extra } });
  const runKey = `arn:aws:s3:::${ledger}/runs/backuprun-1/orders-db.json`;
  const dayKey = `arn:aws:s3:::${ledger}/daily/2026-11-20/backuprun-1/orders-db.json`;
  out.push(asRole(c, 'record-result: run record', rec.roleArn, 's3:PutObject', runKey, onLedger()));
  out.push(asRole(c, 'record-result: daily copy (event run)', rec.roleArn, 's3:PutObject', dayKey, onLedger()));
  const notifyFn = c.fn(src, 'notify')!;
  out.push(asRole(c, "notify: list a run's records", notifyFn.roleArn, 's3:ListBucket', `arn:aws:s3:::${ledger}`, onLedger({ 's3:prefix': 'runs/backuprun-1/' })));
  out.push(asRole(c, 'notify: read a record', notifyFn.roleArn, 's3:GetObject', runKey, onLedger()));
  // The run's plan (issue 12): plan-run writes it and reads one item per database; notify reads it.
  const planKey = `arn:aws:s3:::${ledger}/plans/backuprun-1/items-00000.json`;
  const planFn = c.fn(src, 'plan-run')!;
  out.push(asRole(c, 'plan-run: write the plan', planFn.roleArn, 's3:PutObject', planKey, onLedger()));
  out.push(asRole(c, 'plan-run: write the plan head', planFn.roleArn, 's3:PutObject', `arn:aws:s3:::${ledger}/plans/backuprun-1/plan.json`, onLedger()));
  out.push(asRole(c, 'plan-run: read a plan item', planFn.roleArn, 's3:GetObject', planKey, onLedger()));
  out.push(asRole(c, 'notify: read the plan', notifyFn.roleArn, 's3:GetObject', planKey, onLedger()));
  const digest = c.fn(src, 'send-digest');
  if (digest) {
    out.push(asRole(c, "send-digest: list a day's records", digest.roleArn, 's3:ListBucket', `arn:aws:s3:::${ledger}`, onLedger({ 's3:prefix': 'daily/2026-11-20/' })));
    out.push(asRole(c, 'send-digest: read a record', digest.roleArn, 's3:GetObject', dayKey, onLedger()));
    const topic = digest.environment.TOPIC_ARN!;
    out.push(asRole(c, 'send-digest: publish', digest.roleArn, 'sns:Publish', topic, { resourcePolicy: c.topicPolicy(topic) }));
    const t = src.deployed.topics.find((x) => x.arn === topic)!;
    const key = c.topicKey(src, t.logicalId);
    if (key) out.push(...viaService(c, 'send-digest: encrypted topic', digest.roleArn, key, 'sns', ['kms:GenerateDataKey', 'kms:Decrypt']));
  }

  // export-to-s3, poll-export, the export role.
  const exp = c.fn(src, 'export-to-s3');
  if (exp) {
    const exportRole = exp.environment.EXPORT_ROLE_ARN!;
    const exportKey = exp.environment.EXPORT_KMS_KEY_ARN ?? src.deployed.keys.find((k) => /Exports/.test(k.logicalId))!.arn;
    for (const d of dbs) out.push(asRole(c, 'export-to-s3: start', exp.roleArn, 'rds:StartExportTask', `${rds(R, S)}:${snapType(d.kind)}:rsv-${d.id}-${DATE}`));
    out.push(asRole(c, 'export-to-s3: describe', exp.roleArn, 'rds:DescribeExportTasks', '*'));
    out.push(asRole(c, 'export-to-s3: pass the export role', exp.roleArn, 'iam:PassRole', exportRole, { context: { 'iam:PassedToService': 'export.rds.amazonaws.com' } }));
    out.push(...viaService(c, 'export-to-s3: export key', exp.roleArn, exportKey, 'rds', ['kms:CreateGrant', 'kms:DescribeKey']));
    out.push({ what: 'RDS export assumes the export role', principal: 'export.rds.amazonaws.com', identityPolicies: [], action: 'sts:AssumeRole', resource: exportRole, resourceAccount: S, resourcePolicy: c.trust(exportRole), context: { 'aws:SourceAccount': S } });
    const pollExp = c.fn(src, 'poll-export')!;
    out.push(asRole(c, 'poll-export: describe', pollExp.roleArn, 'rds:DescribeExportTasks', '*'));
  }

  // State machines: their service integrations.
  for (const st of c.m.stacks) {
    for (const sm of st.deployed.stateMachines) {
      for (const task of tasksOf(sm.definition)) {
        const p = task.Parameters ?? {};
        if (/^arn:aws:states:::lambda:invoke/.test(task.Resource)) {
          out.push(asRole(c, `${sm.kind}: invoke`, sm.roleArn, 'lambda:InvokeFunction', String(p.FunctionName)));
        } else if (/^arn:aws:states:::states:startExecution/.test(task.Resource)) {
          const child = String(p.StateMachineArn);
          const childName = child.split(':').pop();
          out.push(asRole(c, `${sm.kind}: start child`, sm.roleArn, 'states:StartExecution', child));
          if (/\.sync/.test(task.Resource)) {
            const execution = `arn:aws:states:${st.region}:${st.accountId}:execution:${childName}:run-1`;
            out.push(asRole(c, `${sm.kind}: .sync describe`, sm.roleArn, 'states:DescribeExecution', execution));
            out.push(asRole(c, `${sm.kind}: .sync stop`, sm.roleArn, 'states:StopExecution', execution));
            const rule = `arn:aws:events:${st.region}:${st.accountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
            for (const a of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) out.push(asRole(c, `${sm.kind}: .sync events`, sm.roleArn, a, rule));
          }
        } else if (/^arn:aws:states:::sns:publish/.test(task.Resource)) {
          const topic = String(p.TopicArn);
          out.push(asRole(c, `${sm.kind}: publish`, sm.roleArn, 'sns:Publish', topic, { resourcePolicy: c.topicPolicy(topic) }));
        }
      }
      // A Distributed Map starts child workflow executions of its own state machine and describes and
      // stops them (docs/aws-behaviour.md §29): `execution:<name>/<Map Run label>:<child name>`.
      for (const map of distributedMapsOf(sm.definition)) {
        out.push(asRole(c, `${sm.kind}: Map Run starts its children`, sm.roleArn, 'states:StartExecution', sm.arn));
        const child = `arn:aws:states:${st.region}:${st.accountId}:execution:${sm.arn.split(':').pop()}/${map.Label}:4f6d3a56-0b7e-4c2e-9a55-0d3f0e6c9b21`;
        for (const a of ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution']) out.push(asRole(c, `${sm.kind}: Map Run child ${a}`, sm.roleArn, a, child));
      }
      for (const a of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'logs:CreateLogDelivery', 'logs:PutResourcePolicy']) out.push(asRole(c, `${sm.kind}: tracing and logging`, sm.roleArn, a, '*'));
    }
  }

  // Lambda and Step Functions assume the execution roles.
  for (const st of c.m.stacks) {
    const assume = (service: string, roleArn: string, what: string, context: Record<string, string>): SimCall => ({ what, principal: service, identityPolicies: [], action: 'sts:AssumeRole', resource: roleArn, resourceAccount: st.accountId, resourcePolicy: c.trust(roleArn), context });
    // Lambda does not document source keys when it assumes an execution role: none are sent.
    for (const f of st.deployed.functions) out.push(assume('lambda.amazonaws.com', f.roleArn, `${f.entry}: Lambda assumes its role`, {}));
    // Step Functions sends the state machine as aws:SourceArn (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html).
    for (const sm of st.deployed.stateMachines) out.push(assume('states.amazonaws.com', sm.roleArn, `${sm.kind}: Step Functions assumes its role`, { 'aws:SourceArn': sm.arn, 'aws:SourceAccount': st.accountId }));
  }

  // Alarms publish to their topics as CloudWatch, and use the topic key.
  for (const st of c.m.stacks) {
    for (const alarm of st.deployed.alarms) {
      for (const topic of alarm.actions) {
        const t = st.deployed.topics.find((x) => x.arn === topic);
        const ctx = { 'aws:SourceArn': alarm.arn, 'aws:SourceAccount': st.accountId };
        out.push({ what: `alarm ${alarm.logicalId} publishes`, principal: 'cloudwatch.amazonaws.com', identityPolicies: [], action: 'sns:Publish', resource: topic, resourceAccount: acct(topic), resourcePolicy: c.topicPolicy(topic), context: ctx });
        const key = t && c.topicKey(st, t.logicalId);
        // Which keys SNS's KMS request for CloudWatch carries is undocumented: none are sent (see NotificationTopic).
        for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          if (key) out.push({ what: `alarm ${alarm.logicalId}: topic key`, principal: 'cloudwatch.amazonaws.com', identityPolicies: [], action, resource: key, resourceAccount: acct(key), resourcePolicy: c.keyPolicy(key) });
        }
      }
    }
  }

  // Schedules and event rules start their state machines through a role.
  for (const st of c.m.stacks) {
    const env = { accountId: st.accountId, region: st.region, stackName: st.stackName };
    for (const [id, r] of Object.entries(st.template.Resources)) {
      if (r.Type !== 'AWS::Scheduler::Schedule' && r.Type !== 'AWS::Events::Rule') continue;
      const p = resolveIntrinsics(r.Properties, env, st.deployed.physical) as Record<string, unknown>;
      const targets = (r.Type === 'AWS::Scheduler::Schedule' ? [p.Target] : (p.Targets as unknown[])) as Array<{ Arn: string; RoleArn?: string }>;
      const service = r.Type === 'AWS::Scheduler::Schedule' ? 'scheduler.amazonaws.com' : 'events.amazonaws.com';
      const sourceArn = r.Type === 'AWS::Scheduler::Schedule' ? `arn:aws:scheduler:${st.region}:${st.accountId}:schedule/default/${String(p.Name ?? id)}` : `arn:aws:events:${st.region}:${st.accountId}:rule/${st.deployed.physical.get(id)!.ref}`;
      for (const t of targets) {
        const topic = st.deployed.topics.find((x) => x.arn === t.Arn);
        if (topic) {
          // An SNS target (the vault tripwires): EventBridge publishes as itself, through the topic policy and the topic key.
          out.push({ what: `${id}: ${service} publishes`, principal: service, identityPolicies: [], action: 'sns:Publish', resource: topic.arn, resourceAccount: st.accountId, resourcePolicy: c.topicPolicy(topic.arn), context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': st.accountId } });
          const key = c.topicKey(st, topic.logicalId);
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
            if (key) out.push({ what: `${id}: topic key`, principal: service, identityPolicies: [], action, resource: key, resourceAccount: acct(key), resourcePolicy: c.keyPolicy(key) });
          }
          continue;
        }
        if (!t.RoleArn) throw new Error(`${st.stackName}/${id}: a state machine target needs a role`);
        out.push({ what: `${id}: ${service} assumes the target role`, principal: service, identityPolicies: [], action: 'sts:AssumeRole', resource: t.RoleArn, resourceAccount: st.accountId, resourcePolicy: c.trust(t.RoleArn), context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': st.accountId } });
        out.push(asRole(c, `${id}: start`, t.RoleArn, 'states:StartExecution', t.Arn));
      }
    }
  }
  return out;
}

/** The calls that must never succeed. */
function deniedCalls(c: Calls): SimCall[] {
  const cfg = c.m.config;
  const out: SimCall[] = [];
  // The run ledger (issue 12): the writer cannot read, list or delete; the readers cannot write or
  // delete, nor read outside their prefix; nobody reads it without TLS.
  {
    const rec = c.fn(c.source, 'record-result')!;
    const ledger = rec.environment.LEDGER_BUCKET!;
    const key = (k: string) => `arn:aws:s3:::${ledger}/${k}`;
    const on = (extra: Record<string, string> = {}) => ({ resourceAccount: c.source.accountId, resourcePolicy: c.bucketPolicy(ledger), context: { 'aws:SecureTransport': 'true', ...extra } });
    const notifyFn = c.fn(c.source, 'notify')!;
    const digest = c.fn(c.source, 'send-digest');
    out.push(asRole(c, 'record-result reading a record', rec.roleArn, 's3:GetObject', key('runs/r/orders-db.json'), on()));
    out.push(asRole(c, 'record-result deleting a record', rec.roleArn, 's3:DeleteObject', key('runs/r/orders-db.json'), on()));
    out.push(asRole(c, 'record-result writing outside runs/ and daily/', rec.roleArn, 's3:PutObject', key('other/x.json'), on()));
    out.push(asRole(c, 'notify writing a record', notifyFn.roleArn, 's3:PutObject', key('runs/r/orders-db.json'), on()));
    out.push(asRole(c, 'notify deleting a record', notifyFn.roleArn, 's3:DeleteObject', key('runs/r/orders-db.json'), on()));
    out.push(asRole(c, 'notify listing outside runs/', notifyFn.roleArn, 's3:ListBucket', `arn:aws:s3:::${ledger}`, on({ 's3:prefix': '' })));
    out.push(asRole(c, 'notify reading without TLS', notifyFn.roleArn, 's3:GetObject', key('runs/r/orders-db.json'), on({ 'aws:SecureTransport': 'false' })));
    // plan-run (issue 12): its plan only, never a record; nothing listed or deleted.
    const planFn = c.fn(c.source, 'plan-run')!;
    out.push(asRole(c, 'plan-run writing a record', planFn.roleArn, 's3:PutObject', key('runs/r/orders-db.json'), on()));
    out.push(asRole(c, 'plan-run reading a record', planFn.roleArn, 's3:GetObject', key('runs/r/orders-db.json'), on()));
    out.push(asRole(c, 'plan-run deleting a plan', planFn.roleArn, 's3:DeleteObject', key('plans/r/plan.json'), on()));
    out.push(asRole(c, 'plan-run listing the ledger', planFn.roleArn, 's3:ListBucket', `arn:aws:s3:::${ledger}`, on({ 's3:prefix': 'plans/' })));
    out.push(asRole(c, 'notify writing a plan', notifyFn.roleArn, 's3:PutObject', key('plans/r/plan.json'), on()));
    out.push(asRole(c, 'record-result writing a plan', rec.roleArn, 's3:PutObject', key('plans/r/plan.json'), on()));
    if (digest) {
      out.push(asRole(c, 'send-digest reading a plan', digest.roleArn, 's3:GetObject', key('plans/r/plan.json'), on()));
      out.push(asRole(c, 'send-digest writing a record', digest.roleArn, 's3:PutObject', key('daily/2026-11-20/r/orders-db.json'), on()));
      out.push(asRole(c, 'send-digest reading a run record', digest.roleArn, 's3:GetObject', key('runs/r/orders-db.json'), on()));
    }
  }
  const S = c.source.accountId;
  const V = cfg.vault.accountId ?? S;
  const xcopy = c.fn(c.source, 'cross-account-copy')!;
  const vaultRole = xcopy.environment.VAULT_ROLE_ARN;
  const sourcePrincipals = [`arn:aws:iam::${S}:root`, ...c.m.roles.filter((r) => r.stack === c.source).map((r) => r.arn)];
  for (const v of c.vaults) {
    for (const kind of ['snapshot', 'cluster-snapshot'] as const) {
      const copy = `${rds(v.region, v.accountId)}:${kind}:rsv-orders-db-${DATE}`;
      const actions = kind === 'snapshot' ? ['rds:DeleteDBSnapshot', 'rds:ModifyDBSnapshotAttribute'] : ['rds:DeleteDBClusterSnapshot', 'rds:ModifyDBClusterSnapshotAttribute'];
      const tags = MANAGED(kind === 'snapshot' ? 'instance' : 'cluster');
      if (V !== S) {
        for (const p of sourcePrincipals) {
          for (const action of actions) {
            // Roles: identity-only (does any source identity policy reach a vault ARN?). The root (any admin):
            // cross-account as AWS evaluates it, where only a resource policy could admit it (RDS has none).
            const root = p.endsWith(':root');
            out.push({ what: `source principal on a vault copy`, principal: p, identityPolicies: root ? [] : c.policies(p), action, resource: copy, resourceAccount: root ? v.accountId : S, context: tags });
          }
        }
      }
      if (vaultRole) {
        for (const action of [...actions, 'rds:DeleteDBInstance', 'rds:DeleteDBCluster', 'rds:RestoreDBInstanceFromDBSnapshot']) {
          const resource = /Snapshot$|Attribute$/.test(action) ? copy : /Cluster$/.test(action) ? `${rds(v.region, V)}:cluster:x` : /Instance$/.test(action) ? `${rds(v.region, V)}:db:x` : copy;
          out.push({ what: 'the vault copy role deleting, sharing or restoring', principal: vaultRole, identityPolicies: c.policies(vaultRole), action, resource, resourceAccount: V, ...(resource === copy && { context: tags }) });
        }
      }
    }
    if (vaultRole) {
      for (const k of v.deployed.keys) {
        for (const action of ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']) {
          out.push({ what: 'the vault copy role destroying a vault key', principal: vaultRole, identityPolicies: c.policies(vaultRole), action, resource: k.arn, resourceAccount: V, resourcePolicy: c.keyPolicy(k.arn) });
        }
      }
    }
  }
  if (vaultRole) {
    for (const p of sourcePrincipals) {
      for (const externalId of [undefined, 'wrong-external-id']) {
        out.push({
          what: `source principal assuming the vault role with ${externalId ?? 'no'} external ID`,
          principal: p,
          identityPolicies: p.endsWith(':root') ? [] : [...c.policies(p), { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }],
          action: 'sts:AssumeRole',
          resource: vaultRole,
          resourceAccount: V,
          resourcePolicy: c.trust(vaultRole),
          ...(externalId !== undefined && { context: { 'sts:ExternalId': externalId } }),
        });
      }
    }
  }
  return out;
}

/** The Distributed Map states of a definition (each must have a Label: the child executions' ARNs carry it). */
function distributedMapsOf(def: unknown): Array<{ Label: string }> {
  const out: Array<{ Label: string }> = [];
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const s of Object.values(states)) {
      const inner = (s.ItemProcessor ?? s.Iterator) as { States?: Record<string, Record<string, unknown>>; ProcessorConfig?: { Mode?: string } } | undefined;
      if (s.Type === 'Map' && inner?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        expect(typeof s.Label, 'a Distributed Map without a Label').toBe('string');
        out.push({ Label: s.Label as string });
      }
      if (inner?.States) walk(inner.States);
      for (const b of (s.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []) walk(b.States);
    }
  };
  walk((def as { States: Record<string, Record<string, unknown>> }).States);
  return out;
}

interface AslTask {
  readonly Resource: string;
  readonly Parameters?: Record<string, unknown>;
}
/** Every Task state of a definition, nested Map and Parallel states included. */
function tasksOf(def: unknown): AslTask[] {
  const out: AslTask[] = [];
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const s of Object.values(states)) {
      if (s.Type === 'Task') out.push(s as unknown as AslTask);
      const inner = (s.ItemProcessor ?? s.Iterator) as { States?: Record<string, Record<string, unknown>> } | undefined;
      if (inner?.States) walk(inner.States);
      for (const b of (s.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []) walk(b.States);
    }
  };
  walk((def as { States: Record<string, Record<string, unknown>> }).States);
  return out;
}

describe.each(CONFIGS)('config/%s: every call the deployed system makes', (file) => {
  let c: Calls;
  let allowed: SimCall[];
  beforeAll(() => {
    c = new Calls(buildAppModel(projectConfig(file)));
    allowed = allowedCalls(c);
  });

  it('the table covers every function, state machine, alarm, schedule and rule of every stack', () => {
    const what = allowed.map((x) => `${x.principal} ${x.action} ${x.resource}`).join('\n');
    for (const s of c.m.stacks) {
      for (const f of s.deployed.functions) expect(what, `${s.stackName} ${f.entry}`).toContain(f.roleArn);
      for (const sm of s.deployed.stateMachines) expect(what, `${s.stackName} ${sm.kind}`).toContain(sm.roleArn);
      for (const a of s.deployed.alarms) expect(a.actions.length, a.logicalId).toBeGreaterThan(0);
    }
    // BackupRun's BackupDatabases is a Distributed Map (issue 12): its calls are in the table.
    expect(allowed.filter((x) => x.what === 'BackupRun: Map Run starts its children')).toHaveLength(1);
    expect(allowed.filter((x) => x.principal === 'cloudwatch.amazonaws.com' && x.action === 'sns:Publish')).toHaveLength(c.m.stacks.reduce((n, s) => n + s.deployed.alarms.reduce((k, a) => k + a.actions.length, 0), 0));
  });

  it('each is allowed by the identity, resource and trust policies as AWS evaluates them', async () => {
    expect(await mismatches(allowed, 'Allowed')).toEqual([]);
  });

  it('in the sandbox, every deployed alarm reaches its topic (CloudWatch publishes through the topic policy and the topic key)', () => {
    const deliveries = c.m.stacks.flatMap((s) => s.deployed.alarms.flatMap((a) => a.actions.map((topic) => c.m.sandbox.sns.alarmPublish(a.arn, topic))));
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
  });

  it('the calls that must never succeed are denied (vault copies, vault keys, the vault role without the external ID)', async () => {
    const denied = deniedCalls(c);
    if (c.m.config.vault.accountId !== undefined) expect(denied.length).toBeGreaterThan(20);
    expect(await mismatches(denied, 'Denied')).toEqual([]);
  });
});
