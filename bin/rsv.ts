/**
 * The `rsv` command (package.json `bin`, run with tsx): `npx rsv --help`. See cli/main.ts.
 * The AWS clients and the local sandbox are imported only when a command needs them.
 */
import { runCli } from '../cli/main';

const disposers: Array<() => void> = [];
const code = await runCli(process.argv.slice(2), {
  output: { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), tty: process.stdout.isTTY === true },
  aws: async (config, options) => (await import('../cli/backend')).awsBackend(config, options),
  local: async (config, command) => {
    const { createLocalWorld } = await import('../cli/local-world');
    const { env, backend } = await createLocalWorld(config, command);
    disposers.push(() => env.dispose());
    return backend;
  },
});
for (const d of disposers) d();
process.exitCode = code;
