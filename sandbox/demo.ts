/**
 * `npm run demo`: backs up an example fleet from the production (source) account into the vault
 * account through the real state machines and the real Lambda code, on the local sandbox and its
 * virtual clock, for several daily runs; then runs the vault's own retention.
 *
 * Prints a timeline per database and the snapshot inventory of both accounts; writes the
 * execution histories (JSON) and a Markdown run report with Mermaid diagrams to `out/`.
 * Exit code 0 when every run succeeded; 1 with the failing database(s) named otherwise.
 *
 * Options (environment): RSV_CONFIG=path (default config/example.json), RSV_DEMO_DAYS=n (default 3),
 * RSV_OUT=dir (default out).
 */
import './polyfills';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../infra/config/schema';
import { type LocalEnvironment, createLocalEnvironment } from './environment';
import { type DemoDatabase, DEMO_FLEET, seedFleet, takeAutomatedSnapshots } from './fleet';
import { type InventoryRow, databaseTimeline, describeCause, formatDuration, inventoryTable, mermaidPath, secondsBetween, shortTime } from './report';
import type { ExecutionRecord } from './runner';

const configPath = process.env.RSV_CONFIG ?? 'config/example.json';
const days = Number(process.env.RSV_DEMO_DAYS ?? 3);
const outDir = process.env.RSV_OUT ?? 'out';
const wallStart = Date.now();

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const line = (s = '') => process.stdout.write(`${s}\n`);

async function main(): Promise<number> {
  const config = loadConfig(configPath);
  const env = await createLocalEnvironment({ config, start: new Date('2026-11-20T05:00:00.000Z') });
  try {
    return await runDemo(env);
  } finally {
    env.dispose();
  }
}

async function runDemo(env: LocalEnvironment): Promise<number> {
  const { config, clock, sandbox } = env;
  const fleet = seedFleet(env, DEMO_FLEET);

  line(bold('rds-snapshot-vault demo: local sandbox, virtual time'));
  line(`Source account ${config.source.accountId} (${config.source.region})  ->  vault account ${config.vault.accountId} (${config.vault.region})`);
  line(`State machines: ${env.source.stateMachines.map((m) => m.name).join(', ')}; ${env.vault.stateMachines.map((m) => m.name).join(', ')}`);
  line();
  line(bold('Fleet in the source account'));
  for (const db of fleet) {
    line(`  ${db.identifier.padEnd(16)} ${db.kind === 'cluster' ? 'DB cluster ' : 'DB instance'}  ${db.engine.padEnd(18)} ${String(db.allocatedStorageGiB).padStart(5)} GiB  ${db.encryptionLabel}`);
  }

  const runs: ExecutionRecord[] = [];
  const failures: string[] = [];
  for (let day = 1; day <= days; day++) {
    takeAutomatedSnapshots(env, fleet);
    const run = await env.startBackupRun({}, `daily-${clock.now().toISOString().slice(0, 10)}`);
    runs.push(run);
    line();
    line(bold(`Day ${day}: BackupRun ${run.name}, started ${shortTime(run.startDate)}, ${run.status} after ${formatDuration(secondsBetween(run.startDate, run.stopDate ?? run.startDate))} (virtual)`));
    for (const child of run.children) {
      const db = (child.input as { database: { identifier: string } }).database.identifier;
      const took = formatDuration(secondsBetween(child.startDate, child.stopDate ?? child.startDate));
      if (day === 1 || child.status !== 'SUCCEEDED') {
        line(`  ${bold(db)}  ${child.status}  ${took}, ${child.transitions} state transitions`);
        for (const t of databaseTimeline(child)) line(`    ${shortTime(t.at).slice(11)}  +${formatDuration(secondsBetween(child.startDate, t.at)).padEnd(8)} ${t.state.padEnd(22)} ${t.note}`);
      } else {
        line(`  ${db.padEnd(16)} ${child.status}  ${took}, ${child.transitions} transitions`);
      }
      if (child.status !== 'SUCCEEDED') failures.push(`${run.name}: ${db}: ${child.error}: ${describeCause(child.cause)}`);
    }
    if (run.status !== 'SUCCEEDED' && run.children.length === 0) failures.push(`${run.name}: ${run.error}: ${describeCause(run.cause)}`);
    const note = sandbox.sns.messages.at(-1);
    if (note) line(`  SNS: "${note.subject}"`);
    // Next day's run at the same time of day.
    const next = new Date(Date.parse(run.startDate) + 86_400_000);
    if (clock.nowMs() < next.getTime()) clock.advance((next.getTime() - clock.nowMs()) / 1000);
  }

  const sweep = await env.startVaultRetention({}, `vault-retention-${clock.now().toISOString().slice(0, 10)}`);
  line();
  line(bold(`VaultRetention ${sweep.name} (runs in the vault account ${config.vault.accountId}): ${sweep.status}`));
  for (const r of ((sweep.output as { results?: Array<Record<string, unknown>> } | undefined)?.results ?? [])) {
    const d = r.database as { identifier: string };
    line(`  ${d.identifier.padEnd(16)} ${r.status}  kept ${r.kept ?? '-'}, deleted ${Array.isArray(r.deleted) ? r.deleted.length : '-'}`);
  }
  if (sweep.status !== 'SUCCEEDED') failures.push(`${sweep.name}: ${sweep.error}: ${describeCause(sweep.cause)}`);

  const aliases = new Map<string, string>();
  for (const k of [...env.source.keys, ...env.vault.keys]) if (k.aliases[0]) aliases.set(k.arn, k.aliases[0]);
  for (const db of fleet) if (db.customerKey) aliases.set(db.customerKey.arn, db.customerKey.alias);
  aliases.set(sandbox.kms.defaultRdsKey(config.source.accountId, config.source.region), 'aws/rds (default)');
  const sourceRows = sandbox.rds.listSnapshots(config.source.accountId, config.source.region) as InventoryRow[];
  const vaultRows = sandbox.rds.listSnapshots(config.vault.accountId, config.vault.region) as InventoryRow[];
  line();
  line(bold(`Snapshots in the source account ${config.source.accountId} (${config.source.region}) at ${shortTime(clock.iso())}`));
  line(indent(inventoryTable(sourceRows, aliases)));
  line();
  line(bold(`Snapshots in the vault account ${config.vault.accountId} (${config.vault.region})`));
  line(indent(inventoryTable(vaultRows, aliases)));

  writeOutputs(env, fleet, runs, sweep, sourceRows, vaultRows, aliases);
  line();
  line(`Wrote ${path.join(outDir, 'report.md')} and ${runs.length + 1} execution histories to ${path.join(outDir, 'executions')}/ (wall time ${((Date.now() - wallStart) / 1000).toFixed(1)} s).`);
  if (failures.length > 0) {
    line();
    line(bold('FAILED:'));
    for (const f of failures) line(`  ${f}`);
    return 1;
  }
  return 0;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function flatten(e: ExecutionRecord): ExecutionRecord[] {
  return [e, ...e.children.flatMap(flatten)];
}

function writeOutputs(
  env: LocalEnvironment,
  fleet: readonly DemoDatabase[],
  runs: readonly ExecutionRecord[],
  sweep: ExecutionRecord,
  sourceRows: readonly InventoryRow[],
  vaultRows: readonly InventoryRow[],
  aliases: ReadonlyMap<string, string>,
): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, 'executions'), { recursive: true });
  for (const e of [...runs, sweep]) {
    const strip = (x: ExecutionRecord): unknown => ({ ...x, children: x.children.map(strip) });
    writeFileSync(path.join(outDir, 'executions', `${e.name}.json`), `${JSON.stringify(strip(e), null, 2)}\n`);
  }
  const md: string[] = [];
  const first = runs[0];
  md.push('# rds-snapshot-vault demo run report', '');
  md.push(`Generated by \`npm run demo\` on the local sandbox (virtual time). Source account \`${env.config.source.accountId}\` (${env.config.source.region}), vault account \`${env.config.vault.accountId}\` (${env.config.vault.region}).`, '');
  md.push('## Fleet', '', '| database | kind | engine | size | encryption |', '|---|---|---|---|---|');
  for (const db of fleet) md.push(`| ${db.identifier} | ${db.kind === 'cluster' ? 'DB cluster' : 'DB instance'} | ${db.engine} | ${db.allocatedStorageGiB} GiB | ${db.encryptionLabel} |`);
  md.push('', '## Runs', '', '| run | status | virtual duration | databases | state transitions (run + children) |', '|---|---|---|---|---|');
  for (const r of runs) {
    const transitions = flatten(r).reduce((n, e) => n + e.transitions, 0);
    md.push(`| ${r.name} | ${r.status} | ${formatDuration(secondsBetween(r.startDate, r.stopDate ?? r.startDate))} | ${r.children.length} | ${transitions} |`);
  }
  if (first) {
    md.push('', `## Day 1 per database (${first.name})`, '', '| database | status | virtual duration | transitions | polls (source/vault) |', '|---|---|---|---|---|');
    for (const c of first.children) {
      const db = (c.input as { database: { identifier: string } }).database.identifier;
      const polls = (s: string) => c.events.filter((e) => e.type === 'StateEntered' && e.state === s).length;
      md.push(`| ${db} | ${c.status} | ${formatDuration(secondsBetween(c.startDate, c.stopDate ?? c.startDate))} | ${c.transitions} | ${polls('PollSourceCopy')}/${polls('PollVaultCopy')} |`);
    }
    md.push('', '### Path taken by BackupRun', '', '```mermaid', mermaidPath(first, { title: first.name }), '```');
    const largest = [...first.children].sort((a, b) => b.transitions - a.transitions)[0];
    if (largest) {
      const db = (largest.input as { database: { identifier: string } }).database.identifier;
      md.push('', `### Path taken by DatabaseBackup for ${db} (longest)`, '', '```mermaid', mermaidPath(largest, { title: largest.name }), '```');
      md.push('', `### Timeline for ${db}`, '', '| virtual time (UTC) | step | note |', '|---|---|---|');
      for (const t of databaseTimeline(largest)) md.push(`| ${shortTime(t.at)} | ${t.state} | ${t.note} |`);
    }
  }
  md.push('', `## Vault retention (${sweep.name}): ${sweep.status}`, '', '```mermaid', mermaidPath(sweep), '```');
  md.push('', '## Inventory at the end', '', '### Source account', '', '```', inventoryTable(sourceRows, aliases), '```', '', '### Vault account', '', '```', inventoryTable(vaultRows, aliases), '```');
  const notes = env.sandbox.sns.messages;
  md.push('', '## Notifications (SNS)', '');
  for (const n of notes) md.push(`- ${shortTime(n.at)} \`${n.subject ?? ''}\``);
  const last = notes.find((n) => n.topicArn.includes(env.config.source.accountId));
  if (last) md.push('', 'First run notification body:', '', '```', last.message, '```');
  writeFileSync(path.join(outDir, 'report.md'), `${md.join('\n')}\n`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`demo failed: ${err.name}: ${err.message}\n`);
    process.exit(2);
  },
);
