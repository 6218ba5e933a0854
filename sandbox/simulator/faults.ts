/**
 * Fault injection: make the next matching calls fail with a given error instead of running.
 */
import type { CallContext } from './context';
import { awsError, type ServiceName } from './errors';

/** One injected fault. */
export interface FaultSpec {
  readonly service: ServiceName;
  /** Command name without `Command` (e.g. `CopyDBSnapshot`), or `*` for every operation of the service. */
  readonly operation: string;
  /** The error to throw: `name` exactly as the SDK would report it; `message` defaults to a generic one. */
  readonly error: { readonly name: string; readonly message?: string };
  /** How many matching calls fail (default 1; `Infinity` allowed). */
  readonly times?: number;
  /** Further narrows which calls fail. */
  readonly match?: (input: any, ctx: CallContext) => boolean;
}

/** The armed faults, consumed in injection order. */
export class FaultStore {
  private faults: Array<{ spec: FaultSpec; remaining: number }> = [];

  /**
   * Arms a fault: the next `times` matching calls throw `error` (SDK exception shape:
   * `$metadata.httpStatusCode` 400 for client errors, 500 for `InternalFailure`-like names, 503 for
   * `ServiceUnavailable`, `$retryable.throttling` for `Throttling`/`ThrottlingException`).
   * @throws RangeError when times is not a positive number
   */
  inject(f: FaultSpec): void {
    const times = f.times ?? 1;
    if (!(times > 0)) throw new RangeError(`faults.inject: times must be > 0, got ${times}`);
    this.faults.push({ spec: f, remaining: times });
  }

  /** Disarms every fault. */
  clear(): void {
    this.faults = [];
  }

  /** Number of armed faults. */
  get armed(): number {
    return this.faults.length;
  }

  /** Throws the first armed fault matching this call (and consumes one use of it). */
  check(input: unknown, ctx: CallContext): void {
    for (const f of this.faults) {
      if (f.spec.service !== ctx.service) continue;
      if (f.spec.operation !== '*' && f.spec.operation !== ctx.operation) continue;
      if (f.spec.match && !f.spec.match(input, ctx)) continue;
      f.remaining--;
      if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
      throw awsError(ctx.service, f.spec.error.name, f.spec.error.message ?? `Injected fault: ${f.spec.error.name} on ${ctx.service}:${ctx.operation}`);
    }
  }
}
