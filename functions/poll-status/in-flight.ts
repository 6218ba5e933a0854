/**
 * The copies-in-progress gauge of poll-status ({@link COPIES_IN_PROGRESS_METRIC}): after a poll's
 * write to the copy slot table (functions/shared/copy-slots.ts: the expected release of a copy not yet
 * available, or the release of one seen finished), the slot group's live holders, i.e. the copies in
 * progress into the polled copy's destination account, Region and kind, counted by the one authority
 * that holds them within the limits (docs/aws-behaviour.md §11). Every poll of every copy reports
 * it, so it follows the table closely while copies run; nothing without a slot table or when the
 * write failed.
 * Source: https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/ (single metrics)
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { InProgressReport } from '../../functions/shared/copy-slots.js';
import { COPIES_IN_PROGRESS_METRIC } from '../../contracts/names.js';

export { COPIES_IN_PROGRESS_METRIC };

/** An {@link InProgressReport} that emits one EMF document (dimensions service, Account, Region, Kind) per report; a no-op when `metrics` is undefined (disabled). */
export function copiesInProgressGauge(metrics: Metrics | undefined): InProgressReport {
  return (r, inProgress) => {
    if (!metrics) return;
    const single = metrics.singleMetric();
    single.addDimensions({ Account: r.accountId, Region: r.region, Kind: r.kind });
    single.addMetric(COPIES_IN_PROGRESS_METRIC, MetricUnit.Count, inProgress);
  };
}
