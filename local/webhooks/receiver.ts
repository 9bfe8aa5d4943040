/**
 * A webhook receiver on 127.0.0.1, for local mode and the tests: it takes Rotor's deliveries at
 * `/hooks/<name>` and answers as a receiver would, 200 by default, or the status a test sets for a
 * name (a 500 forever, a 410 of a revoked Slack hook), or no answer at all. It keeps every delivery with
 * its headers and raw body, and checks a `json` delivery's signature the way the README tells a receiver
 * to: with the signing secret from the webhook's secret, and a 5-minute window on `Date.now()` (so local
 * mode's virtual clock applies), refusing a repeat of a delivery id it has taken. Each answer closes its
 * connection: a kept-alive socket the server times out just as the next delivery reuses it would fail that
 * delivery for no reason of Rotor's (and, rightly, send it into the workflow's 30-second backoff).
 */
import { createServer, type IncomingMessage } from 'node:http';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  type SignatureVerdict,
  verifyWebhookSignature,
} from '../../lambda/contract/webhooks.ts';
import { closeServer, listen } from '../awsJsonServer.ts';

/** One request the receiver got. */
export interface WebhookDelivery {
  /** The `<name>` of `/hooks/<name>`. */
  readonly hook: string;
  /** `Date.now()` when it arrived, as ISO-8601. */
  readonly receivedAt: string;
  readonly deliveryId?: string;
  readonly detailType?: string;
  readonly signature?: string;
  readonly contentType?: string;
  readonly body: string;
  /** What the receiver answered (0 while it holds the request). */
  readonly status: number;
}

/** What a receiver makes of one delivery: taken, or refused with the reason. */
export type ReceiverVerdict =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: 'malformed' | 'stale' | 'mismatch' | 'replayed' };

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** The URL of one named hook. */
  hookUrl(name: string): string;
  /** Every delivery, oldest first (of one hook, with `hook`). */
  deliveries(hook?: string): readonly WebhookDelivery[];
  /**
   * Answer this status to every delivery to `hook` from now on (undefined: 200 again), or hold each
   * unanswered with 'hang'; a status given later answers the held ones with it.
   */
  answer(hook: string, status: number | 'hang' | undefined): void;
  /** Forgets the deliveries and the set answers. */
  clear(): void;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Starts the receiver. @example const receiver = await startWebhookReceiver(); receiver.hookUrl('ops') */
export async function startWebhookReceiver(
  options: { readonly port?: number } = {},
): Promise<WebhookReceiver> {
  const received: WebhookDelivery[] = [];
  const answers = new Map<string, number | 'hang'>();
  const hanging = new Set<() => void>();
  const held = new Map<string, { index: number; respond: (status: number) => void }[]>();
  const server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const match = /^\/hooks\/([A-Za-z0-9_-]{1,64})$/.exec(request.url ?? '');
      if (request.method !== 'POST' || !match) {
        response.writeHead(404).end();
        return;
      }
      const hook = match[1] as string;
      const answer = answers.get(hook) ?? 200;
      const delivery = (status: number): WebhookDelivery => {
        const deliveryId = header(request, DELIVERY_HEADER);
        const detailType = header(request, EVENT_HEADER);
        const signature = header(request, SIGNATURE_HEADER);
        const contentType = header(request, 'content-type');
        return {
          hook,
          receivedAt: new Date(Date.now()).toISOString(),
          ...(deliveryId ? { deliveryId } : {}),
          ...(detailType ? { detailType } : {}),
          ...(signature ? { signature } : {}),
          ...(contentType ? { contentType } : {}),
          body,
          status,
        };
      };
      if (answer === 'hang') {
        const index = received.push(delivery(0)) - 1;
        // Held until a status is set for the hook, the caller gives up, or the receiver closes.
        const end = () => response.destroy();
        hanging.add(end);
        response.on('close', () => hanging.delete(end));
        const waiting = held.get(hook) ?? [];
        waiting.push({
          index,
          respond: (status) => {
            received[index] = { ...(received[index] as WebhookDelivery), status };
            response
              .writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
              .end(status < 300 ? 'ok' : 'no');
          },
        });
        held.set(hook, waiting);
        return;
      }
      received.push(delivery(answer));
      response
        .writeHead(answer, { 'content-type': 'text/plain', connection: 'close' })
        .end(answer < 300 ? 'ok' : 'no');
    })();
  });
  const port = await listen(server, options.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    hookUrl: (name) => `${url}/hooks/${name}`,
    deliveries: (hook) => received.filter((delivery) => hook === undefined || delivery.hook === hook),
    answer: (hook, status) => {
      if (status === undefined) answers.delete(hook);
      else answers.set(hook, status);
      if (status === 'hang') return;
      for (const request of held.get(hook) ?? []) request.respond(status ?? 200);
      held.delete(hook);
    },
    clear: () => {
      received.length = 0;
      answers.clear();
    },
    close: async () => {
      for (const end of hanging) end();
      await closeServer(server);
    },
  };
}

/**
 * A receiver's check of the deliveries it took, in order, as the README's ten lines do it: the signature
 * over timestamp and raw body with the signing secret, the timestamp within 5 minutes of `nowSeconds`
 * (by default the time each arrived), and a delivery id not taken before.
 */
export function verifyDeliveries(
  deliveries: readonly WebhookDelivery[],
  signingSecret: string,
  nowSeconds?: number,
): ReceiverVerdict[] {
  const taken = new Set<string>();
  return deliveries.map((delivery) => {
    const verdict: SignatureVerdict = verifyWebhookSignature({
      header: delivery.signature,
      body: delivery.body,
      signingSecret,
      nowSeconds: nowSeconds ?? Math.floor(Date.parse(delivery.receivedAt) / 1000),
    });
    if (!verdict.ok) return { accepted: false, reason: verdict.reason };
    if (!delivery.deliveryId || taken.has(delivery.deliveryId))
      return { accepted: false, reason: 'replayed' };
    taken.add(delivery.deliveryId);
    return { accepted: true };
  });
}
