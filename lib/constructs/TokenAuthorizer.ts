import { Duration } from 'aws-cdk-lib';
import { TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TaskFunction } from './TaskFunction.ts';

export interface RotorTokenAuthorizerProps {
  /** Rotor's registry table (e.g. `Table.fromTableName(this, 'Registry', '<the stack's RegistryTableName>')`). */
  readonly table: ITable;
  /** The prefix of Rotor's managed tokens. @default 'rtr_' */
  readonly tokenPrefix?: string;
  /** How long one instance trusts a result; expire-now takes effect within it. At most 30 s. @default 30 s */
  readonly cacheTtl?: Duration;
  /** How often each token version's use count is written, at most. @default 1 minute */
  readonly usageFlush?: Duration;
}

/**
 * An API Gateway TOKEN authorizer that accepts Rotor's managed tokens (`Authorization: Bearer
 * rtr_...`): the current token, and the previous one until its grace period ends. API Gateway's own
 * result cache is off, so the only cache is the function's, bounded by `cacheTtl` (≤ 30 s): an
 * expire-now takes effect within it. Each token version's uses are counted for Rotor's 24-hour
 * notice and `rotor apps show`.
 *
 * @example
 * const registry = Table.fromTableName(this, 'Registry', 'Rotor-RegistryTable...');
 * const { authorizer } = new RotorTokenAuthorizer(this, 'TokenAuth', { table: registry });
 * api.root.addMethod('GET', integration, { authorizer });
 */
export class RotorTokenAuthorizer extends Construct {
  public readonly authorizer: TokenAuthorizer;
  public readonly function: TaskFunction;

  public constructor(scope: Construct, id: string, props: RotorTokenAuthorizerProps) {
    super(scope, id);
    const cacheTtl = props.cacheTtl ?? Duration.seconds(30);
    if (cacheTtl.toSeconds() > 30) {
      throw new Error(
        `cacheTtl must be at most 30 seconds (got ${cacheTtl.toSeconds()}), so expire-now bites within it`,
      );
    }
    const tokenPrefix = props.tokenPrefix ?? 'rtr_';
    this.function = new TaskFunction(this, 'Function', {
      handler: 'authorizer',
      description: "verifies Rotor's managed tokens for API Gateway and counts their use",
      table: props.table,
      tableAccess: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      tokenPrefix,
      timeout: Duration.seconds(10),
      environment: {
        VERIFY_CACHE_TTL_SECONDS: String(cacheTtl.toSeconds()),
        USAGE_FLUSH_SECONDS: String((props.usageFlush ?? Duration.minutes(1)).toSeconds()),
      },
    });
    this.authorizer = new TokenAuthorizer(this, 'Authorizer', {
      handler: this.function.function,
      identitySource: 'method.request.header.Authorization',
      // The function caches, within its bound; API Gateway's cache (default 5 minutes) would not be.
      resultsCacheTtl: Duration.seconds(0),
      validationRegex: `^Bearer ${tokenPrefix}[0-9A-Za-z]+$`,
    });
  }
}
