/**
 * Environment and event validation with `zod/mini` (small bundle; see docs/toolchain: full `zod`
 * adds ~440 KB of locales). zod/mini ships no English messages, so {@link formatIssues} turns
 * issues into `path: problem` strings itself.
 * Source: https://zod.dev/packages/mini
 */
import * as z from 'zod/mini';
import { InvalidEnvironment, InvalidInput } from './errors.js';

/** A zod issue as zod/mini reports it (the fields we read). */
type Issue = z.core.$ZodIssue;

/** Renders an issue path as `a.b[0].c`; the empty path is `(input)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(input)' : out;
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? `must have at least ${String(issue.minimum)} character(s)`
          : `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${String(issue.maximum)} item(s)`
        : issue.origin === 'string'
          ? `must have at most ${String(issue.maximum)} character(s)`
          : `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.message && issue.message !== 'Invalid input' ? issue.message : `invalid ${issue.format}`;
    default:
      return issue.message && issue.message !== 'Invalid input' ? issue.message : issue.code;
  }
}

/**
 * Turns zod issues into human-readable `path: problem` strings. Unknown keys are reported on
 * their own path (`extra: unknown key`) so the message names the offending field.
 */
export function formatIssues(issues: readonly Issue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${formatPath([...issue.path, key])}: unknown key`);
    } else if (issue.code === 'invalid_union') {
      out.push(`${formatPath(issue.path)}: does not match any allowed shape`);
    } else {
      out.push(`${formatPath(issue.path)}: ${describeIssue(issue)}`);
    }
  }
  return out;
}

/**
 * Parses `event` with `schema`.
 * @returns the parsed (typed, unknown keys stripped unless the schema is strict) value.
 * @throws InvalidInput naming each bad field path.
 */
export function parseInput<T>(schema: z.ZodMiniType<T>, event: unknown): T {
  const res = schema.safeParse(event, { reportInput: true });
  if (!res.success) throw new InvalidInput(formatIssues(res.error.issues));
  return res.data;
}

/**
 * Parses a Lambda environment (`deps.env`, never `process.env` directly) with `schema`.
 * @param functionName used in the error message.
 * @throws InvalidEnvironment naming each bad variable.
 */
export function parseEnv<T>(functionName: string, schema: z.ZodMiniType<T>, env: Record<string, string | undefined>): T {
  const res = schema.safeParse(env, { reportInput: true });
  if (!res.success) {
    const variables = [...new Set(res.error.issues.map((i) => String(i.path[0] ?? '(environment)')))];
    throw new InvalidEnvironment(functionName, formatIssues(res.error.issues), variables);
  }
  return res.data;
}

// ---------------------------------------------------------------- reusable schemas

/** 12-digit AWS account ID. */
export const accountIdSchema = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account ID'));

/** AWS Region name, e.g. `eu-west-1`, `us-gov-west-1`. */
export const regionSchema = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS Region name such as eu-west-1'));

/** IAM role ARN. */
export const roleArnSchema = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)'));

/** Non-empty string. */
export const nonEmpty = z.string().check(z.minLength(1, 'must not be empty'));

/**
 * DB instance / DB cluster identifier: 1-63 letters, digits, hyphens; starts with a letter; no
 * `--`, no trailing hyphen. Stored lower-case by RDS.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
 */
export const dbIdentifierSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/,
      'must be a DB identifier: 1-63 letters, digits or hyphens, starting with a letter, no "--", no trailing hyphen',
    ),
  );

/** Variables every Lambda gets: `AWS_REGION` (set by Lambda) and `ACCOUNT_ID` (set by the stack). */
export const baseEnvShape = {
  AWS_REGION: regionSchema,
  ACCOUNT_ID: accountIdSchema,
};

/**
 * A variable holding JSON that must match `schema`, e.g. `DATABASES='[{"identifier":"orders-db","kind":"instance"}]'`.
 * Issues are reported on the variable (`DATABASES[0].kind: ...`).
 */
export function jsonEnv<T>(schema: z.ZodMiniType<T>): z.ZodMiniType<T> {
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
  return z.pipe(json, schema) as unknown as z.ZodMiniType<T>;
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
