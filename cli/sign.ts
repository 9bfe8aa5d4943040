import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as the default chain resolves them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the SigV4 signer wants. */
export class NodeSha256 {
  readonly #secret?: SourceData;
  #hash: Hash | Hmac;

  public constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(this.#secret));
  }

  public update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }

  public async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  public reset(): void {
    this.#hash = this.#create();
  }
}

/** The request as it is signed: the signer and the local API's verifier build it the same way. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of url.searchParams) {
    const existing = Object.hasOwn(query, key) ? query[key] : undefined;
    query[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  }
  return query;
}

/**
 * Milliseconds since the epoch by the wall clock, even where `Date` is virtual: local mode's demo
 * signs, and its API checks signatures, inside the process whose Date runs days ahead.
 */
export function wallClockNow(): number {
  return performance.timeOrigin + performance.now();
}

export function signer(credentials: AwsCredentials, region: string): SignatureV4 {
  return new SignatureV4({ credentials, region, service: 'execute-api', sha256: NodeSha256 });
}

/**
 * Signs a request for API Gateway with AWS Signature Version 4 (service `execute-api`) and returns
 * the headers to send: the given ones plus host, x-amz-date, authorization (and the session token).
 *
 * @example
 * const headers = await signRequest({ method: 'GET', url: new URL(`${api}/apps`), headers: {} }, credentials, 'eu-central-1');
 */
export async function signRequest(
  request: SignableRequest,
  credentials: AwsCredentials,
  region: string,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const signed = await signer(credentials, region).sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query: queryOf(request.url),
      headers: { ...request.headers, host: request.url.host },
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    // API Gateway refuses signatures five minutes off real time, whatever Date says here.
    { signingDate: signingDate ?? new Date(wallClockNow()) },
  );
  return signed.headers as Record<string, string>;
}
