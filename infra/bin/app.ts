#!/usr/bin/env node
/**
 * CDK CLI entry (`cdk.json`: `npx tsx infra/bin/app.ts`).
 *
 * Configuration file, first found: context `-c config=<path>`, environment `RSV_CONFIG`,
 * `config/example.json` of this project. Relative paths resolve against the working directory.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { APP_CONTEXT, addVaultStacks } from '../app';
import { InvalidConfigError, loadConfig, type VaultConfig } from '../config/schema';
import { PROJECT_ROOT } from '../constructs/vault-function';

const app = new App({ context: { ...APP_CONTEXT } });
const fromContext: unknown = app.node.tryGetContext('config');
const configPath =
  typeof fromContext === 'string' && fromContext !== ''
    ? resolve(fromContext)
    : process.env.RSV_CONFIG
      ? resolve(process.env.RSV_CONFIG)
      : resolve(PROJECT_ROOT, 'config/example.json');

let config: VaultConfig;
try {
  config = loadConfig(configPath);
} catch (err) {
  if (!(err instanceof InvalidConfigError)) throw err;
  // The problems are the whole story; a stack trace would only bury them.
  console.error(err.message);
  process.exit(1);
}
addVaultStacks(app, config);
app.synth();
