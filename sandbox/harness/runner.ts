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
 * - `ResultPath: "$"` (state or Catch) is dropped before the engine sees it: aws-local-stepfunctions
 *   3.0 would write the result under a field named "$"; Step Functions replaces the input with it.
 * - `payloadResponseOnly` Lambda tasks (Resource = the function ARN) receive the payload and
 *   return the handler's result, as the Lambda service integration does. A thrown error reaches
 *   Step Functions as `Error` = its name and `Cause` = `{"errorType","errorMessage","trace"}`.
 *   Source: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * - `states:startExecution.sync:2` runs the child locally and returns `{ExecutionArn, Output (JSON),
 *   Status, ...}`; a failed child fails the Task with `States.TaskFailed` and a JSON cause with the
 *   child's `Error` and `Cause`. Source: https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
 *
 * Step Functions limits enforced as AWS enforces them (docs/aws-behaviour.md §18, §18a):
 * - 256 KiB (262,144 bytes of UTF-8 JSON) per state input and output, for every state type, and per
 *   Task input (after Parameters) and Task result (before ResultSelector): past it the execution
 *   fails with `States.DataLimitExceeded`, which no Retry or Catch (not even `States.ALL`) matches.
 *   Not observed: a Map's or Parallel's aggregated result *before* its ResultSelector/ResultPath (the
 *   engine does not expose it); it is checked once it is part of the state's output.
 * - 25,000 history events per execution, counted as Step Functions writes them (see
 *   {@link historyWeight}; a Map's iterations count in the parent's history, a child execution of
 *   `startExecution.sync` has its own): reaching it fails the execution with `States.Runtime`,
 *   uncatchable. AWS documents the cap and that the execution fails, not the error name: the
 *   stricter reading (uncatchable, like States.Runtime) is modelled.
 * - `TimeoutSeconds` of the state machine in virtual time: the execution ends `TIMED_OUT` (no Catch
 *   runs), every still-running child execution is stopped (`ABORTED`) and nothing of it runs after.
 * - Task `TimeoutSeconds`/`HeartbeatSeconds` (and their *Path forms) in virtual time, `States.Timeout` /
 *   `States.HeartbeatTimeout`; no timeout when unset (AWS's default is 99,999,999 s). The engine's own
 *   60 s *real-time* default is neutralised. No local task sends heartbeats, so a HeartbeatSeconds
 *   shorter than the task's run fails it (stricter reading; the workflows set none).
 * - Execution names: 1-80 characters of letters, digits, `-` and `_` (`InvalidName`), unique per
 *   state machine (`ExecutionAlreadyExists`).
 * - A stopped execution (failed, timed out, aborted, or `dispose()`d) stops its running `.sync`
 *   children (`ABORTED`), cancels its pending Waits and retry back-offs, and starts no further Task.
 *   A Map iteration or Parallel branch that the engine aborts (a sibling failed) stops its Task too.
 *
 * Distributed Map (`ItemProcessor.ProcessorConfig.Mode` DISTRIBUTED, docs/aws-behaviour.md §29), which
 * aws-local-stepfunctions would run inline: the runner runs it itself ({@link localDefinition} swaps
 * it for a local Task). The items come from `ItemsPath` or an `ItemReader` (`s3:getObject` of a JSON
 * array, read with the state machine role's credentials, so the sandbox's IAM applies; a failure is
 * `States.ItemReaderFailed`); the role must be allowed `states:StartExecution` on its own state
 * machine. Each item (after `ItemSelector`, with `$$.Map.Item.Value`/`Index`) starts one child
 * workflow execution (STANDARD) of the ItemProcessor, named `<state machine>/<Label>:<uuid>`, with
 * its own history, payload checks and 25,000-event cap; at most `MaxConcurrency` run at once. The
 * parent's history counts only MapStateEntered, MapRunStarted, MapRunSucceeded|Failed and
 * MapStateExited|Failed; transitions (what AWS bills) are the states the children enter. Failed,
 * timed-out or aborted children over `ToleratedFailurePercentage`/`ToleratedFailureCount` (default 0)
 * fail the Map with `States.ExceedToleratedFailureThreshold` and stop the children still running.
 * Not modelled (rejected when the definition is compiled): ItemBatcher, ResultWriter, EXPRESS
 * children, ReaderConfig other than JSON.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import './setup/network-guard';

/** One event of the engine's eventLogs (the type is not exported by aws-local-stepfunctions). */
type EventLog = { type: string; timestamp: number; state?: { name: string; type: string }; index?: number; Error?: string; Cause?: unknown };
import { authorize, type AwsSandbox, type SandboxCredentials, type VirtualClock } from '../simulator/index';
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
  /** MapRunStarted / MapRunSucceeded / MapRunFailed: the Map Run (`arn:aws:states:<region>:<account>:mapRun:<state machine>/<label>:<id>`). */
  readonly mapRunArn?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** Step Functions quotas the runner enforces (docs/aws-behaviour.md §18, §18a). */
export interface StepFunctionsLimits {
  /** Bytes of UTF-8 JSON per state input/output. @default 262144 (256 KiB) */
  readonly payloadBytes: number;
  /** History events per execution. @default 25000 */
  readonly historyEvents: number;
}
export const STEP_FUNCTIONS_LIMITS: StepFunctionsLimits = { payloadBytes: 262_144, historyEvents: 25_000 };

/**
 * The project's own budget per state input/output (issue 12): 64 KiB, a quarter of the 256 KiB
 * quota, so that no fleet size comes near `States.DataLimitExceeded`. Not an AWS limit: tests and
 * the bench assert it with {@link WorkflowRunnerOptions.payloadBudgetBytes} (fails the execution) or
 * {@link payloadBudgetFindings} (lists every execution over it).
 */
export const STATE_PAYLOAD_BUDGET_BYTES = 65_536;

/** The name of the error a run over {@link WorkflowRunnerOptions.payloadBudgetBytes} fails with (a sandbox check, not an AWS error). */
export const PAYLOAD_BUDGET_EXCEEDED = 'Sandbox.PayloadBudgetExceeded';

/**
 * Every execution (children included) whose largest state input/output, Task input or Task result
 * was over `budgetBytes`: `<state machine> <execution name>: <bytes> bytes at <state> <input|output>`.
 * Empty = every payload within the budget.
 */
export function payloadBudgetFindings(executions: readonly ExecutionRecord[], budgetBytes = STATE_PAYLOAD_BUDGET_BYTES): string[] {
  return executionTree(...executions)
    .filter((e) => e.maxPayloadBytes > budgetBytes)
    .map((e) => `${e.stateMachineName} ${e.name}: ${e.maxPayloadBytes} bytes at ${e.maxPayloadAt ?? '?'} (budget ${budgetBytes})`);
}

/** Execution names: 1-80 letters, digits, `-`, `_` (docs/aws-behaviour.md §18a). */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

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
  /** History events Step Functions would have written for this execution (see `historyWeight`). */
  historyEvents: number;
  /** Largest state input/output, Task input or Task result seen, in bytes of UTF-8 JSON. */
  maxPayloadBytes: number;
  /** The state whose payload was largest (`<state> input|output|task input|task result`). */
  maxPayloadAt?: string;
  readonly parentArn?: string;
  /**
   * Executions started by this execution's Tasks (`startExecution`), and also those started from its
   * Distributed Map's child workflow executions (so a BackupRun's children are its DatabaseBackup
   * executions whatever the Map's mode; such a child is in its Map Run child's `children` too). Each
   * child's `parentArn` is the execution that started it. Walk a run with {@link executionTree}.
   */
  readonly children: ExecutionRecord[];
  /** The child workflow executions of this execution's Distributed Map Runs (docs/aws-behaviour.md §29), each with its own history. */
  readonly mapRunExecutions: ExecutionRecord[];
  /** For a child workflow execution of a Distributed Map: the ARN of the execution whose Map Run started it. */
  readonly mapRunOf?: string;
  /** For a child workflow execution of a Distributed Map: its Map Run's ARN (what `ListExecutions` takes as `mapRunArn`). */
  readonly mapRunArn?: string;
}

/** Every execution of a run, each once: the execution, its Map Runs' child workflow executions, its children, recursively. */
export function executionTree(...roots: readonly ExecutionRecord[]): ExecutionRecord[] {
  const seen = new Set<ExecutionRecord>();
  const visit = (e: ExecutionRecord) => {
    if (seen.has(e)) return;
    seen.add(e);
    for (const m of e.mapRunExecutions) visit(m);
    for (const c of e.children) visit(c);
  };
  for (const r of roots) visit(r);
  return [...seen];
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

/** A Lambda handler as the Lambda service calls it: the event (`Payload`) and a context in, the result out. */
export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** What a {@link HandlerResolver} gets for a deployed function, on its first invocation. */
export interface HandlerRequest {
  /** The function as deployed (logical ID, `functions/<entry>/`, name, role, Region, timeout). */
  readonly fn: DeployedFunction;
  /**
   * Its environment: the template's variables, the runner's `extraEnvironment`, `AWS_REGION`,
   * `AWS_DEFAULT_REGION`, `AWS_LAMBDA_FUNCTION_NAME` and, when it bundles files, `LAMBDA_TASK_ROOT`.
   */
  readonly env: Record<string, string>;
  /** The function role's sandbox credentials (what Lambda gives the function in AWS). */
  readonly credentials: SandboxCredentials;
  /** The virtual clock's time (UTC). */
  readonly now: () => Date;
}

/**
 * Turns a deployed function into its handler; injected by whoever deploys the stacks into the
 * sandbox (`createLocalEnvironment` passes the project's, sandbox/harness/project-handlers.ts).
 * Called once per function (per runner); its rejection fails that invocation.
 */
export type HandlerResolver = (request: HandlerRequest) => Promise<LambdaHandler>;

/** Thrown when a Lambda Task runs on a runner that was given no {@link HandlerResolver}. */
export class NoHandlerResolver extends Error {
  constructor(fn: DeployedFunction) {
    super(`No handler resolver: the runner was created without resolveHandler, so functions/${fn.entry} (${fn.logicalId}) cannot run`);
    this.name = 'NoHandlerResolver';
  }
}

export interface WorkflowRunnerOptions {
  readonly sandbox: AwsSandbox;
  readonly clock: VirtualClock;
  readonly stacks: readonly DeployedStack[];
  /** Extra environment for every handler (e.g. POWERTOOLS_LOG_LEVEL). */
  readonly extraEnvironment?: Record<string, string>;
  /** Quotas to enforce. @default STEP_FUNCTIONS_LIMITS (AWS's); lower them only to test the runner itself. */
  readonly limits?: Partial<StepFunctionsLimits>;
  /**
   * The project's payload budget (e.g. {@link STATE_PAYLOAD_BUDGET_BYTES}): a state input/output,
   * Task input or Task result above it fails the execution at once with the uncatchable
   * {@link PAYLOAD_BUDGET_EXCEEDED}, naming the state (strict mode for tests and the bench).
   * @default - no budget (only AWS's 256 KiB quota)
   */
  readonly payloadBudgetBytes?: number;
  /**
   * Resolves each deployed function to its handler (see {@link HandlerResolver}).
   * @default - none: a Lambda Task fails with {@link NoHandlerResolver} (for runs without Lambda Tasks)
   */
  readonly resolveHandler?: HandlerResolver;
}

const LOCAL_WAIT = 'arn:aws:states:::sandbox:wait';
const LOCAL_DISTRIBUTED_MAP = 'arn:aws:states:::sandbox:distributedMap';

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

/**
 * An error no Retry and no Catch matches (`States.DataLimitExceeded`, the history cap): the engine
 * reads `isRetryable`/`isCatchable` on thrown errors.
 */
class UncatchableError extends TaskError {
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** Thrown by `startExecution` for a name that breaks the execution-name rules. */
export class InvalidName extends TaskError {
  constructor(name: string) {
    super('InvalidName', `Invalid Name: '${name}' (1-80 characters of letters, digits, '-' and '_')`);
  }
}

/** Thrown by `startExecution` for a name already used on the state machine. */
export class ExecutionAlreadyExists extends TaskError {
  constructor(arn: string) {
    super('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
  }
}

/** Bytes of the UTF-8 JSON of a value (what the 256 KiB quota measures). */
export function payloadBytes(value: unknown): number {
  const json = JSON.stringify(value);
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
}

/** What an engine run (root execution, Map iteration, Parallel branch) is, for history counting. */
type ScopeKind = 'root' | 'map' | 'branch';
interface Scope {
  readonly kind: ScopeKind;
  /** Aborted when the engine aborts this run (execution stopped, or a sibling iteration/branch failed). */
  readonly controller: AbortController;
  ended: boolean;
}
/** Per-execution state the engine hook and the Task handlers share. */
interface LiveExecution {
  readonly record: ExecutionRecord;
  readonly controller: AbortController;
  readonly compiled: CompiledMachine;
  /** Scope of the run that entered (or retried) a state last: the engine calls the Task handler synchronously after. */
  current?: Scope;
  abortEngine?: () => void;
  /** First fatal (uncatchable) error; it decides the record's error whatever the engine reports. */
  fatal?: { error: string; cause: string };
}
interface CompiledMachine {
  machine: StateMachine;
  states: Map<string, AslState>;
  retryOverrides: Record<string, number>;
  waitStates: Set<string>;
  syncTasks: Set<string>;
  /** Distributed Map states (run by the runner as local Tasks), by name. */
  distributedMaps: Set<string>;
  timeoutSeconds?: number;
}

/** Key in the engine's run options under which the runner's observer travels to nested runs. */
const OBSERVER = '__rsvObserver';
/** What the engine hook calls back into: the runner that started the run (all its state lives there). */
interface Observer {
  /** Whether a definition the engine runs is a Map item processor, a Parallel branch or a root definition. */
  scopeKind(definition: object): ScopeKind;
  /** Called synchronously for every event of every run (root, Map iteration, Parallel branch), possibly more than once for a forwarded event. */
  observe(event: EventLog & { state?: { name: string; type: string; input?: unknown; output?: unknown } }, scope: Scope): void;
}

/**
 * Hooks the engine's event dispatch so the runner sees every state's input and output
 * synchronously, before the next state starts, in root runs and in Map/Parallel runs alike.
 * aws-local-stepfunctions 3.0 exposes no such hook; `StateMachine.prototype.execute` receives the
 * run's event logger and run options (which carry the observer into nested runs). The patch is the
 * harness's one process-wide effect: idempotent, and stateless (a run without an observer in its
 * options runs untouched; everything else is the observing runner's).
 */
function hookEngine(): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const proto = StateMachine.prototype as unknown as { execute: (...args: any[]) => unknown; __rsvHooked?: boolean };
  if (proto.__rsvHooked) return;
  const original = proto.execute;
  proto.execute = function (this: { definition: object }, input: unknown, options: { runOptions?: Record<string, unknown>; eventLogger: { dispatch: (e: unknown) => void } }, cleanup: unknown) {
    const observer = options?.runOptions?.[OBSERVER] as Observer | undefined;
    if (observer) {
      const logger = options.eventLogger;
      const dispatch = logger.dispatch.bind(logger);
      const scope: Scope = { kind: observer.scopeKind(this.definition), controller: new AbortController(), ended: false };
      logger.dispatch = (event: unknown) => {
        observer.observe(event as never, scope);
        dispatch(event);
      };
    }
    return original.call(this, input, options, cleanup);
  };
  proto.__rsvHooked = true;
}

/** Largest TimeoutSeconds the engine's real-time `setTimeout` accepts (2^31-1 ms): the engine's own Task timeout is set to it, i.e. never. */
const ENGINE_TIMEOUT_NEVER = 2_147_483;

/**
 * Runs synthesized state machines locally (aws-local-stepfunctions) on the virtual clock, with Task
 * states routed to the real handlers, at least as strict as Step Functions on payload size (256 KiB),
 * history (25,000 events), timeouts and execution names (see the module comment and docs/sandbox.md).
 */
export class WorkflowRunner {
  readonly executions: ExecutionRecord[] = [];
  readonly lambdaFaults: LambdaFault[] = [];
  /** Lambda invocations, in order: function entry, virtual time, error name if it failed. */
  readonly invocations: Array<{ entry: string; functionName: string; at: string; error?: string }> = [];
  private readonly functions = new Map<string, DeployedFunction>();
  private readonly machines = new Map<string, DeployedStateMachine>();
  private readonly handlers = new Map<string, Promise<LambdaHandler>>();
  private readonly retryAttempts = new Map<string, number>();
  private executionSeq = 0;
  private readonly machinesCompiled = new Map<string, CompiledMachine>();
  private readonly live = new Map<string, LiveExecution>();
  private readonly names = new Map<string, Set<string>>();
  private readonly limits: StepFunctionsLimits;
  /** Item processors and branches of the definitions given to the engine, to tell a Map iteration from a Parallel branch. */
  private readonly mapProcessors = new WeakSet<object>();
  private readonly parallelBranches = new WeakSet<object>();
  /** Bytes of payload objects already measured (the engine does not mutate a state's result once passed on). */
  private readonly measured = new WeakMap<object, number>();
  /** Engine events already observed (nested runs' events are forwarded to the root logger too: each counts once, in its own run). */
  private readonly observedEvents = new WeakSet<object>();

  constructor(private readonly options: WorkflowRunnerOptions) {
    hookEngine();
    this.limits = { ...STEP_FUNCTIONS_LIMITS, ...options.limits };
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
   * Never rejects for a failed, timed-out or aborted execution: read `status`, `error`, `cause`.
   * `signal`: the execution is stopped (`ABORTED`) when it aborts (a `.sync` parent task stopping).
   * @throws StateMachineDoesNotExist, InvalidName (name not 1-80 of `[A-Za-z0-9_-]`),
   *   ExecutionAlreadyExists (name already used on this state machine). Source:
   *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
   */
  async startExecution(stateMachineArn: string, input: unknown, opts: { name?: string; parentArn?: string; signal?: AbortSignal; mapRunOf?: string; mapRunArn?: string } = {}): Promise<ExecutionRecord> {
    const sm = this.machines.get(stateMachineArn);
    if (!sm) throw new TaskError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const name = opts.name ?? `${sm.kind.toLowerCase()}-${String(++this.executionSeq).padStart(4, '0')}`;
    if (!EXECUTION_NAME.test(name)) throw new InvalidName(name);
    const executionArn = `arn:aws:states:${sm.region}:${sm.accountId}:execution:${sm.name}:${name}`;
    if (opts.signal?.aborted) throw new UncatchableError('States.Aborted', `Not started: the execution that would start '${executionArn}' has stopped`);
    const used = this.names.get(stateMachineArn) ?? new Set<string>();
    this.names.set(stateMachineArn, used);
    // Stricter than AWS's idempotent restart of a running STANDARD execution with the same name and input: always an error.
    if (used.has(name)) throw new ExecutionAlreadyExists(executionArn);
    used.add(name);
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
      historyEvents: 0,
      maxPayloadBytes: 0,
      parentArn: opts.parentArn,
      children: [],
      mapRunExecutions: [],
      ...(opts.mapRunOf !== undefined && { mapRunOf: opts.mapRunOf }),
      ...(opts.mapRunArn !== undefined && { mapRunArn: opts.mapRunArn }),
    };
    this.executions.push(record);
    if (opts.mapRunOf !== undefined) this.recordOf(opts.mapRunOf)?.mapRunExecutions.push(record);
    else if (opts.parentArn) {
      const parent = this.recordOf(opts.parentArn);
      parent?.children.push(record);
      // A child started from a Map Run's child workflow execution is listed under the execution that owns the Map Run too.
      let owner = parent;
      while (owner?.mapRunOf !== undefined) owner = this.recordOf(owner.mapRunOf);
      if (owner !== parent) owner?.children.push(record);
    }

    const compiled = this.compiled(sm);
    const live: LiveExecution = { record, controller: new AbortController(), compiled };
    this.live.set(executionArn, live);
    const onParentStop = () => this.stop(live, 'ABORTED', 'States.Aborted', 'Stopped because the execution that started it (startExecution.sync) stopped.');
    opts.signal?.addEventListener('abort', onParentStop, { once: true });
    // The state machine's TimeoutSeconds, in virtual time (the engine's copy has none: it would count real time).
    const timer = new AbortController();
    if (compiled.timeoutSeconds !== undefined) {
      const seconds = compiled.timeoutSeconds;
      this.options.clock.sleep(seconds, timer.signal).then(
        () => this.stop(live, 'TIMED_OUT', 'States.Timeout', `The execution ran longer than the state machine's TimeoutSeconds (${seconds} s).`),
        () => undefined,
      );
    }

    const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of compiled.states) localHandlers[stateName] = (taskInput: unknown) => this.runTask(sm, live, stateName, state, taskInput);
    const run = compiled.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: localHandlers as never, retryIntervalOverrides: compiled.retryOverrides },
      context: { Execution: { Id: executionArn, Name: name, RoleArn: sm.roleArn }, StateMachine: { Id: stateMachineArn, Name: sm.name } } as never,
      [OBSERVER]: {
        scopeKind: (definition) => (this.mapProcessors.has(definition) ? 'map' : this.parallelBranches.has(definition) ? 'branch' : 'root'),
        observe: (ev, scope) => {
          if (this.observedEvents.has(ev)) return;
          this.observedEvents.add(ev);
          this.observe(live, ev, scope);
        },
      } satisfies Observer,
    } as never);
    live.abortEngine = run.abort;
    const consume = (async () => {
      for await (const ev of run.eventLogs) this.record(record, compiled, ev);
    })();
    try {
      const output = await run.result;
      if (record.status === 'RUNNING') {
        if (live.fatal) this.finish(live, 'FAILED', live.fatal.error, live.fatal.cause);
        else {
          record.output = output;
          this.finish(live, 'SUCCEEDED');
        }
      }
    } catch (e) {
      await consume.catch(() => undefined);
      if (record.status === 'RUNNING') {
        const err = e as Error;
        const failed = [...record.events].reverse().find((x) => x.type === 'ExecutionFailed');
        const error = live.fatal?.error ?? failed?.error ?? err.name;
        const cause = live.fatal?.cause ?? failed?.cause ?? err.message;
        this.finish(live, 'FAILED', error, cause);
      }
    } finally {
      timer.abort();
      opts.signal?.removeEventListener('abort', onParentStop);
    }
    await consume.catch(() => undefined);
    return record;
  }

  /** The record of a running execution, else of any execution by ARN. */
  private recordOf(executionArn: string): ExecutionRecord | undefined {
    return this.live.get(executionArn)?.record ?? this.executions.find((e) => e.executionArn === executionArn);
  }

  /** Executions still running (started and not ended). */
  get running(): ExecutionRecord[] {
    return [...this.live.values()].map((l) => l.record);
  }

  /**
   * Stops every running execution (`ABORTED`), and with them their children, pending Waits and
   * retries: after it nothing of any execution makes a call. `dispose()` of the local environment calls it.
   */
  stopAll(reason = 'Stopped by the test harness (dispose).'): void {
    for (const live of [...this.live.values()]) this.stop(live, 'ABORTED', 'States.Aborted', reason);
  }

  /** Ends an execution from outside the engine (timeout, abort): no Catch runs, children are stopped. */
  private stop(live: LiveExecution, status: 'TIMED_OUT' | 'ABORTED', error: string, cause: string): void {
    if (live.record.status !== 'RUNNING') return;
    this.finish(live, status, error, cause);
    live.abortEngine?.();
  }

  /** Records the end of an execution and stops whatever of it still runs (its `.sync` children first). */
  private finish(live: LiveExecution, status: Exclude<ExecutionStatus, 'RUNNING'>, error?: string, cause?: string): void {
    const { record } = live;
    record.status = status;
    if (error !== undefined) record.error = error;
    if (cause !== undefined) record.cause = cause;
    record.stopDate = this.options.clock.iso();
    if (status === 'TIMED_OUT' || status === 'ABORTED') {
      record.historyEvents++;
      record.events.push({ seq: record.events.length + 1, at: record.stopDate, type: status === 'TIMED_OUT' ? 'ExecutionTimedOut' : 'ExecutionAborted', error, cause });
    }
    this.live.delete(record.executionArn);
    live.controller.abort(new TaskError('States.Aborted', `Execution ${record.executionArn} ended ${status}`));
  }

  /**
   * Sees every engine event synchronously (see hookEngine): counts history events and enforces the
   * payload and history quotas before the next state runs.
   */
  private observe(live: LiveExecution, ev: EventLog & { state?: { name: string; type: string; input?: unknown; output?: unknown } }, scope: Scope): void {
    const { record, compiled } = live;
    if (ev.type === 'ExecutionAborted') {
      if (!scope.ended) scope.controller.abort(new TaskError('States.Aborted', 'Map iteration or Parallel branch aborted'));
      scope.ended = true;
      return;
    }
    if (ev.type === 'ExecutionSucceeded' || ev.type === 'ExecutionFailed') scope.ended = true;
    if (ev.type === 'StateEntered' || ev.type === 'StateRetried') live.current = scope;
    record.historyEvents += historyWeight(ev, scope.kind, compiled);
    if (record.status !== 'RUNNING') return;
    if (ev.type === 'StateEntered' || ev.type === 'StateExited') {
      const which = ev.type === 'StateEntered' ? 'input' : 'output';
      this.checkPayload(live, ev.state?.[which], `${ev.state?.name} ${which}`);
    }
    if (record.historyEvents >= this.limits.historyEvents && !live.fatal) {
      const cause = `The execution history reached ${this.limits.historyEvents} events, the Step Functions quota (docs/aws-behaviour.md §18).`;
      if (ev.type === 'ExecutionSucceeded' || ev.type === 'ExecutionFailed') {
        // The cap reached on an end event (of the execution, a Map iteration or a Parallel branch):
        // throwing from the engine's own end event would leave its result unsettled and the run would
        // never return. Record the failure instead; an inner scope's end is followed by more states,
        // so stop the engine too (its rejection then finishes the execution FAILED with this error).
        live.fatal = { error: 'States.Runtime', cause };
        if (scope.kind !== 'root') queueMicrotask(() => live.abortEngine?.());
        return;
      }
      this.fatal(live, 'States.Runtime', cause);
    }
  }

  /** Measures a payload; past the quota, fails the execution with the uncatchable `States.DataLimitExceeded`. */
  private checkPayload(live: LiveExecution, value: unknown, where: string): void {
    // A state's output is the next state's input (the same object): measure each object once.
    let bytes: number;
    if (value !== null && typeof value === 'object') {
      const known = this.measured.get(value);
      bytes = known ?? payloadBytes(value);
      if (known === undefined) this.measured.set(value, bytes);
    } else bytes = payloadBytes(value);
    const { record } = live;
    if (bytes > record.maxPayloadBytes) {
      record.maxPayloadBytes = bytes;
      record.maxPayloadAt = where;
    }
    if (bytes > this.limits.payloadBytes && !live.fatal) {
      this.fatal(live, 'States.DataLimitExceeded', `The state/task '${where}' has ${bytes} bytes, more than the ${this.limits.payloadBytes}-byte quota (docs/aws-behaviour.md §18a).`);
    }
    const budget = this.options.payloadBudgetBytes;
    if (budget !== undefined && bytes > budget && !live.fatal) {
      this.fatal(live, PAYLOAD_BUDGET_EXCEEDED, `The state/task '${where}' has ${bytes} bytes, more than the project's ${budget}-byte budget per state (issue 12; AWS's quota is ${this.limits.payloadBytes}).`);
    }
  }

  private fatal(live: LiveExecution, error: string, cause: string): never {
    live.fatal = { error, cause };
    throw new UncatchableError(error, cause);
  }

  /**
   * The engine's StateMachine for a definition, built once (its constructor validates the ASL,
   * ~100 ms; the definitions were validated with asl-validator at deploy).
   */
  private compiled(sm: DeployedStateMachine): CompiledMachine {
    let c = this.machinesCompiled.get(sm.arn);
    if (!c) {
      const definition = localDefinition(sm.definition);
      const states = new Map<string, AslState>();
      const retryOverrides: Record<string, number> = {};
      const waitStates = new Set<string>();
      const syncTasks = new Set<string>();
      const distributedMaps = new Set<string>();
      forEachState(definition, (stateName, state) => {
        if (state.Retry) retryOverrides[stateName] = 0;
        if (state.Resource === LOCAL_DISTRIBUTED_MAP) {
          distributedMaps.add(stateName);
          this.registerMapRunMachine(sm, stateName, state);
        }
        if (state.Type === 'Task') states.set(stateName, state);
        if (state.Resource === LOCAL_WAIT) waitStates.add(stateName);
        if (/\.sync(:2)?$/.test(String(state.Resource ?? ''))) syncTasks.add(stateName);
        if (state.ItemProcessor) this.mapProcessors.add(state.ItemProcessor);
        if (state.Iterator) this.mapProcessors.add(state.Iterator);
        for (const b of state.Branches ?? []) this.parallelBranches.add(b);
      });
      const timeoutSeconds = typeof definition.TimeoutSeconds === 'number' ? definition.TimeoutSeconds : undefined;
      delete definition.TimeoutSeconds;
      const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
      c = { machine, states, retryOverrides, waitStates, syncTasks, distributedMaps, timeoutSeconds };
      this.machinesCompiled.set(sm.arn, c);
    }
    return c;
  }

  private record(record: ExecutionRecord, compiled: CompiledMachine, ev: EventLog): void {
    if (record.status !== 'RUNNING' && (ev.type === 'ExecutionAborted' || ev.type === 'ExecutionTimeout')) return;
    const base = { seq: record.events.length + 1, at: this.options.clock.iso(), type: ev.type };
    const e = ev as EventLog & { state?: { name: string; type: string }; index?: number; Error?: string; Cause?: unknown };
    const stateType = e.state?.type === 'Task' && compiled.waitStates.has(e.state.name) ? 'Wait' : e.state?.type === 'Task' && compiled.distributedMaps.has(e.state.name) ? 'Map' : e.state?.type;
    record.events.push({
      ...base,
      ...(e.state ? { state: e.state.name, stateType } : {}),
      ...(typeof e.index === 'number' ? { index: e.index } : {}),
      ...(e.Error !== undefined ? { error: e.Error, cause: typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause) } : {}),
    });
    if (ev.type === 'StateEntered' || ev.type === 'StateRetried') record.transitions++;
  }

  private async runTask(sm: DeployedStateMachine, live: LiveExecution, stateName: string, state: AslState, input: unknown): Promise<unknown> {
    const { record } = live;
    // The scope the engine entered this Task in (set synchronously by observe() just before this call).
    const scope = live.current;
    const signal = scope ? AbortSignal.any([live.controller.signal, scope.controller.signal]) : live.controller.signal;
    if (signal.aborted) throw new UncatchableError('States.Aborted', 'The execution, Map iteration or Parallel branch was stopped');
    this.checkPayload(live, input, `${stateName} task input`);
    const resource = String(state.Resource);
    const key = `${record.executionArn}|${stateName}|${JSON.stringify(input)}`;
    try {
      const result = await this.withTaskTimeout(state, input, signal, (taskSignal) => this.dispatch(sm, live, stateName, state, resource, input, taskSignal));
      this.retryAttempts.delete(key);
      if (signal.aborted) throw new UncatchableError('States.Aborted', 'The execution, Map iteration or Parallel branch was stopped');
      if (resource !== LOCAL_WAIT) this.checkPayload(live, result, `${stateName} task result`);
      return result;
    } catch (e) {
      const err = e as Error & { isRetryable?: boolean };
      if (err.isRetryable === false || signal.aborted) throw err;
      // Take the retry back-off in virtual time before the engine retries (it waits 0 ms).
      const retrier = (state.Retry ?? []).find((r) => r.ErrorEquals.includes(err.name) || r.ErrorEquals.includes('States.ALL'));
      const attempt = this.retryAttempts.get(key) ?? 0;
      if (retrier && attempt < (retrier.MaxAttempts ?? 3)) {
        this.retryAttempts.set(key, attempt + 1);
        const interval = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt);
        await this.options.clock.sleep(Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY), signal);
      } else {
        this.retryAttempts.delete(key);
      }
      throw err;
    }
  }

  /**
   * Runs a Task's work under its TimeoutSeconds/HeartbeatSeconds in virtual time (`States.Timeout`,
   * `States.HeartbeatTimeout`); unset = AWS's default of 99,999,999 s, i.e. no timer at all. The work
   * gets a signal that aborts on timeout or when the execution/iteration stops (a `.sync` child then stops).
   * Source: https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
   */
  private async withTaskTimeout<T>(state: AslState, input: unknown, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const spec = (state as unknown as { __timeouts?: TaskTimeouts }).__timeouts;
    const timeout = spec ? secondsOf(spec.TimeoutSeconds, spec.TimeoutSecondsPath, input) : undefined;
    const heartbeat = spec ? secondsOf(spec.HeartbeatSeconds, spec.HeartbeatSecondsPath, input) : undefined;
    if (timeout === undefined && heartbeat === undefined) return work(signal);
    const [seconds, error] = heartbeat !== undefined && (timeout === undefined || heartbeat < timeout) ? [heartbeat, 'States.HeartbeatTimeout'] : [timeout as number, 'States.Timeout'];
    const taskStop = new AbortController();
    const taskSignal = AbortSignal.any([signal, taskStop.signal]);
    const timer = new AbortController();
    const timedOut = this.options.clock.sleep(seconds, AbortSignal.any([timer.signal, signal])).then(() => {
      const err = new TaskError(error, `The Task ran longer than its ${error === 'States.Timeout' ? 'TimeoutSeconds' : 'HeartbeatSeconds'} (${seconds} s, virtual time).`);
      taskStop.abort(err);
      throw err;
    });
    try {
      return await Promise.race([work(taskSignal), timedOut]);
    } finally {
      timer.abort();
      timedOut.catch(() => undefined);
    }
  }

  private async dispatch(sm: DeployedStateMachine, live: LiveExecution, stateName: string, state: AslState, resource: string, input: unknown, signal: AbortSignal): Promise<unknown> {
    const { record } = live;
    if (resource === LOCAL_WAIT) {
      await this.options.clock.sleep(waitSeconds(state, input, this.options.clock.now()), signal);
      return input;
    }
    if (resource === LOCAL_DISTRIBUTED_MAP) return this.runMapRun(sm, live, stateName, state, input, signal);
    if (/^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:/.test(resource)) return this.options.clock.busy(() => this.invokeLambda(resource, input));
    if (/^arn:aws[\w-]*:states:::lambda:invoke$/.test(resource)) {
      const p = input as { FunctionName: string; Payload: unknown };
      const payload = await this.options.clock.busy(() => this.invokeLambda(p.FunctionName, p.Payload));
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
    }
    if (/^arn:aws[\w-]*:states:::states:startExecution\.sync(:2)?$/.test(resource)) {
      const p = input as { StateMachineArn: string; Input: unknown; Name?: string };
      const childInput = typeof p.Input === 'string' ? JSON.parse(p.Input) : p.Input;
      let child: ExecutionRecord;
      try {
        // The child stops (ABORTED) when this Task stops: parent stopped, Task timed out, iteration aborted.
        child = await this.startExecution(p.StateMachineArn, childInput, { name: p.Name, parentArn: record.executionArn, signal });
      } catch (e) {
        const err = e as Error & { isRetryable?: boolean };
        if (err.isRetryable === false) throw err;
        // Service integration errors are named StepFunctions.<Exception>: https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
        throw new TaskError(`StepFunctions.${err.name}${err.name.endsWith('Exception') ? '' : 'Exception'}`, err.message);
      }
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

  /** Registers the state machine a Distributed Map's child workflow executions run: `<name>/<Label or state name>`. */
  private registerMapRunMachine(sm: DeployedStateMachine, stateName: string, state: AslState): void {
    const spec = (state as unknown as { __distributed: DistributedSpec }).__distributed;
    const label = spec.Label ?? stateName;
    const arn = `${sm.arn}/${label}`;
    if (this.machines.has(arn)) return;
    this.machines.set(arn, { ...sm, logicalId: `${sm.logicalId}/${label}`, name: `${sm.name}/${label}`, arn, kind: `${sm.kind}/${stateName}`, definition: spec.processor });
  }

  /**
   * The state machine role's identity policies allow this call (docs/aws-behaviour.md §29)?
   * @returns undefined when allowed, else AWS's denial message
   */
  private roleDenial(sm: DeployedStateMachine, action: string, resource: string): string | undefined {
    const role = this.options.sandbox.iam.getRole(sm.roleArn);
    const caller = `arn:aws:sts::${sm.accountId}:assumed-role/${sm.roleArn.split('/').pop()}/states`;
    if (!role) return `User: ${caller} is not authorized to perform: ${action} on resource: ${resource} (the role does not exist)`;
    const why = authorize({
      caller: { kind: 'role', principal: { accountId: role.accountId, arn: role.arn, sessionArn: caller }, policies: role.policies },
      request: { action, resource, context: { 'aws:PrincipalArn': role.arn, 'aws:PrincipalAccount': role.accountId, 'aws:SecureTransport': 'true' } },
      resourceAccountId: sm.accountId,
      explainDenial: false,
    });
    return why === undefined ? undefined : `User: ${caller} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
  }

  /** The items of a Map Run: `ItemsPath` of the state input, or the JSON array an ItemReader reads from S3. */
  private async mapRunItems(sm: DeployedStateMachine, live: LiveExecution, spec: DistributedSpec, input: unknown): Promise<unknown[]> {
    if (!spec.ItemReader) {
      const items = readPath(input, spec.ItemsPath ?? '$');
      if (!Array.isArray(items)) throw new UncatchableError('States.Runtime', `The ItemsPath '${spec.ItemsPath ?? '$'}' must point to a JSON array, got ${items === undefined ? 'nothing' : typeof items}`);
      return items;
    }
    const reader = spec.ItemReader;
    const context = { Execution: { Id: live.record.executionArn, Name: live.record.name, Input: live.record.input }, StateMachine: { Id: sm.arn, Name: sm.name } };
    const p = resolveTemplate(reader.Parameters ?? {}, input, context) as { Bucket?: unknown; Key?: unknown; VersionId?: unknown };
    if (typeof p.Bucket !== 'string' || typeof p.Key !== 'string') throw new TaskError('States.ItemReaderFailed', 'The ItemReader Parameters must give a Bucket and a Key (strings)');
    const client = new S3Client({ region: sm.region, credentials: this.options.sandbox.credentialsFor(sm.roleArn) });
    let text: string;
    try {
      const out = await this.options.clock.busy(() => client.send(new GetObjectCommand({ Bucket: p.Bucket as string, Key: p.Key as string, ...(typeof p.VersionId === 'string' && { VersionId: p.VersionId }) })));
      text = (await out.Body?.transformToString('utf8')) ?? '';
    } catch (e) {
      const err = e as Error;
      throw new TaskError('States.ItemReaderFailed', `Could not read s3://${p.Bucket}/${p.Key}: ${err.name}: ${err.message}`);
    }
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      throw new TaskError('States.ItemReaderFailed', `s3://${p.Bucket}/${p.Key} is not JSON`);
    }
    if (!Array.isArray(items)) throw new TaskError('States.ItemReaderFailed', `s3://${p.Bucket}/${p.Key} is not a JSON array (ReaderConfig InputType JSON)`);
    const max = numberOf(reader.ReaderConfig?.MaxItems, reader.ReaderConfig?.MaxItemsPath, input, 0, 'MaxItems');
    return max > 0 ? items.slice(0, max) : items;
  }

  /**
   * Runs a Distributed Map's Map Run (docs/aws-behaviour.md §29): one child workflow execution per
   * item, at most MaxConcurrency at once, each with its own history; fails with
   * `States.ExceedToleratedFailureThreshold` past the tolerated failures, stopping the children still
   * running. @returns the children's outputs in item order (a failed child's `{ Error, Cause }`)
   */
  private async runMapRun(sm: DeployedStateMachine, live: LiveExecution, stateName: string, state: AslState, input: unknown, signal: AbortSignal): Promise<unknown[]> {
    const { record } = live;
    const spec = (state as unknown as { __distributed: DistributedSpec }).__distributed;
    const denied = this.roleDenial(sm, 'states:StartExecution', sm.arn);
    // AWS does not document the error of a Map Run its role may not start: the stricter reading, uncatchable.
    if (denied) throw new UncatchableError('States.Runtime', `The Map Run could not start child workflow executions: ${denied}`);
    const items = await this.mapRunItems(sm, live, spec, input);
    const maxConcurrency = mapRunConcurrency(spec, input) || DISTRIBUTED_MAX_CONCURRENCY;
    const toleratedPct = numberOf(spec.ToleratedFailurePercentage, spec.ToleratedFailurePercentagePath, input, 0, 'ToleratedFailurePercentage');
    const toleratedCount = numberOf(spec.ToleratedFailureCount, spec.ToleratedFailureCountPath, input, 0, 'ToleratedFailureCount');
    const childArn = `${sm.arn}/${spec.Label ?? stateName}`;
    // Map Run ARN: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html
    const mapRunArn = `arn:aws:states:${sm.region}:${sm.accountId}:mapRun:${sm.name}/${spec.Label ?? stateName}:${randomUUID()}`;
    const event = (type: string, extra: Partial<HistoryEvent> = {}) => record.events.push({ seq: record.events.length + 1, at: this.options.clock.iso(), type, state: stateName, stateType: 'Map', mapRunArn, ...extra });
    event('MapRunStarted');
    const stop = new AbortController();
    const childSignal = AbortSignal.any([signal, stop.signal]);
    setMaxListeners(0, childSignal); // one listener per running child (up to MaxConcurrency)
    const outputs: unknown[] = new Array(items.length);
    let failed = 0;
    let exceeded: string | undefined;
    let next = 0;
    const context = { Execution: { Id: record.executionArn, Name: record.name, Input: record.input, RoleArn: sm.roleArn }, StateMachine: { Id: sm.arn, Name: sm.name }, State: { Name: stateName } };
    const worker = async () => {
      while (next < items.length && exceeded === undefined && !childSignal.aborted) {
        const index = next++;
        const childInput = spec.ItemSelector === undefined ? items[index] : resolveTemplate(spec.ItemSelector, input, { ...context, Map: { Item: { Index: index, Value: items[index] } } });
        const bytes = payloadBytes(childInput);
        if (bytes > this.limits.payloadBytes) {
          this.fatal(live, 'States.DataLimitExceeded', `Item ${index} of the Map Run '${stateName}' is ${bytes} bytes, more than the ${this.limits.payloadBytes}-byte quota of an execution input (docs/aws-behaviour.md §18a, §29).`);
        }
        const child = await this.startExecution(childArn, childInput, { name: randomUUID(), parentArn: record.executionArn, signal: childSignal, mapRunOf: record.executionArn, mapRunArn });
        if (child.status === 'SUCCEEDED') {
          outputs[index] = child.output;
          continue;
        }
        outputs[index] = { Error: child.error, Cause: child.cause };
        if (signal.aborted) return;
        failed++;
        // Failed, timed-out (and, stricter, aborted) children count against the threshold, over all items.
        if (failed > toleratedCount && failed * 100 > toleratedPct * items.length && exceeded === undefined) {
          exceeded = `The Map Run '${stateName}' failed: ${failed} of ${items.length} child workflow executions failed, more than the tolerated ${toleratedCount} (count) and ${toleratedPct}% (docs/aws-behaviour.md §29). Last: ${child.error ?? ''}: ${(child.cause ?? '').slice(0, 500)}`;
          stop.abort(new TaskError('States.Aborted', 'The Map Run failed'));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(maxConcurrency, items.length) }, worker));
    } catch (e) {
      stop.abort(e);
      event('MapRunFailed', { error: (e as Error).name, cause: (e as Error).message });
      throw e;
    }
    if (exceeded !== undefined) {
      event('MapRunFailed', { error: 'States.ExceedToleratedFailureThreshold', cause: exceeded });
      throw new TaskError('States.ExceedToleratedFailureThreshold', exceeded);
    }
    if (signal.aborted) throw new UncatchableError('States.Aborted', 'The execution was stopped during the Map Run');
    event('MapRunSucceeded');
    return outputs;
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

  private handlerFor(fn: DeployedFunction): Promise<LambdaHandler> {
    let h = this.handlers.get(fn.arn);
    if (!h) {
      h = (async () => {
        const resolve = this.options.resolveHandler;
        if (!resolve) throw new NoHandlerResolver(fn);
        const env: Record<string, string> = {
          ...fn.environment,
          ...this.options.extraEnvironment,
          AWS_REGION: fn.region,
          AWS_DEFAULT_REGION: fn.region,
          AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
          ...(fn.taskRoot !== undefined && { LAMBDA_TASK_ROOT: fn.taskRoot }),
        };
        return resolve({ fn, env, credentials: this.options.sandbox.credentialsFor(fn.roleArn), now: () => this.options.clock.now() });
      })();
      this.handlers.set(fn.arn, h);
    }
    return h;
  }
}

// ------------------------------------------------------------------ Distributed Map

/** Thrown when a definition uses what Step Functions rejects, or what the runner does not model, in a Distributed Map. */
export class InvalidDistributedMap extends Error {
  constructor(state: string, why: string) {
    super(`Distributed Map '${state}': ${why}`);
    this.name = 'InvalidDistributedMap';
  }
}

/** A Distributed Map's fields, kept aside on the local Task that replaces it. */
interface DistributedSpec {
  readonly ItemsPath?: string;
  readonly ItemReader?: { Resource: string; ReaderConfig?: { InputType?: string; MaxItems?: number; MaxItemsPath?: string }; Parameters?: Record<string, unknown> };
  readonly ItemSelector?: unknown;
  readonly MaxConcurrency?: number;
  readonly MaxConcurrencyPath?: string;
  readonly ToleratedFailurePercentage?: number;
  readonly ToleratedFailurePercentagePath?: string;
  readonly ToleratedFailureCount?: number;
  readonly ToleratedFailureCountPath?: string;
  readonly Label?: string;
  /** The ItemProcessor as a state machine definition (`StartAt`, `States`). */
  readonly processor: Record<string, unknown>;
}

/** Fields a JSONPath Distributed Map state may have (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html). */
const DISTRIBUTED_MAP_FIELDS = new Set([
  'Type', 'Comment', 'Next', 'End', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Parameters', 'ItemsPath', 'ItemReader', 'ItemSelector',
  'ItemBatcher', 'ResultWriter', 'MaxConcurrency', 'MaxConcurrencyPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath',
  'ToleratedFailureCount', 'ToleratedFailureCountPath', 'Label', 'ItemProcessor', 'Retry', 'Catch', 'QueryLanguage',
]);
const ITEM_PROCESSOR_FIELDS = new Set(['ProcessorConfig', 'StartAt', 'States', 'Comment']);
const ITEM_READER_FIELDS = new Set(['Resource', 'ReaderConfig', 'Parameters']);
/** Distributed Map defaults: MaxConcurrency 0 = up to 10,000 child executions at once (docs/aws-behaviour.md §29). */
const DISTRIBUTED_MAX_CONCURRENCY = 10_000;

function isDistributed(state: AslState): boolean {
  const config = (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig;
  return config?.Mode === 'DISTRIBUTED';
}

/**
 * Turns a Distributed Map into a local Task the runner runs ({@link WorkflowRunner}'s Map Run), keeping
 * InputPath, ResultSelector, ResultPath, OutputPath, Retry, Catch and Next/End, after checking the
 * fields as Step Functions does.
 * @throws InvalidDistributedMap for a field Step Functions does not accept, ItemsPath with ItemReader, a
 *   bad Label or tolerance, or what the runner does not model (ItemBatcher, ResultWriter, EXPRESS
 *   children, ReaderConfig other than JSON from `s3:getObject`)
 */
function localDistributedMap(name: string, state: AslState): void {
  const bad = (why: string): never => {
    throw new InvalidDistributedMap(name, why);
  };
  for (const k of Object.keys(state)) if (!DISTRIBUTED_MAP_FIELDS.has(k)) bad(`unknown field '${k}'`);
  if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONPath') bad('only JSONPath is supported by the local runner');
  const processor = state.ItemProcessor as unknown as Record<string, unknown> & { ProcessorConfig: { Mode: string; ExecutionType?: string } };
  for (const k of Object.keys(processor)) if (!ITEM_PROCESSOR_FIELDS.has(k)) bad(`unknown ItemProcessor field '${k}'`);
  for (const k of Object.keys(processor.ProcessorConfig)) if (k !== 'Mode' && k !== 'ExecutionType') bad(`unknown ProcessorConfig field '${k}'`);
  if ((processor.ProcessorConfig.ExecutionType ?? 'STANDARD') !== 'STANDARD') bad('only STANDARD child executions are modelled by the local runner');
  if (state.ItemsPath !== undefined && state.ItemReader !== undefined) bad('ItemsPath and ItemReader are mutually exclusive');
  if (state.ItemBatcher !== undefined || state.ResultWriter !== undefined) bad('ItemBatcher and ResultWriter are not modelled by the local runner');
  if (state.Parameters !== undefined && state.ItemSelector !== undefined) bad('Parameters (deprecated) and ItemSelector are mutually exclusive');
  const reader = state.ItemReader as DistributedSpec['ItemReader'];
  if (reader) {
    for (const k of Object.keys(reader)) if (!ITEM_READER_FIELDS.has(k)) bad(`unknown ItemReader field '${k}'`);
    if (!/^arn:aws[\w-]*:states:::s3:getObject$/.test(reader.Resource) || (reader.ReaderConfig?.InputType ?? '') !== 'JSON') {
      bad('the local runner models only an ItemReader of s3:getObject with ReaderConfig.InputType JSON');
    }
  }
  const pct = state.ToleratedFailurePercentage;
  if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100)) bad('ToleratedFailurePercentage must be a number from 0 to 100');
  const count = state.ToleratedFailureCount;
  if (count !== undefined && (!Number.isInteger(count) || (count as number) < 0)) bad('ToleratedFailureCount must be a non-negative integer');
  const mc = state.MaxConcurrency;
  if (mc !== undefined && (!Number.isInteger(mc) || (mc as number) < 0)) bad('MaxConcurrency must be a non-negative integer');
  // docs/aws-behaviour.md §36: one or the other (AWS's definition validation rejects both).
  if (mc !== undefined && state.MaxConcurrencyPath !== undefined) bad('MaxConcurrency and MaxConcurrencyPath are mutually exclusive');
  const mcp = state.MaxConcurrencyPath;
  if (mcp !== undefined && (typeof mcp !== 'string' || !mcp.startsWith('$'))) bad(`MaxConcurrencyPath must be a reference path ('$...'), got ${JSON.stringify(mcp)}`);
  const label = state.Label;
  if (label !== undefined && (typeof label !== 'string' || label.length > 40 || !/^[^\s?*<>{}[\]:;,\\|^~$#%&`"/]+$/.test(label))) bad(`Label '${String(label)}' must be 1-40 characters without whitespace or ? * < > { } [ ] : ; , \\ | ^ ~ $ # % & \` " /`);
  const { ProcessorConfig: _mode, ...definition } = processor;
  const spec: DistributedSpec = {
    ItemsPath: state.ItemsPath as string | undefined,
    ItemReader: reader,
    ItemSelector: state.ItemSelector ?? state.Parameters,
    MaxConcurrency: mc as number | undefined,
    MaxConcurrencyPath: state.MaxConcurrencyPath as string | undefined,
    ToleratedFailurePercentage: pct as number | undefined,
    ToleratedFailurePercentagePath: state.ToleratedFailurePercentagePath as string | undefined,
    ToleratedFailureCount: count as number | undefined,
    ToleratedFailureCountPath: state.ToleratedFailureCountPath as string | undefined,
    Label: label as string | undefined,
    processor: structuredClone(definition),
  };
  for (const k of Object.keys(state)) if (!['Type', 'Comment', 'Next', 'End', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Retry', 'Catch'].includes(k)) delete state[k];
  state.Type = 'Task';
  state.Resource = LOCAL_DISTRIBUTED_MAP;
  state.TimeoutSeconds = ENGINE_TIMEOUT_NEVER;
  Object.defineProperty(state, '__distributed', { value: spec, enumerable: false });
}

/**
 * Evaluates a JSONPath payload template (ItemSelector, ItemReader Parameters): `key.$` takes a
 * reference path into the input (`$...`) or the context object (`$$...`). A path that matches nothing
 * fails with `States.Runtime`, as Step Functions does. Intrinsic functions are not modelled here.
 */
function resolveTemplate(template: unknown, input: unknown, context: unknown): unknown {
  if (Array.isArray(template)) return template.map((t) => resolveTemplate(t, input, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(template)) {
    if (!k.endsWith('.$')) {
      out[k] = resolveTemplate(v, input, context);
      continue;
    }
    if (typeof v !== 'string' || !v.startsWith('$')) throw new UncatchableError('States.Runtime', `The value of '${k}' must be a path, got ${JSON.stringify(v)}`);
    const value = v.startsWith('$$') ? readPath(context, v.slice(1)) : readPath(input, v);
    if (value === undefined) throw new UncatchableError('States.Runtime', `The JSONPath '${v}' specified for the field '${k}' could not be found in the ${v.startsWith('$$') ? 'context object' : 'input'}`);
    out[k.slice(0, -2)] = value;
  }
  return out;
}

/** A whole number from a literal or a reference path; `fallback` when neither is set. */
/**
 * A Map Run's MaxConcurrency (docs/aws-behaviour.md §29, §36): the literal, or the value
 * `MaxConcurrencyPath` selects from the state input; 0 (as the literal) = no limit. The value must be a
 * JSON integer from 0 to 10,000 (the Distributed Map's most child executions at once). AWS does not
 * document the failure for a path that selects nothing, a non-integer, a negative number, a string
 * or a value above 10,000: the stricter reading is modelled, each fails the state with the
 * uncatchable `States.Runtime` (as AWS fails a reference path it cannot apply), no Map Run starts.
 */
function mapRunConcurrency(spec: Pick<DistributedSpec, 'MaxConcurrency' | 'MaxConcurrencyPath'>, input: unknown): number {
  if (spec.MaxConcurrency !== undefined) return spec.MaxConcurrency;
  if (spec.MaxConcurrencyPath === undefined) return 0;
  const v = readPath(input, spec.MaxConcurrencyPath);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > DISTRIBUTED_MAX_CONCURRENCY) {
    throw new UncatchableError(
      'States.Runtime',
      `The MaxConcurrencyPath '${spec.MaxConcurrencyPath}' must select an integer from 0 to ${DISTRIBUTED_MAX_CONCURRENCY} in the state input, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
    );
  }
  return v;
}

function numberOf(literal: number | undefined, path: string | undefined, input: unknown, fallback: number, what: string): number {
  if (literal !== undefined) return literal;
  if (path === undefined) return fallback;
  const v = readPath(input, path);
  if (typeof v !== 'number' || v < 0) throw new UncatchableError('States.Runtime', `${what} path '${path}' must point to a non-negative number, got ${JSON.stringify(v)}`);
  return v;
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

/** Calls `fn` for every state, including those inside Map item processors and Parallel branches. */
export function forEachState(definition: { States: Record<string, AslState> }, fn: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States)) {
    fn(name, state);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) forEachState(inner, fn);
    for (const b of state.Branches ?? []) forEachState(b, fn);
  }
}

/** A Task's timeouts as the definition gives them (the engine's copy has them neutralised). */
interface TaskTimeouts {
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
}

/** Seconds from a literal or a reference path into the task input; undefined when neither is set. */
function secondsOf(literal: number | undefined, path: string | undefined, input: unknown): number | undefined {
  if (typeof literal === 'number') return literal;
  if (path === undefined) return undefined;
  const v = readPath(input, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TaskError('States.Runtime', `'${path}' must point to a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * History events Step Functions writes for one engine event, so `historyEvents` approximates the
 * real count (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * - execution started / succeeded / failed: 1 each (timed out / aborted: 1, added when it stops);
 * - every state: `<Type>StateEntered` + `<Type>StateExited` (a Fail state only Entered; a caught
 *   error adds the Exited); a Wait (run locally as a Task) counts as a Wait;
 * - a Task adds, per attempt, Scheduled + Started + Succeeded/Failed (3), a `.sync` Task also
 *   `TaskSubmitted` (4); a retry adds the next attempt's events, nothing for the retry itself;
 * - a Map / Parallel adds `MapStateStarted` + `MapStateSucceeded|Failed` (Parallel likewise);
 *   each Map iteration adds `MapIterationStarted` + `MapIterationSucceeded|Failed` and its states'
 *   events (all in the parent's history); Parallel branches have no events of their own;
 * - a Distributed Map (docs/aws-behaviour.md §29) adds MapStateEntered, MapRunStarted,
 *   MapRunSucceeded|Failed, MapStateExited|Failed and nothing of its items: each child workflow
 *   execution has its own history.
 */
function historyWeight(ev: EventLog & { state?: { name: string; type: string } }, scope: ScopeKind, c: CompiledMachine): number {
  const name = ev.state?.name ?? '';
  if (c.distributedMaps.has(name)) {
    // A Distributed Map (a local Task here): MapStateEntered + MapRunStarted, MapRunSucceeded +
    // MapStateExited, or MapRunFailed + MapStateFailed; its children's events are in their own histories.
    return ev.type === 'StateEntered' || ev.type === 'StateExited' || ev.type === 'StateFailed' ? 2 : ev.type === 'StateCaught' ? 1 : 0;
  }
  const isWait = c.waitStates.has(name);
  const task = ev.state?.type === 'Task' && !isWait ? (c.syncTasks.has(name) ? 4 : 3) : 0;
  const container = ev.state?.type === 'Map' || ev.state?.type === 'Parallel' ? 1 : 0;
  switch (ev.type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
      return scope === 'branch' ? 0 : 1;
    case 'StateEntered':
      return 1 + container;
    case 'StateExited':
      return 1 + task + container;
    case 'StateFailed':
      return task + container;
    case 'StateCaught':
      return 1;
    default:
      return 0;
  }
}

/**
 * A copy of the definition for the engine: Wait states become local Tasks that sleep on the virtual
 * clock; every Task's own timeouts are moved aside (the runner applies them in virtual time) and the
 * engine's timeout (60 s of real time by default) is set to the largest `setTimeout` it accepts.
 */
export function localDefinition(definition: Record<string, unknown>): Record<string, unknown> & { States: Record<string, AslState>; TimeoutSeconds?: number } {
  const copy = structuredClone(definition) as Record<string, unknown> & { States: Record<string, AslState>; TimeoutSeconds?: number };
  forEachState(copy, (name, state) => {
    // aws-local-stepfunctions 3.0 reads `ResultPath: "$"` as a field named "$" (setJSONPath of "$"),
    // where Step Functions replaces the whole input by the result, as with no ResultPath: drop it.
    if (state.ResultPath === '$') delete state.ResultPath;
    for (const c of (state.Catch as Array<{ ResultPath?: string | null }> | undefined) ?? []) if (c.ResultPath === '$') delete c.ResultPath;
    if (state.Type === 'Choice') {
      for (const rule of (state.Choices as ChoiceRule[] | undefined) ?? []) localChoiceRule(rule);
      return;
    }
    if (state.Type === 'Map' && isDistributed(state)) {
      localDistributedMap(name, state);
      return;
    }
    if (state.Type === 'Task') {
      const { TimeoutSeconds, TimeoutSecondsPath, HeartbeatSeconds, HeartbeatSecondsPath } = state as AslState & TaskTimeouts;
      for (const k of ['TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath']) delete state[k];
      state.TimeoutSeconds = ENGINE_TIMEOUT_NEVER;
      Object.defineProperty(state, '__timeouts', { value: { TimeoutSeconds, TimeoutSecondsPath, HeartbeatSeconds, HeartbeatSecondsPath }, enumerable: false });
      return;
    }
    if (state.Type !== 'Wait') return;
    const { Seconds, SecondsPath, Timestamp, TimestampPath } = state;
    for (const k of Object.keys(state)) if (!['Type', 'Next', 'End', 'InputPath', 'OutputPath', 'Comment'].includes(k)) delete state[k];
    state.Type = 'Task';
    state.Resource = LOCAL_WAIT;
    state.TimeoutSeconds = ENGINE_TIMEOUT_NEVER;
    // The wait spec travels in the state definition the runner reads back in waitSeconds().
    Object.defineProperty(state, '__wait', { value: { Seconds, SecondsPath, Timestamp, TimestampPath }, enumerable: false });
  });
  return copy;
}

/** A Choice rule as the runner rewrites it (the fields it touches). */
type ChoiceRule = { Variable?: string; IsPresent?: boolean; Not?: ChoiceRule; And?: ChoiceRule[]; Or?: ChoiceRule[]; [k: string]: unknown };

/**
 * aws-local-stepfunctions 3.0 evaluates `IsPresent` as `IsPresent && value !== undefined`, so
 * `IsPresent: false` never matches, where Step Functions matches it when the field is absent
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html, "IsPresent"). Rewrites it,
 * in place and at any depth of And/Or/Not, as `Not: { Variable, IsPresent: true }`, which the engine
 * evaluates as Step Functions does (test/runner/runner.test.ts).
 */
function localChoiceRule(rule: ChoiceRule): void {
  if (rule.IsPresent === false && rule.Variable !== undefined) {
    rule.Not = { Variable: rule.Variable, IsPresent: true };
    delete rule.Variable;
    delete rule.IsPresent;
    return;
  }
  if (rule.Not) localChoiceRule(rule.Not);
  for (const r of [...(rule.And ?? []), ...(rule.Or ?? [])]) localChoiceRule(r);
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
