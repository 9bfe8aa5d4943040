import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { NotificationEvent } from '../../lambda/contract/notificationEvents.ts';
import { acknowledgeWorkflowGrants, retryTransientErrors } from './TaskFunction.ts';

export interface RotationWorkflowProps {
  readonly startRotation: IFunction;
  readonly checkPromotion: IFunction;
  readonly checkGrace: IFunction;
  readonly expireOldToken: IFunction;
  readonly rollBack: IFunction;
  readonly notify: IFunction;
  /** HubSpot: keeps the task token of the wait for the handed-over token. */
  readonly awaitHandoff: IFunction;
  /** HubSpot: a reminder a day, until the app's handoff time is over. */
  readonly handoffReminder: IFunction;
  /** HubSpot: makes the handed-over token current. */
  readonly promoteHandoff: IFunction;
  /** The longest grace period a rotation may have (the deployment's setting and the API's limit). */
  readonly longestGraceSeconds: number;
  /** The longest time a HubSpot rotation may wait for the handed-over token (an app's handoff timeout). */
  readonly longestHandoffSeconds: number;
  /** The grace period of a HubSpot rotation, which starts once the new token is handed over. */
  readonly hubspotGraceSeconds: number;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

/** How long AwaitHandoff waits before a reminder; the give-up check runs at a reminder, so up to this late. */
const HANDOFF_REMINDER_EVERY = Duration.hours(24);
/** Time beyond the waits: the tasks, their retries, CheckPromotion's polling. */
const TIMEOUT_MARGIN = Duration.days(2);

/**
 * The rotation workflow's TimeoutSeconds: the longest rotation the settings allow, plus a margin. That is
 * a managed rotation's longest grace period, or a HubSpot rotation's longest handoff (and the day until
 * its last reminder gives up) followed by HubSpot's grace period.
 */
export function rotationTimeout(
  props: Pick<RotationWorkflowProps, 'longestGraceSeconds' | 'longestHandoffSeconds' | 'hubspotGraceSeconds'>,
): Duration {
  const hubspot =
    props.longestHandoffSeconds + HANDOFF_REMINDER_EVERY.toSeconds() + props.hubspotGraceSeconds;
  const managed = props.longestGraceSeconds;
  return Duration.seconds(Math.max(hubspot, managed) + TIMEOUT_MARGIN.toSeconds());
}

const ROTATION_IDS = { 'appId.$': '$.appId', 'rotationId.$': '$.rotationId' };

/**
 * The rotation lifecycle as a Standard workflow: take the lock and rotate through the hook, wait for
 * the new token to become current, then either tell the admins the old token is gone (expire-now) or
 * run the grace period (initiated email, 24-hour notice, expiry, completed email). A failure before
 * the new token is current rolls back and sends ROTATION_FAILED. Payloads carry ids only.
 */
export class RotationWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly failedExecutionsAlarm: Alarm;

  public constructor(scope: Construct, id: string, props: RotationWorkflowProps) {
    super(scope, id);

    const task = (stateId: string, fn: IFunction, payload: TaskInput, resultPath: string) =>
      retryTransientErrors(
        new LambdaInvoke(this, stateId, {
          lambdaFunction: fn,
          payload,
          payloadResponseOnly: true,
          resultPath,
          retryOnServiceExceptions: false,
        }),
      );
    const notify = (stateId: string, event: NotificationEvent, extra: Record<string, string> = {}) =>
      task(
        stateId,
        props.notify,
        TaskInput.fromObject({ ...ROTATION_IDS, event, ...extra }),
        JsonPath.DISCARD,
      );

    const done = new Succeed(this, 'Done');
    const endedEarly = new Succeed(this, 'EndedByOperator', {
      comment: 'Someone expired or cancelled the rotation while this execution waited.',
    });
    const refused = new Fail(this, 'Refused', {
      error: 'RotationConflictError',
      causePath: '$.error.Cause',
    });
    const failed = new Fail(this, 'RotationFailed', {
      error: 'RotationFailed',
      cause: 'The rotation was rolled back; the old token is still current and valid.',
    });

    const rollBack = task(
      'RollBack',
      props.rollBack,
      TaskInput.fromObject({ ...ROTATION_IDS, 'error.$': '$.error' }),
      JsonPath.DISCARD,
    );
    rollBack.next(notify('NotifyFailed', 'ROTATION_FAILED')).next(failed);

    const startRotation = task(
      'StartRotation',
      props.startRotation,
      // The whole input: grace and reason are optional, and a missing path would fail the state.
      TaskInput.fromObject({ 'request.$': '$', 'executionArn.$': '$$.Execution.Id' }),
      '$.started',
    );
    startRotation.addCatch(refused, {
      errors: ['RotationConflictError', 'ValidationError'],
      resultPath: '$.error',
    });
    startRotation.addCatch(rollBack, { resultPath: '$.error' });

    const checkPromotion = task(
      'CheckPromotion',
      props.checkPromotion,
      TaskInput.fromObject(ROTATION_IDS),
      '$.promotion',
    ).addRetry({
      errors: ['RotationPendingError'],
      interval: Duration.seconds(3),
      maxAttempts: 15,
      backoffRate: 1.5,
      maxDelay: Duration.minutes(1),
    });
    checkPromotion.addCatch(rollBack, { resultPath: '$.error' });

    const expireOldToken = task(
      'ExpireOldToken',
      props.expireOldToken,
      TaskInput.fromObject(ROTATION_IDS),
      '$.expiry',
    );
    const waitForExpiry = new Wait(this, 'WaitForExpiry', {
      time: WaitTime.timestampPath('$.promotion.expiresAt'),
    });
    const completed = notify('NotifyCompleted', 'ROTATION_COMPLETED').next(done);
    waitForExpiry
      .next(expireOldToken)
      .next(
        new Choice(this, 'Expired?')
          .when(
            Condition.booleanEquals('$.expiry.expired', true),
            new Choice(this, 'HubSpotStillAcceptsOldToken?')
              .when(
                Condition.and(
                  Condition.isPresent('$.expiry.hubspotStillValid'),
                  Condition.booleanEquals('$.expiry.hubspotStillValid', true),
                ),
                notify('NotifyHubSpotStillValid', 'HUBSPOT_TOKEN_STILL_VALID').next(done),
              )
              .otherwise(completed),
          )
          .otherwise(endedEarly),
      );

    const noticeBranch = new Wait(this, 'WaitForNotice', {
      time: WaitTime.timestampPath('$.promotion.noticeAt'),
    })
      .next(task('CheckGraceForNotice', props.checkGrace, TaskInput.fromObject(ROTATION_IDS), '$.grace'))
      .next(
        new Choice(this, 'StillInGrace?')
          .when(
            Condition.booleanEquals('$.grace.inGrace', true),
            notify('NotifyExpiresIn24h', 'TOKEN_EXPIRES_IN_24H').next(waitForExpiry),
          )
          .otherwise(endedEarly),
      );

    const gracePeriod = notify('NotifyInitiated', 'ROTATION_INITIATED').next(
      new Choice(this, 'LongerThan24h?')
        .when(Condition.isPresent('$.promotion.noticeAt'), noticeBranch)
        .otherwise(waitForExpiry),
    );

    checkPromotion.next(
      new Choice(this, 'Mode?')
        .when(
          Condition.stringEquals('$.promotion.mode', 'expire-now'),
          notify('NotifyInvalidated', 'TOKEN_INVALIDATED').next(done),
        )
        .otherwise(gracePeriod),
    );
    // HubSpot: ask the admins to rotate in HubSpot and hand the new token over; remind daily; give up
    // after the app's handoff time (RotationFailedError from the reminder task rolls back).
    const awaitHandoff = retryTransientErrors(
      new LambdaInvoke(this, 'AwaitHandoff', {
        lambdaFunction: props.awaitHandoff,
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({ ...ROTATION_IDS, taskToken: JsonPath.taskToken }),
        taskTimeout: Timeout.duration(HANDOFF_REMINDER_EVERY),
        resultPath: '$.handoff',
        retryOnServiceExceptions: false,
        comment:
          'Waits for "rotor submit" (SendTaskSuccess with the version id of the new token, never the token).',
      }),
    );
    const handoffReminder = task(
      'HandoffReminder',
      props.handoffReminder,
      TaskInput.fromObject(ROTATION_IDS),
      '$.reminder',
    );
    handoffReminder.addCatch(rollBack, { resultPath: '$.error' });
    handoffReminder
      .next(notify('NotifyHandoffReminder', 'HANDOFF_REMINDER', { 'occasion.$': '$.reminder.occasion' }))
      .next(awaitHandoff);
    const promoteHandoff = task(
      'PromoteHandoff',
      props.promoteHandoff,
      TaskInput.fromObject(ROTATION_IDS),
      JsonPath.DISCARD,
    );
    awaitHandoff.addCatch(handoffReminder, { errors: ['States.Timeout'], resultPath: '$.timedOut' });
    // Handed over while the workflow was between two waits: nothing to wait for.
    awaitHandoff.addCatch(promoteHandoff, {
      errors: ['HandoffAlreadySubmittedError'],
      resultPath: JsonPath.DISCARD,
    });
    awaitHandoff.addCatch(rollBack, { resultPath: '$.error' });
    promoteHandoff.addCatch(rollBack, { resultPath: '$.error' });
    awaitHandoff.next(promoteHandoff).next(checkPromotion);
    const handoff = notify('NotifyHandoffRequested', 'HANDOFF_REQUESTED');
    handoff.addCatch(rollBack, { resultPath: '$.error' });
    handoff.next(awaitHandoff);

    startRotation.next(
      new Choice(this, 'Issuer?')
        .when(Condition.stringEquals('$.started.issuer', 'hubspot'), handoff)
        .otherwise(checkPromotion),
    );

    const definition = new Choice(this, 'Adopted?')
      .when(
        Condition.and(Condition.isPresent('$.adopt'), Condition.booleanEquals('$.adopt', true)),
        checkPromotion,
      )
      .otherwise(startRotation);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Rotor: one token rotation, from the lock to the expiry of the old token',
      timeout: rotationTimeout(props),
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    // Not ABORTED: expire-now and cancel end a waiting rotation with StopExecution, as designed.
    const ended = { period: Duration.minutes(5), statistic: 'Sum' };
    this.failedExecutionsAlarm = new Alarm(this, 'FailedExecutions', {
      alarmDescription: 'A Rotor rotation failed or timed out; its admins were emailed, check its execution.',
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed(ended),
          timedOut: this.stateMachine.metricTimedOut(ended),
        },
        label: 'Rotations failed or timed out',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    acknowledgeWorkflowGrants(this.stateMachine, [
      props.startRotation,
      props.checkPromotion,
      props.checkGrace,
      props.expireOldToken,
      props.rollBack,
      props.notify,
      props.awaitHandoff,
      props.handoffReminder,
      props.promoteHandoff,
    ]);
  }
}
