import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { nagArn, TaskFunction } from './TaskFunction.ts';

export interface RotationHookProps {
  /** The registry table; the hook reads and writes its items. */
  readonly table: ITable;
  /** The prefix of the tokens it mints. */
  readonly tokenPrefix: string;
  /** The hook may read and write only secrets whose names start with this. */
  readonly secretNamePrefix: string;
  /** The rotation workflow, which the hook starts for rotations Secrets Manager begins by itself. */
  readonly rotationWorkflow: IStateMachine;
}

/**
 * The Secrets Manager rotation function for managed apps (`lambda/rotation-hook`). Only
 * secretsmanager.amazonaws.com of this account may invoke it, and it may touch only the registry
 * table, the secrets under the configured name prefix, and start the rotation workflow.
 */
export class RotationHook extends Construct {
  public readonly function: NodejsFunction;
  readonly #functionArn: string;

  public constructor(scope: Construct, id: string, props: RotationHookProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const task = new TaskFunction(this, 'Task', {
      handler: 'rotation-hook',
      description: 'Secrets Manager rotation function for managed tokens',
      table: props.table,
      // Query: a rotation Secrets Manager starts by itself looks up the app's recent rotations.
      tableAccess: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      tokenPrefix: props.tokenPrefix,
      environment: { ROTATION_STATE_MACHINE_ARN: props.rotationWorkflow.stateMachineArn },
      // A fixed name, so that grantRotateWith can name the function without a reference to it (the
      // rotation workflow's tasks need the grant, and the hook needs the workflow's ARN).
      functionName: `${stack.stackName}-rotation-hook`,
    });
    this.#functionArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: `${stack.stackName}-rotation-hook`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.function = task.function;
    props.rotationWorkflow.grantStartExecution(task.role);

    task.addToRolePolicy(
      new PolicyStatement({
        sid: 'RotorSecrets',
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${props.secretNamePrefix}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.function.addPermission('InvokedBySecretsManager', {
      principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: stack.account,
    });
    Validations.of(task.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, 'secretsmanager', `secret:${props.secretNamePrefix}*`)}]`,
      reason:
        'Secret ARNs end in a random six-character suffix, so the grant names the Rotor secret prefix; it covers no other secret.',
    });
  }

  /**
   * Lets `grantee` call RotateSecret (and RotateSecret with RotateImmediately false) on secrets that use
   * this hook: AWS requires lambda:InvokeFunction on the rotation function from the caller too, besides
   * secretsmanager:RotateSecret.
   */
  public grantRotateWith(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'RotateWithTheRotationHook',
        actions: ['lambda:InvokeFunction'],
        // By name, not by reference: the workflow that rotates is itself named in the hook's settings.
        resources: [this.#functionArn],
      }),
    );
  }
}
