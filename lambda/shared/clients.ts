import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The AWS clients of a Lambda, created once per execution environment. Endpoints come from the
 * SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how local mode and the tests
 * point them at the stand-ins. Throttling and 5xx are retried by the SDK's standard retry mode.
 */
const clientConfig = { maxAttempts: 5 } as const;

export const secretsManagerClient = new SecretsManagerClient(clientConfig);

export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
