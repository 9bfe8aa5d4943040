import { randomUUID } from 'node:crypto';
import { IDEMPOTENCY_HEADER, STACK_OUTPUTS } from '../lambda/contract/routes.ts';
import {
  type ApiClient,
  type ApiRequest,
  type CliIo,
  CommandFailedError,
  type ConnectionOptions,
  UsageError,
} from './io.ts';
import { localStateFile, readLocalState } from './localState.ts';
import { type AwsCredentials, signRequest } from './sign.ts';

/** An answer of the API that is not a success; its message is the API's one sentence. */
export class ApiError extends Error {
  public constructor(
    public readonly status: number,
    message: string,
    public readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

/** One request's attempts: the first and up to three retries, after 0.5, 1 and 2 seconds. */
const MAX_ATTEMPTS = 4;
const FIRST_BACKOFF_MS = 500;

/**
 * Whether an answer is worth sending the same request again: throttling, a 5xx (API Gateway's 504 after
 * 29 s among them, while the action may have finished) and the API's "the first request with this key
 * is still in progress". A change request carries the same Idempotency-Key each time, so a retry never
 * acts twice.
 */
function worthRetrying(status: number, code: string | undefined): boolean {
  return status === 429 || status >= 500 || (status === 409 && code === 'IdempotencyKeyInProgressError');
}

function regionOfUrl(url: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url)?.[1];
}

function checkUrl(url: string, from: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new UsageError(
      `${from} must be the operator API's URL, such as https://abc123.execute-api.eu-central-1.amazonaws.com/v1`,
    );
  }
  return url.replace(/\/+$/, '');
}

async function localConnection(io: Pick<CliIo, 'env'>) {
  const file = localStateFile(io.env);
  const state = await readLocalState(file).catch((error: Error) => {
    throw new CommandFailedError(error.message);
  });
  if (!state) {
    throw new CommandFailedError(
      `no local Rotor is running (there is no ${file}); start one with "npm start"`,
    );
  }
  try {
    process.kill(state.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
      throw new CommandFailedError(
        `the local Rotor (process ${state.pid}) is not running any more; start it with "npm start"`,
      );
    }
  }
  return {
    url: checkUrl(state.apiUrl, `apiUrl in ${file}`),
    region: state.region,
    credentials: { accessKeyId: state.accessKeyId, secretAccessKey: state.secretAccessKey },
  };
}

async function stackApiUrl(stack: string, region: string): Promise<string> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({ region });
  let outputs: { OutputKey?: string; OutputValue?: string }[] | undefined;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = Stacks?.[0]?.Outputs;
  } catch (error) {
    throw new CommandFailedError(
      `cannot read the outputs of stack ${stack} in ${region} (${(error as Error).message}); pass --api-url, set ROTOR_API_URL, or use --local`,
    );
  }
  const url = outputs?.find((output) => output.OutputKey === STACK_OUTPUTS.apiUrl)?.OutputValue;
  if (!url) {
    throw new CommandFailedError(
      `stack ${stack} in ${region} has no ${STACK_OUTPUTS.apiUrl} output; deploy Rotor, or pass --api-url`,
    );
  }
  return url;
}

async function defaultCredentials(env: NodeJS.ProcessEnv): Promise<AwsCredentials> {
  // The default chain looks at the environment first; reading it here saves loading the chain.
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  try {
    return await defaultProvider()();
  } catch (error) {
    throw new CommandFailedError(
      `no AWS credentials found (${(error as Error).message}); sign in with "aws sso login" or set AWS_PROFILE`,
    );
  }
}

/**
 * Finds the operator API and returns a client that signs every request with SigV4: the URL from
 * `--api-url`, else `--local` (the local-mode state file, with its credentials), else `ROTOR_API_URL`,
 * else the deployed stack's OperatorApiUrl output (CloudFormation DescribeStacks); credentials from the
 * default AWS chain. Each change request (POST, PATCH, DELETE) carries a fresh `Idempotency-Key`; a request is
 * sent again, with the same key, after a network error, a 429 or a 5xx, a few times with a short backoff.
 */
export async function connect(
  options: ConnectionOptions,
  io: Pick<CliIo, 'env'> & Partial<Pick<CliIo, 'sleep'>>,
): Promise<ApiClient> {
  const env = io.env;
  let url: string;
  let region: string | undefined = options.region;
  let credentials: AwsCredentials | undefined;
  if (options.apiUrl) {
    url = checkUrl(options.apiUrl, '--api-url');
  } else if (options.local) {
    const local = await localConnection(io);
    url = local.url;
    region ??= local.region;
    credentials = local.credentials;
  } else if (env.ROTOR_API_URL) {
    url = checkUrl(env.ROTOR_API_URL, 'ROTOR_API_URL');
  } else {
    const lookupRegion = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!lookupRegion) {
      throw new UsageError(
        'no region to look for the Rotor stack in; set AWS_REGION, pass --region, or pass --api-url',
      );
    }
    url = checkUrl(
      await stackApiUrl(options.stack ?? env.ROTOR_STACK ?? 'Rotor', lookupRegion),
      'the stack output',
    );
  }
  region ??= regionOfUrl(url) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no region to sign requests for; set AWS_REGION or pass --region');
  const signingRegion = region;
  credentials ??= await defaultCredentials(env);
  const signing = credentials;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // ROTOR_RETRY_MS sets the first backoff (the next ones double it), as ROTOR_POLL_MS sets --wait's polling.
  const firstBackoffMs = Number(env.ROTOR_RETRY_MS) || FIRST_BACKOFF_MS;

  return {
    url,
    async request<T>(method: string, path: string, request: ApiRequest = {}): Promise<T> {
      const target = new URL(`${url}${path}`);
      for (const [key, value] of Object.entries(request.query ?? {})) target.searchParams.set(key, value);
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      // One key per change request, the same on every attempt: the API acts once and replays its answer.
      const key = method === 'GET' ? undefined : randomUUID();
      let response: Response | undefined;
      let parsed: Record<string, unknown> | undefined;
      for (let attempt = 1; ; attempt += 1) {
        const last = attempt === MAX_ATTEMPTS;
        const headers = await signRequest(
          {
            method,
            url: target,
            headers: {
              accept: 'application/json',
              ...(body ? { 'content-type': 'application/json' } : {}),
              ...(key ? { [IDEMPOTENCY_HEADER]: key } : {}),
            },
            ...(body !== undefined ? { body } : {}),
          },
          signing,
          signingRegion,
        );
        try {
          response = await fetch(target, {
            method,
            headers,
            ...(body !== undefined ? { body } : {}),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
        } catch (error) {
          if (!last) {
            await sleep(firstBackoffMs * 2 ** (attempt - 1));
            continue;
          }
          const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
          throw new CommandFailedError(`cannot reach the operator API at ${url} (${cause})`);
        }
        const text = await response.text();
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = undefined;
        }
        const code = typeof parsed?.code === 'string' ? parsed.code : undefined;
        if (response.ok || last || !worthRetrying(response.status, code)) break;
        await sleep(firstBackoffMs * 2 ** (attempt - 1));
      }
      if (!response.ok) {
        const message =
          typeof parsed?.message === 'string' && parsed.message
            ? parsed.message
            : `the operator API answered ${response.status} ${response.statusText}`;
        throw new ApiError(
          response.status,
          message,
          typeof parsed?.code === 'string' ? parsed.code : undefined,
        );
      }
      if (!parsed) throw new CommandFailedError(`the operator API answered ${response.status} without JSON`);
      return parsed as T;
    },
  };
}
