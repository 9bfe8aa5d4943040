import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import {
  Choice,
  Condition,
  DefinitionBody,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { sweepPath } from '../../lambda/contract/workflows.ts';
import { acknowledgeWorkflowGrants, retryTransientErrors } from './TaskFunction.ts';

export interface SweepWorkflowProps {
  readonly findDueApps: IFunction;
  readonly sweepApp: IFunction;
  readonly notify: IFunction;
  /** `HH:MM`, when the daily sweep starts. */
  readonly sweepTime: string;
  /** The IANA time zone of `sweepTime`. */
  readonly timeZone: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

/**
 * The daily sweep: an EventBridge Scheduler schedule starts it at the configured time and zone; it
 * queries the due apps and, for each, repairs, rotates or reminds. One app's failure does not stop
 * the others.
 */
export class SweepWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly schedule: Schedule;
  public readonly failedExecutionsAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: SweepWorkflowProps) {
    super(scope, id);
    // Without a payload the task gets its state input as it is (a `Parameters: "$"` is not valid ASL).
    const task = (stateId: string, fn: IFunction, payload: TaskInput | undefined, resultPath: string) =>
      retryTransientErrors(
        new LambdaInvoke(this, stateId, {
          lambdaFunction: fn,
          ...(payload ? { payload } : {}),
          payloadResponseOnly: true,
          resultPath,
          retryOnServiceExceptions: false,
        }),
      );

    const findDue = task('FindDueApps', props.findDueApps, TaskInput.fromObject({}), sweepPath('due'));
    const sweepApp = task(
      'SweepApp',
      props.sweepApp,
      TaskInput.fromObject({ 'appId.$': sweepPath('appId') }),
      '$',
    );
    sweepApp.addCatch(
      new Pass(this, 'AppFailed', { comment: 'Logged in the execution history; the next app goes on.' }),
      {
        resultPath: sweepPath('error'),
      },
    );
    // The app's outbox holds the emails its changes of state queued; what this delivery misses (SES
    // down past the retries) stays there for the next sweep.
    const notify = task(
      'NotifyFromSweep',
      props.notify,
      TaskInput.fromObject({ 'appId.$': sweepPath('appId') }),
      JsonPath.DISCARD,
    );
    notify.addCatch(new Pass(this, 'NotifyFailed'), { resultPath: sweepPath('error') });
    sweepApp.next(
      new Choice(this, 'Email?')
        .when(
          Condition.and(
            Condition.isPresent(sweepPath('deliver')),
            Condition.booleanEquals(sweepPath('deliver'), true),
          ),
          notify,
        )
        .otherwise(new Succeed(this, 'AppDone')),
    );

    const forEachApp = new MapState(this, 'ForEachDueApp', {
      itemsPath: sweepPath('due', 'appIds'),
      itemSelector: { 'appId.$': '$$.Map.Item.Value' },
      maxConcurrency: 10,
      resultPath: JsonPath.DISCARD,
    });
    forEachApp.itemProcessor(sweepApp);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(findDue.next(forEachApp)),
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Rotor: the daily sweep over due apps',
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });

    const [hour, minute] = props.sweepTime.split(':');
    this.schedule = new Schedule(this, 'Daily', {
      description: `Rotor's daily sweep at ${props.sweepTime} ${props.timeZone}`,
      schedule: ScheduleExpression.cron({ hour, minute, timeZone: TimeZone.of(props.timeZone) }),
      target: new StepFunctionsStartExecution(this.stateMachine, { retryAttempts: 3 }),
    });

    const ended = { period: Duration.minutes(5), statistic: 'Sum' };
    this.failedExecutionsAlarm = new Alarm(this, 'FailedExecutions', {
      alarmDescription:
        "Rotor's daily sweep failed, timed out or was stopped; due apps were not rotated or reminded today.",
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed(ended),
          timedOut: this.stateMachine.metricTimedOut(ended),
          aborted: this.stateMachine.metricAborted(ended),
        },
        label: 'Sweeps failed, timed out or stopped',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    acknowledgeWorkflowGrants(this.stateMachine, [props.findDueApps, props.sweepApp, props.notify]);
  }
}
