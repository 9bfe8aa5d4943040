import { type AwsJsonCall, AwsServiceError } from '../awsJsonServer.ts';
import { AccessDeniedError, type IamAuthority } from './authority.ts';

/**
 * How the IAM checks of the stand-ins name what a call acts on: the action AWS evaluates and the
 * resource ARN, with the dependent permissions AWS documents.
 */

/** Secrets Manager: `secretsmanager:<Operation>` on the secret's full ARN; RotateSecret also needs the rotation function. */
export function secretsManagerAccess(iam: IamAuthority, names: { region: string; accountId: string }) {
  return async (call: AwsJsonCall & { describe(secretId: string): Record<string, unknown> | undefined }) => {
    const secretId = String(call.body.SecretId ?? call.body.Name ?? '');
    const described = secretId ? call.describe(secretId) : undefined;
    const secretArn =
      (described?.ARN as string | undefined) ??
      (secretId.startsWith('arn:')
        ? secretId
        : `arn:aws:secretsmanager:${names.region}:${names.accountId}:secret:${secretId}-??????`);
    await iam.authorize({
      accessKeyId: call.accessKeyId,
      action: `secretsmanager:${call.operation}`,
      resource: secretId ? secretArn : '*',
    });
    if (call.operation !== 'RotateSecret') return;
    const functionArn = (call.body.RotationLambdaARN ?? described?.RotationLambdaARN) as string | undefined;
    if (!functionArn) return;
    // "You also need lambda:InvokeFunction permissions on the rotation function." (RotateSecret)
    await iam.authorize({
      accessKeyId: call.accessKeyId,
      action: 'lambda:InvokeFunction',
      resource: functionArn,
    });
    const allowed = await iam.allowsService({
      service: 'secretsmanager.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: functionArn,
      resourcePolicy: iam.functionPolicy(functionArn),
      context: { 'aws:SourceAccount': names.accountId, 'aws:SourceArn': secretArn },
    });
    if (!allowed) {
      throw new AccessDeniedError(
        'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
      );
    }
  };
}

/** EventBridge: `events:PutEvents` on the bus of each entry. */
export function eventBridgeAccess(iam: IamAuthority) {
  return async (call: AwsJsonCall & { readonly busArns: readonly string[] }) => {
    for (const resource of call.busArns) {
      await iam.authorize({ accessKeyId: call.accessKeyId, action: `events:${call.operation}`, resource });
    }
  };
}

/** Step Functions: `states:<Operation>` on the state machine or execution the call names. */
export function stepFunctionsAccess(iam: IamAuthority) {
  return (call: AwsJsonCall) =>
    iam.authorize({
      accessKeyId: call.accessKeyId,
      action: `states:${call.operation}`,
      resource: String(call.body.stateMachineArn ?? call.body.executionArn ?? '*'),
    });
}

/**
 * SES: `ses:SendEmail` on each identity SES judges (the sender's; in the sandbox every recipient's
 * too), with the `ses:FromAddress` and `ses:Recipients` condition keys. Resolves to AWS's sentence
 * when IAM refuses.
 */
export function sesAccess(iam: IamAuthority, names: { region: string; accountId: string }) {
  return async (call: {
    accessKeyId: string | undefined;
    action: string;
    identities: readonly string[];
    source: string | undefined;
    recipients: readonly string[];
  }): Promise<string | undefined> => {
    try {
      for (const identity of call.identities) {
        await iam.authorize({
          accessKeyId: call.accessKeyId,
          action: call.action,
          resource: `arn:aws:ses:${names.region}:${names.accountId}:identity/${identity}`,
          context: {
            ...(call.source ? { 'ses:FromAddress': call.source } : {}),
            'ses:Recipients': [...call.recipients],
          },
        });
      }
      return undefined;
    } catch (error) {
      if (error instanceof AwsServiceError) return error.message;
      throw error;
    }
  };
}
