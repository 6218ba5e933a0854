/**
 * Typed JSONPaths (issue 11): a workflow builder names a field of a contract by its key, and tsc
 * checks the key, so renaming a contract field fails the build instead of a workflow test.
 *
 *   jsonPath<NotifyInput>()('runId')                      // '$.runId'
 *   jsonPath<RetentionSweepOutput>('$.sweep')('deleted')   // '$.sweep.deleted'
 *   jsonPath<PollRestoreInput>()('previous', 'waitSeconds') // '$.previous.waitSeconds'
 *
 * Paths are JSONPath as Step Functions reads them (`$` the state input, `.name` children).
 * Source: https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
 */

/** Object fields of `T` (arrays and scalars end a path). */
type Fields<T> = T extends readonly unknown[] ? never : T extends object ? T : never;

/** The key paths into `T`, up to four levels deep: `['a']`, `['a', 'b']`, ... */
export type KeyPath<T, Depth extends unknown[] = []> = Depth['length'] extends 4
  ? never
  : {
      [K in keyof Fields<T> & string]-?: [K] | [K, ...KeyPath<NonNullable<Fields<T>[K]>, [...Depth, unknown]>];
    }[keyof Fields<T> & string];

/**
 * A JSONPath builder for the fields of `T` found at `base` (default `$`, the state input).
 * @returns `(...keys) => '<base>.<k1>.<k2>...'`; the keys are checked against `T` by tsc.
 */
export function jsonPath<T>(base = '$'): <P extends KeyPath<T>>(...keys: P) => string {
  return (...keys) => [base, ...keys].join('.');
}
