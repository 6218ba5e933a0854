/**
 * The CloudWatch metrics our functions record (namespace `RdsSnapshotVault`, Powertools EMF), as the
 * dashboards and alarms read them. Typed from contracts/names.ts `FUNCTION_METRICS` and
 * `HANDLER_METRICS`: a metric the function `service` does not record fails tsc, so no widget or alarm waits on a name nothing
 * emits (an alarm on a metric with no data would sit in INSUFFICIENT_DATA, or BREACHING, for the
 * wrong reason).
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, type FunctionMetric, type HandlerMetric, type MetricService } from '../../contracts/names';

/**
 * Metric `metricName` of function `service` (the `service` dimension, its Powertools service name),
 * with any further dimensions the function adds (`Region`, `Database`, `Account`, `Kind`): one the
 * function records itself, or one the shared handler counts for it (`HANDLER_METRICS`).
 */
export function functionMetric<S extends MetricService>(
  service: S,
  metricName: FunctionMetric<S> | HandlerMetric,
  dimensions: Readonly<Record<string, string>>,
  props: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service, ...dimensions }, ...props });
}
