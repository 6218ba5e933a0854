/**
 * Issue 11: the runner resolves Lambda handlers only through the resolver it is given (no computed
 * import paths), and keeps its state in the runner (no module globals).
 */
import { describe, expect, it } from 'vitest';
import { type AwsSandbox, VirtualClock } from '../../sandbox/simulator/index';
import { type DeployedFunction, type DeployedStack, type HandlerRequest, WorkflowRunner } from '../../sandbox/harness/index';
import { ACCOUNT, machine, stack } from './helpers';

const fn: DeployedFunction = {
  logicalId: 'EchoFunctionABC123',
  functionName: 'rsv-echo',
  arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rsv-echo`,
  entry: 'plan-run',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/echo`,
  accountId: ACCOUNT,
  region: 'us-east-1',
  environment: { FROM_TEMPLATE: 'yes' },
  timeoutSeconds: 60,
};
const invokeEcho = machine('Invoker', {
  StartAt: 'Echo',
  States: { Echo: { Type: 'Task', Resource: fn.arn, End: true } },
});
const withFunction = (...machines: Parameters<typeof stack>): DeployedStack => ({ ...stack(...machines), functions: [fn] });
/** A sandbox stand-in: the runner asks it only for the function role's credentials. */
const sandbox = { credentialsFor: (arn: string) => ({ accessKeyId: `AKIA-${arn.split('/').pop()}`, secretAccessKey: 's' }) } as unknown as AwsSandbox;

describe('WorkflowRunner handler resolution', () => {
  it('runs the handler the injected resolver returns, once per function, with the deployed environment, role credentials and virtual clock', async () => {
    const clock = new VirtualClock(new Date('2026-03-01T00:00:00Z'));
    const requests: HandlerRequest[] = [];
    const r = new WorkflowRunner({
      sandbox,
      clock,
      stacks: [withFunction(invokeEcho)],
      extraEnvironment: { EXTRA: '1' },
      resolveHandler: async (request) => {
        requests.push(request);
        return async (event) => ({ echoed: event, at: request.now().toISOString() });
      },
    });
    const first = await r.startExecution(invokeEcho.arn, { n: 1 });
    const second = await r.startExecution(invokeEcho.arn, { n: 2 });
    expect(first.output).toEqual({ echoed: { n: 1 }, at: '2026-03-01T00:00:00.000Z' });
    expect(second.output).toEqual({ echoed: { n: 2 }, at: '2026-03-01T00:00:00.000Z' });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.fn).toBe(fn);
    expect(requests[0]!.env).toEqual({ FROM_TEMPLATE: 'yes', EXTRA: '1', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: 'rsv-echo' });
    expect(requests[0]!.credentials).toMatchObject({ accessKeyId: 'AKIA-echo' });
    expect(r.invocations.map((i) => i.entry)).toEqual(['plan-run', 'plan-run']);
  });

  it('without a resolver, a Lambda Task fails with NoHandlerResolver instead of importing anything', async () => {
    const r = new WorkflowRunner({ sandbox, clock: new VirtualClock(), stacks: [withFunction(invokeEcho)] });
    const exec = await r.startExecution(invokeEcho.arn, {});
    expect(exec).toMatchObject({ status: 'FAILED', error: 'NoHandlerResolver' });
    expect(exec.cause).toContain('functions/plan-run (EchoFunctionABC123)');
  });

  it('a resolver that rejects fails the invocation with its error', async () => {
    const r = new WorkflowRunner({ sandbox, clock: new VirtualClock(), stacks: [withFunction(invokeEcho)], resolveHandler: async () => Promise.reject(Object.assign(new Error('no such code'), { name: 'HandlerNotFound' })) });
    expect(await r.startExecution(invokeEcho.arn, {})).toMatchObject({ status: 'FAILED', error: 'HandlerNotFound', cause: expect.stringContaining('no such code') });
  });
});

describe('WorkflowRunner state is per runner and per state machine', () => {
  it('a Task named like another machine\'s Wait state is recorded as a Task (Wait states are known per machine)', async () => {
    const clock = new VirtualClock(new Date('2026-03-01T00:00:00Z'));
    const waits = machine('Waits', { StartAt: 'Step', States: { Step: { Type: 'Wait', Seconds: 60, End: true } } });
    const tasks = machine('Tasks', { StartAt: 'Step', States: { Step: { Type: 'Task', Resource: fn.arn, End: true } } });
    const r = new WorkflowRunner({ sandbox, clock, stacks: [withFunction(waits, tasks)], resolveHandler: async () => async () => ({}) });
    const w = await r.startExecution(waits.arn, {});
    const t = await r.startExecution(tasks.arn, {});
    expect(w.events.filter((e) => e.state === 'Step').map((e) => e.stateType)).toEqual(['Wait', 'Wait']);
    expect(t.events.filter((e) => e.state === 'Step').map((e) => e.stateType)).toEqual(['Task', 'Task']);
    // A second runner in the same process starts from nothing: same history counts, no leftovers.
    const again = await new WorkflowRunner({ sandbox, clock, stacks: [withFunction(waits, tasks)], resolveHandler: async () => async () => ({}) }).startExecution(tasks.arn, {});
    expect(again.events.map((e) => [e.type, e.stateType])).toEqual(t.events.map((e) => [e.type, e.stateType]));
    expect(again.historyEvents).toBe(t.historyEvents);
  });
});
