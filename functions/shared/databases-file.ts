/**
 * The configured databases travel in a function's bundle, not in its environment (issue 12: a listed
 * fleet of any size; Lambda's environment holds 4 KB, ~55 databases): the stack writes
 * `databases.json` beside the code (infra/constructs/source-functions.ts, `bundledFiles`) and sets
 * `DATABASES_FILE` to its name. plan-run (the plan) and retention-sweep (BackupRun's sweep of removed
 * databases) read it here, once per cold start.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 * (`LAMBDA_TASK_ROOT`, the folder of the unpacked bundle).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidEnvironment } from '../../contracts/errors.js';

/**
 * The environment with `DATABASES` filled from `DATABASES_FILE` (a plain file name, read from
 * `LAMBDA_TASK_ROOT`); unchanged when `DATABASES_FILE` is not set.
 * @param functionName named in the error (`plan-run`, `retention-sweep`)
 * @throws InvalidEnvironment when both variables are set, the name is not a plain file name,
 *   LAMBDA_TASK_ROOT is missing, or the file cannot be read
 */
export function resolveDatabasesFile(env: Record<string, string | undefined>, functionName: string): Record<string, string | undefined> {
  const file = env.DATABASES_FILE;
  const fail = (problem: string): never => {
    throw new InvalidEnvironment(functionName, [problem], ['DATABASES_FILE']);
  };
  if (file === undefined) return env; // DATABASES inline, or the schema reports it missing
  if (env.DATABASES !== undefined) fail('DATABASES_FILE: must not be set together with DATABASES');
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/.test(file)) fail(`DATABASES_FILE: must be a file name in the bundle, got ${file}`);
  const root = env.LAMBDA_TASK_ROOT;
  if (root === undefined || root === '') return fail('DATABASES_FILE: LAMBDA_TASK_ROOT is not set (Lambda sets it to the bundle folder)');
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (e) {
    return fail(`DATABASES_FILE: cannot read ${file} in ${root}: ${(e as Error).message}`);
  }
  const { DATABASES_FILE: _file, ...rest } = env;
  return { ...rest, DATABASES: text };
}
