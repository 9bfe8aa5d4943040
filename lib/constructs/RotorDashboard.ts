import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  SingleValueWidget,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { ROTOR_METRICS } from '../../lambda/contract/metrics.ts';
import { rotorMetric } from './rotorMetric.ts';

export interface RotorDashboardProps {
  /** The alarms whose state the dashboard shows at the top. @default none */
  readonly alarms?: readonly Alarm[];
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
}

/**
 * The CloudWatch dashboard of Rotor's metrics (namespace `Rotor`): the alarms' state; rotations started,
 * completed, failed, cancelled and expired now; emails and webhooks sent and failed; old-token uses during
 * grace periods and stuck apps; and the sweep's daily gauges (oldest token age, days until the next app is
 * due, overdue tokens).
 */
export class RotorDashboard extends Construct {
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: RotorDashboardProps = {}) {
    super(scope, id);
    const { names } = ROTOR_METRICS;
    const hourly = { period: Duration.hours(1) };
    const daily = { period: Duration.days(1) };
    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.days(14),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Rotor\nRotations, emails and token ages. `rotor apps list` names the apps; `rotor history <app>` tells what happened.',
        width: 24,
        height: 2,
      }),
    );
    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(
        new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }),
      );
    }
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Rotations per hour',
        left: [
          rotorMetric(names.rotationsStarted, { ...hourly, label: 'started' }),
          rotorMetric(names.rotationsCompleted, { ...hourly, label: 'completed' }),
          rotorMetric(names.rotationsExpiredNow, { ...hourly, label: 'expired now' }),
          rotorMetric(names.rotationsCancelled, { ...hourly, label: 'cancelled' }),
          rotorMetric(names.rotationsFailed, { ...hourly, label: 'failed' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Emails and webhooks per hour',
        left: [
          rotorMetric(names.emailsSent, { ...hourly, label: 'emails sent' }),
          rotorMetric(names.undeliverableEmails, { ...hourly, label: 'emails failed (SES refused)' }),
          rotorMetric(names.webhooksDelivered, { ...hourly, label: 'webhooks delivered' }),
          rotorMetric(names.webhooksFailed, { ...hourly, label: 'webhooks failed' }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Old-token uses during grace periods, per hour',
        left: [rotorMetric(names.oldTokenUses, { ...hourly, label: 'old-token uses' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Stuck apps rolled back and overdue tokens, per day',
        left: [
          rotorMetric(names.appsStuck, { ...daily, label: 'stuck apps' }),
          rotorMetric(names.overdueTokens, { ...daily, statistic: Stats.MAXIMUM, label: 'overdue tokens' }),
        ],
        width: 8,
      }),
      new SingleValueWidget({
        title: 'Token ages (days, from the daily sweep)',
        metrics: [
          rotorMetric(names.oldestTokenAgeDays, {
            ...daily,
            statistic: Stats.MAXIMUM,
            label: 'oldest token',
          }),
          rotorMetric(names.daysUntilNextDue, { ...daily, statistic: Stats.MINIMUM, label: 'next due in' }),
          rotorMetric(names.overdueTokens, { ...daily, statistic: Stats.MAXIMUM, label: 'overdue' }),
        ],
        width: 8,
      }),
    );
  }
}
