/**
 * The copies-in-flight metric of poll-status ({@link COPY_IN_FLIGHT_SECONDS_METRIC}): after a poll
 * of a copy that is not yet `available`, the seconds the state machine now waits before polling it
 * again, with the copy's destination as dimensions. Summed over a period and divided by it, that is
 * the average number of copies in flight to that account and Region (the dashboard's "copies in
 * flight" widget): the waits of one copy follow each other without gaps (the first poll comes right
 * after the copy starts, docs/aws-behaviour.md §13 for the statuses). Nothing is emitted for a
 * ready copy (the copy is no longer in flight) or a failed poll (it throws first).
 * Source: https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/ (single metrics)
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { PollStatusOutput } from '../../functions/shared/contracts.js';
import { COPY_IN_FLIGHT_SECONDS_METRIC } from '../../functions/shared/metric-names.js';

export { COPY_IN_FLIGHT_SECONDS_METRIC };

/** Emits one EMF document (dimensions service, Account, Region) unless `metrics` is undefined (disabled) or the copy is ready. */
export function recordCopyInFlight(metrics: Metrics | undefined, out: PollStatusOutput): void {
  if (!metrics || out.ready) return;
  const single = metrics.singleMetric();
  single.addDimensions({ Account: out.snapshot.accountId, Region: out.snapshot.region });
  single.addMetric(COPY_IN_FLIGHT_SECONDS_METRIC, MetricUnit.Seconds, out.waitSeconds);
}
