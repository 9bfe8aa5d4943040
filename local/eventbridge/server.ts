import { randomUUID } from 'node:crypto';
import {
  type AwsJsonCall,
  type AwsJsonRequestBody,
  AwsServiceError,
  type RunningAwsJsonServer,
  serveAwsJson,
} from '../awsJsonServer.ts';

/** An event as the bus received it (what a rule would match on). */
export interface ReceivedEvent {
  readonly id: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time: string;
}

export interface LocalEventBridgeOptions {
  readonly region: string;
  readonly accountId: string;
  /** The buses that exist besides `default` (the template's AWS::Events::EventBus names). */
  readonly buses?: readonly string[];
  /** Judges each call as IAM does (`events:PutEvents` on each entry's bus). */
  readonly authorize?: (call: AwsJsonCall & { readonly busArns: readonly string[] }) => Promise<void>;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface LocalEventBridge extends RunningAwsJsonServer {
  /** Every event put on any bus, oldest first. */
  events(): readonly ReceivedEvent[];
  /** Forgets the events (a test's fresh start). */
  clear(): void;
}

/** EventBridge's limits on PutEvents: 10 entries, 256 KB in all (AWS's quotas page and API reference). */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

function entrySize(entry: Record<string, unknown>): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce((sum: number, resource) => sum + bytes(resource), 0)
  );
}

function busNameOf(entry: Record<string, unknown>): string {
  const name = typeof entry.EventBusName === 'string' && entry.EventBusName ? entry.EventBusName : 'default';
  return name.startsWith('arn:') ? (name.split('/').pop() ?? name) : name;
}

/**
 * EventBridge's PutEvents on 127.0.0.1, as strict as AWS where a caller could be hurt: IAM on each
 * entry's bus, at most 10 entries and 256 KB per request (ValidationException), and per entry an error
 * code instead of an event when Source, DetailType or Detail is missing (`InvalidArgument`), the Detail
 * is not a JSON object (`MalformedDetail`), or the bus does not exist (`ResourceNotFoundException`).
 * Partial failures answer 200 with `FailedEntryCount`, as on AWS: a caller must read the entries.
 */
export async function startLocalEventBridge(options: LocalEventBridgeOptions): Promise<LocalEventBridge> {
  const received: ReceivedEvent[] = [];
  const buses = new Set(['default', ...(options.buses ?? [])]);
  const busArn = (name: string) => `arn:aws:events:${options.region}:${options.accountId}:event-bus/${name}`;

  const putEvents = (body: AwsJsonRequestBody) => {
    const entries = Array.isArray(body.Entries) ? (body.Entries as Record<string, unknown>[]) : [];
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    if (entries.reduce((sum, entry) => sum + entrySize(entry), 0) > MAX_REQUEST_BYTES) {
      throw new AwsServiceError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    let failed = 0;
    const results = entries.map((entry) => {
      const fail = (ErrorCode: string, ErrorMessage: string) => {
        failed += 1;
        return { ErrorCode, ErrorMessage };
      };
      if (
        typeof entry.Source !== 'string' ||
        typeof entry.DetailType !== 'string' ||
        typeof entry.Detail !== 'string'
      ) {
        return fail('InvalidArgument', 'Parameters Source, DetailType and Detail are required.');
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return fail('MalformedDetail', 'Detail is malformed.');
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return fail('MalformedDetail', 'Detail is malformed.');
      }
      const bus = busNameOf(entry);
      if (!buses.has(bus)) return fail('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
      const id = randomUUID();
      const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
      received.push({
        id,
        bus,
        source: entry.Source,
        detailType: entry.DetailType,
        detail: detail as Record<string, unknown>,
        time: time.toISOString(),
      });
      return { EventId: id };
    });
    return { FailedEntryCount: failed, Entries: results };
  };

  const server = await serveAwsJson({
    name: 'eventbridge',
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    internalErrorType: 'InternalException',
    unsupportedBy: "Rotor's local EventBridge (PutEvents only)",
    maxBodyBytes: 4 * MAX_REQUEST_BYTES,
    operations: new Map([['PutEvents', putEvents]]),
    ...(options.authorize
      ? {
          authorize: async (call: AwsJsonCall) => {
            const entries = Array.isArray(call.body.Entries)
              ? (call.body.Entries as Record<string, unknown>[])
              : [];
            await options.authorize?.({
              ...call,
              busArns: [...new Set(entries.map((entry) => busArn(busNameOf(entry))))],
            });
          },
        }
      : {}),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  return {
    ...server,
    events: () => [...received],
    clear: () => {
      received.length = 0;
    },
  };
}
