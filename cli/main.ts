/**
 * `rsv`: operate rds-snapshot-vault. Commands: start, watch, history, preflight, status.
 *
 *   rsv start [--db orders-db ...] [--wait]     start BackupRun; --wait shows live progress
 *   rsv watch <execution name or ARN>           follow a run until it ends
 *   rsv history [--db <db>] [--since 7d]        past runs and each database's result
 *   rsv preflight                               what a first run depends on, each with its fix
 *   rsv status [--rpo-hours 26]                 newest recovery point per database and Region, last drill, RTO
 *   rsv restore <db> --dry-run [--at ...]       the copy to restore and the exact commands
 *   rsv cost [--days 30] [--daily-change 5]     what the deployment costs, each price cited
 *   rsv evidence --month 2026-11 [--out dir]    an auditor's report per database (Markdown and JSON)
 *
 * Global options: --config <file> (default $RSV_CONFIG or config/example.json), --profile <source
 * account profile>, --vault-profile <vault account profile>, --local (the local sandbox deployment
 * the demo uses, no AWS), --json (machine-readable output on every command).
 *
 * Exit codes: 0 success; 1 the run failed / a database is outside its RPO; 2 usage, config or
 * access error (the message says what to do).
 *
 * Arguments are parsed with Node's `util.parseArgs` (https://nodejs.org/api/util.html#utilparseargsconfig).
 */
import { parseArgs } from 'node:util';
import { InvalidConfigError, loadConfig, type VaultConfig } from '../infra/config/schema';
import { deploymentNames } from '../infra/constructs/names';
import type { Backend } from './backend';
import { historyCommand, parseSince, startCommand, watchCommand } from './commands/runs';
import { preflightCommand } from './commands/preflight';
import { parseAt, restoreCommand } from './commands/restore';
import { DEFAULT_RPO_HOURS, statusCommand } from './commands/status';
import { costCommand } from './commands/cost';
import { evidenceCommand, parseMonth } from './commands/evidence';
import type { Output } from './render';

const COMMANDS: Record<string, { summary: string; usage: string; options: readonly string[] }> = {
  start: { summary: 'start a BackupRun (all databases, or --db ones)', usage: 'rsv start [--db <id>]... [--wait] [--name <execution name>] [--interval <s>] [--ledger-bucket <name>]', options: ['db', 'wait', 'name', 'interval', 'ledger-bucket'] },
  watch: { summary: 'follow a run live until it ends', usage: 'rsv watch <execution name or ARN> [--interval <s>] [--ledger-bucket <name>]', options: ['interval', 'ledger-bucket'] },
  history: { summary: 'past runs and each database result', usage: 'rsv history [--db <id>]... [--since <7d|36h|ISO date>] [--ledger-bucket <name>]', options: ['db', 'since', 'ledger-bucket'] },
  preflight: { summary: 'check what a first run depends on, each with the exact fix', usage: 'rsv preflight', options: [] },
  restore: {
    summary: 'the vault copy to restore and the exact commands (docs/restore.md); changes nothing',
    usage: 'rsv restore <db> --dry-run [--at <ISO time or date>] [--target-account <id>] [--region <vault or DR Region>]',
    options: ['dry-run', 'at', 'target-account', 'region'],
  },
  status: {
    summary: 'newest recovery point per database in the vault and DR Regions against the RPO, last restore drill and its RTO',
    usage: 'rsv status [--db <id>]... [--rpo-hours 26] [--evidence-bucket <name>]',
    options: ['db', 'rpo-hours', 'evidence-bucket'],
  },
  cost: { summary: 'what the deployment costs over --days (default 30), each price with its AWS pricing page (docs/cost.md)', usage: 'rsv cost [--days 30] [--daily-change <percent, default 5>]', options: ['days', 'daily-change'] },
  evidence: {
    summary: "an auditor's report of a month per database: recovery points, key, retention, drills, failures",
    usage: 'rsv evidence --month <YYYY-MM> [--out <dir>] [--evidence-bucket <name>] [--ledger-bucket <name>]',
    options: ['month', 'out', 'evidence-bucket', 'ledger-bucket'],
  },
};

const OPTIONS = {
  config: { type: 'string' },
  profile: { type: 'string' },
  'vault-profile': { type: 'string' },
  local: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  db: { type: 'string', multiple: true },
  wait: { type: 'boolean' },
  name: { type: 'string' },
  interval: { type: 'string' },
  since: { type: 'string' },
  'rpo-hours': { type: 'string' },
  'dry-run': { type: 'boolean' },
  at: { type: 'string' },
  'target-account': { type: 'string' },
  region: { type: 'string' },
  days: { type: 'string' },
  'daily-change': { type: 'string' },
  month: { type: 'string' },
  out: { type: 'string' },
  'evidence-bucket': { type: 'string' },
  'ledger-bucket': { type: 'string' },
} as const;
const GLOBAL = ['config', 'profile', 'vault-profile', 'local', 'json', 'help'];

/** How `runCli` reaches AWS or the local sandbox; tests pass their own local backend. */
export interface CliDeps {
  readonly output: Output;
  /** Builds the backend for `--local` (the bin: a fresh local deployment of the demo's fleet). */
  readonly local?: (config: VaultConfig, command: string) => Promise<Backend>;
  /** Builds the AWS backend. */
  readonly aws?: (config: VaultConfig, options: { profile?: string; vaultProfile?: string }) => Promise<Backend>;
  /** Config used when none is given (tests); else --config, $RSV_CONFIG, config/example.json. */
  readonly config?: VaultConfig;
}

/** The `rsv --help` text: one line per command. */
export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'rsv: operate rds-snapshot-vault (docs/operating.md)',
    '',
    ...Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(width)}  ${d.summary}\n  ${' '.repeat(width)}  ${d.usage}`),
    '',
    'Options for every command:',
    '  --config <file>          the deployment config (default $RSV_CONFIG or config/example.json)',
    '  --profile <name>         AWS profile of the source account (default: the SDK credential chain)',
    '  --vault-profile <name>   AWS profile of the vault account (status, evidence, preflight vault checks)',
    '  --local                  run against the local sandbox deployment (no AWS), as npm run demo',
    '  --json                   machine-readable output',
    '',
    'Exit codes: 0 ok; 1 run failed or RPO missed; 2 usage, config or access error.',
  ].join('\n');
}

/** Runs one command; resolves to the exit code. Never throws for AWS errors: it explains them. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { output } = deps;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    output.err(`rsv: ${(err as Error).message}\n\n${helpText()}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [first, ...afterFirst] = positionals;
  // `rsv help [command]` as well as --help: `npx rsv --help` is taken by npx itself.
  if (first === 'help') values.help = true;
  const [command, ...rest] = first === 'help' ? afterFirst : positionals;
  if (!command || values.help) {
    (command || values.help ? output.out : output.err)(`${command && COMMANDS[command] ? `usage: ${COMMANDS[command].usage}\n\n` : ''}${helpText()}\n`);
    return command || values.help ? 0 : 2;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    output.err(`rsv: unknown command '${command}'. Commands: ${Object.keys(COMMANDS).join(', ')}.\n\n${helpText()}\n`);
    return 2;
  }
  const misplaced = Object.keys(values).filter((k) => !GLOBAL.includes(k) && !spec.options.includes(k));
  if (misplaced.length > 0) {
    output.err(`rsv ${command}: --${misplaced.join(', --')} does not apply here. Usage: ${spec.usage}\n`);
    return 2;
  }
  const takesOne = command === 'watch' || command === 'restore';
  if (takesOne ? rest.length !== 1 : rest.length > 0) {
    output.err(`rsv ${command}: ${takesOne ? `give one ${command === 'watch' ? 'execution name or ARN' : 'database identifier'}` : `unexpected argument '${rest[0]}'`}. Usage: ${spec.usage}\n`);
    return 2;
  }
  const number = (name: 'interval' | 'rpo-hours' | 'days' | 'daily-change', fallback: number, zeroOk = false): number | undefined => {
    const v = values[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
      output.err(`rsv ${command}: --${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got '${v}'.\n`);
      return undefined;
    }
    return n;
  };

  if (command === 'evidence' && (values.month === undefined || !parseMonth(values.month))) {
    output.err(`rsv evidence: --month takes a calendar month as YYYY-MM (e.g. --month 2026-11), got '${values.month ?? ''}'. Usage: ${spec.usage}\n`);
    return 2;
  }

  let config: VaultConfig;
  const configPath = values.config ?? process.env.RSV_CONFIG ?? 'config/example.json';
  try {
    config = deps.config && !values.config ? deps.config : loadConfig(configPath);
  } catch (err) {
    if (err instanceof InvalidConfigError) {
      output.err(`rsv: ${err.message}\nFix the file (README "Configuration") or pass --config <file>.\n`);
      return 2;
    }
    throw err;
  }

  let backend: Backend;
  try {
    if (values.local) {
      if (!deps.local) throw new Error('--local is not available here');
      backend = await deps.local(config, command);
    } else {
      if (!deps.aws) throw new Error('AWS is not available here');
      backend = await deps.aws(config, { profile: values.profile, vaultProfile: values['vault-profile'] });
    }
  } catch (err) {
    output.err(`rsv: could not prepare the ${values.local ? 'local sandbox' : 'AWS clients'}: ${(err as Error).message}\n`);
    return 2;
  }

  // The run ledger bucket (cli/ledger.ts) when named: no ListBuckets in the source account.
  const ledgerBucket = values['ledger-bucket'];
  if (ledgerBucket) backend = { ...backend, ledgerBucket: () => ledgerBucket };
  const json = values.json === true;
  const intervalDefault = backend.mode === 'local' ? 300 : 30;
  try {
    switch (command) {
      case 'start': {
        const interval = number('interval', intervalDefault);
        if (interval === undefined) return 2;
        return await startCommand(backend, { databases: values.db ?? [], wait: values.wait === true, name: values.name, json, intervalSeconds: interval }, output);
      }
      case 'watch': {
        const interval = number('interval', intervalDefault);
        if (interval === undefined) return 2;
        return await watchCommand(backend, rest[0] as string, { json, intervalSeconds: interval }, output);
      }
      case 'history': {
        const since = parseSince(values.since ?? '7d', backend.now());
        if (!since) {
          output.err(`rsv history: --since takes a duration back from now (36h, 7d) or an ISO-8601 date (2026-11-17), got '${values.since}'.\n`);
          return 2;
        }
        return await historyCommand(backend, { databases: values.db ?? [], since, json }, output);
      }
      case 'preflight':
        return await preflightCommand(backend, backend, { json, configPath }, output);
      case 'restore': {
        if (!values['dry-run']) {
          output.err('rsv restore: only --dry-run is implemented: it picks the copy and prints the commands to run (docs/restore.md).\n');
          return 2;
        }
        const at = values.at === undefined ? backend.now() : parseAt(values.at);
        if (!at) {
          output.err(`rsv restore: --at takes an ISO-8601 time or a date (2026-11-24: that UTC day), got '${values.at}'.\n`);
          return 2;
        }
        return await restoreCommand(backend, { database: rest[0] as string, at, targetAccount: values['target-account'], region: values.region, json }, output);
      }
      case 'status': {
        const rpo = number('rpo-hours', DEFAULT_RPO_HOURS);
        if (rpo === undefined) return 2;
        return await statusCommand(backend, { rpoHours: rpo, databases: values.db ?? [], json, ...(values['evidence-bucket'] ? { evidenceBucket: values['evidence-bucket'] } : {}) }, output);
      }
      case 'cost': {
        const days = number('days', 30);
        const change = number('daily-change', 5, true);
        if (days === undefined || change === undefined) return 2;
        if (change > 100) {
          output.err(`rsv cost: --daily-change is a percentage of each database's size (0-100), got '${values['daily-change']}'.\n`);
          return 2;
        }
        return await costCommand(backend, { json, days, dailyChange: change / 100 }, output);
      }
      case 'evidence':
        return await evidenceCommand(backend, { json, month: parseMonth(values.month as string) as { year: number; month: number }, outDir: values.out, evidenceBucket: values['evidence-bucket'] }, output);
    }
    return 2;
  } catch (err) {
    output.err(`rsv ${command}: ${explain(err as Error, config, configPath)}\n`);
    return 2;
  }
}

/** An AWS error as what to do about it. */
export function explain(err: Error, config: VaultConfig, configPath: string): string {
  const names = deploymentNames(config.deploymentName);
  switch (err.name) {
    case 'StateMachineDoesNotExist':
      return `${err.message}. The source stack is not deployed in ${config.source.accountId} ${config.source.region} (or under another deploymentName). Deploy it: npx cdk deploy ${names.sourceStack} -c config=${configPath}`;
    case 'ExecutionDoesNotExist':
      return `${err.message}. List the runs with: rsv history --since 30d`;
    case 'ExecutionAlreadyExists':
      return `${err.message}. Choose another --name, or leave --name out.`;
    case 'InvalidName':
      return `${err.message}. Execution names are 1-80 letters, digits, - and _.`;
    case 'CredentialsProviderError':
      return `no AWS credentials for the source account ${config.source.accountId}: set AWS_PROFILE or pass --profile <name> (or try --local).`;
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
      return `${err.name}: ${err.message}. The credentials in use may not call this; use a profile of account ${config.source.accountId} allowed states:StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory on ${names.backupRunStateMachine} (its executions, Map Runs and their child executions) and ${names.databaseBackupStateMachine}, rds:Describe*, and s3:ListBucket / s3:GetObject on the run ledger bucket (docs/operating.md).`;
    default:
      return `${err.name}: ${err.message}`;
  }
}
