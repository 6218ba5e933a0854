/**
 * The thin Lambda wrapper every rds-snapshot-vault function uses: middy + Powertools Logger and
 * Metrics, environment validated once at `createHandler` time, event validated on every call,
 * errors rethrown with their names intact so Step Functions `Retry`/`Catch` can match them.
 *
 * Sources: https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/ ,
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/ , https://middy.js.org/
 */
import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ClientFactory, ClientName } from './clients/factory.js';
import { parseEnv, parseInput } from './env.js';
import { isTransientError } from '../../contracts/errors.js';
import { COPIES_DEFERRED_METRIC, METRICS_NAMESPACE, type FunctionMetric, type HandlerMetric } from '../../contracts/names.js';
export { METRICS_NAMESPACE };

/**
 * Everything a handler may take from its surroundings. The Lambda entry point passes
 * `process.env`, a default-credentials {@link ClientFactory} and the wall clock; the local runner
 * passes the CloudFormation environment, sandbox clients and a virtual clock. Domain code reads
 * environment and time only through these.
 */
export interface HandlerDeps<K extends ClientName = ClientName> {
  /** The Lambda environment variables. */
  env: Record<string, string | undefined>;
  /** SDK client source: `HandlerDeps<'rds'>` for a function that calls RDS only. */
  clients: ClientFactory<K>;
  /** The current time (UTC). */
  now: () => Date;
}

/** A Lambda handler as Step Functions' `lambda:invoke` calls it: `Payload` in, result out. */
export type LambdaHandler<O> = (event: unknown, context: Context) => Promise<O>;

/**
 * Counts business events as CloudWatch metrics (namespace `RdsSnapshotVault`); a no-op when metrics
 * are disabled. `M`: the names it takes (a function's own, from contracts/names.ts `FUNCTION_METRICS`).
 */
export interface MetricsRecorder<M extends string = string> {
  /** Adds `value` (default 1, unit Count) to metric `name` for this invocation. */
  count(name: M, value?: number): void;
}

/** What `run` receives besides the validated input; `N`: the function's name. */
export interface RunScope<C, K extends ClientName = ClientName, N extends string = string> {
  /** The parsed environment. */
  config: C;
  clients: ClientFactory<K>;
  now: () => Date;
  logger: Logger;
  /** Takes only the metrics contracts/names.ts `FUNCTION_METRICS` lists for function `N`. */
  metrics: MetricsRecorder<FunctionMetric<N>>;
}

/** Definition of one Lambda for {@link makeHandler}. */
export interface HandlerSpec<I, C, O, K extends ClientName = ClientName, N extends string = string> {
  /** Function name (kebab-case, its `functions/<name>/` folder): Powertools service name, the metrics' `service` dimension and error-message prefix. */
  name: N;
  deps: HandlerDeps<K>;
  /** Schema for `deps.env`; parsed once, on the first invocation. */
  envSchema: z.ZodMiniType<C>;
  /** Schema for the event (`Payload`). */
  inputSchema: z.ZodMiniType<I>;
  /** The domain call. Throws named errors; never returns a success-shaped value for a failure. */
  run: (input: I, scope: RunScope<C, K, N>) => Promise<O>;
}


const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/**
 * Makes whatever was thrown an `Error` with a meaningful `name`: our named errors and AWS SDK
 * errors pass through unchanged (the SDK sets `name` to the AWS error code, e.g.
 * `ThrottlingException`); a Node socket error named plain `Error` gets its `code` as name
 * (`ECONNRESET`) so the state machine can retry it; a non-Error value becomes an `Error`.
 */
export function normalizeError(err: unknown): Error {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.name === 'Error' && typeof code === 'string' && NETWORK_CODES.has(code)) err.name = code;
    return err;
  }
  return new Error(typeof err === 'string' ? err : `Non-error thrown: ${JSON.stringify(err)}`);
}

/**
 * Longest `errorMessage` a function hands to Step Functions, in characters. The Lambda runtime puts
 * `{errorType, errorMessage, trace}` into the failed task's `Cause`, and BackupRun keeps one cause
 * per failed database in its state (256 KiB per state, docs/aws-behaviour.md §18a): so causes are
 * bounded where they are made: 1,000 characters keeps every advice our named errors give (the
 * longest, with two ARNs and the AWS message inside, run to about 600), so a failed database costs
 * BackupRun about 1.3 KB of state at most. The full error and stack are logged first.
 */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

/**
 * Bounds what a thrown error carries into the state machine: the message cut to
 * {@link MAX_ERROR_MESSAGE_CHARS} (ending in `...`), the stack to one line (the runtime's `trace`
 * repeats the message and adds frames otherwise). The name is never changed (Retry/Catch match it).
 */
export function boundForStateMachine(err: Error): Error {
  if (err.message.length > MAX_ERROR_MESSAGE_CHARS) err.message = `${err.message.slice(0, MAX_ERROR_MESSAGE_CHARS - 3)}...`;
  err.stack = `${err.name} (stack trace in the function's log)`;
  return err;
}

type Level = keyof typeof LogLevelThreshold;
const isLevel = (v: string | undefined): v is Level => v !== undefined && Object.hasOwn(LogLevelThreshold, v.toUpperCase());

/**
 * Powertools reads `POWERTOOLS_LOG_LEVEL` / `POWERTOOLS_METRICS_DISABLED` from `process.env` itself.
 * The same variables in `deps.env` (the local runner's environment) are honoured too; the *more
 * restrictive* setting wins, so `SILENT` / `true` in either place silences.
 * The level is given to the Logger constructor, not set afterwards: on every warm invocation
 * `injectLambdaContext` calls `refreshSampleRateCalculation()`, which resets the level to the
 * logger's initial level (Powertools 2.36, Logger.js), so a `setLogLevel` would hold for one call only.
 */
function createObservability(name: string, env: HandlerDeps['env']): { logger: Logger; metrics: Metrics | undefined } {
  const fromProcess = new Logger({ serviceName: name }).level;
  const wanted = env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL;
  const level = isLevel(wanted) && LogLevelThreshold[wanted.toUpperCase() as Level] > fromProcess ? (wanted.toUpperCase() as Level) : undefined;
  const logger = new Logger({ serviceName: name, ...(level !== undefined && { logLevel: level }) });
  return { logger, metrics: createMetrics(name, env) };
}

/**
 * A Powertools Metrics of namespace {@link METRICS_NAMESPACE} with the `service` dimension `serviceName`,
 * or undefined when `POWERTOOLS_METRICS_DISABLED` is `1`/`true`/`yes`/`on` (tests, the sandbox).
 * For functions that emit metrics with their own dimensions (single metrics) beside the handler's counts.
 * Source: https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/
 */
export function createMetrics(serviceName: string, env: HandlerDeps['env']): Metrics | undefined {
  const disabled = /^(1|true|yes|on)$/i.test(env.POWERTOOLS_METRICS_DISABLED ?? '');
  return disabled ? undefined : new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/**
 * Builds a Lambda handler.
 *
 * - Parses `spec.deps.env` with `spec.envSchema` once, on the first invocation (so neither
 *   `createHandler` nor importing a module throws); @throws InvalidEnvironment naming each bad
 *   variable, on every invocation until the environment is fixed.
 * - Each call: validates the event (@throws InvalidInput naming the field path), runs `spec.run`,
 *   records metric `Succeeded` or `Failed` (metadata `errorName`), logs failures (WARN for
 *   transient ones, ERROR otherwise) and rethrows; an error with `waitSignal: true` (copy-slots.ts
 *   `CopySlotWait`, caught by the state machine into a wait) is counted `CopySlotWaits`, logged at
 *   INFO, and rethrown the same way (AWS still counts it in the function's Lambda `Errors` metric); one with `deferSignal: true`
 *   (`CopySlotsDeferred`, issue 12) is counted `CopiesDeferred`, logged at WARN, and rethrown; the error with its name unchanged, its message
 *   and stack bounded ({@link boundForStateMachine}).
 * - Logger: Powertools `injectLambdaContext`; Metrics: `logMetrics` (EMF to stdout), namespace
 *   `RdsSnapshotVault`, service = `spec.name`. Logger and Metrics are created here, not at module scope.
 */
export function makeHandler<I, C, O, K extends ClientName = ClientName, N extends string = string>(spec: HandlerSpec<I, C, O, K, N>): LambdaHandler<O> {
  const { logger, metrics } = createObservability(spec.name, spec.deps.env);
  const recorder: MetricsRecorder<FunctionMetric<N> | HandlerMetric> = {
    count: (metricName, value = 1) => metrics?.addMetric(metricName, MetricUnit.Count, value),
  };
  let scope: RunScope<C, K, N> | undefined;

  const inner = async (event: unknown): Promise<O> => {
    try {
      // Parsed once, on the first invocation (cold start); a bad environment fails every call.
      scope ??= { config: parseEnv(spec.name, spec.envSchema, spec.deps.env), clients: spec.deps.clients, now: spec.deps.now, logger, metrics: recorder };
      const input = parseInput(spec.inputSchema, event);
      const out = await spec.run(input, scope);
      recorder.count('Succeeded');
      logger.debug('result', { result: out as unknown as Record<string, unknown> });
      return out;
    } catch (thrown) {
      const err = normalizeError(thrown);
      if ((err as { waitSignal?: unknown }).waitSignal === true) {
        // A wait the state machine catches by name (copy-slots.ts CopySlotWait): a normal outcome, not a failure.
        recorder.count('CopySlotWaits');
        // `detail`, not `message`: Powertools Logger drops a reserved key (it warns "The key "message" is a reserved key").
        logger.info(`waiting: ${err.name}`, { detail: err.message });
        throw boundForStateMachine(err);
      }
      if ((err as { deferSignal?: unknown }).deferSignal === true) {
        // Issue 12: a copy deferred to the scheduled run (copy-slots.ts CopySlotsDeferred): recorded, not a failure.
        recorder.count(COPIES_DEFERRED_METRIC);
        logger.warn(`deferred: ${err.name}`, { detail: err.message });
        throw boundForStateMachine(err);
      }
      recorder.count('Failed');
      metrics?.addMetadata('errorName', err.name);
      if (isTransientError(err)) logger.warn(`transient failure: ${err.name}`, err);
      else logger.error(`failed: ${err.name}`, err);
      throw boundForStateMachine(err);
    }
  };

  const wrapped = middy<unknown, O, Error, Context>(inner).use(injectLambdaContext(logger));
  if (metrics) wrapped.use(logMetrics(metrics));
  return (event, context) => wrapped(event, context);
}

/**
 * Defers `build` to the first invocation so that importing a function module never throws (for
 * example when its environment is incomplete). A failed build is retried on the next invocation.
 */
export function lazyHandler<O>(build: () => LambdaHandler<O>): LambdaHandler<O> {
  let built: LambdaHandler<O> | undefined;
  return (event, context) => {
    try {
      built ??= build();
    } catch (err) {
      return Promise.reject(normalizeError(err));
    }
    return built(event, context);
  };
}
