/**
 * The project's handler resolver: the one place that maps a function's `functions/<entry>/` folder
 * to its code, with static (type-checked) import specifiers. `createLocalEnvironment` passes it to
 * the WorkflowRunner unless the caller gives another; the runner itself knows no paths.
 */
import type { Context } from 'aws-lambda';
import type { FunctionName } from '../../infra/constructs/vault-function';
import type { HandlerDeps, LambdaHandler } from '../../functions/shared/handler';
import type { HandlerResolver } from './runner';

/** What every `functions/<name>/index.ts` exports for the harness. */
interface HandlerModule {
  createHandler(deps: HandlerDeps): LambdaHandler<unknown>;
}

/** Each function's entry module, loaded on its first invocation (inside `clock.busy`); tsc fails when a FunctionName has none. */
const HANDLER_MODULES: { readonly [K in FunctionName]: () => Promise<HandlerModule> } = {
  'plan-run': () => import('../../functions/plan-run/index'),
  'create-copy': () => import('../../functions/create-copy/index'),
  'poll-status': () => import('../../functions/poll-status/index'),
  'share': () => import('../../functions/share/index'),
  'cross-account-copy': () => import('../../functions/cross-account-copy/index'),
  'retention-sweep': () => import('../../functions/retention-sweep/index'),
  'notify': () => import('../../functions/notify/index'),
  'export-to-s3': () => import('../../functions/export-to-s3/index'),
  'poll-export': () => import('../../functions/poll-export/index'),
  'record-result': () => import('../../functions/record-result/index'),
  'send-digest': () => import('../../functions/send-digest/index'),
  'check-recovery-points': () => import('../../functions/check-recovery-points/index'),
  'plan-drill': () => import('../../functions/plan-drill/index'),
  'start-restore': () => import('../../functions/start-restore/index'),
  'poll-restore': () => import('../../functions/poll-restore/index'),
  'validate-restore': () => import('../../functions/validate-restore/index'),
  'cleanup-drill': () => import('../../functions/cleanup-drill/index'),
  'record-evidence': () => import('../../functions/record-evidence/index'),
};

/**
 * Resolves a deployed function to its real `createHandler(...)`, with the environment the runner
 * built, an SDK client factory holding every client (functions/shared/clients.ts) signed with the
 * function role's sandbox credentials, and the virtual clock.
 * @throws Error for an entry that is not a project function
 */
export const projectHandlers: HandlerResolver = async ({ fn, env, credentials, now }) => {
  const load = (HANDLER_MODULES as Readonly<Record<string, () => Promise<HandlerModule>>>)[fn.entry];
  if (!load) throw new Error(`projectHandlers: no handler for functions/${fn.entry} (logical ID ${fn.logicalId})`);
  const [mod, { createClientFactory }] = await Promise.all([load(), import('../../functions/shared/clients')]);
  const handler = mod.createHandler({ env, clients: createClientFactory({ region: fn.region, credentials }), now });
  // The runner's context has the fields of Lambda's Context (sandbox/harness/runner.ts invokeLambda).
  return (event, context) => handler(event, context as Context);
};
