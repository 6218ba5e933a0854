/**
 * The operations dashboards (issue 10): one CloudWatch dashboard per stack, named
 * `<deploymentName>-source` in the source account and `<deploymentName>-vault-<region>` per vault
 * Region (dashboards are global to an account, so the Region is in the name).
 *
 * - {@link SourceDashboard}: BackupRun and DatabaseBackup executions (started, succeeded, failed,
 *   timed out, aborted: `AWS/States` with the `StateMachineArn` dimension), failures (databases
 *   failed per run from notify, failed executions, Lambda failures by function), copies in progress
 *   per destination account, Region and kind (poll-status's `CopiesInProgress`, the copy slot table's
 *   count, see contracts/names.ts), copies started or reused, and (issue 12) event runs deferred to the
 *   scheduled run (create-copy's `CopiesDeferred`, notify's `DatabasesDeferred`).
 * - {@link VaultDashboard}: VaultRetention executions and deleted copies, the fleet's
 *   `RecoveryPointsOverObjective` in this Region, `RecoveryPointAge` per database (in hours, with the
 *   objective drawn as a line) for the first {@link PER_DATABASE_DASHBOARD_LIMIT} databases of the
 *   config, and, where restore drills run, RestoreDrill executions, drill results and RTO.
 * - Both: a text widget saying what to do when something is red (docs/operating.md, "The
 *   dashboards"), and alarm status widgets listing **every** CloudWatch alarm of the stack: they are
 *   collected when the app is synthesized (an aspect), so an alarm added later by any construct of
 *   the stack shows up without touching this file.
 *
 * Limits (docs/aws-behaviour.md §25): at most 500 widgets per dashboard, 500 metrics per widget and
 * 2,500 metrics per dashboard (metrics used only inside math count), 1-100 alarms per alarm status
 * widget. AWS documents no byte limit of the dashboard body itself; the body is a property of the
 * stack's template, which CloudFormation caps at 1 MB, so we hold it to
 * {@link DASHBOARD_BODY_BUDGET_BYTES}. A fleet of any size stays within all of these: the
 * per-database lines stop at {@link PER_DATABASE_DASHBOARD_LIMIT} databases (about 300 bytes of body
 * and one metric each; a vault body of ~35 KB at the cap, test/infra/dashboard.test.ts); the fleet
 * widget covers every database.
 * Sources: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import { Aspects, Duration, Stack, type IAspect } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { COPIES_DEFERRED_METRIC, COPIES_IN_PROGRESS_METRIC, DATABASES_DEFERRED_METRIC, DRILL_RTO_SECONDS_METRIC, DRILLS_FAILED_METRIC, DRILLS_PASSED_METRIC, METRICS_NAMESPACE, RECOVERY_POINT_AGE_METRIC, RECOVERY_POINTS_OVER_OBJECTIVE_METRIC, type HandlerMetric } from '../../contracts/names';
import { functionMetric } from './function-metric';
import { type VaultConfig, vaultAccountIdOf } from '../config/schema';

/** Up to this many databases (in config order) get a recovery point age line each; the fleet widget covers all. */
export const PER_DATABASE_DASHBOARD_LIMIT = 100;
/** Databases per recovery point age graph (a legend one can still read). */
export const DATABASES_PER_GRAPH = 20;
/** CloudWatch's documented dashboard limits (docs/aws-behaviour.md §25). */
export const DASHBOARD_LIMITS = { widgets: 500, metricsPerWidget: 500, metricsPerDashboard: 2500, alarmsPerAlarmWidget: 100 } as const;
/**
 * Our own ceiling for the dashboard body, in bytes of JSON (AWS documents none; the template that
 * carries it may hold 1 MB in all, docs/aws-behaviour.md §25).
 */
export const DASHBOARD_BODY_BUDGET_BYTES = 100 * 1024;

/** Dashboard names: `<deploymentName>-source` and `<deploymentName>-vault-<region>` (letters, digits, `-`, `_`; at most 255). */
export function dashboardNames(deploymentName: string): { source: string; vault: (region: string) => string } {
  return { source: `${deploymentName}-source`, vault: (region) => `${deploymentName}-vault-${region}` };
}

const HOUR = Duration.hours(1);
const DAY = Duration.days(1);

/** The shared handler's failure count of every function (contracts/names.ts `HANDLER_METRICS`). */
const FAILED: HandlerMetric = 'Failed';

/** Started / succeeded / failed / timed out / aborted executions of a state machine, summed per hour. */
function executionsWidget(title: string, stateMachine: sfn.IStateMachine, width: number): cloudwatch.GraphWidget {
  const sum = { statistic: cloudwatch.Stats.SUM, period: HOUR };
  return new cloudwatch.GraphWidget({
    title,
    width,
    height: 6,
    left: [
      stateMachine.metricStarted({ ...sum, label: 'started' }),
      stateMachine.metricSucceeded({ ...sum, label: 'succeeded', color: cloudwatch.Color.GREEN }),
      stateMachine.metricFailed({ ...sum, label: 'failed', color: cloudwatch.Color.RED }),
      stateMachine.metricTimedOut({ ...sum, label: 'timed out', color: cloudwatch.Color.ORANGE }),
      stateMachine.metricAborted({ ...sum, label: 'aborted', color: cloudwatch.Color.PURPLE }),
    ],
    leftYAxis: { min: 0, label: 'executions per hour', showUnits: false },
  });
}

/** Props of {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** Dashboard name (see {@link dashboardNames}). */
  readonly dashboardName: string;
  /** Markdown of the text widget at the top: what the dashboard shows and what to do when red. */
  readonly markdown: string;
}

/**
 * A dashboard with a text widget on top and, added at synth, alarm status widgets of every
 * CloudWatch alarm (metric or composite) of the stack, sorted by state (ALARM first), at most
 * {@link DASHBOARD_LIMITS}.alarmsPerAlarmWidget per widget. Default time range one week, each graph
 * keeping its own period.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** The alarms on the dashboard; filled in at synth (empty before). */
  readonly alarms: cloudwatch.IAlarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: props.markdown, width: 24, height: 3 }));
    Aspects.of(this).add(new AddStackAlarms(this));
  }

  /** Adds widgets in one row (24 grid units wide; wider rows wrap). */
  addRow(...widgets: cloudwatch.IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }

  /** @internal Called once, at synth, by {@link AddStackAlarms}. */
  _addAlarmWidgets(): void {
    const stack = Stack.of(this);
    const alarms = stack.node
      .findAll()
      .filter((c): c is cloudwatch.AlarmBase => c instanceof cloudwatch.AlarmBase && Stack.of(c) === stack)
      .sort((a, b) => a.node.path.localeCompare(b.node.path));
    this.alarms.push(...alarms);
    const per = DASHBOARD_LIMITS.alarmsPerAlarmWidget;
    for (let i = 0; i < alarms.length; i += per) {
      const chunk = alarms.slice(i, i + per);
      const range = alarms.length > per ? ` ${i + 1}-${i + chunk.length} of ${alarms.length}` : ` (${alarms.length})`;
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: `Alarms of this stack${range}: red = ALARM, see docs/operating.md "Alarms"`,
          alarms: chunk,
          sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
          width: 24,
          height: Math.min(2 + Math.ceil(chunk.length / 4), 24),
        }),
      );
    }
  }
}

/** Adds the alarm widgets when the aspects run (after every construct of the app exists). */
class AddStackAlarms implements IAspect {
  private done = false;
  constructor(private readonly owner: OperationsDashboard) {}
  visit(node: IConstruct): void {
    if (node !== this.owner || this.done) return;
    this.done = true;
    this.owner._addAlarmWidgets();
  }
}

/** A destination of snapshot copies: where CopiesInProgress is emitted for (per kind). */
export interface CopyDestination {
  /** Legend label, e.g. `source copies us-east-1`. */
  readonly label: string;
  readonly accountId: string;
  readonly region: string;
}

/** Where the copies of `config` are made: the source copy, the vault copy and each DR copy (vault account). */
export function copyDestinationsOf(config: VaultConfig): CopyDestination[] {
  const vaultAccount = vaultAccountIdOf(config);
  return [
    { label: `source copies ${config.source.region}`, accountId: config.source.accountId, region: config.source.region },
    { label: `vault copies ${config.vault.region}`, accountId: vaultAccount, region: config.vault.region },
    ...config.vault.drRegions.map((region) => ({ label: `DR copies ${region}`, accountId: vaultAccount, region })),
  ];
}

/** Props of {@link SourceDashboard}. */
export interface SourceDashboardProps {
  readonly deploymentName: string;
  readonly backupRun: sfn.IStateMachine;
  readonly databaseBackup: sfn.IStateMachine;
  /** The daily digest of event-started runs (present when `events.enabled`). */
  readonly dailyDigest?: sfn.IStateMachine;
  /** Every account and Region a copy is made in: the source copy, the vault copy, each DR copy. */
  readonly copyDestinations: readonly CopyDestination[];
}

/** The source stack's dashboard; see the module comment. */
export class SourceDashboard extends OperationsDashboard {
  constructor(scope: Construct, id: string, props: SourceDashboardProps) {
    const name = dashboardNames(props.deploymentName).source;
    super(scope, id, {
      dashboardName: name,
      markdown: [
        `## ${props.deploymentName}: backups (source account)`,
        'Runs, failures and copies in flight of BackupRun and its DatabaseBackup executions. **When something is red**: `npx rsv history --since 2d` ' +
          'names each failed database and its error; then that error\'s row in docs/operating.md ("What to do for each error"). ' +
          'What each widget means: docs/operating.md, "The dashboards". Re-running is always safe (`npx rsv start --db <db>`).',
      ].join('\n\n'),
    });
    const sum = (period: Duration) => ({ statistic: cloudwatch.Stats.SUM, period });
    if (props.dailyDigest) this.addRow(executionsWidget('DailyDigest executions (one a day: the digest of event-started runs)', props.dailyDigest, 8));
    this.addRow(
      executionsWidget('BackupRun executions (one per run)', props.backupRun, 8),
      executionsWidget('DatabaseBackup executions (one per database per run)', props.databaseBackup, 8),
      new cloudwatch.GraphWidget({
        title: 'Failures',
        width: 8,
        height: 6,
        left: [
          functionMetric('notify', 'DatabasesFailed', {}, { ...sum(HOUR), label: 'databases failed (per run, notify)', color: cloudwatch.Color.RED }),
          props.databaseBackup.metricFailed({ ...sum(HOUR), label: 'DatabaseBackup failed' }),
          props.databaseBackup.metricTimedOut({ ...sum(HOUR), label: 'DatabaseBackup timed out' }),
        ],
        right: [
          new cloudwatch.MathExpression({
            // Every function counts `Failed` (handler.ts), transient errors that a Retry then cured included.
            expression: `SEARCH('{${METRICS_NAMESPACE},service} MetricName="${FAILED}"', 'Sum', 3600)`,
            // A dynamic label: one line per function, named by its `service` dimension.
            label: "Lambda failures (incl. retried): ${PROP('Dim.service')}",
            period: HOUR,
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        rightYAxis: { min: 0, showUnits: false },
      }),
    );
    this.addRow(
      new cloudwatch.GraphWidget({
        title: 'Copies in progress (most per hour, by destination and kind; copy slot table)',
        width: 12,
        height: 6,
        left: props.copyDestinations.flatMap((d, i) =>
          (['instance', 'cluster'] as const).map(
            (kind) =>
              new cloudwatch.MathExpression({
                // A gauge reported at each poll: hours without a poll carry the last value over (docs/aws-behaviour.md §30).
                expression: `FILL(g${i}${kind}, REPEAT)`,
                usingMetrics: {
                  [`g${i}${kind}`]: functionMetric('poll-status', COPIES_IN_PROGRESS_METRIC, { Account: d.accountId, Region: d.region, Kind: kind },
                    { statistic: cloudwatch.Stats.MAXIMUM, period: HOUR },
                  ),
                },
                label: `${d.label} (${kind === 'instance' ? 'DB snapshots' : 'DB cluster snapshots'})`,
                period: HOUR,
              }),
          ),
        ),
        leftYAxis: { min: 0, label: 'copies', showUnits: false },
      }),
      new cloudwatch.GraphWidget({
        title: 'Copies started and reused (per hour)',
        width: 6,
        height: 6,
        left: [
          functionMetric('create-copy', 'CopiesStarted', {}, { ...sum(HOUR), label: 'source copies started' }),
          functionMetric('cross-account-copy', 'VaultCopiesStarted', {}, { ...sum(HOUR), label: 'vault and DR copies started' }),
          functionMetric('create-copy', 'CopiesReused', {}, { ...sum(HOUR), label: 'source copies reused' }),
          functionMetric('cross-account-copy', 'VaultCopiesReused', {}, { ...sum(HOUR), label: 'vault and DR copies reused' }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      // Issue 12: event-started runs whose first copy could not expect a copy slot within the slot wait's
      // bound were left to the scheduled run (not failures). Both counts should agree: create-copy counts
      // each deferral as it happens, notify the deferred databases of each run when it ends.
      new cloudwatch.GraphWidget({
        title: 'Deferred to the scheduled run (event runs, per hour)',
        width: 6,
        height: 6,
        left: [
          functionMetric('create-copy', COPIES_DEFERRED_METRIC, {}, { ...sum(HOUR), label: 'first copies deferred (create-copy)', color: cloudwatch.Color.ORANGE }),
          functionMetric('notify', DATABASES_DEFERRED_METRIC, {}, { ...sum(HOUR), label: 'databases deferred (per run, notify)' }),
        ],
        leftYAxis: { min: 0, label: 'databases', showUnits: false },
      }),
    );
  }
}

/** Props of {@link VaultDashboard}. */
export interface VaultDashboardProps {
  readonly deploymentName: string;
  /** The vault Region of the stack. */
  readonly region: string;
  readonly vaultRetention: sfn.IStateMachine;
  /** The configured databases and their recovery point objective (hours), in config order. */
  readonly objectives: ReadonlyArray<{ readonly identifier: string; readonly rpoHours: number }>;
  /** The RestoreDrill state machine, where drills run (primary vault stack with `restoreDrill`). */
  readonly restoreDrill?: sfn.IStateMachine;
}

/** The vault stack's dashboard (one per vault Region); see the module comment. */
export class VaultDashboard extends OperationsDashboard {
  constructor(scope: Construct, id: string, props: VaultDashboardProps) {
    const shown = props.objectives.slice(0, PER_DATABASE_DASHBOARD_LIMIT);
    const total = props.objectives.length;
    super(scope, id, {
      dashboardName: dashboardNames(props.deploymentName).vault(props.region),
      markdown: [
        `## ${props.deploymentName}: vault in ${props.region}`,
        'Recovery point age of each database in this Region, vault retention' + (props.restoreDrill ? ', restore drills and their RTO' : '') + '. ' +
          '**When something is red**: `npx rsv status` lists every database outside its objective; the VaultRetention summary on the vault topic names them too. ' +
          'What each widget means and what to do: docs/operating.md, "The dashboards".' +
          (total > shown.length ? ` Only the first ${shown.length} of the ${total} configured databases have their own line; the fleet widget counts all of them.` : ''),
      ].join('\n\n'),
    });
    const region = props.region;
    this.addRow(
      executionsWidget('VaultRetention executions (recovery point check and retention)', props.vaultRetention, 12),
      new cloudwatch.GraphWidget({
        title: `Databases without a fresh vault copy in ${region} (all ${total} databases)`,
        width: 12,
        height: 6,
        left: [
          functionMetric('check-recovery-points', RECOVERY_POINTS_OVER_OBJECTIVE_METRIC, { Region: region }, { statistic: cloudwatch.Stats.MAXIMUM, period: DAY, label: 'over objective or none', color: cloudwatch.Color.RED }),
        ],
        right: [functionMetric('retention-sweep', 'SnapshotsDeleted', {}, { statistic: cloudwatch.Stats.SUM, period: DAY, label: 'vault copies deleted by retention' })],
        leftYAxis: { min: 0, label: 'databases', showUnits: false },
        rightYAxis: { min: 0, label: 'copies', showUnits: false },
        leftAnnotations: [{ value: 0, label: 'objective: 0', color: cloudwatch.Color.GREEN }],
      }),
    );
    if (props.restoreDrill) {
      this.addRow(
        executionsWidget('RestoreDrill executions', props.restoreDrill, 8),
        new cloudwatch.GraphWidget({
          title: 'Drill results (databases per day)',
          width: 8,
          height: 6,
          left: [
            functionMetric('record-evidence', DRILLS_PASSED_METRIC, {}, { statistic: cloudwatch.Stats.SUM, period: DAY, label: 'passed', color: cloudwatch.Color.GREEN }),
            functionMetric('record-evidence', DRILLS_FAILED_METRIC, {}, { statistic: cloudwatch.Stats.SUM, period: DAY, label: 'failed', color: cloudwatch.Color.RED }),
          ],
          leftYAxis: { min: 0, showUnits: false },
        }),
        new cloudwatch.GraphWidget({
          title: 'Drill RTO: restore request to available (minutes)',
          width: 8,
          height: 6,
          left: [
            new cloudwatch.MathExpression({
              expression: 'rtoMax / 60',
              usingMetrics: { rtoMax: functionMetric('record-evidence', DRILL_RTO_SECONDS_METRIC, {}, { statistic: cloudwatch.Stats.MAXIMUM, period: DAY }) },
              label: 'longest',
              period: DAY,
            }),
            new cloudwatch.MathExpression({
              expression: 'rtoAvg / 60',
              usingMetrics: { rtoAvg: functionMetric('record-evidence', DRILL_RTO_SECONDS_METRIC, {}, { statistic: cloudwatch.Stats.AVERAGE, period: DAY }) },
              label: 'average',
              period: DAY,
            }),
          ],
          leftYAxis: { min: 0, label: 'minutes', showUnits: false },
        }),
      );
    }
    const graphs: cloudwatch.GraphWidget[] = [];
    for (let i = 0; i < shown.length; i += DATABASES_PER_GRAPH) {
      const chunk = shown.slice(i, i + DATABASES_PER_GRAPH);
      const objectives = [...new Set(chunk.map((d) => d.rpoHours))].sort((a, b) => a - b);
      graphs.push(
        new cloudwatch.GraphWidget({
          title: `Recovery point age in ${region} (hours), databases ${i + 1}-${i + chunk.length} of ${total}`,
          width: 12,
          height: 6,
          left: chunk.map(
            (d, j) =>
              new cloudwatch.MathExpression({
                expression: `age${i + j} / 3600`,
                usingMetrics: {
                  [`age${i + j}`]: functionMetric('check-recovery-points', RECOVERY_POINT_AGE_METRIC, { Database: d.identifier, Region: region }, { statistic: cloudwatch.Stats.MAXIMUM, period: DAY }),
                },
                label: d.identifier,
                period: DAY,
              }),
          ),
          leftYAxis: { min: 0, label: 'hours', showUnits: false },
          leftAnnotations: objectives.map((h) => ({ value: h, label: `objective ${h} h`, color: cloudwatch.Color.RED })),
        }),
      );
    }
    for (let i = 0; i < graphs.length; i += 2) this.addRow(...graphs.slice(i, i + 2));
  }
}
