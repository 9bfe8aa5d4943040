import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AppDefaults } from '../../lambda/contract/appSettings.ts';
import { CONSOLE_STAGE } from '../../lambda/contract/console.ts';
import { DEFAULT_HUBSPOT_API_URL } from '../../lambda/contract/hubspotApi.ts';
import type { RegistryTable } from './RegistryTable.ts';
import type { RotationHook } from './RotationHook.ts';
import type { RotationWorkflow } from './RotationWorkflow.ts';
import { acknowledgeSendAsSender, sendAsSenderStatement, TaskFunction } from './TaskFunction.ts';

export interface ConsoleApiProps {
  readonly registry: RegistryTable;
  readonly tokenPrefix: string;
  /** The console acts only on secrets whose names start with this (those of Rotor's apps). */
  readonly secretNamePrefix: string;
  /** The rotation workflow, which "Rotate now" starts and expire-now and cancel stop. */
  readonly rotationWorkflow: Pick<RotationWorkflow, 'stateMachine' | 'grantStop'>;
  readonly rotationHook: RotationHook;
  /** The verified SES identity the sign-in links and action emails come from. */
  readonly senderAddress: string;
  readonly appDefaults: AppDefaults;
  /** @default https://api.hubapi.com */
  readonly hubspotApiUrl?: string;
  /** Requests per second across the console, and the burst: sign-in is the part anyone can reach. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: RetentionDays;
}

/** The console's default throttling: a few admins at a time, and a ceiling for anyone else. */
export const CONSOLE_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

/**
 * The Rotor Console: a public API Gateway REST API (its pages do their own sign-in, by emailed link,
 * with sessions and CSRF tokens) in front of one Lambda (`lambda/console`) that renders the pages and
 * acts through the operator API's routes as the signed-in admin. Throttled, access-logged, and a role
 * with what expire now, cancel, rotate and hand over need, and nothing to register or remove apps.
 */
export class ConsoleApi extends Construct {
  public readonly api: RestApi;
  public readonly handler: TaskFunction;
  public readonly accessLogs: LogGroup;
  /** The console's URL, with its stage (no trailing slash): what the emails link to. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: ConsoleApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const table = props.registry.table;
    const throttle = props.throttle ?? CONSOLE_THROTTLE;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: `${stack.stackName}-console`,
      description: 'Rotor Console: the app admins sign in by emailed link; no IAM',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: CONSOLE_STAGE,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.OFF,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        // No path: an email button's URL carries its secret.
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            status: '$context.status',
            responseLength: '$context.responseLength',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });
    this.api.node.tryRemoveChild('Endpoint');
    // Built from the API's id and the literal stage: the function that needs it must not depend on the stage.
    this.url = `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${CONSOLE_STAGE}`;

    this.handler = new TaskFunction(this, 'Handler', {
      handler: 'console',
      description: 'the Rotor Console: sign-in by emailed link, the admins’ apps, their actions',
      table,
      tableAccess: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
      ],
      tokenPrefix: props.tokenPrefix,
      environment: {
        ROTATION_STATE_MACHINE_ARN: props.rotationWorkflow.stateMachine.stateMachineArn,
        ROTATION_HOOK_ARN: props.rotationHook.function.functionArn,
        SECRET_NAME_PREFIX: props.secretNamePrefix,
        SENDER_ADDRESS: props.senderAddress,
        APP_DEFAULTS: JSON.stringify(props.appDefaults),
        HUBSPOT_API_URL: props.hubspotApiUrl ?? DEFAULT_HUBSPOT_API_URL,
        CONSOLE_URL: this.url,
      },
    });
    const role = this.handler.role;
    this.handler.grantRotorSecrets(props.secretNamePrefix, [
      'secretsmanager:DescribeSecret',
      // Expire now and cancel show a HubSpot app's token to HubSpot to learn what it accepts.
      'secretsmanager:GetSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      // "Hand over the new token" puts the HubSpot token as AWSPENDING.
      'secretsmanager:PutSecretValue',
    ]);
    props.rotationWorkflow.stateMachine.grantStartExecution(role);
    props.rotationWorkflow.grantStop(role);
    // The handover wakes the rotation that waits for the HubSpot token.
    this.handler.grantTaskResponses();
    role.addToPrincipalPolicy(sendAsSenderStatement(stack, props.senderAddress));
    acknowledgeSendAsSender(stack, role);
    // An email button's POST, repeated after a failure, answers as the first did.
    props.registry.grantIdempotencyRecords(role);

    const integration = new LambdaIntegration(this.handler.function, { allowTestInvoke: false });
    this.api.root.addMethod('ANY', integration, { authorizationType: AuthorizationType.NONE });
    this.api.root.addResource('{proxy+}').addMethod('ANY', integration, {
      authorizationType: AuthorizationType.NONE,
    });

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The handler checks every form field and answers with one sentence naming it; API Gateway models cannot check HTML forms.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Stage throttling bounds the public sign-in page, and sign-in requests are limited per address and per client IP in the registry; a WAF web ACL is left to the deployer.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'The console is for app admins without AWS credentials: they sign in by a single-use emailed link to a session cookie, which the handler checks on every request.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Access logs record every request; execution logs would need the account-wide API Gateway CloudWatch role, which Rotor does not take over.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'The admins sign in by emailed link (passwordless), not with a Cognito user pool.',
      },
    );
  }
}
