import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RotorConfig } from './config.ts';
import { RegistryTable } from './constructs/RegistryTable.ts';
import { RotationHook } from './constructs/RotationHook.ts';

export interface RotorStackProps extends StackProps {
  /** The checked deployment settings. */
  readonly config: RotorConfig;
}

/** Everything Rotor deploys into one account and region. */
export class RotorStack extends Stack {
  public readonly registry: RegistryTable;
  public readonly rotationHook: RotationHook;

  public constructor(scope: Construct, id: string, props: RotorStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.registry = new RegistryTable(this, 'Registry');
    this.rotationHook = new RotationHook(this, 'RotationHook', {
      table: this.registry.table,
      tokenPrefix: config.tokenPrefix,
      secretNamePrefix: config.secretNamePrefix,
    });

    new CfnOutput(this, 'RegistryTableName', {
      value: this.registry.table.tableName,
      description: 'The DynamoDB table with apps, rotations, token hashes and the audit log',
    });
    new CfnOutput(this, 'RotationHookArn', {
      value: this.rotationHook.function.functionArn,
      description: 'The rotation function to configure on the secrets of managed apps',
    });
  }
}
