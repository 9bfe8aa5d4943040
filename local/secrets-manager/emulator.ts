/**
 * A local stand-in for AWS Secrets Manager that speaks the service's wire protocol (AWS JSON 1.1 over
 * HTTP: `POST /`, `X-Amz-Target: secretsmanager.<Operation>`), so the AWS SDK and the AWS CLI work
 * against it unchanged. Signatures are not checked.
 *
 * Two layers: {@link SecretStore} holds the secrets and applies Secrets Manager's rules (usable
 * without HTTP); {@link startSecretsManagerEmulator} serves a store over HTTP, runs rotations through
 * an injected rotation function and persists the state to a JSON file.
 *
 * What is modelled of rotation, and from which AWS documentation:
 * - RotateSecret is asynchronous ("Configures and starts the asynchronous process of rotating the
 *   secret", API reference, RotateSecret): it stores the configuration, puts AWSPENDING on a new, empty
 *   version, answers with its VersionId, and only then invokes the rotation function for createSecret,
 *   setSecret, testSecret and finishSecret in turn. `whenRotationSettled(secretId)` and `rotationsIdle()`
 *   (and, over HTTP, the emulator-only operation `EmulatorRotationsSettled`) let tests await the end.
 * - Retries: "If any rotation step fails, Secrets Manager retries the entire rotation process multiple
 *   times" (User Guide, "Rotation by Lambda function", rotate-secrets_lambda). The number and spacing of
 *   retries are not documented; the emulator runs the whole rotation again, with the same
 *   ClientRequestToken and from createSecret, up to `rotationAttempts` times in all (default 3), waiting
 *   `rotationRetryDelayMs` (default 1 s) between attempts. Every failed attempt is recorded in
 *   `rotationErrors`; after the last one the rotation is left as AWS leaves a failed one ("the AWSPENDING
 *   staging label might be attached to an empty secret version", API reference, RotateSecret), so a
 *   later RotateSecret is refused until AWSPENDING is removed. CancelRotateSecret, deleting the secret or
 *   removing the version stops the retries.
 * - RotateSecret with `RotateImmediately: false`: "Secrets Manager tests the rotation configuration by
 *   running the testSecret step of the Lambda rotation function. The test creates an AWSPENDING version
 *   of the secret and then removes it" (API reference, RotateSecret, RotateImmediately). The emulator
 *   stores the configuration, creates an empty AWSPENDING version whose id is the request's
 *   ClientRequestToken, invokes testSecret for it, removes that version again and only then answers.
 *   What AWS does when the trial fails is not documented; the emulator is conservative: RotateSecret fails
 *   with InvalidRequestException naming the step's error, and the secret's previous rotation
 *   configuration is restored.
 * - DescribeSecret and ListSecrets "only return fields that have a value" (API reference,
 *   DescribeSecret): RotationEnabled is absent on a secret never configured for rotation, false after
 *   CancelRotateSecret; RotationRules and RotationLambdaARN are absent until configured, LastRotatedDate
 *   and NextRotationDate while rotation is off, LastAccessedDate until the first read, Description,
 *   KmsKeyId, DeletedDate, Tags and the stages map when empty.
 *
 * Deliberate differences from AWS:
 * - Started without `invokeRotationFunction`, the emulator refuses an immediate rotation, and with
 *   `RotateImmediately: false` it stores the configuration without the trial testSecret.
 * - After `finishSecret` the emulator checks that the new version holds AWSCURRENT; if not, the rotation
 *   counts as failed (not retried) and LastRotatedDate is left alone.
 * - NextRotationDate is the last rotation (or the time rotation was configured) plus the interval of
 *   `AutomaticallyAfterDays` or `rate(...)`; cron schedules give no NextRotationDate.
 * - ListSecrets filters match by case-sensitive prefix of the whole value.
 * - OwningService, PrimaryRegion and ReplicationStatus are never returned: KMS keys, replication, managed
 *   secrets, resource policies and IAM are not modelled.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type AwsJsonCall, AwsServiceError, serveAwsJson } from '../awsJsonServer.ts';

// ---------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------

/** One step of a Lambda rotation, in the order Secrets Manager runs them. */
export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** The event Secrets Manager sends to a rotation function for one step. */
export interface RotationEvent {
  /** The ARN of the secret being rotated. */
  SecretId: string;
  /** The id of the new version, the same for all four steps of one rotation. */
  ClientRequestToken: string;
  Step: RotationStep;
}

/** A rotation step that threw, as recorded by the emulator. */
export interface RotationFailure {
  readonly secretArn: string;
  readonly step: string;
  readonly message: string;
  /** Which attempt of the rotation failed: 1 for the first run, 2 for the first retry, ... */
  readonly attempt: number;
  /** True when no retry follows: the rotation is left with AWSPENDING on the half-made version. */
  readonly final: boolean;
}

/** Options of {@link startSecretsManagerEmulator}. */
export interface SecretsManagerEmulatorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Time source for CreatedDate, LastRotatedDate etc. (a virtual clock in local mode). @default () => new Date() */
  readonly clock?: () => Date;
  /**
   * Invokes the rotation Lambda named by RotationLambdaARN for one step. Without it, RotateSecret on a
   * secret that has a rotation function fails with a clear InvalidRequestException.
   */
  readonly invokeRotationFunction?: (functionArn: string, event: RotationEvent) => Promise<unknown>;
  /**
   * Judges each API call before it runs (IAM); throws to refuse it. `describe` gives a secret's
   * DescribeSecret answer by name or ARN (its full ARN, as IAM judges it; undefined when there is none).
   */
  readonly authorize?: (
    call: AwsJsonCall & { describe(secretId: string): ResponseBody | undefined },
  ) => Promise<void>;
  /** When set, state is loaded from this JSON file at start (if it exists) and written after each change. */
  readonly dataFile?: string;
  /**
   * Told of every failed rotation step (the failure is also kept in `rotationErrors`).
   * @default one line on stderr
   */
  readonly onRotationError?: (failure: RotationFailure) => void;
  /** How many times in all a failing rotation is run (AWS retries "multiple times"). @default 3 */
  readonly rotationAttempts?: number;
  /** The wait before each retry of a failed rotation. @default 1000 */
  readonly rotationRetryDelayMs?: number;
}

/** A running emulator, as returned by {@link startSecretsManagerEmulator}. */
export interface RunningSecretsManagerEmulator {
  /** The endpoint to give the SDK (`endpoint`) or the AWS CLI (`--endpoint-url`). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
  /** the failures of rotation steps so far, newest last: {secretArn, step, message, attempt, final} */
  readonly rotationErrors: ReadonlyArray<RotationFailure>;
  /**
   * Resolves once the background rotation of a secret (by name or ARN) is over: finished, failed for
   * good after its retries, or stopped. Resolves at once when none is running.
   */
  whenRotationSettled(secretId: string): Promise<void>;
  /** Resolves once no background rotation is running. */
  rotationsIdle(): Promise<void>;
}

/** The `__type` of the errors the emulator returns; the SDK turns each into the exception of that name. */
export type SecretsManagerErrorType =
  | 'ResourceNotFoundException'
  | 'ResourceExistsException'
  | 'InvalidRequestException'
  | 'InvalidParameterException'
  | 'InvalidNextTokenException'
  | 'ValidationException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'InternalServiceError';

/** An error answered as HTTP 400 `{"__type": type, "message": message}` (500 for InternalServiceError). */
export class SecretsManagerServiceError extends AwsServiceError {
  declare public readonly type: SecretsManagerErrorType;

  public constructor(type: SecretsManagerErrorType, message: string) {
    super(type, message);
  }
}

/** A request body: the JSON object the client sent. */
export type RequestBody = Readonly<Record<string, unknown>>;

/** A response body: the JSON object the emulator answers. */
export type ResponseBody = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------------

const AWSCURRENT = 'AWSCURRENT';
const AWSPREVIOUS = 'AWSPREVIOUS';
const AWSPENDING = 'AWSPENDING';
const ROTATION_STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
/** Above this many versions, deprecated versions older than a day are removed, as AWS does. */
const MAX_VERSIONS = 100;
const MAX_BODY_BYTES = 1_048_576;
const DATA_FILE_FORMAT = 1;

interface Limits {
  readonly min?: number;
  readonly max?: number;
}

const SECRET_ID_LIMITS: Limits = { min: 1, max: 2048 };
const NAME_LIMITS: Limits = { min: 1, max: 512 };
const VERSION_ID_LIMITS: Limits = { min: 32, max: 64 };
const STAGE_LIMITS: Limits = { min: 1, max: 256 };
const SECRET_STRING_LIMITS: Limits = { max: 65_536 };
const DESCRIPTION_LIMITS: Limits = { max: 2048 };

// ---------------------------------------------------------------------------------------------------
// Stored state (also the data file's format)
// ---------------------------------------------------------------------------------------------------

interface Tag {
  Key: string;
  Value: string;
}

interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

interface SecretValue {
  readonly secretString?: string;
  /** base64, as it travels in JSON */
  readonly secretBinary?: string;
}

/** Dates are epoch milliseconds. */
interface StoredVersion {
  readonly versionId: string;
  readonly createdDate: number;
  secretString?: string;
  secretBinary?: string;
  stages: string[];
  lastAccessedDate?: number;
}

/** Dates are epoch milliseconds. */
interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  description?: string;
  kmsKeyId?: string;
  readonly createdDate: number;
  lastChangedDate: number;
  lastAccessedDate?: number;
  lastRotatedDate?: number;
  /** when DeleteSecret was called */
  deletedDate?: number;
  /** when the recovery window ends and the secret is removed */
  deletionDate?: number;
  /** absent until RotateSecret first configures rotation, as DescribeSecret shows it */
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  /** when RotateSecret last configured rotation: the base of NextRotationDate before the first rotation */
  rotationConfiguredDate?: number;
  tags: Tag[];
  versions: StoredVersion[];
}

interface DataFile {
  readonly format: number;
  readonly secrets: StoredSecret[];
}

// ---------------------------------------------------------------------------------------------------
// Reading request fields
// ---------------------------------------------------------------------------------------------------

function lowerFirst(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

function validationError(field: string, constraint: string): SecretsManagerServiceError {
  return new SecretsManagerServiceError(
    'ValidationException',
    `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: ${constraint}`,
  );
}

function wrongType(field: string, expected: string): SecretsManagerServiceError {
  return new SecretsManagerServiceError('SerializationException', `${field} must be ${expected}.`);
}

function checkLength(field: string, length: number, limits: Limits = {}): void {
  if (limits.min !== undefined && length < limits.min) {
    throw validationError(field, `Member must have length greater than or equal to ${limits.min}`);
  }
  if (limits.max !== undefined && length > limits.max) {
    throw validationError(field, `Member must have length less than or equal to ${limits.max}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typed access to the fields of a request body, failing as AWS does on missing or malformed fields. */
class RequestReader {
  public constructor(private readonly body: RequestBody) {}

  public string(field: string, limits?: Limits): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw wrongType(field, 'a string');
    checkLength(field, value.length, limits);
    return value;
  }

  public requiredString(field: string, limits?: Limits): string {
    const value = this.string(field, limits);
    if (value === undefined) {
      throw new SecretsManagerServiceError(
        'ValidationException',
        `1 validation error detected: Value null at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return value;
  }

  public boolean(field: string): boolean | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw wrongType(field, 'a boolean');
    return value;
  }

  public integer(field: string, min: number, max: number): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(field, 'an integer');
    if (value < min) throw validationError(field, `Member must have value greater than or equal to ${min}`);
    if (value > max) throw validationError(field, `Member must have value less than or equal to ${max}`);
    return value;
  }

  public list(field: string): unknown[] | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw wrongType(field, 'a list');
    return value;
  }

  public stringList(field: string, itemLimits: Limits, countLimits: Limits): string[] | undefined {
    const items = this.list(field);
    if (items === undefined) return undefined;
    checkLength(field, items.length, countLimits);
    return items.map((item) => {
      if (typeof item !== 'string') throw wrongType(field, 'a list of strings');
      checkLength(field, item.length, itemLimits);
      return item;
    });
  }

  public record(field: string): RequestReader | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) throw wrongType(field, 'an object');
    return new RequestReader(value);
  }

  public tags(field: string): Tag[] | undefined {
    return this.list(field)?.map((item) => {
      if (!isRecord(item)) throw wrongType(field, 'a list of {Key, Value}');
      const tag = new RequestReader(item);
      return {
        Key: tag.requiredString('Key', { min: 1, max: 128 }),
        Value: tag.string('Value', { max: 256 }) ?? '',
      };
    });
  }
}

/** Reads SecretString or SecretBinary; both at once is refused, neither gives undefined. */
function readSecretValue(request: RequestReader): SecretValue | undefined {
  const secretString = request.string('SecretString', SECRET_STRING_LIMITS);
  const secretBinary = request.string('SecretBinary');
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new SecretsManagerServiceError(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString !== undefined) return { secretString };
  if (secretBinary === undefined) return undefined;
  checkLength('SecretBinary', Buffer.from(secretBinary, 'base64').length, SECRET_STRING_LIMITS);
  return { secretBinary };
}

function readRotationRules(request: RequestReader | undefined): RotationRules | undefined {
  if (request === undefined) return undefined;
  const rules: RotationRules = {};
  const days = request.integer('AutomaticallyAfterDays', 1, 1000);
  const duration = request.string('Duration', { min: 2, max: 3 });
  const schedule = request.string('ScheduleExpression', { min: 1, max: 256 });
  if (days !== undefined) rules.AutomaticallyAfterDays = days;
  if (duration !== undefined) rules.Duration = duration;
  if (schedule !== undefined) rules.ScheduleExpression = schedule;
  return rules;
}

interface ListFilter {
  readonly key: string;
  readonly values: readonly string[];
}

const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];

function readFilters(request: RequestReader): ListFilter[] {
  return (request.list('Filters') ?? []).map((item) => {
    if (!isRecord(item)) throw wrongType('Filters', 'a list of {Key, Values}');
    const filter = new RequestReader(item);
    const key = filter.requiredString('Key');
    if (!FILTER_KEYS.includes(key)) {
      throw validationError('filters.key', `Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`);
    }
    return { key, values: filter.stringList('Values', { min: 1, max: 512 }, { min: 1, max: 10 }) ?? [] };
  });
}

// ---------------------------------------------------------------------------------------------------
// Pure helpers on secrets and versions
// ---------------------------------------------------------------------------------------------------

const toEpochSeconds = (epochMs: number): number => epochMs / 1000;

function startOfUtcDay(epochMs: number): number {
  return epochMs - (epochMs % DAY_MS);
}

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 6; i += 1) suffix += ALPHANUMERICS[randomInt(ALPHANUMERICS.length)];
  return suffix;
}

function hasValue(version: StoredVersion): boolean {
  return version.secretString !== undefined || version.secretBinary !== undefined;
}

function sameValue(version: StoredVersion, value: SecretValue): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

function findVersion(secret: StoredSecret, versionId: string): StoredVersion | undefined {
  return secret.versions.find((version) => version.versionId === versionId);
}

function versionWithStage(secret: StoredSecret, stage: string): StoredVersion | undefined {
  return secret.versions.find((version) => version.stages.includes(stage));
}

function detachStage(version: StoredVersion, stage: string): void {
  version.stages = version.stages.filter((label) => label !== stage);
}

/**
 * Attaches a staging label to a version, taking it from whichever version had it. Moving AWSCURRENT
 * puts AWSPREVIOUS on the version it came from.
 */
function attachStage(secret: StoredSecret, target: StoredVersion, stage: string): void {
  const holder = versionWithStage(secret, stage);
  if (holder === target) return;
  if (holder !== undefined) detachStage(holder, stage);
  target.stages.push(stage);
  if (stage === AWSCURRENT && holder !== undefined) attachStage(secret, holder, AWSPREVIOUS);
}

/** Is AWSPENDING on a version other than the current one, i.e. is a rotation unfinished? */
function unfinishedRotation(secret: StoredSecret): StoredVersion | undefined {
  const pending = versionWithStage(secret, AWSPENDING);
  return pending !== undefined && !pending.stages.includes(AWSCURRENT) ? pending : undefined;
}

function rotationIntervalMs(rules: RotationRules | undefined): number | undefined {
  if (rules?.AutomaticallyAfterDays !== undefined) return rules.AutomaticallyAfterDays * DAY_MS;
  const rate = /^rate\((\d+) (hours?|days?)\)$/.exec(rules?.ScheduleExpression ?? '');
  if (rate === null) return undefined;
  return Number(rate[1]) * (rate[2]?.startsWith('hour') ? HOUR_MS : DAY_MS);
}

function nextRotationDate(secret: StoredSecret): number | undefined {
  const interval = rotationIntervalMs(secret.rotationRules);
  const base = secret.lastRotatedDate ?? secret.rotationConfiguredDate;
  return secret.rotationEnabled && interval !== undefined && base !== undefined ? base + interval : undefined;
}

function stagesMap(secret: StoredSecret): Record<string, string[]> | undefined {
  const labelled = secret.versions.filter((version) => version.stages.length > 0);
  if (labelled.length === 0) return undefined;
  return Object.fromEntries(labelled.map((version) => [version.versionId, [...version.stages]]));
}

/** The DescribeSecret / SecretListEntry shape; the two differ only in the name of the stages map. */
function secretDescription(
  secret: StoredSecret,
  stagesKey: 'VersionIdsToStages' | 'SecretVersionsToStages',
): ResponseBody {
  const nextRotation = nextRotationDate(secret);
  const stages = stagesMap(secret);
  const optional: ResponseBody = {};
  if (secret.description !== undefined) optional.Description = secret.description;
  if (secret.kmsKeyId !== undefined) optional.KmsKeyId = secret.kmsKeyId;
  if (secret.rotationLambdaArn !== undefined) optional.RotationLambdaARN = secret.rotationLambdaArn;
  if (secret.rotationRules !== undefined) optional.RotationRules = { ...secret.rotationRules };
  if (secret.rotationEnabled && secret.lastRotatedDate !== undefined) {
    optional.LastRotatedDate = toEpochSeconds(secret.lastRotatedDate);
  }
  if (secret.lastAccessedDate !== undefined)
    optional.LastAccessedDate = toEpochSeconds(secret.lastAccessedDate);
  if (secret.deletedDate !== undefined) optional.DeletedDate = toEpochSeconds(secret.deletedDate);
  if (nextRotation !== undefined) optional.NextRotationDate = toEpochSeconds(nextRotation);
  if (secret.tags.length > 0) optional.Tags = secret.tags.map((tag) => ({ ...tag }));
  if (stages !== undefined) optional[stagesKey] = stages;
  if (secret.rotationEnabled !== undefined) optional.RotationEnabled = secret.rotationEnabled;
  return {
    ARN: secret.arn,
    Name: secret.name,
    LastChangedDate: toEpochSeconds(secret.lastChangedDate),
    CreatedDate: toEpochSeconds(secret.createdDate),
    ...optional,
  };
}

function matchesValue(secret: StoredSecret, key: string, value: string, region: string): boolean {
  switch (key) {
    case 'name':
      return secret.name.startsWith(value);
    case 'description':
      return (secret.description ?? '').startsWith(value);
    case 'tag-key':
      return secret.tags.some((tag) => tag.Key.startsWith(value));
    case 'tag-value':
      return secret.tags.some((tag) => tag.Value.startsWith(value));
    case 'primary-region':
      return region.startsWith(value);
    case 'all':
      return ['name', 'description', 'tag-key', 'tag-value'].some((k) =>
        matchesValue(secret, k, value, region),
      );
    default:
      return false;
  }
}

/** A filter matches when any plain value matches and no `!`-negated value does. */
function matchesFilter(secret: StoredSecret, filter: ListFilter, region: string): boolean {
  const negated = filter.values.filter((value) => value.startsWith('!')).map((value) => value.slice(1));
  const plain = filter.values.filter((value) => !value.startsWith('!'));
  if (negated.some((value) => matchesValue(secret, filter.key, value, region))) return false;
  return plain.length === 0 || plain.some((value) => matchesValue(secret, filter.key, value, region));
}

/** Slices one page of a list; the token is an opaque offset. */
function paginate<T>(items: readonly T[], maxResults: number, nextToken: string | undefined) {
  let offset = 0;
  if (nextToken !== undefined) {
    offset = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) {
      throw new SecretsManagerServiceError('InvalidNextTokenException', 'The NextToken value is not valid.');
    }
  }
  const end = offset + maxResults;
  const page = items.slice(offset, end);
  return end < items.length ? { page, nextToken: Buffer.from(String(end)).toString('base64url') } : { page };
}

function randomPassword(request: RequestReader): string {
  const length = request.integer('PasswordLength', 1, 4096) ?? 32;
  const excluded = new Set(request.string('ExcludeCharacters', { max: 4096 }) ?? '');
  const classes = [
    request.boolean('ExcludeLowercase') ? '' : 'abcdefghijklmnopqrstuvwxyz',
    request.boolean('ExcludeUppercase') ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    request.boolean('ExcludeNumbers') ? '' : '0123456789',
    request.boolean('ExcludePunctuation') ? '' : PUNCTUATION,
    request.boolean('IncludeSpace') ? ' ' : '',
  ]
    .map((chars) => [...chars].filter((char) => !excluded.has(char)).join(''))
    .filter((chars) => chars.length > 0);
  const requireEach = request.boolean('RequireEachIncludedType') ?? true;
  if (classes.length === 0 || (requireEach && length < classes.length)) {
    throw new SecretsManagerServiceError(
      'InvalidParameterException',
      'No password of this length can be made from the characters that are left.',
    );
  }
  const all = classes.join('');
  const chars = requireEach ? classes.map((set) => set[randomInt(set.length)] ?? '') : [];
  while (chars.length < length) chars.push(all[randomInt(all.length)] ?? '');
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

// ---------------------------------------------------------------------------------------------------
// The store: Secrets Manager's rules, without HTTP
// ---------------------------------------------------------------------------------------------------

/** What RotateSecret asks the caller to run after it has answered the configuration part. */
export interface RotationPlan {
  readonly secretArn: string;
  readonly functionArn: string;
  readonly token: string;
}

/** The rotation configuration of a secret, as it was before RotateSecret changed it. */
interface RotationConfiguration {
  readonly rotationEnabled?: boolean;
  readonly rotationLambdaArn?: string;
  readonly rotationRules?: RotationRules;
  readonly rotationConfiguredDate?: number;
}

/**
 * The trial of RotateSecret with `RotateImmediately: false`: the caller invokes testSecret for the
 * AWSPENDING version `token`, then calls {@link SecretStore.endTrial}.
 */
export interface RotationTrial extends RotationPlan {
  readonly previous: RotationConfiguration;
}

/** Options of {@link SecretStore}. */
export interface SecretStoreOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock: () => Date;
  /** Whether a rotation function can be invoked; without one, an immediate rotation is refused. */
  readonly canInvokeRotationFunction: boolean;
  /** State to start from, as produced by {@link SecretStore.snapshot}. */
  readonly snapshot?: unknown;
}

/**
 * The secrets of one account and region, and the operations of the Secrets Manager API on them.
 * Each operation takes the request body as the SDK sends it and returns the response body, or throws
 * a {@link SecretsManagerServiceError}.
 *
 * @example
 * const store = new SecretStore({ region: 'eu-central-1', accountId: '123456789012', clock: () => new Date(),
 *   canInvokeRotationFunction: false });
 * store.createSecret({ Name: 'db', SecretString: 's3cret' });
 * store.getSecretValue({ SecretId: 'db' }).SecretString; // 's3cret'
 */
export class SecretStore {
  /** Goes up on every change; the emulator persists when it moved. */
  public revision = 0;
  private secrets: StoredSecret[];
  private readonly options: SecretStoreOptions;

  public constructor(options: SecretStoreOptions) {
    this.options = options;
    this.secrets = options.snapshot === undefined ? [] : parseSnapshot(options.snapshot);
  }

  /** The whole state as plain JSON, for the data file. */
  public snapshot(): DataFile {
    return { format: DATA_FILE_FORMAT, secrets: structuredClone(this.secrets) };
  }

  public createSecret(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const name = request.requiredString('Name', NAME_LIMITS);
    const value = readSecretValue(request);
    const token = request.string('ClientRequestToken', VERSION_ID_LIMITS);
    if (!NAME_PATTERN.test(name)) {
      throw new SecretsManagerServiceError(
        'InvalidParameterException',
        'Invalid name. A secret name may contain only letters, digits and the characters /_+=.@-',
      );
    }
    const existing = this.secrets.find((secret) => secret.name === name);
    if (existing !== undefined) return this.repeatCreate(existing, token, value);
    const now = this.now();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${randomSuffix()}`,
      name,
      createdDate: now,
      lastChangedDate: now,
      tags: request.tags('Tags') ?? [],
      versions: [],
    };
    this.applyDescription(secret, request);
    this.secrets.push(secret);
    const version =
      value === undefined ? undefined : this.addVersion(secret, token ?? randomUUID(), value, [AWSCURRENT]);
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
  }

  public describeSecret(body: RequestBody): ResponseBody {
    this.purgeExpired();
    return secretDescription(this.findSecret(new RequestReader(body)), 'VersionIdsToStages');
  }

  public getSecretValue(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const versionId = request.string('VersionId', VERSION_ID_LIMITS);
    const stage = request.string('VersionStage', STAGE_LIMITS);
    const version = this.selectVersion(secret, versionId, stage);
    this.recordAccess(secret, version);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: toEpochSeconds(version.createdDate),
    };
  }

  public putSecretValue(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const value = readSecretValue(request);
    if (value === undefined) {
      throw new SecretsManagerServiceError(
        'InvalidParameterException',
        'You must provide either SecretString or SecretBinary.',
      );
    }
    const versionId = request.string('ClientRequestToken', VERSION_ID_LIMITS) ?? randomUUID();
    const stages = request.stringList('VersionStages', STAGE_LIMITS, { min: 1, max: 20 }) ?? [AWSCURRENT];
    const version = this.storeValue(secret, versionId, value, stages);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  }

  public updateSecret(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const value = readSecretValue(request);
    const versionId = request.string('ClientRequestToken', VERSION_ID_LIMITS) ?? randomUUID();
    const version = value === undefined ? undefined : this.storeValue(secret, versionId, value, [AWSCURRENT]);
    this.applyDescription(secret, request);
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
  }

  public updateSecretVersionStage(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const stage = request.requiredString('VersionStage', STAGE_LIMITS);
    const moveToId = request.string('MoveToVersionId', VERSION_ID_LIMITS);
    const removeFromId = request.string('RemoveFromVersionId', VERSION_ID_LIMITS);
    const target = moveToId === undefined ? undefined : this.requireVersion(secret, moveToId);
    const source = removeFromId === undefined ? undefined : this.requireVersion(secret, removeFromId);
    const holder = versionWithStage(secret, stage);
    if (source !== undefined && source !== holder) {
      throw new SecretsManagerServiceError(
        'InvalidParameterException',
        `The staging label ${stage} is not attached to version ${source.versionId}, so it can't be removed from it.`,
      );
    }
    if (target !== undefined) {
      if (holder !== undefined && holder !== target && source === undefined) {
        throw new SecretsManagerServiceError(
          'InvalidParameterException',
          `The staging label ${stage} is attached to version ${holder.versionId}; name that version in RemoveFromVersionId to move the label.`,
        );
      }
      attachStage(secret, target, stage);
    } else if (source !== undefined) {
      detachStage(source, stage);
    } else {
      throw new SecretsManagerServiceError(
        'InvalidParameterException',
        'Specify MoveToVersionId, RemoveFromVersionId or both.',
      );
    }
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name };
  }

  public listSecretVersionIds(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.findSecret(request);
    const includeDeprecated = request.boolean('IncludeDeprecated') ?? false;
    const maxResults = request.integer('MaxResults', 1, 100) ?? 100;
    const versions = secret.versions.filter((version) => includeDeprecated || version.stages.length > 0);
    const { page, nextToken } = paginate(
      versions,
      maxResults,
      request.string('NextToken', { min: 1, max: 4096 }),
    );
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: page.map((version) => ({
        VersionId: version.versionId,
        VersionStages: [...version.stages],
        ...(version.lastAccessedDate !== undefined
          ? { LastAccessedDate: toEpochSeconds(version.lastAccessedDate) }
          : {}),
        CreatedDate: toEpochSeconds(version.createdDate),
      })),
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    };
  }

  public listSecrets(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const includeDeleted = request.boolean('IncludePlannedDeletion') ?? false;
    const filters = readFilters(request);
    const maxResults = request.integer('MaxResults', 1, 100) ?? 100;
    const sortOrder = request.string('SortOrder') ?? 'asc';
    if (sortOrder !== 'asc' && sortOrder !== 'desc') {
      throw validationError('SortOrder', 'Member must satisfy enum value set: [asc, desc]');
    }
    const matching = this.secrets
      .filter((secret) => includeDeleted || secret.deletedDate === undefined)
      .filter((secret) => filters.every((filter) => matchesFilter(secret, filter, this.options.region)))
      .sort((a, b) => (sortOrder === 'asc' ? a.createdDate - b.createdDate : b.createdDate - a.createdDate));
    const { page, nextToken } = paginate(
      matching,
      maxResults,
      request.string('NextToken', { min: 1, max: 4096 }),
    );
    return {
      SecretList: page.map((secret) => secretDescription(secret, 'SecretVersionsToStages')),
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    };
  }

  /**
   * The synchronous part of RotateSecret: checks, stores the rotation configuration and creates the
   * empty AWSPENDING version the rotation function will fill. When rotating now, the caller runs the
   * steps of the returned plan in the background, then calls {@link completeRotation}; otherwise it runs
   * the trial testSecret of the returned trial, then calls {@link endTrial}, before answering.
   */
  public startRotation(body: RequestBody): {
    response: ResponseBody;
    plan?: RotationPlan;
    trial?: RotationTrial;
  } {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const token = request.string('ClientRequestToken', VERSION_ID_LIMITS) ?? randomUUID();
    const requestedArn = request.string('RotationLambdaARN', { max: 2048 });
    const rules = readRotationRules(request.record('RotationRules'));
    const immediately = request.boolean('RotateImmediately') ?? true;
    const trialRuns = !immediately && this.options.canInvokeRotationFunction;
    const functionArn = this.checkRotationCanStart(
      secret,
      requestedArn ?? secret.rotationLambdaArn,
      token,
      immediately || trialRuns,
    );
    const previous: RotationConfiguration = {
      rotationEnabled: secret.rotationEnabled,
      rotationLambdaArn: secret.rotationLambdaArn,
      rotationRules: secret.rotationRules,
      rotationConfiguredDate: secret.rotationConfiguredDate,
    };
    secret.rotationLambdaArn = functionArn;
    if (rules !== undefined) secret.rotationRules = rules;
    secret.rotationEnabled = true;
    secret.rotationConfiguredDate = this.now();
    const base = { ARN: secret.arn, Name: secret.name };
    if (!immediately && !trialRuns) {
      this.changed(secret);
      return { response: base };
    }
    this.addVersion(secret, token, {}, [AWSPENDING]);
    this.changed(secret);
    const plan = { secretArn: secret.arn, functionArn, token };
    if (!immediately) return { response: base, trial: { ...plan, previous } };
    return { response: { ...base, VersionId: token }, plan };
  }

  /**
   * Ends the trial of `RotateImmediately: false`: removes the AWSPENDING version it made and, when the
   * trial failed, puts the previous rotation configuration back.
   */
  public endTrial(trial: RotationTrial, passed: boolean): void {
    const secret = this.secrets.find((candidate) => candidate.arn === trial.secretArn);
    if (secret === undefined) return;
    secret.versions = secret.versions.filter((version) => version.versionId !== trial.token);
    if (!passed) {
      for (const [key, value] of Object.entries(trial.previous) as [keyof RotationConfiguration, unknown][]) {
        if (value === undefined) delete secret[key];
        else Object.assign(secret, { [key]: value });
      }
    }
    this.changed(secret);
  }

  /** The ARN of the secret named by a name, ARN or partial ARN; undefined when there is none. */
  public arnOf(secretId: string): string | undefined {
    try {
      return this.findSecret(new RequestReader({ SecretId: secretId })).arn;
    } catch {
      return undefined;
    }
  }

  /** Whether the rotation to version `token` should go on: the secret exists and rotation was not cancelled. */
  public isRotationActive(secretArn: string, token: string): boolean {
    const secret = this.secrets.find((candidate) => candidate.arn === secretArn);
    return (
      secret !== undefined &&
      secret.deletedDate === undefined &&
      secret.rotationEnabled === true &&
      findVersion(secret, token) !== undefined
    );
  }

  /**
   * Records a successful rotation after `finishSecret`: sets LastRotatedDate, if the new version is
   * AWSCURRENT. Returns why the rotation did not finish otherwise.
   */
  public completeRotation(secretArn: string, token: string): string | undefined {
    const secret = this.secrets.find((candidate) => candidate.arn === secretArn);
    if (secret === undefined) return 'The secret no longer exists.';
    if (!findVersion(secret, token)?.stages.includes(AWSCURRENT)) {
      return `finishSecret returned, but version ${token} is not AWSCURRENT.`;
    }
    secret.lastRotatedDate = this.now();
    this.changed(secret);
    return undefined;
  }

  public cancelRotateSecret(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const secret = this.activeSecret(new RequestReader(body));
    secret.rotationEnabled = false;
    this.changed(secret);
    const pending = unfinishedRotation(secret);
    return { ARN: secret.arn, Name: secret.name, ...(pending ? { VersionId: pending.versionId } : {}) };
  }

  public deleteSecret(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.findSecret(request);
    const force = request.boolean('ForceDeleteWithoutRecovery') ?? false;
    const windowDays = request.integer('RecoveryWindowInDays', -Infinity, Infinity);
    if (force && windowDays !== undefined) {
      throw new SecretsManagerServiceError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery together with RecoveryWindowInDays.",
      );
    }
    if (windowDays !== undefined && (windowDays < 7 || windowDays > 30)) {
      throw new SecretsManagerServiceError(
        'InvalidParameterException',
        'RecoveryWindowInDays must be from 7 to 30 days.',
      );
    }
    const now = this.now();
    if (force) {
      this.secrets = this.secrets.filter((candidate) => candidate !== secret);
      this.revision += 1;
      return { ARN: secret.arn, Name: secret.name, DeletionDate: toEpochSeconds(now) };
    }
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    secret.deletedDate = now;
    secret.deletionDate = now + (windowDays ?? 30) * DAY_MS;
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: toEpochSeconds(secret.deletionDate) };
  }

  public restoreSecret(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const secret = this.findSecret(new RequestReader(body));
    delete secret.deletedDate;
    delete secret.deletionDate;
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name };
  }

  public tagResource(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const tags = request.tags('Tags');
    if (tags === undefined)
      throw new SecretsManagerServiceError('ValidationException', 'Tags must not be null.');
    for (const tag of tags) {
      secret.tags = [...secret.tags.filter((existing) => existing.Key !== tag.Key), tag];
    }
    this.changed(secret);
    return {};
  }

  public untagResource(body: RequestBody): ResponseBody {
    this.purgeExpired();
    const request = new RequestReader(body);
    const secret = this.activeSecret(request);
    const keys = request.stringList('TagKeys', { min: 1, max: 128 }, {});
    if (keys === undefined)
      throw new SecretsManagerServiceError('ValidationException', 'TagKeys must not be null.');
    secret.tags = secret.tags.filter((tag) => !keys.includes(tag.Key));
    this.changed(secret);
    return {};
  }

  public getRandomPassword(body: RequestBody): ResponseBody {
    return { RandomPassword: randomPassword(new RequestReader(body)) };
  }

  // -- internals ------------------------------------------------------------------------------------

  private now(): number {
    return this.options.clock().getTime();
  }

  /** LastAccessedDate holds the day only, so most reads change nothing. */
  private recordAccess(secret: StoredSecret, version: StoredVersion): void {
    const today = startOfUtcDay(this.now());
    if (secret.lastAccessedDate === today && version.lastAccessedDate === today) return;
    secret.lastAccessedDate = today;
    version.lastAccessedDate = today;
    this.revision += 1;
  }

  private changed(secret: StoredSecret): void {
    secret.lastChangedDate = this.now();
    this.revision += 1;
  }

  /** Removes secrets whose recovery window has ended, as AWS does in the background. */
  private purgeExpired(): void {
    const now = this.now();
    const kept = this.secrets.filter(
      (secret) => secret.deletionDate === undefined || secret.deletionDate > now,
    );
    if (kept.length === this.secrets.length) return;
    this.secrets = kept;
    this.revision += 1;
  }

  private applyDescription(secret: StoredSecret, request: RequestReader): void {
    const description = request.string('Description', DESCRIPTION_LIMITS);
    const kmsKeyId = request.string('KmsKeyId', { max: 2048 });
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
  }

  /** Finds a secret by name, full ARN or ARN without the random suffix, including one marked for deletion. */
  private findSecret(request: RequestReader): StoredSecret {
    const secretId = request.requiredString('SecretId', SECRET_ID_LIMITS);
    const secret = secretId.startsWith('arn:')
      ? this.secrets.find(
          (candidate) => candidate.arn === secretId || candidate.arn.slice(0, -7) === secretId,
        )
      : this.secrets.find((candidate) => candidate.name === secretId);
    if (secret === undefined) {
      throw new SecretsManagerServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return secret;
  }

  private activeSecret(request: RequestReader): StoredSecret {
    const secret = this.findSecret(request);
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    return secret;
  }

  private requireVersion(secret: StoredSecret, versionId: string): StoredVersion {
    const version = findVersion(secret, versionId);
    if (version === undefined) {
      throw new SecretsManagerServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret version: ${versionId}.`,
      );
    }
    return version;
  }

  /** GetSecretValue's choice of version: by id, by label (AWSCURRENT by default), or both when they agree. */
  private selectVersion(
    secret: StoredSecret,
    versionId: string | undefined,
    stage: string | undefined,
  ): StoredVersion {
    const label = stage ?? (versionId === undefined ? AWSCURRENT : undefined);
    const version =
      versionId !== undefined
        ? findVersion(secret, versionId)
        : versionWithStage(secret, label ?? AWSCURRENT);
    if (
      version === undefined ||
      !hasValue(version) ||
      (label !== undefined && !version.stages.includes(label))
    ) {
      const wanted = [versionId && `VersionId: ${versionId}`, label && `staging label: ${label}`].filter(
        Boolean,
      );
      throw new SecretsManagerServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${wanted.join(' and ')}.`,
      );
    }
    return version;
  }

  /** CreateSecret again with the same name: a retry (same token, same value) succeeds, anything else fails. */
  private repeatCreate(
    existing: StoredSecret,
    token: string | undefined,
    value: SecretValue | undefined,
  ): ResponseBody {
    if (existing.deletedDate !== undefined) {
      throw new SecretsManagerServiceError(
        'InvalidRequestException',
        `You can't create the secret ${existing.name} because a secret with this name is scheduled for deletion.`,
      );
    }
    const version = token === undefined ? undefined : findVersion(existing, token);
    if (version !== undefined && value !== undefined && sameValue(version, value)) {
      return { ARN: existing.arn, Name: existing.name, VersionId: version.versionId };
    }
    throw new SecretsManagerServiceError(
      'ResourceExistsException',
      `The operation failed because the secret ${existing.name} already exists.`,
    );
  }

  /**
   * PutSecretValue's rules: a new version gets the labels; an existing version id is an idempotent
   * retry when the value is the same, and an error when it differs. The empty version that RotateSecret
   * made for AWSPENDING is filled in.
   */
  private storeValue(
    secret: StoredSecret,
    versionId: string,
    value: SecretValue,
    stages: readonly string[],
  ): StoredVersion {
    const existing = findVersion(secret, versionId);
    if (existing !== undefined && hasValue(existing)) {
      if (sameValue(existing, value)) return existing;
      throw new SecretsManagerServiceError(
        'ResourceExistsException',
        `A version with ID ${versionId} already exists with a different value; versions can't be changed, only added.`,
      );
    }
    let version: StoredVersion;
    if (existing === undefined) {
      version = this.addVersion(secret, versionId, value, stages);
    } else {
      Object.assign(existing, value);
      for (const stage of stages) attachStage(secret, existing, stage);
      version = existing;
    }
    this.changed(secret);
    return version;
  }

  private addVersion(
    secret: StoredSecret,
    versionId: string,
    value: SecretValue,
    stages: readonly string[],
  ): StoredVersion {
    const version: StoredVersion = { versionId, createdDate: this.now(), ...value, stages: [] };
    secret.versions.push(version);
    for (const stage of stages) attachStage(secret, version, stage);
    this.pruneDeprecated(secret);
    return version;
  }

  /** Above {@link MAX_VERSIONS}, drops the oldest versions without labels that are more than a day old. */
  private pruneDeprecated(secret: StoredSecret): void {
    const dayAgo = this.now() - DAY_MS;
    while (secret.versions.length > MAX_VERSIONS) {
      const oldest = secret.versions.find(
        (version) => version.stages.length === 0 && version.createdDate < dayAgo,
      );
      if (oldest === undefined) return;
      secret.versions = secret.versions.filter((version) => version !== oldest);
    }
  }

  private checkRotationCanStart(
    secret: StoredSecret,
    functionArn: string | undefined,
    token: string,
    makesVersion: boolean,
  ): string {
    if (functionArn === undefined) {
      throw new SecretsManagerServiceError(
        'InvalidRequestException',
        `No rotation function is configured for secret ${secret.arn}: pass RotationLambdaARN.`,
      );
    }
    if (makesVersion && !this.options.canInvokeRotationFunction) {
      throw new SecretsManagerServiceError(
        'InvalidRequestException',
        `This Secrets Manager emulator was started without invokeRotationFunction, so it can't run the rotation function ${functionArn}.`,
      );
    }
    const pending = unfinishedRotation(secret);
    if (pending !== undefined) {
      throw new SecretsManagerServiceError(
        'InvalidRequestException',
        `A previous rotation of ${secret.arn} isn't complete: AWSPENDING is on version ${pending.versionId}, which is not AWSCURRENT.`,
      );
    }
    if (makesVersion && findVersion(secret, token) !== undefined) {
      throw new SecretsManagerServiceError(
        'ResourceExistsException',
        `A version with ID ${token} already exists.`,
      );
    }
    return functionArn;
  }
}

function markedForDeletion(): SecretsManagerServiceError {
  return new SecretsManagerServiceError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );
}

function parseSnapshot(snapshot: unknown): StoredSecret[] {
  if (!isRecord(snapshot) || snapshot.format !== DATA_FILE_FORMAT || !Array.isArray(snapshot.secrets)) {
    throw new Error(`Not a Secrets Manager emulator data file (format ${DATA_FILE_FORMAT}).`);
  }
  const secrets = structuredClone(snapshot.secrets as StoredSecret[]);
  // Files written before RotationEnabled could be absent say false for secrets never configured.
  for (const secret of secrets) {
    if (secret.rotationEnabled === false && secret.rotationConfiguredDate === undefined) {
      delete secret.rotationEnabled;
    }
  }
  return secrets;
}

// ---------------------------------------------------------------------------------------------------
// Rotation runner
// ---------------------------------------------------------------------------------------------------

type RotationInvoker = NonNullable<SecretsManagerEmulatorOptions['invokeRotationFunction']>;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type StepFailure = Omit<RotationFailure, 'attempt' | 'final'>;

/** Runs the four steps once; returns the first step that threw, 'stopped' when the rotation went away. */
async function runRotationSteps(
  store: SecretStore,
  invoke: RotationInvoker,
  plan: RotationPlan,
  closing: () => boolean,
): Promise<StepFailure | 'stopped' | undefined> {
  for (const step of ROTATION_STEPS) {
    if (closing()) return 'stopped';
    if (!store.isRotationActive(plan.secretArn, plan.token)) {
      process.stderr.write(`secrets-manager: rotation of ${plan.secretArn} was cancelled before ${step}\n`);
      return 'stopped';
    }
    try {
      await invoke(plan.functionArn, {
        SecretId: plan.secretArn,
        ClientRequestToken: plan.token,
        Step: step,
      });
    } catch (error) {
      return { secretArn: plan.secretArn, step, message: errorMessage(error) };
    }
  }
  return undefined;
}

interface RotationRunnerOptions {
  readonly attempts: number;
  readonly retryDelayMs: number;
  readonly report: (failure: RotationFailure) => void;
  /** Called when a background rotation changed the store outside a request. */
  readonly changed: () => void;
}

/**
 * Runs rotations in the background, as Secrets Manager does after RotateSecret answered, retrying a
 * failed rotation from createSecret with the same token, and keeps track of the running ones.
 */
class RotationRunner {
  readonly #running = new Map<string, Promise<void>>();
  #stopped = false;

  public constructor(
    private readonly store: SecretStore,
    private readonly invoke: RotationInvoker,
    private readonly options: RotationRunnerOptions,
  ) {}

  /** Starts `plan` after the current request has been answered. */
  public start(plan: RotationPlan): void {
    const previous = this.#running.get(plan.secretArn) ?? Promise.resolve();
    const run = previous
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.#rotate(plan))
      .catch((error: unknown) => {
        process.stderr.write(
          `secrets-manager: rotation of ${plan.secretArn} broke: ${errorMessage(error)}\n`,
        );
      })
      .finally(() => {
        if (this.#running.get(plan.secretArn) === run) this.#running.delete(plan.secretArn);
        this.options.changed();
      });
    this.#running.set(plan.secretArn, run);
  }

  /** Invokes testSecret for the trial version; returns its error message, or undefined when it passed. */
  public async trial(trial: RotationTrial): Promise<string | undefined> {
    try {
      await this.invoke(trial.functionArn, {
        SecretId: trial.secretArn,
        ClientRequestToken: trial.token,
        Step: 'testSecret',
      });
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  /** Resolves when the rotation of `secretArn` (if one runs) is over. */
  public async settled(secretArn: string | undefined): Promise<void> {
    if (secretArn !== undefined) await this.#running.get(secretArn);
  }

  /** Resolves when no rotation runs. */
  public async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  /** The emulator is closing: no more steps or retries are started. */
  public stop(): void {
    this.#stopped = true;
  }

  async #rotate(plan: RotationPlan): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.#stopped) return;
      const outcome = await runRotationSteps(this.store, this.invoke, plan, () => this.#stopped);
      if (outcome === 'stopped') return;
      if (outcome === undefined) {
        const problem = this.store.completeRotation(plan.secretArn, plan.token);
        if (problem !== undefined) {
          this.options.report({
            secretArn: plan.secretArn,
            step: 'finishSecret',
            message: problem,
            attempt,
            final: true,
          });
        }
        return;
      }
      const final = attempt >= this.options.attempts;
      this.options.report({ ...outcome, attempt, final });
      if (final) return;
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------------------

function loadDataFile(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the Secrets Manager emulator data file ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/** Returns a function that writes the store to `path` when it changed since the last write. */
function createPersister(store: SecretStore, path: string | undefined): () => void {
  let savedRevision = store.revision;
  return () => {
    if (path === undefined || store.revision === savedRevision) return;
    savedRevision = store.revision;
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(store.snapshot(), null, 2)}\n`);
    renameSync(temporary, path);
  };
}

// ---------------------------------------------------------------------------------------------------
// HTTP layer
// ---------------------------------------------------------------------------------------------------

type Operation = (body: RequestBody) => ResponseBody | Promise<ResponseBody>;

function createOperations(
  store: SecretStore,
  runner: RotationRunner | undefined,
): ReadonlyMap<string, Operation> {
  const rotateSecret: Operation = async (body) => {
    const { response, plan, trial } = store.startRotation(body);
    if (trial !== undefined && runner !== undefined) {
      const problem = await runner.trial(trial);
      store.endTrial(trial, problem === undefined);
      if (problem !== undefined) {
        throw new SecretsManagerServiceError(
          'InvalidRequestException',
          `The rotation configuration test failed: testSecret of ${trial.functionArn} for secret ${trial.secretArn} failed: ${problem}`,
        );
      }
    }
    if (plan !== undefined) runner?.start(plan);
    return response;
  };
  /** Not an AWS operation: lets a test in another process await the background rotations. */
  const rotationsSettled: Operation = async (body) => {
    const secretId = new RequestReader(body).string('SecretId', SECRET_ID_LIMITS);
    if (secretId === undefined) await runner?.idle();
    else await runner?.settled(store.arnOf(secretId));
    return {};
  };
  return new Map<string, Operation>([
    ['CreateSecret', (body) => store.createSecret(body)],
    ['DescribeSecret', (body) => store.describeSecret(body)],
    ['GetSecretValue', (body) => store.getSecretValue(body)],
    ['PutSecretValue', (body) => store.putSecretValue(body)],
    ['UpdateSecret', (body) => store.updateSecret(body)],
    ['UpdateSecretVersionStage', (body) => store.updateSecretVersionStage(body)],
    ['ListSecretVersionIds', (body) => store.listSecretVersionIds(body)],
    ['ListSecrets', (body) => store.listSecrets(body)],
    ['RotateSecret', rotateSecret],
    ['CancelRotateSecret', (body) => store.cancelRotateSecret(body)],
    ['DeleteSecret', (body) => store.deleteSecret(body)],
    ['RestoreSecret', (body) => store.restoreSecret(body)],
    ['TagResource', (body) => store.tagResource(body)],
    ['UntagResource', (body) => store.untagResource(body)],
    ['GetRandomPassword', (body) => store.getRandomPassword(body)],
    ['EmulatorRotationsSettled', rotationsSettled],
  ]);
}

/**
 * Starts a Secrets Manager emulator on `host:port` (127.0.0.1 and a free port by default).
 *
 * @example
 * const emulator = await startSecretsManagerEmulator({ region: 'eu-central-1' });
 * const client = new SecretsManagerClient({ region: 'eu-central-1', endpoint: emulator.url,
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * await client.send(new CreateSecretCommand({ Name: 'db', SecretString: 's3cret' }));
 * await emulator.close();
 */
export async function startSecretsManagerEmulator(
  options: SecretsManagerEmulatorOptions = {},
): Promise<RunningSecretsManagerEmulator> {
  const host = options.host ?? '127.0.0.1';
  const store = new SecretStore({
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '123456789012',
    clock: options.clock ?? (() => new Date()),
    canInvokeRotationFunction: options.invokeRotationFunction !== undefined,
    snapshot: options.dataFile === undefined ? undefined : loadDataFile(options.dataFile),
  });
  const rotationErrors: RotationFailure[] = [];
  const tell =
    options.onRotationError ??
    ((failure: RotationFailure) =>
      process.stderr.write(
        `secrets-manager: rotation of ${failure.secretArn} failed in ${failure.step}: ${failure.message}\n`,
      ));
  const report = (failure: RotationFailure): void => {
    rotationErrors.push(failure);
    tell(failure);
  };
  const persist = createPersister(store, options.dataFile);
  const runner =
    options.invokeRotationFunction === undefined
      ? undefined
      : new RotationRunner(store, options.invokeRotationFunction, {
          attempts: options.rotationAttempts ?? 3,
          retryDelayMs: options.rotationRetryDelayMs ?? 1000,
          report,
          changed: () => {
            try {
              persist();
            } catch (error) {
              process.stderr.write(`secrets-manager: cannot write the data file: ${errorMessage(error)}\n`);
            }
          },
        });
  const operations = createOperations(store, runner);
  const server = await serveAwsJson({
    name: 'secrets-manager',
    targetPrefix: 'secretsmanager',
    contentType: 'application/x-amz-json-1.1',
    internalErrorType: 'InternalServiceError',
    unsupportedBy: 'this emulator',
    maxBodyBytes: MAX_BODY_BYTES,
    operations,
    faults: 'secretsManager',
    afterEach: () => {
      try {
        persist();
      } catch (error) {
        throw new Error(`cannot write the data file: ${errorMessage(error)}`);
      }
    },
    host,
    port: options.port ?? 0,
    ...(options.authorize ? { authorize: withSecretArns(options.authorize, store) } : {}),
  });
  return {
    url: server.url,
    port: server.port,
    rotationErrors,
    whenRotationSettled: async (secretId) => runner?.settled(store.arnOf(secretId)),
    rotationsIdle: async () => runner?.idle(),
    close: () => {
      runner?.stop();
      return server.close();
    },
  };
}

/** Gives an IAM check the full ARN of the secret a call names (IAM judges ARNs, callers name secrets). */
function withSecretArns(
  authorize: NonNullable<SecretsManagerEmulatorOptions['authorize']>,
  store: SecretStore,
): (call: AwsJsonCall) => Promise<void> {
  const describe = (secretId: string) => {
    try {
      return store.describeSecret({ SecretId: secretId });
    } catch {
      return undefined;
    }
  };
  return (call) => authorize({ ...call, describe });
}
