/**
 * `npm run demo`: backs up an example fleet from the production (source) account into the vault
 * account (vault Region and a DR Region, one database also exported to S3) through the real state
 * machines and the real Lambda code, on the local sandbox and its virtual clock, for several days:
 * every day at 03:00 RDS takes automated snapshots and publishes its events (the EventBridge rule
 * starts a run per database), and at 05:00 the schedule starts the backstop run. Then the vault's
 * own retention runs in each vault Region.
 *
 * Prints a timeline per database and the snapshot inventory of every account and Region; writes
 * the execution histories (JSON) and a Markdown run report with Mermaid diagrams to `out/`.
 * Exit code 0 when every run succeeded; 1 with the failing database(s) named otherwise; 2 when the
 * demo itself could not run (e.g. an invalid config, with the field's path).
 *
 * Options (environment): RSV_CONFIG=path (default config/example.json), RSV_DEMO_DAYS=n (default 3),
 * RSV_OUT=dir (default out).
 */
import '../harness/setup/index';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../infra/config/schema';
import { POLL_LOOPS, pollState, type PollLoop } from '../../contracts/states';
import { type PlanHead, planHeadKey } from '../../functions/shared/ledger';
import { runDemoDrill, setDemoFixtures } from './demo-drill';
import { type DemoDatabase, type ExecutionRecord, type LocalEnvironment, createLocalEnvironment, fleetForConfig, seedFleet, takeAutomatedSnapshots, UNMANAGED_DATABASE } from '../harness/index';
import { type InventoryRow, databaseTimeline, describeCause, formatDuration, inventoryTable, mermaidPath, secondsBetween, shortTime } from './report';

const configPath = process.env.RSV_CONFIG ?? 'config/example.json';
const days = Number(process.env.RSV_DEMO_DAYS ?? 3);
const outDir = process.env.RSV_OUT ?? 'out';
const wallStart = Date.now();

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const line = (s = '') => process.stdout.write(`${s}\n`);

async function main(): Promise<number> {
  const config = loadConfig(configPath);
  const env = await createLocalEnvironment({ config, start: new Date('2026-11-20T03:00:00.000Z') });
  try {
    return await runDemo(env);
  } finally {
    env.dispose();
  }
}

async function runDemo(env: LocalEnvironment): Promise<number> {
  const { config, clock, sandbox } = env;
  // The config's own databases (the example fleet's sizes where identifiers match), so RSV_CONFIG=my.json shows your fleet.
  const fleet = seedFleet(env, [...fleetForConfig(config), UNMANAGED_DATABASE]);
  const vaultAccount = config.vault.accountId ?? config.source.accountId;
  const vaultRegions = [config.vault.region, ...config.vault.drRegions];

  line(bold('rds-snapshot-vault demo: local sandbox, virtual time'));
  line(
    config.vault.accountId
      ? `Source account ${config.source.accountId} (${config.source.region})  ->  vault account ${vaultAccount} (${vaultRegions.join(', ')}; DR copies ${config.vault.drCopyMode})`
      : `Same-account mode: ${config.source.accountId} ${config.source.region}  ->  ${vaultRegions.join(', ')}`,
  );
  line(`State machines: ${[env.source, env.vault, ...env.drVaults].flatMap((s) => s.stateMachines.map((m) => `${m.name} (${m.region})`)).join(', ')}`);
  line();
  line(bold('Fleet in the source account'));
  const labelWidth = Math.max(...fleet.map((d) => d.encryptionLabel.length));
  for (const db of fleet) {
    const how = config.databases.some((d) => d.identifier === db.identifier)
      ? `configured${config.databases.find((d) => d.identifier === db.identifier)?.export ? ', export to S3' : ''}`
      : db.tags && config.discovery && Object.entries(config.discovery.tags).every(([k, v]) => db.tags?.[k] === v)
        ? `found by tag ${Object.entries(db.tags).map(([k, v]) => `${k}=${v}`).join(',')}`
        : 'not configured, not discovered';
    line(`  ${db.identifier.padEnd(16)} ${db.kind === 'cluster' ? 'DB cluster ' : 'DB instance'}  ${db.engine.padEnd(18)} ${String(db.allocatedStorageGiB).padStart(5)} GiB  ${db.encryptionLabel.padEnd(labelWidth)}  ${how}`);
  }

  // The days run as they would: every day RDS takes its snapshots at 03:00 (events start runs at
  // once) and the schedule starts its backstop run at 05:00, whether yesterday's long copies have
  // finished or not. Results are printed per day once everything has ended.
  const start = clock.nowMs();
  const scheduledRuns: Array<Promise<ExecutionRecord>> = [];
  for (let day = 1; day <= days; day++) {
    await clock.sleepUntil(new Date(start + (day - 1) * 86_400_000));
    setDemoFixtures(env, fleet); // issue 9: the data each snapshot holds (restore drill at the end)
    takeAutomatedSnapshots(env, fleet, { hoursAgo: 0, emitEvents: config.events.enabled });
    await clock.sleepUntil(new Date(start + (day - 1) * 86_400_000 + 2 * 3600_000));
    scheduledRuns.push(env.startBackupRun({ trigger: 'schedule' }, `daily-${clock.now().toISOString().slice(0, 10)}`));
  }
  const scheduled = await Promise.all(scheduledRuns);
  const eventRuns = await env.waitForEventRuns();
  const runs: ExecutionRecord[] = [...eventRuns, ...scheduled].sort((x, y) => x.startDate.localeCompare(y.startDate));
  const failures: string[] = [];
  for (let day = 1; day <= days; day++) {
    const date = new Date(start + (day - 1) * 86_400_000).toISOString().slice(0, 10);
    const byEvent = eventRuns.filter((r) => r.startDate.startsWith(date));
    const backstop = scheduled[day - 1] as ExecutionRecord;
    line();
    line(bold(`Day ${day} (${date}): ${byEvent.length} runs started by RDS snapshot events at ${shortTime(byEvent[0]?.startDate ?? backstop.startDate).slice(11)}, schedule backstop at ${shortTime(backstop.startDate).slice(11)}`));
    for (const run of byEvent) {
      if (run.children.length === 0) {
        // The plan head in the run ledger (`plans/<runId>/plan.json`) names what the trigger skipped, and why.
        const head = sandbox.s3
          .listBuckets()
          .map((b) => sandbox.s3.listObjects(b.name, planHeadKey(run.name))[0])
          .find((o) => o !== undefined);
        const skipped = head ? (JSON.parse(head.body) as PlanHead).skipped[0] : undefined;
        line(`  ${(skipped?.identifier ?? '-').padEnd(16)} event ignored: ${skipped?.reason ?? `${run.error}: ${describeCause(run.cause)}`}`);
        if (run.status !== 'SUCCEEDED') failures.push(`${run.name}: ${run.error}: ${describeCause(run.cause)}`);
        continue;
      }
      for (const child of run.children) printDatabase(child, day === 1, `event run ${run.name}`, failures);
    }
    const made = backstop.children.reduce((n, c) => n + countCopies(c).made, 0);
    const reused = backstop.children.reduce((n, c) => n + countCopies(c).reused, 0);
    line(`  schedule backstop ${backstop.name}: ${backstop.status}, ${backstop.children.length} databases checked: ${made} copies or exports started by it, ${reused} found already made or in flight`);
    for (const child of backstop.children) if (child.status !== 'SUCCEEDED') printDatabase(child, true, `scheduled run ${backstop.name}`, failures);
    if (backstop.status !== 'SUCCEEDED' && backstop.children.length === 0) failures.push(`${backstop.name}: ${backstop.error}: ${describeCause(backstop.cause)}`);
    const notes = sandbox.sns.messages.filter((m) => m.at.startsWith(date));
    line(
      notes.length === 0
        ? '  SNS: no run notification that day (event runs publish only failures; the backstop run publishes when it ends)'
        : `  SNS: ${notes.length} run notification${notes.length === 1 ? '' : 's'} that day, the last: "${notes.at(-1)!.subject}"`,
    );
    if (config.events.enabled) {
      // Issue 12: event runs notify only failures; their results of the day arrive as one digest (DailyDigest, 00:30 UTC the next day).
      const digest = await env.runner.startExecution(env.runner.stateMachine('DailyDigest', config.source.accountId).arn, { day: date }, { name: `digest-${date}` });
      const sent = (digest.output as { published?: boolean; subject?: string } | undefined) ?? {};
      line(`  daily digest of the event runs: ${digest.status}${sent.published ? `, "${sent.subject}"` : ', nothing to send'}`);
      if (digest.status !== 'SUCCEEDED') failures.push(`${digest.name}: ${digest.error}: ${describeCause(digest.cause)}`);
    }
  }

  const sweeps: ExecutionRecord[] = [];
  line();
  for (const region of vaultRegions) {
    const sweep = await env.startVaultRetention({}, `vault-retention-${region}-${clock.now().toISOString().slice(0, 10)}`, region);
    sweeps.push(sweep);
    line(bold(`VaultRetention in ${region} (runs in the vault account ${vaultAccount}): ${sweep.status}`));
    for (const r of ((sweep.output as { results?: Array<Record<string, unknown>> } | undefined)?.results ?? [])) {
      const d = r.database as { identifier: string };
      line(`  ${d.identifier.padEnd(16)} ${r.status}  kept ${r.kept ?? '-'}, deleted ${r.deleted ?? '-'}`);
    }
    // Issue 9: recovery point age per database in this Region (metric RecoveryPointAge, alarmed above rpoHours).
    const rp = (sweep.output as { recoveryPoints?: { recoveryPoints?: Array<Record<string, any>> } } | undefined)?.recoveryPoints?.recoveryPoints ?? [];
    if (rp.length > 0) {
      line(`  recovery point age of the configured databases (objective ${rp[0]?.objectiveHours ?? 26} h): ${rp.map((r) => `${r.database} ${r.ageHours ?? '-'} h${r.status === 'OK' ? '' : ` ${r.status}`}`).join(', ')}`);
      if (rp.some((r) => r.status !== 'OK')) {
        line('  (expected here: the demo takes its last automated snapshots on day 3 at 03:00Z and this check runs 36 h later, so the alarm would fire)');
      }
    }
    if (sweep.status !== 'SUCCEEDED') failures.push(`${sweep.name}: ${sweep.error}: ${describeCause(sweep.cause)}`);
  }

  const aliases = new Map<string, string>();
  for (const k of [...env.source.keys, ...env.vault.keys, ...env.drVaults.flatMap((d) => d.keys)]) if (k.aliases[0]) aliases.set(k.arn, `${k.aliases[0]}`);
  for (const db of fleet) if (db.customerKey) aliases.set(db.customerKey.arn, db.customerKey.alias);
  aliases.set(sandbox.kms.defaultRdsKey(config.source.accountId, config.source.region), 'aws/rds (default)');
  const inventories: Array<{ title: string; rows: InventoryRow[] }> = [
    { title: `source account ${config.source.accountId} (${config.source.region})`, rows: sandbox.rds.listSnapshots(config.source.accountId, config.source.region) as InventoryRow[] },
    ...vaultRegions.map((region) => ({
      title: `vault account ${vaultAccount} (${region}${region === config.vault.region ? '' : ', DR'})`,
      rows: sandbox.rds.listSnapshots(vaultAccount, region) as InventoryRow[],
    })),
  ];
  for (const inv of inventories) {
    line();
    line(bold(`Snapshots in the ${inv.title} at ${shortTime(clock.iso())}`));
    line(indent(inventoryTable(inv.rows, aliases)));
  }
  const exports = exportObjects(env);
  if (exports.length > 0) {
    line();
    line(bold('Exports to S3 (Apache Parquet)'));
    for (const o of exports) line(`  ${o}`);
  }

  writeOutputs(env, fleet, runs, sweeps, inventories, exports, aliases);
  // Issue 9: a restore drill of every configured database, its evidence, everything cleaned up.
  failures.push(...(await runDemoDrill(env, fleet, { line, bold, outDir })));
  line();
  line(`Wrote ${path.join(outDir, 'report.md')} and ${runs.length + sweeps.length} execution histories to ${path.join(outDir, 'executions')}/ (wall time ${((Date.now() - wallStart) / 1000).toFixed(1)} s).`);
  if (failures.length > 0) {
    line();
    line(bold('FAILED:'));
    for (const f of failures) line(`  ${f}`);
    return 1;
  }
  return 0;
}

/** Prints one database's DatabaseBackup execution: a timeline (detailed) or a one-line summary. */
function printDatabase(child: ExecutionRecord, detailed: boolean, by: string, failures: string[]): void {
  const db = (child.input as { database: { identifier: string } }).database.identifier;
  const took = formatDuration(secondsBetween(child.startDate, child.stopDate ?? child.startDate));
  if (detailed || child.status !== 'SUCCEEDED') {
    line(`  ${bold(db)}  ${child.status}  ${took}, ${child.transitions} state transitions (${by})`);
    for (const t of databaseTimeline(child)) line(`    ${shortTime(t.at).slice(11)}  +${formatDuration(secondsBetween(child.startDate, t.at)).padEnd(8)} ${t.state.padEnd(22)} ${t.note}`);
  } else {
    line(`  ${db.padEnd(16)} ${child.status}  ${took}, ${child.transitions} transitions (${by})`);
  }
  if (child.status !== 'SUCCEEDED') failures.push(`${child.name}: ${db}: ${child.error}: ${describeCause(child.cause)}`);
}

/** Copies and exports a DatabaseBackup execution started itself (`made`) or found existing (`reused`). */
function countCopies(child: ExecutionRecord): { made: number; reused: number } {
  const o = child.output as
    | { sourceCopy?: { created?: boolean }; vaultCopy?: { created?: boolean }; drCopies?: Array<{ copy?: { created?: boolean } }>; export?: { task?: { created?: boolean } } | null }
    | undefined;
  if (!o) return { made: 0, reused: 0 };
  const flags = [o.sourceCopy?.created, o.vaultCopy?.created, ...(o.drCopies ?? []).map((d) => d.copy?.created), o.export?.task?.created].filter((x) => x !== undefined);
  return { made: flags.filter((x) => x === true).length, reused: flags.filter((x) => x === false).length };
}

/** `s3://bucket/key (size)` of every export manifest in the sandbox's S3. */
function exportObjects(env: LocalEnvironment): string[] {
  const out: string[] = [];
  for (const bucket of env.sandbox.s3.listBuckets()) {
    for (const o of env.sandbox.s3.listObjects(bucket.name)) if (/export_info_/.test(o.key)) out.push(`s3://${bucket.name}/${o.key}`);
  }
  return out.sort();
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
  sweeps: readonly ExecutionRecord[],
  inventories: ReadonlyArray<{ title: string; rows: InventoryRow[] }>,
  exports: readonly string[],
  aliases: ReadonlyMap<string, string>,
): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, 'executions'), { recursive: true });
  for (const e of [...runs, ...sweeps]) {
    const strip = (x: ExecutionRecord): unknown => ({ ...x, children: x.children.map(strip) });
    writeFileSync(path.join(outDir, 'executions', `${e.name}.json`), `${JSON.stringify(strip(e), null, 2)}\n`);
  }
  const { config } = env;
  const md: string[] = [];
  md.push('# rds-snapshot-vault demo run report', '');
  md.push(
    `Generated by \`npm run demo\` on the local sandbox (virtual time). Source account \`${config.source.accountId}\` (${config.source.region}), vault account \`${config.vault.accountId ?? config.source.accountId}\` (${[config.vault.region, ...config.vault.drRegions].join(', ')}).`,
    '',
  );
  md.push('## Fleet', '', '| database | kind | engine | size | encryption |', '|---|---|---|---|---|');
  for (const db of fleet) md.push(`| ${db.identifier} | ${db.kind === 'cluster' ? 'DB cluster' : 'DB instance'} | ${db.engine} | ${db.allocatedStorageGiB} GiB | ${db.encryptionLabel} |`);
  md.push('', '## Runs', '', '| run | trigger | status | virtual duration | databases | state transitions (run + children) |', '|---|---|---|---|---|---|');
  for (const r of runs) {
    const transitions = flatten(r).reduce((n, e) => n + e.transitions, 0);
    const trigger = (r.input as { trigger?: string }).trigger ?? 'manual';
    md.push(`| ${r.name} | ${trigger} | ${r.status} | ${formatDuration(secondsBetween(r.startDate, r.stopDate ?? r.startDate))} | ${r.children.length} | ${transitions} |`);
  }
  const children = runs.flatMap((r) => r.children);
  const day1 = children.filter((c) => c.startDate.slice(0, 10) === runs[0]?.startDate.slice(0, 10));
  md.push('', '## Day 1 per database', '', '| database | execution | status | virtual duration | transitions | polls (source/vault/DR/export) |', '|---|---|---|---|---|---|');
  for (const c of day1) {
    const db = (c.input as { database: { identifier: string } }).database.identifier;
    const polls = (loop: PollLoop) => c.events.filter((e) => e.type === 'StateEntered' && e.state === pollState(loop)).length;
    md.push(`| ${db} | ${c.name} | ${c.status} | ${formatDuration(secondsBetween(c.startDate, c.stopDate ?? c.startDate))} | ${c.transitions} | ${POLL_LOOPS.map(polls).join('/')} |`);
  }
  const firstScheduled = runs.find((r) => (r.input as { trigger?: string }).trigger === 'schedule');
  if (firstScheduled) md.push('', `### Path taken by BackupRun (${firstScheduled.name})`, '', '```mermaid', mermaidPath(firstScheduled, { title: firstScheduled.name }), '```');
  const largest = [...day1].sort((a, b) => b.transitions - a.transitions)[0];
  if (largest) {
    const db = (largest.input as { database: { identifier: string } }).database.identifier;
    md.push('', `### Path taken by DatabaseBackup for ${db} (longest)`, '', '```mermaid', mermaidPath(largest, { title: largest.name }), '```');
    md.push('', `### Timeline for ${db}`, '', '| virtual time (UTC) | step | note |', '|---|---|---|');
    for (const t of databaseTimeline(largest)) md.push(`| ${shortTime(t.at)} | ${t.state} | ${t.note} |`);
  }
  for (const sweep of sweeps) md.push('', `## ${sweep.name}: ${sweep.status}`, '', '```mermaid', mermaidPath(sweep), '```');
  md.push('', '## Inventory at the end');
  for (const inv of inventories) md.push('', `### ${inv.title}`, '', '```', inventoryTable(inv.rows, aliases), '```');
  if (exports.length > 0) md.push('', '## Exports to S3', '', ...exports.map((e) => `- \`${e}\``));
  const notes = env.sandbox.sns.messages;
  md.push('', '## Notifications (SNS)', '');
  for (const n of notes) md.push(`- ${shortTime(n.at)} \`${n.subject ?? ''}\``);
  const first = notes.find((n) => n.topicArn.includes(`:${config.source.accountId}:`));
  if (first) md.push('', 'First notification body:', '', '```', first.message, '```');
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
