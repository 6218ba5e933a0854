/**
 * The Step Functions limits the local runner enforces as AWS does (docs/aws-behaviour.md §18, §18a):
 * 256 KiB per state input/output (uncatchable States.DataLimitExceeded), the 25,000-event history,
 * TimeoutSeconds in virtual time (TIMED_OUT, children ABORTED), Task timeouts in virtual time,
 * execution names, and nothing of a stopped execution running afterwards.
 */
import { describe, expect, it } from 'vitest';
import type { AwsSandbox } from '../../sandbox/simulator/index';
import { VirtualClock } from '../../sandbox/simulator/index';
import type { DeployedStateMachine } from '../../sandbox/harness/index';
import { checkTemplateSize, eventExecutionName, MAX_DEFINITION_BYTES, MAX_TEMPLATE_BYTES, StackTemplateTooLarge, validateDefinitions } from '../../sandbox/harness/index';
import { EXECUTION_NAME, localDefinition, PAYLOAD_BUDGET_EXCEEDED, payloadBudgetFindings, STATE_PAYLOAD_BUDGET_BYTES, STEP_FUNCTIONS_LIMITS, WorkflowRunner } from '../../sandbox/harness/index';
import { machine, stack } from './helpers';

const START = '2026-01-01T00:00:00.000Z';
const runnerOf = (clock: VirtualClock, ...machines: DeployedStateMachine[]) => new WorkflowRunner({ sandbox: {} as AwsSandbox, clock, stacks: [stack(...machines)] });
const SYNC = 'arn:aws:states:::states:startExecution.sync:2';
const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }];
const caught = { Caught: { Type: 'Pass', End: true } };

/** A string whose JSON is exactly `bytes` bytes long (two quotes included). */
const blob = (bytes: number) => 'x'.repeat(bytes - 2);
const KiB = 1024;

/** Waits `$.seconds`, then passes through a state the tests look for. */
const sleeper = machine('Sleeper', {
  StartAt: 'Sleep',
  States: {
    Sleep: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'AfterSleep' },
    AfterSleep: { Type: 'Pass', End: true },
  },
});
const entered = (exec: { events: Array<{ type: string; state?: string }> }, state: string) => exec.events.some((e) => e.type === 'StateEntered' && e.state === state);

describe('256 KiB per state input and output (States.DataLimitExceeded, never caught)', () => {
  it('fails a Pass whose output is over 262,144 bytes though its input is under', async () => {
    const m = machine('Doubler', {
      StartAt: 'Double',
      States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.b', 'c.$': '$.b' }, End: true } },
    });
    const r = runnerOf(new VirtualClock(), m);
    const exec = await r.startExecution(m.arn, { b: blob(131 * KiB) });
    expect(exec.status).toBe('FAILED');
    expect(exec.error).toBe('States.DataLimitExceeded');
    expect(exec.cause).toContain("'Double output'");
    expect(exec.maxPayloadBytes).toBe(2 * 131 * KiB + '{"a":,"c":}'.length);
  });

  it('does not let a Catch on States.ALL catch it: a Parallel whose branches together exceed it', async () => {
    const m = machine('Fanout', {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [0, 1].map(() => ({ StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } })),
          Catch: catchAll,
          Next: 'Done',
        },
        Done: { Type: 'Pass', End: true },
        ...caught,
      },
    });
    const r = runnerOf(new VirtualClock(), m);
    const exec = await r.startExecution(m.arn, { b: blob(130 * KiB) });
    expect(exec.status).toBe('FAILED');
    expect(exec.error).toBe('States.DataLimitExceeded');
    expect(entered(exec, 'Caught')).toBe(false);
    expect(entered(exec, 'Done')).toBe(false);
  });

  it('fails a Map whose gathered results exceed it, Catch or not, and records the largest payload of a run that fits', async () => {
    const m = machine('Gather', {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }, ResultPath: '$.results', Catch: catchAll, End: true },
        ...caught,
      },
    });
    const r = runnerOf(new VirtualClock(), m);
    const items = (n: number) => Array.from({ length: n }, () => blob(40 * KiB));
    const ok = await r.startExecution(m.arn, { items: items(3) });
    expect(ok.status).toBe('SUCCEEDED');
    // Each's output: {"items":[3 blobs],"results":[3 blobs]}.
    expect(ok.maxPayloadBytes).toBe(6 * 40 * KiB + '{"items":[,,],"results":[,,]}'.length);
    expect(ok.maxPayloadAt).toBe('Each output');
    const tooBig = await r.startExecution(m.arn, { items: items(4) });
    expect(tooBig.status).toBe('FAILED');
    expect(tooBig.error).toBe('States.DataLimitExceeded');
    expect(entered(tooBig, 'Caught')).toBe(false);
  });

  it('fails a Task whose result is over it before ResultSelector trims it (a child execution output)', async () => {
    const big = machine('Big', { StartAt: 'Make', States: { Make: { Type: 'Pass', Parameters: { 'a.$': '$.b', 'c.$': '$.b' }, End: true } } });
    const parentM = machine('Parent', {
      StartAt: 'Run',
      States: {
        Run: { Type: 'Task', Resource: SYNC, Parameters: { StateMachineArn: big.arn, 'Input.$': '$' }, ResultSelector: { 'status.$': '$.Status' }, Catch: catchAll, End: true },
        ...caught,
      },
    });
    const r = runnerOf(new VirtualClock(), parentM, big);
    const exec = await r.startExecution(parentM.arn, { b: blob(100 * KiB) });
    expect(exec.children[0]?.status).toBe('SUCCEEDED'); // 200 KiB output fits the child
    expect(exec.status).toBe('FAILED'); // the task result carries Input (100 KiB) and Output (200 KiB)
    expect(exec.error).toBe('States.DataLimitExceeded');
    expect(exec.cause).toContain("'Run task result'");
    expect(entered(exec, 'Caught')).toBe(false);
  });
});

describe('the 64 KiB payload budget (issue 12: a quarter of the quota, the project\'s own strict check)', () => {
  const gather = machine('GatherBudget', {
    StartAt: 'Each',
    States: {
      Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }, ResultPath: '$.results', Catch: catchAll, End: true },
      ...caught,
    },
  });
  const items = (n: number) => Array.from({ length: n }, () => blob(10 * KiB));

  it('payloadBudgetFindings names each execution over the budget and where, children included', async () => {
    const parentM = machine('ParentBudget', {
      StartAt: 'Run',
      States: { Run: { Type: 'Task', Resource: SYNC, Parameters: { StateMachineArn: gather.arn, 'Input.$': '$' }, ResultSelector: { 'status.$': '$.Status' }, End: true } },
    });
    const r = runnerOf(new VirtualClock(), parentM, gather);
    const small = await r.startExecution(gather.arn, { items: items(3) }); // 60 KiB + brackets at Each output
    expect(small.maxPayloadBytes).toBeLessThanOrEqual(STATE_PAYLOAD_BUDGET_BYTES);
    expect(payloadBudgetFindings([small])).toEqual([]);
    const parent = await r.startExecution(parentM.arn, { items: items(4) }); // the child's Each output: 80 KiB
    expect(parent.status).toBe('SUCCEEDED'); // within AWS's 256 KiB
    const findings = payloadBudgetFindings([parent]);
    expect(findings.some((f) => f.startsWith('GatherBudget ') && f.includes('at Each output'))).toBe(true);
    expect(findings.some((f) => f.startsWith('ParentBudget '))).toBe(true); // its task result carries the child's 80 KiB output
  });

  it('with payloadBudgetBytes the run fails at once, uncatchable, naming the state', async () => {
    const r = new WorkflowRunner({ sandbox: {} as AwsSandbox, clock: new VirtualClock(), stacks: [stack(gather)], payloadBudgetBytes: STATE_PAYLOAD_BUDGET_BYTES });
    const ok = await r.startExecution(gather.arn, { items: items(3) });
    expect(ok.status).toBe('SUCCEEDED');
    const over = await r.startExecution(gather.arn, { items: items(4) });
    expect(over.status).toBe('FAILED');
    expect(over.error).toBe(PAYLOAD_BUDGET_EXCEEDED);
    expect(over.cause).toContain("'Each output'");
    expect(entered(over, 'Caught')).toBe(false);
  });
});

describe('history events (25,000 per execution; Map iterations count in the parent)', () => {
  const mapOf = machine('ManyItems', {
    StartAt: 'Each',
    States: {
      Each: { Type: 'Map', ItemsPath: '$.items', MaxConcurrency: 50, ItemProcessor: { StartAt: 'One', States: { One: { Type: 'Pass', End: true } } }, ResultPath: null, Catch: catchAll, End: true },
      ...caught,
    },
  });
  // ExecutionStarted, MapStateEntered, MapStateStarted, per item MapIterationStarted + PassStateEntered +
  // PassStateExited + MapIterationSucceeded, MapStateSucceeded, MapStateExited, ExecutionSucceeded.
  const expected = (n: number) => 1 + 2 + 4 * n + 2 + 1;

  it('counts events as Step Functions writes them', async () => {
    const r = runnerOf(new VirtualClock(), mapOf);
    const exec = await r.startExecution(mapOf.arn, { items: Array.from({ length: 10 }, (_, i) => i) });
    expect(exec.status).toBe('SUCCEEDED');
    expect(exec.historyEvents).toBe(expected(10));
  });

  it('fails the execution (uncatchable) when the history reaches the cap (25,000 by default; 500 here to stay fast)', async () => {
    expect(STEP_FUNCTIONS_LIMITS.historyEvents).toBe(25_000);
    const r = new WorkflowRunner({ sandbox: {} as AwsSandbox, clock: new VirtualClock(), stacks: [stack(mapOf)], limits: { historyEvents: 500 } });
    const fits = await r.startExecution(mapOf.arn, { items: Array.from({ length: 123 }, (_, i) => i) });
    expect(fits.status).toBe('SUCCEEDED');
    expect(fits.historyEvents).toBe(expected(123)); // 498
    const over = await r.startExecution(mapOf.arn, { items: Array.from({ length: 124 }, (_, i) => i) }); // would be 502
    expect(over.status).toBe('FAILED');
    expect(over.error).toBe('States.Runtime');
    expect(over.cause).toContain('500 events');
    expect(entered(over, 'Caught')).toBe(false);
  });
  it('fails the execution and returns when its own last event (ExecutionSucceeded) reaches the cap', async () => {
    const r = new WorkflowRunner({ sandbox: {} as AwsSandbox, clock: new VirtualClock(), stacks: [stack(mapOf)], limits: { historyEvents: expected(5) } });
    const exec = await r.startExecution(mapOf.arn, { items: Array.from({ length: 5 }, (_, i) => i) });
    expect(exec.status).toBe('FAILED');
    expect(exec.error).toBe('States.Runtime');
    expect(exec.cause).toContain(`${expected(5)} events`);
  }, 10_000);

  it('fails the execution and returns when a Map iteration\'s end event reaches the cap, running no state after it', async () => {
    const oneAtATime = machine('OneAtATime', {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.items', MaxConcurrency: 1, ItemProcessor: { StartAt: 'One', States: { One: { Type: 'Pass', End: true } } }, ResultPath: null, Next: 'After' },
        After: { Type: 'Pass', End: true },
      },
    });
    // ExecutionStarted, MapStateEntered, MapStateStarted, then 4 events per item: the cap lands on item 2's MapIterationSucceeded.
    const r = new WorkflowRunner({ sandbox: {} as AwsSandbox, clock: new VirtualClock(), stacks: [stack(oneAtATime)], limits: { historyEvents: 3 + 4 * 2 } });
    const exec = await r.startExecution(oneAtATime.arn, { items: [1, 2, 3, 4] });
    expect(exec.status).toBe('FAILED');
    expect(exec.error).toBe('States.Runtime');
    expect(entered(exec, 'After')).toBe(false);
  }, 10_000);
});

describe('TimeoutSeconds of the state machine, in virtual time', () => {
  it('ends the execution TIMED_OUT at its timeout: no Catch, no further state', async () => {
    const m = machine('Slow', {
      TimeoutSeconds: 3600,
      StartAt: 'Sleep',
      States: {
        Sleep: { Type: 'Wait', Seconds: 7200, Next: 'AfterSleep' },
        AfterSleep: { Type: 'Pass', End: true },
      },
    });
    const clock = new VirtualClock(new Date(START));
    const exec = await runnerOf(clock, m).startExecution(m.arn, {});
    expect(exec.status).toBe('TIMED_OUT');
    expect(exec.stopDate).toBe('2026-01-01T01:00:00.000Z');
    expect(entered(exec, 'AfterSleep')).toBe(false);
    expect(exec.events.at(-1)?.type).toBe('ExecutionTimedOut');
    await clock.sleep(86_400); // a day later: nothing of it ran meanwhile
    expect(entered(exec, 'AfterSleep')).toBe(false);
  });

  it('stops a .sync child (ABORTED) when its parent times out; nothing of the child runs afterwards', async () => {
    const parentM = machine('Parent', {
      TimeoutSeconds: 3600,
      StartAt: 'Run',
      States: { Run: { Type: 'Task', Resource: SYNC, Parameters: { StateMachineArn: sleeper.arn, Input: { seconds: 36_000 } }, Catch: catchAll, End: true }, ...caught },
    });
    const clock = new VirtualClock(new Date(START));
    const r = runnerOf(clock, parentM, sleeper);
    const exec = await r.startExecution(parentM.arn, {});
    expect(exec.status).toBe('TIMED_OUT');
    expect(entered(exec, 'Caught')).toBe(false);
    const child = exec.children[0];
    expect(child?.status).toBe('ABORTED');
    expect(child?.stopDate).toBe('2026-01-01T01:00:00.000Z');
    await clock.sleep(86_400);
    expect(entered(child!, 'AfterSleep')).toBe(false);
    expect(r.running).toEqual([]);
  });

  it('stops a running child when a sibling Map iteration fails the parent', async () => {
    const boom = machine('Boom', { StartAt: 'Fail', States: { Fail: { Type: 'Fail', Error: 'Boom', Cause: 'boom' } } });
    const parentM = machine('Parent', {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Run', States: { Run: { Type: 'Task', Resource: SYNC, Parameters: { 'StateMachineArn.$': '$.arn', 'Input.$': '$.input' }, End: true } } },
          End: true,
        },
      },
    });
    const clock = new VirtualClock(new Date(START));
    const r = runnerOf(clock, parentM, sleeper, boom);
    const exec = await r.startExecution(parentM.arn, { items: [{ arn: sleeper.arn, input: { seconds: 36_000 } }, { arn: boom.arn, input: {} }] });
    expect(exec.status).toBe('FAILED');
    const sleeping = exec.children.find((c) => c.stateMachineName === 'Sleeper');
    expect(sleeping?.status).toBe('ABORTED');
    await clock.sleep(86_400);
    expect(entered(sleeping!, 'AfterSleep')).toBe(false);
  });

  it('stopAll() (what dispose() calls) aborts every running execution and its children', async () => {
    const parentM = machine('Parent', { StartAt: 'Run', States: { Run: { Type: 'Task', Resource: SYNC, Parameters: { StateMachineArn: sleeper.arn, Input: { seconds: 600 } }, End: true } } });
    const clock = new VirtualClock(new Date(START));
    const r = runnerOf(clock, parentM, sleeper);
    const pending = r.startExecution(parentM.arn, {});
    await new Promise((res) => setImmediate(res));
    expect(r.running.map((e) => e.stateMachineName).sort()).toEqual(['Parent', 'Sleeper']);
    r.stopAll();
    const exec = await pending;
    expect(exec.status).toBe('ABORTED');
    expect(exec.children[0]?.status).toBe('ABORTED');
    await clock.sleep(3600);
    expect(entered(exec.children[0]!, 'AfterSleep')).toBe(false);
    expect(clock.iso()).toBe('2026-01-01T01:00:00.000Z'); // only this test's own sleep moved time
  });
});

describe('Task timeouts in virtual time, with AWS defaults', () => {
  const taskParent = (timeouts: Record<string, number>) =>
    machine('Parent', {
      StartAt: 'Run',
      States: { Run: { Type: 'Task', Resource: SYNC, Parameters: { StateMachineArn: sleeper.arn, Input: { seconds: 7200 } }, ...timeouts, Catch: catchAll, End: true }, ...caught },
    });

  it('fails a Task past its TimeoutSeconds with States.Timeout (catchable) and stops its child', async () => {
    const clock = new VirtualClock(new Date(START));
    const m = taskParent({ TimeoutSeconds: 60 });
    const exec = await runnerOf(clock, m, sleeper).startExecution(m.arn, {});
    expect(exec.status).toBe('SUCCEEDED');
    expect((exec.output as { error: { Error: string } }).error.Error).toBe('States.Timeout');
    expect(exec.stopDate).toBe('2026-01-01T00:01:00.000Z');
    expect(exec.children[0]?.status).toBe('ABORTED');
  });

  it('fails a Task past its HeartbeatSeconds with States.HeartbeatTimeout (no local task sends heartbeats)', async () => {
    const m = taskParent({ TimeoutSeconds: 3600, HeartbeatSeconds: 30 });
    const exec = await runnerOf(new VirtualClock(new Date(START)), m, sleeper).startExecution(m.arn, {});
    expect((exec.output as { error: { Error: string } }).error.Error).toBe('States.HeartbeatTimeout');
  });

  it('has no Task timeout when none is set (AWS: 99,999,999 s), however long the task runs', async () => {
    const m = taskParent({});
    const exec = await runnerOf(new VirtualClock(new Date(START)), m, sleeper).startExecution(m.arn, {});
    expect(exec.status).toBe('SUCCEEDED');
    expect(exec.output).toMatchObject({ Status: 'SUCCEEDED' });
    expect(exec.stopDate).toBe('2026-01-01T02:00:00.000Z');
  });

  it("neutralises the engine's default Task timeout of 60 s of real time", () => {
    const def = localDefinition({ StartAt: 'T', States: { T: { Type: 'Task', Resource: SYNC, End: true }, W: { Type: 'Wait', Seconds: 5, End: true } } }) as { States: Record<string, { TimeoutSeconds?: number }> };
    // aws-local-stepfunctions 3.0 races every Task against setTimeout(TimeoutSeconds ?? 60 s); 2^31-1 ms is the longest timer Node accepts.
    expect(def.States.T?.TimeoutSeconds).toBe(2_147_483);
    expect(def.States.W?.TimeoutSeconds).toBe(2_147_483);
  });
});

describe('execution names', () => {
  it('accepts 1-80 letters, digits, - and _, and rejects anything else with InvalidName', async () => {
    const r = runnerOf(new VirtualClock(), sleeper);
    expect((await r.startExecution(sleeper.arn, { seconds: 0 }, { name: 'a'.repeat(80) })).status).toBe('SUCCEEDED');
    expect((await r.startExecution(sleeper.arn, { seconds: 0 }, { name: 'Run_2026-11-20' })).status).toBe('SUCCEEDED');
    for (const bad of ['', 'b'.repeat(81), 'event-rds:orders-db-2026-11-20-03-00', 'has space', 'a/b', 'a.b', 'ü'])
      await expect(r.startExecution(sleeper.arn, { seconds: 0 }, { name: bad }), bad).rejects.toMatchObject({ name: 'InvalidName' });
  });

  it('names event-started runs within the rules, however long the DB cluster snapshot identifier', () => {
    const cluster = 'c'.repeat(63);
    const arn = `arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:${cluster}-2026-11-20-03-00`;
    const names = [1, 2, 10_000].map((seq) => eventExecutionName(arn, seq));
    for (const n of names) expect(n).toMatch(EXECUTION_NAME);
    expect(new Set(names).size).toBe(3);
    expect(eventExecutionName('arn:aws:rds:us-east-1:111111111111:snapshot:rds:orders-db-2026-11-20-03-00', 7)).toBe('event-rds-orders-db-2026-11-20-03-00-0007');
  });

  it('rejects a name already used on the state machine with ExecutionAlreadyExists', async () => {
    const r = runnerOf(new VirtualClock(), sleeper);
    await r.startExecution(sleeper.arn, { seconds: 0 }, { name: 'daily' });
    await expect(r.startExecution(sleeper.arn, { seconds: 0 }, { name: 'daily' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});

describe('deploy-time sizes (docs/aws-behaviour.md §18a, §25): a definition and a template of at most 1,000,000 bytes (the stricter reading of "1 MB")', () => {
  /** A valid definition of exactly `bytes` bytes of JSON. */
  const definitionOf = (bytes: number): Record<string, unknown> => {
    const shell = { StartAt: 'P', States: { P: { Type: 'Pass', Result: '', End: true } } };
    return { StartAt: 'P', States: { P: { Type: 'Pass', Result: 'x'.repeat(bytes - JSON.stringify(shell).length), End: true } } };
  };

  it('a definition of 1,000,000 bytes deploys; one byte more fails validation naming the quota', () => {
    expect(JSON.stringify(definitionOf(MAX_DEFINITION_BYTES)).length).toBe(MAX_DEFINITION_BYTES);
    expect(() => validateDefinitions(stack(machine('Big', definitionOf(MAX_DEFINITION_BYTES))))).not.toThrow();
    expect(() => validateDefinitions(stack(machine('Big', definitionOf(MAX_DEFINITION_BYTES + 1))))).toThrow(/Big .*1000001 bytes, more than the 1000000/);
  });

  it('a template counts as CDK writes it (indented JSON): over 1,000,000 bytes fails with StackTemplateTooLarge', () => {
    const template = { Resources: Object.fromEntries(Array.from({ length: 13_000 }, (_, i) => [`R${i}`, { Type: 'AWS::SNS::Topic', Properties: { TopicName: `t${i}` } }])) };
    // Within the limit as compact JSON, over it as written.
    expect(JSON.stringify(template).length).toBeLessThan(MAX_TEMPLATE_BYTES);
    expect(JSON.stringify(template, undefined, 1).length).toBeGreaterThan(MAX_TEMPLATE_BYTES);
    expect(() => checkTemplateSize('big-stack', template)).toThrow(StackTemplateTooLarge);
    expect(() => checkTemplateSize('small-stack', { Resources: {} })).not.toThrow();
  });
});
