/**
 * The local deployment `rsv --local` drives: the config's stacks deployed on a fresh sandbox (as
 * `npm run demo`), its databases seeded (the demo fleet's specs where the identifiers match, else a
 * 100 GiB database of the configured kind under the default `aws/rds` key) and today's automated
 * snapshots taken at 03:00. The sandbox lives in this process only: for `watch`, `history` and
 * `status` the day's scheduled run (`daily-2026-11-20`) starts at 05:00 and the command looks at
 * 12:00, when the small databases are in the vault and the large ones still copying (`rsv watch
 * daily-2026-11-20 --local` follows the rest); `start` and `preflight` start from the seeded fleet.
 * Whatever still runs when the command ends is stopped (`ABORTED`) with the sandbox.
 */
import '../sandbox/polyfills';
import type { VaultConfig } from '../infra/config/schema';
import { createLocalEnvironment, type LocalEnvironment } from '../sandbox/environment';
import { fleetForConfig, seedFleet, takeAutomatedSnapshots } from '../sandbox/fleet';
import { type Backend, localBackend } from './backend';

/** Virtual time of the local world: the day's automated snapshots at 03:00, the run at 05:00. */
export const LOCAL_DAY = '2026-11-20';
/** When `watch`, `history` and `status` look (UTC, the local day). */
export const LOCAL_NOW = '12:00';

/** Builds the local world for one command; `dispose` stops what still runs and restores the SDK. */
export async function createLocalWorld(config: VaultConfig, command: string): Promise<{ env: LocalEnvironment; backend: Backend }> {
  const env = await createLocalEnvironment({ config, start: new Date(`${LOCAL_DAY}T05:00:00.000Z`) });
  const fleet = fleetForConfig(config);
  seedFleet(env, fleet);
  takeAutomatedSnapshots(env, fleet, { hoursAgo: 2 });
  if (['watch', 'history', 'status'].includes(command)) {
    // The day's scheduled run, then the command at noon: small databases are vaulted, large ones still copying.
    env.startBackupRun({}, `daily-${LOCAL_DAY}`).catch(() => undefined);
    await env.clock.sleepUntil(new Date(`${LOCAL_DAY}T${LOCAL_NOW}:00.000Z`));
  }
  return { env, backend: localBackend(env) };
}
