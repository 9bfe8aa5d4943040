import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUBSPOT_GRACE_SECONDS } from '../../lambda/contract/hubspotApi.ts';
import { ROTOR_METRICS } from '../../lambda/contract/metrics.ts';
import { DURATION_LIMITS } from '../../lambda/contract/requestRules.ts';
import { ROUTES, STACK_OUTPUTS } from '../../lambda/contract/routes.ts';
import { buildRotorApp } from '../../lib/app.ts';
import { type Template as LocalTemplate, stateMachinesOf } from '../../local/template.ts';

const settings = {
  region: 'eu-central-1',
  senderAddress: 'rotor@example.com',
  secretNamePrefix: 'rotor/',
};
const outdirs: string[] = [];

/** Builds the app as `cdk synth` does, without bundling (tests need the template, not the code). */
function build(rotor: Record<string, unknown> = settings) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'rotor-cdk-'));
  outdirs.push(outdir);
  return buildRotorApp({ outdir, context: { rotor, 'aws:cdk:bundling-stacks': [] } });
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function statementsOf(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const roles = template.findResources('AWS::IAM::Role');
  return [
    ...Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]),
    ...Object.values(roles).flatMap((role) =>
      ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (policy) => policy.PolicyDocument.Statement,
      ),
    ),
  ];
}

describe('Stack: Rotor', () => {
  let template: Template;

  beforeAll(() => {
    const { app, stack } = build();
    app.synth();
    template = Template.fromStack(stack);
  });

  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every table recoverable, encrypted and on-demand', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables).length).toBeGreaterThan(0);
    for (const table of Object.values(tables)) {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });

  it('lets only secretsmanager.amazonaws.com of this account invoke the rotation hook', () => {
    const hook = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, fn]) =>
      JSON.stringify(fn.Properties.Tags).includes('rotation-hook'),
    )?.[0];
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission.Properties.FunctionName).includes(String(hook)),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('grants no secretsmanager or dynamodb action on "*" and no wildcard action', () => {
    const statements = statementsOf(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = ([] as string[]).concat(statement.Action);
      expect(actions.every((action) => !action.endsWith(':*') && action !== '*')).toBe(true);
      if (actions.some((action) => /^(secretsmanager|dynamodb):/.test(action))) {
        expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
        expect(([] as unknown[]).concat(statement.Resource)).not.toContain('*');
      }
    }
    const secretsStatement = statements.find((s) =>
      ([] as string[]).concat(s.Action).includes('secretsmanager:PutSecretValue'),
    );
    expect(JSON.stringify(secretsStatement?.Resource)).toContain(':secret:rotor/*');
  });

  it('gives the hook an explicit timeout, tracing, a retained log group and its settings', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: Match.stringLikeRegexp('Registry') },
          TOKEN_PREFIX: 'rtr_',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('has the rotation, sweep (with its batches) and webhook workflows, each Standard, logged in full and traced, the first two with a failure alarm', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    expect(
      Object.keys(machines)
        .map((id) => id.replace(/(StateMachine)?[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['RotationWorkflow', 'SweepWorkflow', 'SweepWorkflowBatches', 'Webhooks']);
    for (const [logicalId, machine] of Object.entries(machines)) {
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
      // A delivery that failed for good is recorded and audited (rotor apps show), not an alarm of its own.
      if (logicalId.startsWith('Webhooks')) continue;
      // Failed and timed-out executions alarm for both; a stopped sweep too (Rotor stops no sweep,
      // while expire-now and cancel stop a rotation on purpose).
      // The sweep's alarm watches its batches too: one alarm for "due apps were not handled today".
      const sweepEnds = ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'];
      const expected = logicalId.startsWith('Sweep')
        ? [...sweepEnds, ...sweepEnds]
        : ['ExecutionsFailed', 'ExecutionsTimedOut'];
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((candidate) =>
        JSON.stringify(candidate.Properties.Metrics ?? []).includes(`"Ref":"${logicalId}"`),
      );
      expect(alarm?.Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1 });
      type Query = {
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Namespace: string } };
      };
      const queries = alarm?.Properties.Metrics as Query[];
      expect(queries.flatMap((query) => query.MetricStat?.Metric.MetricName ?? [])).toEqual(expected);
      expect(
        queries.every((query) => query.Expression || query.MetricStat?.Metric.Namespace === 'AWS/States'),
      ).toBe(true);
      expect(queries.find((query) => query.Expression)?.Expression).toMatch(/^FILL\(failed, 0\) \+ /);
    }
  });

  it('retries the Lambda service errors, throttling included, with backoff in every task of both workflows', () => {
    const names = { region: 'eu-central-1', accountId: '123456789012', tableName: 'rotor' };
    const machines = stateMachinesOf(template.toJSON() as LocalTemplate, names);
    type Retrier = { ErrorEquals: string[]; BackoffRate?: number; MaxAttempts?: number };
    const tasks: [string, State][] = [];
    type State = { Type: string; Retry?: Retrier[]; ItemProcessor?: { States: Record<string, State> } };
    const collect = (states: Record<string, State>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task') tasks.push([name, state]);
        if (state.ItemProcessor) collect(state.ItemProcessor.States);
      }
    };
    for (const machine of machines) collect((machine.definition as { States: Record<string, State> }).States);
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, state] of tasks) {
      const retriers = state.Retry ?? [];
      for (const error of [
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ]) {
        const retrier = retriers.find((candidate) => candidate.ErrorEquals.includes(error));
        expect(retrier, `${name} retries ${error}`).toBeDefined();
        expect(retrier?.BackoffRate ?? 2).toBeGreaterThan(1);
        expect(retrier?.MaxAttempts ?? 3).toBeGreaterThanOrEqual(3);
      }
      // A function's own error of that name is not Lambda throttling.
      expect(retriers.flatMap((retrier) => retrier.ErrorEquals)).not.toContain('TooManyRequestsException');
    }
  });

  it('lets a rotation run as long as the settings allow: the longest HubSpot handoff, its grace, a margin', () => {
    const machines = stateMachinesOf(template.toJSON() as LocalTemplate, {
      region: 'eu-central-1',
      accountId: '123456789012',
      tableName: 'rotor',
    });
    const rotation = machines.find((machine) => machine.logicalId.startsWith('RotationWorkflow'));
    const timeout = (rotation?.definition as { TimeoutSeconds?: number } | undefined)?.TimeoutSeconds ?? 0;
    const day = 86_400;
    // The handoff ends at the reminder after its timeout, then HubSpot's grace period runs.
    expect(timeout).toBeGreaterThan(DURATION_LIMITS.handoffTimeout.max + day + HUBSPOT_GRACE_SECONDS);
    expect(timeout).toBeGreaterThan(DURATION_LIMITS.grace.max);
    // A year is Step Functions' limit for a Standard execution.
    expect(timeout).toBeLessThanOrEqual(365 * day);
  });

  it('starts the sweep daily at the configured time and zone', () => {
    const [sweep] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).filter((id) =>
      id.startsWith('SweepWorkflow'),
    );
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(00 06 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { Ref: sweep } }),
    });
  });

  it('lets only the notify function, the operator API and the console send email, and only from the configured sender', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const senders = Object.entries(policies)
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes('ses:'))
      .map(([logicalId]) => logicalId);
    expect(senders.sort()).toEqual([
      expect.stringMatching(/^ConsoleHandlerRole/),
      expect.stringMatching(/^NotifyRole/),
      expect.stringMatching(/^OperatorApiHandlerRole/),
    ]);
    const sesStatements = statementsOf(template).filter((statement) =>
      ([] as string[]).concat(statement.Action).some((action) => action.startsWith('ses:')),
    );
    expect(sesStatements).toHaveLength(3);
    for (const statement of sesStatements as (Statement & { Condition?: unknown })[]) {
      expect(statement.Action).toBe('ses:SendEmail');
      // The account's identities (SES's sandbox judges each recipient's identity too), but only ever
      // with the configured sender as From.
      expect(JSON.stringify(statement.Resource)).toMatch(/:ses:eu-central-1:.*:identity\/\*"/);
      expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'rotor@example.com' } });
    }
  });

  it('puts IAM authorization on every method of the operator API, one per route', () => {
    const methods = Object.entries(template.findResources('AWS::ApiGateway::Method'))
      .filter(([logicalId]) => logicalId.startsWith('OperatorApi'))
      .map(([, method]) => method);
    expect(methods.map((method) => method.Properties.HttpMethod).sort()).toEqual(
      ROUTES.map((route) => route.method).sort(),
    );
    for (const method of methods) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('logs every API call with its caller to a retained log group', () => {
    const stages = Object.entries(template.findResources('AWS::ApiGateway::Stage'))
      .filter(([logicalId]) => logicalId.startsWith('OperatorApi'))
      .map(([, stage]) => stage);
    expect(stages).toHaveLength(1);
    const access = stages[0]?.Properties.AccessLogSetting;
    expect(access?.DestinationArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^OperatorApiAccessLogs/), 'Arn'],
    });
    for (const field of [
      '$context.identity.caller',
      '$context.identity.user',
      '$context.httpMethod',
      '$context.status',
    ]) {
      expect(access?.Format).toContain(field);
    }
    const [logGroupId] = (access?.DestinationArn['Fn::GetAtt'] ?? []) as string[];
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId as string]?.DeletionPolicy).toBe(
      'Retain',
    );
  });

  it('outputs the API URL, an operator policy for every method and a read-only policy for the GETs only', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        STACK_OUTPUTS.apiUrl,
        STACK_OUTPUTS.operatorPolicy,
        STACK_OUTPUTS.readOnlyPolicy,
      ]),
    );
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const invokeOf = (output: string) => {
      const id = String((outputs[output]?.Value as { Ref?: string } | undefined)?.Ref);
      const statements = policies[id]?.Properties.PolicyDocument.Statement as Statement[];
      expect(statements).toHaveLength(1);
      expect(statements[0]?.Action).toBe('execute-api:Invoke');
      const resource = statements[0]?.Resource as { 'Fn::Join': [string, unknown[]] };
      return resource['Fn::Join'][1].filter((part) => typeof part === 'string').join('');
    };
    expect(invokeOf(STACK_OUTPUTS.operatorPolicy)).toMatch(/\/v1\/\*\/\*$/);
    expect(invokeOf(STACK_OUTPUTS.readOnlyPolicy)).toMatch(/\/v1\/GET\/\*$/);
    expect(JSON.stringify(outputs[STACK_OUTPUTS.apiUrl]?.Value)).toContain('.execute-api.');
  });

  it('lets the operator API stop only executions of the rotation workflow, and delete only webhook secrets', () => {
    const role = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('OperatorApiHandlerRole'),
    )?.[1];
    const statements = role?.Properties.PolicyDocument.Statement as Statement[];
    const stop = statements.find((statement) => statement.Action === 'states:StopExecution');
    expect(JSON.stringify(stop?.Resource)).toContain(':execution:');
    expect(JSON.stringify(stop?.Resource)).toContain('RotationWorkflowStateMachine');
    const deleting = statements.filter((statement) =>
      JSON.stringify(statement.Action).includes('DeleteSecret'),
    );
    expect(deleting).toHaveLength(1);
    expect(JSON.stringify(deleting[0]?.Resource)).toContain(':secret:rotor/webhooks/*');
  });

  it("lets only the operator API and the console keep idempotency records, on the registry table's IDEMPOTENCY partition", () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const keeping = policies.filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('LeadingKeys'),
    );
    expect(keeping.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/^ConsoleHandlerRole/),
      expect.stringMatching(/^OperatorApiHandlerRole/),
    ]);
    const statement = (
      (keeping[0]?.[1].Properties.PolicyDocument.Statement ?? []) as (Statement & { Condition?: unknown })[]
    ).find((candidate) => JSON.stringify(candidate.Condition ?? {}).includes('LeadingKeys'));
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RegistryTable/), 'Arn'] },
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['IDEMPOTENCY'] } },
    });
  });

  it('serves the console without IAM, throttled at its stage, its URL an output the emails link to', () => {
    const methods = Object.entries(template.findResources('AWS::ApiGateway::Method')).filter(([logicalId]) =>
      logicalId.startsWith('Console'),
    );
    expect(methods.map(([, method]) => method.Properties.HttpMethod)).toEqual(['ANY', 'ANY']);
    for (const [, method] of methods) expect(method.Properties.AuthorizationType).toBe('NONE');
    const stage = Object.entries(template.findResources('AWS::ApiGateway::Stage')).find(([logicalId]) =>
      logicalId.startsWith('Console'),
    )?.[1];
    expect(stage?.Properties.StageName).toBe('console');
    expect(stage?.Properties.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 20,
        ThrottlingBurstLimit: 40,
      }),
    ]);
    // The access log names no path: an email button's URL carries its secret.
    expect(stage?.Properties.AccessLogSetting.Format).not.toContain('$context.path');
    const outputs = template.findOutputs('*');
    expect(JSON.stringify(outputs[STACK_OUTPUTS.consoleUrl]?.Value)).toContain('.execute-api.');
    const consoleUrls = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.CONSOLE_URL)
      .map(([logicalId]) => logicalId.replace(/Function[0-9A-F]{8}$/, ''));
    expect(consoleUrls.sort()).toEqual(['ConsoleHandler', 'Notify', 'OperatorApiHandler', 'WebhooksDeliver']);
  });

  it("gives the console's role the grace-period actions on Rotor's secrets and executions, and nothing that adds or removes an app", () => {
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('ConsoleHandlerRole'),
    )?.[1];
    const statements = policy?.Properties.PolicyDocument.Statement as Statement[];
    const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action));
    expect(actions).toEqual(
      expect.arrayContaining([
        'secretsmanager:UpdateSecretVersionStage',
        'secretsmanager:PutSecretValue',
        'states:StartExecution',
        'states:StopExecution',
      ]),
    );
    for (const forbidden of [
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:RotateSecret',
      'secretsmanager:CancelRotateSecret',
      'secretsmanager:TagResource',
      'lambda:InvokeFunction',
    ]) {
      expect(actions).not.toContain(forbidden);
    }
    const secrets = statements.find((statement) =>
      statement.Action.includes('secretsmanager:PutSecretValue'),
    );
    expect(JSON.stringify(secrets?.Resource)).toContain(':secret:rotor/*');
  });

  it('lets the functions that send emails, and the sweep, put events on the configured bus only, and tells them which', () => {
    const putters = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes('events:PutEvents'))
      .map(([logicalId, policy]) => {
        const statement = (policy.Properties.PolicyDocument.Statement as Statement[]).find(
          (candidate) => candidate.Action === 'events:PutEvents',
        );
        const resource = statement?.Resource as { 'Fn::Join': [string, unknown[]] };
        return [
          logicalId.replace(/Role.*$/, ''),
          resource['Fn::Join'][1].filter((part) => typeof part === 'string').join(''),
        ];
      });
    expect(putters.map(([id]) => id).sort()).toEqual([
      'ConsoleHandler',
      'Notify',
      'OperatorApiHandler',
      'SweepApp',
    ]);
    for (const [, resource] of putters) expect(resource).toMatch(/^arn:.*:events:.*:event-bus\/default$/);
    const buses = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.EVENT_BUS_NAME === 'default')
      .map(([logicalId]) => logicalId.replace(/Function[0-9A-F]{8}$/, ''));
    expect(buses.sort()).toEqual(['ConsoleHandler', 'Notify', 'OperatorApiHandler', 'SweepApp']);
  });

  it('lets only the webhook deliverer read webhook secrets, and it no token secret; the senders and the sweep start its deliveries', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).map(
      ([logicalId, policy]) =>
        [
          logicalId.replace(/Role.*$/, ''),
          policy.Properties.PolicyDocument.Statement as Statement[],
        ] as const,
    );
    const secretsOf = (statements: readonly Statement[], action: string) =>
      statements
        .filter((statement) => [statement.Action].flat().includes(action))
        .map((statement) => JSON.stringify(statement.Resource));
    const readers = policies.filter(([, statements]) =>
      secretsOf(statements, 'secretsmanager:GetSecretValue').some((resource) =>
        resource.includes('webhooks/'),
      ),
    );
    expect(readers.map(([id]) => id)).toEqual(['WebhooksDeliver']);
    const [, deliverer] = readers[0] as (typeof readers)[number];
    expect(secretsOf(deliverer, 'secretsmanager:GetSecretValue')).toEqual([
      expect.stringContaining(':secret:rotor/webhooks/*'),
    ]);
    expect(JSON.stringify(deliverer)).not.toMatch(/secret:rotor\/\*/);
    expect(JSON.stringify(deliverer)).not.toContain('ses:SendEmail');
    const starters = policies
      .filter(([, statements]) =>
        statements.some(
          (statement) =>
            [statement.Action].flat().includes('states:StartExecution') &&
            JSON.stringify(statement.Resource).includes('WebhooksStateMachine'),
        ),
      )
      .map(([id]) => id);
    expect(starters.sort()).toEqual(['ConsoleHandler', 'Notify', 'OperatorApiHandler', 'SweepApp']);
    const machine = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) =>
      id.startsWith('Webhooks'),
    )?.[1];
    const definition = JSON.stringify(machine?.Properties.DefinitionString);
    expect(definition).toContain('WebhookNotDelivered');
    expect(definition).toContain('\\"BackoffRate\\":2');
  });

  it("has a dashboard of every Rotor metric, with the service dimension the functions' EMF lines carry", () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    // The body is an Fn::Join around the alarms' ARNs: each becomes a placeholder, then it is plain JSON.
    const joined = dashboards[0]?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = JSON.parse(joined.map((part) => (typeof part === 'string' ? part : 'arn')).join('')) as {
      widgets: { type: string; properties: { metrics?: unknown[][]; alarms?: string[] } }[];
    };
    const shown = body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const names = new Set(shown.map((metric) => metric[1]));

    expect(names).toEqual(new Set(Object.values(ROTOR_METRICS.names)));
    for (const metric of shown) {
      expect(metric.slice(0, 1)).toEqual([ROTOR_METRICS.namespace]);
      expect(metric.slice(2, 4)).toEqual(['service', ROTOR_METRICS.service]);
    }
    // The alarms' state is at its top.
    expect(body.widgets.find((widget) => widget.type === 'alarm')?.properties.alarms).toHaveLength(6);
  });

  it('alarms on a failed rotation, a stuck app and an overdue token, and every alarm tells the SNS topic the stack outputs', () => {
    const [topicId, ...moreTopics] = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(moreTopics).toEqual([]);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const byMetric = (name: string) =>
      alarms.find((alarm) => alarm.Properties.MetricName === name)?.Properties;
    const atLeastOne = {
      Namespace: 'Rotor',
      Dimensions: [{ Name: 'service', Value: ROTOR_METRICS.service }],
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    };

    expect(byMetric('RotationsFailed')).toMatchObject({ ...atLeastOne, Statistic: 'Sum', Period: 300 });
    expect(byMetric('AppsStuck')).toMatchObject({ ...atLeastOne, Statistic: 'Sum', Period: 300 });
    expect(byMetric('OverdueTokens')).toMatchObject({ ...atLeastOne, Statistic: 'Maximum', Period: 86_400 });
    // The stack's other alarms (undeliverable emails, failed workflow executions) tell the same topic.
    expect(alarms.length).toBe(6);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(template.toJSON().Outputs[STACK_OUTPUTS.alarmTopicArn]?.Value).toEqual({ Ref: topicId });
  });

  it('lets nobody publish to the alarm topic without TLS', () => {
    const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('passes cdk-nag AwsSolutions, acknowledging only the findings it names', () => {
    // A finding left unacknowledged makes synth throw; the stack above synthesized. A wildcard
    // beyond the acknowledged secret prefix, even on the hook's own role, is still a finding.
    const { app, stack } = build();
    stack.rotationHook.function.role?.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`arn:aws:secretsmanager:eu-central-1:${stack.account}:secret:other/*`],
      }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});

describe('Command: cdk synth', () => {
  it('stops with one line naming the bad setting and what is allowed', async () => {
    const run = promisify(execFile);
    const context = JSON.stringify({ rotor: { ...settings, grace: '40d' } });
    const error = await run('npx', ['tsx', 'bin/app.ts'], {
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: context,
        CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'rotor-cdk-')),
      },
    }).then(
      () => undefined,
      (failure: { code: number; stderr: string }) => failure,
    );
    expect(error?.code).toBe(1);
    expect(error?.stderr.trim()).toBe(
      'rotor: Rotor setting "grace" must be a duration from 1h to 30d, such as "7d" (got "40d")',
    );
  });
});
