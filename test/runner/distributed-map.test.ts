/**
 * The runner's Distributed Map (docs/aws-behaviour.md §29), which aws-local-stepfunctions would run
 * inline: each item is a child workflow execution with its own history (the parent counts only the
 * Map state's and the Map Run's events), MaxConcurrency (or MaxConcurrencyPath, §36) is held, failures are tolerated up to
 * ToleratedFailureCount/Percentage and past them the Map fails with
 * States.ExceedToleratedFailureThreshold, and the items come from the state or from S3 through an
 * ItemReader, with the state machine role's permissions checked as AWS checks them.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../sandbox/simulator/index';
import { executionTree, InvalidDistributedMap, localDefinition, WorkflowRunner, type DeployedStateMachine, type ExecutionRecord } from '../../sandbox/harness/index';
import { allow, newWorld, role, root, type World } from '../sandbox/helpers';
import { ACCOUNT, machine, stack } from './helpers';

const REGION = 'us-east-1';
const BUCKET = 'dmap-items';
const DISTRIBUTED = { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' };

/**
 * Each item waits `seconds`, then fails (`ItemFailed`) when `fail`, else outputs `{ i: <index> }`.
 * Child history: ExecutionStarted, Wait (2), Choice (2), Pass (2), ExecutionSucceeded = 8 events.
 */
const processor = {
  StartAt: 'Sleep',
  States: {
    Sleep: { Type: 'Wait', SecondsPath: '$.value.seconds', Next: 'Check' },
    Check: { Type: 'Choice', Choices: [{ Variable: '$.value.fail', BooleanEquals: true, Next: 'Boom' }], Default: 'Done' },
    Boom: { Type: 'Fail', Error: 'ItemFailed', Cause: 'planted failure' },
    Done: { Type: 'Pass', Parameters: { 'i.$': '$.index', 'tag.$': '$.tag' }, End: true },
  },
};
const fanOut = (map: Record<string, unknown>, mode: 'DISTRIBUTED' | 'INLINE' = 'DISTRIBUTED'): DeployedStateMachine =>
  machine('Fan', {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'tag.$': '$.tag' },
        ItemProcessor: { ProcessorConfig: mode === 'DISTRIBUTED' ? DISTRIBUTED : { Mode: 'INLINE' }, ...structuredClone(processor) },
        ResultPath: '$.results',
        End: true,
        ...map,
      },
      Caught: { Type: 'Pass', End: true },
    },
  });
const items = (n: number, seconds = 60, failing: readonly number[] = []) => Array.from({ length: n }, (_, i) => ({ seconds, fail: failing.includes(i) }));
const SM_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Fan`;
/** The role CDK's DistributedMapPolicy gives (StartExecution on its own ARN), plus `extra`. */
const sfnRole = (w: World, ...extra: PolicyDocument[]) => role(w, ACCOUNT, 'sfn', [allow(['states:StartExecution'], SM_ARN), ...extra]);

/** Most children running at once (from their start and stop times). */
function maxOverlap(children: readonly ExecutionRecord[]): number {
  const edges = children.flatMap((c) => [[Date.parse(c.startDate), 1], [Date.parse(c.stopDate ?? c.startDate), -1]] as const);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

let w: World;
beforeEach(() => {
  w = newWorld(new Date('2026-01-01T00:00:00.000Z'));
});
afterEach(() => w.sandbox.uninstall());
const runnerFor = (m: DeployedStateMachine, limits?: { historyEvents?: number }) => new WorkflowRunner({ sandbox: w.sandbox, clock: w.clock, stacks: [stack(m)], ...(limits && { limits }) });

describe('a child workflow execution per item, each with its own history', () => {
  it('counts the children\'s events in their own histories, not the parent\'s, and bills their states as transitions', async () => {
    sfnRole(w);
    const m = fanOut({ MaxConcurrency: 10 });
    const r = runnerFor(m);
    const exec = await r.startExecution(m.arn, { items: items(40), tag: 't' });
    expect(exec.status, `${exec.error} ${exec.cause}`).toBe('SUCCEEDED');
    // Parent: ExecutionStarted, MapStateEntered, MapRunStarted, MapRunSucceeded, MapStateExited, ExecutionSucceeded.
    expect(exec.historyEvents).toBe(6);
    expect(exec.transitions).toBe(1);
    expect(exec.mapRunExecutions).toHaveLength(40);
    for (const c of exec.mapRunExecutions) {
      expect(c.historyEvents).toBe(8);
      expect(c.transitions).toBe(3);
      expect(c.executionArn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:execution:Fan/Each:[0-9a-f-]{36}$`));
      expect(c.mapRunOf).toBe(exec.executionArn);
    }
    // ItemSelector: $$.Map.Item.Value / Index and the Map's input; the Map's result is the children's outputs in item order.
    expect(exec.mapRunExecutions.map((c) => (c.input as { index: number }).index).sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    expect((exec.output as { results: unknown[] }).results).toEqual(Array.from({ length: 40 }, (_, i) => ({ i, tag: 't' })));
    expect(exec.events.filter((e) => e.state === 'Each').map((e) => e.type).sort()).toEqual(['MapRunStarted', 'MapRunSucceeded', 'StateEntered', 'StateExited']);
    expect(executionTree(exec)).toHaveLength(41);
  });

  it('with a 20-event cap, the Distributed Map runs 40 items where the inline Map fails (States.Runtime); a child over the cap fails alone', async () => {
    sfnRole(w);
    const cap = { historyEvents: 20 };
    const distributed = await runnerFor(fanOut({}), cap).startExecution(SM_ARN, { items: items(40, 1), tag: 't' });
    expect(distributed.status, `${distributed.error} ${distributed.cause}`).toBe('SUCCEEDED');
    const inline = await runnerFor(fanOut({}, 'INLINE'), cap).startExecution(SM_ARN, { items: items(40, 1), tag: 't' });
    expect(inline.status).toBe('FAILED');
    expect(inline.error).toBe('States.Runtime');
    // A cap of 7 is reached by each child (8 events) as its Pass exits: every child fails on its own history, the parent's 6 events do not count.
    const tight = await runnerFor(fanOut({ ToleratedFailurePercentage: 100 }), { historyEvents: 7 }).startExecution(SM_ARN, { items: items(3, 1), tag: 't' });
    expect(tight.status).toBe('SUCCEEDED');
    expect(tight.mapRunExecutions.map((c) => c.error)).toEqual(['States.Runtime', 'States.Runtime', 'States.Runtime']);
  });

  it('holds MaxConcurrency: 12 one-minute items, 3 at a time, take 4 minutes of virtual time', async () => {
    sfnRole(w);
    const exec = await runnerFor(fanOut({ MaxConcurrency: 3 })).startExecution(SM_ARN, { items: items(12), tag: 't' });
    expect(exec.status).toBe('SUCCEEDED');
    expect(maxOverlap(exec.mapRunExecutions)).toBe(3);
    expect(Date.parse(exec.stopDate!) - Date.parse(exec.startDate)).toBe(4 * 60_000);
  });
});

describe('MaxConcurrencyPath (docs/aws-behaviour.md §36)', () => {
  it('reads the concurrency from the state input: 12 one-minute items, 3 or 4 at a time, take 4 or 3 minutes; 0 is no limit', async () => {
    sfnRole(w);
    const m = fanOut({ MaxConcurrencyPath: '$.plan.concurrency' });
    for (const [concurrency, minutes, overlap] of [[3, 4, 3], [4, 3, 4], [0, 1, 12]] as const) {
      const exec = await runnerFor(m).startExecution(SM_ARN, { items: items(12), tag: 't', plan: { concurrency } }, { name: `c${concurrency}` });
      expect(exec.status, `${exec.error} ${exec.cause}`).toBe('SUCCEEDED');
      expect(maxOverlap(exec.mapRunExecutions)).toBe(overlap);
      expect(Date.parse(exec.stopDate!) - Date.parse(exec.startDate)).toBe(minutes * 60_000);
    }
  });

  it('a value that is missing, not an integer, negative, a string or above 10,000 fails the state with States.Runtime (uncatchable), before any child', async () => {
    sfnRole(w);
    // A Catch of States.ALL does not catch States.Runtime.
    const m = fanOut({ MaxConcurrencyPath: '$.plan.concurrency', End: undefined, Next: 'Caught', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }] });
    const cases: Array<[string, Record<string, unknown>]> = [
      ['missing', {}],
      ['fraction', { concurrency: 2.5 }],
      ['negative', { concurrency: -1 }],
      ['string', { concurrency: '3' }],
      ['too-many', { concurrency: 10_001 }],
      ['null', { concurrency: null }],
    ];
    for (const [name, plan] of cases) {
      const exec = await runnerFor(m).startExecution(SM_ARN, { items: items(3), tag: 't', plan }, { name });
      expect(exec.status, name).toBe('FAILED');
      expect(exec.error, name).toBe('States.Runtime');
      expect(exec.cause, name).toMatch(/MaxConcurrencyPath '\$\.plan\.concurrency' must select an integer from 0 to 10000/);
      expect(exec.mapRunExecutions, name).toHaveLength(0);
    }
  });

  it('MaxConcurrency with MaxConcurrencyPath, or a path that is not a reference path, fails the definition', () => {
    const def = (map: Record<string, unknown>) => fanOut(map).definition;
    expect(() => localDefinition(def({ MaxConcurrency: 2, MaxConcurrencyPath: '$.c' }))).toThrow(/mutually exclusive/);
    expect(() => localDefinition(def({ MaxConcurrencyPath: 'c' }))).toThrow(/reference path/);
    expect(() => localDefinition(def({ MaxConcurrencyPath: 5 }))).toThrow(/reference path/);
    expect(() => localDefinition(def({ MaxConcurrencyPath: '$.c' }))).not.toThrow();
  });
});

describe('tolerated failures', () => {
  it('tolerates up to ToleratedFailureCount failed children; one more fails the Map with States.ExceedToleratedFailureThreshold, which a Catch can catch', async () => {
    sfnRole(w);
    const ok = await runnerFor(fanOut({ ToleratedFailureCount: 2 })).startExecution(SM_ARN, { items: items(10, 60, [3, 7]), tag: 't' });
    expect(ok.status, `${ok.error} ${ok.cause}`).toBe('SUCCEEDED');
    const results = (ok.output as { results: Array<{ Error?: string }> }).results;
    expect(results.filter((x) => x.Error === 'ItemFailed')).toHaveLength(2);

    const over = await runnerFor(fanOut({ ToleratedFailureCount: 2, MaxConcurrency: 1 })).startExecution(SM_ARN, { items: items(10, 60, [1, 2, 3]), tag: 't' });
    expect(over.status).toBe('FAILED');
    expect(over.error).toBe('States.ExceedToleratedFailureThreshold');
    // One at a time: the Map Run stops at the third failure, item 3; items 4-9 never start.
    expect(over.mapRunExecutions).toHaveLength(4);
    expect(over.events.map((e) => e.type)).toContain('MapRunFailed');

    const caught = await runnerFor(
      fanOut({ ToleratedFailureCount: 2, End: undefined, Next: 'Caught', Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], ResultPath: '$.error', Next: 'Caught' }] }),
    ).startExecution(SM_ARN, { items: items(10, 60, [0, 1, 2]), tag: 't' }, { name: 'caught' });
    expect(caught.status).toBe('SUCCEEDED');
    expect((caught.output as { error: { Error: string } }).error.Error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('ToleratedFailurePercentage: 2 of 10 failed within 20%, 3 of 10 over it; 100 tolerates every child failing', async () => {
    sfnRole(w);
    const within = await runnerFor(fanOut({ ToleratedFailurePercentage: 20 })).startExecution(SM_ARN, { items: items(10, 60, [0, 9]), tag: 't' });
    expect(within.status).toBe('SUCCEEDED');
    const over = await runnerFor(fanOut({ ToleratedFailurePercentage: 20 })).startExecution(SM_ARN, { items: items(10, 60, [0, 5, 9]), tag: 't' });
    expect(over.error).toBe('States.ExceedToleratedFailureThreshold');
    const all = await runnerFor(fanOut({ ToleratedFailurePercentage: 100 })).startExecution(SM_ARN, { items: items(5, 60, [0, 1, 2, 3, 4]), tag: 't' });
    expect(all.status).toBe('SUCCEEDED');
    expect(all.mapRunExecutions.every((c) => c.status === 'FAILED')).toBe(true);
    // Default (no tolerance): the first failure fails the Map.
    const none = await runnerFor(fanOut({})).startExecution(SM_ARN, { items: items(5, 60, [2]), tag: 't' });
    expect(none.error).toBe('States.ExceedToleratedFailureThreshold');
  });
});

describe('items from S3 (ItemReader) and the permissions the state machine role needs', () => {
  const reader = { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: BUCKET, 'Key.$': '$.key' } };
  const fromS3 = () => fanOut({ ItemsPath: undefined, ItemReader: reader });
  const put = async (key: string, body: string) => {
    w.sandbox.s3.createBucket({ accountId: ACCOUNT, region: REGION, name: BUCKET });
    await w.s3(root(ACCOUNT), REGION).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  };

  it('reads a JSON array with s3:GetObject as the state machine role', async () => {
    sfnRole(w, allow(['s3:GetObject'], `arn:aws:s3:::${BUCKET}/plans/*`));
    await put('plans/run-1.json', JSON.stringify(items(4, 60, [])));
    const exec = await runnerFor(fromS3()).startExecution(SM_ARN, { key: 'plans/run-1.json', tag: 't' });
    expect(exec.status, `${exec.error} ${exec.cause}`).toBe('SUCCEEDED');
    expect(exec.mapRunExecutions).toHaveLength(4);
  });

  it('fails the run with States.ItemReaderFailed when the role may not read the object, or it is not a JSON array; starts no child', async () => {
    sfnRole(w, allow(['s3:GetObject'], `arn:aws:s3:::${BUCKET}/other/*`));
    await put('plans/run-1.json', JSON.stringify(items(4)));
    const denied = await runnerFor(fromS3()).startExecution(SM_ARN, { key: 'plans/run-1.json', tag: 't' });
    expect(denied.status).toBe('FAILED');
    expect(denied.error).toBe('States.ItemReaderFailed');
    expect(denied.cause).toMatch(/AccessDenied/);
    expect(denied.mapRunExecutions).toHaveLength(0);
    await w.s3(root(ACCOUNT), REGION).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other/obj.json', Body: '{"items":[]}' }));
    const notArray = await runnerFor(fromS3()).startExecution(SM_ARN, { key: 'other/obj.json', tag: 't' }, { name: 'not-array' });
    expect(notArray.error).toBe('States.ItemReaderFailed');
    expect(notArray.cause).toMatch(/not a JSON array/);
  });

  it('fails the run when the role may not start its own state machine (states:StartExecution), before any child', async () => {
    role(w, ACCOUNT, 'sfn', [allow(['states:StartExecution'], `${SM_ARN}-other`)]);
    const exec = await runnerFor(fanOut({})).startExecution(SM_ARN, { items: items(2), tag: 't' });
    expect(exec.status).toBe('FAILED');
    expect(exec.error).toBe('States.Runtime');
    expect(exec.cause).toMatch(/states:StartExecution/);
    expect(exec.mapRunExecutions).toHaveLength(0);
  });
});

describe('what Step Functions rejects', () => {
  it('a child input (the item after ItemSelector) over 256 KiB fails the run with States.DataLimitExceeded; ItemsPath not an array with States.Runtime', async () => {
    sfnRole(w);
    const blob = 'x'.repeat(131 * 1024);
    const big = await runnerFor(fanOut({ ItemSelector: { 'a.$': '$.blob', 'b.$': '$.blob' } })).startExecution(SM_ARN, { items: [1], blob, tag: 't' });
    expect(big.error).toBe('States.DataLimitExceeded');
    expect(big.cause).toMatch(/Item 0/);
    expect(big.mapRunExecutions).toHaveLength(0);
    const notArray = await runnerFor(fanOut({})).startExecution(SM_ARN, { items: { a: 1 }, tag: 't' }, { name: 'not-array' });
    expect(notArray.error).toBe('States.Runtime');
  });

  it('an unknown field, ItemsPath with ItemReader, a bad tolerance or label, and what the runner does not model fail the definition', () => {
    const def = (map: Record<string, unknown>) => fanOut(map).definition;
    expect(() => localDefinition(def({ Bogus: 1 }))).toThrow(InvalidDistributedMap);
    expect(() => localDefinition(def({ Bogus: 1 }))).toThrow(/unknown field 'Bogus'/);
    expect(() => localDefinition(def({ ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', Key: 'k' } } }))).toThrow(/mutually exclusive/);
    expect(() => localDefinition(def({ ToleratedFailurePercentage: 101 }))).toThrow(/0 to 100/);
    expect(() => localDefinition(def({ Label: 'has space' }))).toThrow(/Label/);
    expect(() => localDefinition(def({ ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' } }))).toThrow(/not modelled/);
    expect(() => localDefinition(def({ ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, ...processor } }))).toThrow(/STANDARD/);
    expect(() => localDefinition(def({}))).not.toThrow();
  });
});
