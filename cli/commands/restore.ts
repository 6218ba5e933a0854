/**
 * `rsv restore <db> --dry-run [--at <time>] [--target-account <id>] [--region <region>]`: picks the
 * vault copy to restore (the newest managed, `available` copy whose recovery point is at or before
 * `--at`, in the vault Region or the DR Region given) and prints the exact AWS CLI commands of
 * docs/restore.md for it: restore in the vault account, or (another target account) the restore key,
 * restore copy, share, the target's own copy and the restore. It changes nothing: only `--dry-run` is
 * implemented. Exit code 0 with a plan, 1 when no copy fits, 2 usage/access errors.
 */
import { isManaged } from '../../functions/shared/snapshots';
import { type Backend, vaultAccountOf } from '../backend';
import { type Output, shortTime } from '../render';
import { manualSnapshots, type SnapshotRow } from '../runs';

export interface RestoreOptions {
  readonly database: string;
  /** Restore the newest recovery point at or before this instant. */
  readonly at: Date;
  readonly targetAccount?: string;
  readonly region?: string;
  readonly json: boolean;
}

export interface RestoreStep {
  readonly account: string;
  readonly title: string;
  readonly commands: readonly string[];
}

/** `--at`: an ISO-8601 time, or a date (`2026-11-24`: that whole UTC day). */
export function parseAt(text: string): Date | undefined {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999Z` : text);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * `rsv restore <db> [--at <time>]`: picks the vault copy for the recovery point asked (the newest at
 * or before `--at`, ISO-8601 UTC) and prints the restore steps with their exact commands and KMS
 * steps (docs/restore.md); `--dry-run` only plans.
 * @returns exit code: 0 planned (or done); 1 no vault copy fits; 2 bad input (unknown database, bad time, unreadable vault)
 */
export async function restoreCommand(backend: Backend, o: RestoreOptions, output: Output): Promise<number> {
  const { config } = backend;
  const vault = vaultAccountOf(config);
  const region = o.region ?? config.vault.region;
  const regions = [config.vault.region, ...config.vault.drRegions];
  if (!regions.includes(region)) {
    output.err(`rsv restore: --region ${region} holds no vault copies; use one of ${regions.join(', ')}.\n`);
    return 2;
  }
  if (o.targetAccount !== undefined && !/^\d{12}$/.test(o.targetAccount)) {
    output.err(`rsv restore: --target-account must be a 12-digit account ID, got '${o.targetAccount}'.\n`);
    return 2;
  }
  const rds = backend.rds(vault, region);
  if (!rds) {
    output.err(`rsv restore: no credentials for the vault account ${vault}: pass --vault-profile <profile of that account>.\n`);
    return 2;
  }
  const configured = config.databases.find((d) => d.identifier === o.database)?.kind;
  const kinds = configured ? [configured] : (['instance', 'cluster'] as const);
  const copies: SnapshotRow[] = [];
  for (const kind of kinds) copies.push(...(await manualSnapshots(rds, o.database, kind)).filter((s) => s.status === 'available' && isManaged(s.tags as never) && s.recoveryPoint));
  copies.sort((a, b) => (b.recoveryPoint ?? '').localeCompare(a.recoveryPoint ?? ''));
  const pick = copies.find((c) => Date.parse(c.recoveryPoint ?? '') <= o.at.getTime());
  if (!pick) {
    const oldest = copies.at(-1);
    output.err(
      `rsv restore: no vault copy of ${o.database} in ${vault} ${region} with a recovery point at or before ${shortTime(o.at.toISOString())}${oldest ? `; the oldest is ${oldest.identifier} (${shortTime(oldest.recoveryPoint)})` : ' (none at all: see rsv status)'}.\n`,
    );
    return 1;
  }
  const steps = restoreSteps(pick, { vault, region, target: o.targetAccount ?? vault });
  if (o.json) {
    output.out(`${JSON.stringify({ database: o.database, recoveryPoint: pick.recoveryPoint, snapshotArn: pick.arn, region, targetAccount: o.targetAccount ?? vault, steps }, null, 2)}\n`);
    return 0;
  }
  output.out(`Restore ${o.database} as of ${shortTime(pick.recoveryPoint)} from ${pick.identifier} (vault account ${vault}, ${region}) into account ${o.targetAccount ?? vault}.\n`);
  output.out('Dry run: nothing was changed. Replace the <...> values, then run each step in the account named (docs/restore.md).\n');
  steps.forEach((s, i) => output.out(`\n${i + 1}. [${s.account}] ${s.title}\n${s.commands.map((c) => `   ${c}`).join('\n')}\n`));
  return 0;
}

/** The steps of docs/restore.md for one vault copy. */
export function restoreSteps(copy: SnapshotRow, p: { vault: string; region: string; target: string }): RestoreStep[] {
  const cluster = copy.kind === 'cluster';
  const stamp = copy.identifier.replace(/^rsv-/, '');
  const r = `--region ${p.region}`;
  const restored = `${copy.dbIdentifier}-restored`;
  const restore = (profile: string, snapshot: string): string[] =>
    cluster
      ? [
          `aws rds restore-db-cluster-from-snapshot --profile ${profile} ${r} --db-cluster-identifier ${restored} --snapshot-identifier ${snapshot} --engine ${copy.engine ?? '<engine>'} --db-subnet-group-name <subnet group> --vpc-security-group-ids <sg>`,
          `aws rds create-db-instance --profile ${profile} ${r} --db-instance-identifier ${restored}-1 --db-cluster-identifier ${restored} --engine ${copy.engine ?? '<engine>'} --db-instance-class <class>`,
          `aws rds wait db-instance-available --profile ${profile} ${r} --db-instance-identifier ${restored}-1`,
        ]
      : [
          `aws rds restore-db-instance-from-db-snapshot --profile ${profile} ${r} --db-instance-identifier ${restored} --db-snapshot-identifier ${snapshot} --db-instance-class <class> --db-subnet-group-name <subnet group> --vpc-security-group-ids <sg> --no-publicly-accessible`,
          `aws rds wait db-instance-available --profile ${profile} ${r} --db-instance-identifier ${restored}`,
        ];
  if (p.target === p.vault) return [{ account: p.vault, title: `restore from the vault copy (vault key ${copy.kmsKeyId ?? ''})`, commands: restore('<vault admin>', copy.identifier) }];
  const kind = cluster ? 'db-cluster-snapshot' : 'db-snapshot';
  const copyCmd = cluster ? 'copy-db-cluster-snapshot' : 'copy-db-snapshot';
  const modify = cluster ? 'modify-db-cluster-snapshot-attribute' : 'modify-db-snapshot-attribute';
  const src = cluster ? '--source-db-cluster-snapshot-identifier' : '--source-db-snapshot-identifier';
  const dst = cluster ? '--target-db-cluster-snapshot-identifier' : '--target-db-snapshot-identifier';
  const id = cluster ? '--db-cluster-snapshot-identifier' : '--db-snapshot-identifier';
  const restoreCopy = `restore-${stamp}`;
  const sharedArn = `arn:aws:rds:${p.region}:${p.vault}:${cluster ? 'cluster-snapshot' : 'snapshot'}:${restoreCopy}`;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'VaultAdministers', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${p.vault}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'TargetAccountUsesThroughRds',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${p.target}:root` },
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `rds.${p.region}.amazonaws.com` } },
      },
    ],
  };
  return [
    {
      account: p.vault,
      title: `a restore key account ${p.target} may use through RDS`,
      commands: [`cat > restore-key-policy.json <<'JSON'\n${JSON.stringify(policy)}\nJSON`, `RESTORE_KEY=$(aws kms create-key --profile <vault admin> ${r} --description "restore ${copy.identifier} to ${p.target}" --policy file://restore-key-policy.json --query KeyMetadata.Arn --output text)`],
    },
    {
      account: p.vault,
      title: `the restore copy under that key, shared with ${p.target}`,
      commands: [
        `aws rds ${copyCmd} --profile <vault admin> ${r} ${src} ${copy.identifier} ${dst} ${restoreCopy} --kms-key-id "$RESTORE_KEY"`,
        `aws rds wait ${kind}-available --profile <vault admin> ${r} ${id} ${restoreCopy}`,
        `aws rds ${modify} --profile <vault admin> ${r} ${id} ${restoreCopy} --attribute-name restore --values-to-add ${p.target}`,
      ],
    },
    {
      account: p.target,
      title: `copy the shared snapshot under a key of ${p.target} (its IAM policy must allow the five KMS actions on the restore key and on its own key)`,
      commands: [`aws rds ${copyCmd} --profile <target admin> ${r} ${src} ${sharedArn} ${dst} ${stamp} --kms-key-id <key of ${p.target}>`, `aws rds wait ${kind}-available --profile <target admin> ${r} ${id} ${stamp}`],
    },
    { account: p.target, title: 'restore from its own copy', commands: restore('<target admin>', stamp) },
    {
      account: p.vault,
      title: 'clean up the restore copy and key (not managed: retention never deletes them)',
      commands: [
        `aws rds ${modify} --profile <vault admin> ${r} ${id} ${restoreCopy} --attribute-name restore --values-to-remove ${p.target}`,
        `aws rds delete-${kind} --profile <vault admin> ${r} ${id} ${restoreCopy}`,
        `aws kms schedule-key-deletion --profile <vault admin> ${r} --key-id "$RESTORE_KEY" --pending-window-in-days 7`,
      ],
    },
  ];
}
