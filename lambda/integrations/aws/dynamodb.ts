import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_CONFIG } from './config.ts';

/** The DynamoDB client of this execution environment (endpoint from AWS_ENDPOINT_URL_DYNAMODB). */
export const dynamoDbClient = new DynamoDBClient(CLIENT_CONFIG);

/** The DynamoDB document client of this execution environment, over {@link dynamoDbClient}. */
export const documentClient = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
