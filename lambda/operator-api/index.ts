import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { operatorApiDependencies } from './dependencies.ts';
import { handleOperatorRequest } from './operatorApi.ts';

/** The request log of the operator API (exported so tests can raise its level and read it). */
export const logger = new Logger({ serviceName: 'rotor-operator-api' });

const dependencies = operatorApiDependencies(logger);

/**
 * The operator API (API Gateway REST, proxy integration, IAM authorization): apps, rotations,
 * expire now, cancel, history and audit. See `routes.ts` for the routes.
 */
export const handler = async (
  event: APIGatewayProxyEvent,
  context?: Context,
): Promise<APIGatewayProxyResult> => handleOperatorRequest(event, dependencies, context);
