/**
 * The CLI tests' shared world: the config of a small listed fleet, and `rsv` run in-process with its
 * output captured (the same `runCli` the bin calls).
 */
import type { Backend } from '../../cli/backend';
import { type CliDeps, runCli } from '../../cli/main';
import type { VaultConfig } from '../../infra/config/schema';
import { configWith } from '../workflow/helpers';

/**
 * The example config listing exactly `databases` (no tag discovery, no export), then `patch` on the
 * raw config if given.
 */
export function cliConfig(databases: ReadonlyArray<{ identifier: string; kind: string }>, patch?: (raw: Record<string, any>) => void): VaultConfig {
  return configWith((c) => {
    c.databases = databases.map((d) => ({ identifier: d.identifier, kind: d.kind }));
    c.discovery = undefined;
    c.export = undefined;
    patch?.(c);
  });
}

/** What one `rsv` command did: exit code, standard output and standard error as written. */
export interface RsvResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `rsv <argv>` with `config`, `--local` answered by `backend` (or `deps.local`/`deps.aws` given),
 * `tty` as the terminal flag (default false).
 */
export async function runRsv(argv: readonly string[], deps: { config: VaultConfig; backend?: Backend; tty?: boolean } & Pick<CliDeps, 'local' | 'aws'>): Promise<RsvResult> {
  let out = '';
  let err = '';
  const { backend } = deps;
  const code = await runCli(argv, {
    output: { out: (t) => void (out += t), err: (t) => void (err += t), tty: deps.tty ?? false },
    config: deps.config,
    ...(deps.local ? { local: deps.local } : backend && { local: async () => backend }),
    ...(deps.aws && { aws: deps.aws }),
  });
  return { code, out, err };
}
