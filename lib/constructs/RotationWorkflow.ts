import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  type IChainable,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  type TaskStateBase,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { rotationPath } from '../../lambda/contract/workflows.ts';
import { acknowledgeWorkflowGrants, nagArn, retryTransientErrors } from './TaskFunction.ts';

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
/** How long a task after the promotion waits before it tries again, once its retries ran out. */
const AFTER_PROMOTION_PAUSE = Duration.minutes(10);
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

const ROTATION_IDS = { 'appId.$': rotationPath('appId'), 'rotationId.$': rotationPath('rotationId') };

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
    // Every email is queued in the app's outbox by the change of state that causes it; a delivery sends
    // what is there. One that fails past its retries (SES down) never fails the rotation: the email stays
    // queued for the next sweep, and the workflow goes on.
    const deliver = (stateId: string, next: IChainable) => {
      const delivery = task(
        stateId,
        props.notify,
        TaskInput.fromObject({ 'appId.$': rotationPath('appId') }),
        JsonPath.DISCARD,
      );
      delivery.addCatch(next, { resultPath: JsonPath.DISCARD });
      return delivery.next(next);
    };
    // After the new token is current a task may only be retried, never lead to a rollback: a failure
    // (a service down past the retries) waits and tries again, so the grace period is never left behind.
    // First a few quick retries of any error (a task killed at its first call would otherwise leave the
    // expired old token's AWSPREVIOUS label for the whole pause; the tasks are idempotent).
    const retryAfterPause = (stateId: string, work: TaskStateBase) =>
      work
        .addRetry({ errors: ['States.ALL'], interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2 })
        .addCatch(
          new Wait(this, `${stateId}Pause`, { time: WaitTime.duration(AFTER_PROMOTION_PAUSE) }).next(work),
          { resultPath: JsonPath.DISCARD },
        );

    const done = new Succeed(this, 'Done');
    const endedEarly = new Succeed(this, 'EndedByOperator', {
      comment: 'Someone expired or cancelled the rotation while this execution waited.',
    });
    const endedElsewhere = new Succeed(this, 'EndedElsewhere', {
      comment:
        'The rotation was ended by another actor (the sweep, an operator) before this execution got to it.',
    });
    // Refusing a rotation because another one runs is an answer, not a failure: no alarm for it.
    const refused = new Succeed(this, 'Refused', {
      comment: 'Another rotation of the app is running, or the request was invalid; nothing was changed.',
    });
    const failed = new Fail(this, 'RotationFailed', {
      error: 'RotationFailed',
      cause: 'The rotation was rolled back; the old token is still current and valid.',
    });

    const rollBack = task(
      'RollBack',
      props.rollBack,
      TaskInput.fromObject({ ...ROTATION_IDS, 'error.$': rotationPath('error') }),
      rotationPath('rollback'),
    );
    const checkPromotion = task(
      'CheckPromotion',
      props.checkPromotion,
      TaskInput.fromObject(ROTATION_IDS),
      rotationPath('promotion'),
    ).addRetry({
      errors: ['RotationPendingError'],
      interval: Duration.seconds(3),
      maxAttempts: 15,
      backoffRate: 1.5,
      maxDelay: Duration.minutes(1),
    });
    checkPromotion.addCatch(rollBack, { resultPath: rotationPath('error') });
    rollBack.next(
      new Choice(this, 'RolledBack?')
        .when(
          Condition.stringEquals(rotationPath('rollback', 'outcome'), 'rolled-back'),
          deliver('NotifyFailed', failed),
        )
        // Committed before the failure: the rollback finished the promotion; go on from there.
        .when(Condition.stringEquals(rotationPath('rollback', 'outcome'), 'promoted'), checkPromotion)
        .otherwise(deliver('NotifyEndedElsewhere', endedElsewhere)),
    );

    const startRotation = task(
      'StartRotation',
      props.startRotation,
      // The whole input: grace and reason are optional, and a missing path would fail the state.
      TaskInput.fromObject({ 'request.$': '$', 'executionArn.$': '$$.Execution.Id' }),
      rotationPath('started'),
    );
    startRotation.addCatch(refused, {
      errors: ['RotationConflictError', 'ValidationError'],
      resultPath: rotationPath('error'),
    });
    startRotation.addCatch(rollBack, { resultPath: rotationPath('error') });

    const expireOldToken = retryAfterPause(
      'ExpireOldToken',
      task(
        'ExpireOldToken',
        props.expireOldToken,
        TaskInput.fromObject(ROTATION_IDS),
        rotationPath('expiry'),
      ),
    );
    const waitForExpiry = new Wait(this, 'WaitForExpiry', {
      time: WaitTime.timestampPath(rotationPath('promotion', 'expiresAt')),
    });
    waitForExpiry.next(expireOldToken).next(
      new Choice(this, 'Expired?')
        // ROTATION_COMPLETED, or HUBSPOT_TOKEN_STILL_VALID when HubSpot still takes the old token.
        .when(
          Condition.booleanEquals(rotationPath('expiry', 'expired'), true),
          deliver('NotifyCompleted', done),
        )
        .otherwise(deliver('NotifyEndedEarly', endedEarly)),
    );

    const checkGraceForNotice = retryAfterPause(
      'CheckGraceForNotice',
      task(
        'CheckGraceForNotice',
        props.checkGrace,
        TaskInput.fromObject({ ...ROTATION_IDS, queueNotice: true }),
        rotationPath('grace'),
      ),
    );
    const noticeBranch = new Wait(this, 'WaitForNotice', {
      time: WaitTime.timestampPath(rotationPath('promotion', 'noticeAt')),
    })
      .next(checkGraceForNotice)
      .next(
        new Choice(this, 'StillInGrace?')
          .when(
            Condition.booleanEquals(rotationPath('grace', 'inGrace'), true),
            deliver('NotifyExpiresIn24h', waitForExpiry),
          )
          .otherwise(deliver('NotifyEndedBeforeNotice', endedEarly)),
      );

    const gracePeriod = deliver(
      'NotifyInitiated',
      new Choice(this, 'LongerThan24h?')
        .when(Condition.isPresent(rotationPath('promotion', 'noticeAt')), noticeBranch)
        .otherwise(waitForExpiry),
    );

    checkPromotion.next(
      new Choice(this, 'Mode?')
        .when(
          Condition.and(
            Condition.isPresent(rotationPath('promotion', 'ended')),
            Condition.booleanEquals(rotationPath('promotion', 'ended'), true),
          ),
          deliver('NotifyAlreadyEnded', endedElsewhere),
        )
        .when(
          Condition.stringEquals(rotationPath('promotion', 'mode'), 'expire-now'),
          deliver('NotifyInvalidated', done),
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
        resultPath: rotationPath('handoff'),
        retryOnServiceExceptions: false,
        comment:
          'Waits for "rotor submit" (SendTaskSuccess with the version id of the new token, never the token).',
      }),
    );
    const handoffReminder = task(
      'HandoffReminder',
      props.handoffReminder,
      TaskInput.fromObject(ROTATION_IDS),
      rotationPath('reminder'),
    );
    handoffReminder.addCatch(rollBack, { resultPath: rotationPath('error') });
    handoffReminder.next(deliver('NotifyHandoffReminder', awaitHandoff));
    const promoteHandoff = task(
      'PromoteHandoff',
      props.promoteHandoff,
      TaskInput.fromObject(ROTATION_IDS),
      JsonPath.DISCARD,
    );
    awaitHandoff.addCatch(handoffReminder, {
      errors: ['States.Timeout'],
      resultPath: rotationPath('timedOut'),
    });
    // Handed over while the workflow was between two waits: nothing to wait for.
    awaitHandoff.addCatch(promoteHandoff, {
      errors: ['HandoffAlreadySubmittedError'],
      resultPath: JsonPath.DISCARD,
    });
    awaitHandoff.addCatch(rollBack, { resultPath: rotationPath('error') });
    promoteHandoff.addCatch(rollBack, { resultPath: rotationPath('error') });
    awaitHandoff.next(promoteHandoff).next(checkPromotion);
    const handoff = deliver('NotifyHandoffRequested', awaitHandoff);

    startRotation.next(
      new Choice(this, 'Issuer?')
        .when(Condition.stringEquals(rotationPath('started', 'issuer'), 'hubspot'), handoff)
        .otherwise(checkPromotion),
    );

    const definition = new Choice(this, 'Adopted?')
      .when(
        Condition.and(
          Condition.isPresent(rotationPath('adopt')),
          Condition.booleanEquals(rotationPath('adopt'), true),
        ),
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

  /**
   * Lets `grantee` see whether a rotation's execution still runs (DescribeExecution on this workflow's
   * executions): the sweep restarts a grace period whose execution is gone, and starts one for a lock
   * that never got its execution.
   */
  public grantWatch(grantee: IGrantable): void {
    this.grantOnExecutions(
      grantee,
      'states:DescribeExecution',
      'The sweep looks at the execution of each rotation in progress; executions are named after rotations.',
    );
  }

  /**
   * Lets `grantee` stop a rotation's execution (StopExecution on this workflow's executions): expire-now
   * and cancel stop the execution that waits through the grace period, and the sweep stops one they
   * could not.
   */
  public grantStop(grantee: IGrantable): void {
    this.grantOnExecutions(
      grantee,
      'states:StopExecution',
      'Expire-now, cancel and the sweep stop the waiting execution of a rotation that has ended; executions are named after rotations.',
    );
  }

  private grantOnExecutions(grantee: IGrantable, action: string, reason: string): void {
    const stack = Stack.of(this);
    const machineName = stack.splitArn(this.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME)
      .resourceName as string;
    this.stateMachine.grantExecution(grantee, action);
    const role = grantee.grantPrincipal;
    if (role instanceof Construct) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'states', `execution:${JSON.stringify(stack.resolve(machineName))}:*`)}]`,
        reason,
      });
    }
  }
}
