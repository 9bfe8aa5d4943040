import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidArn,
  InvalidExecutionInput,
  InvalidOutput,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LambdaServiceError,
  type LocalStateMachine,
  type RunningLocalStepFunctions,
  startLocalStepFunctions,
} from '../../local/step-functions/service.ts';

const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const machineArn = (name: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const functionArn = (name: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

/** An error as a Lambda handler throws it: the class name is the error Step Functions matches on. */
function namedError(name: string, message: string, options?: ErrorOptions): Error {
  const error = new Error(message, options);
  error.name = name;
  return error;
}

// ---------------------------------------------------------------------------------------------------
// The state machines under test
// ---------------------------------------------------------------------------------------------------

const ROTATION: LocalStateMachine = {
  name: 'Rotation',
  arn: machineArn('Rotation'),
  definition: {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Result: 'prepared', ResultPath: '$.stage', Next: 'LoadToken' },
      LoadToken: {
        Type: 'Task',
        Resource: functionArn('load-token'),
        ResultPath: '$.token',
        Next: 'IsExpiring',
      },
      IsExpiring: {
        Type: 'Choice',
        Choices: [{ Variable: '$.token.expiring', BooleanEquals: true, Next: 'WaitUntilNotice' }],
        Default: 'Done',
      },
      WaitUntilNotice: { Type: 'Wait', TimestampPath: '$.noticeAt', Next: 'Notify' },
      Notify: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: functionArn('notify'), 'Payload.$': '$.token' },
        ResultSelector: { 'sent.$': '$.Payload.sent' },
        ResultPath: '$.notification',
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  },
};

const RETRYING: LocalStateMachine = {
  name: 'Retrying',
  arn: machineArn('Retrying'),
  definition: {
    StartAt: 'Rotate',
    States: {
      Rotate: {
        Type: 'Task',
        Resource: functionArn('rotate'),
        Retry: [{ ErrorEquals: ['ThrottlingException'], IntervalSeconds: 30, MaxAttempts: 3 }],
        Catch: [{ ErrorEquals: ['RotationFailedError'], ResultPath: '$.failure', Next: 'Recover' }],
        End: true,
      },
      Recover: {
        Type: 'Pass',
        Parameters: { recovered: true, 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
        End: true,
      },
    },
  },
};

const LONG_WAIT: LocalStateMachine = {
  name: 'LongWait',
  arn: machineArn('LongWait'),
  definition: {
    StartAt: 'Hold',
    States: { Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Succeed' } },
  },
};

const FAN_OUT: LocalStateMachine = {
  name: 'FanOut',
  arn: machineArn('FanOut'),
  definition: {
    StartAt: 'RevokeAll',
    States: {
      RevokeAll: {
        Type: 'Map',
        ItemsPath: '$.tokens',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Revoke',
          States: { Revoke: { Type: 'Task', Resource: functionArn('revoke'), End: true } },
        },
        ResultPath: '$.revoked',
        End: true,
      },
    },
  },
};

/** A task whose result replaces its input (`ResultPath: "$"`, as CDK writes it), then a Choice on it. */
const REPLACING: LocalStateMachine = {
  name: 'Replacing',
  arn: machineArn('Replacing'),
  definition: {
    StartAt: 'Sweep',
    States: {
      Sweep: { Type: 'Task', Resource: functionArn('sweep'), ResultPath: '$', Next: 'Email?' },
      'Email?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.event', IsPresent: true, Next: 'Send' }],
        Default: 'Quiet',
      },
      Send: { Type: 'Pass', Result: 'sent', ResultPath: '$.email', End: true },
      Quiet: { Type: 'Succeed' },
    },
  },
};

const CONTEXT: LocalStateMachine = {
  name: 'Context',
  arn: machineArn('Context'),
  definition: {
    StartAt: 'WhoAmI',
    States: {
      WhoAmI: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: functionArn('whoami'),
          Payload: {
            'execution.$': '$$.Execution.Name',
            'executionId.$': '$$.Execution.Id',
            'stateMachine.$': '$$.StateMachine.Name',
          },
        },
        OutputPath: '$.Payload',
        End: true,
      },
    },
  },
};

const APPROVAL: LocalStateMachine = {
  name: 'Approval',
  arn: machineArn('Approval'),
  definition: {
    StartAt: 'RequestApproval',
    States: {
      RequestApproval: {
        Type: 'Task',
        Resource: functionArn('request-approval'),
        ResultPath: '$.approval',
        End: true,
      },
    },
  },
};

const UNSUPPORTED: LocalStateMachine = {
  name: 'Unsupported',
  arn: machineArn('Unsupported'),
  definition: {
    StartAt: 'PutItem',
    States: {
      PutItem: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: { TableName: 'registry', Item: {} },
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  },
};

// ---------------------------------------------------------------------------------------------------
// The Lambda functions the tasks call: each test installs its own
// ---------------------------------------------------------------------------------------------------

type LocalFunction = (payload: unknown) => Promise<unknown>;
let functions: Record<string, LocalFunction> = {};
let calls: Array<{ functionArn: string; payload: unknown }> = [];

function install(byName: Record<string, LocalFunction>): void {
  functions = Object.fromEntries(Object.entries(byName).map(([name, fn]) => [functionArn(name), fn]));
  calls = [];
}

const callsOf = (name: string): unknown[] =>
  calls.filter((call) => call.functionArn === functionArn(name)).map((call) => call.payload);

let sfn: RunningLocalStepFunctions;
let client: SFNClient;

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [ROTATION, RETRYING, LONG_WAIT, FAN_OUT, CONTEXT, REPLACING, APPROVAL, UNSUPPORTED],
    invokeFunction: async (arn, payload) => {
      calls.push({ functionArn: arn, payload });
      const fn = functions[arn];
      if (fn === undefined) throw new Error(`no local function ${arn}`);
      return fn(payload);
    },
    waitTimeOverrides: { [ROTATION.arn]: { WaitUntilNotice: 0 } },
    retryIntervalOverrides: { Rotate: 0 },
  });
  client = new SFNClient({ region: REGION, endpoint: sfn.url, credentials: CREDENTIALS });
});

afterAll(async () => {
  client.destroy();
  await sfn.close();
});

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

type ErrorClass = new (...args: never[]) => Error;

/** Awaits a call that must fail with the given SDK exception as an HTTP 400. */
async function failure(call: Promise<unknown>, errorClass: ErrorClass): Promise<Error> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(errorClass);
  expect(error).toMatchObject({ name: errorClass.name, $metadata: { httpStatusCode: 400 } });
  return error as Error;
}

async function start(machine: LocalStateMachine, input: unknown, name?: string): Promise<string> {
  const started = await client.send(
    new StartExecutionCommand({ stateMachineArn: machine.arn, input: JSON.stringify(input), name }),
  );
  return started.executionArn ?? '';
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  return (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}

const typesOf = (events: HistoryEvent[]): string[] => events.map((event) => event.type ?? '');

function parsed(json: string | undefined): unknown {
  return json === undefined ? undefined : JSON.parse(json);
}

/** A promise and the function that resolves it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((onResolve) => {
    resolve = onResolve;
  });
  return { promise, resolve };
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

describe('Local Step Functions: running workflows', () => {
  it('runs Pass, Task, Choice, Wait, lambda:invoke, Succeed to SUCCEEDED with output, history', async () => {
    // Prepare
    install({
      'load-token': async (payload) => ({ id: (payload as { tokenId: string }).tokenId, expiring: true }),
      notify: async () => ({ sent: true, to: 'admin@example.com' }),
    });
    const input = { tokenId: 'tok-1', noticeAt: '2099-01-01T00:00:00Z' };
    const startedAt = Date.now();

    // Act
    const executionArn = await start(ROTATION, input, 'rotation-1');
    const stopped = await sfn.whenStopped(executionArn);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    const events = await history(executionArn);

    // Assess: the Wait until 2099 took no time, because the test overrides it.
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:Rotation:rotation-1`);
    expect(stopped.status).toBe('SUCCEEDED');
    const output = {
      ...input,
      stage: 'prepared',
      token: { id: 'tok-1', expiring: true },
      notification: { sent: true },
    };
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      name: 'rotation-1',
      stateMachineArn: ROTATION.arn,
    });
    expect(parsed(described.output)).toEqual(output);
    expect(parsed(described.input)).toEqual(input);
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? Infinity);
    expect(calls).toEqual([
      { functionArn: functionArn('load-token'), payload: { ...input, stage: 'prepared' } },
      { functionArn: functionArn('notify'), payload: { id: 'tok-1', expiring: true } },
    ]);
    expect(typesOf(events)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.stateEnteredEventDetails?.name).filter(Boolean)).toEqual([
      'Prepare',
      'LoadToken',
      'IsExpiring',
      'WaitUntilNotice',
      'Notify',
      'Done',
    ]);
    expect(events[0]?.executionStartedEventDetails?.input).toBe(JSON.stringify(input));
    const loadToken = events.find((event) => event.stateEnteredEventDetails?.name === 'LoadToken');
    expect(loadToken?.stateEnteredEventDetails?.input).toBe(JSON.stringify({ ...input, stage: 'prepared' }));
    const scheduled = events.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: REGION });
    expect(parsed(scheduled?.parameters)).toEqual({
      FunctionName: functionArn('notify'),
      Payload: { id: 'tok-1', expiring: true },
    });
    const notified = events.find((event) => event.type === 'TaskSucceeded')?.taskSucceededEventDetails;
    expect(parsed(notified?.output)).toMatchObject({ Payload: { sent: true }, StatusCode: 200 });
    const notifyExited = events.find((event) => event.stateExitedEventDetails?.name === 'Notify');
    expect(parsed(notifyExited?.stateExitedEventDetails?.output)).toEqual(output);
    expect(events.at(-1)?.executionSucceededEventDetails?.output).toBe(described.output);
  });

  it('passes $$.Execution.Name and Id and $$.StateMachine.Name to a task via Parameters', async () => {
    // Prepare
    install({ whoami: async (payload) => payload });

    // Act
    const executionArn = await start(CONTEXT, {}, 'who-am-i');
    const stopped = await sfn.whenStopped(executionArn);

    // Assess
    const seen = { execution: 'who-am-i', executionId: executionArn, stateMachine: 'Context' };
    expect(callsOf('whoami')).toEqual([seen]);
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toEqual(seen);
  });

  it('replaces the whole input with a task result when ResultPath is "$"', async () => {
    // Prepare
    install({ sweep: async () => ({ appId: 'billing', event: 'ROTATION_REMINDER' }) });

    // Act
    const stopped = await sfn.whenStopped(await start(REPLACING, { appId: 'billing' }));

    // Assess
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toEqual({ appId: 'billing', event: 'ROTATION_REMINDER', email: 'sent' });
  });

  it('calls the task of a Map state once per item and collects the results', async () => {
    // Prepare
    install({ revoke: async (payload) => ({ revoked: payload }) });

    // Act
    const executionArn = await start(FAN_OUT, { tokens: ['a', 'b', 'c'] });
    const stopped = await sfn.whenStopped(executionArn);
    const events = await history(executionArn);

    // Assess
    expect(stopped.status).toBe('SUCCEEDED');
    expect(callsOf('revoke').sort()).toEqual(['a', 'b', 'c']);
    expect(parsed(stopped.output)).toEqual({
      tokens: ['a', 'b', 'c'],
      revoked: [{ revoked: 'a' }, { revoked: 'b' }, { revoked: 'c' }],
    });
    const iterations = (type: string) =>
      events
        .filter((event) => event.type === type)
        .map((event) => event.mapIterationStartedEventDetails ?? event.mapIterationSucceededEventDetails)
        .map((details) => `${details?.name}#${details?.index}`)
        .sort();
    expect(iterations('MapIterationStarted')).toEqual(['RevokeAll#0', 'RevokeAll#1', 'RevokeAll#2']);
    expect(iterations('MapIterationSucceeded')).toEqual(['RevokeAll#0', 'RevokeAll#1', 'RevokeAll#2']);
    expect(typesOf(events).filter((type) => type.startsWith('MapState'))).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapStateSucceeded',
      'MapStateExited',
    ]);
  });
});

describe('Local Step Functions: task errors, Retry and Catch', () => {
  it('retries a task that throws ThrottlingException as its Retry says', async () => {
    // Prepare: two throttles, then success.
    let attempts = 0;
    install({
      rotate: async () => {
        attempts += 1;
        if (attempts <= 2) throw namedError('ThrottlingException', 'Rate exceeded');
        return { rotated: true };
      },
    });

    // Act
    const executionArn = await start(RETRYING, { appId: 'app-1' });
    const stopped = await sfn.whenStopped(executionArn);
    const events = await history(executionArn);

    // Assess
    expect(attempts).toBe(3);
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toEqual({ rotated: true });
    const failures = events.filter((event) => event.type === 'LambdaFunctionFailed');
    expect(failures.map((event) => event.lambdaFunctionFailedEventDetails)).toEqual([
      { error: 'ThrottlingException', cause: 'Rate exceeded' },
      { error: 'ThrottlingException', cause: 'Rate exceeded' },
    ]);
    expect(typesOf(events).filter((type) => type === 'LambdaFunctionScheduled')).toHaveLength(3);
  });

  it('catches RotationFailedError into the recovery state, with the message as cause', async () => {
    // Prepare
    install({
      rotate: async () => {
        throw namedError('RotationFailedError', 'HubSpot refused the new token', { cause: new Error('403') });
      },
    });

    // Act
    const executionArn = await start(RETRYING, { appId: 'app-2' });
    const stopped = await sfn.whenStopped(executionArn);
    const events = await history(executionArn);

    // Assess
    expect(callsOf('rotate')).toHaveLength(1);
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toEqual({
      recovered: true,
      error: 'RotationFailedError',
      cause: 'HubSpot refused the new token',
    });
    expect(typesOf(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[4]?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'RotationFailedError',
      cause: 'HubSpot refused the new token',
    });
  });

  it('fails the execution with the name and message of an error no Retry or Catch matches', async () => {
    // Prepare
    install({
      rotate: async () => {
        throw namedError('RegistryUnavailableError', 'the registry table does not answer');
      },
    });

    // Act
    const executionArn = await start(RETRYING, { appId: 'app-3' });
    await sfn.whenStopped(executionArn);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    const events = await history(executionArn);

    // Assess
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'RegistryUnavailableError',
      cause: 'the registry table does not answer',
    });
    expect(described.output).toBeUndefined();
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: {
        error: 'RegistryUnavailableError',
        cause: 'the registry table does not answer',
      },
    });
  });

  it('fails with States.Runtime, past Catch States.ALL, at a Task resource it cannot run', async () => {
    // Prepare
    install({});

    // Act
    const executionArn = await start(UNSUPPORTED, {});
    const stopped = await sfn.whenStopped(executionArn);

    // Assess
    expect(stopped.status).toBe('FAILED');
    expect(stopped.error).toBe('States.Runtime');
    expect(stopped.cause).toContain('PutItem');
    expect(stopped.cause).toContain('arn:aws:states:::dynamodb:putItem');
  });
});

describe('Local Step Functions: starting, stopping and listing executions', () => {
  it('treats StartExecution with the same name and input as a retry while the execution runs', async () => {
    // Prepare
    const input = JSON.stringify({ appId: 'app-4' });
    const first = await client.send(
      new StartExecutionCommand({ stateMachineArn: LONG_WAIT.arn, name: 'same-name', input }),
    );

    // Act
    const again = await client.send(
      new StartExecutionCommand({ stateMachineArn: LONG_WAIT.arn, name: 'same-name', input }),
    );
    const otherInput = client.send(
      new StartExecutionCommand({
        stateMachineArn: LONG_WAIT.arn,
        name: 'same-name',
        input: '{"appId":"x"}',
      }),
    );

    // Assess
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await failure(otherInput, ExecutionAlreadyExists);
    expect(sfn.executions().filter((execution) => execution.name === 'same-name')).toHaveLength(1);

    // Once it has stopped, AWS refuses the name whatever the input.
    await client.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await failure(
      client.send(new StartExecutionCommand({ stateMachineArn: LONG_WAIT.arn, name: 'same-name', input })),
      ExecutionAlreadyExists,
    );
  });

  it('forgetStopped drops the stopped executions (a long harness keeps its memory flat) and keeps the running ones', async () => {
    // Prepare
    const stoppedArn = await start(LONG_WAIT, {});
    await client.send(new StopExecutionCommand({ executionArn: stoppedArn }));
    await sfn.whenStopped(stoppedArn);
    const runningArn = await start(LONG_WAIT, {});

    // Act
    const forgotten = sfn.forgetStopped();

    // Assess
    expect(forgotten).toBeGreaterThanOrEqual(1);
    const left = sfn.executions();
    expect(left.map((execution) => execution.executionArn)).toContain(runningArn);
    expect(left.every((execution) => execution.status === 'RUNNING')).toBe(true);
    await failure(
      client.send(new DescribeExecutionCommand({ executionArn: stoppedArn })),
      ExecutionDoesNotExist,
    );
    await client.send(new StopExecutionCommand({ executionArn: runningArn }));
  });

  it('stops an execution in an hour-long Wait at once: ABORTED, with the error and cause given', async () => {
    // Prepare
    const executionArn = await start(LONG_WAIT, {});
    const running = await client.send(new DescribeExecutionCommand({ executionArn }));
    const stopAt = Date.now();

    // Act
    const { stopDate } = await client.send(
      new StopExecutionCommand({ executionArn, error: 'OperatorCancelled', cause: 'rotor cancel app-5' }),
    );
    const stopped = await sfn.whenStopped(executionArn);
    const stoppedAgain = await client.send(new StopExecutionCommand({ executionArn }));

    // Assess
    expect(running.status).toBe('RUNNING');
    expect(Date.now() - stopAt).toBeLessThan(500);
    expect(stopped).toMatchObject({
      status: 'ABORTED',
      error: 'OperatorCancelled',
      cause: 'rotor cancel app-5',
    });
    expect(stoppedAgain.stopDate).toEqual(stopDate);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'OperatorCancelled', stopDate });
    const events = await history(executionArn);
    expect(typesOf(events)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'WaitStateAborted',
      'ExecutionAborted',
    ]);
    expect(events.at(-1)?.executionAbortedEventDetails).toEqual({
      error: 'OperatorCancelled',
      cause: 'rotor cancel app-5',
    });
  });

  it('lists the executions of a state machine newest first, by status and page by page', async () => {
    // Prepare: three executions of FanOut, the last one still running.
    install({ revoke: async (payload) => payload });
    const finished = [
      await start(FAN_OUT, { tokens: [] }, 'list-1'),
      await start(FAN_OUT, { tokens: [] }, 'list-2'),
    ];
    await Promise.all(finished.map((arn) => sfn.whenStopped(arn)));
    const release = deferred<void>();
    install({ revoke: async (payload) => release.promise.then(() => payload) });
    const running = await start(FAN_OUT, { tokens: ['x'] }, 'list-3');

    // Act
    const list = async (statusFilter?: 'RUNNING' | 'SUCCEEDED', maxResults?: number, nextToken?: string) =>
      client.send(
        new ListExecutionsCommand({ stateMachineArn: FAN_OUT.arn, statusFilter, maxResults, nextToken }),
      );
    const runningOnly = await list('RUNNING');
    const succeeded = await list('SUCCEEDED');
    const firstPage = await list(undefined, 2);
    const secondPage = await list(undefined, 2, firstPage.nextToken);

    // Assess
    expect(runningOnly.executions?.map((execution) => execution.name)).toEqual(['list-3']);
    expect(runningOnly.executions?.[0]).toMatchObject({
      executionArn: running,
      stateMachineArn: FAN_OUT.arn,
    });
    expect(runningOnly.executions?.[0]?.stopDate).toBeUndefined();
    const succeededNames = succeeded.executions?.map((execution) => execution.name) ?? [];
    expect(succeededNames.filter((name) => name?.startsWith('list-'))).toEqual(['list-2', 'list-1']);
    expect(succeeded.executions?.every((execution) => execution.stopDate instanceof Date)).toBe(true);
    const paged = [...(firstPage.executions ?? []), ...(secondPage.executions ?? [])].map(
      (item) => item.name,
    );
    expect(paged.slice(0, 3)).toEqual(['list-3', 'list-2', 'list-1']);
    expect(firstPage.executions).toHaveLength(2);
    expect(firstPage.nextToken).toBeDefined();

    release.resolve();
    expect((await sfn.whenStopped(running)).status).toBe('SUCCEEDED');
  });

  it('answers ExecutionDoesNotExist, InvalidArn and StateMachineDoesNotExist', async () => {
    const unknownExecution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rotation:never-started`;
    await failure(
      client.send(new DescribeExecutionCommand({ executionArn: unknownExecution })),
      ExecutionDoesNotExist,
    );
    await failure(
      client.send(new GetExecutionHistoryCommand({ executionArn: unknownExecution })),
      ExecutionDoesNotExist,
    );
    await failure(client.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })), InvalidArn);
    await failure(
      client.send(new StartExecutionCommand({ stateMachineArn: machineArn('NoSuchMachine') })),
      StateMachineDoesNotExist,
    );
    await expect(sfn.whenStopped(unknownExecution)).rejects.toThrow(/Execution Does Not Exist/);
  });

  it('describes and lists the configured state machines', async () => {
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: ROTATION.arn }));
    const listed = await client.send(new ListStateMachinesCommand({}));

    expect(described).toMatchObject({ name: 'Rotation', status: 'ACTIVE', type: 'STANDARD' });
    expect(parsed(described.definition)).toEqual(ROTATION.definition);
    expect(listed.stateMachines?.map((machine) => machine.name)).toContain('Approval');
    expect(listed.stateMachines).toHaveLength(8);
  });

  it('refuses a definition AWS would refuse: Parameters that are not an object', async () => {
    const broken: LocalStateMachine = {
      name: 'Broken',
      arn: machineArn('Broken'),
      definition: {
        StartAt: 'Notify',
        States: { Notify: { Type: 'Task', Resource: functionArn('notify'), Parameters: '$', End: true } },
      },
    };
    await expect(
      startLocalStepFunctions({ stateMachines: [broken], invokeFunction: async () => null }),
    ).rejects.toThrow(
      'State machine Broken: the Parameters of state Notify must be an object, as AWS requires.',
    );
  });

  it('answers an operation it does not have with UnknownOperationException, naming it', async () => {
    const response = await fetch(sfn.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.CreateActivity',
      },
      body: '{"name":"approval"}',
    });

    expect(response.status).toBe(400);
    const body = (await response.json()) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownOperationException');
    expect(body.message).toContain('CreateActivity');
  });
});

describe('Local Step Functions: task tokens', () => {
  it('resolves awaitTaskToken with the SendTaskSuccess output; a second answer is TaskTimedOut', async () => {
    // Prepare: the task waits for a callback, as a .waitForTaskToken task would.
    const issued = deferred<string>();
    install({
      'request-approval': async (payload) => {
        const token = `approval-${(payload as { appId: string }).appId}`;
        const answer = sfn.awaitTaskToken(token);
        issued.resolve(token);
        return answer;
      },
    });
    const executionArn = await start(APPROVAL, { appId: 'app-6' });
    const taskToken = await issued.promise;

    // Act
    await client.send(new SendTaskHeartbeatCommand({ taskToken }));
    await client.send(new SendTaskSuccessCommand({ taskToken, output: '{"approved":true,"by":"admin"}' }));
    const stopped = await sfn.whenStopped(executionArn);

    // Assess
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toEqual({ appId: 'app-6', approval: { approved: true, by: 'admin' } });
    await failure(client.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })), TaskTimedOut);
    await failure(
      client.send(new SendTaskSuccessCommand({ taskToken: 'no-such-token', output: '{}' })),
      TaskDoesNotExist,
    );
    await failure(
      client.send(new SendTaskHeartbeatCommand({ taskToken: 'no-such-token' })),
      TaskDoesNotExist,
    );
  });

  it('rejects awaitTaskToken with an Error named by SendTaskFailure; refuses non-JSON output', async () => {
    // Prepare
    const waiting = sfn.awaitTaskToken('direct-token');
    const settled = waiting.then(
      () => undefined,
      (error: unknown) => error,
    );

    // Act
    await failure(
      client.send(new SendTaskSuccessCommand({ taskToken: 'direct-token', output: 'not json' })),
      InvalidOutput,
    );
    await client.send(
      new SendTaskFailureCommand({
        taskToken: 'direct-token',
        error: 'ApprovalDenied',
        cause: 'the admin said no',
      }),
    );

    // Assess
    expect(await settled).toMatchObject({ name: 'ApprovalDenied', message: 'the admin said no' });
  });
});

describe('Local Step Functions: closing', () => {
  it('aborts the running executions and rejects the awaited task tokens', async () => {
    // Prepare
    const local = await startLocalStepFunctions({
      stateMachines: [LONG_WAIT],
      invokeFunction: async () => null,
    });
    const localClient = new SFNClient({ region: 'us-east-1', endpoint: local.url, credentials: CREDENTIALS });
    const { executionArn = '' } = await localClient.send(
      new StartExecutionCommand({ stateMachineArn: LONG_WAIT.arn }),
    );
    const token = local.awaitTaskToken('left-open').then(
      () => 'resolved',
      () => 'rejected',
    );
    localClient.destroy();

    // Act
    await local.close();

    // Assess
    expect(executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:LongWait:[0-9a-f-]{36}$/);
    expect(await token).toBe('rejected');
    expect((await local.whenStopped(executionArn)).status).toBe('ABORTED');
  });
});

describe('Local Step Functions: time', () => {
  it('passes a Wait through sleepUntil with its target on the given clock, and shows it as a Wait', async () => {
    // Prepare: a clock that jumps to whatever a Wait waits for, as local mode's virtual clock does.
    let now = Date.parse('2030-01-01T00:00:00Z');
    const targets: number[] = [];
    const local = await startLocalStepFunctions({
      stateMachines: [LONG_WAIT],
      invokeFunction: async () => null,
      clock: () => new Date(now),
      sleepUntil: async (untilMs) => {
        targets.push(untilMs);
        now = untilMs;
      },
    });
    const localClient = new SFNClient({ region: 'us-east-1', endpoint: local.url, credentials: CREDENTIALS });

    // Act
    const { executionArn = '' } = await localClient.send(
      new StartExecutionCommand({ stateMachineArn: LONG_WAIT.arn, input: '{"keep":true}' }),
    );
    const stopped = await local.whenStopped(executionArn);
    const { events = [] } = await localClient.send(new GetExecutionHistoryCommand({ executionArn }));
    localClient.destroy();
    await local.close();

    // Assess: the hour passed on the clock at once, and the history tells it as AWS would.
    expect(targets).toEqual([Date.parse('2030-01-01T01:00:00Z')]);
    expect(stopped).toMatchObject({ status: 'SUCCEEDED', output: '{"keep":true}' });
    expect(stopped.stopDate?.toISOString()).toBe('2030-01-01T01:00:00.000Z');
    expect(typesOf(events)).toEqual([
      'ExecutionStarted',
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
  });
});

describe('Local Step Functions: .waitForTaskToken callback tasks', () => {
  /** A task that hands its token out and waits a day for the answer (with heartbeats: every 6 hours). */
  const callbackMachine = (heartbeat: boolean): LocalStateMachine => ({
    name: 'Callback',
    arn: machineArn('Callback'),
    definition: {
      StartAt: 'AwaitAnswer',
      States: {
        AwaitAnswer: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: functionArn('hand-out'),
            Payload: { 'appId.$': '$.appId', 'taskToken.$': '$$.Task.Token' },
          },
          TimeoutSeconds: 86_400,
          ...(heartbeat ? { HeartbeatSeconds: 21_600 } : {}),
          ResultPath: '$.answer',
          Catch: [
            {
              ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'],
              ResultPath: '$.error',
              Next: 'GaveUp',
            },
          ],
          End: true,
        },
        GaveUp: { Type: 'Pass', End: true },
      },
    },
  });

  /** A service on a clock that jumps to whatever the service sleeps until, as the virtual clock does. */
  async function callbackService(heartbeat = false, { timePasses = true } = {}) {
    const CALLBACK = callbackMachine(heartbeat);
    let now = Date.parse('2030-01-01T00:00:00Z');
    const sleeps: number[] = [];
    const tokens: string[] = [];
    const local = await startLocalStepFunctions({
      stateMachines: [CALLBACK],
      invokeFunction: async (_arn, payload) => {
        tokens.push((payload as { taskToken: string }).taskToken);
        return { ignored: true };
      },
      clock: () => new Date(now),
      sleepUntil: async (untilMs, signal) => {
        sleeps.push(untilMs);
        if (!timePasses) {
          // Time stands still until an answer wakes the task, however slow the answer is to arrive.
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          return;
        }
        // Real time passes a little, so answers can arrive while the task waits.
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (!signal.aborted) now = untilMs;
      },
    });
    const localClient = new SFNClient({ region: 'us-east-1', endpoint: local.url, credentials: CREDENTIALS });
    const begin = async (input: unknown) =>
      (
        await localClient.send(
          new StartExecutionCommand({ stateMachineArn: CALLBACK.arn, input: JSON.stringify(input) }),
        )
      ).executionArn ?? '';
    const tokenIssued = async () => {
      for (let i = 0; i < 200 && tokens.length === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
      return tokens[0] ?? '';
    };
    return {
      local,
      localClient,
      begin,
      tokenIssued,
      sleeps,
      now: () => now,
      close: async () => {
        localClient.destroy();
        await local.close();
      },
    };
  }

  it('gives the function a fresh token and holds the task until SendTaskSuccess, whose output is the result', async () => {
    // Prepare
    const service = await callbackService(false, { timePasses: false });
    const executionArn = await service.begin({ appId: 'app-7' });
    const taskToken = await service.tokenIssued();

    // Act
    await service.localClient.send(new SendTaskSuccessCommand({ taskToken, output: '{"versionId":"v2"}' }));
    const stopped = await service.local.whenStopped(executionArn);
    const events =
      (await service.localClient.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 100 })))
        .events ?? [];
    await service.close();

    // Assess: the function's own result is not the task's; the callback's output is.
    expect(taskToken).toMatch(/^[0-9a-f]{64}$/);
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toEqual({ appId: 'app-7', answer: { versionId: 'v2' } });
    expect(typesOf(events)).toContain('TaskSucceeded');
    const scheduled = events.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled?.resource).toBe('invoke.waitForTaskToken');
    expect(scheduled?.timeoutInSeconds).toBe(86_400);
  });

  it('times out on the service clock: a day without an answer is States.Timeout, a late answer TaskTimedOut', async () => {
    // Prepare
    const service = await callbackService();
    const started = service.now();
    const executionArn = await service.begin({ appId: 'app-8' });
    const taskToken = await service.tokenIssued();

    // Act
    const stopped = await service.local.whenStopped(executionArn);
    await failure(
      service.localClient.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })),
      TaskTimedOut,
    );
    await service.close();

    // Assess: caught as States.Timeout after 24 virtual hours, never by a real 24-hour timer.
    expect(stopped.status).toBe('SUCCEEDED');
    expect(parsed(stopped.output)).toMatchObject({ error: { Error: 'States.Timeout' } });
    expect(service.now() - started).toBe(86_400_000);
    expect(Math.max(...service.sleeps)).toBe(started + 86_400_000);
  });

  it('fails with States.HeartbeatTimeout when no heartbeat comes within HeartbeatSeconds', async () => {
    // Prepare
    const service = await callbackService(true);
    const started = service.now();

    // Act: one heartbeat at once, then silence.
    const executionArn = await service.begin({ appId: 'app-9' });
    await service.localClient.send(new SendTaskHeartbeatCommand({ taskToken: await service.tokenIssued() }));
    const stopped = await service.local.whenStopped(executionArn);
    await service.close();

    // Assess: six hours after the heartbeat, long before the day is up.
    expect(parsed(stopped.output)).toMatchObject({ error: { Error: 'States.HeartbeatTimeout' } });
    expect(service.now() - started).toBe(21_600_000);
  });

  it('a SendTaskFailure fails the task with its error; a stopped execution closes the token', async () => {
    // Prepare
    const service = await callbackService(false, { timePasses: false });
    const failing = await service.begin({ appId: 'app-10' });
    const taskToken = await service.tokenIssued();

    // Act
    await service.localClient.send(
      new SendTaskFailureCommand({ taskToken, error: 'TokenRejected', cause: 'wrong portal' }),
    );
    const failed = await service.local.whenStopped(failing);
    await service.close();

    // Assess
    expect(failed).toMatchObject({ status: 'FAILED', error: 'TokenRejected', cause: 'wrong portal' });
  });
});

describe("Local Step Functions: AWS's error names and limits", () => {
  /** A task that retries Lambda throttling and catches every other task failure. */
  const LAMBDA_ERRORS: LocalStateMachine = {
    name: 'LambdaErrors',
    arn: machineArn('LambdaErrors'),
    definition: {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: functionArn('call'),
          Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxAttempts: 3 }],
          Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    },
  };
  /** Waits 45 days in a state machine that times out after 40 (longer than Node's longest timer). */
  const TIMING_OUT: LocalStateMachine = {
    name: 'TimingOut',
    arn: machineArn('TimingOut'),
    definition: {
      TimeoutSeconds: 40 * 86_400,
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 45 * 86_400, Next: 'Done' }, Done: { Type: 'Succeed' } },
    },
  };
  const HANGING: LocalStateMachine = {
    name: 'Hanging',
    arn: machineArn('Hanging'),
    definition: {
      TimeoutSeconds: 1,
      StartAt: 'Hang',
      States: { Hang: { Type: 'Task', Resource: functionArn('hang'), End: true } },
    },
  };
  /** A loop that never ends by itself. */
  const SPINNING: LocalStateMachine = {
    name: 'Spinning',
    arn: machineArn('Spinning'),
    definition: {
      StartAt: 'Spin',
      States: {
        Spin: { Type: 'Pass', Next: 'Again?' },
        'Again?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }],
          Default: 'Spin',
        },
        Done: { Type: 'Succeed' },
      },
    },
  };
  /** A task's result, then a second task; Catch States.ALL on both. */
  const LARGE: LocalStateMachine = {
    name: 'Large',
    arn: machineArn('Large'),
    definition: {
      StartAt: 'Fetch',
      States: {
        Fetch: {
          Type: 'Task',
          Resource: functionArn('fetch'),
          ResultPath: '$.fetched',
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          Next: 'Store',
        },
        Store: {
          Type: 'Task',
          Resource: functionArn('store'),
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    },
  };

  /** Virtual time ahead of real time, as a Wait leaves it. */
  let skipped = 0;
  const now = () => Date.now() + skipped;
  let local: RunningLocalStepFunctions;
  let localClient: SFNClient;
  let handlers: Record<string, LocalFunction> = {};
  let invoked: string[] = [];
  const never = new Promise<never>(() => {});

  beforeAll(async () => {
    local = await startLocalStepFunctions({
      stateMachines: [LAMBDA_ERRORS, TIMING_OUT, HANGING, SPINNING, LARGE],
      invokeFunction: async (arn, payload) => {
        invoked.push(arn.split(':').at(-1) ?? arn);
        const fn = handlers[arn];
        if (fn === undefined) throw new Error(`no local function ${arn}`);
        return fn(payload);
      },
      // A clock that runs at the real rate and jumps to whatever a Wait waits for, as local mode's does.
      clock: () => new Date(now()),
      sleepUntil: async (untilMs) => {
        skipped += Math.max(0, untilMs - now());
      },
      retryIntervalOverrides: { Call: 0 },
    });
    localClient = new SFNClient({ region: 'us-east-1', endpoint: local.url, credentials: CREDENTIALS });
  });

  afterAll(async () => {
    localClient.destroy();
    await local.close();
  });

  function use(byName: Record<string, LocalFunction>): void {
    handlers = Object.fromEntries(Object.entries(byName).map(([name, fn]) => [functionArn(name), fn]));
    invoked = [];
  }

  async function run(machine: LocalStateMachine, input: unknown) {
    const { executionArn = '' } = await localClient.send(
      new StartExecutionCommand({ stateMachineArn: machine.arn, input: JSON.stringify(input) }),
    );
    const stopped = await local.whenStopped(executionArn);
    return { executionArn, stopped };
  }

  async function lastEvents(executionArn: string, count: number): Promise<HistoryEvent[]> {
    const { events = [] } = await localClient.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: count }),
    );
    return events.reverse();
  }

  it('reports a throttled invocation as Lambda.TooManyRequestsException, which its Retry retries', async () => {
    // Prepare: the Lambda service throttles twice, then the function runs.
    let attempts = 0;
    use({
      call: async () => {
        attempts += 1;
        if (attempts <= 2) throw new LambdaServiceError('TooManyRequestsException');
        return { called: true };
      },
    });

    // Act
    const { executionArn, stopped } = await run(LAMBDA_ERRORS, {});
    const events = (await localClient.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];

    // Assess
    expect(stopped).toMatchObject({ status: 'SUCCEEDED', output: '{"called":true}' });
    const failures = events.flatMap((event) => event.lambdaFunctionFailedEventDetails ?? []);
    expect(failures.map((failure) => failure.error)).toEqual([
      'Lambda.TooManyRequestsException',
      'Lambda.TooManyRequestsException',
    ]);
    expect(failures[0]?.cause).toContain('Status Code: 429; Error Code: TooManyRequestsException');
  });

  it("keeps a function's own errors apart from the Lambda service's: both are States.TaskFailed", async () => {
    // Prepare: the function's own call to some API was throttled; then Lambda itself fails.
    use({
      call: async () => {
        throw namedError('TooManyRequestsException', 'the HubSpot API said 429');
      },
    });
    const own = await run(LAMBDA_ERRORS, {});
    use({
      call: async () => {
        throw new LambdaServiceError('ServiceException');
      },
    });

    // Act
    const service = await run(LAMBDA_ERRORS, {});

    // Assess: the function's error is not retried as Lambda throttling; both are caught as task failures.
    expect(parsed(own.stopped.output)).toEqual({
      error: { Error: 'TooManyRequestsException', Cause: 'the HubSpot API said 429' },
    });
    expect(parsed(service.stopped.output)).toMatchObject({
      error: { Error: 'Lambda.ServiceException', Cause: expect.stringContaining('Status Code: 500') },
    });
  });

  it('times an execution out at its TimeoutSeconds on the service clock, even 40 days on', async () => {
    // Act
    const { executionArn, stopped } = await run(TIMING_OUT, {});

    // Assess: TIMED_OUT at the deadline, the Wait aborted, never SUCCEEDED after 45 days.
    expect(stopped).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    const ranFor = (stopped.stopDate?.getTime() ?? 0) - stopped.startDate.getTime();
    expect(ranFor).toBeGreaterThanOrEqual(40 * 86_400_000);
    expect(ranFor).toBeLessThan(40 * 86_400_000 + 60_000);
    expect(typesOf(await lastEvents(executionArn, 3))).toEqual([
      'WaitStateEntered',
      'WaitStateAborted',
      'ExecutionTimedOut',
    ]);
    const described = await localClient.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('TIMED_OUT');
  });

  it('times out an execution whose task does not answer within TimeoutSeconds', async () => {
    // Prepare
    use({ hang: () => never });

    // Act
    const { executionArn, stopped } = await run(HANGING, {});

    // Assess
    expect(stopped.status).toBe('TIMED_OUT');
    expect(typesOf(await lastEvents(executionArn, 2))).toEqual(['TaskStateAborted', 'ExecutionTimedOut']);
  });

  it('fails an execution with States.Runtime as its history reaches 25,000 events', async () => {
    // Act
    const { executionArn, stopped } = await run(SPINNING, {});

    // Assess: event 25,000 is the failure, as AWS writes it.
    const cause = 'The execution reached the maximum number of history events (25000).';
    expect(stopped).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause });
    const [last] = await lastEvents(executionArn, 1);
    expect(last).toMatchObject({
      id: 25_000,
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.Runtime', cause },
    });
  });

  it('fails with States.DataLimitExceeded, past Catch States.ALL, when a task returns over 256 KiB of UTF-8', async () => {
    // Prepare: 140,000 characters, 280,000 bytes.
    use({ fetch: async () => 'ü'.repeat(140_000) });

    // Act
    const { stopped } = await run(LARGE, {});

    // Assess
    expect(stopped).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(stopped.cause).toContain("'Fetch'");
    expect(invoked).toEqual(['fetch']);
  });

  it("fails with States.DataLimitExceeded when a state's output passes 256 KiB, and runs no task after it", async () => {
    // Prepare: each part is under the limit, the state's output (input + result) is over it.
    use({ fetch: async () => 'x'.repeat(150_000), store: async () => 'stored' });

    // Act
    const { stopped } = await run(LARGE, { padding: 'y'.repeat(150_000) });

    // Assess
    expect(stopped).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(stopped.cause).toContain("'Fetch' returned a result");
    expect(invoked).toEqual(['fetch']);
  });

  it('refuses an execution input over 256 KiB of UTF-8 with InvalidExecutionInput', async () => {
    await failure(
      localClient.send(
        new StartExecutionCommand({
          stateMachineArn: LARGE.arn,
          input: JSON.stringify({ text: 'ü'.repeat(140_000) }),
        }),
      ),
      InvalidExecutionInput,
    );
  });
});
