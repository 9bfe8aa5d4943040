import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { signer, wallClockNow } from '../../cli/sign.ts';
import { API_STAGE, matchRoute } from '../../lambda/contract/routes.ts';
import { closeServer, listen, readBody } from '../awsJsonServer.ts';

/** One local IAM user of the local operator API. */
export interface LocalApiUser {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The IAM user name in the caller's ARN. @default 'local-admin' */
  readonly userName?: string;
  /** Only GET requests, as with the stack's read-only policy. @default false */
  readonly readOnly?: boolean;
}

export interface LocalApiOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The users whose signatures the API accepts. */
  readonly credentials: LocalApiUser | readonly LocalApiUser[];
  /** @default '123456789012' */
  readonly accountId?: string;
  /** The region requests must be signed for. @default 'eu-central-1' */
  readonly region?: string;
  /** Runs the operator API function for one proxy event, as API Gateway invokes it (the local system's `invoke`). */
  readonly handler: (event: APIGatewayProxyEvent) => Promise<unknown>;
}

export interface LocalApi {
  /** The API's base URL, with the stage, as the stack's OperatorApiUrl output has it (without the slash). */
  readonly url: string;
  close(): Promise<void>;
}

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const MAX_BODY_BYTES = 1024 * 1024;
/** API Gateway refuses signatures more than five minutes off. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

class Refusal extends Error {
  public constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function parseAmzDate(text: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Checks a request's AWS Signature Version 4 as API Gateway's IAM authorization does: the key must
 * be a known one, the scope this region and `execute-api`, the time within five minutes, and the
 * signature over the signed headers, path, query and body must match. Returns the signing user.
 */
async function verifySignature(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  users: ReadonlyMap<string, LocalApiUser>,
  region: string,
): Promise<LocalApiUser> {
  const authorization = headerValue(request, 'authorization');
  if (!authorization) {
    throw new Refusal(
      403,
      'Missing Authentication Token: the operator API needs requests signed with AWS Signature Version 4.',
    );
  }
  const match = AUTHORIZATION.exec(authorization);
  if (!match) throw new Refusal(403, 'The Authorization header is not an AWS Signature Version 4 header.');
  const [, accessKeyId, scopeDate, scopeRegion, service, signedHeaders, signature] =
    match as unknown as string[];
  const user = users.get(accessKeyId as string);
  if (!user) throw new Refusal(403, 'The security token included in the request is invalid.');
  if (scopeRegion !== region || service !== 'execute-api') {
    throw new Refusal(403, `Credential should be scoped to region ${region} and service execute-api.`);
  }
  const signingDate = parseAmzDate(headerValue(request, 'x-amz-date'));
  if (!signingDate || signingDate.toISOString().slice(0, 10).replaceAll('-', '') !== scopeDate) {
    throw new Refusal(403, 'The request needs an X-Amz-Date header matching the credential scope date.');
  }
  // The signer's clock is real; local mode's Date may run on a virtual clock days ahead.
  if (Math.abs(wallClockNow() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new Refusal(403, 'Signature expired: the request was signed more than five minutes from now.');
  }
  // The signer may send the payload's hash as a header; it must be the hash of this body.
  const payloadHash = headerValue(request, 'x-amz-content-sha256');
  if (payloadHash !== undefined && payloadHash !== createHash('sha256').update(body).digest('hex')) {
    throw new Refusal(403, 'The x-amz-content-sha256 header does not match the request body.');
  }
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host')) throw new Refusal(403, 'The signature must cover the host header.');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = headerValue(request, name);
    if (value === undefined) throw new Refusal(403, `The signed header ${name} is missing from the request.`);
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of url.searchParams) {
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    query[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  }
  const expected = await signer(
    { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    region,
  ).sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate },
  );
  const expectedMatch = AUTHORIZATION.exec(String(expected.headers.authorization));
  const ok =
    expectedMatch?.[5] === signedHeaders &&
    timingSafeEqual(Buffer.from(expectedMatch?.[6] ?? ''.padEnd(64, '0')), Buffer.from(signature as string));
  if (!ok) {
    throw new Refusal(
      403,
      'The request signature we calculated does not match the signature you provided; check the secret access key and the signing method.',
    );
  }
  return user;
}

function firstValues(params: URLSearchParams) {
  const single: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  for (const [key, value] of params) {
    single[key] = value;
    multi[key] = [...(Object.hasOwn(multi, key) ? (multi[key] as string[]) : []), value];
  }
  return Object.keys(single).length > 0 ? { single, multi } : { single: null, multi: null };
}

/**
 * Starts the operator API on 127.0.0.1 the way API Gateway runs it: every request must carry a valid
 * SigV4 signature of one of the given users (else 403, as with IAM authorization), becomes a REST
 * proxy event with the user's IAM ARN in `requestContext.identity.userArn`, and is answered by the
 * operator API function of the local system (`handler`), in its own execution environment.
 *
 * @example
 * const api = await startLocalApi({ credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, handler: operatorApiOf(system) });
 * // ROTOR_API_URL=${api.url} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local npx rotor apps list
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'eu-central-1';
  const users = new Map(
    ([] as LocalApiUser[]).concat(options.credentials).map((user) => [user.accessKeyId, user]),
  );
  const handler = options.handler as Handler;
  const apiId = 'local';

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const stagePrefix = `/${API_STAGE}`;
    if (url.pathname !== stagePrefix && !url.pathname.startsWith(`${stagePrefix}/`)) {
      throw new Refusal(403, `Missing Authentication Token: the API's paths start with ${stagePrefix}/.`);
    }
    url.host = headerValue(request, 'host') ?? url.host;
    const body = await readBody(
      request,
      MAX_BODY_BYTES,
      () => new Refusal(413, 'The request body is larger than 1 MB.'),
    );
    const user = await verifySignature(request, url, body, users, region);
    const userName = user.userName ?? 'local-admin';
    const userArn = `arn:aws:iam::${accountId}:user/${userName}`;
    const path = url.pathname.slice(stagePrefix.length) || '/';
    const match = matchRoute(method, path);
    if (user.readOnly && method !== 'GET') {
      throw new Refusal(
        403,
        `User: ${userArn} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:${region}:${accountId}:${apiId}/${API_STAGE}/${method}${path}.`,
      );
    }
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(',') : value;
      multiValueHeaders[name] = ([] as string[]).concat(value);
    }
    const query = firstValues(url.searchParams);
    const requestId = randomUUID();
    const event: APIGatewayProxyEvent = {
      resource: match.resource ?? path,
      path: safeDecodePath(path),
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      pathParameters:
        match.resource && Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId,
        apiId,
        authorizer: null,
        protocol: 'HTTP/1.1',
        httpMethod: method,
        path: url.pathname,
        stage: API_STAGE,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: apiId,
        resourcePath: match.resource ?? path,
        identity: {
          accessKey: user.accessKeyId,
          accountId,
          apiKey: null,
          apiKeyId: null,
          caller: `AIDALOCAL${userName.toUpperCase()}`,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          user: `AIDALOCAL${userName.toUpperCase()}`,
          userAgent: headers['user-agent'] ?? null,
          userArn,
        },
      },
    };
    let result: APIGatewayProxyResult;
    try {
      result = await handler(event);
    } catch (error) {
      // What API Gateway answers when the function fails.
      process.stderr.write(`local operator API: the handler failed: ${(error as Error).name}\n`);
      send(response, 502, { message: 'Internal server error' });
      return;
    }
    const resultHeaders = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    send(response, result.statusCode, result.body ?? '', { 'x-amzn-requestid': requestId, ...resultHeaders });
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof Refusal) send(response, error.status, { message: error.message });
      else send(response, 500, { message: 'Internal server error' });
    });
  });
  const port = await listen(server, options.port ?? 0);
  return { url: `http://127.0.0.1:${port}/${API_STAGE}`, close: () => closeServer(server) };
}

/** API Gateway hands the handler a decoded path; a path that does not decode is passed as it is. */
function safeDecodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
