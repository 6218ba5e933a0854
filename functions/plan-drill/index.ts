/**
 * plan-drill Lambda (issue 9): which databases this RestoreDrill run restores.
 *
 * The databases it knows: the configured ones (with their checks), then every other database with
 * managed copies (`rds-snapshot-vault:managed=true` manual DB snapshots / DB cluster snapshots) in
 * this account and Region: tag-discovered databases and databases removed from the configuration
 * (found as VaultRetention finds them: functions/retention-sweep/inventory.ts). Those are drilled
 * with `discovered: true` and no checks (restore and RTO only, said in the evidence).
 *
 * - A manual start naming `requested` databases drills exactly those (each configured, or with
 *   managed copies in the vault; the vault is listed only when a name is not configured).
 * - Otherwise, with `sampleSize` N: a rotating sample of N of the combined list, moving on by N each
 *   ISO week (week number since 1970-01-05 of `now`), so every database is drilled within
 *   ceil(count / N) weeks; without a sample size: all of them.
 *
 * Environment: AWS_REGION, ACCOUNT_ID. AWS: rds:DescribeDBSnapshots, rds:DescribeDBClusterSnapshots,
 * rds:ListTagsForResource on this account's snapshots
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html).
 * Input `{ configured: DrillDatabase[], requested: string[], subset: boolean, sampleSize: number (0 = all) }`,
 * output `{ databases: DrillDatabase[], rotation?: { week, offset } }`.
 * Errors: InvalidEnvironment, InvalidInput, UnknownDatabase; AWS errors unchanged.
 */
import * as z from 'zod/mini';
import { listManagedDatabases } from '../retention-sweep/inventory.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import type { DatabaseRef } from '../../contracts/shapes.js';
import { UnknownDrillDatabase, type DrillDatabase } from '../../contracts/drill.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { envSchema, inputSchema } from '../../contracts/functions/plan-drill.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
/** Environment and event schemas: plan-drill's contract (contracts/functions/plan-drill.ts). */
export { envSchema, inputSchema };

/** Output of plan-drill. */
export interface DrillPlan {
  readonly databases: DrillDatabase[];
  readonly rotation?: { readonly week: number; readonly offset: number };
}

const WEEK_MS = 7 * 86_400_000;
/** A Monday, so weeks turn over on Monday 00:00 UTC. */
const EPOCH_MONDAY = Date.UTC(1970, 0, 5);

/**
 * The combined list: the configured databases, then the `managed` ones (configured first, as
 * listManagedDatabases returns them) that are not configured, as `discovered` with no checks.
 */
export function drillCandidates(configured: readonly DrillDatabase[], managed: readonly DatabaseRef[]): DrillDatabase[] {
  const known = new Set(configured.map((d) => d.identifier.toLowerCase()));
  const out = [...configured];
  for (const d of managed) {
    if (known.has(d.identifier.toLowerCase())) continue;
    known.add(d.identifier.toLowerCase());
    out.push({ identifier: d.identifier, kind: d.kind, checks: [], discovered: true });
  }
  return out;
}

/**
 * The plan (pure). `managed`: the databases with managed copies in the vault (listManagedDatabases),
 * needed for a scheduled run and for a subset naming an unconfigured database.
 * @throws UnknownDatabase
 */
export function planDrill(input: z.infer<typeof inputSchema>, now: Date, managed: readonly DatabaseRef[] = []): DrillPlan {
  const all = drillCandidates(input.configured, managed);
  if (input.subset) {
    const byId = new Map(all.map((d) => [d.identifier.toLowerCase(), d]));
    const unknown = input.requested.filter((r) => !byId.has(r.toLowerCase()));
    if (unknown.length > 0) throw new UnknownDrillDatabase(unknown, all.map((d) => d.identifier));
    return { databases: [...new Set(input.requested.map((r) => r.toLowerCase()))].map((r) => byId.get(r)!) };
  }
  const n = input.sampleSize;
  if (n === 0 || n >= all.length) return { databases: all };
  const week = Math.floor((now.getTime() - EPOCH_MONDAY) / WEEK_MS);
  const offset = (week * n) % all.length;
  const databases = Array.from({ length: n }, (_, i) => all[(offset + i) % all.length]!);
  return { databases, rotation: { week, offset } };
}

/** Whether the run needs the vault's list of managed databases (a scheduled run, or a subset naming an unconfigured one). */
export function needsVaultInventory(input: z.infer<typeof inputSchema>): boolean {
  if (!input.subset) return true;
  const configured = new Set(input.configured.map((d) => d.identifier.toLowerCase()));
  return input.requested.some((r) => !configured.has(r.toLowerCase()));
}

/** Builds the plan-drill handler. */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<DrillPlan> {
  return makeHandler({
    name: 'plan-drill',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now }) => {
      const managed = needsVaultInventory(input) ? await listManagedDatabases(clients.rds({ region: config.AWS_REGION }), input.configured) : [];
      return planDrill(input, now(), managed);
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
