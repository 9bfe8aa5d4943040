import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { RotorTokenAuthorizer } from '../../lib/constructs/TokenAuthorizer.ts';

/** A user's stack: their API, protected by Rotor's authorizer against Rotor's registry table. */
function userStack(cacheTtl?: Duration) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'UserApi', { env: { account: '123456789012', region: 'eu-central-1' } });
  const table = new Table(stack, 'Registry', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const auth = new RotorTokenAuthorizer(stack, 'TokenAuth', { table, ...(cacheTtl ? { cacheTtl } : {}) });
  const api = new RestApi(stack, 'Api');
  api.root.addMethod('GET', new MockIntegration(), { authorizer: auth.authorizer });
  return Template.fromStack(stack);
}

describe('Construct: RotorTokenAuthorizer', () => {
  it("turns API Gateway's result cache off and bounds the function's own to 30 s", () => {
    const template = userStack();

    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: '^Bearer rtr_[0-9A-Za-z]+$',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ VERIFY_CACHE_TTL_SECONDS: '30', USAGE_FLUSH_SECONDS: '60' }),
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', { AuthorizationType: 'CUSTOM' });
  });

  it('may read token versions and count their use, nothing more', () => {
    const template = userStack();

    const policies = template.findResources('AWS::IAM::Policy');
    const actions = Object.values(policies).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap(
        (s) => s.Action,
      ),
    );
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('refuses a cache longer than 30 seconds, naming the limit', () => {
    expect(() => userStack(Duration.minutes(5))).toThrow(
      'cacheTtl must be at most 30 seconds (got 300), so expire-now bites within it',
    );
  });
});
