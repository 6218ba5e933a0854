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
import type { DeployedEnvironment } from '../../contracts/functions/index';
import type { NotifyInput } from '../../contracts/functions/notify';
import type { PollRestoreInput } from '../../contracts/functions/poll-restore';
import type { RetentionSweepInput, RetentionSweepOutput } from '../../contracts/functions/retention-sweep';
import { jsonPath } from '../../contracts/json-path';
import type { FunctionEnvironments } from '../../infra/constructs/vault-function';
import { fromState, payload, renderPayload } from '../../statemachines/payload';

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
});
