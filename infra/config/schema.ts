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
import {
  ACCOUNT_ID_PATTERN,
  DR_COPY_MODES,
  EXPORT_PREFIX_MAX_LENGTH,
  EXPORT_PREFIX_MESSAGE,
  EXPORT_PREFIX_PATTERN,
  formatIssuePath,
  isStoredDbIdentifier,
  REGION_PATTERN,
  RETENTION_BOUNDS,
  type VaultMode,
} from '../../contracts/rules';

// ------------------------------------------------------------------------------------------------
// Field rules. Each message says what a valid value looks like and, where the rule comes from AWS,
// which page it is from.
// ------------------------------------------------------------------------------------------------

/** 12-digit AWS account ID. */
const AccountId = z.string({ error: 'must be a 12-digit AWS account ID string' }).regex(ACCOUNT_ID_PATTERN, {
  error: 'must be a 12-digit AWS account ID (digits only, as a string)',
});

/** A Region code such as `us-east-1`, `eu-central-2`, `us-gov-west-1`. */
const Region = z
  .string({ error: 'must be an AWS Region code string such as "us-east-1"' })
  .regex(REGION_PATTERN, { error: 'must be an AWS Region code such as "us-east-1"' });

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
 * returns them lower-case in snapshot descriptions, so the configuration must be lower-case too
 * (one rule for the configuration and the functions: contracts/rules.ts, docs/aws-behaviour.md §33).
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
 * (DBInstanceIdentifier), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
 */
const DatabaseIdentifier = z
  .string({ error: 'must be a string' })
  .refine(isStoredDbIdentifier, {
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

/**
 * Grandfather-father-son counts: also keep the newest available copy of each of the last N UTC
 * days, ISO weeks, calendar months and years (kept even past maxAgeDays). Each optional, a
 * non-negative whole number; 0 or absent = that generation is not kept.
 */
const Gfs = z.strictObject({
  daily: nonNegativeInt('days').min(RETENTION_BOUNDS.gfs.min, { error: 'must be 0 or more (days kept)' }).optional(),
  weekly: nonNegativeInt('ISO weeks').min(RETENTION_BOUNDS.gfs.min, { error: 'must be 0 or more (ISO weeks kept)' }).optional(),
  monthly: nonNegativeInt('months').min(RETENTION_BOUNDS.gfs.min, { error: 'must be 0 or more (calendar months kept)' }).optional(),
  yearly: nonNegativeInt('years').min(RETENTION_BOUNDS.gfs.min, { error: 'must be 0 or more (years kept)' }).optional(),
});

/** Retention policy; whole days counted from the recovery point; bounds: contracts/rules.ts RETENTION_BOUNDS (one rule with the functions' policySchema). */
const Retention = z
  .strictObject({
    keepLast: nonNegativeInt('copies').min(RETENTION_BOUNDS.keepLast.min, { error: `must be at least ${RETENTION_BOUNDS.keepLast.min} (always keep the newest copy)` }),
    maxAgeDays: nonNegativeInt('days')
      .min(RETENTION_BOUNDS.maxAgeDays.min, { error: `must be at least ${RETENTION_BOUNDS.maxAgeDays.min} day` })
      .max(RETENTION_BOUNDS.maxAgeDays.max, { error: `must be at most ${RETENTION_BOUNDS.maxAgeDays.max} days (100 years)` }),
    minAgeDays: nonNegativeInt('days')
      .min(RETENTION_BOUNDS.minAgeDays.min, { error: `must be ${RETENTION_BOUNDS.minAgeDays.min} or more days` })
      .max(RETENTION_BOUNDS.minAgeDays.max, { error: `must be at most ${RETENTION_BOUNDS.minAgeDays.max} days (100 years)` }),
    /** Optional grandfather-father-son generations kept on top of keepLast/maxAgeDays. */
    gfs: Gfs.optional(),
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

/**
 * What one restore-drill check expects of its query's result (issue 9). At least one of:
 * `minRows` (at least N rows), `nonEmpty` (at least one row), `equals` (the first column of the
 * first row, compared as text), `maxAgeHours` (the first column of the first row is a timestamp at
 * most N hours before the snapshot's time, i.e. the database was being written before its backup).
 */
const DrillExpect = z
  .strictObject({
    minRows: z.number({ error: 'must be a number (rows)' }).int({ error: 'must be a whole number (rows)' }).min(0, { error: 'must be 0 or more rows' }).optional(),
    nonEmpty: z.literal(true, { error: 'must be true (omit it otherwise)' }).optional(),
    equals: z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).optional(),
    maxAgeHours: z.number({ error: 'must be a number (hours)' }).positive({ error: 'must be more than 0 hours' }).optional(),
  })
  .superRefine(
    (e, ctx) => {
      if (e && typeof e === 'object' && Object.values(e).every((v) => v === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'must name at least one of minRows, nonEmpty, equals, maxAgeHours' });
      }
    },
    { when: () => true },
  );

/** One named SQL query of a restore drill and what its result must be. */
const DrillCheck = z.strictObject({
  /** 1-64 letters, digits, `_` or `-`; unique per database. */
  name: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be 1-64 letters, digits, "_" or "-"' }),
  /** One read-only SQL statement in the engine's dialect. */
  sql: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(4000, { error: 'must be at most 4000 characters' }),
  expect: DrillExpect,
});

/** The restore drill of one database (issue 9). */
const DatabaseDrill = z.strictObject({
  /**
   * The database (schema) inside the server to connect to. Default: the DBName RDS reports for the
   * restored DB instance / DB cluster, else `postgres` (PostgreSQL) / none (MySQL, MariaDB).
   */
  databaseName: z.string({ error: 'must be a string' }).regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, { error: 'must be 1-63 letters, digits, "_", "$" or "-", starting with a letter or "_"' }).optional(),
  /** The checks, run in order; at most 20. Default [] (restore and RTO only). */
  checks: z
    .array(DrillCheck, { error: 'must be an array of { name, sql, expect }' })
    .max(20, { error: 'must have at most 20 checks' })
    .superRefine(
      (checks, ctx) => {
        if (!Array.isArray(checks)) return;
        const seen = new Map<string, number>();
        checks.forEach((c: unknown, i) => {
          const name = (c as { name?: unknown } | null)?.name;
          if (typeof name !== 'string') return;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, i);
          else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicates checks[${first}].name "${name}"` });
        });
      },
      { when: () => true },
    )
    .default([]),
});

const Database = z.strictObject({
  identifier: DatabaseIdentifier,
  kind: z.enum(['instance', 'cluster'], {
    error: 'must be "instance" (RDS DB instance) or "cluster" (Aurora DB cluster)',
  }),
  /** Export the run's manual copy to S3 as Parquet (needs the top-level `export` block). Default false. */
  export: z.boolean({ error: 'must be true or false' }).default(false),
  /**
   * DB instances only: Region -> name of an option group in the vault account of that Region (the
   * vault Region or a DR Region) for this database's engine, holding the options of the database's
   * option group. A cross-Region copy of a DB snapshot whose option group has options (Oracle
   * Timezone/OLS, ...) needs one (docs/aws-behaviour.md §15a); without it that copy fails with
   * `OptionGroupRequired`, whose message names what to create. Example: `{ "us-west-2": "ledger-og" }`.
   */
  optionGroups: z
    .record(
      z.string({ error: 'must be an AWS Region code' }),
      z
        .string({ error: 'must be an option group name' })
        .regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}$/, { error: 'must be 1-255 letters, digits or hyphens, start with a letter, contain no "--" (RDS option group name rules)' })
        .refine((v) => !v.endsWith('-'), { error: 'must not end with a hyphen' }),
      { error: 'must be an object of Region -> option group name' },
    )
    .optional(),
  /** Restore-drill checks of this database (issue 9); without it the drill restores and measures RTO only. */
  drill: DatabaseDrill.optional(),
  /** Recovery point objective of this database in hours; default: the top-level `rpoHours`. */
  rpoHours: z.number({ error: 'must be a number (hours)' }).positive({ error: 'must be more than 0 hours' }).optional(),
});

/**
 * Restore drills in the vault account (issue 9): restore the newest available vault copy of each
 * database (or a rotating sample) into a throwaway DB instance / DB cluster, run its checks, record
 * evidence, delete everything.
 */
const RestoreDrill = z.strictObject({
  /** When RestoreDrill runs (e.g. weekly `cron(0 6 ? * SUN *)`). */
  schedule: Schedule,
  /** Databases drilled per scheduled run, rotating through the list week by week. Default: all. */
  sampleSize: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).optional(),
  /** DB instance class of a restored DB instance (the smallest your engines allow). Default `db.t4g.micro`. */
  instanceClass: z.string({ error: 'must be a string' }).regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { error: 'must be a DB instance class such as db.t4g.micro' }).default('db.t4g.micro'),
  /** DB instance class of the one DB instance of a restored Aurora DB cluster. Default `db.t4g.medium`. */
  clusterInstanceClass: z.string({ error: 'must be a string' }).regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { error: 'must be a DB instance class such as db.t4g.medium' }).default('db.t4g.medium'),
  /** Hours to wait for a restore to become available before `RestoreTimedOut`. Default 4, at most 24. */
  maxWaitHours: z.number({ error: 'must be a number (hours)' }).positive({ error: 'must be more than 0 hours' }).max(24, { error: 'must be at most 24 hours' }).default(4),
  /** Databases restored at once. Default 2, at most 5. */
  maxConcurrency: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(5, { error: 'must be at most 5' }).default(2),
  /** IPv4 CIDR of the drill VPC the vault stack creates (isolated subnets, no internet). Default `10.87.0.0/24`. */
  vpcCidr: z.string({ error: 'must be a string' }).regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-6])$/, { error: 'must be an IPv4 CIDR from /16 to /26' }).default('10.87.0.0/24'),
  /** Availability Zones of the drill subnets (at least two). Default `<vault region>a`, `<vault region>b`. */
  availabilityZones: z
    .array(z.string({ error: 'must be a string' }).regex(/^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/, { error: 'must be an Availability Zone name such as us-east-1a' }), { error: 'must be an array of Availability Zone names' })
    .min(2, { error: 'must list at least two Availability Zones (a DB subnet group needs two)' })
    .optional(),
  /** Days each evidence record is locked (S3 Object Lock, governance mode). Default 400. */
  evidenceLockDays: z.number({ error: 'must be a number (days)' }).int({ error: 'must be a whole number (days)' }).min(1, { error: 'must be at least 1 day' }).default(400),
  /** Days after which evidence records expire. Default 2555 (7 years); must exceed evidenceLockDays. */
  evidenceExpireDays: z.number({ error: 'must be a number (days)' }).int({ error: 'must be a whole number (days)' }).min(1, { error: 'must be at least 1 day' }).default(2555),
});

/**
 * An RDS tag key: 1-128 Unicode letters, digits, white space and `_.:/=+-@`, not starting with
 * `aws:` or `rds:`. Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html
 */
function checkTagKey(key: string): string | undefined {
  if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(key)) {
    return 'tag key must be 1-128 letters, digits, spaces or _.:/=+-@ (RDS tag rules)';
  }
  if (/^(aws|rds):/i.test(key)) return 'tag key must not start with "aws:" or "rds:" (reserved by AWS)';
  return undefined;
}

/**
 * Tag discovery: DB instances and Aurora DB clusters of the source account and Region carrying
 * ALL these tags (exact values) are backed up at each run, besides the listed databases.
 */
const Discovery = z.strictObject({
  /** Tag key -> required value, e.g. `{ "rds-snapshot-vault:backup": "true" }`; at least one tag. */
  tags: z
    .record(z.string(), z.string({ error: 'tag value must be a string' }).max(256, { error: 'tag value must be at most 256 characters (RDS tag rules)' }), {
      error: 'must be an object of tag key -> value strings',
    })
    .superRefine((tags, ctx) => {
      if (!tags || typeof tags !== 'object') return;
      const keys = Object.keys(tags);
      if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one tag (an empty filter would back up every database)' });
      for (const key of keys) {
        const problem = checkTagKey(key);
        if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      }
    }),
  /** Export the discovered databases' copies to S3 too (needs the `export` block). Default false. */
  export: z.boolean({ error: 'must be true or false' }).default(false),
});

/** Whole days, optional, for one lifecycle step of the export bucket. */
const lifecycleDays = (min: number, what: string) =>
  nonNegativeInt('days')
    .min(min, { error: `must be at least ${min} day${min === 1 ? '' : 's'} (${what})` })
    .optional();

/**
 * The S3 export of snapshots (Parquet, `StartExportTask`). Lifecycle steps are counted in days from
 * object creation and must increase: GLACIER, then DEEP_ARCHIVE, then expiration.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Transition.html (transition days 0+),
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html (expiration days 1+)
 */
const Export = z
  .strictObject({
    /** Key prefix in the export bucket; each export lands under `<prefix>/<database>/<date>/`. Default `exports`. */
    prefix: z
      .string({ error: 'must be a string' })
      .regex(EXPORT_PREFIX_PATTERN, { error: EXPORT_PREFIX_MESSAGE })
      .max(EXPORT_PREFIX_MAX_LENGTH, { error: 'must be at most 200 characters' })
      .default('exports'),
    lifecycle: z
      .strictObject({
        /** Days until objects move to S3 Glacier Flexible Retrieval. */
        glacierAfterDays: lifecycleDays(0, 'S3 transition days are 0 or more'),
        /** Days until objects move to S3 Glacier Deep Archive. */
        deepArchiveAfterDays: lifecycleDays(0, 'S3 transition days are 0 or more'),
        /** Days until objects expire (are deleted; versioning keeps the noncurrent version 30 more days). */
        expireAfterDays: lifecycleDays(1, 'S3 expiration days are 1 or more'),
      })
      .superRefine(
        (l, ctx) => {
          const steps: Array<[keyof typeof l, number | undefined]> = [
            ['glacierAfterDays', l?.glacierAfterDays],
            ['deepArchiveAfterDays', l?.deepArchiveAfterDays],
            ['expireAfterDays', l?.expireAfterDays],
          ];
          let previous: [string, number] | undefined;
          for (const [name, days] of steps) {
            if (typeof days !== 'number') continue;
            if (previous && days <= previous[1]) {
              ctx.addIssue({
                code: 'custom',
                path: [name],
                message: `must be greater than export.lifecycle.${previous[0]} (${days} <= ${previous[1]}): steps go GLACIER, then DEEP_ARCHIVE, then expiration`,
              });
            }
            previous = [name, days];
          }
        },
        { when: () => true },
      )
      .default({}),
    /** Create a Glue database and crawler over the exports so Athena can query them. Default false. */
    glueCatalog: z.boolean({ error: 'must be true or false' }).default(false),
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
    /**
     * Where the copies are kept. With `accountId`: a separate, locked-down vault account
     * (cross-account mode; `externalId` required). Without: same-account mode, the copies go to
     * `region` (and the DR Regions) of the source account itself, with no share and no role to assume.
     */
    vault: z.strictObject({
      /** The vault account (12 digits); omit for same-account mode. */
      accountId: AccountId.optional(),
      /** The primary vault Region (copies are made here first). */
      region: Region,
      /** `sts:ExternalId` of the vault role; required with `accountId`, rejected without. */
      externalId: ExternalId.optional(),
      /** Further Regions of the vault account that also keep a copy (each with its own vault stack). Default []. */
      drRegions: z.array(Region, { error: 'must be an array of AWS Region codes' }).default([]),
      /**
       * How DR copies are made: `two-hop` (default) copies the vault copy across Regions inside the
       * vault account; `single-step` copies the source copy straight into each DR Region.
       * Source: docs/aws-behaviour.md §9.
       */
      drCopyMode: z
        .enum(DR_COPY_MODES, { error: 'must be "two-hop" (via the vault Region) or "single-step" (source -> DR Region directly)' })
        .default('two-hop'),
      /**
       * Name of the vault account's break-glass IAM role: the only principal the vault KMS keys let
       * schedule their deletion or disable them (docs/security.md, "Key guard"). You create and
       * guard this role yourself (MFA, two-person rule). Default `<deploymentName>-break-glass`.
       */
      breakGlassRoleName: z
        .string({ error: 'must be a string' })
        .regex(/^[\w+=,.@-]{1,64}$/, { error: 'must be an IAM role name: 1-64 letters, digits or + = , . @ _ -' })
        .optional(),
    }),
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
    /** Tag discovery of further databases at each run (optional; off when absent). */
    discovery: Discovery.optional(),
    /** S3 export settings; required when any database (or discovery) exports. */
    export: Export.optional(),
    /** EventBridge start of a run on automated snapshot events (RDS-EVENT-0091 / -0169). */
    events: z
      .strictObject({
        /** Default true. The schedule stays on as the backstop: events are best-effort (docs/aws-behaviour.md §17). */
        enabled: z.boolean({ error: 'must be true or false' }).default(true),
      })
      .default({ enabled: true }),
    /** When BackupRun starts (all configured databases). */
    schedule: Schedule,
    /** When VaultRetention sweeps the vault. */
    vaultRetentionSchedule: Schedule,
    /** Restore drills in the vault (issue 9); absent = no drills deployed. */
    restoreDrill: RestoreDrill.optional(),
    /** Recovery point objective in hours: the newest available vault copy of a database may be at most this old. Default 26. */
    rpoHours: z.number({ error: 'must be a number (hours)' }).positive({ error: 'must be more than 0 hours' }).default(26),
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
         * The most DatabaseBackup child executions BackupRun runs at once: an upper bound (1-200).
         * Each run's own number is chosen by plan-run for the planned fleet (issue 12,
         * functions/plan-run/order.ts `mapConcurrency`) and read by BackupRun's Distributed Map with
         * `MaxConcurrencyPath` (docs/aws-behaviour.md §36): enough children to keep every copy slot of
         * the slowest copy step busy along a database's copies in a row (`copySlots` x 2.33 with
         * two-hop DR, rounded down: 57 for the default slots; statemachines/map-concurrency.ts), at most half the
         * planned databases, at least min(this, 50) while that many are planned (the execution
         * timeout counts waves of that many, statemachines/timeouts.ts), never above this. The copy
         * slot table (`copySlots`), not this number, keeps copies within RDS's limits; more children
         * only wait in the slot queues (billed as state transitions). Lower it to hold a run to fewer
         * children (e.g. for Lambda concurrency). Measured (issue 12, docs/architecture.md): 1,000
         * databases of two-hop DR 1.09x the quota-bound minimum with 56.9 state transitions each (50
         * fixed children: 1.22x, 56.7).
         */
        maxDatabasesInParallel: z
          .number({ error: 'must be a number' })
          .int({ error: 'must be a whole number' })
          .min(1, { error: 'must be at least 1' })
          .max(200, { error: 'must be at most 200 (more children only wait for copy slots)' })
          .default(100),
        /**
         * Copies (export tasks) in progress at once across every execution (event runs, the schedule,
         * manual runs), enforced by the copy slot table in the source account (issue 12). Defaults
         * are AWS's limits; set lower to leave room for copies made outside the vault.
         * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html,
         * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
         */
        copySlots: z
          .strictObject({
            /** DB snapshot copies per destination account and Region (AWS: 20). */
            dbSnapshotCopies: z
              .number({ error: 'must be a number' })
              .int({ error: 'must be a whole number' })
              .min(1, { error: 'must be at least 1' })
              .max(20, { error: 'must be at most 20 (RDS copies at most 20 DB snapshots at once per destination account and Region)' })
              .default(20),
            /** DB cluster snapshot copies per destination account and Region (AWS: 5). */
            dbClusterSnapshotCopies: z
              .number({ error: 'must be a number' })
              .int({ error: 'must be a whole number' })
              .min(1, { error: 'must be at least 1' })
              .max(5, { error: 'must be at most 5 (RDS copies at most 5 DB cluster snapshots at once per destination account and Region)' })
              .default(5),
            /** Export tasks per account (AWS: 5). */
            exportTasks: z
              .number({ error: 'must be a number' })
              .int({ error: 'must be a whole number' })
              .min(1, { error: 'must be at least 1' })
              .max(5, { error: 'must be at most 5 (RDS runs at most 5 export tasks at once per account)' })
              .default(5),
          })
          .default({ dbSnapshotCopies: 20, dbClusterSnapshotCopies: 5, exportTasks: 5 }),
      })
      .default({ maxDatabasesInParallel: 100, copySlots: { dbSnapshotCopies: 20, dbClusterSnapshotCopies: 5, exportTasks: 5 } }),
    polling: z
      .strictObject({
        /**
         * Hours to wait for one copy (or export) to become available before failing it with
         * `SnapshotCopyTimedOut` (`ExportTimedOut`). At most 72: a copy with no progress for three days
         * needs a person. The execution timeouts follow from it (statemachines/timeouts.ts: two-hop DR
         * is three waits in a row) and are checked at synth against Step Functions' one-year maximum.
         */
        maxWaitHours: z
          .number({ error: 'must be a number' })
          .positive({ error: 'must be more than 0 hours' })
          .max(72, { error: 'must be at most 72 hours (a copy with no progress for three days needs a person, not more waiting)' })
          .default(48),
      })
      .default({ maxWaitHours: 48 }),
  })
  .superRefine(
    (c, ctx) => {
      // Runs even when other fields are invalid (so every problem is listed): guard every read.
      const cfg = c as Partial<typeof c> | undefined;
      const source = cfg?.source;
      const vault = cfg?.vault;
      const sourceRegion = typeof source?.region === 'string' ? source.region : undefined;
      const vaultRegion = typeof vault?.region === 'string' ? vault.region : undefined;
      const sameAccount = vault !== undefined && vault.accountId === undefined;

      if (typeof source?.accountId === 'string' && source.accountId === vault?.accountId) {
        ctx.addIssue({
          code: 'custom',
          path: ['vault', 'accountId'],
          message: 'must differ from source.accountId (the vault must be a separate account; omit vault.accountId for same-account mode)',
        });
      }
      if (vault && typeof vault.accountId === 'string' && vault.externalId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['vault', 'externalId'], message: 'is required when vault.accountId is set (the vault role is assumed with it)' });
      }
      if (sameAccount && vault.externalId !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['vault', 'externalId'],
          message: 'must be omitted without vault.accountId (same-account mode assumes no vault role)',
        });
      }
      if (sourceRegion && vaultRegion && partitionOf(sourceRegion) !== partitionOf(vaultRegion)) {
        ctx.addIssue({
          code: 'custom',
          path: ['vault', 'region'],
          message: `must be in the same partition as source.region (${partitionOf(sourceRegion)}); snapshots cannot be copied across partitions`,
        });
      }
      if (sameAccount && sourceRegion && vaultRegion === sourceRegion) {
        ctx.addIssue({
          code: 'custom',
          path: ['vault', 'region'],
          message: `must differ from source.region (${sourceRegion}) in same-account mode: the copy must leave the source Region`,
        });
      }
      const drRegions = Array.isArray(vault?.drRegions) ? vault.drRegions : [];
      const seen = new Map<string, number>();
      drRegions.forEach((region, i) => {
        if (typeof region !== 'string') return;
        const path = ['vault', 'drRegions', i];
        const first = seen.get(region);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path, message: `duplicates vault.drRegions[${first}] "${region}"` });
        else seen.set(region, i);
        if (region === vaultRegion) ctx.addIssue({ code: 'custom', path, message: `must differ from vault.region (${region}); a DR Region is another Region` });
        if (sameAccount && region === sourceRegion) {
          ctx.addIssue({ code: 'custom', path, message: `must differ from source.region (${region}) in same-account mode: a DR copy must leave the source Region` });
        }
        if (sourceRegion && partitionOf(region) !== partitionOf(sourceRegion)) {
          ctx.addIssue({ code: 'custom', path, message: `must be in the same partition as source.region (${partitionOf(sourceRegion)}); snapshots cannot be copied across partitions` });
        }
      });

      const databases = Array.isArray(cfg?.databases) ? cfg.databases : [];
      // Option groups: DB instances only, and only for Regions that receive copies.
      const copyRegions = new Set([vaultRegion, ...drRegions].filter((r): r is string => typeof r === 'string'));
      databases.forEach((d, i) => {
        const og = (d as { optionGroups?: unknown } | null)?.optionGroups;
        if (og === undefined || og === null || typeof og !== 'object') return;
        if ((d as { kind?: unknown }).kind === 'cluster') {
          ctx.addIssue({ code: 'custom', path: ['databases', i, 'optionGroups'], message: 'is for DB instances only: DB cluster snapshots carry no option group' });
          return;
        }
        for (const region of Object.keys(og)) {
          if (!copyRegions.has(region)) {
            ctx.addIssue({
              code: 'custom',
              path: ['databases', i, 'optionGroups', region],
              message: `must be keyed by the vault Region or a DR Region (${[...copyRegions].join(', ')}); "${region}" receives no copies`,
            });
          }
        }
      });
      const discovery = cfg?.discovery;
      const anyExport = databases.some((d) => d?.export === true) || discovery?.export === true;
      if (anyExport && cfg?.export === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['export'],
          message: 'is required when a database has "export": true or discovery.export is true (give at least {} for the defaults)',
        });
      }
      const drill = cfg?.restoreDrill;
      if (drill && typeof drill.evidenceLockDays === 'number' && typeof drill.evidenceExpireDays === 'number' && drill.evidenceExpireDays <= drill.evidenceLockDays) {
        ctx.addIssue({ code: 'custom', path: ['restoreDrill', 'evidenceExpireDays'], message: `must be more than restoreDrill.evidenceLockDays (${drill.evidenceLockDays}): a locked record cannot expire` });
      }
    },
    { when: () => true },
  );

/** The parsed configuration, defaults filled in. */
export type VaultConfig = z.infer<typeof VaultConfigSchema>;
/** The configuration as written in the file (optional fields may be missing). */
export type VaultConfigInput = z.input<typeof VaultConfigSchema>;

/** `cross-account` (a vault account is configured) or `same-account` (copies stay in the source account); contracts/rules.ts. */
export type { VaultMode };

/** The deployment's mode: `same-account` when `vault.accountId` is omitted. */
export function vaultModeOf(config: VaultConfig): VaultMode {
  return config.vault.accountId === undefined ? 'same-account' : 'cross-account';
}

/** The account that keeps the copies: `vault.accountId`, or the source account in same-account mode. */
export function vaultAccountIdOf(config: VaultConfig): string {
  return config.vault.accountId ?? config.source.accountId;
}

/** Every Region that keeps vault copies: `vault.region` first, then `vault.drRegions` in order. */
export function vaultRegionsOf(config: VaultConfig): readonly string[] {
  return [config.vault.region, ...config.vault.drRegions];
}

/** true when some listed database exports to S3 or discovery exports (the export resources are then deployed). */
export function exportsEnabled(config: VaultConfig): boolean {
  return config.databases.some((d) => d.export) || config.discovery?.export === true;
}

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

/** `['databases', 2, 'identifier']` -> `databases[2].identifier`; `[]` -> `(root)` ({@link formatIssuePath}). */
export function formatPath(path: readonly PropertyKey[]): string {
  return formatIssuePath(path, '(root)');
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
