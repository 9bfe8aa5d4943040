import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
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
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { type SweepBatchInput, sweepPath } from '../../lambda/contract/workflows.ts';
import {
  acknowledgeWorkflowGrants,
  nagArn,
  retryTransientErrors,
  type TaskFunction,
} from './TaskFunction.ts';

export interface SweepWorkflowProps {
  readonly findDueApps: IFunction;
  readonly sweepApp: IFunction;
  readonly notify: IFunction;
  /** `HH:MM`, when the daily sweep starts. */
  readonly sweepTime: string;
  /** The IANA time zone of `sweepTime`. */
  readonly timeZone: string;
  /** SES's maximum send rate, recipients a second, that the sweep's emails keep within. */
  readonly sesSendRate: number;
  /** Apps per batch execution. @default 500 */
  readonly batchSize?: number;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

/** Where a batch execution's input (SweepBatchInput) lists its apps. */
const BATCH_ITEMS: `$.${keyof SweepBatchInput & 'items'}` = '$.items';

/** How many apps of one batch are handled at the same time, at most (the send slots set the pace). */
const APPS_AT_ONCE = 20;

/**
 * The daily sweep: an EventBridge Scheduler schedule starts it at the configured time and zone. Its one
 * task, FindDueApps, plans the day: every due app, repairs first, each with its slot within SES's send
 * rate, in batch executions of at most 500 apps that it starts (see `lambda/domain/sweepPlan.ts`). A batch
 * waits for each app's slot, then repairs, rotates or reminds it and delivers its emails; one app's
 * failure does not stop the others. So any number of due apps fits AWS's quotas: no execution comes near
 * 25,000 history events or 256 KB of state, and the emails never outrun the send rate.
 */
export class SweepWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  /** The executions that handle one batch of the planned apps each. */
  public readonly batchStateMachine: StateMachine;
  public readonly schedule: Schedule;
  public readonly failedExecutionsAlarm: Alarm;
  readonly #sesSendRate: number;
  readonly #batchSize: number | undefined;

  public constructor(scope: Construct, id: string, props: SweepWorkflowProps) {
    super(scope, id);
    this.#sesSendRate = props.sesSendRate;
    this.#batchSize = props.batchSize;
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

    const findDue = task(
      'FindDueApps',
      props.findDueApps,
      TaskInput.fromObject({
        'execution.$': '$$.Execution.Id',
        'executionName.$': '$$.Execution.Name',
        'startedAt.$': '$$.Execution.StartTime',
      }),
      sweepPath('due'),
    );
    // A FindDueApps that crashed or timed out goes on where it stopped (it finds the batches it started).
    findDue.addRetry({
      errors: ['States.TaskFailed'],
      interval: Duration.seconds(10),
      maxAttempts: 2,
      backoffRate: 2,
    });

    const waitForSlot = new Wait(this, 'WaitForSendSlot', {
      comment: "The app's place within SES's send rate, as FindDueApps planned it.",
      time: WaitTime.timestampPath(sweepPath('at')),
    });
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
    waitForSlot.next(sweepApp);
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
      itemsPath: BATCH_ITEMS,
      itemSelector: { 'appId.$': '$$.Map.Item.Value.appId', 'at.$': '$$.Map.Item.Value.at' },
      maxConcurrency: APPS_AT_ONCE,
      resultPath: JsonPath.DISCARD,
    });
    forEachApp.itemProcessor(waitForSlot);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logs = { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true };
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(findDue),
      stateMachineType: StateMachineType.STANDARD,
      comment: "Rotor: the daily sweep, which plans the due apps' batches and starts them",
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs,
    });
    this.batchStateMachine = new StateMachine(this, 'Batches', {
      definitionBody: DefinitionBody.fromChainable(forEachApp),
      stateMachineType: StateMachineType.STANDARD,
      comment: "Rotor: one batch of the daily sweep's due apps, each in its send slot",
      // The last slot of a batch can be hours after the sweep starts on a big day; a batch still running
      // after this leaves its apps due for the next sweep.
      timeout: Duration.hours(36),
      tracingEnabled: true,
      logs,
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
        "Rotor's daily sweep or one of its batches failed, timed out or was stopped; due apps were not rotated or reminded today.",
      metric: new MathExpression({
        expression:
          'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0) + ' +
          'FILL(batchFailed, 0) + FILL(batchTimedOut, 0) + FILL(batchAborted, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed(ended),
          timedOut: this.stateMachine.metricTimedOut(ended),
          aborted: this.stateMachine.metricAborted(ended),
          // A batch that did not end well left some of the day's apps for the next sweep.
          batchFailed: this.batchStateMachine.metricFailed(ended),
          batchTimedOut: this.batchStateMachine.metricTimedOut(ended),
          batchAborted: this.batchStateMachine.metricAborted(ended),
        },
        label: 'Sweeps failed, timed out or stopped',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    acknowledgeWorkflowGrants(this.stateMachine, [props.findDueApps]);
    acknowledgeWorkflowGrants(this.batchStateMachine, [props.sweepApp, props.notify]);
  }

  /**
   * Lets `planner` (FindDueApps) start the sweep's batch executions and look up the ones it started, and
   * tells it the batch state machine and the send rate.
   */
  public grantStartBatches(planner: TaskFunction): void {
    planner.function.addEnvironment('SWEEP_BATCH_STATE_MACHINE_ARN', this.batchStateMachine.stateMachineArn);
    planner.function.addEnvironment('SES_SEND_RATE', String(this.#sesSendRate));
    if (this.#batchSize !== undefined)
      planner.function.addEnvironment('SWEEP_BATCH_SIZE', String(this.#batchSize));
    this.batchStateMachine.grantStartExecution(planner.role);
    this.batchStateMachine.grantExecution(planner.role, 'states:DescribeExecution');
    const stack = Stack.of(this);
    const machineName = stack.splitArn(this.batchStateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME)
      .resourceName as string;
    Validations.of(planner.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'states', `execution:${JSON.stringify(stack.resolve(machineName))}:*`)}]`,
      reason:
        "A retried FindDueApps looks up the sweep's batch executions it started; they are named after the sweep.",
    });
  }
}
