/**
 * One home for each validation rule that the configuration (infra/config/schema.ts), the Lambda
 * environments and the payload contracts share: account IDs, Regions, DB identifiers, ARNs, bucket
 * names, and the object-level checks of a Lambda environment. zod/mini (small bundle; full `zod`
 * adds ~440 KB of locales, https://zod.dev/packages/mini); no AWS SDK, no CDK.
 */
import * as z from 'zod/mini';
import type { RetentionPolicy } from './shapes.js';

/**
 * Renders the path of a validation issue as `a.b[0].c` (`['databases', 2, 'identifier']` ->
 * `databases[2].identifier`), and the empty path as `empty`. The one rule of the configuration's
 * problems (infra/config/schema.ts, `(root)`) and of a Lambda's environment and event problems
 * (functions/shared/env.ts, `(input)`).
 */
export function formatIssuePath(path: readonly PropertyKey[], empty: string): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? empty : out;
}

/** 12-digit AWS account ID (config `source.accountId`, `vault.accountId`; every ACCOUNT_ID variable). */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** 12-digit AWS account ID. */
export const accountIdSchema = z.string().check(z.regex(ACCOUNT_ID_PATTERN, 'must be a 12-digit AWS account ID'));

/**
 * AWS Region code such as `eu-west-1`, `eu-central-2`, `us-gov-west-1`: a two-letter area, one or
 * more `-<word>`, then `-` and a one- or two-digit number (every Region AWS lists,
 * https://docs.aws.amazon.com/general/latest/gr/rande.html). The configuration and the functions use this one rule.
 */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** AWS Region name, e.g. `eu-west-1`, `us-gov-west-1` ({@link REGION_PATTERN}). */
export const regionSchema = z.string().check(z.regex(REGION_PATTERN, 'must be an AWS Region name such as eu-west-1'));

/** IAM role ARN. */
export const roleArnSchema = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)'));

/** SNS topic ARN (standard or FIFO). Source: https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html */
export const snsTopicArnSchema = z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/, 'must be an SNS topic ARN'));

/**
 * Key prefix of the S3 exports (`EXPORT_PREFIX`, config `export.prefix`): 1-200 characters of letters,
 * digits, `_ . -` in `/`-separated segments, no leading, trailing or double `/`. Within what RDS
 * accepts as an export's S3Prefix (no `:`, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
 * limitations), and what the bucket policy's `<prefix>/*` resources are written with.
 */
export const EXPORT_PREFIX_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
/** Longest export prefix, characters. */
export const EXPORT_PREFIX_MAX_LENGTH = 200;
/** What a bad export prefix is told. */
export const EXPORT_PREFIX_MESSAGE = 'must be 1-200 characters of letters, digits, _ . - in /-separated segments, with no leading, trailing or double "/"';

/** {@link EXPORT_PREFIX_PATTERN}, at most {@link EXPORT_PREFIX_MAX_LENGTH} characters. */
export const exportPrefixSchema = z.string().check(z.regex(EXPORT_PREFIX_PATTERN, EXPORT_PREFIX_MESSAGE), z.maxLength(EXPORT_PREFIX_MAX_LENGTH, 'must be at most 200 characters'));

/** Non-empty string. */
export const nonEmpty = z.string().check(z.minLength(1, 'must not be empty'));

/**
 * DB instance / DB cluster identifier as the RDS API accepts it: 1-63 letters, digits or hyphens,
 * starting with a letter, no `--`, no trailing hyphen; case-insensitive, stored (and returned in
 * every description) lower-case (docs/aws-behaviour.md §33).
 */
export const DB_IDENTIFIER_PATTERN = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/;

/**
 * Whether `identifier` is a DB identifier written as RDS stores it: {@link DB_IDENTIFIER_PATTERN}
 * and lower-case. The configuration requires this (its identifiers are compared with what RDS
 * returns); the functions accept any case, as the API does (docs/aws-behaviour.md §33).
 */
export function isStoredDbIdentifier(identifier: string): boolean {
  return DB_IDENTIFIER_PATTERN.test(identifier) && identifier === identifier.toLowerCase();
}

/** {@link DB_IDENTIFIER_PATTERN}. */
export const dbIdentifierSchema = z
  .string()
  .check(
    z.regex(
      DB_IDENTIFIER_PATTERN,
      'must be a DB identifier: 1-63 letters, digits or hyphens, starting with a letter, no "--", no trailing hyphen',
    ),
  );

/**
 * `cross-account`: copies go to the vault account through its copy role (shared first).
 * `same-account`: no vault account; copies go to other Regions of the source account.
 */
export const VAULT_MODES = ['cross-account', 'same-account'] as const;
/** One of {@link VAULT_MODES}. */
export type VaultMode = (typeof VAULT_MODES)[number];

/**
 * How DR-Region copies are made (docs/aws-behaviour.md §9).
 * `two-hop`: vault Region first, then across Regions inside the vault account (works everywhere).
 * `single-step`: from the source copy straight into each DR Region of the vault account, in parallel
 * with the vault copy (faster; not allowed by older Aurora docs for encrypted shared cluster snapshots).
 */
export const DR_COPY_MODES = ['two-hop', 'single-step'] as const;
/** One of {@link DR_COPY_MODES}. */
export type DrCopyMode = (typeof DR_COPY_MODES)[number];

/** Variables every Lambda gets: `AWS_REGION` (set by Lambda) and `ACCOUNT_ID` (set by the stack). */
export const baseEnvShape = {
  AWS_REGION: regionSchema,
  ACCOUNT_ID: accountIdSchema,
};

/**
 * A variable holding JSON that must match `schema`, e.g. `DATABASES='[{"identifier":"orders-db","kind":"instance"}]'`.
 * Issues are reported on the variable (`DATABASES[0].kind: ...`).
 */
export function jsonEnv<T>(schema: z.ZodMiniType<T>): z.ZodMiniType<T, string> {
  const json = z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', message: 'must be valid JSON', input: text });
        return z.NEVER;
      }
    }),
  );
  return z.pipe(json, schema) as unknown as z.ZodMiniType<T, string>;
}

/** KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`) or alias ARN (`...:alias/<name>`). */
export const kmsKeyArnSchema = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[\w/-]+)$/, 'must be a KMS key ARN or alias ARN'));

/**
 * Object-level check that the KMS key ARN in variable `keyVar` is in the account/Region given by
 * the variables `accountVar`/`regionVar` (KMS keys are regional; RDS fails with
 * KMSKeyNotAccessibleFault otherwise). Source: https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
 */
export function kmsKeyLocatedIn<T extends Record<string, unknown>>(keyVar: keyof T & string, accountVar: keyof T & string, regionVar: keyof T & string) {
  return z.superRefine((env: T, ctx) => {
    const key = env[keyVar];
    if (typeof key !== 'string') return;
    const [, , , region, account] = key.split(':');
    if (region !== env[regionVar] || account !== env[accountVar]) {
      ctx.issues.push({
        code: 'custom',
        path: [keyVar],
        input: key,
        message: `must be a key of account ${String(env[accountVar])} in Region ${String(env[regionVar])} (${accountVar}/${regionVar}); KMS keys are regional`,
      });
    }
  });
}

/**
 * KMS alias name `alias/<name>` (1-256 characters: letters, digits, `/`, `_`, `-`; not the
 * reserved `alias/aws/` prefix). Source: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
 */
export const kmsAliasNameSchema = z
  .string()
  .check(
    z.regex(/^alias\/(?!aws\/)[A-Za-z0-9/_-]{1,250}$/, 'must be a KMS alias name such as alias/rds-snapshot-vault (not an ARN, not alias/aws/...)'),
  );

/**
 * S3 bucket name (general purpose): 3-63 lower-case letters, digits, dots and hyphens, starting and
 * ending with a letter or digit. Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const bucketNameSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)'));

/** `'true'` | `'false'` (absent = `false`), parsed to a boolean. */
export const booleanFlagEnv = z.pipe(
  z.optional(z.enum(['true', 'false'])),
  z.transform((v: 'true' | 'false' | undefined) => v === 'true'),
);

/**
 * Object-level check that the variables `a` and `b` are either both set or both absent (e.g.
 * `VAULT_ROLE_ARN` + `VAULT_EXTERNAL_ID`: cross-account mode needs both, same-account mode neither).
 * Reports the missing one on its own path.
 */
export function bothOrNeither<T extends Record<string, unknown>>(a: keyof T & string, b: keyof T & string) {
  return z.superRefine((env: T, ctx) => {
    const hasA = env[a] !== undefined;
    const hasB = env[b] !== undefined;
    if (hasA === hasB) return;
    const [missing, present] = hasA ? [b, a] : [a, b];
    ctx.issues.push({
      code: 'custom',
      path: [missing],
      input: env[missing],
      message: `must be set together with ${present} (cross-account mode), or both must be absent (same-account mode)`,
    });
  });
}

/**
 * Object-level check of the vault mode (cross-account-copy, poll-status): same-account mode
 * (`VAULT_ROLE_ARN`/`VAULT_EXTERNAL_ID` absent) needs VAULT_ACCOUNT_ID = ACCOUNT_ID; cross-account
 * mode needs VAULT_ACCOUNT_ID != ACCOUNT_ID and a VAULT_ROLE_ARN in VAULT_ACCOUNT_ID.
 * Use with {@link bothOrNeither}.
 */
export function vaultModeCheck<T extends { ACCOUNT_ID: string; VAULT_ACCOUNT_ID: string; VAULT_ROLE_ARN?: string | undefined; VAULT_EXTERNAL_ID?: string | undefined }>() {
  return z.superRefine((env: T, ctx) => {
    if (env.VAULT_ROLE_ARN === undefined && env.VAULT_EXTERNAL_ID === undefined && env.VAULT_ACCOUNT_ID !== env.ACCOUNT_ID) {
      ctx.issues.push({
        code: 'custom',
        path: ['VAULT_ROLE_ARN'],
        input: undefined,
        message: `required (with VAULT_EXTERNAL_ID) because VAULT_ACCOUNT_ID ${env.VAULT_ACCOUNT_ID} is another account than ACCOUNT_ID ${env.ACCOUNT_ID}; same-account mode needs VAULT_ACCOUNT_ID = ACCOUNT_ID`,
      });
    }
    if (env.VAULT_ROLE_ARN !== undefined) {
      if (env.VAULT_ACCOUNT_ID === env.ACCOUNT_ID) {
        ctx.issues.push({
          code: 'custom',
          path: ['VAULT_ROLE_ARN'],
          input: env.VAULT_ROLE_ARN,
          message: 'must be absent when VAULT_ACCOUNT_ID = ACCOUNT_ID (same-account mode copies with the function\'s own credentials)',
        });
      } else if (env.VAULT_ROLE_ARN.split(':')[4] !== env.VAULT_ACCOUNT_ID) {
        ctx.issues.push({ code: 'custom', path: ['VAULT_ROLE_ARN'], input: env.VAULT_ROLE_ARN, message: `must be a role of VAULT_ACCOUNT_ID ${env.VAULT_ACCOUNT_ID}` });
      }
    }
  });
}

// ---------------------------------------------------------------- retention bounds

/**
 * The bounds of a {@link RetentionPolicy}, the one rule of the configuration (`retention.source`,
 * `retention.vault` in infra/config/schema.ts) and of the functions that receive a policy
 * ({@link policySchema}: retention-sweep's input, plan-run's `SOURCE_RETENTION`). Every field is a
 * whole number: keepLast >= 1 (recovery-point days); maxAgeDays 1 to 36,500 days (100 years: more
 * is a typo, not a policy); minAgeDays 0 to 36,500 days and <= maxAgeDays; each GFS count >= 0.
 * A policy is stated in days, and the functions only ever receive the configuration's values.
 */
export const RETENTION_BOUNDS = {
  keepLast: { min: 1 },
  maxAgeDays: { min: 1, max: 36_500 },
  minAgeDays: { min: 0, max: 36_500 },
  gfs: { min: 0 },
} as const;

const wholeNumber = (bounds: { readonly min: number; readonly max?: number }) =>
  z.number().check(z.int(), z.gte(bounds.min), ...(bounds.max === undefined ? [] : [z.lte(bounds.max)]));
const gfsCount = z.optional(wholeNumber(RETENTION_BOUNDS.gfs));

/**
 * {@link RetentionPolicy} within {@link RETENTION_BOUNDS}: keepLast >= 1, 1 <= maxAgeDays <= 36,500,
 * 0 <= minAgeDays <= maxAgeDays, whole days; optional `gfs` `{ daily?, weekly?, monthly?, yearly? }`,
 * each a non-negative integer count of UTC days / ISO weeks / calendar months / years (unknown keys
 * rejected, so a misspelt `monhtly` fails instead of silently keeping less).
 */
export const policySchema: z.ZodMiniType<RetentionPolicy> = z.strictObject({
  keepLast: wholeNumber(RETENTION_BOUNDS.keepLast),
  maxAgeDays: wholeNumber(RETENTION_BOUNDS.maxAgeDays),
  minAgeDays: wholeNumber(RETENTION_BOUNDS.minAgeDays),
  gfs: z.optional(z.strictObject({ daily: gfsCount, weekly: gfsCount, monthly: gfsCount, yearly: gfsCount })),
}).check(
  z.superRefine((p: RetentionPolicy, ctx) => {
    if (p.minAgeDays > p.maxAgeDays) {
      ctx.issues.push({ code: 'custom', path: ['minAgeDays'], input: p.minAgeDays, message: `must be <= maxAgeDays (${p.maxAgeDays})` });
    }
  }),
);

