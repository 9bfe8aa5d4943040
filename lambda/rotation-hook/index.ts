import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { documentClient } from '../integrations/aws/dynamodb.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { sfnClient } from '../integrations/aws/sfn.ts';
import { readRuntimeSettings, requiredSetting } from '../integrations/settings.ts';
import { startRotationWorkflow } from '../integrations/workflows.ts';
import { Registry } from '../store/Registry.ts';
import { runRotationStep } from './rotationSteps.ts';
import type { RotationHookDependencies } from './stepContext.ts';

const settings = readRuntimeSettings();
const rotationStateMachineArn = requiredSetting('ROTATION_STATE_MACHINE_ARN');
const logger = new Logger({ serviceName: 'rotor-rotation-hook' });

const dependencies: RotationHookDependencies = {
  secretsManager: secretsManagerClient,
  registry: new Registry({ documentClient, tableName: settings.tableName }),
  tokenPrefix: settings.tokenPrefix,
  clock: () => new Date(),
  logger,
  startWorkflow: (input) => startRotationWorkflow(sfnClient, rotationStateMachineArn, input),
};

/**
 * The Secrets Manager rotation function of Rotor's managed apps: Secrets Manager calls it with
 * `{SecretId, ClientRequestToken, Step}` for createSecret, setSecret, testSecret and finishSecret.
 */
export const handler = async (event: unknown, context?: Context): Promise<void> => {
  if (context) logger.addContext(context);
  try {
    await runRotationStep(event, dependencies);
  } catch (error) {
    // Messages name the step, the secret and the version; they never carry a token value.
    logger.error((error as Error).message, { errorName: (error as Error).name });
    throw error;
  }
};
