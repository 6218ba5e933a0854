/**
 * The deployment configuration of rds-snapshot-vault: which accounts, which databases, when to run
 * and how long to keep copies. Parsed once at synth time (full `zod` is fine here; Lambdas use
 * `zod/mini`).
 *
 * Every problem found is reported at once, as `<field.path>: <what is wrong>` lines in an
 * {@link InvalidConfigError}, so a user fixes the file in one pass.
 *
 * Example: config/example.json.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

// ------------------------------------------------------------------------------------------------
// Field rules. Each message says what a valid value looks like and, where the rule comes from AWS,
// which page it is from.
// ------------------------------------------------------------------------------------------------

/** 12-digit AWS account ID. */
const AccountId = z.string({ error: 'must be a 12-digit AWS account ID string' }).regex(/^\d{12}$/, {
  error: 'must be a 12-digit AWS account ID (digits only, as a string)',
});

/** A Region code such as `us-east-1`, `eu-central-2`, `us-gov-west-1`. */
const Region = z
  .string({ error: 'must be an AWS Region code string such as "us-east-1"' })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { error: 'must be an AWS Region code such as "us-east-1"' });

/**
 * `sts:ExternalId`: 2-1224 characters of `[\w+=,.@:/-]`; AWS recommends a long random value, we
 * require at least 12 characters.
 * Source: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (ExternalId),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
 */
const ExternalId = z
  .string({ error: 'must be a string' })
  .regex(/^[\w+=,.@:/-]{12,1224}$/, {
    error: 'must be 12-1224 characters of letters, digits and _+=,.@:/- (use a long random value; AWS allows 2+, we require 12+)',
  });

/**
 * A DB instance or DB cluster identifier: 1-63 letters, digits or hyphens, starting with a letter,
 * no two consecutive hyphens, not ending with a hyphen. RDS stores identifiers lower-case and
 * returns them lower-case in snapshot descriptions, so the configuration must be lower-case too.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
 * (DBInstanceIdentifier), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
 */
const DatabaseIdentifier = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,62}(?<!-)$/, {
    error:
      'must be 1-63 letters, digits or hyphens, start with a letter, contain no "--" and not end with a hyphen, written lower-case as RDS stores it (RDS identifier rules)',
  });

/**
 * An EventBridge Scheduler recurring expression: `cron(<min> <hour> <day-of-month> <month>
 * <day-of-week> <year>)` with `?` in exactly one of the two day fields, or `rate(<n> <unit>)`.
 * Source: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
export function checkScheduleExpression(expression: string): string | undefined {
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/).filter(Boolean);
    if (fields.length !== 6) {
      return `cron expression must have 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}`;
    }
    if ((fields[2] === '?') === (fields[4] === '?')) {
      return 'cron expression must have "?" in exactly one of day-of-month (3rd field) and day-of-week (5th field)';
    }
    return undefined;
  }
  if (/^rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)$/.test(expression)) return undefined;
  return 'must be "cron(<6 fields>)" or "rate(<n> minutes|hours|days)", e.g. "cron(0 5 * * ? *)"';
}

const IANA_TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));

/**
 * An IANA time zone name (`UTC`, `Europe/Paris`). Node's list omits aliases such as `UTC` and
 * `Etc/UTC`, so a name Intl accepts and that is spelled in IANA's case also passes.
 * Source: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#time-zones
 */
export function isIanaTimeZone(name: string): boolean {
  if (IANA_TIME_ZONES.has(name)) return true;
  if (!/^[A-Z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const Schedule = z.strictObject({
  /** `cron(...)` or `rate(...)`, evaluated in `timeZone`. */
  cron: z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
    const problem = checkScheduleExpression(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** IANA time zone the cron expression is evaluated in. Default `UTC`. */
  timeZone: z
    .string({ error: 'must be a string' })
    .refine(isIanaTimeZone, { error: 'must be an IANA time zone name such as "UTC" or "Europe/Paris"' })
    .default('UTC'),
  /** false deploys the schedule DISABLED. Default true. */
  enabled: z.boolean({ error: 'must be true or false' }).default(true),
});

const nonNegativeInt = (what: string) =>
  z.number({ error: `must be a number (${what})` }).int({ error: `must be a whole number (${what})` });

/** Retention policy; ages in days counted from SnapshotCreateTime. */
const Retention = z
  .strictObject({
    keepLast: nonNegativeInt('copies').min(1, { error: 'must be at least 1 (always keep the newest copy)' }),
    maxAgeDays: nonNegativeInt('days').min(1, { error: 'must be at least 1 day' }),
    minAgeDays: nonNegativeInt('days').min(0, { error: 'must be 0 or more days' }),
  })
  .superRefine(
    (r, ctx) => {
      // Runs even when a field is invalid (so every problem is listed): compare only real numbers.
      if (typeof r?.minAgeDays === 'number' && typeof r.maxAgeDays === 'number' && r.minAgeDays > r.maxAgeDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['minAgeDays'],
        message: `must be <= maxAgeDays (${r.minAgeDays} > ${r.maxAgeDays})`,
        });
      }
    },
    { when: () => true },
  );

const Database = z.strictObject({
  identifier: DatabaseIdentifier,
  kind: z.enum(['instance', 'cluster'], {
    error: 'must be "instance" (RDS DB instance) or "cluster" (Aurora DB cluster)',
  }),
});

/** The partition a Region belongs to (`aws`, `aws-cn`, `aws-us-gov`, ...). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}

/** The configuration file's schema. Objects are strict: an unknown (mistyped) field is an error. */
export const VaultConfigSchema = z
  .strictObject({
    /**
     * Prefixes role, key alias, state machine and stack names: lower-case letters, digits and
     * hyphens, starting with a letter, at most 32 characters (the longest role name,
     * `<name>-cross-account-copy`, must stay within IAM's 64).
     */
    deploymentName: z
      .string({ error: 'must be a string' })
      .regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,31}(?<!-)$/, {
        error: 'must be 1-32 lower-case letters, digits or hyphens, start with a letter, contain no "--" and not end with a hyphen',
      }),
    /** The production account whose DB snapshots are copied. */
    source: z.strictObject({ accountId: AccountId, region: Region }),
    /** The locked-down account that keeps the copies. */
    vault: z.strictObject({ accountId: AccountId, region: Region, externalId: ExternalId }),
    /** The databases to back up, each a DB instance or an Aurora DB cluster of the source account. */
    databases: z
      .array(Database, { error: 'must be an array of { identifier, kind }' })
      .min(1, { error: 'must list at least one database' })
      .superRefine(
        (dbs, ctx) => {
          if (!Array.isArray(dbs)) return;
          const seen = new Map<string, number>();
          dbs.forEach((db: unknown, i) => {
            const identifier = (db as { identifier?: unknown } | null)?.identifier;
            if (typeof identifier !== 'string') return;
            // RDS identifiers are case-insensitive: `Orders` and `orders` are the same database.
            const key = identifier.toLowerCase();
            const first = seen.get(key);
            if (first === undefined) seen.set(key, i);
            else ctx.addIssue({ code: 'custom', path: [i, 'identifier'], message: `duplicates databases[${first}].identifier "${identifier}"` });
          });
        },
        { when: () => true },
      ),
    /** When BackupRun starts (all configured databases). */
    schedule: Schedule,
    /** When VaultRetention sweeps the vault. */
    vaultRetentionSchedule: Schedule,
    retention: z.strictObject({
      /** Managed copies kept in the source account after the vault copy is available. */
      source: Retention,
      /** Copies kept in the vault account. */
      vault: Retention,
    }),
    notifications: z
      .strictObject({
        /** E-mail addresses subscribed to the run summaries and alarms (each must confirm). */
        emails: z.array(z.email({ error: 'must be a valid e-mail address' }), { error: 'must be an array of e-mail addresses' }).default([]),
      })
      .default({ emails: [] }),
    concurrency: z
      .strictObject({
        /**
         * Databases BackupRun processes at once. At most 20: RDS runs at most 20 DB snapshot copies
         * (5 DB cluster snapshot copies) at once per account and Region; more only queue.
         * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html
         */
        maxDatabasesInParallel: z
          .number({ error: 'must be a number' })
          .int({ error: 'must be a whole number' })
          .min(1, { error: 'must be at least 1' })
          .max(20, { error: 'must be at most 20 (RDS copies at most 20 DB snapshots at once per Region)' })
          .default(4),
      })
      .default({ maxDatabasesInParallel: 4 }),
    polling: z
      .strictObject({
        /**
         * Hours to wait for one copy to become available before failing it. At most 72: a database
         * waits twice (source copy, vault copy) inside DatabaseBackup's 7-day timeout.
         */
        maxWaitHours: z
          .number({ error: 'must be a number' })
          .positive({ error: 'must be more than 0 hours' })
          .max(72, { error: 'must be at most 72 hours (two waits must fit the 7-day DatabaseBackup timeout)' })
          .default(48),
      })
      .default({ maxWaitHours: 48 }),
  })
  .superRefine(
    (c, ctx) => {
      // Runs even when other fields are invalid (so every problem is listed): guard every read.
      const source = (c as Partial<typeof c> | undefined)?.source;
      const vault = (c as Partial<typeof c> | undefined)?.vault;
      if (typeof source?.accountId === 'string' && source.accountId === vault?.accountId) {
      ctx.addIssue({
        code: 'custom',
        path: ['vault', 'accountId'],
        message: 'must differ from source.accountId (the vault must be a separate account)',
      });
    }
      if (
        typeof source?.region === 'string' &&
        typeof vault?.region === 'string' &&
        partitionOf(source.region) !== partitionOf(vault.region)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['vault', 'region'],
          message: `must be in the same partition as source.region (${partitionOf(source.region)}); snapshots cannot be copied across partitions`,
        });
      }
    },
    { when: () => true },
  );

/** The parsed configuration, defaults filled in. */
export type VaultConfig = z.infer<typeof VaultConfigSchema>;
/** The configuration as written in the file (optional fields may be missing). */
export type VaultConfigInput = z.input<typeof VaultConfigSchema>;

/** One problem in a configuration: `path` as `databases[2].identifier`, `message` what is wrong. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown by {@link parseConfig} / {@link loadConfig}. `message` lists every problem, one per line,
 * as `<field.path>: <what is wrong>`; `problems` holds them as data.
 */
export class InvalidConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  readonly source: string;
  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(
      `Invalid rds-snapshot-vault configuration (${source}), ${problems.length} problem(s):\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'InvalidConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** `['databases', 2, 'identifier']` -> `databases[2].identifier`; `[]` -> `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** The value at `path` in `raw`, or undefined when any step is missing. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function toProblems(raw: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'unknown field (not part of the configuration schema)' });
      }
      continue;
    }
    let message = issue.message;
    // zod does not put the input on issues by default: look the value up to tell "missing" apart.
    if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined) message = 'is required';
    problems.push({ path: formatPath(issue.path), message });
  }
  return problems;
}

/**
 * Validates a configuration object and fills in defaults.
 * @param raw the parsed JSON
 * @param source where it came from, for the error message
 * @throws InvalidConfigError listing every problem
 */
export function parseConfig(raw: unknown, source = 'config'): VaultConfig {
  const result = VaultConfigSchema.safeParse(raw);
  if (!result.success) throw new InvalidConfigError(source, toProblems(raw, result.error.issues));
  return result.data;
}

/**
 * Reads and validates a JSON configuration file.
 * @param path file path (relative paths resolve against the working directory)
 * @throws InvalidConfigError when the file is missing, not JSON, or invalid
 */
export function loadConfig(path: string): VaultConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidConfigError(path, [{ path: '(file)', message: `cannot be read: ${(err as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidConfigError(path, [{ path: '(file)', message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  return parseConfig(raw, path);
}
