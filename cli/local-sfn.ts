/**
 * An in-process Step Functions API over the local runner (sandbox/harness/runner.ts), so `rsv --local` makes
 * the same `@aws-sdk/client-sfn` calls as against AWS: a middleware at the `initialize` step of one
 * `SFNClient` answers StartExecution, DescribeExecution, ListExecutions and GetExecutionHistory from
 * the runner and never reaches the network (nor resolves credentials). Other commands throw
 * `NotImplemented`.
 *
 * Shapes follow the API reference (dates are `Date`, `input`/`output` JSON strings):
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
 * API_DescribeExecution.html, API_ListExecutions.html (newest first), API_GetExecutionHistory.html.
 *
 * What the local history keeps (and AWS would give more of): the runner records states entered and
 * exited, failures and retries with virtual times, but no state input/output, so
 * `includeExecutionData` has no effect. A child started with `states:startExecution.sync:2` appears,
 * as in AWS, as a `TaskSubmitted` event whose output holds its `ExecutionArn`, in the history of the
 * execution that started it; a Distributed Map shows as `MapRunStarted` (its `mapRunArn`), whose
 * child workflow executions `ListExecutions({ mapRunArn })` lists (docs/aws-behaviour.md §29).
 */
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type HistoryEvent as SfnHistoryEvent,
  InvalidName,
  SFNClient,
  SFNServiceException,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import type { LocalEnvironment } from '../sandbox/harness/index';
import type { ExecutionRecord, HistoryEvent } from '../sandbox/harness/index';

const META = { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 };

/** What the CLI needs of a local deployment: its runner, clock and deployed state machines. */
export type LocalStepFunctionsHost = Pick<LocalEnvironment, 'runner' | 'clock' | 'source' | 'vault' | 'drVaults'>;

/** Runs that `StartExecution` started and that are still running (so a caller can await them). */
export interface LocalStepFunctions {
  readonly client: SFNClient;
  /** Resolves when every execution started through this client has ended. */
  settled(): Promise<void>;
}

/** An `SFNClient` whose commands are answered by the local runner. */
export function localStepFunctionsClient(env: LocalStepFunctionsHost, region: string): LocalStepFunctions {
  const client = new SFNClient({ region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const started: Array<Promise<unknown>> = [];
  const machines = new Set([env.source, env.vault, ...env.drVaults].flatMap((s) => s.stateMachines.map((m) => m.arn)));
  const api: Record<string, (input: any) => Promise<Record<string, unknown>> | Record<string, unknown>> = {
    StartExecution: async (input: { stateMachineArn: string; name?: string; input?: string }) => {
      const before = env.runner.executions.length;
      let parsed: unknown = {};
      try {
        parsed = input.input === undefined ? {} : JSON.parse(input.input);
      } catch {
        throw sfnError('InvalidExecutionInput', `Invalid execution input: not JSON: ${input.input?.slice(0, 100)}`);
      }
      const run = env.runner.startExecution(input.stateMachineArn, parsed, { name: input.name });
      run.catch(() => undefined);
      // The runner registers the execution synchronously; if it did not, the start was refused.
      const record = env.runner.executions.length > before ? env.runner.executions[env.runner.executions.length - 1] : undefined;
      if (!record) {
        await run.catch((e: Error) => {
          throw mapRunnerError(e);
        });
        throw sfnError('InternalFailure', 'The local runner did not start the execution');
      }
      started.push(run);
      return { executionArn: record.executionArn, startDate: new Date(record.startDate) };
    },
    DescribeExecution: (input: { executionArn: string }) => {
      const r = find(input.executionArn);
      return {
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: new Date(r.startDate),
        ...(r.stopDate ? { stopDate: new Date(r.stopDate) } : {}),
        input: JSON.stringify(r.input ?? {}),
        ...(r.status === 'SUCCEEDED' ? { output: JSON.stringify(r.output ?? null) } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
      };
    },
    ListExecutions: (input: { stateMachineArn?: string; mapRunArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string }) => {
      // Exactly one of stateMachineArn and mapRunArn (a Distributed Map's child workflow executions).
      if ((input.stateMachineArn === undefined) === (input.mapRunArn === undefined)) throw sfnError('ValidationException', 'Give exactly one of stateMachineArn and mapRunArn');
      if (input.stateMachineArn !== undefined && !machines.has(input.stateMachineArn)) throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${input.stateMachineArn}'`, $metadata: META });
      if (input.mapRunArn !== undefined && !env.runner.executions.some((e) => e.mapRunArn === input.mapRunArn)) throw sfnError('ResourceNotFound', `Map Run Does Not Exist: '${input.mapRunArn}'`);
      const rows = env.runner.executions
        .filter((e) => (input.mapRunArn !== undefined ? e.mapRunArn === input.mapRunArn : e.stateMachineArn === input.stateMachineArn) && (!input.statusFilter || e.status === input.statusFilter))
        .sort((a, b) => b.startDate.localeCompare(a.startDate));
      const { page, nextToken } = paginate(rows, input.maxResults, input.nextToken);
      return {
        executions: page.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: new Date(e.startDate),
          ...(e.stopDate ? { stopDate: new Date(e.stopDate) } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
    GetExecutionHistory: (input: { executionArn: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean }) => {
      const events = awsHistory(find(input.executionArn));
      if (input.reverseOrder) events.reverse();
      const { page, nextToken } = paginate(events, input.maxResults, input.nextToken);
      return { events: page, ...(nextToken ? { nextToken } : {}) };
    },
  };
  function find(arn: string): ExecutionRecord {
    const r = env.runner.executions.find((e) => e.executionArn === arn);
    if (!r) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: META });
    return r;
  }
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
      const handler = api[command];
      if (!handler) throw sfnError('NotImplemented', `The local Step Functions API does not implement ${command}`);
      // Busy while answering, so the virtual clock cannot jump in the middle of a CLI poll.
      const output = await env.clock.busy(async () => handler(args.input));
      return { output: { $metadata: { ...META, requestId: 'local' }, ...output } as never, response: {} };
    },
    { step: 'initialize', name: 'rsvLocalStepFunctions', priority: 'high' },
  );
  return {
    client,
    settled: async () => {
      for (let seen = -1; seen !== started.length; ) {
        seen = started.length;
        await Promise.allSettled(started);
      }
    },
  };
}

function sfnError(name: string, message: string): SFNServiceException {
  return new SFNServiceException({ name, message, $fault: 'client', $metadata: { ...META, httpStatusCode: 400 } });
}

function mapRunnerError(e: Error): Error {
  const $metadata = { ...META, httpStatusCode: 400 };
  if (e.name === 'StateMachineDoesNotExist') return new StateMachineDoesNotExist({ message: e.message, $metadata });
  if (e.name === 'InvalidName') return new InvalidName({ message: e.message, $metadata });
  if (e.name === 'ExecutionAlreadyExists') return new ExecutionAlreadyExists({ message: e.message, $metadata });
  return e;
}

/** Page size: the API's default 100 and maximum 1000 (API_ListExecutions, API_GetExecutionHistory). */
function paginate<T>(rows: readonly T[], maxResults: number | undefined, nextToken: string | undefined): { page: T[]; nextToken?: string } {
  const size = Math.min(Math.max(maxResults && maxResults > 0 ? maxResults : 100, 1), 1000);
  const from = nextToken ? Number(nextToken) : 0;
  if (!Number.isInteger(from) || from < 0 || from > rows.length) throw sfnError('InvalidToken', `Invalid Token: '${nextToken}'`);
  const page = rows.slice(from, from + size);
  return { page, ...(from + size < rows.length ? { nextToken: String(from + size) } : {}) };
}

/** The runner's history in AWS's event types (`TaskStateEntered`, `ExecutionFailed`, ...), ids from 1. */
export function awsHistory(record: ExecutionRecord): SfnHistoryEvent[] {
  type Draft = { at: string; type: string; details: Record<string, unknown> };
  const drafts: Draft[] = [];
  for (const e of record.events) {
    const d = translate(e);
    if (d) drafts.push({ at: e.at, ...d });
  }
  // `.sync` children, as Step Functions reports them: a TaskSubmitted whose output names the child,
  // in the history of the execution that started it (a Distributed Map's child workflow execution,
  // not the run that owns the Map Run, docs/aws-behaviour.md §29).
  for (const child of record.children.filter((c) => c.parentArn === record.executionArn)) {
    drafts.push({
      at: child.startDate,
      type: 'TaskSubmitted',
      details: {
        taskSubmittedEventDetails: {
          resourceType: 'states',
          resource: 'startExecution.sync:2',
          output: JSON.stringify({ ExecutionArn: child.executionArn, StartDate: child.startDate }),
        },
      },
    });
  }
  // Stable: events at the same instant keep their order (children after the state that started them).
  const ordered = drafts.map((d, i) => ({ d, i })).sort((a, b) => a.d.at.localeCompare(b.d.at) || a.i - b.i);
  return ordered.map(({ d }, i) => ({ id: i + 1, previousEventId: i, timestamp: new Date(d.at), type: d.type as never, ...d.details }));
}

function translate(e: HistoryEvent): { type: string; details: Record<string, unknown> } | undefined {
  const failure = e.error !== undefined ? { error: e.error, ...(e.cause !== undefined ? { cause: e.cause } : {}) } : {};
  switch (e.type) {
    case 'ExecutionStarted':
      return { type: 'ExecutionStarted', details: { executionStartedEventDetails: {} } };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', details: { executionSucceededEventDetails: {} } };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', details: { executionFailedEventDetails: failure } };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', details: { executionAbortedEventDetails: failure } };
    case 'ExecutionTimedOut':
    case 'ExecutionTimeout':
      return { type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: failure } };
    case 'StateEntered':
      return { type: `${e.stateType ?? 'Task'}StateEntered`, details: { stateEnteredEventDetails: { name: e.state } } };
    case 'StateExited':
      return { type: `${e.stateType ?? 'Task'}StateExited`, details: { stateExitedEventDetails: { name: e.state } } };
    case 'StateFailed':
      return e.stateType === 'Task' || e.stateType === undefined ? { type: 'TaskFailed', details: { taskFailedEventDetails: { resourceType: 'lambda', resource: e.state, ...failure } } } : undefined;
    case 'MapRunStarted':
      return { type: 'MapRunStarted', details: { mapRunStartedEventDetails: { mapRunArn: e.mapRunArn } } };
    case 'MapRunSucceeded':
      return { type: 'MapRunSucceeded', details: {} };
    case 'MapRunFailed':
      return { type: 'MapRunFailed', details: { mapRunFailedEventDetails: failure } };
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'MapIterationAborted':
      return { type: e.type, details: { [`mapIteration${e.type.slice('MapIteration'.length)}EventDetails`]: { name: e.state, index: e.index } } };
    default:
      return undefined;
  }
}
