/**
 * A local fake of the one HubSpot endpoint Rotor calls, for the tests and local mode: a real HTTP server
 * on 127.0.0.1 that answers `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey"}`
 * as HubSpot does (200 `{userId, hubId, appId, scopes}` or 401), from portals, apps and tokens that the
 * caller sets up. It also plays HubSpot's settings page: `rotate` issues an app's new token and lets the
 * old one expire after 7 days ("Rotate and expire later"), `expireNow` and `cancelRotation` do what
 * the buttons of the same names do. Time is `Date.now()`, so local mode's virtual clock applies.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ACCESS_TOKEN_INFO_PATH } from '../../lambda/contract/hubspotApi.ts';
import { closeServer, listen } from '../awsJsonServer.ts';

/** HubSpot keeps the old token of a "Rotate and expire later" this long. */
export const HUBSPOT_GRACE_MS = 7 * 86_400_000;

export interface FakeTokenSettings {
  readonly hubId: number;
  readonly scopes: readonly string[];
  /** @default 1 */
  readonly appId?: number;
  /** @default 42 */
  readonly userId?: number;
  /** Epoch ms after which HubSpot refuses the token; none: it never expires. */
  readonly expiresAt?: number;
}

interface FakeToken extends FakeTokenSettings {
  revoked: boolean;
  expiresAt?: number;
}

export interface FakeHubSpotOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
}

/** One answer the fake gives instead of the real one (to test retries and timeouts). */
export type FakeFault = { readonly status: number } | { readonly delayMs: number };

export interface FakeHubSpot {
  /** The base URL to give as the HubSpot API URL. */
  readonly url: string;
  readonly port: number;
  /** A new private-app token (`pat-eu1-…`) in this portal with these scopes. */
  issueToken(settings: FakeTokenSettings): string;
  /**
   * "Rotate" on the app's Auth page: a new token for the same portal and app (with `scopes`, default
   * the old token's). `expireOld: 'later'` (default) keeps the old one valid for 7 days, `'now'` ends it
   * at once, `'never'` plays a HubSpot that fails to expire it.
   */
  rotate(
    oldToken: string,
    options?: { scopes?: readonly string[]; expireOld?: 'later' | 'now' | 'never' },
  ): string;
  /** "Expire now": HubSpot refuses the token from now on. */
  expireNow(token: string): void;
  /** "Cancel rotation": the old token is valid again with no expiry, the new one is refused. */
  cancelRotation(oldToken: string, newToken: string): void;
  /** Changes a token's expiry (epoch ms, or undefined for none). */
  setExpiry(token: string, expiresAt: number | undefined): void;
  /** Whether the fake accepts the token now. */
  accepts(token: string): boolean;
  /** The next answers are these faults, in order, before real answers resume. */
  injectFaults(...faults: FakeFault[]): void;
  /** How many token-info requests it got. */
  requestCount(): number;
  close(): Promise<void>;
}

function newTokenValue(): string {
  return `pat-eu1-${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(6).toString('hex')}`;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.from(chunk as Buffer));
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Starts the fake on 127.0.0.1.
 *
 * @example
 * const hubspot = await startFakeHubSpot();
 * const token = hubspot.issueToken({ hubId: 4711, scopes: ['crm.objects.contacts.read'] });
 * const next = hubspot.rotate(token); // the old token expires in 7 days
 * await hubspot.close();
 */
export async function startFakeHubSpot(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  const tokens = new Map<string, FakeToken>();
  const faults: FakeFault[] = [];
  let requests = 0;
  const known = (token: string): FakeToken => {
    const entry = tokens.get(token);
    if (!entry) throw new Error('the fake HubSpot issued no such token');
    return entry;
  };
  const accepts = (token: string): boolean => {
    const entry = tokens.get(token);
    return Boolean(
      entry && !entry.revoked && (entry.expiresAt === undefined || Date.now() < entry.expiresAt),
    );
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST' || request.url !== ACCESS_TOKEN_INFO_PATH) {
        answer(response, 404, {
          status: 'error',
          message: 'resource not found',
          category: 'OBJECT_NOT_FOUND',
        });
        return;
      }
      requests += 1;
      const body = (await readJson(request)) as { tokenKey?: unknown } | undefined;
      const fault = faults.shift();
      if (fault && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault && 'status' in fault) {
        answer(response, fault.status, {
          status: 'error',
          message: 'injected fault',
          category: 'RATE_LIMITS',
        });
        return;
      }
      const token = typeof body?.tokenKey === 'string' ? body.tokenKey : '';
      const entry = tokens.get(token);
      if (!entry || !accepts(token)) {
        answer(response, 401, {
          status: 'error',
          message: 'The access token is invalid, expired or revoked.',
          category: 'INVALID_AUTHENTICATION',
        });
        return;
      }
      answer(response, 200, {
        userId: entry.userId ?? 42,
        hubId: entry.hubId,
        appId: entry.appId ?? 1,
        scopes: [...entry.scopes],
      });
    })().catch(() => {
      if (!response.headersSent) answer(response, 500, { status: 'error', message: 'fake failed' });
    });
  });
  const port = await listen(server, options.port ?? 0);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    issueToken: (settings) => {
      const token = newTokenValue();
      tokens.set(token, { ...settings, scopes: [...settings.scopes], revoked: false });
      return token;
    },
    rotate: (oldToken, rotateOptions = {}) => {
      const old = known(oldToken);
      const token = newTokenValue();
      tokens.set(token, {
        hubId: old.hubId,
        appId: old.appId ?? 1,
        userId: old.userId ?? 42,
        scopes: [...(rotateOptions.scopes ?? old.scopes)],
        revoked: false,
      });
      const expireOld = rotateOptions.expireOld ?? 'later';
      if (expireOld === 'now') old.revoked = true;
      if (expireOld === 'later') old.expiresAt = Date.now() + HUBSPOT_GRACE_MS;
      return token;
    },
    expireNow: (token) => {
      known(token).revoked = true;
    },
    cancelRotation: (oldToken, newToken) => {
      const old = known(oldToken);
      old.revoked = false;
      old.expiresAt = undefined;
      known(newToken).revoked = true;
    },
    setExpiry: (token, expiresAt) => {
      known(token).expiresAt = expiresAt;
    },
    accepts,
    injectFaults: (...more) => {
      faults.push(...more);
    },
    requestCount: () => requests,
    close: () => closeServer(server),
  };
}
