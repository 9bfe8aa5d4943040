import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CONSOLE_STAGE } from '../../lambda/contract/console.ts';
import { closeServer, listen, readBody } from '../awsJsonServer.ts';

export interface LocalConsoleOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Runs the console function for one proxy event, as API Gateway invokes it. */
  readonly handler: (event: APIGatewayProxyEvent) => Promise<unknown>;
}

export interface LocalConsole {
  /** The console's URL with its stage, as the stack's ConsoleUrl output has it (without the slash). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** What API Gateway takes in a request body. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

class Refusal extends Error {
  public constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, message: string) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message }));
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Starts the Rotor Console on 127.0.0.1 as API Gateway runs it: a REST API without authorization whose
 * stage is `console`, every request a proxy event (`{proxy+}`, ANY) for the console function, with the
 * client's address as `requestContext.identity.sourceIp`, and its answer's headers and cookies as
 * API Gateway writes them (`multiValueHeaders` included).
 */
export async function startLocalConsole(options: LocalConsoleOptions): Promise<LocalConsole> {
  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const stagePrefix = `/${CONSOLE_STAGE}`;
    if (url.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      response.writeHead(302, { location: `${stagePrefix}/` });
      response.end();
      return;
    }
    if (url.pathname !== stagePrefix && !url.pathname.startsWith(`${stagePrefix}/`)) {
      throw new Refusal(403, `Missing Authentication Token: the console's paths start with ${stagePrefix}/.`);
    }
    const body = await readBody(request, MAX_BODY_BYTES, () => new Refusal(413, 'Request Too Long'));
    const path = url.pathname.slice(stagePrefix.length) || '/';
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      headers[name] = Array.isArray(value) ? value.join(',') : value;
      multiValueHeaders[name] = ([] as string[]).concat(value);
    }
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const requestId = randomUUID();
    const event = {
      resource: path === '/' ? '/' : '/{proxy+}',
      path: decoded(path),
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: path === '/' ? null : { proxy: decoded(path.slice(1)) },
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '123456789012',
        apiId: 'local-console',
        httpMethod: method,
        path: url.pathname,
        stage: CONSOLE_STAGE,
        requestId,
        requestTimeEpoch: Date.now(),
        resourcePath: path === '/' ? '/' : '/{proxy+}',
        identity: {
          sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? null,
        },
      },
    } as unknown as APIGatewayProxyEvent;
    let result: APIGatewayProxyResult;
    try {
      result = (await options.handler(event)) as APIGatewayProxyResult;
    } catch (error) {
      process.stderr.write(`local console: the handler failed: ${(error as Error).name}\n`);
      sendJson(response, 502, 'Internal server error');
      return;
    }
    const out: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [name, value] of Object.entries(result.headers ?? {})) out[name.toLowerCase()] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
      out[name.toLowerCase()] = values.map(String);
    }
    response.writeHead(result.statusCode, out);
    response.end(method === 'HEAD' ? undefined : (result.body ?? ''));
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof Refusal) sendJson(response, error.status, error.message);
      else sendJson(response, 500, 'Internal server error');
    });
  });
  const port = await listen(server, options.port ?? 0);
  return { url: `http://127.0.0.1:${port}/${CONSOLE_STAGE}`, port, close: () => closeServer(server) };
}
