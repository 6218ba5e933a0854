import { loadConfig, parseConfig, type VaultConfig } from '../../infra/config/schema';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import { createFleetEnvironment, type DemoDatabaseSpec, DEMO_FLEET } from '../../sandbox/harness/index';
import type { ExecutionRecord } from '../../sandbox/harness/index';

export const exampleConfig = (): VaultConfig => loadConfig('config/example.json');

/** The example config with some fields replaced (validated like a user's file). */
export function configWith(patch: (raw: Record<string, any>) => void): VaultConfig {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, any>;
  patch(raw);
  return parseConfig(raw);
}

/** A fresh sandbox with both stacks deployed, the fleet seeded and one automated snapshot each. */
export async function fleetEnvironment(opts: { config?: VaultConfig; fleet?: readonly DemoDatabaseSpec[]; payloadBudgetBytes?: number } = {}): Promise<LocalEnvironment> {
  return createFleetEnvironment({ config: opts.config ?? exampleConfig(), ...(opts.payloadBudgetBytes !== undefined && { payloadBudgetBytes: opts.payloadBudgetBytes }) }, opts.fleet ?? DEMO_FLEET);
}

export const childFor = (run: ExecutionRecord, identifier: string): ExecutionRecord => {
  const c = run.children.find((x) => (x.input as { database: { identifier: string } }).database.identifier === identifier);
  if (!c) throw new Error(`no child execution for ${identifier}`);
  return c;
};

export const entered = (exec: ExecutionRecord, state: string): number =>
  exec.events.filter((e) => e.type === 'StateEntered' && e.state === state).length;

export const managed = (tags: Record<string, string>) => tags['rds-snapshot-vault:managed'] === 'true';
