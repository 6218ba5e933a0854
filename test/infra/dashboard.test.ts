/**
 * Issue 10 item 2: the operations dashboards. Each stack's template has one dashboard whose body
 * (the Fn::Join resolved) lists every CloudWatch alarm of that template (read from the template,
 * not from a list here), plots the workflows' AWS/States metrics by state machine ARN and the
 * metrics the functions emit, has a recovery point age line for each configured database up to
 * the cap, and stays inside CloudWatch's dashboard limits and our body budget for a fleet of 1,000
 * databases. Two synths (~5 s): the example config, and 1,000 listed databases.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECOVERY_POINT_AGE_METRIC } from '../../functions/check-recovery-points/check';
import * as checkRecoveryPoints from '../../functions/check-recovery-points/check';
import * as metricNames from '../../contracts/names';
import { COPIES_DEFERRED_METRIC, COPIES_IN_PROGRESS_METRIC, DATABASES_DEFERRED_METRIC } from '../../contracts/names';
import { PROJECT_ROOT } from '../../infra/constructs/vault-function';
import { createApp } from '../../infra/app';
import { parseConfig, type VaultConfig } from '../../infra/config/schema';
import { DASHBOARD_BODY_BUDGET_BYTES, DASHBOARD_LIMITS, DATABASES_PER_GRAPH, OperationsDashboard, PER_DATABASE_DASHBOARD_LIMIT } from '../../infra/constructs/dashboard';
import example from '../../config/example.json' with { type: 'json' };
import { synth, type Synthesized } from './helpers';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title?: string; markdown?: string; alarms?: string[]; metrics?: unknown[][]; region?: string };
}
interface Body {
  widgets: Widget[];
}

/** Resolves the intrinsics of a dashboard body to plain text: `Ref` -> `<Ref:Id>`, `Fn::GetAtt` -> `<GetAtt:Id.Attr>`, pseudo parameters to the stack's values. */
function resolve(v: unknown, env: { account: string; region: string }): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map((p) => resolve(p, env)).join(o['Fn::Join'][0] as string);
  if ('Ref' in o) {
    const pseudo: Record<string, string> = { 'AWS::Region': env.region, 'AWS::AccountId': env.account, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
    return pseudo[o.Ref as string] ?? `<Ref:${o.Ref as string}>`;
  }
  if ('Fn::GetAtt' in o) return `<GetAtt:${o['Fn::GetAtt'][0] as string}.${o['Fn::GetAtt'][1] as string}>`;
  throw new Error(`unexpected intrinsic in the dashboard body: ${JSON.stringify(o)}`);
}

interface Dashboard {
  readonly name: string;
  readonly bodyText: string;
  readonly body: Body;
}

/** The template's only dashboard, its body resolved and parsed. */
function dashboardOf(template: Template, env: { account: string; region: string }): Dashboard {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const props = dashboards[0]!.Properties as { DashboardName: string; DashboardBody: unknown };
  const bodyText = resolve(props.DashboardBody, env);
  return { name: props.DashboardName, bodyText, body: JSON.parse(bodyText) as Body };
}

/** Logical IDs of every alarm (metric and composite) in the template. */
function alarmIdsOf(template: Template): string[] {
  return [...Object.keys(template.findResources('AWS::CloudWatch::Alarm')), ...Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm'))].sort();
}

/** Logical IDs of the alarms on the dashboard's alarm widgets. */
function alarmIdsOnDashboard(d: Dashboard): string[] {
  return d.body.widgets
    .filter((w) => w.type === 'alarm')
    .flatMap((w) => w.properties.alarms ?? [])
    .map((arn) => /^<GetAtt:(\w+)\.Arn>$/.exec(arn)?.[1] ?? `not an alarm ARN: ${arn}`)
    .sort();
}

/** Metric entries (not expressions) of a widget: `[namespace, name, dim, value, ..., options?]`. */
function metricsOf(w: Widget): string[][] {
  return (w.properties.metrics ?? []).filter((m) => typeof m[0] === 'string').map((m) => m.filter((x): x is string => typeof x === 'string'));
}

/** The value of dimension `name` in a metric entry. */
const dim = (m: string[], name: string): string | undefined => {
  const i = m.indexOf(name, 2);
  return i >= 2 ? m[i + 1] : undefined;
};

/** Checks CloudWatch's documented dashboard limits (docs/aws-behaviour.md §25) and our body budget. */
function expectWithinLimits(d: Dashboard): void {
  expect(d.body.widgets.length).toBeLessThanOrEqual(DASHBOARD_LIMITS.widgets);
  let total = 0;
  for (const w of d.body.widgets) {
    const n = metricsOf(w).length;
    expect(n, w.properties.title).toBeLessThanOrEqual(DASHBOARD_LIMITS.metricsPerWidget);
    total += n;
    if (w.type === 'alarm') expect((w.properties.alarms ?? []).length).toBeGreaterThanOrEqual(1);
    if (w.type === 'alarm') expect((w.properties.alarms ?? []).length).toBeLessThanOrEqual(DASHBOARD_LIMITS.alarmsPerAlarmWidget);
    expect(w.width).toBeLessThanOrEqual(24);
  }
  expect(total).toBeLessThanOrEqual(DASHBOARD_LIMITS.metricsPerDashboard);
  expect(Buffer.byteLength(d.bodyText)).toBeLessThanOrEqual(DASHBOARD_BODY_BUDGET_BYTES);
}

const ageLinesOf = (d: Dashboard): string[][] =>
  d.body.widgets.flatMap(metricsOf).filter((m) => m[0] === 'RdsSnapshotVault' && m[1] === RECOVERY_POINT_AGE_METRIC);

describe('dashboards of the example config', () => {
  let s: Synthesized;
  let source: Dashboard;
  let vault: Dashboard;
  let drVault: Dashboard;
  beforeAll(() => {
    s = synth();
    source = dashboardOf(s.source, { account: s.config.source.accountId, region: s.config.source.region });
    vault = dashboardOf(s.vault, { account: s.config.vault.accountId!, region: s.config.vault.region });
    drVault = dashboardOf(s.drVaults[0]!, { account: s.config.vault.accountId!, region: s.config.vault.drRegions[0]! });
  });

  it('one dashboard per stack, named after the deployment (and the Region: dashboards are global to an account)', () => {
    expect([source.name, vault.name, drVault.name]).toEqual(['rds-snapshot-vault-source', 'rds-snapshot-vault-vault-us-east-1', 'rds-snapshot-vault-vault-us-west-2']);
  });

  it('each dashboard lists exactly the alarms of its own template, each once', () => {
    for (const [template, d] of [
      [s.source, source],
      [s.vault, vault],
      [s.drVaults[0]!, drVault],
    ] as const) {
      const ids = alarmIdsOf(template);
      expect(ids.length).toBeGreaterThan(0);
      expect(alarmIdsOnDashboard(d)).toEqual(ids);
    }
    // The vault stack's alarms include the tripwire dead-letter queue, the recovery point alarms and the drill alarms.
    expect(alarmIdsOf(s.vault).length).toBeGreaterThanOrEqual(3 + 1 + 1 + s.config.databases.length + 3);
  });

  it('source: every execution outcome of every state machine of the stack (BackupRun, DatabaseBackup, DailyDigest) by state machine ARN, and copies in progress to each destination and kind (the copy slot table\'s count)', () => {
    const states = source.body.widgets.flatMap(metricsOf).filter((m) => m[0] === 'AWS/States');
    const machines = Object.keys(s.source.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(3); // the example config enables events, so DailyDigest is deployed
    for (const id of machines) {
      const names = states.filter((m) => dim(m, 'StateMachineArn') === `<Ref:${id}>`).map((m) => m[1]);
      expect(new Set(names)).toEqual(new Set(['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']));
    }
    // Copies in progress: the slot table's count per destination and kind, the most per hour, carried over hours without a poll.
    const widget = source.body.widgets.find((w) => metricsOf(w).some((m) => m[1] === COPIES_IN_PROGRESS_METRIC))!;
    const inProgress = metricsOf(widget).filter((m) => m[1] === COPIES_IN_PROGRESS_METRIC);
    expect(inProgress.map((m) => [dim(m, 'service'), dim(m, 'Account'), dim(m, 'Region'), dim(m, 'Kind')])).toEqual(
      [
        ['111111111111', 'us-east-1'],
        ['222222222222', 'us-east-1'],
        ['222222222222', 'us-west-2'],
      ].flatMap(([a, r]) => [
        ['poll-status', a, r, 'instance'],
        ['poll-status', a, r, 'cluster'],
      ]),
    );
    const raw = JSON.stringify(widget.properties.metrics);
    expect(raw.match(/"stat":"Maximum"/g)).toHaveLength(6);
    expect(raw.match(/FILL\(g\d+(instance|cluster), REPEAT\)/g)).toHaveLength(6);
    expect(source.bodyText).toContain('docs/operating.md');
  });

  it("source (issue 12): event runs deferred to the scheduled run, create-copy's CopiesDeferred and notify's DatabasesDeferred summed per hour, in the row of the copy widgets", () => {
    const widget = source.body.widgets.find((w) => metricsOf(w).some((m) => m[1] === COPIES_DEFERRED_METRIC));
    expect(widget, 'a widget plots CopiesDeferred').toBeDefined();
    expect(metricsOf(widget!).map((m) => [m[0], m[1], dim(m, 'service')])).toEqual([
      ['RdsSnapshotVault', COPIES_DEFERRED_METRIC, 'create-copy'],
      ['RdsSnapshotVault', DATABASES_DEFERRED_METRIC, 'notify'],
    ]);
    const raw = JSON.stringify(widget!.properties.metrics);
    expect(raw.match(/"stat":"Sum"/g)).toHaveLength(2);
    expect(raw.match(/"period":3600/g)).toHaveLength(2);
    expect(widget!.properties.title).toContain('scheduled run');
    const inProgress = source.body.widgets.find((w) => metricsOf(w).some((m) => m[1] === COPIES_IN_PROGRESS_METRIC))!;
    expect(typeof inProgress.y).toBe('number');
    expect(widget!.y).toBe(inProgress.y);
    // Not on the vault dashboards (no deferral happens there).
    for (const d of [vault, drVault]) expect(d.body.widgets.flatMap(metricsOf).map((m) => m[1])).not.toContain(COPIES_DEFERRED_METRIC);
  });

  it('vault stacks: recovery point age of every configured database in their own Region, and drills only where they run', () => {
    for (const [d, region] of [
      [vault, 'us-east-1'],
      [drVault, 'us-west-2'],
    ] as const) {
      expect(ageLinesOf(d).map((m) => [dim(m, 'Database'), dim(m, 'Region'), dim(m, 'service')])).toEqual(
        s.config.databases.map((db) => [db.identifier, region, 'check-recovery-points']),
      );
    }
    const machineIds = (t: Template) => Object.keys(t.findResources('AWS::StepFunctions::StateMachine'));
    const drillMachine = machineIds(s.vault).filter((id) => id.includes('RestoreDrill'));
    expect(drillMachine).toHaveLength(1);
    const onDashboard = (d: Dashboard) => new Set(d.body.widgets.flatMap(metricsOf).map((m) => dim(m, 'StateMachineArn')).filter((v) => v !== undefined));
    expect(onDashboard(vault)).toEqual(new Set(machineIds(s.vault).map((id) => `<Ref:${id}>`)));
    expect(onDashboard(drVault)).toEqual(new Set(machineIds(s.drVaults[0]!).map((id) => `<Ref:${id}>`)));
    expect(vault.body.widgets.flatMap(metricsOf).map((m) => m[1])).toEqual(expect.arrayContaining(['DrillsPassed', 'DrillsFailed', 'DrillRtoSeconds']));
    expect(drVault.body.widgets.flatMap(metricsOf).map((m) => m[1])).not.toContain('DrillsPassed');
  });

  it('stay within the limits', () => {
    for (const d of [source, vault, drVault]) expectWithinLimits(d);
  });

  it('every RdsSnapshotVault metric plotted is emitted by the function its service dimension names (by literal or by a shared constant)', () => {
    const constants = (Object.entries({ ...metricNames, ...checkRecoveryPoints }) as Array<[string, unknown]>).filter((e): e is [string, string] => typeof e[1] === 'string');
    // Metrics the shared handler (functions/shared/handler.ts) counts for a function that opts in: the
    // handler must count it by its constant, and the function's code must opt in.
    const handlerCode = readFileSync(join(PROJECT_ROOT, 'functions', 'shared', 'handler.ts'), 'utf8');
    const byHandler: Record<string, { constant: string; optIn: RegExp }> = {
      // Issue 12: counted when a copy is deferred (CopySlotsDeferred), which only a function passing `deferWhenLate` throws.
      [COPIES_DEFERRED_METRIC]: { constant: 'COPIES_DEFERRED_METRIC', optIn: /\bdeferWhenLate:/ },
    };
    const own = [source, vault, drVault].flatMap((d) => d.body.widgets.flatMap(metricsOf)).filter((m) => m[0] === 'RdsSnapshotVault');
    expect(own.length).toBeGreaterThan(10);
    for (const m of own) {
      const [name, service] = [m[1]!, dim(m, 'service')!];
      const dir = join(PROJECT_ROOT, 'functions', service);
      const code = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      const byConstant = constants.some(([k, v]) => v === name && new RegExp(`\\b${k}\\b`).test(code));
      const shared = byHandler[name];
      const bySharedHandler = shared !== undefined && new RegExp(`recorder\\.count\\(${shared.constant}\\)`).test(handlerCode) && shared.optIn.test(code);
      expect(code.includes(`'${name}'`) || byConstant || bySharedHandler, `${name} of ${service}`).toBe(true);
    }
  });

  it("every metric contracts/names.ts lists for a function is recorded in that function's code (by literal or by its constant), so a listed metric cannot be dead", () => {
    const constants = (Object.entries(metricNames) as Array<[string, unknown]>).filter((e): e is [string, string] => typeof e[1] === 'string');
    const entries = Object.entries(metricNames.FUNCTION_METRICS) as Array<[string, readonly string[]]>;
    expect(entries.length).toBeGreaterThan(10);
    for (const [service, names] of entries) {
      const dir = join(PROJECT_ROOT, 'functions', service);
      const code = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      for (const name of names) {
        const byConstant = constants.some(([k, v]) => v === name && new RegExp(`\\b${k}\\b`).test(code));
        expect(code.includes(`'${name}'`) || byConstant, `${name} of ${service}`).toBe(true);
      }
    }
  });
});

describe('a fleet of 1,000 databases', () => {
  const N = 1000;
  let config: VaultConfig;
  let source: Dashboard;
  let vault: Dashboard;
  let vaultTemplate: Template;
  beforeAll(() => {
    config = parseConfig({
      ...example,
      databases: Array.from({ length: N }, (_, i) => ({ identifier: `fleet-db-${String(i).padStart(4, '0')}`, kind: i % 5 === 4 ? 'cluster' : 'instance', ...(i % 7 === 3 ? { rpoHours: 50 } : {}) })),
      // As test/infra/listed-fleet.test.ts: BackupRun's timeout must fit a year at 1,000 databases.
      vault: { ...example.vault, drRegions: [], drCopyMode: undefined },
      discovery: undefined,
      polling: { maxWaitHours: 6 },
    });
    const { sourceStack, vaultStack } = createApp(config, { bundling: false, nag: false, validation: false, outdir: mkdtempSync(join(tmpdir(), 'rsv-dash-')) });
    // An alarm some other construct adds after the dashboard exists: it must be on the dashboard too.
    new cloudwatch.Alarm(vaultStack, 'AddedLaterAlarm', {
      metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Late', period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    vaultTemplate = Template.fromStack(vaultStack);
    source = dashboardOf(Template.fromStack(sourceStack), { account: config.source.accountId, region: config.source.region });
    vault = dashboardOf(vaultTemplate, { account: config.vault.accountId!, region: config.vault.region });
  }, 60_000);

  it(`per-database recovery point age for the first ${PER_DATABASE_DASHBOARD_LIMIT} databases in config order, ${DATABASES_PER_GRAPH} to a graph, with their objectives; the fleet widget for all`, () => {
    const lines = ageLinesOf(vault);
    expect(lines.map((m) => dim(m, 'Database'))).toEqual(config.databases.slice(0, PER_DATABASE_DASHBOARD_LIMIT).map((d) => d.identifier));
    const graphs = vault.body.widgets.filter((w) => metricsOf(w).some((m) => m[1] === RECOVERY_POINT_AGE_METRIC));
    expect(graphs).toHaveLength(PER_DATABASE_DASHBOARD_LIMIT / DATABASES_PER_GRAPH);
    expect(graphs[0]!.properties.title).toContain(`databases 1-${DATABASES_PER_GRAPH} of ${N}`);
    // Both objectives of the fleet (26 h and 50 h) are drawn on the graphs that hold such databases.
    expect(JSON.stringify(graphs[0])).toContain('"value":26');
    expect(JSON.stringify(graphs[0])).toContain('"value":50');
    const fleet = vault.body.widgets.flatMap(metricsOf).filter((m) => m[1] === 'RecoveryPointsOverObjective');
    expect(fleet.map((m) => dim(m, 'Region'))).toEqual([config.vault.region]);
    expect(vault.bodyText).toContain(`Only the first ${PER_DATABASE_DASHBOARD_LIMIT} of the ${N} configured databases`);
  });

  it('every alarm of the template is on the dashboard, the one added after the dashboard included', () => {
    const ids = alarmIdsOf(vaultTemplate);
    expect(ids.some((id) => id.startsWith('AddedLaterAlarm'))).toBe(true);
    expect(alarmIdsOnDashboard(vault)).toEqual(ids);
  });

  it('both dashboards stay within the widget, metric and alarm limits and the body budget', () => {
    expectWithinLimits(source);
    expectWithinLimits(vault);
    // Measured, for the report: the body does not grow with the fleet past the cap.
    expect(Buffer.byteLength(vault.bodyText)).toBeLessThan(DASHBOARD_BODY_BUDGET_BYTES / 2);
  });
});

describe('OperationsDashboard', () => {
  it('splits more than 100 alarms over alarm widgets of at most 100, each alarm once, alarms of other stacks left out', () => {
    // CDK's built-in CloudFormation validation off, as in helpers.ts's synth (it costs seconds here, and nag.test.ts runs it).
    const app = new App({ builtinCloudFormationValidation: false });
    const env = { account: '111111111111', region: 'eu-west-1' };
    const stack = new Stack(app, 'Many', { env });
    const other = new Stack(app, 'Other', { env });
    new OperationsDashboard(stack, 'Ops', { dashboardName: 'many', markdown: 'x' });
    const alarm = (scope: Stack, i: number) =>
      new cloudwatch.Alarm(scope, `A${i}`, { metric: new cloudwatch.Metric({ namespace: 'T', metricName: `m${i}`, period: Duration.minutes(5) }), threshold: 1, evaluationPeriods: 1 });
    for (let i = 0; i < 130; i++) alarm(stack, i);
    alarm(other, 0);
    const template = Template.fromStack(stack);
    const d = dashboardOf(template, env);
    const widgets = d.body.widgets.filter((w) => w.type === 'alarm');
    expect(widgets.map((w) => w.properties.alarms!.length)).toEqual([100, 30]);
    expect(widgets[1]!.properties.title).toContain('101-130 of 130');
    expect(alarmIdsOnDashboard(d)).toEqual(alarmIdsOf(template));
    expectWithinLimits(d);
  });
});
