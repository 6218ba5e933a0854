/**
 * Every function's environment contract by function name: what the stack must set (infra/constructs/vault-function.ts
 * types a function's `environment` from it) and what the handler validates at cold start (its
 * `envSchema` is built from the same entries). Besides these, every function gets ACCOUNT_ID,
 * POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE (VaultFunction) and AWS_REGION (Lambda).
 */
import type * as z from 'zod/mini';
import * as checkRecoveryPoints from './check-recovery-points.js';
import * as cleanupDrill from './cleanup-drill.js';
import * as createCopy from './create-copy.js';
import * as crossAccountCopy from './cross-account-copy.js';
import * as exportToS3 from './export-to-s3.js';
import * as notify from './notify.js';
import * as planDrill from './plan-drill.js';
import * as planRun from './plan-run.js';
import * as pollExport from './poll-export.js';
import * as pollRestore from './poll-restore.js';
import * as pollStatus from './poll-status.js';
import * as recordEvidence from './record-evidence.js';
import * as recordResult from './record-result.js';
import * as retentionSweep from './retention-sweep.js';
import * as sendDigest from './send-digest.js';
import * as share from './share.js';
import * as startRestore from './start-restore.js';
import * as validateRestore from './validate-restore.js';
import type { VaultRoleEnvironment } from './vault-role-env.js';

export type { VaultRoleEnvironment };

/** Each function's own variables (zod/mini shapes), by its `functions/<name>/` folder. */
export const FUNCTION_ENVIRONMENTS = {
  'plan-run': planRun.environment,
  'create-copy': createCopy.environment,
  'poll-status': pollStatus.environment,
  share: share.environment,
  'cross-account-copy': crossAccountCopy.environment,
  'retention-sweep': retentionSweep.environment,
  notify: notify.environment,
  'export-to-s3': exportToS3.environment,
  'poll-export': pollExport.environment,
  'record-result': recordResult.environment,
  'send-digest': sendDigest.environment,
  'check-recovery-points': checkRecoveryPoints.environment,
  'plan-drill': planDrill.environment,
  'start-restore': startRestore.environment,
  'poll-restore': pollRestore.environment,
  'validate-restore': validateRestore.environment,
  'cleanup-drill': cleanupDrill.environment,
  'record-evidence': recordEvidence.environment,
} as const;

/** A function with an environment contract. */
export type ContractFunctionName = keyof typeof FUNCTION_ENVIRONMENTS;

/** What the stack sets from a zod shape: each variable as its schema's input (a string), optional where the schema is. */
type Deployed<S> = [keyof S] extends [never] ? Record<string, never> : DeployedShape<S>;
type DeployedShape<S> = { readonly [K in keyof S as undefined extends z.input<S[K] & z.ZodMiniType> ? never : K]: z.input<S[K] & z.ZodMiniType> } & {
  readonly [K in keyof S as undefined extends z.input<S[K] & z.ZodMiniType> ? K : never]?: z.input<S[K] & z.ZodMiniType>;
};

/**
 * The environment the stack sets for function `N` (beyond the common variables): a missing or extra
 * variable, or a renamed one, fails tsc. The vault role variables come both or neither.
 */
export type DeployedEnvironment<N extends ContractFunctionName> = 'VAULT_ROLE_ARN' extends keyof (typeof FUNCTION_ENVIRONMENTS)[N]
  ? Omit<Deployed<(typeof FUNCTION_ENVIRONMENTS)[N]>, 'VAULT_ROLE_ARN' | 'VAULT_EXTERNAL_ID'> & VaultRoleEnvironment
  : Deployed<(typeof FUNCTION_ENVIRONMENTS)[N]>;
