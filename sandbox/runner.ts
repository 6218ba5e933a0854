/**
 * Runs the synthesized state machines locally: the real ASL in aws-local-stepfunctions, every
 * Task routed to what AWS would run (the real Lambda handler code, a child execution, an SNS
 * publish), Wait states and retry back-off taken in virtual time on the {@link VirtualClock}.
 *
 * Fidelity notes (what differs from the real service, on purpose):
 * - A Wait state is swapped for a local Task that sleeps on the virtual clock for the same
 *   Seconds/SecondsPath/Timestamp/TimestampPath, keeping InputPath/OutputPath/Next/End, so the
 *   data flow is the Wait's. The original definition is what asl-validator checks.
 * - Retry back-off is slept in virtual time, without jitter (deterministic runs).
 * - `payloadResponseOnly` Lambda tasks (Resource = the function ARN) receive the payload and
 *   return the handler's result, as the Lambda service integration does. A thrown error reaches
 *   Step Functions as `Error` = its name and `Cause` = `{"errorType","errorMessage","trace"}`.
 *   Source: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * - `states:startExecution.sync:2` runs the child locally and returns `{ExecutionArn, Output (JSON),
 *   Status, ...}`; a failed child fails the Task with `States.TaskFailed` and a JSON cause with the
 *   child's `Error` and `Cause`. Source: https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
 */
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';

/** One event of the engine's eventLogs (the type is not exported by aws-local-stepfunctions). */
type EventLog = { type: string; timestamp: number; state?: { name: string; type: string }; index?: number; Error?: string; Cause?: unknown };
import type { AwsSandbox } from './aws';
import type { VirtualClock } from './clock';
import type { DeployedFunction, DeployedStack, DeployedStateMachine } from './deploy';

/** One entry of an execution's history, stamped with virtual time. */
export interface HistoryEvent {
  readonly seq: number;
  /** ISO-8601 UTC virtual time. */
  readonly at: string;
  readonly type: string;
  readonly state?: string;
  readonly stateType?: string;
  /** Map iteration index, when inside a Map. */
  readonly index?: number;
  readonly error?: string;
  readonly cause?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** A finished (or running) local execution, with its history and its child executions. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** `DatabaseBackup`, `BackupRun`, `VaultRetention`. */
  readonly kind: string;
  readonly input: unknown;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly startDate: string;
  stopDate?: string;
  readonly events: HistoryEvent[];
  /** State transitions (states entered, plus retries), what Step Functions Standard bills. */
  transitions: number;
  readonly parentArn?: string;
  readonly children: ExecutionRecord[];
}

/** A fault the runner injects at the Lambda service level (the handler never runs). */
export interface LambdaFault {
  /** functions/ folder name, e.g. `create-copy`, or `*`. */
  readonly entry: string;
  /** e.g. `Lambda.ServiceException`. */
  readonly error: string;
  /** How many invocations fail. @default 1 */
  times?: number;
}

export interface WorkflowRunnerOptions {
  readonly sandbox: AwsSandbox;
  readonly clock: VirtualClock;
  readonly stacks: readonly DeployedStack[];
  /** Extra environment for every handler (e.g. POWERTOOLS_LOG_LEVEL). */
  readonly extraEnvironment?: Record<string, string>;
}

const LOCAL_WAIT = 'arn:aws:states:::sandbox:wait';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
interface HandlerModule {
  createHandler(deps: { env: Record<string, string | undefined>; clients: unknown; now: () => Date }): Handler;
}
interface ClientsModule {
  createClientFactory(defaults: { region?: string; credentials?: unknown }): unknown;
}

/** Thrown for a Task resource the local runner does not know how to run. */
export class UnsupportedTaskResource extends Error {
  constructor(resource: string, state: string) {
    super(`State '${state}': Task resource '${resource}' is not supported by the local runner`);
    this.name = 'UnsupportedTaskResource';
  }
}

/** Error shape Step Functions reports for a failed Task. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export class WorkflowRunner {
  readonly executions: ExecutionRecord[] = [];
  readonly lambdaFaults: LambdaFault[] = [];
  /** Lambda invocations, in order: function entry, virtual time, error name if it failed. */
  readonly invocations: Array<{ entry: string; functionName: string; at: string; error?: string }> = [];
  private readonly functions = new Map<string, DeployedFunction>();
  private readonly machines = new Map<string, DeployedStateMachine>();
  private readonly handlers = new Map<string, Promise<Handler>>();
  private readonly retryAttempts = new Map<string, number>();
  private executionSeq = 0;
  private readonly machinesCompiled = new Map<string, { machine: StateMachine; states: Map<string, AslState>; retryOverrides: Record<string, number> }>();

  constructor(private readonly options: WorkflowRunnerOptions) {
    for (const stack of options.stacks) {
      for (const fn of stack.functions) {
        this.functions.set(fn.arn, fn);
        this.functions.set(fn.functionName, fn);
      }
      for (const sm of stack.stateMachines) this.machines.set(sm.arn, sm);
    }
  }

  /** The deployed state machine of a kind (`BackupRun`, ...) in the given account and Region, or the only one of that kind. */
  stateMachine(kind: string, accountId?: string, region?: string): DeployedStateMachine {
    const found = [...this.machines.values()].filter((m) => m.kind === kind && (!accountId || m.accountId === accountId) && (!region || m.region === region));
    if (found.length !== 1) throw new Error(`expected one ${kind} state machine${accountId ? ` in ${accountId}` : ''}${region ? ` ${region}` : ''}, found ${found.length}`);
    return found[0] as DeployedStateMachine;
  }

  /**
   * Starts an execution and resolves when it has finished (virtual time passes meanwhile).
   * Never rejects for a failed execution: read `status`, `error`, `cause` on the record.
   */
  async startExecution(stateMachineArn: string, input: unknown, opts: { name?: string; parentArn?: string } = {}): Promise<ExecutionRecord> {
    const sm = this.machines.get(stateMachineArn);
    if (!sm) throw new TaskError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const name = opts.name ?? `${sm.kind.toLowerCase()}-${String(++this.executionSeq).padStart(4, '0')}`;
    const executionArn = `arn:aws:states:${sm.region}:${sm.accountId}:execution:${sm.name}:${name}`;
    const record: ExecutionRecord = {
      executionArn,
      name,
      stateMachineArn,
      stateMachineName: sm.name,
      kind: sm.kind,
      input,
      status: 'RUNNING',
      startDate: this.options.clock.iso(),
      events: [],
      transitions: 0,
      parentArn: opts.parentArn,
      children: [],
    };
    this.executions.push(record);
    if (opts.parentArn) this.executions.find((e) => e.executionArn === opts.parentArn)?.children.push(record);

    const { machine, localHandlers, retryOverrides } = this.compiled(sm, record);
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: localHandlers as never, retryIntervalOverrides: retryOverrides },
      context: { Execution: { Id: executionArn, Name: name, RoleArn: sm.roleArn }, StateMachine: { Id: stateMachineArn, Name: sm.name } } as never,
    });
    const consume = (async () => {
      for await (const ev of run.eventLogs) this.record(record, ev);
    })();
    try {
      record.output = await run.result;
      record.status = 'SUCCEEDED';
    } catch (e) {
      record.status = 'FAILED';
      const err = e as Error & { cause?: unknown };
      await consume.catch(() => undefined);
      const failed = [...record.events].reverse().find((x) => x.type === 'ExecutionFailed');
      record.error = failed?.error ?? err.name;
      record.cause = failed?.cause ?? err.message;
    }
    await consume.catch(() => undefined);
    record.stopDate = this.options.clock.iso();
    return record;
  }

  /**
   * The engine's StateMachine for a definition, built once (its constructor validates the ASL,
   * ~100 ms; the definitions were validated with asl-validator at deploy). Task handlers look up
   * the execution through `current`, since the engine calls them with the input only.
   */
  private compiled(sm: DeployedStateMachine, record: ExecutionRecord) {
    let c = this.machinesCompiled.get(sm.arn);
    if (!c) {
      const definition = localDefinition(sm.definition);
      const states = new Map<string, AslState>();
      const retryOverrides: Record<string, number> = {};
      forEachState(definition, (stateName, state) => {
        if (state.Retry) retryOverrides[stateName] = 0;
        if (state.Type === 'Task') states.set(stateName, state);
      });
      const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
      c = { machine, states, retryOverrides };
      this.machinesCompiled.set(sm.arn, c);
    }
    const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of c.states) localHandlers[stateName] = (taskInput: unknown) => this.runTask(sm, record, stateName, state, taskInput);
    return { machine: c.machine, localHandlers, retryOverrides: c.retryOverrides };
  }

  private record(record: ExecutionRecord, ev: EventLog): void {
    const base = { seq: record.events.length + 1, at: this.options.clock.iso(), type: ev.type };
    const e = ev as EventLog & { state?: { name: string; type: string }; index?: number; Error?: string; Cause?: unknown };
    const stateType = e.state?.type === 'Task' && localWaitStates.has(e.state.name) ? 'Wait' : e.state?.type;
    record.events.push({
      ...base,
      ...(e.state ? { state: e.state.name, stateType } : {}),
      ...(typeof e.index === 'number' ? { index: e.index } : {}),
      ...(e.Error !== undefined ? { error: e.Error, cause: typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause) } : {}),
    });
    if (ev.type === 'StateEntered' || ev.type === 'StateRetried') record.transitions++;
  }

  private async runTask(sm: DeployedStateMachine, record: ExecutionRecord, stateName: string, state: AslState, input: unknown): Promise<unknown> {
    const resource = String(state.Resource);
    const key = `${record.executionArn}|${stateName}|${JSON.stringify(input)}`;
    try {
      const result = await this.dispatch(sm, record, stateName, state, resource, input);
      this.retryAttempts.delete(key);
      return result;
    } catch (e) {
      const err = e as Error;
      // Take the retry back-off in virtual time before the engine retries (it waits 0 ms).
      const retrier = (state.Retry ?? []).find((r) => r.ErrorEquals.includes(err.name) || r.ErrorEquals.includes('States.ALL'));
      const attempt = this.retryAttempts.get(key) ?? 0;
      if (retrier && attempt < (retrier.MaxAttempts ?? 3)) {
        this.retryAttempts.set(key, attempt + 1);
        const interval = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt);
        await this.options.clock.sleep(Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY));
      } else {
        this.retryAttempts.delete(key);
      }
      throw err;
    }
  }

  private async dispatch(sm: DeployedStateMachine, record: ExecutionRecord, stateName: string, state: AslState, resource: string, input: unknown): Promise<unknown> {
    if (resource === LOCAL_WAIT) {
      await this.options.clock.sleep(waitSeconds(state, input, this.options.clock.now()));
      return input;
    }
    if (/^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:/.test(resource)) return this.options.clock.busy(() => this.invokeLambda(resource, input));
    if (/^arn:aws[\w-]*:states:::lambda:invoke$/.test(resource)) {
      const p = input as { FunctionName: string; Payload: unknown };
      const payload = await this.options.clock.busy(() => this.invokeLambda(p.FunctionName, p.Payload));
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
    }
    if (/^arn:aws[\w-]*:states:::states:startExecution\.sync(:2)?$/.test(resource)) {
      const p = input as { StateMachineArn: string; Input: unknown; Name?: string };
      const childInput = typeof p.Input === 'string' ? JSON.parse(p.Input) : p.Input;
      const child = await this.startExecution(p.StateMachineArn, childInput, { name: p.Name, parentArn: record.executionArn });
      const v2 = resource.endsWith(':2');
      const description = {
        ExecutionArn: child.executionArn,
        StateMachineArn: child.stateMachineArn,
        Name: child.name,
        Status: child.status,
        StartDate: child.startDate,
        StopDate: child.stopDate,
        Input: v2 ? child.input : JSON.stringify(child.input),
      };
      if (child.status !== 'SUCCEEDED') {
        throw new TaskError('States.TaskFailed', JSON.stringify({ ...description, Error: child.error, Cause: child.cause }));
      }
      return { ...description, Output: v2 ? child.output : JSON.stringify(child.output) };
    }
    if (/^arn:aws[\w-]*:states:::sns:publish$/.test(resource)) {
      const p = input as { TopicArn: string; Message: unknown; Subject?: string };
      const client = new SNSClient({ region: sm.region, credentials: this.options.sandbox.credentialsFor(sm.roleArn) });
      try {
        const out = await this.options.clock.busy(() => client.send(
          new PublishCommand({ TopicArn: p.TopicArn, Subject: p.Subject, Message: typeof p.Message === 'string' ? p.Message : JSON.stringify(p.Message) }),
        ));
        return { MessageId: out.MessageId, SdkHttpMetadata: { HttpStatusCode: 200 } };
      } catch (e) {
        const err = e as Error;
        throw new TaskError(`SNS.${err.name}`, err.message);
      }
    }
    throw new UnsupportedTaskResource(resource, stateName);
  }

  /** Invokes a deployed function's real handler with its template environment and its role's credentials. */
  async invokeLambda(functionArnOrName: string, payload: unknown): Promise<unknown> {
    const fn = this.functions.get(functionArnOrName) ?? this.functions.get(functionArnOrName.split(':').pop() ?? '');
    if (!fn) throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${functionArnOrName}`);
    const at = this.options.clock.iso();
    const fault = this.lambdaFaults.find((f) => (f.entry === fn.entry || f.entry === '*') && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      this.invocations.push({ entry: fn.entry, functionName: fn.functionName, at, error: fault.error });
      throw new TaskError(fault.error, JSON.stringify({ errorType: fault.error, errorMessage: 'Injected Lambda service fault' }));
    }
    const handler = await this.handlerFor(fn);
    const context = {
      functionName: fn.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '256',
      awsRequestId: `sandbox-${this.invocations.length + 1}`,
      logGroupName: `/aws/lambda/${fn.functionName}`,
      logStreamName: 'sandbox',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => fn.timeoutSeconds * 1000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      const result = await handler(structuredClone(payload), context);
      this.invocations.push({ entry: fn.entry, functionName: fn.functionName, at });
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const errorType = err.name || 'Error';
      this.invocations.push({ entry: fn.entry, functionName: fn.functionName, at, error: errorType });
      throw new TaskError(errorType, JSON.stringify({ errorType, errorMessage: err.message, trace: (err.stack ?? '').split('\n').slice(0, 5) }));
    }
  }

  private handlerFor(fn: DeployedFunction): Promise<Handler> {
    let h = this.handlers.get(fn.arn);
    if (!h) {
      h = (async () => {
        const mod = (await import(pathToFileURL(path.join(REPO_ROOT, 'functions', fn.entry, 'index.ts')).href)) as HandlerModule;
        const clients = (await import(pathToFileURL(path.join(REPO_ROOT, 'functions', 'shared', 'clients.ts')).href)) as ClientsModule;
        const env: Record<string, string> = {
          ...fn.environment,
          ...this.options.extraEnvironment,
          AWS_REGION: fn.region,
          AWS_DEFAULT_REGION: fn.region,
          AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        };
        return mod.createHandler({
          env,
          clients: clients.createClientFactory({ region: fn.region, credentials: this.options.sandbox.credentialsFor(fn.roleArn) }),
          now: () => this.options.clock.now(),
        });
      })();
      this.handlers.set(fn.arn, h);
    }
    return h;
  }
}

// ------------------------------------------------------------------ ASL helpers

/** The subset of an ASL state the runner reads. */
export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Retry?: Array<{ ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number }>;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: Array<{ States: Record<string, AslState> }>;
  [k: string]: unknown;
}

const localWaitStates = new Set<string>();

/** Calls `fn` for every state, including those inside Map item processors and Parallel branches. */
export function forEachState(definition: { States: Record<string, AslState> }, fn: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States)) {
    fn(name, state);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) forEachState(inner, fn);
    for (const b of state.Branches ?? []) forEachState(b, fn);
  }
}

/** A copy of the definition whose Wait states are local Tasks that sleep on the virtual clock. */
export function localDefinition(definition: Record<string, unknown>): Record<string, unknown> & { States: Record<string, AslState> } {
  const copy = structuredClone(definition) as Record<string, unknown> & { States: Record<string, AslState> };
  forEachState(copy, (name, state) => {
    if (state.Type !== 'Wait') return;
    localWaitStates.add(name);
    const { Seconds, SecondsPath, Timestamp, TimestampPath } = state;
    for (const k of Object.keys(state)) if (!['Type', 'Next', 'End', 'InputPath', 'OutputPath', 'Comment'].includes(k)) delete state[k];
    state.Type = 'Task';
    state.Resource = LOCAL_WAIT;
    // The wait spec travels in the state definition the runner reads back in waitSeconds().
    Object.defineProperty(state, '__wait', { value: { Seconds, SecondsPath, Timestamp, TimestampPath }, enumerable: false });
  });
  return copy;
}

/** Seconds a (swapped) Wait state waits for this input. Source: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html */
function waitSeconds(state: AslState, input: unknown, now: Date): number {
  const spec = (state as unknown as { __wait: Pick<AslState, 'Seconds' | 'SecondsPath' | 'Timestamp' | 'TimestampPath'> }).__wait;
  if (typeof spec.Seconds === 'number') return spec.Seconds;
  if (spec.SecondsPath) {
    const v = readPath(input, spec.SecondsPath);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new TaskError('States.Runtime', `SecondsPath '${spec.SecondsPath}' must point to a non-negative integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  const ts = spec.Timestamp ?? (spec.TimestampPath ? String(readPath(input, spec.TimestampPath)) : undefined);
  if (ts) return Math.max(0, (Date.parse(ts) - now.getTime()) / 1000);
  return 0;
}

/** Reads a simple reference path (`$.a.b[0]`). */
function readPath(input: unknown, p: string): unknown {
  const parts = p.replace(/^\$\.?/, '').split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== '');
  let cur: unknown = input;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
