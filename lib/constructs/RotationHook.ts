import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const LAMBDA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lambda');

export interface RotationHookProps {
  /** The registry table; the hook reads and writes its items. */
  readonly table: ITable;
  /** The prefix of the tokens it mints. */
  readonly tokenPrefix: string;
  /** The hook may read and write only secrets whose names start with this. */
  readonly secretNamePrefix: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

/** An ARN as cdk-nag writes it in a finding id: intrinsics as `<AWS::Name>`, concrete values as they are. */
function nagArn(stack: Stack, service: string, resource: string): string {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:${service}:${region}:${account}:${resource}`;
}

/**
 * The Secrets Manager rotation function for managed apps (`lambda/rotation-hook`). Only
 * secretsmanager.amazonaws.com of this account may invoke it, and it may touch only the registry
 * table and the secrets under the configured name prefix.
 */
export class RotationHook extends Construct {
  public readonly function: NodejsFunction;

  public constructor(scope: Construct, id: string, props: RotationHookProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Rotor rotation hook: its log group, the registry table, secrets under the Rotor prefix',
    });
    logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(LAMBDA_DIR, 'rotation-hook/index.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      description: 'Rotor: Secrets Manager rotation function for managed tokens',
      environment: {
        TABLE_NAME: props.table.tableName,
        TOKEN_PREFIX: props.tokenPrefix,
        POWERTOOLS_SERVICE_NAME: 'rotor-rotation-hook',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The Node.js 24 runtime ships the AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });

    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'RegistryTable',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    const secrets = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.secretNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'RotorSecrets',
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [secrets],
      }),
    );
    this.function.addPermission('InvokedBySecretsManager', {
      principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: stack.account,
    });

    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'secretsmanager', `secret:${props.secretNamePrefix}*`)}]`,
        reason:
          'Secret ARNs end in a random six-character suffix, so the grant names the Rotor secret prefix; it covers no other secret.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
      },
    );
  }
}
