/**
 * Typed Lambda payloads (issue 11): a workflow builds a function's `Payload` from the function's
 * input contract (contracts/functions/<name>.ts), so a renamed, missing or extra field fails tsc.
 *
 *   payload<NotifyInput>({ runId: fromState('$.runId'), chunks: fromState('$.plan.chunks') })
 *   // -> TaskInput of { 'runId.$': '$.runId', 'chunks.$': '$.plan.chunks' }
 *
 * A field is a literal of its contract type, a {@link fromState} path (`<key>.$` in the ASL), or,
 * for an object field, a nested payload of the same kind. Sources:
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

const PATH = Symbol('state path');

/** A value taken from the state (or the context object, `$$.`) at run time; see {@link fromState}. */
export interface StatePath {
  readonly [PATH]: string;
}

/** The field `name` is `path` of the state at run time (`$.x`, `$$.Map.Item.Value`, or an intrinsic such as `States.ArrayLength($.x)`). */
export function fromState(path: string): StatePath {
  return { [PATH]: path };
}

/** What may stand for a field of type `V` in a payload. */
export type PayloadValue<V> = V | StatePath | (NonNullable<V> extends readonly unknown[] ? never : NonNullable<V> extends object ? PayloadFields<NonNullable<V>> : never);

/** The fields of a payload for the input contract `T`: its keys, required where `T` requires them. */
export type PayloadFields<T> = { readonly [K in keyof T]: PayloadValue<T[K]> };

function isStatePath(v: unknown): v is StatePath {
  return typeof v === 'object' && v !== null && PATH in v;
}

/** The Parameters-style object of `fields`: `{ 'k.$': path }` for state paths, literals as they are, objects recursively. */
export function renderPayload(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (isStatePath(value)) out[`${key}.$`] = value[PATH];
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) out[key] = renderPayload(value);
    else out[key] = value;
  }
  return out;
}

/** The `TaskInput` of a payload typed by the input contract `T`; see {@link PayloadFields}. */
export function payload<T>(fields: PayloadFields<T>): sfn.TaskInput {
  return sfn.TaskInput.fromObject(renderPayload(fields));
}

/**
 * No payload: the Task gets the whole state as it is (the ASL has no Parameters). The type arguments
 * are the check: `State` (the state's type at that Task) must be assignable to `Contract` (the
 * function's input contract), so a required contract field renamed, removed from the state, or of
 * another type fails tsc. An optional contract field renamed is not caught (the state need not carry it).
 * @returns `undefined`, for `LambdaInvoke`'s `payload`
 */
export function wholeState<Contract, State extends Contract>(): undefined {
  return undefined;
}
