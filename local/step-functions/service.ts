/**
 * A local stand-in for AWS Step Functions that speaks the service's wire protocol (AWS JSON 1.0 over
 * HTTP: `POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`), so the AWS SDK and the AWS CLI work
 * against it unchanged. Signatures are not checked.
 *
 * Two layers: {@link StepFunctionsService} holds the state machines and executions and applies Step
 * Functions' rules (usable without HTTP); {@link startLocalStepFunctions} serves one over HTTP. The
 * Amazon States Language itself is run by aws-local-stepfunctions; every Task state gets a local
 * handler that calls the injected {@link InvokeFunction}.
 *
 * Deliberate differences from AWS:
 * - Only Lambda tasks run: a function ARN as Resource, or `arn:aws:states:::lambda:invoke`. Any other
 *   resource fails the execution with `States.Runtime` (which Catch cannot catch), naming the state and
 *   the resource. `lambda:invoke.waitForTaskToken` is a real callback task: `$$.Task.Token` (only as a
 *   whole Parameters value) is a fresh token, the function's result is ignored, and the state waits for
 *   SendTaskSuccess / SendTaskFailure with that token. Its TimeoutSeconds and HeartbeatSeconds run on
 *   the service's clock through `sleepUntil` (so on local mode's virtual clock a day passes in
 *   moments) and fail the state with `States.Timeout` / `States.HeartbeatTimeout`. Other suffixes run
 *   like the plain invoke.
 * - A task that throws fails its state with Error = the thrown error's `name` and Cause = its `message`
 *   (AWS puts a JSON `{errorType, errorMessage, trace}` into the Cause of a Lambda error). A
 *   {@link LambdaServiceError} is the Lambda service failing the invocation: Error = `Lambda.<name>`
 *   (`Lambda.TooManyRequestsException`, `Lambda.ServiceException`, ...), as AWS reports it.
 * - Task states without TimeoutSeconds may run for about 24.8 days (Node's longest timer) rather than
 *   AWS's year; HeartbeatSeconds is ignored except on callback tasks.
 * - As AWS: the state machine's TimeoutSeconds ends the execution TIMED_OUT, on the service's clock (a
 *   Wait past the deadline waits until the deadline); its history fails with States.Runtime as event
 *   25,000; a state input (after Parameters), task result or state output over 262,144 bytes of UTF-8
 *   fails it with States.DataLimitExceeded. Neither Retry nor Catch applies to those two, even a Catch
 *   that names States.DataLimitExceeded (AWS only says States.ALL cannot catch it).
 * - Wait states wait through `sleepUntil` (real timers by default; local mode passes its virtual clock,
 *   so a 7-day wait passes in seconds), unless `waitTimeOverrides` names them. To do that the service
 *   runs each Wait as an internal task; the history still shows WaitStateEntered/Exited/Aborted.
 * - History: `previousEventId` is the id of the event before; MapStateStarted has no length; a Fail
 *   state without Error fails with `FailStateError` (the library's default). When iterations of one Map
 *   run the same Task concurrently, the Scheduled/Succeeded details are matched to them in call order.
 * - `ResultPath: "$"` is read as its default (the library would add a key named "$"; AWS replaces).
 * - Executions live in memory only; names never expire. StopExecution of a stopped execution succeeds
 *   and returns its stopDate. Every state machine is STANDARD and ACTIVE, with a placeholder role.
 */
import './polyfill.ts';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { type AwsJsonCall, AwsServiceError, serveAwsJson } from '../awsJsonServer.ts';

// ---------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------

/** A state machine the service runs. */
export interface LocalStateMachine {
  readonly name: string;
  readonly arn: string;
  /** The Amazon States Language definition, as a parsed JSON object. */
  readonly definition: object;
}

/**
 * Runs one Lambda task: the function ARN (or name) from the state's Resource / Parameters.FunctionName,
 * and its payload.
 */
export type InvokeFunction = (
  functionArn: string,
  payload: unknown,
  caller?: { readonly stateMachineArn: string },
) => Promise<unknown>;

/**
 * The errors of the Lambda service itself (the invocation failed, not the function), which Step Functions
 * reports as `Lambda.<name>`: throttling, 5xx and client-side failures, and `Unknown` for a function that
 * crashed without an error of its own (out of memory, its own timeout).
 */
export type LambdaServiceErrorName =
  | 'TooManyRequestsException'
  | 'ServiceException'
  | 'AWSLambdaException'
  | 'SdkClientException'
  | 'ClientExecutionTimeoutException'
  | 'ResourceNotFoundException'
  | 'Unknown';

const LAMBDA_STATUS_CODES: Readonly<Record<LambdaServiceErrorName, number | undefined>> = {
  TooManyRequestsException: 429,
  ServiceException: 500,
  AWSLambdaException: 500,
  SdkClientException: undefined,
  ClientExecutionTimeoutException: undefined,
  ResourceNotFoundException: 404,
  Unknown: undefined,
};

/**
 * Thrown by an {@link InvokeFunction} (or a handler wrapper in a test) to fail an invocation as the Lambda
 * service would: the task then fails with `Lambda.<name>`, which a Retry or Catch can name. Any other error
 * an InvokeFunction throws is the function's own: its `name` is the error, as a Lambda errorType is.
 *
 * @example
 * throw new LambdaServiceError('TooManyRequestsException', 'Rate Exceeded.');
 * // the task fails with Error 'Lambda.TooManyRequestsException'
 */
export class LambdaServiceError extends Error {
  declare public readonly name: LambdaServiceErrorName;

  public constructor(name: LambdaServiceErrorName, message: string = defaultLambdaMessage(name)) {
    super(message);
    this.name = name;
  }

  /** The Cause Step Functions shows: the message, the status code and a request id, as the SDK words them. */
  public get stepFunctionsCause(): string {
    const status = LAMBDA_STATUS_CODES[this.name];
    if (status === undefined) return this.message;
    return (
      `${this.message} (Service: AWSLambda; Status Code: ${status}; Error Code: ${this.name}; ` +
      `Request ID: ${randomUUID()}; Proxy: null)`
    );
  }
}

function defaultLambdaMessage(name: LambdaServiceErrorName): string {
  switch (name) {
    case 'TooManyRequestsException':
      return 'Rate Exceeded.';
    case 'SdkClientException':
      return 'Unable to execute HTTP request: Connection reset';
    case 'ClientExecutionTimeoutException':
      return 'Client execution did not complete before the specified timeout configuration.';
    case 'ResourceNotFoundException':
      return 'Function not found.';
    case 'Unknown':
      return 'The function ended without a result: it ran out of memory or out of time.';
    default:
      return 'Service error.';
  }
}

/** Options of {@link StepFunctionsService}. */
export interface StepFunctionsServiceOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  readonly stateMachines: readonly LocalStateMachine[];
  readonly invokeFunction: InvokeFunction;
  /**
   * Milliseconds to wait in the named Wait states instead of what the definition says (e.g. 0 in tests),
   * per state machine ARN or for all ('*'); an ARN's entries win over '*'.
   */
  readonly waitTimeOverrides?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Milliseconds between retries, per state name, for all machines (tests use 0). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /**
   * The most events one execution's history may hold; the next fails it with States.Runtime. Tests lower
   * it to reach the quota with a few apps; never above AWS's. @default 25,000 ({@link MAX_HISTORY_EVENTS})
   */
  readonly maxHistoryEvents?: number;
  /** Time source for startDate, stopDate, history timestamps and Wait targets. @default () => new Date() */
  readonly clock?: () => Date;
  /**
   * Waits until `clock()` reaches `untilMs` (or `signal` aborts): how Wait states pass. Local mode gives
   * its virtual clock's, which advances the clock instead of sleeping. @default real timers
   */
  readonly sleepUntil?: (untilMs: number, signal: AbortSignal) => Promise<void>;
  /**
   * Keep every execution in this JSON file, and go on with the running ones after a restart, from the
   * top-level state each was in (its Waits to the same time, its callback tasks with the same token),
   * as executions on AWS outlive any crash of a task. @default in memory only
   */
  readonly dataFile?: string;
}

/** Options of {@link startLocalStepFunctions}. */
export interface LocalStepFunctionsOptions extends StepFunctionsServiceOptions {
  /** Judges each API call before it runs (IAM); throws to refuse it. */
  readonly authorize?: (call: AwsJsonCall) => Promise<void>;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
}

/** The status of an execution, as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** One execution, as the in-process API reports it (DescribeExecution's fields, with Dates). */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** The input as the JSON string StartExecution was given. */
  readonly input: string;
  /** The output as a JSON string, when SUCCEEDED. */
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** A running service, as returned by {@link startLocalStepFunctions}. */
export interface RunningLocalStepFunctions {
  /** The endpoint to give the SDK (`endpoint`) or the AWS CLI (`--endpoint-url`). */
  readonly url: string;
  readonly port: number;
  /** Aborts the running executions, rejects the awaited task tokens and stops listening. */
  close(): Promise<void>;
  /** Resolves when the execution has stopped (any status) and its history is complete. */
  whenStopped(executionArn: string): Promise<ExecutionDescription>;
  /** With a data file: goes on with the executions an earlier run left running (once their functions can run). */
  resumeRestored(): void;
  /** Every execution so far, oldest first; with `status`, only those (the model test looks often at the running ones). */
  executions(status?: ExecutionStatus): ExecutionDescription[];
  /** Forgets the executions that have stopped (see StepFunctionsService.forgetStopped); returns how many. */
  forgetStopped(): number;
  /**
   * Waits for SendTaskSuccess / SendTaskFailure with this token, for a local function that emulates a
   * callback task. Register the token before handing it out.
   */
  awaitTaskToken(token: string): Promise<unknown>;
}

/** The `__type` of the errors the service returns; the SDK turns each into the exception of that name. */
export type StepFunctionsErrorType =
  | 'ExecutionDoesNotExist'
  | 'ExecutionAlreadyExists'
  | 'StateMachineDoesNotExist'
  | 'InvalidArn'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'InternalFailure';

/** An error answered as HTTP 400 `{"__type": type, "message": message}` (500 for InternalFailure). */
export class StepFunctionsServiceError extends AwsServiceError {
  declare public readonly type: StepFunctionsErrorType;

  public constructor(type: StepFunctionsErrorType, message: string) {
    super(type, message);
  }
}

/** A request body: the JSON object the client sent. */
export type RequestBody = Readonly<Record<string, unknown>>;

/** A response body: the JSON object the service answers. */
export type ResponseBody = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// Types taken from aws-local-stepfunctions (it exports few of them)
// ---------------------------------------------------------------------------------------------------

type JsonValue = Parameters<StateMachine['run']>[0];
type LibraryRun = ReturnType<StateMachine['run']>;
type EventLog = LibraryRun['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;
type StateEvent = Extract<EventLog, { state: unknown }>;
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

// ---------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------

const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
const STATE_MACHINE_ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+(:[^:]+)?$/;
const EXECUTION_ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
const LAMBDA_INVOKE_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]*:\d*:lambda:(invoke(\.[A-Za-z]+)?)$/;
const LAMBDA_FUNCTION_PATTERN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/;
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];
/** AWS limits inputs and outputs to 256 KiB, counted in bytes of UTF-8. */
const MAX_DATA_LENGTH = 262_144;
/** A Standard execution fails when its history would pass 25,000 events; the 25,000th is that failure. */
/** AWS's hard quota on the events of one Standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

function historyLimitCause(limit: number): string {
  return `The execution reached the maximum number of history events (${limit}).`;
}
/** How often an execution with TimeoutSeconds reads the clock: another execution's Wait may move it. */
const DEADLINE_POLL_MS = 1000;
const MAX_TOKEN_LENGTH = 2048;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
/** Node's longest timer: Task states without TimeoutSeconds get it instead of the library's 60 s. */
const LONGEST_TASK_TIMEOUT_SECONDS = Math.floor(2_147_483_647 / 1000);
const MAX_BODY_BYTES = 4 * 1_048_576;
/** The states that have an `...Aborted` history event when the execution stops inside them. */
const ABORTABLE_STATE_TYPES = new Set(['Task', 'Wait', 'Map', 'Parallel']);
const NOT_TRUNCATED = { truncated: false } as const;

// ---------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const toEpochSeconds = (epochMs: number): number => epochMs / 1000;

/** A JSON copy of a value, as it would cross a Lambda invocation (undefined becomes null). */
function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  const parsed: unknown = JSON.parse(text);
  return parsed as JsonValue;
}

/** A Cause as Step Functions shows it: a string, or the JSON of anything else. */
function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null || cause === '') return undefined;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

/** `{error, cause}` without the empty ones, for descriptions and history details. */
function errorFields(error: string | undefined, cause: unknown): { error?: string; cause?: string } {
  const text = causeText(cause);
  return { ...(error ? { error } : {}), ...(text !== undefined ? { cause: text } : {}) };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------------
// Errors that fail a state (aws-local-stepfunctions matches Retry/Catch on `name`)
// ---------------------------------------------------------------------------------------------------

/**
 * A task's failure as the library should see it: `name` is the ASL error, `message` the Cause. It carries
 * no `cause`, because the library would report an Error's `cause` as the Cause instead of its message.
 */
class TaskFailure extends Error {
  public constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** `States.Runtime`: fails the execution; neither Retry nor Catch applies (the library reads these flags). */
class StatesRuntimeError extends Error {
  public readonly isRetryable = false;
  public readonly isCatchable = false;

  public constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

/**
 * `States.DataLimitExceeded`: a state's input, result or output is larger than 256 KiB. AWS calls it a
 * terminal error that States.ALL cannot catch; locally no Retry or Catch applies, even one that names it.
 */
class DataLimitExceededError extends Error {
  public readonly isRetryable = false;
  public readonly isCatchable = false;

  public constructor(message: string) {
    super(message);
    this.name = 'States.DataLimitExceeded';
  }
}

/**
 * The error a Task state fails with: `Lambda.<name>` when the Lambda service failed the invocation, else the
 * function's own error (its name, as Lambda's errorType; `Error` when it has none).
 */
function asTaskFailure(error: unknown): Error {
  if (error instanceof StatesRuntimeError || error instanceof TaskFailure) return error;
  if (error instanceof DataLimitExceededError) return error;
  if (error instanceof LambdaServiceError)
    return new TaskFailure(`Lambda.${error.name}`, error.stepFunctionsCause);
  if (error instanceof Error) return new TaskFailure(error.name || 'Error', error.message);
  return new TaskFailure('Error', typeof error === 'string' ? error : String(JSON.stringify(error)));
}

/** The size of a payload as AWS measures it: the bytes of its JSON in UTF-8. */
function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null) ?? 'null', 'utf8');
}

/** Throws States.DataLimitExceeded when a task's input (after Parameters) or result is over 256 KiB. */
function checkTaskData(stateName: string, what: 'input' | 'result', value: unknown): void {
  if (payloadBytes(value) <= MAX_DATA_LENGTH) return;
  throw new DataLimitExceededError(
    what === 'result'
      ? `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`
      : `The state/task '${stateName}' has an input with a size exceeding the maximum number of bytes service limit.`,
  );
}

/** Settles with `promise`, or rejects as soon as the execution is stopped, so a stopped run ends at once. */
function untilStopped<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StatesRuntimeError('The execution was stopped.'));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------------
// State machines: Task resources and the definition the library runs
// ---------------------------------------------------------------------------------------------------

/** How a Task state's Resource is run locally. */
type TaskPlan =
  | {
      readonly kind: 'invoke';
      readonly resource: string;
      /** The resource as AWS shows it in TaskScheduled: `invoke`, `invoke.waitForTaskToken`, ... */
      readonly label: string;
      readonly timeoutSeconds?: number;
      /** `.waitForTaskToken`: the state waits for SendTaskSuccess/SendTaskFailure with its token. */
      readonly callback?: boolean;
      readonly heartbeatSeconds?: number;
    }
  | { readonly kind: 'function'; readonly resource: string; readonly timeoutSeconds?: number }
  /** A Wait state, run as an internal task so that its wait goes through `sleepUntil`. */
  | { readonly kind: 'wait' }
  | { readonly kind: 'unsupported'; readonly resource: string };

type SupportedTaskPlan = Exclude<TaskPlan, { kind: 'unsupported' } | { kind: 'wait' }>;

/** The internal resource a Wait state becomes; never shown in a history. */
const WAIT_RESOURCE = 'arn:aws:states:::rotor-local:wait';

/**
 * Rewrites a Wait state in place into a Task of {@link WAIT_RESOURCE} whose Parameters carry the
 * state's input and its wait (evaluated by the library, paths included); the task's result is that
 * input, so InputPath, OutputPath and Next behave as they do on the Wait.
 */
function waitAsTask(state: Record<string, unknown>): void {
  const wait: Record<string, unknown> =
    state.Seconds !== undefined
      ? { seconds: state.Seconds }
      : state.SecondsPath !== undefined
        ? { 'seconds.$': state.SecondsPath }
        : state.Timestamp !== undefined
          ? { timestamp: state.Timestamp }
          : { 'timestamp.$': state.TimestampPath };
  for (const key of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) delete state[key];
  Object.assign(state, {
    Type: 'Task',
    Resource: WAIT_RESOURCE,
    Parameters: { 'input.$': '$', ...wait },
    TimeoutSeconds: LONGEST_TASK_TIMEOUT_SECONDS,
  });
}

/** Real timers until `clock()` reaches `untilMs`, in steps Node's setTimeout can take. */
function realSleepUntil(clock: () => Date) {
  return async (untilMs: number, signal: AbortSignal): Promise<void> => {
    for (;;) {
      const remaining = untilMs - clock().getTime();
      if (remaining <= 0 || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, DEADLINE_POLL_MS));
        signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  };
}

/** What stands for `$$.Task.Token` in a callback task's Parameters until the task runs and has a token. */
const TASK_TOKEN_PLACEHOLDER = 'rotor-local:task-token-placeholder';

/**
 * Replaces every `"<key>.$": "$$.Task.Token"` in Parameters with `"<key>": <placeholder>`: the library
 * has no task token in its context object, so the service puts a fresh one in when the task runs.
 */
function placeTaskTokens(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(placeTaskTokens);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) =>
      key.endsWith('.$') && item === '$$.Task.Token'
        ? [key.slice(0, -2), TASK_TOKEN_PLACEHOLDER]
        : [key, placeTaskTokens(item)],
    ),
  );
}

/** The task's input with the placeholder replaced by its token. */
function withTaskToken(value: JsonValue, token: string): JsonValue {
  if (value === TASK_TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((item) => withTaskToken(item, token));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, withTaskToken(item as JsonValue, token)]),
  ) as JsonValue;
}

function planTask(state: Readonly<Record<string, unknown>>): TaskPlan {
  const resource = typeof state.Resource === 'string' ? state.Resource : String(state.Resource);
  const timeout = typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {};
  const invoke = LAMBDA_INVOKE_PATTERN.exec(resource);
  if (invoke !== null && invoke[2] === '.waitForTaskToken') {
    const heartbeat =
      typeof state.HeartbeatSeconds === 'number' ? { heartbeatSeconds: state.HeartbeatSeconds } : {};
    return {
      kind: 'invoke',
      resource,
      label: invoke[1] ?? 'invoke',
      callback: true,
      ...timeout,
      ...heartbeat,
    };
  }
  if (invoke !== null) return { kind: 'invoke', resource, label: invoke[1] ?? 'invoke', ...timeout };
  if (LAMBDA_FUNCTION_PATTERN.test(resource)) return { kind: 'function', resource, ...timeout };
  return { kind: 'unsupported', resource };
}

/** Calls `visit` for every state, including those in Map (ItemProcessor/Iterator) and Parallel branches. */
function visitStates(scope: unknown, visit: (name: string, state: Record<string, unknown>) => void): void {
  if (!isRecord(scope) || !isRecord(scope.States)) return;
  for (const [name, state] of Object.entries(scope.States)) {
    if (!isRecord(state)) continue;
    visit(name, state);
    if (state.Type === 'Map') visitStates(state.ItemProcessor ?? state.Iterator, visit);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) visitStates(branch, visit);
    }
  }
}

/** A configured state machine, ready to run. */
interface MachineEntry {
  readonly name: string;
  readonly arn: string;
  /** The definition as configured, for DescribeStateMachine. */
  readonly definitionText: string;
  readonly engine: StateMachine;
  /** An engine for the same definition that starts at `state` (to resume an execution after a restart). */
  readonly engineAt: (state: string) => StateMachine;
  /** The names of the definition's top-level states: where an execution can resume. */
  readonly topLevelStates: ReadonlySet<string>;
  /** Task state name → how to run it; names are unique in a whole definition, as AWS requires. */
  readonly tasks: ReadonlyMap<string, TaskPlan>;
  readonly waitTimes: Readonly<Record<string, number>>;
  /** The names of the Wait states (run as internal tasks). */
  readonly waitStates: ReadonlySet<string>;
  /** The state machine's TimeoutSeconds, which the service enforces on its clock. */
  readonly timeoutSeconds?: number;
}

function prepareMachine(
  machine: LocalStateMachine,
  waitTimeOverrides: StepFunctionsServiceOptions['waitTimeOverrides'],
): MachineEntry {
  const prepared = structuredClone(machine.definition);
  const tasks = new Map<string, TaskPlan>();
  const waitStates = new Set<string>();
  // The service keeps the execution's time itself, on its clock: the library's timer would be real.
  let timeoutSeconds: number | undefined;
  if (isRecord(prepared) && typeof prepared.TimeoutSeconds === 'number') {
    timeoutSeconds = prepared.TimeoutSeconds;
    delete prepared.TimeoutSeconds;
  }
  visitStates(prepared, (name, state) => {
    // AWS replaces the whole input with `ResultPath: "$"`; the library writes a key named "$".
    if (state.ResultPath === '$') delete state.ResultPath;
    if (state.Parameters !== undefined && !isRecord(state.Parameters)) {
      throw new Error(
        `State machine ${machine.name}: the Parameters of state ${name} must be an object, as AWS requires.`,
      );
    }
    if (state.Type === 'Wait') {
      waitAsTask(state);
      waitStates.add(name);
      tasks.set(name, { kind: 'wait' });
      return;
    }
    if (state.Type !== 'Task') return;
    if (tasks.has(name)) {
      throw new Error(
        `State machine ${machine.name} has two Task states named ${name}; AWS requires unique names.`,
      );
    }
    const plan = planTask(state);
    tasks.set(name, plan);
    const timeoutUnset = state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined;
    if (plan.kind === 'invoke' && plan.callback) {
      // The service keeps a callback task's time itself, on its clock; the library's timer would be real.
      state.TimeoutSeconds = LONGEST_TASK_TIMEOUT_SECONDS;
      delete state.HeartbeatSeconds;
      if (state.Parameters !== undefined) state.Parameters = placeTaskTokens(state.Parameters);
    } else if (timeoutUnset || (state.TimeoutSeconds as number) > LONGEST_TASK_TIMEOUT_SECONDS) {
      state.TimeoutSeconds = LONGEST_TASK_TIMEOUT_SECONDS;
    }
  });
  let engine: StateMachine;
  try {
    engine = new StateMachine(prepared as StateMachineDefinition, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
  } catch (error) {
    throw new Error(`State machine ${machine.name} (${machine.arn}): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const engines = new Map<string, StateMachine>();
  const engineAt = (state: string) => {
    let found = engines.get(state);
    if (!found) {
      found = new StateMachine(
        { ...(prepared as StateMachineDefinition), StartAt: state },
        // The states before `state` are unreachable from it: the definition was validated as a whole.
        { validationOptions: { noValidate: true } },
      );
      engines.set(state, found);
    }
    return found;
  };
  return {
    name: machine.name,
    arn: machine.arn,
    definitionText: JSON.stringify(machine.definition),
    engine,
    engineAt,
    topLevelStates: new Set(Object.keys((prepared as { States?: object }).States ?? {})),
    tasks,
    waitTimes: { ...waitTimeOverrides?.['*'], ...waitTimeOverrides?.[machine.arn] },
    waitStates,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Execution history: the library's event log in AWS's shapes
// ---------------------------------------------------------------------------------------------------

/** One history event; dates are epoch milliseconds. */
interface HistoryEventRecord {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  /** e.g. `stateEnteredEventDetails` */
  readonly detailsKey?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One call of a local task handler, recorded so the history can show what the resource got and gave. */
interface TaskCall {
  readonly stateName: string;
  readonly plan: SupportedTaskPlan;
  /** The resource's input: the Parameters of lambda:invoke, or the payload of a function ARN. */
  readonly input: JsonValue;
  output?: JsonValue;
}

/** A state that was entered and has not exited yet. */
interface OpenState {
  readonly name: string;
  readonly type: string;
  failed: boolean;
  call?: TaskCall;
}

/** The error details the history records when an execution is stopped. */
interface StopReason {
  readonly error?: string;
  readonly cause?: string;
}

/**
 * Builds the history of one execution from the library's event log. Task handlers report their calls
 * (synchronously, before the log's StateEntered event is read), so TaskScheduled etc. can show them.
 */
class ExecutionHistory {
  private readonly events: HistoryEventRecord[] = [];
  /** Calls not yet matched to a StateEntered/StateRetried event, per state name. */
  private readonly pendingCalls = new Map<string, TaskCall[]>();
  /** Entered, not exited, by state name and Map iteration. */
  private readonly open = new Map<string, OpenState>();

  /** Set once the execution's last event is written: later events of the library's log are dropped. */
  private closed = false;
  /** Writing the events of the end (aborted states, the final event): the history limit does not cut them. */
  private ending = false;

  public constructor(
    private readonly clock: () => Date,
    private readonly region: string,
    /** Wait states, which the library runs as tasks: the history shows them as what they are. */
    private readonly waitStates: ReadonlySet<string> = new Set(),
    /** Called once the history reached its limit and its last event failed the execution. */
    private readonly onLimitReached: () => void = () => {},
    /** The most events the history may hold (AWS: 25,000). */
    private readonly maxEvents: number = MAX_HISTORY_EVENTS,
  ) {}

  public list(): readonly HistoryEventRecord[] {
    return this.events;
  }

  /** Puts back the events of an execution kept across a restart (before anything else is added). */
  public restore(events: readonly HistoryEventRecord[], closed: boolean): void {
    this.events.push(...events);
    this.closed = closed;
  }

  public isClosed(): boolean {
    return this.closed;
  }

  /**
   * Ends the history with this event, for an end the service decides (a timeout, a limit): the states
   * still open are aborted first when `abortOpenStates` says so.
   */
  public end(
    type: string,
    detailsKey: string,
    details: Readonly<Record<string, unknown>>,
    abortOpenStates: boolean,
  ): void {
    if (this.closed) return;
    this.ending = true;
    if (abortOpenStates) this.abortOpenStates();
    this.add(type, detailsKey, details);
    this.closed = true;
  }

  public add(type: string, detailsKey?: string, details?: Readonly<Record<string, unknown>>): void {
    if (this.closed) return;
    if (!this.ending && this.events.length >= this.maxEvents - 1) {
      this.end(
        'ExecutionFailed',
        'executionFailedEventDetails',
        {
          error: 'States.Runtime',
          cause: historyLimitCause(this.maxEvents),
        },
        false,
      );
      this.onLimitReached();
      return;
    }
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      timestamp: this.clock().getTime(),
      type,
      ...(detailsKey !== undefined && details !== undefined ? { detailsKey, details } : {}),
    });
  }

  public taskCalled(call: TaskCall): void {
    const calls = this.pendingCalls.get(call.stateName) ?? [];
    calls.push(call);
    this.pendingCalls.set(call.stateName, calls);
  }

  public record(event: EventLog, stop: StopReason): void {
    switch (event.type) {
      case 'ExecutionStarted':
        // Written at StartExecution, with the input exactly as given.
        return;
      case 'ExecutionSucceeded':
        this.end(
          'ExecutionSucceeded',
          'executionSucceededEventDetails',
          { output: JSON.stringify(event.output), outputDetails: NOT_TRUNCATED },
          false,
        );
        return;
      case 'ExecutionFailed':
        this.end(
          'ExecutionFailed',
          'executionFailedEventDetails',
          errorFields(event.Error, event.Cause),
          false,
        );
        return;
      case 'ExecutionAborted':
        this.end(
          'ExecutionAborted',
          'executionAbortedEventDetails',
          errorFields(stop.error, stop.cause),
          true,
        );
        return;
      case 'ExecutionTimeout':
        this.end('ExecutionTimedOut', 'executionTimedOutEventDetails', timedOutFields(), true);
        return;
      case 'StateEntered':
        this.entered(event);
        return;
      case 'StateExited':
        this.exited(event);
        return;
      case 'StateFailed':
        this.failed(event, event.Error, event.Cause);
        return;
      case 'StateRetried':
        this.retried(event);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.add(event.type, `${lowerFirst(event.type)}EventDetails`, {
          name: event.parentState.name,
          index: event.index,
        });
        return;
      default:
        // StateCaught and the ParallelBranch* events have no counterpart in AWS's history.
        return;
    }
  }

  private entered(event: StateEvent): void {
    const { name } = event.state;
    const type = this.typeOf(event);
    const open: OpenState = { name, type, failed: false };
    this.open.set(openKey(event), open);
    this.add(`${type}StateEntered`, 'stateEnteredEventDetails', {
      name,
      input: JSON.stringify(event.state.input),
      inputDetails: NOT_TRUNCATED,
    });
    if (type === 'Task') this.taskStarted(open);
    if (type === 'Map' || type === 'Parallel') this.add(`${type}StateStarted`);
  }

  private typeOf(event: StateEvent): string {
    return this.waitStates.has(event.state.name) ? 'Wait' : event.state.type;
  }

  private exited(event: StateEvent): void {
    const key = openKey(event);
    const open = this.open.get(key);
    this.open.delete(key);
    const { name } = event.state;
    const type = this.typeOf(event);
    if (open !== undefined && !open.failed) {
      if (open.call !== undefined) this.taskSucceeded(open.call);
      if (type === 'Map' || type === 'Parallel') this.add(`${type}StateSucceeded`);
    }
    this.add(`${type}StateExited`, 'stateExitedEventDetails', {
      name,
      output: JSON.stringify(event.state.output ?? null),
      outputDetails: NOT_TRUNCATED,
    });
  }

  /** A state whose output is over the data limit: its task succeeded, but the state never exits. */
  public exitedOverLimit(event: StateEvent): void {
    const open = this.open.get(openKey(event));
    if (open?.call !== undefined && !open.failed) this.taskSucceeded(open.call);
    if (open !== undefined) open.call = undefined;
  }

  private failed(event: StateEvent, error: string, cause: unknown): void {
    const open = this.open.get(openKey(event));
    if (open === undefined) return;
    open.failed = true;
    const call = open.call;
    open.call = undefined;
    if (call !== undefined) this.taskFailed(call, error, cause);
    if (open.type === 'Map' || open.type === 'Parallel') this.add(`${open.type}StateFailed`);
  }

  private retried(event: StateEvent): void {
    const open = this.open.get(openKey(event));
    if (open === undefined) return;
    open.failed = false;
    if (open.type === 'Task') this.taskStarted(open);
  }

  public abortOpenStates(): void {
    for (const open of this.open.values()) {
      if (ABORTABLE_STATE_TYPES.has(open.type)) this.add(`${open.type}StateAborted`);
    }
    this.open.clear();
  }

  private taskStarted(open: OpenState): void {
    const call = this.pendingCalls.get(open.name)?.shift();
    if (call === undefined) return;
    open.call = call;
    const { plan } = call;
    const timeout = plan.timeoutSeconds !== undefined ? { timeoutInSeconds: plan.timeoutSeconds } : {};
    if (plan.kind === 'function') {
      this.add('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
        resource: plan.resource,
        input: JSON.stringify(call.input),
        inputDetails: NOT_TRUNCATED,
        ...timeout,
      });
      this.add('LambdaFunctionStarted');
      return;
    }
    this.add('TaskScheduled', 'taskScheduledEventDetails', {
      resourceType: 'lambda',
      resource: plan.label,
      region: this.region,
      parameters: JSON.stringify(call.input),
      ...timeout,
    });
    this.add('TaskStarted', 'taskStartedEventDetails', { resourceType: 'lambda', resource: plan.label });
  }

  private taskSucceeded(call: TaskCall): void {
    const output = { output: JSON.stringify(call.output ?? null), outputDetails: NOT_TRUNCATED };
    if (call.plan.kind === 'function') {
      this.add('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', output);
      return;
    }
    this.add('TaskSucceeded', 'taskSucceededEventDetails', {
      resourceType: 'lambda',
      resource: call.plan.label,
      ...output,
    });
  }

  private taskFailed(call: TaskCall, error: string, cause: unknown): void {
    const outcome = error === 'States.Timeout' ? 'TimedOut' : 'Failed';
    const fields = errorFields(error, cause);
    if (call.plan.kind === 'function') {
      this.add(`LambdaFunction${outcome}`, `lambdaFunction${outcome}EventDetails`, fields);
      return;
    }
    this.add(`Task${outcome}`, `task${outcome}EventDetails`, {
      resourceType: 'lambda',
      resource: call.plan.label,
      ...fields,
    });
  }
}

/** The Cause of States.DataLimitExceeded when a state's input or output in the log is over 256 KiB. */
function dataOverLimit(event: EventLog): string | undefined {
  if (event.type === 'StateEntered' && payloadBytes(event.state.input) > MAX_DATA_LENGTH) {
    return `The state/task '${event.state.name}' has an input with a size exceeding the maximum number of bytes service limit.`;
  }
  if (event.type === 'StateExited' && payloadBytes(event.state.output) > MAX_DATA_LENGTH) {
    return `The state/task '${event.state.name}' returned a result with a size exceeding the maximum number of bytes service limit.`;
  }
  return undefined;
}

function openKey(event: StateEvent): string {
  return `${event.state.name}#${event.index ?? ''}`;
}

function timedOutFields(): { error: string; cause: string } {
  return {
    error: 'States.Timeout',
    cause: 'The execution ran longer than the TimeoutSeconds of its state machine.',
  };
}

/** A history event as GetExecutionHistory answers it; without execution data, without inputs and outputs. */
function wireEvent(event: HistoryEventRecord, includeExecutionData: boolean): ResponseBody {
  const wire: ResponseBody = {
    timestamp: toEpochSeconds(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
  };
  if (event.detailsKey !== undefined && event.details !== undefined) {
    const details = { ...event.details };
    if (!includeExecutionData) {
      for (const key of ['input', 'inputDetails', 'output', 'outputDetails', 'parameters'])
        delete details[key];
    }
    wire[event.detailsKey] = details;
  }
  return wire;
}

// ---------------------------------------------------------------------------------------------------
// Reading request fields
// ---------------------------------------------------------------------------------------------------

interface Limits {
  readonly min?: number;
  readonly max?: number;
}

function validationError(field: string, constraint: string): StepFunctionsServiceError {
  return new StepFunctionsServiceError(
    'ValidationException',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Typed access to the fields of a request body, failing as AWS does on missing or malformed fields. */
class RequestReader {
  public constructor(private readonly body: RequestBody) {}

  public string(field: string, limits: Limits = {}): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw new StepFunctionsServiceError('SerializationException', `${field} must be a string.`);
    }
    if (limits.min !== undefined && value.length < limits.min) {
      throw validationError(field, `Member must have length greater than or equal to ${limits.min}`);
    }
    if (limits.max !== undefined && value.length > limits.max) {
      throw validationError(field, `Member must have length less than or equal to ${limits.max}`);
    }
    return value;
  }

  public requiredString(field: string, limits?: Limits): string {
    const value = this.string(field, limits);
    if (value === undefined) {
      throw new StepFunctionsServiceError(
        'ValidationException',
        `1 validation error detected: Value null at '${field}' failed to satisfy constraint: ` +
          'Member must not be null',
      );
    }
    return value;
  }

  public boolean(field: string): boolean | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      throw new StepFunctionsServiceError('SerializationException', `${field} must be a boolean.`);
    }
    return value;
  }

  /** maxResults: 0 or absent means the default page size. */
  public pageSize(): number {
    const value = this.body.maxResults;
    if (value === undefined || value === null || value === 0) return DEFAULT_PAGE_SIZE;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new StepFunctionsServiceError('SerializationException', 'maxResults must be an integer.');
    }
    if (value < 0 || value > MAX_PAGE_SIZE) {
      throw validationError('maxResults', `Member must have value between 0 and ${MAX_PAGE_SIZE}`);
    }
    return value;
  }
}

/** Slices one page of a list; the token is an opaque offset. */
function paginate<T>(items: readonly T[], pageSize: number, nextToken: string | undefined) {
  let offset = 0;
  if (nextToken !== undefined) {
    offset = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) {
      throw new StepFunctionsServiceError('InvalidToken', `Invalid Token: '${nextToken}'`);
    }
  }
  const end = offset + pageSize;
  const page = items.slice(offset, end);
  return end < items.length ? { page, nextToken: Buffer.from(String(end)).toString('base64url') } : { page };
}

// ---------------------------------------------------------------------------------------------------
// The service: Step Functions' rules, without HTTP
// ---------------------------------------------------------------------------------------------------

/** One execution and what it takes to stop it; dates are epoch milliseconds. */
interface ExecutionRecord {
  readonly arn: string;
  readonly machine: MachineEntry;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  /** Start order, to sort executions that started in the same millisecond. */
  readonly sequence: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: ExecutionHistory;
  /** startDate + the state machine's TimeoutSeconds, on the service's clock. */
  readonly deadline?: number;
  /** Stops the local task handlers of this execution. */
  readonly tasksStopped: AbortController;
  abortRun: () => void;
  /** Resolves when the run has ended and its event log is read to the end. */
  readonly stopped: Promise<void>;
  readonly markStopped: () => void;
  /**
   * Where the execution would go on after a restart: the top-level state it last entered, with that
   * state's input, and for a callback task the token it handed out (kept with a data file).
   */
  resume?: ResumePoint;
}

interface ResumePoint {
  readonly state: string;
  readonly input: JsonValue;
  token?: string;
  tokenIssuedAt?: number;
}

/** What a data file keeps of one execution. */
interface SavedExecution {
  readonly arn: string;
  readonly machineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  readonly status: ExecutionStatus;
  readonly stopDate?: number;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly HistoryEventRecord[];
  readonly resume?: ResumePoint;
}

interface RunOutcome {
  readonly status: Exclude<ExecutionStatus, 'RUNNING' | 'ABORTED'>;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

interface TokenWaiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: Error) => void;
  /** SendTaskHeartbeat: a callback task with HeartbeatSeconds starts its heartbeat time again. */
  readonly heartbeat?: () => void;
}

function outcomeOfFailure(error: unknown): RunOutcome {
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', ...timedOutFields() };
  const reason = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (reason instanceof Error) {
    // The same Error and Cause as the library's ExecutionFailed event.
    return { status: 'FAILED', ...errorFields(reason.name, reason.cause ?? reason.message) };
  }
  return { status: 'FAILED', error: 'Error', cause: String(reason) };
}

function describe(execution: ExecutionRecord): ExecutionDescription {
  return {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    ...(execution.stopDate !== undefined ? { stopDate: new Date(execution.stopDate) } : {}),
    input: execution.input,
    ...(execution.output !== undefined ? { output: execution.output } : {}),
    ...(execution.error !== undefined ? { error: execution.error } : {}),
    ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
  };
}

function listItem(execution: ExecutionRecord): ResponseBody {
  return {
    executionArn: execution.arn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: toEpochSeconds(execution.startDate),
    ...(execution.stopDate !== undefined ? { stopDate: toEpochSeconds(execution.stopDate) } : {}),
  };
}

/**
 * The state machines and executions of one account and region, and the Step Functions API operations
 * on them. Each operation takes the request body as the SDK sends it and returns the response body, or
 * throws a {@link StepFunctionsServiceError}. Executions run in the background.
 *
 * @example
 * const service = new StepFunctionsService({ stateMachines: [{ name, arn, definition }],
 *   invokeFunction: async (functionArn, payload) => handlers[functionArn](payload) });
 * const { executionArn } = service.startExecution({ stateMachineArn: arn, input: '{"appId":"42"}' });
 * (await service.whenStopped(String(executionArn))).status; // 'SUCCEEDED'
 */
export class StepFunctionsService {
  private readonly region: string;
  private readonly accountId: string;
  private readonly clock: () => Date;
  private readonly sleepUntil: (untilMs: number, signal: AbortSignal) => Promise<void>;
  private readonly invokeFunction: InvokeFunction;
  private readonly retryIntervalOverrides: Readonly<Record<string, number>>;
  private readonly maxHistoryEvents: number;
  private readonly createdAt: number;
  private readonly machines = new Map<string, MachineEntry>();
  private readonly executionsByArn = new Map<string, ExecutionRecord>();
  private readonly taskTokens = new Map<string, TokenWaiter>();
  /** Tokens that were answered already: another answer is TaskTimedOut, as in AWS. */
  private readonly closedTokens = new Set<string>();
  private sequence = 0;
  private readonly dataFile: string | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly waitingToResume: ExecutionRecord[] = [];

  public constructor(options: StepFunctionsServiceOptions) {
    this.dataFile = options.dataFile;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.clock = options.clock ?? (() => new Date());
    this.sleepUntil = options.sleepUntil ?? realSleepUntil(this.clock);
    this.invokeFunction = options.invokeFunction;
    this.retryIntervalOverrides = { ...options.retryIntervalOverrides };
    this.maxHistoryEvents = Math.min(options.maxHistoryEvents ?? MAX_HISTORY_EVENTS, MAX_HISTORY_EVENTS);
    this.createdAt = this.clock().getTime();
    for (const machine of options.stateMachines) {
      if (this.machines.has(machine.arn))
        throw new Error(`State machine ${machine.arn} is configured twice.`);
      this.machines.set(machine.arn, prepareMachine(machine, options.waitTimeOverrides));
    }
    if (this.dataFile && existsSync(this.dataFile)) this.restoreFrom(this.dataFile);
  }

  /** Writes the executions to the data file soon (each history event asks for it; writes are batched). */
  private changed(): void {
    if (!this.dataFile || this.saveTimer || this.closing) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 20);
  }

  /** Writes the executions to the data file now, atomically. */
  public save(): void {
    if (!this.dataFile) return;
    const executions: SavedExecution[] = [...this.executionsByArn.values()].map((execution) => ({
      arn: execution.arn,
      machineArn: execution.machine.arn,
      name: execution.name,
      input: execution.input,
      startDate: execution.startDate,
      status: execution.status,
      ...(execution.stopDate !== undefined ? { stopDate: execution.stopDate } : {}),
      ...(execution.output !== undefined ? { output: execution.output } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      events: execution.history.list(),
      ...(execution.resume ? { resume: execution.resume } : {}),
    }));
    writeFileSync(`${this.dataFile}.tmp`, JSON.stringify({ executions }));
    renameSync(`${this.dataFile}.tmp`, this.dataFile);
  }

  /** Loads the executions of an earlier run and goes on with those that were running. */
  private restoreFrom(file: string): void {
    const saved =
      (JSON.parse(readFileSync(file, 'utf8')) as { executions?: SavedExecution[] }).executions ?? [];
    for (const record of saved) {
      const machine = this.machines.get(record.machineArn);
      if (!machine) continue;
      const execution = this.createExecution(machine, record.arn, record.name, record.input, {
        startDate: record.startDate,
        events: record.events,
        closed: record.status !== 'RUNNING',
      });
      if (record.status !== 'RUNNING' || !record.resume || !machine.topLevelStates.has(record.resume.state)) {
        execution.status = record.status === 'RUNNING' ? 'ABORTED' : record.status;
        execution.stopDate = record.stopDate ?? this.clock().getTime();
        if (record.output !== undefined) execution.output = record.output;
        if (record.error !== undefined) execution.error = record.error;
        if (record.cause !== undefined) execution.cause = record.cause;
        execution.markStopped();
        continue;
      }
      execution.resume = { ...record.resume };
      this.waitingToResume.push(execution);
    }
  }

  /**
   * Goes on with the executions that were running when the data file was last written (call it once
   * the functions they invoke can run). Each resumes at the top-level state it was in.
   */
  public resumeRestored(): void {
    for (const execution of this.waitingToResume.splice(0)) {
      const resume = execution.resume as ResumePoint;
      this.launch(execution, resume.input, execution.machine.engineAt(resume.state));
    }
  }

  public startExecution(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const machine = this.findMachine(request.requiredString('stateMachineArn', { min: 1, max: 2048 }));
    const name = request.string('name') ?? randomUUID();
    const input = request.string('input') ?? '{}';
    request.string('traceHeader');
    if (!EXECUTION_NAME_PATTERN.test(name)) {
      throw new StepFunctionsServiceError(
        'InvalidName',
        `Invalid Name: '${name}' (1 to 80 characters: letters, digits, - and _)`,
      );
    }
    const parsedInput = parseInput(input);
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executionsByArn.get(arn);
    if (existing !== undefined) {
      // AWS: the same name and input while the first execution runs is a retry of the same call.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: existing.arn, startDate: toEpochSeconds(existing.startDate) };
      }
      throw new StepFunctionsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution = this.createExecution(machine, arn, name, input);
    this.launch(execution, parsedInput);
    return { executionArn: arn, startDate: toEpochSeconds(execution.startDate) };
  }

  public stopExecution(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const execution = this.findExecution(request.requiredString('executionArn', { min: 1, max: 2048 }));
    const error = request.string('error', { max: 256 });
    const cause = request.string('cause', { max: 32_768 });
    this.stop(execution, error, cause);
    return { stopDate: toEpochSeconds(execution.stopDate ?? this.clock().getTime()) };
  }

  public describeExecution(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const execution = this.findExecution(request.requiredString('executionArn', { min: 1, max: 2048 }));
    const { startDate, stopDate, ...rest } = describe(execution);
    return {
      ...rest,
      startDate: toEpochSeconds(startDate.getTime()),
      ...(stopDate !== undefined ? { stopDate: toEpochSeconds(stopDate.getTime()) } : {}),
      inputDetails: { included: true },
      ...(execution.output !== undefined ? { outputDetails: { included: true } } : {}),
    };
  }

  public listExecutions(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const machine = this.findMachine(request.requiredString('stateMachineArn', { min: 1, max: 2048 }));
    const statusFilter = request.string('statusFilter');
    if (statusFilter !== undefined && !STATUSES.some((status) => status === statusFilter)) {
      throw validationError('statusFilter', `Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
    }
    const matching = [...this.executionsByArn.values()]
      .filter((execution) => execution.machine === machine)
      .filter((execution) => statusFilter === undefined || execution.status === statusFilter)
      .sort((a, b) => b.startDate - a.startDate || b.sequence - a.sequence);
    const { page, nextToken } = paginate(matching, request.pageSize(), request.string('nextToken'));
    return { executions: page.map(listItem), ...(nextToken !== undefined ? { nextToken } : {}) };
  }

  public getExecutionHistory(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const execution = this.findExecution(request.requiredString('executionArn', { min: 1, max: 2048 }));
    const includeExecutionData = request.boolean('includeExecutionData') ?? true;
    const events = [...execution.history.list()];
    if (request.boolean('reverseOrder')) events.reverse();
    const { page, nextToken } = paginate(events, request.pageSize(), request.string('nextToken'));
    return {
      events: page.map((event) => wireEvent(event, includeExecutionData)),
      ...(nextToken !== undefined ? { nextToken } : {}),
    };
  }

  public describeStateMachine(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const machine = this.findMachine(request.requiredString('stateMachineArn', { min: 1, max: 2048 }));
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: this.roleArn(),
      type: 'STANDARD',
      creationDate: toEpochSeconds(this.createdAt),
    };
  }

  public listStateMachines(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const machines = [...this.machines.values()];
    const { page, nextToken } = paginate(machines, request.pageSize(), request.string('nextToken'));
    return {
      stateMachines: page.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: toEpochSeconds(this.createdAt),
      })),
      ...(nextToken !== undefined ? { nextToken } : {}),
    };
  }

  public sendTaskSuccess(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const token = readToken(request);
    const output = request.requiredString('output', { max: MAX_DATA_LENGTH });
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch (error) {
      throw new StepFunctionsServiceError('InvalidOutput', `Invalid Output: '${errorMessage(error)}'`);
    }
    this.takeTokenWaiter(token).resolve(value);
    return {};
  }

  public sendTaskFailure(body: RequestBody): ResponseBody {
    const request = new RequestReader(body);
    const token = readToken(request);
    const error = request.string('error', { max: 256 });
    const cause = request.string('cause', { max: 32_768 });
    this.takeTokenWaiter(token).reject(new TaskFailure(error ?? '', cause ?? ''));
    return {};
  }

  public sendTaskHeartbeat(body: RequestBody): ResponseBody {
    const token = readToken(new RequestReader(body));
    const waiter = this.taskTokens.get(token);
    if (waiter === undefined) throw this.unknownToken(token);
    waiter.heartbeat?.();
    return {};
  }

  /**
   * Waits for SendTaskSuccess (resolves with the parsed output) or SendTaskFailure (rejects with an
   * Error whose `name` is the error and `message` the cause) with this token.
   */
  public awaitTaskToken(token: string): Promise<unknown> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      return Promise.reject(new StepFunctionsServiceError('InvalidToken', `Invalid Token: '${token}'`));
    }
    if (this.taskTokens.has(token)) {
      return Promise.reject(new Error(`The task token ${token} is awaited already.`));
    }
    this.closedTokens.delete(token);
    return new Promise((resolve, reject) => {
      this.taskTokens.set(token, { resolve, reject });
    });
  }

  /** Resolves when the execution has stopped and its history is complete. */
  public async whenStopped(executionArn: string): Promise<ExecutionDescription> {
    const execution = this.findExecution(executionArn);
    await execution.stopped;
    return describe(execution);
  }

  /** Every execution so far (or those with `status`), oldest first. */
  public executions(status?: ExecutionStatus): ExecutionDescription[] {
    const described: ExecutionDescription[] = [];
    for (const execution of this.executionsByArn.values()) {
      if (status === undefined || execution.status === status) described.push(describe(execution));
    }
    return described;
  }

  /**
   * Forgets every execution that has stopped (its history and its name), as if 90 days had passed:
   * a harness that runs thousands of histories on one service keeps its memory flat with it.
   */
  public forgetStopped(): number {
    let forgotten = 0;
    for (const [arn, execution] of this.executionsByArn) {
      if (execution.status === 'RUNNING') continue;
      this.executionsByArn.delete(arn);
      forgotten += 1;
    }
    this.closedTokens.clear();
    this.changed();
    return forgotten;
  }

  /** Aborts the running executions and rejects the awaited task tokens; resolves when all have stopped. */
  public async close(): Promise<void> {
    // With a data file, the running executions are kept as running: the next start goes on with them.
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.save();
    this.closing = true;
    const cause = 'The local Step Functions service was closed.';
    for (const execution of this.executionsByArn.values()) this.stop(execution, undefined, cause);
    for (const waiter of this.taskTokens.values()) waiter.reject(new StatesRuntimeError(cause));
    this.taskTokens.clear();
    await Promise.all([...this.executionsByArn.values()].map((execution) => execution.stopped));
  }

  private createExecution(
    machine: MachineEntry,
    arn: string,
    name: string,
    input: string,
    restored?: { startDate: number; events: readonly HistoryEventRecord[]; closed: boolean },
  ): ExecutionRecord {
    let markStopped = () => {};
    const stopped = new Promise<void>((resolve) => {
      markStopped = resolve;
    });
    this.sequence += 1;
    const startDate = restored?.startDate ?? this.clock().getTime();
    const history = new ExecutionHistory(
      this.clock,
      this.region,
      machine.waitStates,
      () =>
        this.end(execution, 'FAILED', {
          error: 'States.Runtime',
          cause: historyLimitCause(this.maxHistoryEvents),
        }),
      this.maxHistoryEvents,
    );
    const execution: ExecutionRecord = {
      arn,
      machine,
      name,
      input,
      startDate,
      sequence: this.sequence,
      status: 'RUNNING',
      history,
      ...(machine.timeoutSeconds !== undefined
        ? { deadline: startDate + machine.timeoutSeconds * 1000 }
        : {}),
      tasksStopped: new AbortController(),
      abortRun: () => {},
      stopped,
      markStopped,
    };
    this.executionsByArn.set(arn, execution);
    if (restored) {
      history.restore(restored.events, restored.closed);
      return execution;
    }
    execution.history.add('ExecutionStarted', 'executionStartedEventDetails', {
      input,
      inputDetails: NOT_TRUNCATED,
      roleArn: this.roleArn(),
    });
    this.changed();
    return execution;
  }

  /** Starts the library's run, reads its event log as it goes and records the outcome. */
  private launch(execution: ExecutionRecord, input: JsonValue, engine = execution.machine.engine): void {
    const { machine } = execution;
    const run = engine.run(input, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(execution),
        retryIntervalOverrides: { ...this.retryIntervalOverrides },
      },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: new Date(execution.startDate).toISOString(),
          Input: input,
          RoleArn: this.roleArn(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    execution.abortRun = run.abort;
    const logRead = this.readLog(execution, run.eventLogs);
    void this.settle(execution, run.result, logRead);
    void this.watchDeadline(execution);
  }

  /**
   * Times the execution out once the service's clock reaches its deadline. It only reads the clock, at
   * least once a second: on local mode's virtual clock the Waits move time (each capped at the deadline,
   * see {@link runWait}), and each task checks the deadline before it starts.
   */
  private async watchDeadline(execution: ExecutionRecord): Promise<void> {
    const { deadline } = execution;
    const signal = execution.tasksStopped.signal;
    if (deadline === undefined) return;
    // The first states run as the execution starts: their events are read before a timeout is written.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (execution.status === 'RUNNING' && !signal.aborted) {
      const remaining = deadline - this.clock().getTime();
      if (remaining <= 0) {
        this.timeOutIfDue(execution);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 2_147_483_647));
        signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  }

  /** Ends the execution TIMED_OUT when the clock has passed its deadline; true when it did. */
  private timeOutIfDue(execution: ExecutionRecord): boolean {
    if (execution.status !== 'RUNNING' || execution.deadline === undefined) return false;
    if (this.clock().getTime() < execution.deadline) return false;
    execution.history.end('ExecutionTimedOut', 'executionTimedOutEventDetails', timedOutFields(), true);
    this.end(execution, 'TIMED_OUT', timedOutFields());
    return true;
  }

  /**
   * Ends a running execution with an outcome the service decides (a timeout, a limit), after its history
   * has its last event: stops its handlers and the library's run.
   */
  private end(
    execution: ExecutionRecord,
    status: 'FAILED' | 'TIMED_OUT',
    fields: { error?: string; cause?: string },
  ): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = this.clock().getTime();
    if (fields.error !== undefined) execution.error = fields.error;
    if (fields.cause !== undefined) execution.cause = fields.cause;
    execution.tasksStopped.abort();
    execution.abortRun();
  }

  private async readLog(execution: ExecutionRecord, events: AsyncGenerator<EventLog>): Promise<void> {
    for await (const event of events) {
      try {
        if (execution.history.isClosed()) continue;
        const overLimit = dataOverLimit(event);
        if (overLimit !== undefined) {
          if (event.type === 'StateExited') execution.history.exitedOverLimit(event);
          const fields = { error: 'States.DataLimitExceeded', cause: overLimit };
          execution.history.end('ExecutionFailed', 'executionFailedEventDetails', fields, false);
          this.end(execution, 'FAILED', fields);
          continue;
        }
        execution.history.record(event, execution);
        if (
          this.dataFile &&
          event.type === 'StateEntered' &&
          event.index === undefined &&
          execution.machine.topLevelStates.has(event.state.name)
        ) {
          execution.resume = { state: event.state.name, input: event.state.input as JsonValue };
        }
        this.changed();
      } catch (error) {
        process.stderr.write(
          `step-functions: cannot record ${event.type} of ${execution.arn}: ${errorMessage(error)}\n`,
        );
      }
    }
  }

  private async settle(execution: ExecutionRecord, result: Promise<JsonValue>, logRead: Promise<void>) {
    let outcome: RunOutcome;
    try {
      outcome = { status: 'SUCCEEDED', output: JSON.stringify((await result) ?? null) };
    } catch (error) {
      outcome = outcomeOfFailure(error);
    }
    // Handlers still running (after a timeout, or in a Parallel branch that lost) end now, and with them
    // the library's timers for their Task states.
    execution.tasksStopped.abort();
    await logRead;
    if (execution.status === 'RUNNING') {
      execution.status = outcome.status;
      execution.stopDate = this.clock().getTime();
      if (outcome.output !== undefined) execution.output = outcome.output;
      if (outcome.error !== undefined) execution.error = outcome.error;
      if (outcome.cause !== undefined) execution.cause = outcome.cause;
    }
    this.changed();
    execution.markStopped();
  }

  private stop(execution: ExecutionRecord, error: string | undefined, cause: string | undefined): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = 'ABORTED';
    execution.stopDate = this.clock().getTime();
    if (error) execution.error = error;
    if (cause) execution.cause = cause;
    execution.tasksStopped.abort();
    execution.abortRun();
    this.changed();
  }

  private taskHandlers(execution: ExecutionRecord): TaskHandlers {
    const handlers: TaskHandlers = {};
    for (const [stateName, plan] of execution.machine.tasks) {
      handlers[stateName] = (input) => this.runTask(execution, stateName, plan, input);
    }
    return handlers;
  }

  /**
   * Runs one Task state. Everything before the first `await` runs when the library calls the handler,
   * which is right after it logged StateEntered: so the call is recorded before that event is read.
   */
  private async runTask(
    execution: ExecutionRecord,
    stateName: string,
    plan: TaskPlan,
    input: JsonValue,
  ): Promise<JsonValue> {
    const signal = execution.tasksStopped.signal;
    if (signal.aborted) throw new StatesRuntimeError('The execution was stopped.');
    if (plan.kind === 'wait') return this.runWait(execution, stateName, input, signal);
    if (plan.kind === 'unsupported') {
      throw new StatesRuntimeError(
        `State ${stateName}: the local Step Functions service cannot run the Task resource ` +
          `${plan.resource}; it runs Lambda functions (arn:aws:lambda:...:function:...) and ` +
          'arn:aws:states:::lambda:invoke only.',
      );
    }
    if (plan.kind === 'invoke' && plan.callback)
      return this.runCallbackTask(execution, stateName, plan, input);
    const { functionArn, payload } = lambdaRequest(stateName, plan, input);
    const call: TaskCall = { stateName, plan, input: toJson(input) };
    execution.history.taskCalled(call);
    try {
      checkTaskData(stateName, 'input', input);
      await this.logCaughtUp(execution, signal);
      const result = toJson(
        await untilStopped(
          this.invokeFunction(functionArn, payload, { stateMachineArn: execution.machine.arn }),
          signal,
        ),
      );
      const output: JsonValue =
        plan.kind === 'invoke' ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
      checkTaskData(stateName, 'result', output);
      call.output = output;
      return output;
    } catch (error) {
      throw asTaskFailure(error);
    }
  }

  /**
   * Lets the history catch up with the library's log before a task acts, so that an execution the log
   * ends (a state's output over the data limit, the history limit, the deadline) invokes nothing more.
   */
  private async logCaughtUp(execution: ExecutionRecord, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.timeOutIfDue(execution);
    if (signal.aborted || execution.status !== 'RUNNING') {
      throw new StatesRuntimeError('The execution was stopped.');
    }
  }

  /**
   * A `.waitForTaskToken` task: invokes the function with a fresh token in place of `$$.Task.Token`,
   * then waits for SendTaskSuccess (its output is the task's result) or SendTaskFailure, for at most
   * TimeoutSeconds and, with HeartbeatSeconds, at most that long between heartbeats, on the service's
   * clock. A stopped execution ends the wait at once; the token is closed whatever the outcome.
   */
  private async runCallbackTask(
    execution: ExecutionRecord,
    stateName: string,
    plan: SupportedTaskPlan & { kind: 'invoke' },
    parameters: JsonValue,
  ): Promise<JsonValue> {
    const signal = execution.tasksStopped.signal;
    // After a restart, a callback task that had handed its token out waits for the same token.
    const handedOut =
      execution.resume?.state === stateName && execution.resume.token !== undefined
        ? execution.resume
        : undefined;
    const token = handedOut?.token ?? `${randomUUID()}${randomUUID()}`.replaceAll('-', '');
    const input = withTaskToken(toJson(parameters), token);
    const call: TaskCall = { stateName, plan, input };
    execution.history.taskCalled(call);
    const started = handedOut?.tokenIssuedAt ?? this.clock().getTime();
    const timeoutAt = plan.timeoutSeconds !== undefined ? started + plan.timeoutSeconds * 1000 : undefined;
    let heartbeatAt =
      plan.heartbeatSeconds !== undefined ? started + plan.heartbeatSeconds * 1000 : undefined;
    let outcome: { value: unknown } | { error: Error } | undefined;
    let wake = new AbortController();
    const waiter: TokenWaiter = {
      resolve: (value) => {
        outcome = { value };
        wake.abort();
      },
      reject: (error) => {
        outcome = { error };
        wake.abort();
      },
      heartbeat: () => {
        if (plan.heartbeatSeconds === undefined) return;
        heartbeatAt = this.clock().getTime() + plan.heartbeatSeconds * 1000;
        wake.abort();
      },
    };
    const onStop = () => wake.abort();
    signal.addEventListener('abort', onStop);
    this.taskTokens.set(token, waiter);
    this.closedTokens.delete(token);
    try {
      const { functionArn, payload } = lambdaRequest(stateName, plan, input);
      checkTaskData(stateName, 'input', input);
      await this.logCaughtUp(execution, signal);
      // The function only hands the token out; its result is not the task's.
      if (!handedOut) {
        await untilStopped(
          this.invokeFunction(functionArn, payload, { stateMachineArn: execution.machine.arn }),
          signal,
        );
        if (execution.resume?.state === stateName) {
          execution.resume.token = token;
          execution.resume.tokenIssuedAt = started;
          this.changed();
        }
      }
      for (;;) {
        if (outcome !== undefined) {
          if ('error' in outcome) throw outcome.error;
          const output = toJson(outcome.value);
          checkTaskData(stateName, 'result', output);
          call.output = output;
          return output;
        }
        if (this.timeOutIfDue(execution) || signal.aborted) {
          throw new StatesRuntimeError('The execution was stopped.');
        }
        const now = this.clock().getTime();
        if (timeoutAt !== undefined && now >= timeoutAt) {
          throw new TaskFailure(
            'States.Timeout',
            `No answer to the task token within ${plan.timeoutSeconds} s.`,
          );
        }
        if (heartbeatAt !== undefined && now >= heartbeatAt) {
          throw new TaskFailure(
            'States.HeartbeatTimeout',
            `No heartbeat for the task token within ${plan.heartbeatSeconds} s.`,
          );
        }
        wake = new AbortController();
        const next = Math.min(
          timeoutAt ?? Number.POSITIVE_INFINITY,
          heartbeatAt ?? Number.POSITIVE_INFINITY,
          execution.deadline ?? Number.POSITIVE_INFINITY,
        );
        const woken = wake.signal;
        await (Number.isFinite(next)
          ? this.sleepUntil(next, woken)
          : new Promise<void>((resolve) => woken.addEventListener('abort', () => resolve(), { once: true })));
      }
    } catch (error) {
      throw asTaskFailure(error);
    } finally {
      signal.removeEventListener('abort', onStop);
      if (this.taskTokens.get(token) === waiter) this.taskTokens.delete(token);
      this.closedTokens.add(token);
    }
  }

  /** A Wait state: until its time (through `sleepUntil`), or as long as `waitTimeOverrides` says. */
  private async runWait(
    execution: ExecutionRecord,
    stateName: string,
    request: JsonValue,
    signal: AbortSignal,
  ): Promise<JsonValue> {
    const { input, seconds, timestamp } = request as {
      input: JsonValue;
      seconds?: number;
      timestamp?: string;
    };
    const override = execution.machine.waitTimes[stateName];
    const until =
      override !== undefined
        ? undefined
        : seconds !== undefined
          ? this.clock().getTime() + seconds * 1000
          : Date.parse(String(timestamp));
    if (until !== undefined && Number.isNaN(until)) {
      throw new StatesRuntimeError(`State ${stateName}: ${String(timestamp)} is not an RFC 3339 timestamp.`);
    }
    // A Wait past the execution's deadline waits until the deadline, where the execution times out.
    const waited =
      until === undefined
        ? new Promise<void>((resolve) => setTimeout(resolve, override))
        : this.sleepUntil(Math.min(until, execution.deadline ?? until), signal);
    await untilStopped(waited, signal);
    // The history shows this Wait entered before it shows the timeout.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.timeOutIfDue(execution)) throw new StatesRuntimeError('The execution timed out.');
    return input;
  }

  private takeTokenWaiter(token: string): TokenWaiter {
    const waiter = this.taskTokens.get(token);
    if (waiter === undefined) throw this.unknownToken(token);
    this.taskTokens.delete(token);
    this.closedTokens.add(token);
    return waiter;
  }

  /** TaskTimedOut for a token answered already (AWS: the task is closed); else TaskDoesNotExist. */
  private unknownToken(token: string): StepFunctionsServiceError {
    if (this.closedTokens.has(token)) {
      return new StepFunctionsServiceError(
        'TaskTimedOut',
        `The task of the token ${token} has been closed already.`,
      );
    }
    return new StepFunctionsServiceError('TaskDoesNotExist', `No task is waiting for the token ${token}.`);
  }

  private findMachine(arn: string): MachineEntry {
    const machine = this.machines.get(arn);
    if (machine !== undefined) return machine;
    if (!STATE_MACHINE_ARN_PATTERN.test(arn))
      throw new StepFunctionsServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    throw new StepFunctionsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  private findExecution(arn: string): ExecutionRecord {
    const execution = this.executionsByArn.get(arn);
    if (execution !== undefined) return execution;
    if (!EXECUTION_ARN_PATTERN.test(arn))
      throw new StepFunctionsServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    throw new StepFunctionsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }

  private roleArn(): string {
    return `arn:aws:iam::${this.accountId}:role/local-step-functions`;
  }
}

function parseInput(input: string): JsonValue {
  if (Buffer.byteLength(input, 'utf8') > MAX_DATA_LENGTH) {
    throw new StepFunctionsServiceError(
      'InvalidExecutionInput',
      `The input is larger than ${MAX_DATA_LENGTH} bytes of UTF-8 (256 KiB).`,
    );
  }
  try {
    const parsed: unknown = JSON.parse(input);
    return parsed as JsonValue;
  } catch (error) {
    throw new StepFunctionsServiceError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: '${errorMessage(error)}'`,
    );
  }
}

function readToken(request: RequestReader): string {
  const token = request.string('taskToken');
  if (token === undefined || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new StepFunctionsServiceError('InvalidToken', `Invalid Token: '${token ?? ''}'`);
  }
  return token;
}

/** The function and payload of a Lambda task: from Parameters for lambda:invoke, else the state input. */
function lambdaRequest(
  stateName: string,
  plan: SupportedTaskPlan,
  input: JsonValue,
): { functionArn: string; payload: JsonValue } {
  if (plan.kind === 'function') return { functionArn: plan.resource, payload: toJson(input) };
  if (!isRecord(input) || typeof input.FunctionName !== 'string' || input.FunctionName === '') {
    throw new StatesRuntimeError(
      `State ${stateName}: the Parameters of a ${plan.resource} task must give FunctionName as a string.`,
    );
  }
  // Lambda invokes with `{}` when there is no payload.
  return { functionArn: input.FunctionName, payload: toJson(input.Payload ?? {}) };
}

// ---------------------------------------------------------------------------------------------------
// HTTP layer
// ---------------------------------------------------------------------------------------------------

type Operation = (body: RequestBody) => ResponseBody;

function createOperations(service: StepFunctionsService): ReadonlyMap<string, Operation> {
  return new Map<string, Operation>([
    ['StartExecution', (body) => service.startExecution(body)],
    ['StopExecution', (body) => service.stopExecution(body)],
    ['DescribeExecution', (body) => service.describeExecution(body)],
    ['ListExecutions', (body) => service.listExecutions(body)],
    ['GetExecutionHistory', (body) => service.getExecutionHistory(body)],
    ['DescribeStateMachine', (body) => service.describeStateMachine(body)],
    ['ListStateMachines', (body) => service.listStateMachines(body)],
    ['SendTaskSuccess', (body) => service.sendTaskSuccess(body)],
    ['SendTaskFailure', (body) => service.sendTaskFailure(body)],
    ['SendTaskHeartbeat', (body) => service.sendTaskHeartbeat(body)],
  ]);
}

/**
 * Starts a local Step Functions service on `host:port` (127.0.0.1 and a free port by default) that runs
 * the given state machines, their Lambda tasks through `invokeFunction`.
 *
 * @example
 * const sfn = await startLocalStepFunctions({
 *   region: 'eu-central-1',
 *   stateMachines: [{ name: 'Rotation', arn: rotationArn, definition }],
 *   invokeFunction: (functionArn, payload) => handlers[functionArn](payload),
 *   waitTimeOverrides: { '*': { WaitForGracePeriod: 0 } },
 * });
 * const client = new SFNClient({ region: 'eu-central-1', endpoint: sfn.url,
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: rotationArn }));
 * (await sfn.whenStopped(executionArn ?? '')).status; // 'SUCCEEDED'
 * await sfn.close();
 */
export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<RunningLocalStepFunctions> {
  const host = options.host ?? '127.0.0.1';
  const service = new StepFunctionsService(options);
  const operations = createOperations(service);
  const server = await serveAwsJson({
    name: 'step-functions',
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    internalErrorType: 'InternalFailure',
    unsupportedBy: 'the local Step Functions service',
    maxBodyBytes: MAX_BODY_BYTES,
    operations,
    faults: 'stepFunctions',
    host,
    port: options.port ?? 0,
    ...(options.authorize ? { authorize: options.authorize } : {}),
  });
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      await service.close();
      await server.close();
    },
    whenStopped: (executionArn) => service.whenStopped(executionArn),
    resumeRestored: () => service.resumeRestored(),
    executions: (status) => service.executions(status),
    forgetStopped: () => service.forgetStopped(),
    awaitTaskToken: (token) => service.awaitTaskToken(token),
  };
}
