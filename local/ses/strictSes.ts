import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { emailAddressProblem } from '../../lambda/contract/emailAddress.ts';
import { accessKeyIdOf, closeServer, httpDate } from '../awsJsonServer.ts';
import { localFaults } from '../faults.ts';

/**
 * The local SES: aws-ses-v2-local (with its mail viewer) behind a front that refuses what AWS SES
 * refuses, with SES's error codes and HTTP statuses: addresses SES does not take (InvalidParameterValue),
 * unverified identities in sandbox mode (MessageRejected), sending faster than the maximum send rate
 * (Throttling). Everything else, the viewer (`GET /`, `GET /store`) included, passes through to
 * aws-ses-v2-local on the same URL. With a data dir, accepted mails are kept in `ses-mails.json`
 * and shown again after a restart.
 */

const require = createRequire(import.meta.url);
/** aws-ses-v2-local is CommonJS with an `exports.default`; require() gives Node and Vitest the same object. */
const startSesServer = (require('aws-ses-v2-local') as typeof import('aws-ses-v2-local')).default;

/** One mail as aws-ses-v2-local keeps it (the fields the viewer and `/store` show). */
interface StoredMail {
  readonly messageId: string;
  readonly [field: string]: unknown;
}

/** aws-ses-v2-local's in-process store: one per process, shared by every server of it. */
const store = require('aws-ses-v2-local/dist/store.js') as {
  clearStore(): void;
  getStoreReadonly(): { emails: StoredMail[] };
};

export interface StrictSesOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** The region named in SES's sandbox refusals. @default 'eu-central-1' */
  readonly region?: string;
  /**
   * Sandbox mode: the sender and every recipient must be a verified identity (an address, or a
   * domain for every address at it). @default off, as for an account out of the sandbox
   */
  readonly sandbox?: { readonly verifiedIdentities: readonly string[] };
  /** The maximum send rate in recipients per second (SES's default for new accounts is 14). @default no limit */
  readonly maxSendRate?: number;
  /** Keep accepted mails in `<dataDir>/ses-mails.json` and show them again after a restart. @default in memory */
  readonly dataDir?: string;
  /**
   * Judges each send by IAM before anything else, as SES does: `ses:SendEmail` (or SendRawEmail) on the
   * sender's identity and, in sandbox mode, on every recipient's identity too. Resolves to a sentence
   * when IAM refuses the call. @default no IAM
   */
  readonly authorize?: (call: {
    readonly accessKeyId: string | undefined;
    readonly action: string;
    readonly identities: readonly string[];
    readonly source: string | undefined;
    readonly recipients: readonly string[];
  }) => Promise<string | undefined>;
  /** Milliseconds of a monotonic clock, for the send rate (tests pass their own). @default performance.now */
  readonly now?: () => number;
}

export interface StrictSes {
  /** Where SES clients (AWS_ENDPOINT_URL_SES) and the mail viewer go. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Refusal {
  readonly code: 'InvalidParameterValue' | 'MessageRejected' | 'Throttling' | 'AccessDenied';
  readonly message: string;
}

interface Message {
  /** Every address in the message: sender, recipients, reply-to, return path. */
  readonly addresses: readonly string[];
  readonly source?: string;
  readonly recipients: readonly string[];
}

const MAX_RECIPIENTS = 50;
const ONE_SHOT = { connection: 'close' } as const;

function listOf(params: URLSearchParams, prefix: string): string[] {
  const values: string[] = [];
  for (let n = 1; params.has(`${prefix}.member.${n}`); n += 1)
    values.push(params.get(`${prefix}.member.${n}`) ?? '');
  return values;
}

/** The bare address of `Name <a@b>` (SES takes display names in its address fields) or of `a@b`. */
function bareAddress(value: string): { address: string; displayName?: string } {
  const match = /^(.*)<([^<>]*)>\s*$/s.exec(value);
  return match ? { address: match[2] ?? '', displayName: (match[1] ?? '').trim() } : { address: value };
}

/** Splits an address header at the commas outside quotes. */
function splitAddressList(header: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of header) {
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** The address headers of a raw MIME message (unfolded), by lowercase name. */
function rawHeaders(raw: string): Map<string, string[]> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!['from', 'to', 'cc', 'bcc', 'reply-to', 'sender', 'return-path'].includes(name)) continue;
    headers.set(name, [...(headers.get(name) ?? []), ...splitAddressList(line.slice(colon + 1))]);
  }
  return headers;
}

function rawMessage(raw: string, source: string | undefined, destinations: string[]): Message {
  const headers = rawHeaders(raw);
  const header = (name: string) => headers.get(name) ?? [];
  const recipients =
    destinations.length > 0 ? destinations : [...header('to'), ...header('cc'), ...header('bcc')];
  const from = source ?? header('from')[0];
  return {
    addresses: [
      ...(source ? [source] : []),
      ...destinations,
      ...['from', 'to', 'cc', 'bcc', 'reply-to', 'sender', 'return-path'].flatMap(header),
    ],
    ...(from ? { source: from } : {}),
    recipients,
  };
}

/** The addresses of a SES v1 (query protocol) SendEmail or SendRawEmail. */
function v1Message(params: URLSearchParams): Message | undefined {
  const action = params.get('Action');
  const source = params.get('Source') ?? undefined;
  if (action === 'SendEmail') {
    const recipients = ['To', 'Cc', 'Bcc'].flatMap((field) =>
      listOf(params, `Destination.${field}Addresses`),
    );
    const returnPath = params.get('ReturnPath');
    return {
      addresses: [
        ...(source !== undefined ? [source] : []),
        ...recipients,
        ...listOf(params, 'ReplyToAddresses'),
        ...(returnPath !== null ? [returnPath] : []),
      ],
      ...(source !== undefined ? { source } : {}),
      recipients,
    };
  }
  if (action === 'SendRawEmail') {
    const raw = Buffer.from(params.get('RawMessage.Data') ?? '', 'base64').toString('utf8');
    return rawMessage(raw, source, listOf(params, 'Destinations'));
  }
  return undefined;
}

/** The addresses of a SES v2 SendEmail (`POST /v2/email/outbound-emails`). */
function v2Message(body: string): Message {
  let input: {
    FromEmailAddress?: string;
    Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
    ReplyToAddresses?: string[];
    Content?: { Raw?: { Data?: string } };
  };
  try {
    input = JSON.parse(body || '{}');
  } catch {
    input = {};
  }
  const destination = input.Destination ?? {};
  const recipients = [
    ...(destination.ToAddresses ?? []),
    ...(destination.CcAddresses ?? []),
    ...(destination.BccAddresses ?? []),
  ].map(String);
  const base: Message = {
    addresses: [
      ...(input.FromEmailAddress !== undefined ? [String(input.FromEmailAddress)] : []),
      ...recipients,
      ...(input.ReplyToAddresses ?? []).map(String),
    ],
    ...(input.FromEmailAddress !== undefined ? { source: String(input.FromEmailAddress) } : {}),
    recipients,
  };
  const data = input.Content?.Raw?.Data;
  if (typeof data !== 'string') return base;
  const raw = rawMessage(Buffer.from(data, 'base64').toString('utf8'), base.source, recipients);
  return { ...raw, addresses: [...base.addresses, ...raw.addresses] };
}

function addressRefusal(value: string): Refusal | undefined {
  const { address, displayName } = bareAddress(value);
  // SES wants a non-ASCII display name MIME-encoded (=?UTF-8?B?...?=).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: anything outside 7-bit ASCII is what it finds
  if (displayName !== undefined && /[^\u0000-\u007f]/u.test(displayName)) {
    return { code: 'InvalidParameterValue', message: 'Illegal address' };
  }
  const problem = emailAddressProblem(address);
  return problem ? { code: 'InvalidParameterValue', message: problem.sesMessage } : undefined;
}

/** Whether an address is a verified identity: the address itself, or its domain. */
function isVerified(value: string, identities: readonly string[]): boolean {
  const address = bareAddress(value).address;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  return identities.some((identity) => {
    const split = identity.lastIndexOf('@');
    // SES compares the part before the "@" case-sensitively, domains in any case.
    return split < 0
      ? identity.toLowerCase() === domain
      : identity.slice(0, split) === local && identity.slice(split + 1).toLowerCase() === domain;
  });
}

/** A token bucket: `rate` recipients a second, at most `rate` at once. */
function sendRate(rate: number, now: () => number) {
  let tokens = rate;
  let last = now();
  return (recipients: number): boolean => {
    const at = now();
    tokens = Math.min(rate, tokens + ((at - last) / 1000) * rate);
    last = at;
    const cost = Math.min(Math.max(recipients, 1), rate);
    if (tokens < cost) return false;
    tokens -= cost;
    return true;
  };
}

function xmlEscape(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char] ?? char,
  );
}

function refuseV1(response: ServerResponse, refusal: Refusal): void {
  const requestId = randomUUID();
  const status = refusal.code === 'AccessDenied' ? 403 : 400;
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  response.end(
    `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${refusal.code}</Code><Message>${xmlEscape(refusal.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

/** SES v2 is REST-JSON: the error's name in `x-amzn-ErrorType`, throttling as 429 TooManyRequestsException. */
function refuseV2(response: ServerResponse, refusal: Refusal): void {
  const [status, type] =
    refusal.code === 'Throttling'
      ? [429, 'TooManyRequestsException']
      : refusal.code === 'AccessDenied'
        ? [403, 'AccessDeniedException']
        : refusal.code === 'MessageRejected'
          ? [400, 'MessageRejected']
          : [400, 'BadRequestException'];
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify({ message: refusal.message }));
}

/** A 503, as SES answers while it is unavailable (v1: an XML error of type Receiver; v2: REST-JSON). */
function answerServiceUnavailable(response: ServerResponse, v2: boolean): void {
  const requestId = randomUUID();
  const message = 'Service Unavailable';
  if (v2) {
    response.writeHead(503, {
      'content-type': 'application/json',
      'x-amzn-errortype': 'ServiceUnavailable',
      'x-amzn-requestid': requestId,
    });
    response.end(JSON.stringify({ message }));
    return;
  }
  response.writeHead(503, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  response.end(
    `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function loadMails(file: string | undefined): StoredMail[] {
  if (!file) return [];
  try {
    const { emails } = JSON.parse(readFileSync(file, 'utf8')) as { emails?: StoredMail[] };
    return Array.isArray(emails) ? emails : [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`the kept SES mails in ${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Starts aws-ses-v2-local on a free port of 127.0.0.1 and the strict front on `port`. The process's
 * mail store starts empty, or with the mails kept in `dataDir`.
 *
 * @example
 * const ses = await startStrictSes({ sandbox: { verifiedIdentities: ['example.com'] }, maxSendRate: 14 });
 * process.env.AWS_ENDPOINT_URL_SES = ses.url;
 */
export async function startStrictSes(options: StrictSesOptions = {}): Promise<StrictSes> {
  const region = options.region ?? 'eu-central-1';
  const file = options.dataDir ? path.join(options.dataDir, 'ses-mails.json') : undefined;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const kept = loadMails(file);
  store.clearStore();
  store.getStoreReadonly().emails.push(...kept);
  const persist = () => {
    if (!file) return;
    writeFileSync(`${file}.tmp`, JSON.stringify({ emails: kept }));
    renameSync(`${file}.tmp`, file);
  };

  const upstream = await startSesServer({ host: '127.0.0.1', port: 0 });
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const withinRate =
    options.maxSendRate !== undefined
      ? sendRate(options.maxSendRate, options.now ?? (() => performance.now()))
      : () => true;

  const judge = (message: Message): Refusal | undefined => {
    for (const address of message.addresses) {
      const refusal = addressRefusal(address);
      if (refusal) return refusal;
    }
    if (message.recipients.length > MAX_RECIPIENTS) {
      return { code: 'InvalidParameterValue', message: `Recipient count exceeds ${MAX_RECIPIENTS}.` };
    }
    if (options.sandbox) {
      const identities = options.sandbox.verifiedIdentities;
      const unverified = [...(message.source ? [message.source] : []), ...message.recipients].filter(
        (address) => !isVerified(address, identities),
      );
      if (unverified.length > 0) {
        return {
          code: 'MessageRejected',
          message: `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${[...new Set(unverified)].join(', ')}`,
        };
      }
    }
    if (!withinRate(message.recipients.length)) {
      return { code: 'Throttling', message: 'Maximum sending rate exceeded.' };
    }
    return undefined;
  };

  const forward = async (request: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = { ...ONE_SHOT };
    for (const [name, value] of Object.entries(request.headers)) {
      if (['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
      if (typeof value === 'string') headers[name] = value;
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const answer = await fetch(`${upstreamUrl}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      ...(hasBody ? { body: new Uint8Array(body) } : {}),
    });
    return { status: answer.status, type: answer.headers.get('content-type'), body: await answer.text() };
  };

  /** Keeps the mail aws-ses-v2-local stored under the message id of its answer. */
  const keep = (answer: string) => {
    const messageId = /<MessageId>([^<]+)<\/MessageId>|"MessageId"\s*:\s*"([^"]+)"/.exec(answer);
    const id = messageId?.[1] ?? messageId?.[2];
    const mail = store.getStoreReadonly().emails.find((candidate) => candidate.messageId === id);
    if (!mail) return;
    kept.push(mail);
    persist();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    response.setHeader('date', httpDate());
    const body = await readBody(request);
    const route = `${request.method} ${(request.url ?? '/').split('?')[0]}`;
    let message: Message | undefined;
    let refuse: typeof refuseV1 = refuseV1;
    if (route === 'POST /') {
      message = v1Message(new URLSearchParams(body.toString('utf8')));
    } else if (route === 'POST /v2/email/outbound-emails') {
      message = v2Message(body.toString('utf8'));
      refuse = refuseV2;
    }
    // A planned fault (tests only): the send is throttled or fails with a 5xx, as in an outage.
    const fault = message && localFaults.takeCallFault('ses', accessKeyIdOf(request.headers.authorization));
    if (fault === 'throttling') {
      refuse(response, { code: 'Throttling', message: 'Maximum sending rate exceeded.' });
      return;
    }
    if (fault === 'server-error') {
      answerServiceUnavailable(response, refuse === refuseV2);
      return;
    }
    if (message && options.authorize) {
      const params = route === 'POST /' ? new URLSearchParams(body.toString('utf8')) : undefined;
      const action = params ? `ses:${params.get('Action') ?? 'SendEmail'}` : 'ses:SendEmail';
      const denied = await options.authorize({
        accessKeyId: accessKeyIdOf(request.headers.authorization),
        action,
        identities: [
          ...(message.source ? [message.source] : []),
          ...(options.sandbox ? message.recipients : []),
        ],
        source: message.source,
        recipients: message.recipients,
      });
      if (denied) {
        refuse(response, { code: 'AccessDenied', message: denied });
        return;
      }
    }
    const refusal = message && judge(message);
    if (refusal) {
      refuse(response, refusal);
      return;
    }
    const answer = await forward(request, body);
    if (message && answer.status === 200) keep(answer.body);
    if (route === 'POST /clear-store' && answer.status === 200) {
      kept.length = 0;
      persist();
    }
    response.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {});
    response.end(answer.body);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`the local SES front failed: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      await closeServer(server);
      await closeServer(upstream);
    },
  };
}
