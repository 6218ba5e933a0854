import { describe, expect, it } from 'vitest';
import type { AwsSandbox } from '../../sandbox/simulator/index';
import { VirtualClock } from '../../sandbox/simulator/index';
import type { DeployedStateMachine } from '../../sandbox/harness/index';
import { WorkflowRunner } from '../../sandbox/harness/index';
import { machine, stack } from './helpers';


const waitMachine = machine('Waiter', {
  StartAt: 'WaitForCopy',
  States: {
    WaitForCopy: { Type: 'Wait', SecondsPath: '$.poll.waitSeconds', Next: 'Done' },
    Done: { Type: 'Pass', End: true },
  },
});
const failingChild = machine('Child', {
  StartAt: 'Boom',
  States: { Boom: { Type: 'Fail', Error: 'SnapshotCopyFailed', Cause: 'copy went to failed' } },
});
const parent = machine('Parent', {
  StartAt: 'Fleet',
  States: {
    Fleet: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'RunChild',
        States: {
          RunChild: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { 'StateMachineArn.$': '$.arn', 'Input.$': '$.input' },
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed' }],
            End: true,
          },
          Failed: { Type: 'Pass', End: true },
        },
      },
      End: true,
    },
  },
});

function runner(clock: VirtualClock, ...machines: DeployedStateMachine[]) {
  return new WorkflowRunner({ sandbox: {} as AwsSandbox, clock, stacks: [stack(...machines)] });
}

describe('WorkflowRunner', () => {
  it('takes a Wait state in virtual time, for the SecondsPath of the input', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    const r = runner(clock, waitMachine);
    const exec = await r.startExecution(waitMachine.arn, { poll: { waitSeconds: 36_000 } });
    expect(exec.status).toBe('SUCCEEDED');
    expect(exec.output).toEqual({ poll: { waitSeconds: 36_000 } });
    expect(exec.stopDate).toBe('2026-01-01T10:00:00.000Z');
    expect(exec.events.find((e) => e.state === 'WaitForCopy')?.stateType).toBe('Wait');
    expect(exec.transitions).toBe(2);
  });

  it('runs side-by-side executions in the same virtual time', async () => {
    const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
    const r = runner(clock, waitMachine);
    const [a, b] = await Promise.all([
      r.startExecution(waitMachine.arn, { poll: { waitSeconds: 36_000 } }),
      r.startExecution(waitMachine.arn, { poll: { waitSeconds: 18_000 } }),
    ]);
    expect(a?.stopDate).toBe('2026-01-01T10:00:00.000Z');
    expect(b?.stopDate).toBe('2026-01-01T05:00:00.000Z');
  });

  it('fails a SecondsPath that is not a non-negative integer with States.Runtime', async () => {
    const r = runner(new VirtualClock(), waitMachine);
    const exec = await r.startExecution(waitMachine.arn, { poll: { waitSeconds: -5 } });
    expect(exec.status).toBe('FAILED');
    expect(exec.error).toBe('States.Runtime');
  });

  it('reports a failed child execution as States.TaskFailed carrying the child error and cause', async () => {
    const r = runner(new VirtualClock(), parent, failingChild, waitMachine);
    const exec = await r.startExecution(parent.arn, {
      items: [
        { arn: failingChild.arn, input: {} },
        { arn: waitMachine.arn, input: { poll: { waitSeconds: 60 } } },
      ],
    });
    expect(exec.status).toBe('SUCCEEDED');
    const [failed, ok] = exec.output as Array<Record<string, unknown>>;
    const failure = failed?.failure as { Error: string; Cause: string };
    expect(failure.Error).toBe('States.TaskFailed');
    expect(JSON.parse(failure.Cause)).toMatchObject({ Status: 'FAILED', Error: 'SnapshotCopyFailed', Cause: 'copy went to failed' });
    expect(ok).toMatchObject({ Status: 'SUCCEEDED', Output: { poll: { waitSeconds: 60 } } });
    expect(exec.children.map((c) => c.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
  });
});

describe('Choice IsPresent as Step Functions evaluates it', () => {
  // The engine (aws-local-stepfunctions 3.0) never matches IsPresent: false; the runner rewrites it.
  const present = machine('Presence', {
    StartAt: 'IsXAbsent',
    States: {
      IsXAbsent: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.x', IsPresent: false, Next: 'Absent' },
          { And: [{ Variable: '$.y', IsPresent: false }, { Variable: '$.z', IsPresent: true }], Next: 'OnlyZ' },
        ],
        Default: 'Present',
      },
      Absent: { Type: 'Pass', Result: 'absent', End: true },
      OnlyZ: { Type: 'Pass', Result: 'only z', End: true },
      Present: { Type: 'Pass', Result: 'present', End: true },
    },
  });
  const run = async (input: unknown) => (await new WorkflowRunner({ sandbox: {} as AwsSandbox, clock: new VirtualClock(), stacks: [stack(present)] }).startExecution(present.arn, input)).output;

  it('matches IsPresent: false when the field is absent, also inside And', async () => {
    expect(await run({})).toBe('absent');
    expect(await run({ x: 1, z: 1 })).toBe('only z');
  });
  it('does not match IsPresent: false when the field is present, even as null', async () => {
    expect(await run({ x: null })).toBe('present');
    expect(await run({ x: 1, y: 2, z: 1 })).toBe('present');
  });
});
