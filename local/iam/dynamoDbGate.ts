import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { AwsServiceError, accessKeyIdOf, closeServer, listen, readBody } from '../awsJsonServer.ts';
import type { IamAuthority } from './authority.ts';

/** A running IAM gate in front of a DynamoDB stand-in. */
export interface DynamoDbGate {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The resource ARNs one DynamoDB request acts on: its table, or the index it queries, or each table of a batch. */
export function dynamoDbResources(
  operation: string,
  body: Record<string, unknown>,
  tableArn: (name: string) => string,
) {
  if (operation === 'ListTables') return ['*'];
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys((body.RequestItems ?? {}) as object).map(tableArn);
  }
  const table = tableArn(String(body.TableName ?? ''));
  return body.IndexName ? [`${table}/index/${String(body.IndexName)}`] : [table];
}

/**
 * Puts IAM in front of a DynamoDB stand-in (dynalite knows none): each request's caller, by the access
 * key it signed with, must be allowed `dynamodb:<Operation>` on the table (or index) it names, as AWS
 * evaluates it; else it is answered with DynamoDB's AccessDeniedException and never reaches the table.
 * Allowed requests pass through unchanged.
 */
export async function startDynamoDbGate(options: {
  readonly target: string;
  readonly iam: IamAuthority;
  readonly region: string;
  readonly accountId: string;
  readonly port?: number;
}): Promise<DynamoDbGate> {
  const target = new URL(options.target);
  /** Requests passed to the table and not yet answered: closing waits for them. */
  let inFlight = 0;
  let closing = false;
  const tableArn = (name: string) => `arn:aws:dynamodb:${options.region}:${options.accountId}:table/${name}`;
  const refuse = (response: ServerResponse, error: AwsServiceError) => {
    const payload = JSON.stringify({
      __type: `com.amazon.coral.service#${error.type}`,
      message: error.message,
    });
    response.writeHead(400, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(payload),
    });
    response.end(payload);
  };
  const serve = async (incoming: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(
      incoming,
      16 * 1024 * 1024,
      () => new AwsServiceError('ValidationException', 'The request is too large.'),
    );
    const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let parsed: Record<string, unknown> = {};
    try {
      parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      // dynalite answers malformed bodies itself.
    }
    try {
      for (const resource of dynamoDbResources(operation, parsed, tableArn)) {
        await options.iam.authorize({
          accessKeyId: accessKeyIdOf(incoming.headers.authorization),
          action: `dynamodb:${operation}`,
          resource,
        });
      }
    } catch (error) {
      if (error instanceof AwsServiceError) return refuse(response, error);
      throw error;
    }
    // Closing: the caller is gone, and the table may be.
    if (closing) {
      response.destroy();
      return;
    }
    inFlight += 1;
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.on('end', finished);
        answer.on('close', finished);
        answer.pipe(response);
      },
    );
    forwarded.on('error', (error) => {
      finished();
      response.destroy(error);
    });
    forwarded.end(body);
  };
  const server = createServer((incoming, response) => {
    serve(incoming, response).catch((error: Error) => {
      if (!response.headersSent) refuse(response, new AwsServiceError('InternalServerError', error.message));
    });
  });
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    // The table behind may close right after: dynalite throws on a request that reaches it closed, so
    // nothing passed on may still be under way (at most a few seconds, for a request that hangs).
    close: async () => {
      closing = true;
      await closeServer(server);
      for (let waited = 0; inFlight > 0 && waited < 5_000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
