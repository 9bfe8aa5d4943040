import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  Fail,
  JitterType,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { webhookSecretPrefix } from '../../lambda/contract/webhooks.ts';
import { webhookPath } from '../../lambda/contract/workflows.ts';
import { acknowledgeWorkflowGrants, nagArn, retryTransientErrors, TaskFunction } from './TaskFunction.ts';

export interface WebhookDeliveryProps {
  readonly table: ITable;
  readonly tokenPrefix: string;
  /** The deployment's secret prefix; webhook secrets live under `<prefix>webhooks/`. */
  readonly secretNamePrefix: string;
  /** Attempts per delivery, the first included. @default 8 (at most about an hour of waits) */
  readonly maxAttempts?: number;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

/**
 * The delivery of Rotor's events to the apps' webhooks: one Standard execution per event and webhook,
 * started by whoever sends the event's emails, so a receiver that is down never holds up the emails or
 * the rotation. Its task retries a delivery the receiver did not take (no answer, 408, 425, 429, 5xx)
 * with exponential backoff and full jitter (waits drawn up to 30 s, doubling, capped at 30 minutes: at
 * most about an hour in all); then it records the
 * delivery as failed (ledger, audit log, `rotor apps show`) and the execution fails. The task reads
 * webhook secrets and nothing else in Secrets Manager: not one token.
 */
export class WebhookDelivery extends Construct {
  public readonly task: TaskFunction;
  public readonly stateMachine: StateMachine;
  readonly #secretArnPattern: string;
  readonly #nagSecretArn: string;

  public constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const folder = `${webhookSecretPrefix(props.secretNamePrefix)}*`;
    this.#secretArnPattern = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: folder,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.#nagSecretArn = nagArn(stack, 'secretsmanager', `secret:${folder}`);

    this.task = new TaskFunction(this, 'Deliver', {
      handler: 'deliver-webhook',
      description: "delivers one event to one of an app's webhooks",
      table: props.table,
      // The app and rotation (GetItem), the ledger's claim, settle and release, the audit event.
      tableAccess: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      tokenPrefix: props.tokenPrefix,
      // Ten seconds for the receiver, and the reads and writes around it.
      timeout: Duration.seconds(30),
    });
    this.grantReadWebhookSecrets(this.task);

    const deliver = retryTransientErrors(
      new LambdaInvoke(this, 'DeliverWebhook', {
        lambdaFunction: this.task.function,
        payloadResponseOnly: true,
        resultPath: webhookPath('delivered'),
        retryOnServiceExceptions: false,
      }),
    );
    deliver.addRetry({
      errors: ['WebhookNotDelivered'],
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: (props.maxAttempts ?? 8) - 1,
      maxDelay: Duration.minutes(30),
      jitterStrategy: JitterType.FULL,
    });
    const giveUp = retryTransientErrors(
      new LambdaInvoke(this, 'GiveUp', {
        lambdaFunction: this.task.function,
        payloadResponseOnly: true,
        resultPath: webhookPath('recorded'),
        retryOnServiceExceptions: false,
      }),
    );
    deliver.addCatch(
      giveUp.next(
        new Fail(this, 'Undelivered', {
          error: 'WebhookUndelivered',
          cause: 'The receiver did not take the delivery; it is recorded as failed and audited.',
        }),
      ),
      { errors: ['States.ALL'], resultPath: webhookPath('giveUp') },
    );

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(deliver.next(new Succeed(this, 'Delivered'))),
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Rotor: delivers one event to one webhook, retrying with backoff',
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeWorkflowGrants(this.stateMachine, [this.task.function]);
  }

  /** Lets a function read the webhooks' secrets (URL and signing secret), and no other secret. */
  public grantReadWebhookSecrets(grantee: TaskFunction): void {
    this.#grantWebhookSecrets(grantee, 'ReadWebhookSecrets', ['secretsmanager:GetSecretValue']);
  }

  /** Lets a function create and delete webhook secrets (`rotor apps add|update --webhook`, `apps remove`). */
  public grantManageWebhookSecrets(grantee: TaskFunction): void {
    this.#grantWebhookSecrets(grantee, 'ManageWebhookSecrets', [
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
    ]);
  }

  /**
   * Lets a function that sends the emails start the deliveries of their events (`WEBHOOK_STATE_MACHINE_ARN`).
   * StartExecution is judged on the state machine's ARN.
   */
  public grantStartDeliveries(grantee: TaskFunction): void {
    grantee.function.addEnvironment('WEBHOOK_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(grantee.role);
  }

  #grantWebhookSecrets(grantee: TaskFunction, sid: string, actions: string[]): void {
    grantee.addToRolePolicy(new PolicyStatement({ sid, actions, resources: [this.#secretArnPattern] }));
    Validations.of(grantee.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.#nagSecretArn}]`,
      reason:
        "Secret ARNs end in a random six-character suffix, so the grant names the webhook secrets' folder.",
    });
  }
}
