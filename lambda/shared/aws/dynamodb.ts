import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_CONFIG } from './config.ts';

/** The DynamoDB document client of this execution environment (endpoint from AWS_ENDPOINT_URL_DYNAMODB). */
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(CLIENT_CONFIG), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
