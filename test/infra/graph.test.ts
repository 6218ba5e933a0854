/**
 * The console graph as synthesized: DatabaseBackup's `CopyEverywhere` results are read by name in
 * every configuration (branches at other positions), and the state names the docs give are the graph's.
 * DatabaseBackup is built on its own in small stacks (no full app synth).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { BACKUP_END_STATES, BACKUP_STEPS, POLL_LOOPS, pollState, readyChoice } from '../../contracts/states';
import { PROJECT_ROOT } from '../../infra/constructs/vault-function';
import { BackupRun } from '../../statemachines/backup-run';
import { DailyDigest } from '../../statemachines/daily-digest';
import { DatabaseBackup, type DatabaseBackupProps } from '../../statemachines/database-backup';
import { RestoreDrill } from '../../statemachines/restore-drill';
import type { BackupFunctions } from '../../statemachines/types';
import { VaultRetention } from '../../statemachines/vault-retention';
import { synth } from './helpers';

type Asl = { StartAt: string; States: Record<string, AslState> };
type AslState = Record<string, unknown> & { Type: string; Branches?: Asl[]; ItemProcessor?: Asl; Iterator?: Asl };

/** A DatabaseBackup variant: vault mode, DR Regions and copy mode, with or without the export functions. */
interface Variant {
  readonly mode: 'cross-account' | 'same-account';
  readonly dr: 'none' | 'two-hop' | 'single-step';
  readonly exports: boolean;
}

const VARIANTS: Variant[] = (['cross-account', 'same-account'] as const).flatMap((mode) =>
  (['none', 'two-hop', 'single-step'] as const).flatMap((dr) => [true, false].map((exports) => ({ mode, dr, exports }))),
);

const built = new Map<Variant, Asl>();

/** The synthesized ASL of DatabaseBackup in `variant` (Lambda ARNs, which are tokens, replaced by `ARN`), built once. */
function databaseBackupAsl(variant: Variant): Asl {
  if (!built.has(variant)) built.set(variant, buildDatabaseBackupAsl(variant));
  return built.get(variant)!;
}

function buildDatabaseBackupAsl(variant: Variant): Asl {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }), 'Graph', { env: { account: '111111111111', region: 'eu-central-1' } });
  const fn = (name: string) => new lambda.Function(stack, name, { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
  const functions: BackupFunctions = {
    planRun: fn('PlanRun'),
    createCopy: fn('CreateCopy'),
    pollStatus: fn('PollStatus'),
    ...(variant.mode === 'cross-account' && { share: fn('Share') }),
    crossAccountCopy: fn('CrossAccountCopy'),
    retentionSweep: fn('RetentionSweep'),
    notify: fn('Notify'),
    recordResult: fn('RecordResult'),
    ...(variant.exports && { exportToS3: fn('ExportToS3'), pollExport: fn('PollExport') }),
  };
  const props: DatabaseBackupProps = {
    functions,
    sourceRetention: { keepLast: 3, maxAgeDays: 30, minAgeDays: 1 },
    mode: variant.mode,
    vaultRegion: 'eu-west-1',
    drRegions: variant.dr === 'none' ? [] : ['us-west-2', 'ap-southeast-2'],
    ...(variant.dr !== 'none' && { drCopyMode: variant.dr }),
  };
  new DatabaseBackup(stack, 'DatabaseBackup', props);
  const [sm] = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'));
  return aslOf(sm as { Properties: { DefinitionString: unknown } });
}

/** The ASL of a synthesized AWS::StepFunctions::StateMachine resource, its tokens replaced by `ARN`. */
export function aslOf(resource: { Properties: { DefinitionString: unknown } }): Asl {
  const d = resource.Properties.DefinitionString;
  const text = typeof d === 'string' ? d : (d as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'ARN')).join('');
  return JSON.parse(text) as Asl;
}

/** Every state of `asl`, nested ones (Parallel branches, Map item processors) included, by name. */
export function allStates(asl: Asl): Map<string, AslState> {
  const out = new Map<string, AslState>();
  const walk = (g: Asl) => {
    for (const [name, s] of Object.entries(g.States)) {
      out.set(name, s);
      for (const b of s.Branches ?? []) walk(b);
      if (s.ItemProcessor) walk(s.ItemProcessor);
      if (s.Iterator) walk(s.Iterator);
    }
  };
  walk(asl);
  return out;
}

/** Every `$.branches...` JSONPath a state reads (its ResultPath is a write), with the state's name. */
function branchReads(asl: Asl): Array<{ state: string; path: string }> {
  const reads: Array<{ state: string; path: string }> = [];
  for (const [state, s] of allStates(asl)) {
    const { Branches: _b, ItemProcessor: _i, Iterator: _it, ResultPath: _r, ...own } = s;
    for (const m of JSON.stringify(own).matchAll(/\$\.branches[^\s,'")]*/g)) reads.push({ state, path: m[0] });
  }
  return reads;
}

/** The first state of each branch of `CopyEverywhere`, which tells what a branch is. */
const BRANCH_START: Record<string, string> = { vault: 'CopyToVault', dr: 'ListDrRegions', export: 'IsExportRequested' };

describe('CopyEverywhere results are named, not positional', () => {
  it.each(VARIANTS.map((v) => [`${v.mode}, DR ${v.dr}, ${v.exports ? 'export' : 'no export'}`, v] as const))(
    '%s: each name of the ResultSelector is the position of its own branch, and every reader reads by name',
    (_label, variant) => {
      const asl = databaseBackupAsl(variant);
      const parallel = asl.States.CopyEverywhere as AslState & { Branches: Asl[]; ResultSelector: Record<string, string>; ResultPath: string };
      expect(parallel.Type).toBe('Parallel');
      expect(parallel.ResultPath).toBe('$.branches');
      // The branches this variant has, each named after what its first state does.
      const expected = ['vault', ...(variant.dr === 'single-step' ? ['dr'] : []), ...(variant.exports ? ['export'] : [])];
      expect(Object.keys(parallel.ResultSelector).sort()).toEqual(expected.map((n) => `${n}.$`).sort());
      expect(parallel.Branches).toHaveLength(expected.length);
      for (const [key, path] of Object.entries(parallel.ResultSelector)) {
        const index = Number(/^\$\[(\d+)\]$/.exec(path)?.[1]);
        expect(parallel.Branches[index]?.StartAt, `${key} -> ${path}`).toBe(BRANCH_START[key.replace(/\.\$$/, '')]);
      }

      // No reader anywhere reads a branch by position; each reads a branch the ResultSelector names.
      const reads = branchReads(asl);
      expect(reads.length).toBeGreaterThan(0);
      for (const { state, path } of reads) {
        expect(path, state).toMatch(/^\$\.branches\.(vault|dr|export)\b/);
        expect(Object.keys(parallel.ResultSelector), `${state} reads ${path}`).toContain(`${path.split('.')[2]}.$`);
      }
      // Each reader reads its own branch: the vault check the vault branch, the export check the export
      // branch, the DR check the branch that holds the DR Map (the vault branch in two-hop mode).
      const drBranch = variant.dr === 'single-step' ? 'dr' : 'vault';
      const readsOf = (state: string) => new Set(reads.filter((r) => r.state === state).map((r) => r.path.split('.')[2]));
      expect(readsOf('IsVaultCopyOk')).toEqual(new Set(['vault']));
      expect(readsOf('VaultCopyErrorFailsBackup')).toEqual(new Set(['vault']));
      expect(JSON.stringify(asl.States.IsVaultCopyOk)).toContain('"$.branches.vault.status"');
      if (variant.exports) {
        expect(readsOf('IsExportOk')).toEqual(new Set(['export']));
        expect(readsOf('ExportErrorFailsBackup')).toEqual(new Set(['export']));
        expect(JSON.stringify(asl.States.IsExportOk)).toContain('"$.branches.export.status"');
      } else {
        expect(asl.States.IsExportOk).toBeUndefined();
      }
      if (variant.dr !== 'none') {
        expect(readsOf('AreDrCopiesOk')).toEqual(new Set([drBranch]));
        expect(readsOf('DrCopyErrorFailsBackup')).toEqual(new Set([drBranch]));
        expect(readsOf('SweepSourceRetention')).toEqual(new Set([drBranch]));
      } else {
        expect(asl.States.AreDrCopiesOk).toBeUndefined();
        expect(readsOf('SweepSourceRetention')).toEqual(new Set());
      }
      // The result reads each field from the branch that produces it.
      const result = JSON.stringify(asl.States.BackupSucceeded?.Parameters);
      expect(result).toContain('"vaultCopy.$":"$.branches.vault.vaultCopy"');
      if (variant.exports) expect(result).toContain('"export.$":"$.branches.export.export"');
      if (variant.dr !== 'none') expect(result).toContain(`"drCopies.$":"$.branches.${drBranch}.drCopies"`);
    },
  );
});

describe('the deferral path of event-started runs (issue 12)', () => {
  it.each(VARIANTS.map((v) => [`${v.mode}, DR ${v.dr}, ${v.exports ? 'export' : 'no export'}`, v] as const))(
    '%s: only CreateCopy catches CopySlotsDeferred, before its States.ALL, into RecordDeferral -> DeferredToScheduledRun (an end state, not a failure)',
    (_label, variant) => {
      const asl = databaseBackupAsl(variant);
      // Only CreateCopy catches CopySlotsDeferred (event runs, before any copy of the run exists):
      // RecordDeferral (a DEFERRED ledger record) -> DeferredToScheduledRun, an end state, not a failure.
      const deferralCatchers = [...allStates(asl)].filter(([, st]) => JSON.stringify(st.Catch ?? []).includes('CopySlotsDeferred')).map(([n]) => n);
      expect(deferralCatchers).toEqual(['CreateCopy']);
      const createCopyCatch = asl.States.CreateCopy?.Catch as Array<{ ErrorEquals: string[]; Next: string }>;
      expect(createCopyCatch.find((c) => c.ErrorEquals.includes('CopySlotsDeferred'))?.Next).toBe('RecordDeferral');
      expect(createCopyCatch.findIndex((c) => c.ErrorEquals.includes('CopySlotsDeferred'))).toBeLessThan(createCopyCatch.findIndex((c) => c.ErrorEquals.includes('States.ALL')));
      expect(asl.States.RecordDeferral).toMatchObject({ Type: 'Task', Next: 'DeferredToScheduledRun' });
      expect(JSON.stringify(asl.States.RecordDeferral?.Parameters)).toContain('"outcome":"DEFERRED"');
      expect(asl.States.DeferredToScheduledRun).toMatchObject({ Type: 'Pass', End: true });
    },
  );
});

/** Each workflow class and its source file, whose class JSDoc must name every state of its graph. */
const WORKFLOWS = [
  { cls: DatabaseBackup, file: 'statemachines/database-backup.ts' },
  { cls: BackupRun, file: 'statemachines/backup-run.ts' },
  { cls: DailyDigest, file: 'statemachines/daily-digest.ts' },
  { cls: VaultRetention, file: 'statemachines/vault-retention.ts' },
  { cls: RestoreDrill, file: 'statemachines/restore-drill.ts' },
] as const;

/** The names written in backquotes in `text` (state names are single words: no spaces, no dots). */
function quotedNames(text: string): Set<string> {
  return new Set([...text.matchAll(/`([A-Za-z][A-Za-z0-9]*)`/g)].map((m) => m[1]!));
}

/** The JSDoc block right above `export class <name>` in `file`. */
function classJsDoc(file: string, name: string): string {
  const src = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  const end = src.indexOf(`export class ${name} `);
  expect(end, `${file} exports class ${name}`).toBeGreaterThan(0);
  const start = src.lastIndexOf('/**', end);
  const doc = src.slice(start, end);
  expect(doc.trimEnd().endsWith('*/'), `${name}: its JSDoc sits right above the class`).toBe(true);
  return doc;
}

/** The rows of README's table of DatabaseBackup states: their first column. */
function readmeStateColumn(): string[] {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const heading = readme.indexOf('What one database goes through (`DatabaseBackup`)');
  expect(heading).toBeGreaterThan(0);
  const table = readme.slice(readme.indexOf('| step |', heading)).split('\n\n')[0]!;
  return table.split('\n').slice(2).map((row) => row.split('|')[1]!);
}

describe('the names the docs give are the graph', () => {
  const databaseBackupStates = () => new Set(VARIANTS.flatMap((v) => [...allStates(databaseBackupAsl(v)).keys()]));

  it("README's table of DatabaseBackup states names every state of the graph (all modes), and nothing else, in its first column", () => {
    const rows = readmeStateColumn();
    expect(rows.length).toBeGreaterThan(5);
    const inTable = new Set(rows.flatMap((cell) => [...quotedNames(cell)]));
    const states = databaseBackupStates();
    expect([...states].filter((n) => !inTable.has(n)).sort(), 'states missing from the README table').toEqual([]);
    expect([...inTable].filter((n) => !states.has(n)).sort(), 'README table names that are not states').toEqual([]);
  });

  it('every DatabaseBackup state that rsv, the demo and the bench read by name (contracts/states.ts) is a state of the graph, each poll loop with all its states', () => {
    const states = databaseBackupStates();
    const listed = [
      ...Object.values(BACKUP_END_STATES),
      ...Object.values(BACKUP_STEPS),
      ...POLL_LOOPS.flatMap((l) => [...(l === 'DrCopy' ? [] : [`Init${l}Poll`]), `WaitFor${l}`, pollState(l), readyChoice(l), `${l}TimedOut`]),
    ];
    expect(listed.length).toBe(3 + 6 + 4 * 5 - 1);
    expect(listed.filter((n) => !states.has(n)), 'listed names that are not states').toEqual([]);
  });

  it("each workflow class's JSDoc names every state of its synthesized graph (one hop from the class to any state)", () => {
    const s = synth();
    const stacks = [s.sourceStack, s.vaultStack, ...s.drVaultStacks];
    const byClass = new Map<string, Set<string>>([['DatabaseBackup', databaseBackupStates()]]);
    for (const stack of stacks) {
      const resources = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
      const seen: string[] = [];
      for (const { cls } of WORKFLOWS) {
        for (const c of stack.node.findAll().filter((x: Construct) => x instanceof cls) as unknown as Array<{ stateMachine: { node: { defaultChild?: unknown } } }>) {
          const id = stack.getLogicalId(c.stateMachine.node.defaultChild as CfnElement);
          const names = byClass.get(cls.name) ?? new Set<string>();
          for (const n of allStates(aslOf(resources[id] as { Properties: { DefinitionString: unknown } })).keys()) names.add(n);
          byClass.set(cls.name, names);
          seen.push(id);
        }
      }
      // Every state machine of the deployment is one of the workflows checked here.
      expect(seen.sort(), stack.stackName).toEqual(Object.keys(resources).sort());
    }
    for (const { cls, file } of WORKFLOWS) {
      const states = byClass.get(cls.name);
      expect(states?.size, `${cls.name} is deployed by the example config`).toBeGreaterThan(0);
      const doc = quotedNames(classJsDoc(file, cls.name));
      expect([...states!].filter((n) => !doc.has(n)).sort(), `states of ${cls.name} its JSDoc does not name`).toEqual([]);
    }
  });
});
