import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { JitterType, type TaskStateBase } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { bundlesAwsSdk, SDK_BUNDLE_ALIASES } from '../awsSdkBundling.ts';

const LAMBDA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lambda');

/** The tag that names a function's handler folder; local mode maps functions to handler modules with it. */
import { HANDLER_TAG } from '../handlerTag.ts';

export { HANDLER_TAG };

/** The DynamoDB item actions a task may be given on the registry table. */
export type TableAccess =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query'
  | 'dynamodb:BatchGetItem';

export interface TaskFunctionProps {
  /** The handler's folder under `lambda/`, e.g. `check-promotion`. */
  readonly handler: string;
  readonly description: string;
  /** The registry table; sets TABLE_NAME. */
  readonly table: ITable;
  /** What the function may do to the table's items (on the table itself, not its indexes). */
  readonly tableAccess: readonly TableAccess[];
  /** Whether it may Query the table's indexes (the sweep's `due` index), and nothing else on them. @default false */
  readonly queryIndexes?: boolean;
  /** The prefix of managed tokens; sets TOKEN_PREFIX. */
  readonly tokenPrefix: string;
  /** More environment variables. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** A fixed function name, for a function that others must name without a reference. @default generated */
  readonly functionName?: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /**
   * Whether the bundle carries the AWS SDK v3 (tree-shaken, minified) instead of loading the copy the
   * Node.js 24 runtime ships.
   * @default the measured choice for the handler, {@link bundlesAwsSdk}
   */
  readonly bundleAwsSdk?: boolean;
}

/** An ARN as cdk-nag writes it in a finding id: intrinsics as `<AWS::Name>`, concrete values as they are. */
export function nagArn(stack: Stack, service: string, resource: string): string {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:${service}:${region}:${account}:${resource}`;
}

/**
 * One Rotor Lambda: a handler under `lambda/<handler>/index.ts` bundled as ESM with the local
 * esbuild, Node.js 24 on ARM, an explicit timeout, X-Ray tracing, its own log group with a retention
 * period, and a role with nothing but that log group and the table access it names. Grant more with
 * {@link TaskFunction.addToRolePolicy} where the permission is needed.
 */
export class TaskFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;

  public constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Rotor ${props.handler}: its log group and what its task needs`,
    });
    logGroup.grantWrite(this.role);

    const bundleAwsSdk = props.bundleAwsSdk ?? bundlesAwsSdk(props.handler);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(LAMBDA_DIR, props.handler, 'index.ts'),
      handler: 'handler',
      ...(props.functionName ? { functionName: props.functionName } : {}),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup,
      description: `Rotor: ${props.description}`,
      environment: {
        TABLE_NAME: props.table.tableName,
        TOKEN_PREFIX: props.tokenPrefix,
        POWERTOOLS_SERVICE_NAME: `rotor-${props.handler}`,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings only; without the sources' text the map Node parses at each
        // cold start (NODE_OPTIONS=--enable-source-maps) is a fraction of its size (npm run bench).
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The Node.js 24 runtime ships the AWS SDK v3; a handler whose bundle loads faster with the
        // SDK inside (npm run bench, bundles section) carries its own.
        externalModules: bundleAwsSdk ? [] : ['@aws-sdk/*'],
        // With the SDK inside, credentials come from the environment, where Lambda puts the role's.
        ...(bundleAwsSdk
          ? {
              esbuildArgs: {
                '--alias': Object.entries(SDK_BUNDLE_ALIASES).map(([name, file]) => `${name}=${file}`),
              },
            }
          : {}),
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    Tags.of(this.function).add(HANDLER_TAG, props.handler);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    });

    if (props.tableAccess.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'RegistryTable',
          actions: [...props.tableAccess],
          resources: [props.table.tableArn],
        }),
      );
    }
    if (props.queryIndexes) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'RegistryIndexes',
          actions: ['dynamodb:Query'],
          resources: [`${props.table.tableArn}/index/*`],
        }),
      );
    }
  }

  /** Grants the function's role one more statement. */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /**
   * Lets the function call `actions` on Rotor's secrets: those whose names start with `secretNamePrefix`
   * (statement `RotorSecrets`), with cdk-nag told why the resource ends in a wildcard.
   */
  public grantRotorSecrets(secretNamePrefix: string, actions: readonly string[]): void {
    const stack = Stack.of(this);
    const secretPrefix = `${secretNamePrefix}*`;
    this.addToRolePolicy(
      new PolicyStatement({
        sid: 'RotorSecrets',
        actions: [...actions],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: secretPrefix,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'secretsmanager', `secret:${secretPrefix}`)}]`,
      reason: 'Secret ARNs end in a random six-character suffix, so the grant names the Rotor secret prefix.',
    });
  }

  /**
   * Lets the function answer a waiting workflow task (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat).
   * AWS's service authorization reference lists no resource type for the task-response actions, so IAM
   * judges them on "*": a grant scoped to the state machine (what grantTaskResponse writes) is refused on
   * AWS. The task token itself is what limits the call to one waiting task.
   */
  public grantTaskResponses(): void {
    this.addToRolePolicy(
      new PolicyStatement({
        sid: 'AnswerWaitingTasks',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: ['*'],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray and the Step Functions task-response actions (SendTaskSuccess/Failure/Heartbeat) support no resource-level permissions.',
    });
  }
}

/**
 * A state machine's role may invoke each task function and its versions (`<arn>:*`), as the CDK
 * grants it, and write X-Ray traces (no resource-level permissions): acknowledged finding by finding,
 * so that any other wildcard is still reported.
 */
export function acknowledgeWorkflowGrants(stateMachine: IConstruct, functions: readonly IFunction[]): void {
  const stack = Stack.of(stateMachine);
  for (const fn of functions) {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnFunction);
    Validations.of(stateMachine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: 'The CDK grants lambda:InvokeFunction on the task function and its versions; nothing else.',
    });
  }
  Validations.of(stateMachine).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray trace writes and log delivery actions support no resource-level permissions.',
  });
}

/** Lets a role send email only as Rotor's sender: SendEmail on the account's identities, only with that From address. */
export function sendAsSenderStatement(stack: Stack, senderAddress: string): PolicyStatement {
  // SES judges SendEmail on the sender's identity and, while the account is in the SES sandbox, on
  // every recipient's identity too: so the identities of the account, but only ever as the sender.
  return new PolicyStatement({
    sid: 'SendFromTheSenderIdentity',
    actions: ['ses:SendEmail'],
    resources: [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
    conditions: { StringEquals: { 'ses:FromAddress': senderAddress } },
  });
}

/** What cdk-nag is told about {@link sendAsSenderStatement}'s wildcard. */
export function acknowledgeSendAsSender(stack: Stack, role: IConstruct): void {
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'ses', 'identity/*')}]`,
    reason:
      "SES judges SendEmail on each recipient's identity too while the account is in the sandbox; the statement only allows sending with the sender address as From (ses:FromAddress).",
  });
}

/**
 * The Lambda service's own failures, as Step Functions reports them (`Lambda.<name>`): its transient 5xx
 * and client errors, and its throttling when the function's concurrency is used up. AWS recommends
 * retrying them with backoff. The CDK's default retrier for a LambdaInvoke leaves out the throttling.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The errors a Rotor function throws when a service it calls throttles it (its own error names). */
export const THROTTLING_ERRORS = ['NotificationThrottledError', 'ThrottlingException', 'Throttling'];

/**
 * Gives a Lambda task the retries every Rotor task needs, before any retry or catch of its own: the Lambda
 * service's failures and the throttling of the services it calls, each with exponential backoff and jitter
 * (about a minute in all). Create the task with `retryOnServiceExceptions: false`, so the CDK adds no
 * narrower retrier of its own in front.
 */
export function retryTransientErrors<T extends TaskStateBase>(task: T): T {
  for (const errors of [LAMBDA_SERVICE_ERRORS, THROTTLING_ERRORS]) {
    task.addRetry({
      errors,
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    });
  }
  return task;
}
