/**
 * Issue 11: the contracts are the one source of truth between CDK, the state machines and the
 * Lambdas, and tsc enforces it. The `@ts-expect-error` lines below are checked by
 * `npm run typecheck`: each is an error today, and would stop being one (failing typecheck with
 * "Unused '@ts-expect-error' directive") if the contracts stopped catching it. Renaming a contract
 * field (e.g. notify's `runId`) makes the same errors appear where the workflows and the stack use
 * it (statemachines/*.ts payloads and paths, infra/constructs/source-functions.ts environments).
 * The runtime assertions check what the helpers render.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CreateCopyInput, CreateCopyOutput } from '../../contracts/functions/create-copy';
import type { DeployedEnvironment } from '../../contracts/functions/index';
import type { NotifyInput } from '../../contracts/functions/notify';
import type { PlannedDatabase, PlanRunResult } from '../../contracts/functions/plan-run';
import type { PollRestoreInput } from '../../contracts/functions/poll-restore';
import type { PollStatusInput, PollStatusOutput } from '../../contracts/functions/poll-status';
import type { RetentionSweepInput, RetentionSweepOutput } from '../../contracts/functions/retention-sweep';
import { jsonPath } from '../../contracts/json-path';
import type { FunctionMetric } from '../../contracts/names';
import type { MetricsRecorder } from '../../functions/shared/handler';
import { functionMetric } from '../../infra/constructs/function-metric';
import type { FunctionEnvironments } from '../../infra/constructs/vault-function';
import { fromState, payload, renderPayload, wholeState } from '../../statemachines/payload';

/** `T` with its field `K` renamed to `N`: what a contract looks like after someone renames a field. */
type Renamed<T, K extends keyof T, N extends string> = Omit<T, K> & { readonly [P in N]: T[K] };

describe('contract types (checked by tsc)', () => {
  it('jsonPath takes only the contract keys, nested too, and renders JSONPath', () => {
    expect(jsonPath<NotifyInput>()('runId')).toBe('$.runId');
    expect(jsonPath<RetentionSweepOutput>('$.sweep')('deleted')).toBe('$.sweep.deleted');
    expect(jsonPath<PollRestoreInput>()('previous', 'waitSeconds')).toBe('$.previous.waitSeconds');
    // @ts-expect-error: `runID` is not a field of NotifyInput (a renamed or misspelt field fails tsc).
    jsonPath<NotifyInput>()('runID');
    // @ts-expect-error: `waitSecs` is not a field of RestorePoll.
    jsonPath<PollRestoreInput>()('previous', 'waitSecs');
  });

  it('payload needs every required field, takes no extra one, and renders Parameters-style keys', () => {
    const fields = { database: fromState('$.database'), policy: fromState('$.config.policy'), dryRun: false, markVaulted: { identifier: fromState('$.copy.identifier') } };
    expect(renderPayload(fields)).toEqual({ 'database.$': '$.database', 'policy.$': '$.config.policy', dryRun: false, markVaulted: { 'identifier.$': '$.copy.identifier' } });
    payload<RetentionSweepInput>(fields);
    // @ts-expect-error: `runID` is not a field of NotifyInput, and the required `runId` is missing.
    payload<NotifyInput>({ runID: fromState('$.runId'), chunks: 1 });
    // @ts-expect-error: `policy` is required by RetentionSweepInput.
    payload<RetentionSweepInput>({ database: fromState('$.database') });
    // @ts-expect-error: a literal of the wrong type (dryRun is a boolean).
    payload<RetentionSweepInput>({ database: fromState('$.database'), policy: fromState('$.policy'), dryRun: 'no' });
  });

  // The payloads below are the ones the workflow builders write (statemachines/database-backup.ts
  // `pollLoop` and `sourceCopy`, statemachines/backup-run.ts `Notify`), typed against the contract as
  // it is (compiles) and as it would be after a field rename (fails tsc).
  it("poll-status: the builder's payload (pollLoop) stops compiling when a PollStatusInput field is renamed", () => {
    const last = jsonPath<PollStatusOutput>('$.sourceCopyReady');
    const started = jsonPath<CreateCopyOutput>('$.sourceCopy');
    const fields = {
      snapshot: fromState(started('snapshot')),
      attempt: fromState(last('attempt')),
      copyStartedAt: fromState(started('copyStartedAt')),
      previous: { elapsedSeconds: fromState(last('elapsedSeconds')), percentProgress: fromState(last('percentProgress')) },
      maxWaitSeconds: 172_800,
    } as const;
    payload<PollStatusInput>(fields);
    expect(renderPayload(fields)).toEqual({
      'snapshot.$': '$.sourceCopy.snapshot',
      'attempt.$': '$.sourceCopyReady.attempt',
      'copyStartedAt.$': '$.sourceCopy.copyStartedAt',
      previous: { 'elapsedSeconds.$': '$.sourceCopyReady.elapsedSeconds', 'percentProgress.$': '$.sourceCopyReady.percentProgress' },
      maxWaitSeconds: 172_800,
    });
    // @ts-expect-error: PollStatusInput with `copyStartedAt` renamed: the builder still sends `copyStartedAt` and not the new field.
    payload<Renamed<PollStatusInput, 'copyStartedAt', 'requestedAt'>>({ ...fields });
    // @ts-expect-error: PollStatusInput with `attempt` renamed.
    payload<Renamed<PollStatusInput, 'attempt', 'attempts'>>({ ...fields });
    // @ts-expect-error: the nested `previous.percentProgress` renamed (the nested payload is typed too).
    payload<Omit<PollStatusInput, 'previous'> & { previous?: { elapsedSeconds: number; percent: number } }>({ ...fields });
    // @ts-expect-error: an output field the loop reads, renamed (PollStatusOutput.elapsedSeconds -> elapsed).
    jsonPath<Renamed<PollStatusOutput, 'elapsedSeconds', 'elapsed'>>('$.sourceCopyReady')('elapsedSeconds');
  });

  it('create-copy: CreateCopy gets the whole state, which tsc checks against CreateCopyInput', () => {
    expect(wholeState<CreateCopyInput, PlannedDatabase>()).toBeUndefined();
    // @ts-expect-error: CreateCopyInput with `runId` renamed: the state (a PlannedDatabase) no longer carries it.
    wholeState<Renamed<CreateCopyInput, 'runId', 'runID'>, PlannedDatabase>();
    // @ts-expect-error: CreateCopyInput with `database` renamed.
    wholeState<Renamed<CreateCopyInput, 'database', 'db'>, PlannedDatabase>();
    // @ts-expect-error: a field of another type (runId a number).
    wholeState<Omit<CreateCopyInput, 'runId'> & { runId: number }, PlannedDatabase>();
  });

  it("notify: BackupRun's Notify payload stops compiling when a NotifyInput field is renamed", () => {
    const plan = jsonPath<PlanRunResult>('$.plan');
    const fields = { runId: fromState(plan('runId')), trigger: fromState(plan('trigger')), chunks: fromState(plan('chunks')) };
    payload<NotifyInput>(fields);
    expect(renderPayload(fields)).toEqual({ 'runId.$': '$.plan.runId', 'trigger.$': '$.plan.trigger', 'chunks.$': '$.plan.chunks' });
    // @ts-expect-error: NotifyInput with `chunks` renamed (an optional field: the extra `chunks` is what fails).
    payload<Renamed<NotifyInput, 'chunks', 'chunkCount'>>({ runId: fromState(plan('runId')), trigger: fromState(plan('trigger')), chunks: fromState(plan('chunks')) });
    // @ts-expect-error: NotifyInput with `runId` renamed (required: missing and extra).
    payload<Renamed<NotifyInput, 'runId', 'run'>>({ runId: fromState(plan('runId')), trigger: fromState(plan('trigger')), chunks: fromState(plan('chunks')) });
    // @ts-expect-error: PlanRunResult.chunks renamed: the path BackupRun reads it from fails too.
    jsonPath<Renamed<PlanRunResult, 'chunks', 'chunkCount'>>('$.plan')('chunks');
  });

  it("a function's environment is typed from its contract: missing, extra, renamed or half-set vault role variables fail", () => {
    expectTypeOf<FunctionEnvironments['notify']>().toEqualTypeOf<DeployedEnvironment<'notify'>>();
    expectTypeOf<DeployedEnvironment<'notify'>>().toEqualTypeOf<{ readonly TOPIC_ARN: string; readonly LEDGER_BUCKET: string } & { readonly RPO_HOURS?: string | undefined }>();
    const ok: FunctionEnvironments['notify'] = { TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:t', LEDGER_BUCKET: 'ledger' };
    expect(ok.LEDGER_BUCKET).toBe('ledger');
    // @ts-expect-error: LEDGER_BUCKET is missing.
    const missing: FunctionEnvironments['notify'] = { TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:t' };
    // @ts-expect-error: LEDGER_BUKET is not a variable of notify (a renamed variable).
    const renamed: FunctionEnvironments['notify'] = { TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:t', LEDGER_BUKET: 'ledger' };
    // @ts-expect-error: retention-sweep has no variables of its own.
    const extra: FunctionEnvironments['retention-sweep'] = { TOPIC_ARN: 'x' };
    const crossAccount: FunctionEnvironments['poll-status'] = { VAULT_ACCOUNT_ID: '222222222222', VAULT_ROLE_ARN: 'arn:aws:iam::222222222222:role/r', VAULT_EXTERNAL_ID: 'e' };
    // @ts-expect-error: the vault role variables come both or neither.
    const half: FunctionEnvironments['poll-status'] = { VAULT_ACCOUNT_ID: '222222222222', VAULT_ROLE_ARN: 'arn:aws:iam::222222222222:role/r' };
    // @ts-expect-error: DB_TLS is `verify` or `off`.
    const tls: FunctionEnvironments['validate-restore'] = { DB_TLS: 'on' };
    expect([missing, renamed, extra, crossAccount, half, tls]).toHaveLength(6);
  });

  it('metrics: a function counts only the metrics contracts/names.ts lists for it, and a dashboard or alarm reads only a listed (function, metric) pair', () => {
    const counted: string[] = [];
    const createCopy: MetricsRecorder<FunctionMetric<'create-copy'>> = { count: (name) => void counted.push(name) };
    createCopy.count('CopiesStarted');
    // @ts-expect-error: DatabasesFailed is notify's metric, not create-copy's.
    createCopy.count('DatabasesFailed');
    // @ts-expect-error: a misspelt (or renamed) metric.
    createCopy.count('CopiesStartd');
    expect(counted).toEqual(['CopiesStarted', 'DatabasesFailed', 'CopiesStartd']);
    expectTypeOf<FunctionMetric<'share'>>().toEqualTypeOf<never>();
    const m = functionMetric('check-recovery-points', 'RecoveryPointAge', { Region: 'eu-west-1' }, { statistic: 'Maximum' });
    expect([m.namespace, m.metricName, m.dimensions]).toEqual(['RdsSnapshotVault', 'RecoveryPointAge', { service: 'check-recovery-points', Region: 'eu-west-1' }]);
    // The shared handler's counts are readable for any function that records metrics.
    expect(functionMetric('create-copy', 'CopiesDeferred', {}, {}).dimensions).toEqual({ service: 'create-copy' });
    // @ts-expect-error: RecoveryPointAge is recorded by check-recovery-points, not by retention-sweep.
    functionMetric('retention-sweep', 'RecoveryPointAge', {}, {});
    // @ts-expect-error: no function records DatabasesDropped.
    functionMetric('notify', 'DatabasesDropped', {}, {});
  });
});
