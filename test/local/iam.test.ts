import { describe, expect, it } from 'vitest';
import { secretsManagerAccess, sesAccess, stepFunctionsAccess } from '../../local/iam/access.ts';
import { AccessDeniedError, IamAuthority } from '../../local/iam/authority.ts';
import { synthesizeTemplate, type Template } from '../../local/template.ts';

/**
 * Local mode's IAM, judged from the synthesized stack by the policy engine: what each role may do is
 * what AWS would let it do, and a grant taken away is an AccessDeniedException that names the role,
 * the action and the resource.
 */
const NAMES = { region: 'eu-central-1', accountId: '123456789012', tableName: 'rotor-local' };
const TABLE = `arn:aws:dynamodb:eu-central-1:123456789012:table/rotor-local`;
const template = await synthesizeTemplate();

function logicalIdOf(template: Template, prefix: string, type: string): string {
  const id = Object.keys(template.Resources).find(
    (candidate) => candidate.startsWith(prefix) && template.Resources[candidate]?.Type === type,
  );
  if (!id) throw new Error(`no ${type} ${prefix}* in the template`);
  return id;
}

/** The template without the statements of `rolePrefix`'s policy that grant `action`. */
function withoutGrant(rolePrefix: string, action: string): Template {
  const copy = structuredClone(template) as Template;
  const policy = copy.Resources[logicalIdOf(copy, `${rolePrefix}RoleDefaultPolicy`, 'AWS::IAM::Policy')];
  const document = policy?.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] };
  document.Statement = document.Statement.flatMap((statement) => {
    const actions = ([] as string[]).concat(statement.Action).filter((candidate) => candidate !== action);
    return actions.length === 0 ? [] : [{ ...statement, Action: actions }];
  });
  return copy;
}

function sessionOf(iam: IamAuthority, source: Template, functionPrefix: string) {
  const logicalId = logicalIdOf(source, functionPrefix, 'AWS::Lambda::Function');
  return iam.principalOf(source.Resources[logicalId] as Template['Resources'][string], logicalId);
}

async function refusal(promise: Promise<unknown>): Promise<AccessDeniedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AccessDeniedError);
  return error as AccessDeniedError;
}

describe('Class: IamAuthority (the synthesized stack)', () => {
  it('lets Notify Query the registry for the 24-hour notice, and refuses it, naming role, action and table, once the grant is gone', async () => {
    // Prepare
    const granted = new IamAuthority(template, NAMES);
    const stripped = withoutGrant('Notify', 'dynamodb:Query');
    const withoutQuery = new IamAuthority(stripped, NAMES);
    const call = (iam: IamAuthority, source: Template) =>
      iam.authorize({
        accessKeyId: sessionOf(iam, source, 'NotifyFunction').credentials.accessKeyId,
        action: 'dynamodb:Query',
        resource: TABLE,
      });

    // Act
    await call(granted, template);
    const denied = await refusal(call(withoutQuery, stripped));

    // Assess
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/NotifyRole\w+\/NotifyFunction\w+ is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:eu-central-1:123456789012:table\/rotor-local because no identity-based policy allows the dynamodb:Query action$/,
    );
  });

  it('lets StartRotation call RotateSecret only with lambda:InvokeFunction on the hook, as AWS requires', async () => {
    // Prepare
    const hookArn = 'arn:aws:lambda:eu-central-1:123456789012:function:Rotor-rotation-hook';
    const secretArn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:rotor/billing-sync-AbCdEf';
    const rotate = (source: Template) => {
      const iam = new IamAuthority(source, NAMES);
      const { accessKeyId } = sessionOf(iam, source, 'StartRotationFunction').credentials;
      return secretsManagerAccess(
        iam,
        NAMES,
      )({
        operation: 'RotateSecret',
        body: { SecretId: secretArn },
        accessKeyId,
        describe: () => ({ ARN: secretArn, RotationLambdaARN: hookArn }),
      });
    };

    // Act
    await rotate(template);
    const denied = await refusal(rotate(withoutGrant('StartRotation', 'lambda:InvokeFunction')));

    // Assess
    expect(denied.message).toContain('/StartRotationFunction');
    expect(denied.message).toContain(
      `is not authorized to perform: lambda:InvokeFunction on resource: ${hookArn}`,
    );
  });

  it('judges SendTaskSuccess on "*" (AWS lists no resource type for it): the operator API may, a grant scoped to the workflow may not', async () => {
    // Prepare
    const iam = new IamAuthority(template, NAMES);
    const operator = sessionOf(iam, template, 'OperatorApiHandlerFunction');
    const scoped = withoutGrant('OperatorApiHandler', 'states:SendTaskSuccess');
    const document = scoped.Resources[
      logicalIdOf(scoped, 'OperatorApiHandlerRoleDefaultPolicy', 'AWS::IAM::Policy')
    ]?.Properties?.PolicyDocument as { Statement: unknown[] };
    document.Statement.push({
      Effect: 'Allow',
      Action: 'states:SendTaskSuccess',
      Resource: 'arn:aws:states:eu-central-1:123456789012:stateMachine:RotationWorkflowStateMachine',
    });
    const scopedIam = new IamAuthority(scoped, NAMES);
    const send = (authority: IamAuthority, accessKeyId: string) =>
      stepFunctionsAccess(authority)({ operation: 'SendTaskSuccess', body: { taskToken: 't' }, accessKeyId });

    // Act
    await send(iam, operator.credentials.accessKeyId);
    const denied = await refusal(
      send(scopedIam, sessionOf(scopedIam, scoped, 'OperatorApiHandlerFunction').credentials.accessKeyId),
    );

    // Assess
    expect(denied.message).toContain('states:SendTaskSuccess on resource: *');
  });

  it("lets Notify send in the SES sandbox (recipients' identities are judged too) only with Rotor's sender as From", async () => {
    // Prepare
    const iam = new IamAuthority(template, NAMES);
    const { accessKeyId } = sessionOf(iam, template, 'NotifyFunction').credentials;
    const send = sesAccess(iam, NAMES);
    const call = (source: string) => ({
      accessKeyId,
      action: 'ses:SendEmail',
      identities: [source, 'anna@demo.example'],
      source,
      recipients: ['anna@demo.example'],
    });

    // Act
    const asRotor = await send(call('rotor@example.com'));
    const asSomeoneElse = await send(call('ceo@example.com'));

    // Assess
    expect(asRotor).toBeUndefined();
    expect(asSomeoneElse).toContain('is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:');
  });

  it('grants no table access a task does not use', () => {
    const statementsOf = (prefix: string) => {
      const policy =
        template.Resources[logicalIdOf(template, `${prefix}RoleDefaultPolicy`, 'AWS::IAM::Policy')];
      const document = policy?.Properties?.PolicyDocument as
        | { Statement: { Sid?: string; Action: string | string[] }[] }
        | undefined;
      return (document?.Statement ?? []).filter((statement) => statement.Sid?.startsWith('Registry'));
    };
    const actions = (prefix: string) =>
      statementsOf(prefix).map((statement) => [statement.Sid, ([] as string[]).concat(statement.Action)]);

    expect(actions('AwaitHandoff')).toEqual([['RegistryTable', ['dynamodb:UpdateItem']]]);
    expect(actions('HandoffReminder')).toEqual([
      ['RegistryTable', ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ]);
    // The sweep queries the due index and nothing else.
    expect(actions('FindDueApps')).toEqual([
      ['RegistryTable', ['dynamodb:BatchGetItem']],
      ['RegistryIndexes', ['dynamodb:Query']],
    ]);
  });
});
