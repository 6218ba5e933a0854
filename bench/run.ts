/**
 * `npm run bench`: speed and size figures that tests must not time.
 *
 * 1. Retention decisions: `decideRetention` on histories of 400 managed copies (plain and GFS).
 * 2. A fleet run on the sandbox: BackupRun over 20 databases (20-500 GiB, DR Region, one export),
 *    wall time, virtual time, state transitions (what Step Functions bills, $0.025 per 1,000),
 *    history events of the largest execution (cap: 25,000), largest state payload, heap used.
 * 2b. BackupRun's largest state for a fleet of 100 databases (budget 64 KiB, cap 256 KiB).
 * 3. Lambda bundles: each functions/<name>/index.ts bundled as the stack deploys it (esbuild, ESM,
 *    minified, SDK included, source map as deployed), its size in KB (1,000 bytes) and its cold
 *    import in a fresh Node (with `--enable-source-maps` when BUNDLING makes maps), in ms and as a ratio to a bundle of
 *    the bare RDS client (issue 11 budgets: 450 KB, 1.2x). `--bundles`: only this part.
 * 4. Polling per copy time (bench/polling.ts): polls, transitions and detection latency of one
 *    database whose copies take 5 min to 48 h, steady and queued-then-jump, vault-only and with a
 *    DR Region, measured on the real DatabaseBackup, beside a fixed 60 s poll.
 *
 * With `--fleet N` (and optionally `--json`): only the fleet bench of bench/fleet.ts (issue 12) for N
 * databases and the polling tables; `--json` prints the fleet figures as one JSON object instead.
 * `--discovered` makes all but one database tag-discovered instead of listed in the config.
 * `--events` starts the fleet as N event-started BackupRun executions at once (one per database's
 * automated snapshot event) instead of one scheduled run. A scheduled fleet is then swept by
 * VaultRetention (dry run) in each vault Region. `--identifier-length L` pads the identifiers to L
 * characters (10-63): the state kept per database grows with them.
 *
 * Prints a table per part; exits 0. Numbers depend on the machine; compare runs on the same one.
 */
import '../sandbox/harness/setup/index';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { decideRetention, type RetentionCandidate } from '../functions/retention-sweep/policy';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BUNDLING, bundleAliases } from '../infra/constructs/vault-function';
import { parseConfig } from '../infra/config/schema';
import { createLocalEnvironment } from '../sandbox/harness/index';
import { type DemoDatabaseSpec, DEMO_FLEET, DISCOVERED_DATABASE, seedFleet, takeAutomatedSnapshots } from '../sandbox/harness/index';
import { executionTree } from '../sandbox/harness/index';
import { fleetTable, runFleet } from './fleet';
import { pollingTables } from './polling';
import example from '../config/example.json' with { type: 'json' };

const out = (s = '') => process.stdout.write(`${s}\n`);

function retentionBench(): void {
  const now = new Date('2026-11-20T05:00:00Z');
  const history: RetentionCandidate[] = Array.from({ length: 400 }, (_, i) => ({
    identifier: `rsv-db-${i}`,
    arn: `arn:aws:rds:us-east-1:111111111111:snapshot:rsv-db-${i}`,
    createTime: new Date(now.getTime() - i * 86_400_000).toISOString(),
    status: 'available',
    managed: true,
  }));
  out('## retention decisions (400 managed copies each)');
  out('policy | decisions | ms per decision');
  for (const [name, policy] of [
    ['keepLast 14, maxAge 35d', { keepLast: 14, maxAgeDays: 35, minAgeDays: 7 }],
    ['GFS 7/4/12/3', { keepLast: 7, maxAgeDays: 35, minAgeDays: 1, gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 3 } }],
  ] as const) {
    const n = 500;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) decideRetention({ snapshots: history, policy, now });
    out(`${name} | ${n} | ${((performance.now() - t0) / n).toFixed(3)}`);
  }
}

/** Fleets past ~12 databases keep more manual snapshots than AWS's default 100 (plan-run checks it): raise the quota, as an operator would. */
function raiseManualSnapshotQuotas(env: { sandbox: { rds: { setQuota(a: string, r: string, q: { manualDbSnapshots: number; manualDbClusterSnapshots: number }): void } }; config: { source: { accountId: string; region: string } } }): void {
  env.sandbox.rds.setQuota(env.config.source.accountId, env.config.source.region, { manualDbSnapshots: 100_000, manualDbClusterSnapshots: 100_000 });
}

async function fleetBench(): Promise<void> {
  const fleet: DemoDatabaseSpec[] = Array.from({ length: 20 }, (_, i) => ({
    identifier: `fleet-${String(i + 1).padStart(2, '0')}`,
    kind: i % 5 === 4 ? 'cluster' : 'instance',
    engine: i % 5 === 4 ? 'aurora-postgresql' : 'postgres',
    allocatedStorageGiB: 20 + ((i * 97) % 480),
    encryption: i % 3 === 0 ? 'default-key' : i % 3 === 1 ? 'unencrypted' : 'customer-key',
  }));
  // A cluster cannot be encrypted during copy: keep clusters encrypted.
  const specs = fleet.map((d) => (d.kind === 'cluster' && d.encryption === 'unencrypted' ? { ...d, encryption: 'default-key' as const } : d));
  const config = parseConfig({
    ...example,
    databases: specs.map((d, i) => ({ identifier: d.identifier, kind: d.kind, export: i === 0 })),
    discovery: undefined,
    concurrency: { maxDatabasesInParallel: 5 },
  });
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const env = await createLocalEnvironment({ config });
  const synthMs = performance.now() - t0;
  try {
    raiseManualSnapshotQuotas(env);
    seedFleet(env, specs);
    takeAutomatedSnapshots(env, specs);
    const t1 = performance.now();
    const run = await env.startBackupRun({ trigger: 'schedule' });
    const runMs = performance.now() - t1;
    const execs = executionTree(run);
    const transitions = execs.reduce((n, e) => n + e.transitions, 0);
    const largest = Math.max(...execs.map((e) => e.historyEvents));
    const payload = Math.max(...execs.map((e) => e.maxPayloadBytes));
    const virtualHours = (Date.parse(run.stopDate ?? run.startDate) - Date.parse(run.startDate)) / 3_600_000;
    out('');
    out('## fleet run on the sandbox (20 databases, DR Region, 1 export, 5 at a time)');
    out('measure | value');
    out(`status | ${run.status}`);
    out(`synth + deploy into the sandbox | ${(synthMs / 1000).toFixed(2)} s`);
    out(`BackupRun wall time | ${(runMs / 1000).toFixed(2)} s`);
    out(`BackupRun virtual time | ${virtualHours.toFixed(1)} h`);
    out(`executions | ${execs.length}`);
    out(`state transitions | ${transitions} ($${((transitions / 1000) * 0.025).toFixed(3)} at $0.025 per 1,000)`);
    out(`largest execution history | ${largest} events as Step Functions counts them (cap 25,000)`);
    out(`largest state input/output | ${payload} bytes (cap 262,144); BackupRun's ${run.maxPayloadBytes} bytes at ${run.maxPayloadAt}`);
    out(`heap used after the run | ${((process.memoryUsage().heapUsed - heap0) / 1048576).toFixed(0)} MiB more than before`);
  } finally {
    env.dispose();
  }
}

/**
 * BackupRun's state for a fleet of 100 (the example config, 96 small tag-discovered instances):
 * the largest state must stay at or below 64 KiB (issue 7; Step Functions' cap is 256 KiB).
 * Too slow for `npm test` (~30 s); test/workflow/state-size.test.ts holds the per-database bound.
 */
async function stateSizeBench(): Promise<void> {
  const env = await createLocalEnvironment({ config: parseConfig(example) });
  try {
    const fleet: DemoDatabaseSpec[] = [
      ...DEMO_FLEET,
      ...Array.from({ length: 100 - DEMO_FLEET.length }, (_, i) => ({ ...DISCOVERED_DATABASE, identifier: `fleet-db-${String(i + 1).padStart(3, '0')}`, allocatedStorageGiB: 20 })),
    ];
    raiseManualSnapshotQuotas(env);
    seedFleet(env, fleet);
    takeAutomatedSnapshots(env, fleet);
    const t0 = performance.now();
    const run = await env.startBackupRun({ trigger: 'schedule' });
    out('');
    out('## BackupRun state size, 100 databases (example config, DR Region, 1 export, 4 at a time)');
    out('measure | value');
    out(`status | ${run.status} (${run.children.filter((c) => c.status === 'SUCCEEDED').length}/100 databases)`);
    out(`wall time | ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    out(`largest BackupRun state | ${run.maxPayloadBytes} bytes at ${run.maxPayloadAt} (budget 65,536; cap 262,144)`);
    out(`per database | ${(run.maxPayloadBytes / 100).toFixed(0)} bytes`);
    out(`BackupRun history | ${run.historyEvents} events`);
  } finally {
    env.dispose();
  }
}

/** Budgets of issue 11: bundle size (KB, 1,000 bytes) and cold import relative to a bundle of the bare RDS client. */
const BUNDLE_BUDGET_KB = 450;
const COLD_IMPORT_BUDGET_RATIO = 1.2;
/**
 * Fresh processes per bundle. Rounds interleave the bundles, so each round times every bundle within
 * a second or two and machine noise hits them alike; the budget's ratio is the median over rounds of
 * each round's own ratio (paired), which a single lucky fastest time of the baseline cannot skew.
 */
const COLD_IMPORT_ROUNDS = 15;
const BARE = 'bare RDS client';
const BARE_ALIASED = 'bare RDS client, aliased';

/** BUNDLING, read as any bundling options (its literal types would fix which branches below exist). */
const DEPLOYED: BundlingOptions = BUNDLING;

/** esbuild options equal to the command line NodejsFunction runs for {@link BUNDLING} (runtime nodejs22.x). */
function deployedBuildOptions(outfile: string, sourceMap: boolean, aliases = true): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outfile,
    minify: BUNDLING.minify,
    mainFields: BUNDLING.mainFields,
    external: BUNDLING.externalModules,
    banner: { js: BUNDLING.banner },
    ...(aliases && { alias: bundleAliases() }),
    ...(sourceMap && DEPLOYED.sourceMap === true && { sourcemap: true, sourcesContent: DEPLOYED.sourcesContent ?? true }),
    logLevel: 'silent',
  };
}

/**
 * One cold import: a fresh `node` (with `flags`) timing `import()` of the file, the module part of a
 * cold start. `wall` in ms; `cpu`: ms of CPU the process spent meanwhile (user + system, all threads),
 * which waiting for a busy machine's cores does not inflate.
 */
function coldImport(file: string, flags: string[]): { wall: number; cpu: number } {
  const script =
    `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    'const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(`${w} ${(u.user + u.system) / 1000}`);';
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (r.status !== 0) throw new Error(`cold import of ${file} failed: ${r.stderr}`);
  const [wall = Number.NaN, cpu = Number.NaN] = r.stdout.split(' ').map(Number);
  return { wall, cpu };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/**
 * Each functions/<name>/index.ts bundled as the stack deploys it ({@link BUNDLING}: ESM, minified,
 * SDK bundled, source map per BUNDLING) and its cold import timed in a fresh Node with the
 * --enable-source-maps when BUNDLING makes maps (as the functions were deployed until issue 11), against a bundle of the bare RDS client (`RDSClient` only, no map; bundled
 * plainly, and with BUNDLING's aliases).
 */
async function bundleBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rsv-bundles-'));
  try {
    const names = readdirSync('functions', { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'shared')
      .map((d) => d.name)
      .sort();
    const flags = DEPLOYED.sourceMap === true ? ['--enable-source-maps'] : [];
    const bundles: Array<{ name: string; file: string; flags: string[] }> = [];
    const bareRds = { contents: "export { RDSClient } from '@aws-sdk/client-rds';", resolveDir: process.cwd(), loader: 'ts' as const };
    const baseline = join(dir, 'bare-rds', 'index.mjs');
    await build({ ...deployedBuildOptions(baseline, false, false), stdin: bareRds });
    bundles.push({ name: BARE, file: baseline, flags: [] });
    const aliasedFile = join(dir, 'bare-rds-aliased', 'index.mjs');
    await build({ ...deployedBuildOptions(aliasedFile, false), stdin: bareRds });
    bundles.push({ name: BARE_ALIASED, file: aliasedFile, flags: [] });
    for (const name of names) {
      const file = join(dir, name, 'index.mjs');
      await build({ ...deployedBuildOptions(file, true), entryPoints: [`functions/${name}/index.ts`] });
      bundles.push({ name, file, flags });
    }
    const times = new Map<string, Array<{ wall: number; cpu: number }>>(bundles.map((b) => [b.name, []]));
    for (let round = 0; round < COLD_IMPORT_ROUNDS; round++) {
      for (const b of bundles) times.get(b.name)?.push(coldImport(b.file, b.flags));
    }
    const figures = (name: string) => {
      const t = times.get(name) ?? [];
      return { min: Math.min(...t.map((x) => x.wall)), median: median(t.map((x) => x.wall)), cpu: median(t.map((x) => x.cpu)) };
    };
    /** Median over rounds of this bundle's wall time over the baseline's in the same round. */
    const pairedRatio = (name: string, baseline: string): number => {
      const t = times.get(name) ?? [];
      const b = times.get(baseline) ?? [];
      return median(t.map((x, i) => x.wall / (b[i]?.wall ?? Number.NaN)));
    };
    const base = figures(BARE);
    const kb = (file: string): number => (existsSync(file) ? statSync(file).size / 1000 : 0);
    out('');
    out(`## Lambda bundles as deployed (esbuild, ESM, minified, AWS SDK bundled; source map and --enable-source-maps: ${DEPLOYED.sourceMap === true ? 'yes' : 'no'})`);
    out(`cold import: ${COLD_IMPORT_ROUNDS} rounds of fresh \`node\` processes, every bundle once a round, timing \`import()\`: fastest and median wall ms, median CPU ms; budgets ${BUNDLE_BUDGET_KB} KB and ${COLD_IMPORT_BUDGET_RATIO}x the bare RDS client`);
    out(
      'ratio: median over the rounds of the wall time over the bare RDS client\'s (bundled plainly) in the same round (the budget\'s measure); fastest ratio: fastest over fastest; ' +
        'cpu ratio: median CPU over median CPU; ratio*: as ratio, over the bare RDS client bundled with BUNDLING\'s aliases too',
    );
    out('function | bundle KB | map KB | wall ms fastest | wall ms median | cpu ms median | ratio | fastest ratio | cpu ratio | ratio*');
    for (const b of bundles) {
      const size = kb(b.file);
      const f = figures(b.name);
      const ratio = pairedRatio(b.name, BARE);
      const over = b.name !== BARE && b.name !== BARE_ALIASED && (size > BUNDLE_BUDGET_KB || ratio > COLD_IMPORT_BUDGET_RATIO) ? ' (over budget)' : '';
      out(
        `${b.name} | ${size.toFixed(0)} | ${kb(`${b.file}.map`).toFixed(0)} | ${f.min.toFixed(0)} | ${f.median.toFixed(0)} | ${f.cpu.toFixed(0)} | ` +
          `${ratio.toFixed(2)}x${over} | ${(f.min / base.min).toFixed(2)}x | ${(f.cpu / base.cpu).toFixed(2)}x | ${pairedRatio(b.name, BARE_ALIASED).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const fleetAt = args.indexOf('--fleet');
if (fleetAt >= 0) {
  const n = Number(args[fleetAt + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--fleet needs a positive whole number of databases, got ${args[fleetAt + 1]}`);
  const idAt = args.indexOf('--identifier-length');
  const identifierLength = idAt >= 0 ? Number(args[idAt + 1]) : undefined;
  if (identifierLength !== undefined && (!Number.isInteger(identifierLength) || identifierLength < 10 || identifierLength > 63)) {
    throw new Error(`--identifier-length needs a whole number of characters from 10 to 63 (RDS's limit), got ${args[idAt + 1]}`);
  }
  const figures = await runFleet(n, { listed: !args.includes('--discovered'), events: args.includes('--events'), ...(identifierLength !== undefined && { identifierLength }) });
  if (args.includes('--json')) out(JSON.stringify(figures));
  else {
    for (const line of fleetTable(figures)) out(line);
    // The polling tables do not depend on how the fleet was started: printed with the scheduled fleet only.
    if (!args.includes('--events')) for (const line of await pollingTables()) out(line);
  }
} else if (args.includes('--bundles')) {
  await bundleBench();
} else {
  retentionBench();
  await fleetBench();
  await stateSizeBench();
  await bundleBench();
  for (const line of await pollingTables()) out(line);
}
