import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { HUBSPOT_GRACE_SECONDS } from '../lambda/contract/hubspotApi.ts';
import { DURATION_LIMITS } from '../lambda/contract/requestRules.ts';
import { STACK_OUTPUTS } from '../lambda/contract/routes.ts';
import type { RotorConfig } from './config.ts';
import { ConsoleApi } from './constructs/ConsoleApi.ts';
import { OperatorApi } from './constructs/OperatorApi.ts';
import { RegistryTable } from './constructs/RegistryTable.ts';
import { RotationHook } from './constructs/RotationHook.ts';
import { RotationWorkflow } from './constructs/RotationWorkflow.ts';
import { RotorAlarms } from './constructs/RotorAlarms.ts';
import { RotorDashboard } from './constructs/RotorDashboard.ts';
import { SweepWorkflow } from './constructs/SweepWorkflow.ts';
import {
  acknowledgeSendAsSender,
  sendAsSenderStatement,
  type TableAccess,
  TaskFunction,
} from './constructs/TaskFunction.ts';
import { UndeliverableEmailsAlarm } from './constructs/UndeliverableEmailsAlarm.ts';
import { WebhookDelivery } from './constructs/WebhookDelivery.ts';

export interface RotorStackProps extends StackProps {
  /** The checked deployment settings. */
  readonly config: RotorConfig;
}

/** Everything Rotor deploys into one account and region. */
export class RotorStack extends Stack {
  public readonly registry: RegistryTable;
  public readonly rotationHook: RotationHook;
  public readonly rotationWorkflow: RotationWorkflow;
  public readonly sweepWorkflow: SweepWorkflow;
  public readonly operatorApi: OperatorApi;
  /** The Rotor Console, where app admins sign in by emailed link and act. */
  public readonly console: ConsoleApi;
  /** Fires when SES refuses an email for good (from the Notify task or the operator API). */
  public readonly undeliverableEmails: UndeliverableEmailsAlarm;
  public readonly webhooks: WebhookDelivery;
  /** Rotor's alarms (rotation failed, app stuck, token overdue) and the SNS topic every alarm notifies. */
  public readonly alarms: RotorAlarms;
  /** The CloudWatch dashboard of Rotor's metrics. */
  public readonly dashboard: RotorDashboard;

  public constructor(scope: Construct, id: string, props: RotorStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.registry = new RegistryTable(this, 'Registry');
    const table = this.registry.table;
    const task = (
      id: string,
      handler: string,
      description: string,
      tableAccess: TableAccess[],
      secretActions: string[] = [],
    ) => {
      const fn = new TaskFunction(this, id, {
        handler,
        description,
        table,
        tableAccess,
        tokenPrefix: config.tokenPrefix,
      });
      if (secretActions.length > 0) fn.grantRotorSecrets(config.secretNamePrefix, secretActions);
      return fn;
    };
    const read: TableAccess[] = ['dynamodb:GetItem'];
    const write: TableAccess[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
    const describe = 'secretsmanager:DescribeSecret';
    const moveLabels = 'secretsmanager:UpdateSecretVersionStage';

    // A task that may meet an action someone else claimed and did not finish finishes it (the lifecycle
    // never leaves a claim to block): it needs the registry writes and label moves of every ending.
    const settle = [describe, moveLabels];
    const startRotation = task(
      'StartRotation',
      'start-rotation',
      'takes the rotation lock and asks Secrets Manager to rotate',
      write,
      [...settle, 'secretsmanager:RotateSecret'],
    );
    const checkPromotion = task(
      'CheckPromotion',
      'check-promotion',
      'checks whether the new token is current',
      read,
    );
    const checkGrace = task(
      'CheckGrace',
      'check-grace',
      'checks whether a rotation is still in its grace period and queues its 24-hour notice',
      write,
      settle,
    );
    const expireOldToken = task(
      'ExpireOldToken',
      'expire-old-token',
      'revokes the old token when the grace period ends (HubSpot: asks HubSpot whether it did too)',
      write,
      // GetSecretValue: a HubSpot app's old token is shown to HubSpot, which must refuse it by now.
      [describe, moveLabels, 'secretsmanager:GetSecretValue'],
    );
    // Only what each task does to the registry: the strict local mode judges every call by these.
    const awaitHandoff = task(
      'AwaitHandoff',
      'await-handoff',
      'keeps the task token of a HubSpot rotation that waits for its new token',
      ['dynamodb:UpdateItem'],
    );
    const handoffReminder = task(
      'HandoffReminder',
      'handoff-reminder',
      'reminds the admins of a HubSpot app daily to hand the new token over, or gives up',
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    );
    const promoteHandoff = task(
      'PromoteHandoff',
      'promote-handoff',
      'makes a handed-over HubSpot token current and starts its grace period',
      write,
      [describe, moveLabels],
    );
    const rollBack = task(
      'RollBack',
      'rollback-rotation',
      'rolls a failed rotation back to the old token',
      write,
      [describe, moveLabels],
    );
    // Query: the 24-hour notice counts the old token's uses (its hourly counters share a partition).
    const notify = task('Notify', 'notify', 'emails the admins about a rotation', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
    ]);
    notify.function.addEnvironment('SENDER_ADDRESS', config.senderAddress);
    notify.addToRolePolicy(sendAsSenderStatement(this, config.senderAddress));
    acknowledgeSendAsSender(this, notify.role);
    this.undeliverableEmails = new UndeliverableEmailsAlarm(this, 'UndeliverableEmails');

    this.rotationWorkflow = new RotationWorkflow(this, 'RotationWorkflow', {
      startRotation: startRotation.function,
      checkPromotion: checkPromotion.function,
      checkGrace: checkGrace.function,
      expireOldToken: expireOldToken.function,
      rollBack: rollBack.function,
      notify: notify.function,
      awaitHandoff: awaitHandoff.function,
      handoffReminder: handoffReminder.function,
      promoteHandoff: promoteHandoff.function,
      longestGraceSeconds: Math.max(config.graceSeconds, DURATION_LIMITS.grace.max),
      longestHandoffSeconds: DURATION_LIMITS.handoffTimeout.max,
      hubspotGraceSeconds: HUBSPOT_GRACE_SECONDS,
    });
    const rotationMachine = this.rotationWorkflow.stateMachine;

    this.rotationHook = new RotationHook(this, 'RotationHook', {
      table,
      tokenPrefix: config.tokenPrefix,
      secretNamePrefix: config.secretNamePrefix,
      rotationWorkflow: rotationMachine,
    });
    // StartRotation calls RotateSecret on secrets whose rotation function is the hook.
    this.rotationHook.grantRotateWith(startRotation.role);

    const findDueApps = new TaskFunction(this, 'FindDueApps', {
      handler: 'find-due-apps',
      description: 'queries the apps that are due',
      table,
      // The due index, and of each due app its state and recipients (BatchGetItem).
      tableAccess: ['dynamodb:BatchGetItem'],
      queryIndexes: true,
      // A big day's plan reads every due app and starts a batch execution per 500 of them.
      timeout: Duration.minutes(5),
      tokenPrefix: config.tokenPrefix,
    });
    Validations.of(findDueApps.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(table.node.defaultChild as CfnTable)}.Arn>/index/*]`,
      reason: 'The sweep queries the registry table\'s "due" index; index ARNs are only reachable this way.',
    });
    const sweepApp = task('SweepApp', 'sweep-app', 'rotates, reminds or repairs one due app', write, [
      describe,
      moveLabels,
    ]);
    sweepApp.function.addEnvironment('ROTATION_STATE_MACHINE_ARN', rotationMachine.stateMachineArn);
    rotationMachine.grantStartExecution(sweepApp.role);
    // The sweep checks that each grace period's execution (its timer) still runs, and that each lock got one.
    this.rotationWorkflow.grantWatch(sweepApp.role);
    // It stops the waiting execution of a rotation that an expire-now or cancel ended but could not stop.
    this.rotationWorkflow.grantStop(sweepApp.role);

    this.sweepWorkflow = new SweepWorkflow(this, 'SweepWorkflow', {
      findDueApps: findDueApps.function,
      sweepApp: sweepApp.function,
      notify: notify.function,
      sweepTime: config.sweepTime,
      timeZone: config.timeZone,
      sesSendRate: config.sesSendRate,
      batchSize: config.sweepBatchSize,
    });
    this.sweepWorkflow.grantStartBatches(findDueApps);

    const appDefaults = {
      admins: config.defaultAdmins,
      locale: config.locale,
      timeZone: config.timeZone,
      intervalSeconds: config.intervalSeconds,
      graceSeconds: config.graceSeconds,
      reminderRepeatSeconds: config.reminderRepeatSeconds,
    };
    this.operatorApi = new OperatorApi(this, 'OperatorApi', {
      table,
      tokenPrefix: config.tokenPrefix,
      secretNamePrefix: config.secretNamePrefix,
      rotationWorkflow: this.rotationWorkflow,
      rotationHook: this.rotationHook,
      senderAddress: config.senderAddress,
      hubspotApiUrl: config.hubspotApiUrl,
      appDefaults,
    });
    // Requests with an Idempotency-Key keep their first answer in the registry for a day.
    this.registry.grantIdempotencyRecords(this.operatorApi.handler.role);

    this.console = new ConsoleApi(this, 'Console', {
      registry: this.registry,
      tokenPrefix: config.tokenPrefix,
      secretNamePrefix: config.secretNamePrefix,
      rotationWorkflow: this.rotationWorkflow,
      rotationHook: this.rotationHook,
      senderAddress: config.senderAddress,
      hubspotApiUrl: config.hubspotApiUrl,
      appDefaults,
    });
    // Whoever sends the emails puts the console's buttons in them, and each email's event on the bus.
    const bus = EventBus.fromEventBusName(this, 'EventBus', config.eventBusName);
    this.webhooks = new WebhookDelivery(this, 'Webhooks', {
      table,
      tokenPrefix: config.tokenPrefix,
      secretNamePrefix: config.secretNamePrefix,
    });
    for (const sender of [notify, this.operatorApi.handler, this.console.handler]) {
      sender.function.addEnvironment('CONSOLE_URL', this.console.url);
      sender.function.addEnvironment('EVENT_BUS_NAME', config.eventBusName);
      bus.grantPutEventsTo(sender.role);
      // ...and starts the deliveries of the event to the app's webhooks.
      this.webhooks.grantStartDeliveries(sender);
    }
    // The sweep tells other systems of an app it found stuck and what it repaired (no one is emailed).
    sweepApp.function.addEnvironment('EVENT_BUS_NAME', config.eventBusName);
    bus.grantPutEventsTo(sweepApp.role);
    this.webhooks.grantStartDeliveries(sweepApp);
    // Chat messages link to the app's page in the console.
    this.webhooks.task.function.addEnvironment('CONSOLE_URL', this.console.url);
    // "rotor apps add|update --webhook" keeps the URL and signing secret in a secret of their own.
    this.webhooks.grantManageWebhookSecrets(this.operatorApi.handler);

    this.alarms = new RotorAlarms(this, 'Alarms');
    // Every alarm of the stack tells the same topic: one subscription hears them all.
    for (const alarm of [
      this.undeliverableEmails.alarm,
      this.rotationWorkflow.failedExecutionsAlarm,
      this.sweepWorkflow.failedExecutionsAlarm,
    ]) {
      this.alarms.notify(alarm);
    }
    this.dashboard = new RotorDashboard(this, 'Dashboard', {
      alarms: [
        this.alarms.rotationFailed,
        this.alarms.appStuck,
        this.alarms.overdueToken,
        this.undeliverableEmails.alarm,
        this.rotationWorkflow.failedExecutionsAlarm,
        this.sweepWorkflow.failedExecutionsAlarm,
      ],
    });

    new CfnOutput(this, STACK_OUTPUTS.apiUrl, {
      value: this.operatorApi.api.url,
      description: 'The operator API that the rotor CLI calls (IAM authorization)',
    });
    new CfnOutput(this, STACK_OUTPUTS.operatorPolicy, {
      value: this.operatorApi.operatorPolicy.managedPolicyArn,
      description: 'Attach to whoever may register apps, rotate, expire now and cancel',
    });
    new CfnOutput(this, STACK_OUTPUTS.readOnlyPolicy, {
      value: this.operatorApi.readOnlyPolicy.managedPolicyArn,
      description: 'Attach to whoever may only look: apps, history and audit',
    });
    new CfnOutput(this, STACK_OUTPUTS.consoleUrl, {
      value: `${this.console.url}/`,
      description: 'The Rotor Console: app admins sign in here by emailed link',
    });
    new CfnOutput(this, 'RegistryTableName', {
      value: table.tableName,
      description: 'The DynamoDB table with apps, rotations, token hashes and the audit log',
    });
    new CfnOutput(this, 'RotationHookArn', {
      value: this.rotationHook.function.functionArn,
      description: 'The rotation function to configure on the secrets of managed apps',
    });
    new CfnOutput(this, 'RotationStateMachineArn', {
      value: rotationMachine.stateMachineArn,
      description: 'The rotation workflow',
    });
    new CfnOutput(this, STACK_OUTPUTS.alarmTopicArn, {
      value: this.alarms.topic.topicArn,
      description:
        "The SNS topic Rotor's alarms notify: subscribe to hear of failed rotations, stuck apps and overdue tokens",
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.dashboard.dashboard.dashboardName,
      description: "The CloudWatch dashboard of Rotor's metrics",
    });
    new CfnOutput(this, 'SweepStateMachineArn', {
      value: this.sweepWorkflow.stateMachine.stateMachineArn,
      description: 'The daily sweep workflow',
    });
    new CfnOutput(this, 'WebhookStateMachineArn', {
      value: this.webhooks.stateMachine.stateMachineArn,
      description: 'The workflow that delivers each event to each webhook, one execution per delivery',
    });
  }
}
