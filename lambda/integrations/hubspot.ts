import { HubSpotUnavailableError } from '../contract/errors.ts';
import { ACCESS_TOKEN_INFO_PATH, DEFAULT_HUBSPOT_API_URL } from '../contract/hubspotApi.ts';

/** What HubSpot says about a token it accepts. */
export interface HubSpotTokenInfo {
  readonly hubId: number;
  readonly appId?: number;
  readonly userId?: number;
  readonly scopes: readonly string[];
}

/** HubSpot's verdict on a token: it accepts it (with its portal and scopes), or refuses it. */
export type HubSpotTokenVerdict =
  | { readonly accepted: true; readonly info: HubSpotTokenInfo }
  | { readonly accepted: false; readonly status: number };

export interface HubSpotClientOptions {
  /** @default DEFAULT_HUBSPOT_API_URL */
  readonly apiUrl?: string;
  /** Milliseconds one request may take. @default 10_000 */
  readonly timeoutMs?: number;
  /** Attempts for 429 and 5xx, with exponential backoff. @default 4 */
  readonly maxAttempts?: number;
  /** The first backoff, doubled per attempt; a Retry-After header wins. @default 500 */
  readonly backoffMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * A total time budget: when it aborts, the lookup ends at once (during a request or a backoff) with a
   * HubSpotUnavailableError. The operator API gives its checks one well under API Gateway's 29 s.
   * @default none: attempts, timeouts and backoffs add up
   */
  readonly signal?: AbortSignal;
}

/** Resolves after `sleep(ms)`, or as soon as `signal` aborts. */
function pause(sleep: (ms: number) => Promise<void>, ms: number, signal: AbortSignal | undefined) {
  if (!signal) return sleep(ms);
  return new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    sleep(ms).then(resolve, resolve);
  });
}

function isTokenInfo(body: unknown): body is HubSpotTokenInfo {
  const info = body as Partial<HubSpotTokenInfo> | null;
  return (
    typeof info === 'object' &&
    info !== null &&
    typeof info.hubId === 'number' &&
    Array.isArray(info.scopes) &&
    info.scopes.every((scope) => typeof scope === 'string')
  );
}

/**
 * Asks HubSpot what a token is (`POST /oauth/v2/private-apps/get/access-token-info` with
 * `{"tokenKey": token}`): accepted, with its portal (hubId) and scopes, or refused (HubSpot's 4xx).
 * 429 and 5xx are retried with exponential backoff; a timeout or lasting unavailability is a
 * HubSpotUnavailableError whose message says so. The token never appears in an error or a log.
 *
 * @example
 * const verdict = await lookUpHubSpotToken(token, { apiUrl: app.hubspot.apiUrl });
 * if (verdict.accepted) console.log(verdict.info.hubId, verdict.info.scopes);
 */
export async function lookUpHubSpotToken(
  token: string,
  options: HubSpotClientOptions = {},
): Promise<HubSpotTokenVerdict> {
  const apiUrl = (options.apiUrl ?? DEFAULT_HUBSPOT_API_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const backoffMs = options.backoffMs ?? 500;
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const budget = options.signal;
  const overBudget = () =>
    new HubSpotUnavailableError(
      `HubSpot (${apiUrl}) gave no answer within the time this request allows; nothing was changed, try again later`,
    );
  let last = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (budget?.aborted) throw overBudget();
    let response: Response;
    try {
      response = await doFetch(`${apiUrl}${ACCESS_TOKEN_INFO_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          // Harmless for other tokens, and reported as needed for pat-eu1 tokens.
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ tokenKey: token }),
        signal: budget
          ? AbortSignal.any([AbortSignal.timeout(timeoutMs), budget])
          : AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (budget?.aborted) throw overBudget();
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new HubSpotUnavailableError(
          `HubSpot (${apiUrl}) did not answer within ${timeoutMs / 1000} s; nothing was changed, try again later`,
        );
      }
      last = `could not be reached (${name})`;
      if (attempt < maxAttempts) await pause(sleep, backoffMs * 2 ** (attempt - 1), budget);
      continue;
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      last = `answered ${response.status}`;
      if (attempt < maxAttempts) {
        const retryAfter = Number(response.headers.get('retry-after'));
        await pause(
          sleep,
          Number.isFinite(retryAfter) && retryAfter > 0
            ? Math.min(retryAfter * 1000, 30_000)
            : backoffMs * 2 ** (attempt - 1),
          budget,
        );
      }
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      return { accepted: false, status: response.status };
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (budget?.aborted) throw overBudget();
    if (!isTokenInfo(body)) {
      throw new HubSpotUnavailableError(
        `HubSpot (${apiUrl}) answered ${response.status} without a hubId and scopes; nothing was changed`,
      );
    }
    return {
      accepted: true,
      info: {
        hubId: body.hubId,
        scopes: [...body.scopes].sort(),
        ...(typeof body.appId === 'number' ? { appId: body.appId } : {}),
        ...(typeof body.userId === 'number' ? { userId: body.userId } : {}),
      },
    };
  }
  if (budget?.aborted) throw overBudget();
  throw new HubSpotUnavailableError(
    `HubSpot (${apiUrl}) ${last} on each of ${maxAttempts} attempts; nothing was changed, try again later`,
  );
}

/** The scopes one token has and the other has not, both ways. */
export function compareScopes(
  before: readonly string[],
  after: readonly string[],
): { added: string[]; removed: string[] } {
  return {
    added: after.filter((scope) => !before.includes(scope)).sort(),
    removed: before.filter((scope) => !after.includes(scope)).sort(),
  };
}
