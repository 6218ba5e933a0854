/**
 * The drill metrics of record-evidence, one set per drilled database, for the vault dashboard's
 * "drill results and RTO" widget: {@link DRILLS_PASSED_METRIC} or {@link DRILLS_FAILED_METRIC}
 * (Count 1, after the same verdict the evidence record gets: a drill whose cleanup failed is FAILED)
 * and, when the restore became available, {@link DRILL_RTO_SECONDS_METRIC} (Seconds). Dimension
 * `service` only: the per-database detail is in the evidence record, and a `Database` dimension
 * would make a custom metric of every database ever drilled.
 * Source: https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/ (single metrics)
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DRILL_RTO_SECONDS_METRIC, DRILLS_FAILED_METRIC, DRILLS_PASSED_METRIC } from '../../contracts/names.js';
import type { EvidenceSummary } from './evidence.js';

/** Emits the drill metrics of `summary`; nothing when `metrics` is undefined (metrics disabled). */
export function recordDrillMetrics(metrics: Metrics | undefined, summary: EvidenceSummary): void {
  if (!metrics) return;
  const outcome = metrics.singleMetric();
  outcome.addMetric(summary.status === 'PASSED' ? DRILLS_PASSED_METRIC : DRILLS_FAILED_METRIC, MetricUnit.Count, 1);
  if (typeof summary.rtoSeconds === 'number') {
    const rto = metrics.singleMetric();
    rto.addMetric(DRILL_RTO_SECONDS_METRIC, MetricUnit.Seconds, summary.rtoSeconds);
  }
}
