import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { ROTOR_METRICS, type RotorMetricName } from '../../lambda/contract/metrics.ts';

/**
 * One of Rotor's metrics as the functions emit it: namespace `Rotor`, dimension `service` = `rotor`
 * (lambda/contract/metrics.ts names both, for the functions and the stack alike).
 */
export function rotorMetric(
  metricName: RotorMetricName,
  options: { readonly statistic?: string; readonly period?: Duration; readonly label?: string } = {},
): Metric {
  return new Metric({
    namespace: ROTOR_METRICS.namespace,
    metricName,
    dimensionsMap: { service: ROTOR_METRICS.service },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}
