import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { UNDELIVERABLE_EMAILS_METRIC } from '../../lambda/contract/undeliverableMetric.ts';

export interface UndeliverableEmailsAlarmProps {
  /** How long one evaluation sums the refusals. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * An alarm on Rotor's `UndeliverableEmails` metric (namespace `Rotor`, emitted as Powertools EMF by
 * every function that sends email): one email SES refused for good is enough, because nobody else
 * learns of it. The emails themselves are listed by `rotor apps show <app>`.
 */
export class UndeliverableEmailsAlarm extends Construct {
  public readonly metric: Metric;
  public readonly alarm: Alarm;

  public constructor(scope: Construct, id: string, props: UndeliverableEmailsAlarmProps = {}) {
    super(scope, id);
    this.metric = new Metric({
      namespace: UNDELIVERABLE_EMAILS_METRIC.namespace,
      metricName: UNDELIVERABLE_EMAILS_METRIC.metricName,
      dimensionsMap: { service: UNDELIVERABLE_EMAILS_METRIC.service },
      statistic: 'Sum',
      period: props.period ?? Duration.minutes(5),
    });
    this.alarm = new Alarm(this, 'Alarm', {
      alarmDescription:
        'SES refused a Rotor email for good (rejected, unverified sender, or an unverified recipient in the SES sandbox): "rotor apps show <app>" lists it with SES\'s reason.',
      metric: this.metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
