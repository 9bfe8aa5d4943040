import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  DUE_INDEX,
  IDEMPOTENCY_RECORDS,
  TABLE_KEYS,
  TOKEN_AGE_INDEX,
  TTL_ATTRIBUTE,
} from '../../lambda/contract/table.ts';

/**
 * What Powertools' idempotency utility does with its records (DynamoDB persistence layer): a conditional
 * put of the in-progress record, a consistent get of an existing one, an update with the answer, and a
 * delete when the request failed.
 */
const IDEMPOTENCY_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];

export interface RegistryTableProps {
  /**
   * What happens to the table when the stack is deleted. It holds the audit log and the token
   * hashes that verification depends on, so it is kept unless you say otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Rotor's registry: apps and their lifecycle state, rotation history, token hashes and audit
 * events in one on-demand table with point-in-time recovery, encryption with the AWS managed key,
 * deletion protection, the sparse `due` index that the daily sweep queries, and the `tokenAge` index
 * of the sweep's daily gauges.
 */
export class RegistryTable extends Construct {
  public readonly table: Table;

  public constructor(scope: Construct, id: string, props: RegistryTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: DUE_INDEX.indexName,
      partitionKey: { name: DUE_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: DUE_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TOKEN_AGE_INDEX.indexName,
      partitionKey: { name: TOKEN_AGE_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TOKEN_AGE_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...TOKEN_AGE_INDEX.projected],
    });
  }

  /**
   * Lets `grantee` keep idempotency records (Powertools' idempotency utility): the item actions it
   * needs, on the `IDEMPOTENCY` partition of the table only.
   */
  public grantIdempotencyRecords(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: IDEMPOTENCY_ACTIONS,
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [IDEMPOTENCY_RECORDS.partitionKey] },
      },
    });
  }
}
