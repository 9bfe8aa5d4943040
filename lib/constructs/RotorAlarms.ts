import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ROTOR_METRICS } from '../../lambda/contract/metrics.ts';
import { rotorMetric } from './rotorMetric.ts';

export interface RotorAlarmsProps {
  /** How long the rotation-failed and stuck-app alarms sum their metric. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * Rotor's alarms and the SNS topic they notify: a rotation failed (`RotationsFailed` ≥ 1), the sweep
 * found an app stuck and rolled it back (`AppsStuck` ≥ 1), and a token is overdue (the sweep's daily
 * `OverdueTokens` ≥ 1). Subscribe to {@link RotorAlarms.topic} (email, chat, a pager) to hear of them;
 * {@link RotorAlarms.notify} routes any other alarm there too.
 *
 * The topic refuses publishers without TLS (`enforceSSL`, cdk-nag AwsSolutions-SNS3). It has no KMS
 * key: its messages are alarm names, states and descriptions, never a token or an address, cdk-nag's
 * AwsSolutions pack asks for none, and CloudWatch could not use SNS's AWS managed key anyway (a key of
 * its own would cost a monthly fee and a key policy for CloudWatch).
 */
export class RotorAlarms extends Construct {
  public readonly topic: Topic;
  public readonly rotationFailed: Alarm;
  public readonly appStuck: Alarm;
  public readonly overdueToken: Alarm;

  public constructor(scope: Construct, id: string, props: RotorAlarmsProps = {}) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Rotor alarms',
      enforceSSL: true,
    });

    const alarm = (alarmId: string, alarmProps: ConstructorParameters<typeof Alarm>[2]) => {
      const created = new Alarm(this, alarmId, alarmProps);
      this.notify(created);
      return created;
    };
    const atLeastOnce = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    };
    const { names } = ROTOR_METRICS;
    this.rotationFailed = alarm('RotationFailed', {
      alarmDescription:
        'A Rotor rotation failed and was rolled back: the old token is still current and valid. "rotor history <app>" names the step and the reason.',
      metric: rotorMetric(names.rotationsFailed, { period }),
      ...atLeastOnce,
    });
    this.appStuck = alarm('AppStuck', {
      alarmDescription:
        'The daily sweep found a Rotor rotation stuck (no new token an hour after it started, its workflow gone) and rolled it back. "rotor history <app>" shows it; look at the rotation workflow\'s executions.',
      metric: rotorMetric(names.appsStuck, { period }),
      ...atLeastOnce,
    });
    // The sweep records the gauge once a day: a day's period holds one value, and the alarm stays on
    // while that day's count says a token is overdue.
    this.overdueToken = alarm('OverdueToken', {
      alarmDescription:
        'A Rotor app\'s token is more than a day past its rotation interval and no rotation is running (policy remind, or a scheduled rotation that did not start). "rotor apps list" shows which; "rotor rotate <app> --expire later" rotates it.',
      metric: rotorMetric(names.overdueTokens, { statistic: 'Maximum', period: Duration.days(1) }),
      ...atLeastOnce,
    });
  }

  /** Sends `alarm`'s state changes into ALARM to the topic. */
  public notify(alarm: Alarm): void {
    alarm.addAlarmAction(new SnsAction(this.topic));
  }
}
