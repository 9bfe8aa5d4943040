import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  type CfnRestApi,
  EndpointType,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { CfnTable, ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AppDefaults } from '../../lambda/contract/appSettings.ts';
import { DEFAULT_HUBSPOT_API_URL } from '../../lambda/contract/hubspotApi.ts';
import { API_STAGE, ROUTES } from '../../lambda/contract/routes.ts';
import type { RotationHook } from './RotationHook.ts';
import type { RotationWorkflow } from './RotationWorkflow.ts';
import { acknowledgeSendAsSender, nagArn, sendAsSenderStatement, TaskFunction } from './TaskFunction.ts';

export interface OperatorApiProps {
  /** The registry table. */
  readonly table: ITable;
  /** The prefix of managed tokens. */
  readonly tokenPrefix: string;
  /** The API may create, tag and rotate only secrets whose names start with this. */
  readonly secretNamePrefix: string;
  /** The rotation workflow, which the API starts (and whose executions expire-now and cancel stop). */
  readonly rotationWorkflow: Pick<RotationWorkflow, 'stateMachine' | 'grantStop'>;
  /** The rotation hook, which `apps add` configures as the secret's rotation function. */
  readonly rotationHook: RotationHook;
  /** The verified SES identity the emails of expire-now and cancel come from. */
  readonly senderAddress: string;
  /** The settings of a new app that the request leaves out. */
  readonly appDefaults: AppDefaults;
  /** HubSpot's API for hubspot apps that name none; sets HUBSPOT_API_URL. @default https://api.hubapi.com */
  readonly hubspotApiUrl?: string;
  /** @default RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The operator API: an API Gateway REST API with AWS_IAM authorization on every method (so each call
 * is signed and its caller's ARN reaches the audit log), access logging, and one Lambda
 * (`lambda/operator-api`) behind it with least-privilege grants. It creates two managed policies: the
 * operator policy may call every method, the read-only policy only the GETs. Who may rotate is decided
 * by who gets which policy.
 */
export class OperatorApi extends Construct {
  public readonly api: RestApi;
  public readonly handler: TaskFunction;
  public readonly accessLogs: LogGroup;
  public readonly operatorPolicy: ManagedPolicy;
  public readonly readOnlyPolicy: ManagedPolicy;

  public constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { table } = props;

    this.handler = new TaskFunction(this, 'Handler', {
      handler: 'operator-api',
      description: 'the operator API: apps, rotations, expire now, cancel, history, audit',
      table,
      tableAccess: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
      ],
      queryIndexes: true,
      tokenPrefix: props.tokenPrefix,
      environment: {
        ROTATION_STATE_MACHINE_ARN: props.rotationWorkflow.stateMachine.stateMachineArn,
        ROTATION_HOOK_ARN: props.rotationHook.function.functionArn,
        SECRET_NAME_PREFIX: props.secretNamePrefix,
        SENDER_ADDRESS: props.senderAddress,
        APP_DEFAULTS: JSON.stringify(props.appDefaults),
        HUBSPOT_API_URL: props.hubspotApiUrl ?? DEFAULT_HUBSPOT_API_URL,
      },
    });
    const role = this.handler.role;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(table.node.defaultChild as CfnTable)}.Arn>/index/*]`,
      reason: '"apps list" queries the registry table\'s "due" index, which holds one key item per app.',
    });

    this.handler.grantRotorSecrets(props.secretNamePrefix, [
      'secretsmanager:DescribeSecret',
      // "apps add" adopts an existing secret's current token (it keeps only its hash).
      'secretsmanager:GetSecretValue',
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
      'secretsmanager:UntagResource',
      'secretsmanager:RotateSecret',
      'secretsmanager:CancelRotateSecret',
      'secretsmanager:UpdateSecretVersionStage',
      // "submit" puts a handed-over HubSpot token as AWSPENDING.
      'secretsmanager:PutSecretValue',
    ]);
    props.rotationHook.grantRotateWith(role);
    props.rotationWorkflow.stateMachine.grantStartExecution(role);
    // "submit" wakes the rotation that waits for a HubSpot token (SendTaskSuccess with its version id).
    this.handler.grantTaskResponses();
    // Expire-now and cancel stop the execution that waits through the grace period.
    props.rotationWorkflow.grantStop(role);
    role.addToPrincipalPolicy(sendAsSenderStatement(stack, props.senderAddress));
    acknowledgeSendAsSender(stack, role);

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: `${stack.stackName}-operator`,
      description: 'Rotor operator API: every method needs IAM (SigV4) authorization',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: API_STAGE,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.OFF,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    // The stack outputs the URL under a stable name (OperatorApiUrl); RestApi's own output would repeat it.
    this.api.node.tryRemoveChild('Endpoint');
    const integration = new LambdaIntegration(this.handler.function, { allowTestInvoke: false });
    const resources = new Map<string, IResource>([['/', this.api.root]]);
    const resourceOf = (path: string): IResource => {
      const existing = resources.get(path);
      if (existing) return existing;
      const parent = resourceOf(path.slice(0, path.lastIndexOf('/')) || '/');
      const created = parent.addResource(path.slice(path.lastIndexOf('/') + 1));
      resources.set(path, created);
      return created;
    };
    for (const route of ROUTES) {
      resourceOf(route.resource).addMethod(route.method, integration, {
        authorizationType: AuthorizationType.IAM,
      });
    }

    const invoke = (method: string) =>
      new PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: [this.api.arnForExecuteApi(method, '/*', API_STAGE)],
      });
    this.operatorPolicy = new ManagedPolicy(this, 'OperatorPolicy', {
      description: 'Rotor operators: register apps, rotate, expire now, cancel, and read history and audit',
      statements: [invoke('*')],
    });
    this.readOnlyPolicy = new ManagedPolicy(this, 'ReadOnlyPolicy', {
      description: 'Rotor read-only: list and show apps, history and audit; no changes',
      statements: [invoke('GET')],
    });
    const apiId = stack.getLogicalId(this.api.node.defaultChild as CfnRestApi);
    Validations.of(this.operatorPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'execute-api', `<${apiId}>/${API_STAGE}/*/*`)}]`,
      reason: 'The operator policy is meant to cover every method of this one API, and nothing else.',
    });
    Validations.of(this.readOnlyPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'execute-api', `<${apiId}>/${API_STAGE}/GET/*`)}]`,
      reason: 'The read-only policy covers every GET of this one API, and no method that changes anything.',
    });
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The handler validates every request with zod and answers 400 with one sentence naming the field; API Gateway models would duplicate that with worse messages.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Every method needs IAM authorization and the API serves a handful of operators; a WAF web ACL would add cost without stopping anything IAM does not.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Access logs record every call with its caller; execution logs would need the account-wide API Gateway CloudWatch role, which Rotor does not take over.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The operator API authorizes with IAM (SigV4), not Cognito: who may rotate is an IAM decision.',
      },
    );
  }
}
