/**
 * retention-sweep Lambda: applies the retention policy to one database's managed copies in the
 * account and Region it runs in (source account, or the vault account for vault retention); or,
 * given `{ listDatabases: { configured } }`, lists the databases a retention run covers there
 * (see inventory.ts); or, given `{ sweepRemoved: { configured, policy } }` (source account, end of
 * BackupRun), sweeps the databases with managed copies that are not configured ({@link sweepRemovedDatabases}).
 *
 * Environment: AWS_REGION, ACCOUNT_ID; in the source stack `DATABASES_FILE`, the bundled file of
 * configured databases (functions/shared/databases-file.ts, read at the first invocation), which
 * `sweepRemoved` uses when its input gives no `configured` (BackupRun's Task input stays O(1), issue 12).
 * Input {@link RetentionSweepInput} (unknown top-level keys rejected: a misspelt `dryRun` must not
 * silently delete) -> {@link RetentionSweepOutput}, or {@link ListManagedDatabasesInput} ->
 * {@link ListManagedDatabasesOutput}, or {@link SweepRemovedDatabasesInput} -> {@link SweepRemovedDatabasesOutput}.
 * Errors: InvalidEnvironment (also: DATABASES_FILE unreadable), InvalidInput (also: `sweepRemoved`
 * without `configured` in a function without DATABASES_FILE: nothing is swept); AWS errors unchanged.
 */
import * as z from 'zod/mini';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { FOREIGN_KEY_COPIES_METRIC } from '../../functions/shared/contracts.js';
import type {
  ListManagedDatabasesInput,
  ListManagedDatabasesOutput,
  RetentionPolicy,
  RetentionSweepInput,
  RetentionSweepOutput,
  SweepRemovedDatabasesInput,
  SweepRemovedDatabasesOutput,
} from '../../functions/shared/contracts.js';
import { resolveDatabasesFile } from '../../functions/shared/databases-file.js';
import { accountIdSchema, baseEnvShape, jsonEnv, nonEmpty } from '../../functions/shared/env.js';
import { InvalidInput } from '../../functions/shared/errors.js';
import { lazyHandler, makeHandler, type HandlerDeps, type LambdaHandler } from '../../functions/shared/handler.js';
import { databaseRefSchema } from '../../functions/shared/schemas.js';
import { listManagedDatabases } from './inventory.js';
import { sweep, sweepRemovedDatabases } from './sweep.js';

export type { HandlerDeps } from '../../functions/shared/handler.js';
export { decideRetention } from './policy.js';

/** Environment of retention-sweep: `DATABASES` is filled from `DATABASES_FILE` (source stack) before parsing. */
export const envSchema = z.object({ ...baseEnvShape, DATABASES: z.optional(jsonEnv(z.array(databaseRefSchema))) });

const gfsCount = z.optional(z.number().check(z.int(), z.gte(0)));

/**
 * {@link RetentionPolicy}: keepLast >= 1, 0 <= minAgeDays <= maxAgeDays, maxAgeDays > 0 (days);
 * optional `gfs` `{ daily?, weekly?, monthly?, yearly? }`, each a non-negative integer count of UTC
 * days / ISO weeks / calendar months / years (unknown keys rejected, so a misspelt `monhtly` fails
 * instead of silently keeping less).
 */
export const policySchema: z.ZodMiniType<RetentionPolicy> = z.strictObject({
  keepLast: z.number().check(z.int(), z.gte(1)),
  maxAgeDays: z.number().check(z.gt(0)),
  minAgeDays: z.number().check(z.gte(0)),
  gfs: z.optional(z.strictObject({ daily: gfsCount, weekly: gfsCount, monthly: gfsCount, yearly: gfsCount })),
}).check(
  z.superRefine((p: RetentionPolicy, ctx) => {
    if (p.minAgeDays > p.maxAgeDays) {
      ctx.issues.push({ code: 'custom', path: ['minAgeDays'], input: p.minAgeDays, message: `must be <= maxAgeDays (${p.maxAgeDays})` });
    }
  }),
);

/** Sweep event schema (strict at the top level and in `policy`). */
export const sweepInputSchema: z.ZodMiniType<RetentionSweepInput> = z.strictObject({
  database: databaseRefSchema,
  policy: policySchema,
  dryRun: z.optional(z.boolean()),
  protectIdentifier: z.optional(nonEmpty),
  markVaulted: z.optional(z.strictObject({ identifier: nonEmpty, anyDrCopyFailed: z.optional(z.boolean()) })),
  requireVaulted: z.optional(z.boolean()),
  provenanceAccounts: z.optional(z.array(accountIdSchema).check(z.minLength(1))),
});

/** Removed-database sweep event schema: `{ sweepRemoved: { configured, policy, dryRun? } }` (BackupRun's last sweep). */
export const sweepRemovedInputSchema: z.ZodMiniType<SweepRemovedDatabasesInput> = z.strictObject({
  sweepRemoved: z.strictObject({ configured: z.optional(z.array(databaseRefSchema)), policy: policySchema, dryRun: z.optional(z.boolean()) }),
});

/** List event schema: `{ listDatabases: { configured: DatabaseRef[] } }` (VaultRetention's first step). */
export const listInputSchema: z.ZodMiniType<ListManagedDatabasesInput> = z.strictObject({
  listDatabases: z.strictObject({ configured: z.array(databaseRefSchema) }),
});

type RetentionEvent = RetentionSweepInput | ListManagedDatabasesInput | SweepRemovedDatabasesInput;

/**
 * Either event: a sweep of one database, or (with a `listDatabases` key) the list of databases to
 * sweep. The shape is chosen by that key first, so validation errors keep their field paths.
 */
export const inputSchema: z.ZodMiniType<RetentionEvent> = z.pipe(
  z.unknown(),
  z.transform((event: unknown, ctx) => {
    const has = (key: string) => event !== null && typeof event === 'object' && key in event;
    const schema: z.ZodMiniType<RetentionEvent> = has('listDatabases') ? listInputSchema : has('sweepRemoved') ? sweepRemovedInputSchema : sweepInputSchema;
    const parsed = schema.safeParse(event);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: event } as never);
    return z.NEVER;
  }),
);

/**
 * Builds the retention-sweep handler; see {@link sweep} and {@link decideRetention}. The bundled
 * databases file (DATABASES_FILE) is read at the first invocation, so a missing file fails that
 * invocation with InvalidEnvironment (and deletes nothing).
 */
export function createHandler(deps: HandlerDeps<'rds'>): LambdaHandler<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> {
  let inner: LambdaHandler<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> | undefined;
  return (event, context) => {
    inner ??= createInnerHandler({ ...deps, env: resolveDatabasesFile(deps.env, 'retention-sweep') });
    return inner(event, context);
  };
}

function createInnerHandler(deps: HandlerDeps<'rds'>): LambdaHandler<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> {
  return makeHandler({
    name: 'retention-sweep',
    deps,
    envSchema,
    inputSchema,
    run: async (input, { config, clients, now, metrics }): Promise<RetentionSweepOutput | ListManagedDatabasesOutput | SweepRemovedDatabasesOutput> => {
      if ('listDatabases' in input) {
        return { databases: await listManagedDatabases(clients.rds({ region: config.AWS_REGION }), input.listDatabases.configured) };
      }
      if ('sweepRemoved' in input) {
        // Fail closed: without the configured list every database with copies would look removed.
        const configured = input.sweepRemoved.configured ?? config.DATABASES;
        if (configured === undefined) throw new InvalidInput('sweepRemoved.configured: required when the function has no DATABASES_FILE (the configured databases bundled by the source stack)');
        const out = await sweepRemovedDatabases(clients.rds({ region: config.AWS_REGION }), { ...input.sweepRemoved, configured }, { accountId: config.ACCOUNT_ID, region: config.AWS_REGION }, now());
        if (!out.dryRun) metrics.count('SnapshotsDeleted', out.deletedCount);
        return out;
      }
      const out = await sweep(clients.rds({ region: config.AWS_REGION }), input, { accountId: config.ACCOUNT_ID, region: config.AWS_REGION }, now());
      if (!out.dryRun) metrics.count('SnapshotsDeleted', out.deleted.length);
      // Vault retention: copies under a key the vault does not own (alarmed, infra/constructs/vault-guard.ts).
      if (input.provenanceAccounts !== undefined) metrics.count(FOREIGN_KEY_COPIES_METRIC, out.foreignKeyCopies?.length ?? 0);
      return out;
    },
  });
}

/** The Lambda entry point (built on first invocation; importing this module has no side effects). */
export const handler = lazyHandler(() =>
  createHandler({ env: process.env, clients: createClients({ rds }, { region: process.env.AWS_REGION }), now: () => new Date() }),
);
