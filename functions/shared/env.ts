/**
 * Environment and event validation with `zod/mini` (small bundle; see docs/toolchain: full `zod`
 * adds ~440 KB of locales). zod/mini ships no English messages, so {@link formatIssues} turns
 * issues into `path: problem` strings itself.
 * Source: https://zod.dev/packages/mini
 */
import * as z from 'zod/mini';
import { InvalidEnvironment, InvalidInput } from '../../contracts/errors.js';
import { formatIssuePath } from '../../contracts/rules.js';

/** A zod issue as zod/mini reports it (the fields we read). */
type Issue = z.core.$ZodIssue;

/** Renders an issue path as `a.b[0].c`; the empty path is `(input)` ({@link formatIssuePath}). */
export function formatPath(path: readonly PropertyKey[]): string {
  return formatIssuePath(path, '(input)');
}

/** `must have at least 2 item(s)`, `must have at most 63 character(s)`, `must be >= 1`, `must be < 10`. */
function describeBound(origin: string, side: 'least' | 'most', bound: unknown, inclusive: boolean | undefined): string {
  if (origin === 'array') return `must have at ${side} ${String(bound)} item(s)`;
  if (origin === 'string') return `must have at ${side} ${String(bound)} character(s)`;
  const op = side === 'least' ? '>' : '<';
  return `must be ${inclusive ? `${op}=` : op} ${String(bound)}`;
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return describeBound(issue.origin, 'least', issue.minimum, issue.inclusive);
    case 'too_big':
      return describeBound(issue.origin, 'most', issue.maximum, issue.inclusive);
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

// The rules live in contracts/rules.ts (shared with infra/config/schema.ts and statemachines/).
export * from '../../contracts/rules.js';
