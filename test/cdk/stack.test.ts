import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRotorApp } from '../../lib/app.ts';

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
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
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

  it('has the rotation and sweep workflows, each Standard, logged in full and traced, with a failure alarm', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(2);
    for (const [logicalId, machine] of Object.entries(machines)) {
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ExecutionsFailed',
        Namespace: 'AWS/States',
        Threshold: 1,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId } }],
      });
    }
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

  it('lets only the notify function send email, and only from the configured sender', () => {
    const sesStatements = statementsOf(template).filter((statement) =>
      ([] as string[]).concat(statement.Action).some((action) => action.startsWith('ses:')),
    );
    expect(sesStatements).toHaveLength(1);
    const [statement] = sesStatements as (Statement & { Condition?: unknown })[];
    expect(statement?.Action).toBe('ses:SendEmail');
    expect(JSON.stringify(statement?.Resource)).toContain(':identity/rotor@example.com');
    expect(JSON.stringify(statement?.Resource)).toContain(':identity/example.com');
    expect(statement?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'rotor@example.com' } });
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
