import { signRequest } from '../../cli/sign.ts';
import { type LocalApi, type LocalApiUser, startLocalApi } from '../../local/api/server.ts';
import { type LocalSystemOptions, operatorApiOf } from '../../local/system.ts';
import { startTestSystem, type TestSystem } from './localSystem.ts';

/** The local API's users: two operators and one with the read-only policy. */
export const ALICE: LocalApiUser = {
  accessKeyId: 'AKIALOCALALICE000001',
  secretAccessKey: 'alice-local-secret',
  userName: 'alice',
};
export const BOB: LocalApiUser = {
  accessKeyId: 'AKIALOCALBOB00000001',
  secretAccessKey: 'bob-local-secret',
  userName: 'bob',
};
export const READER: LocalApiUser = {
  accessKeyId: 'AKIALOCALREADER00001',
  secretAccessKey: 'reader-local-secret',
  userName: 'reader',
  readOnly: true,
};
export const ACCOUNT = '123456789012';
export const arnOf = (user: LocalApiUser) => `arn:aws:iam::${ACCOUNT}:user/${user.userName}`;

export interface ApiAnswer {
  readonly status: number;
  /** The body parsed as JSON (`undefined` if it is not JSON). */
  readonly body: Record<string, unknown> & { message?: string };
  readonly text: string;
}

export interface CallOptions {
  readonly body?: unknown;
  /** A body sent exactly as given (not JSON-encoded). */
  readonly rawBody?: string;
  readonly query?: Record<string, string>;
  /** @default ALICE */
  readonly user?: LocalApiUser;
  /** Send it without a signature. */
  readonly unsigned?: boolean;
  /** More headers, signed with the rest (such as `Idempotency-Key`). */
  readonly headers?: Record<string, string>;
}

/** A local Rotor with the operator API in front of it, and a signed client for it. */
export interface ApiTestSystem {
  readonly system: TestSystem;
  readonly api: LocalApi;
  call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** Sends one request to the local API, signed as `user` (SigV4, as the CLI signs). */
export async function callApi(api: LocalApi, method: string, path: string, options: CallOptions = {}) {
  return (await signedRequest(api, method, path, options))();
}

/**
 * Signs one request to the local API as `user` and returns a function that sends it: each call sends
 * the very same signed request again, as a replay within SigV4's five minutes would.
 */
export async function signedRequest(
  api: LocalApi,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<() => Promise<ApiAnswer>> {
  const url = new URL(`${api.url}${path}`);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.append(key, value);
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const user = options.user ?? ALICE;
  const headers: Record<string, string> = {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  const signed = options.unsigned
    ? headers
    : await signRequest(
        { method, url, headers, ...(body !== undefined ? { body } : {}) },
        user,
        // signRequest signs with the wall clock, as the CLI does, even when a test runs Date virtually.
        'eu-central-1',
      );
  return async () => {
    const response = await fetch(url, { method, headers: signed, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: ApiAnswer['body'];
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined as unknown as ApiAnswer['body'];
    }
    return { status: response.status, body: parsed, text };
  };
}

/** Starts the stand-ins, the real workflows and the local operator API for one test file. */
export async function startApiTestSystem(options: LocalSystemOptions = {}): Promise<ApiTestSystem> {
  const system = await startTestSystem(options);
  const api = await startLocalApi({
    credentials: [ALICE, BOB, READER],
    accountId: ACCOUNT,
    handler: operatorApiOf(system),
  });
  return {
    system,
    api,
    call: (method, path, callOptions) => callApi(api, method, path, callOptions),
    close: async () => {
      await api.close();
      await system.close();
    },
  };
}

/** One sentence: one line, a capital letter first and a full stop last. */
export function isOneSentence(message: unknown): boolean {
  return (
    typeof message === 'string' &&
    message.length > 0 &&
    message.length <= 600 &&
    !message.includes('\n') &&
    /^[A-Z]/.test(message) &&
    message.endsWith('.')
  );
}
