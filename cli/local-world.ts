/**
 * The local deployment `rsv --local` drives: the config's stacks deployed on a fresh sandbox (as
 * `npm run demo`), its databases seeded (the demo fleet's specs where the identifiers match, else a
 * 100 GiB database of the configured kind under the default `aws/rds` key) and today's automated
 * snapshots taken at 03:00. The sandbox lives in this process only: for `watch`, `history` and
 * `status` the day's scheduled run (`daily-2026-11-20`) starts at 05:00 and the command looks at
 * 12:00, when the small databases are in the vault and the large ones still copying (`rsv watch
 * daily-2026-11-20 --local` follows the rest); `start` and `preflight` start from the seeded fleet;
 * `cost` looks once that run has ended (it measures its transitions).
 * `evidence` replays the demo's days ({@link DEMO_DAYS} daily runs from 2026-11-20, as `npm run
 * demo`), then a restore drill of the databases whose drill has no SQL checks (restore and RTO:
 * the SQL checks need the demo's database servers), and looks at the end of the last day.
 * Whatever still runs when the command ends is stopped (`ABORTED`) with the sandbox.
 */
import '../sandbox/harness/setup/index';
import type { VaultConfig } from '../infra/config/schema';
import type { LocalEnvironment } from '../sandbox/harness/index';
import { createFleetEnvironment, fleetForConfig, takeAutomatedSnapshots } from '../sandbox/harness/index';
import { type Backend, localBackend } from './backend';

/** Virtual time of the local world: the day's automated snapshots at 03:00, the run at 05:00. */
export const LOCAL_DAY = '2026-11-20';
/** When `watch`, `history` and `status` look (UTC, the local day). */
export const LOCAL_NOW = '12:00';
/** Days of daily runs the evidence world replays (the demo's default, RSV_DEMO_DAYS). */
export const DEMO_DAYS = 3;

/** Builds the local world for one command; `dispose` stops what still runs and restores the SDK. */
export async function createLocalWorld(config: VaultConfig, command: string): Promise<{ env: LocalEnvironment; backend: Backend }> {
  const fleet = fleetForConfig(config);
  const env = await createFleetEnvironment({ config, start: new Date(`${LOCAL_DAY}T05:00:00.000Z`) }, fleet, { hoursAgo: 2 });
  if (command === 'evidence') {
    await replayDemoDays(env, fleet);
    return { env, backend: localBackend(env) };
  }
  if (command === 'cost') {
    await env.startBackupRun({ trigger: 'schedule' }, `daily-${LOCAL_DAY}`);
    return { env, backend: localBackend(env) };
  }
  if (['watch', 'history', 'status'].includes(command)) {
    // The day's scheduled run, then the command at noon: small databases are vaulted, large ones still copying.
    env.startBackupRun({}, `daily-${LOCAL_DAY}`).catch(() => undefined);
    await env.clock.sleepUntil(new Date(`${LOCAL_DAY}T${LOCAL_NOW}:00.000Z`));
  }
  return { env, backend: localBackend(env) };
}

/**
 * The demo's days: at 03:00 each day RDS takes the automated snapshots, at 05:00 the scheduled
 * BackupRun starts (`daily-<date>`); after the last day's runs have ended, a RestoreDrill
 * (`restore-drill-<date>`) of the databases without SQL checks. Leaves the clock at the end of it.
 */
export async function replayDemoDays(env: LocalEnvironment, fleet: ReturnType<typeof fleetForConfig>, days = DEMO_DAYS): Promise<void> {
  // The world starts at 05:00 of the first day, whose 03:00 snapshots createLocalWorld has taken.
  const first = Date.parse(`${LOCAL_DAY}T03:00:00.000Z`);
  const runs: Array<Promise<unknown>> = [];
  for (let day = 0; day < days; day++) {
    if (day > 0) {
      await env.clock.sleepUntil(new Date(first + day * 86_400_000));
      takeAutomatedSnapshots(env, fleet, { hoursAgo: 0 });
    }
    await env.clock.sleepUntil(new Date(first + day * 86_400_000 + 2 * 3600_000));
    runs.push(env.startBackupRun({ trigger: 'schedule' }, `daily-${env.clock.now().toISOString().slice(0, 10)}`).catch(() => undefined));
  }
  await Promise.all(runs);
  const drilled = env.config.databases.filter((d) => (d.drill?.checks.length ?? 0) === 0).map((d) => d.identifier);
  if (env.config.restoreDrill && drilled.length > 0) {
    await env.startRestoreDrill({ databases: drilled }, `restore-drill-${env.clock.now().toISOString().slice(0, 10)}`).catch(() => undefined);
  }
}
