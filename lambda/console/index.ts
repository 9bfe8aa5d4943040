import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { sesClient } from '../integrations/aws/ses.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { requiredSetting } from '../integrations/settings.ts';
import { operatorApiDependencies } from '../operator-api/dependencies.ts';
import { handleOperatorRequest } from '../operator-api/operatorApi.ts';
import { type ConsoleDependencies, handleConsoleRequest } from './console.ts';

/** The console's request log: method, first path segment, status; never a body or a link. */
export const logger = new Logger({ serviceName: 'rotor-console' });

const operator = operatorApiDependencies(logger);
let invocation: Pick<Context, 'getRemainingTimeInMillis'> | undefined;

const dependencies: ConsoleDependencies = {
  registry,
  ses: sesClient,
  senderAddress: requiredSetting('SENDER_ADDRESS'),
  consoleUrl: requiredSetting('CONSOLE_URL'),
  clock: () => new Date(),
  operator: (event) => handleOperatorRequest(event, operator, invocation),
  logger,
};

/**
 * The Rotor Console (API Gateway REST, proxy integration, no IAM: its admins sign in by emailed link):
 * their apps, and expire now, cancel, rotate and hand over through the operator API's routes.
 */
export const handler = async (
  event: APIGatewayProxyEvent,
  context?: Context,
): Promise<APIGatewayProxyResult> => {
  invocation = context;
  return handleConsoleRequest(event, dependencies);
};
