/** Shared fixtures of the infra tests: the example configuration and a one-shot synth. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../infra/app';
import { InvalidConfigError, loadConfig, parseConfig, type VaultConfig, type VaultConfigInput } from '../../infra/config/schema';
import { PROJECT_ROOT } from '../../infra/constructs/vault-function';
import type { SourceStack } from '../../infra/stacks/source-stack';
import type { VaultStack } from '../../infra/stacks/vault-stack';

export const EXAMPLE_CONFIG_PATH = join(PROJECT_ROOT, 'config/example.json');

/** config/example.json, parsed. */
export function exampleConfig(): VaultConfig {
  return loadConfig(EXAMPLE_CONFIG_PATH);
}

/** The example configuration as raw JSON with `patch` applied (a deep merge of plain objects). */
export function configWith(patch: Record<string, unknown>): VaultConfig {
  return parseConfig(merge(structuredClone(exampleConfig()) as Record<string, unknown>, patch) as VaultConfigInput);
}

function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    const b = base[k];
    base[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return base;
}

export interface Synthesized {
  readonly config: VaultConfig;
  readonly source: Template;
  readonly vault: Template;
  readonly sourceStack: SourceStack;
  readonly vaultStack: VaultStack;
  /** One per `vault.drRegions` entry, in order. */
  readonly drVaultStacks: readonly VaultStack[];
  readonly drVaults: readonly Template[];
}

/** A configuration file of config/, parsed. */
export function projectConfig(file: string): VaultConfig {
  return loadConfig(join(PROJECT_ROOT, 'config', file));
}

/**
 * Synthesizes both stacks, bundling skipped; cdk-nag and the built-in CloudFormation validation
 * off (nag.test.ts runs both). Call once per file.
 */
export function synth(config: VaultConfig = exampleConfig()): Synthesized {
  const { sourceStack, vaultStack, drVaultStacks } = createApp(config, {
    bundling: false,
    nag: false,
    validation: false,
    outdir: mkdtempSync(join(tmpdir(), 'rsv-infra-')),
  });
  return {
    config,
    sourceStack,
    vaultStack,
    drVaultStacks,
    source: Template.fromStack(sourceStack),
    vault: Template.fromStack(vaultStack),
    drVaults: drVaultStacks.map((stack) => Template.fromStack(stack)),
  };
}

/** A CloudFormation IAM policy statement as synthesized. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** All statements of the AWS::IAM::Policy resources attached to the role with logical ID `roleId`. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => asArray(p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => asArray(p.Properties.PolicyDocument.Statement as Statement[]));
}

/** Logical ID of the only resource of `type` whose properties contain `match` (exact values). */
export function logicalIdOf(template: Template, type: string, match: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: match }));
  if (ids.length !== 1) throw new Error(`expected 1 ${type} matching ${JSON.stringify(match)}, found ${ids.length}`);
  return ids[0] as string;
}

/**
 * The Lambda functions of a template keyed by their `functions/<name>/` folder, read from the
 * `POWERTOOLS_SERVICE_NAME` VaultFunction sets to it (the template carries no sandbox metadata).
 */
export function functionsByName(template: Template): Map<string, { id: string; props: Record<string, any> }> {
  const out = new Map<string, { id: string; props: Record<string, any> }>();
  for (const [id, r] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
    const name = r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (typeof name === 'string') out.set(name, { id, props: r.Properties });
  }
  return out;
}

/** The role logical ID a function resource uses (`Role: { Fn::GetAtt: [id, 'Arn'] }`). */
export function roleIdOfFunction(props: Record<string, any>): string {
  return props.Role['Fn::GetAtt'][0] as string;
}

/** Actions of a statement as an array. */
export const actionsOf = (s: Statement): string[] => asArray(s.Action);

/** The statements of function `name`'s role in `template` other than the ones every function has (logs, X-Ray). */
export function functionOwnStatements(template: Template, name: string): Statement[] {
  const fn = functionsByName(template).get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return roleStatements(template, roleIdOfFunction(fn.props)).filter((st) => !actionsOf(st).every((a) => a.startsWith('logs:') || a.startsWith('xray:')));
}

/** The problems parseConfig reports for `input`; throws when it accepts `input` or throws anything but InvalidConfigError. */
export function problemsOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseConfig(input, 'test');
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    return [...err.problems];
  }
  throw new Error('expected parseConfig to throw');
}
