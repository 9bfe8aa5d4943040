/**
 * The HTTP side of Rotor's AWS stand-ins that speak the AWS JSON protocol (the Secrets Manager
 * emulator and the local Step Functions service): `POST /` with `X-Amz-Target: <prefix>.<Operation>`
 * and a JSON body, answered with JSON or with `{__type, message}`; plus listening on and freeing a
 * port, which every local server does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AWS_JSON_FAULTS, localFaults } from './faults.ts';

/** An error a stand-in answers as AWS does: its `type` becomes the answer's `__type`. */
export class AwsServiceError extends Error {
  public readonly type: string;

  public constructor(type: string, message: string) {
    super(message);
    this.name = type;
    this.type = type;
  }
}

export type AwsJsonRequestBody = Readonly<Record<string, unknown>>;
export type AwsJsonResponseBody = Record<string, unknown>;
export type AwsJsonOperation = (
  body: AwsJsonRequestBody,
) => AwsJsonResponseBody | Promise<AwsJsonResponseBody>;

/** One call to an AWS JSON stand-in, as its IAM check sees it. */
export interface AwsJsonCall {
  readonly operation: string;
  readonly body: AwsJsonRequestBody;
  readonly accessKeyId: string | undefined;
}

/** The access key id of a SigV4-signed request (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyIdOf(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return /Credential=([^/,\s]+)\//.exec(header ?? '')?.[1];
}

export interface AwsJsonServerOptions {
  /** Names the stand-in in its stderr lines, e.g. `secrets-manager`. */
  readonly name: string;
  /** The X-Amz-Target prefix, e.g. `secretsmanager` or `AWSStepFunctions`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1` or `-1.0`, as the real service answers. */
  readonly contentType: string;
  /** The error type of an internal failure (answered with 500), e.g. `InternalServiceError`. */
  readonly internalErrorType: string;
  /** How an unsupported operation's message names the stand-in, e.g. `this emulator`. */
  readonly unsupportedBy: string;
  readonly maxBodyBytes: number;
  readonly operations: ReadonlyMap<string, AwsJsonOperation>;
  /**
   * Judges each call before it runs, as IAM does on AWS: throws (an AccessDeniedException) to refuse it.
   * Gets the operation, the request body and the access key id of the request's SigV4 signature.
   */
  readonly authorize?: (call: AwsJsonCall) => Promise<void>;
  /** Which service's planned faults (local/faults.ts) this stand-in answers with; none when absent. */
  readonly faults?: 'secretsManager' | 'stepFunctions';
  /** Runs after every request, answered or not (e.g. to save the state). */
  readonly afterEach?: () => void;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
}

export interface RunningAwsJsonServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The `Date` of an answer, in this process's time (local mode's virtual time when its clock is
 * installed; Node.js would stamp the real time). The AWS SDK compares it with its own clock: more than
 * four minutes apart, it "corrects the clock skew" and retries every 4xx answer (a failed condition, a
 * missing resource) up to its attempt limit, which AWS, whose clocks agree, never makes it do.
 */
export function httpDate(): string {
  return new Date().toUTCString();
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads a request body of at most `maxBytes`, or throws `tooLarge()`. */
export async function readBody(
  request: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Listens on `host:port` and resolves with the port (the free one chosen for 0). */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server and every connection it still holds, so its port is free at once. */
export function closeServer(server: {
  readonly listening?: boolean;
  close(callback: (error?: Error) => void): unknown;
  closeAllConnections?: () => void;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (server.listening === false) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections?.();
  });
}

function parseBody(text: string): AwsJsonRequestBody {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsServiceError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as AwsJsonRequestBody;
}

/** Serves `operations` over the AWS JSON protocol on 127.0.0.1 (by default) and a free port. */
export async function serveAwsJson(options: AwsJsonServerOptions): Promise<RunningAwsJsonServer> {
  const send = (response: ServerResponse, status: number, body: AwsJsonResponseBody) => {
    const payload = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': options.contentType,
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
      date: httpDate(),
    });
    response.end(payload);
  };
  const sendError = (response: ServerResponse, error: unknown) => {
    if (error instanceof AwsServiceError) {
      const status = error.type === options.internalErrorType ? 500 : 400;
      send(response, status, { __type: error.type, message: error.message });
      return;
    }
    process.stderr.write(
      `${options.name}: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    send(response, 500, { __type: options.internalErrorType, message: errorMessage(error) });
  };
  const operationName = (request: IncomingMessage): string => {
    const target = request.headers['x-amz-target'];
    const [prefix, operation] = typeof target === 'string' ? target.split('.', 2) : [];
    if (request.method !== 'POST' || prefix !== options.targetPrefix || !operation) {
      throw new AwsServiceError(
        'UnknownOperationException',
        `Expected POST / with X-Amz-Target: ${options.targetPrefix}.<Operation>, ` +
          `got ${request.method} ${request.url} with X-Amz-Target: ${String(target)}.`,
      );
    }
    return operation;
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    try {
      const name = operationName(request);
      // A planned fault (tests only): the call never reaches the operation, as in an outage.
      const fault =
        options.faults && !name.startsWith('Emulator')
          ? localFaults.takeCallFault(options.faults, accessKeyIdOf(request.headers.authorization))
          : undefined;
      if (fault && options.faults) {
        request.resume();
        const { type, status, message } = AWS_JSON_FAULTS[options.faults][fault];
        send(response, status, { __type: type, message });
        return;
      }
      const text = await readBody(
        request,
        options.maxBodyBytes,
        () => new AwsServiceError('ValidationException', 'The request is too large.'),
      );
      const body = parseBody(text.toString('utf8'));
      const operation = options.operations.get(name);
      if (operation === undefined) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The operation ${name} is not supported by ${options.unsupportedBy}.`,
        );
      }
      if (options.authorize) {
        await options.authorize({
          operation: name,
          body,
          accessKeyId: accessKeyIdOf(request.headers.authorization),
        });
      }
      send(response, 200, await operation(body));
    } catch (error) {
      sendError(response, error);
    } finally {
      try {
        options.afterEach?.();
      } catch (error) {
        process.stderr.write(`${options.name}: ${errorMessage(error)}\n`);
      }
    }
  };
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, close: () => closeServer(server) };
}
