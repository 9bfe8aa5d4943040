import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { ApiClient } from '../cli/io.ts';
import type { AppRecord } from '../lambda/store/model.ts';
import type { VirtualClock } from './clock.ts';
import { ConsoleClient, linksInLastEmail } from './console/client.ts';
import { emailsAboutApp, isAccepted, type SeenEmail, tokenOfVersion } from './observe.ts';
import { clientsFor, DEMO_ADMINS, deliveriesEnded, formatDuration, until } from './scenarios/scenarios.ts';
import type { LocalSystem } from './system.ts';
import { verifyDeliveries } from './webhooks/receiver.ts';

const DEMO_APP = 'billing-sync';
const DAY_MS = 86_400_000;

/** The clients the demo reads with, made once. */
type DemoClients = ReturnType<typeof clientsFor>;

export interface DemoOptions {
  readonly system: LocalSystem;
  /** The local operator API, signed as the CLI signs: the demo acts as an operator would. */
  readonly api: ApiClient;
  readonly clock: VirtualClock;
  readonly mailViewer: string;
  readonly print: (line: string) => void;
}

/** "Mon 30 Nov 14:05 UTC": virtual time (now, or when something happened) as the demo prints it. */
function stamp(at: Date = new Date()): string {
  const now = at;
  const day = now.toLocaleDateString('en-GB', {
    weekday: 'short',
    day: '2-digit',
    month: 'short',
    timeZone: 'UTC',
  });
  return `[${day} ${now.toISOString().slice(11, 16)} UTC]`;
}

/**
 * The guided demo of `npm start`: registers the app billing-sync, rotates its token with "expire
 * later" through the 24-hour notice to the expiry, then starts another rotation and cancels it during
 * its grace period. Prints each step as it happens: the app's state, every email and who got it, each
 * event on the bus and its signed delivery to the app's webhook, and which token the verifier accepts.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { system, clock, print } = options;
  const started = performance.now();
  const virtualStart = clock.now();
  const clients = clientsFor(system);
  const { registry } = clients;

  const existing = await registry.apps.findApp(DEMO_APP);
  if (existing && existing.state !== 'ACTIVE') {
    print(`\nThe demo app ${DEMO_APP} is ${existing.state} from an earlier run; the demo needs it ACTIVE.`);
    return;
  }
  if (!existing) {
    // rotor apps add billing-sync --secret rotor/billing-sync --admin anna@demo.example --admin ben@demo.example:en
    await options.api.request('POST', '/apps', {
      body: { appId: DEMO_APP, secret: `rotor/${DEMO_APP}`, admins: DEMO_ADMINS, locale: 'de' },
    });
  }
  let app = await registry.apps.getApp(DEMO_APP);
  if (Object.keys(app.webhooks ?? {}).length === 0) {
    // rotor apps update billing-sync --webhook <the local receiver> --webhook-kind json
    await options.api.request('POST', `/apps/${DEMO_APP}/webhooks`, {
      body: { url: system.webhooks.hookUrl(DEMO_APP), kind: 'json' },
    });
    app = await registry.apps.getApp(DEMO_APP);
  }
  const webhook = Object.values(app.webhooks ?? {})[0];
  print('');
  print(`Demo: the app ${DEMO_APP}, a token Rotor issues (secret rotor/${DEMO_APP}).`);
  print(`  admins: ${DEMO_ADMINS.map((admin) => `${admin.email} (${admin.locale})`).join(', ')}`);
  print(`  webhook: ${webhook?.webhookId} (json, signed) to ${system.webhooks.hookUrl(DEMO_APP)}`);
  print(`  current token: version ${short(app.currentVersionId)}`);

  // Everything that happens is printed by a watcher, in the order it happens.
  const watcher = watch(options, clients, app);
  try {
    print('');
    print(`${stamp()} 1. rotor rotate ${DEMO_APP} --expire later   (grace period 7 days)`);
    const first = await rotate(options, 'quarterly rotation (demo)');
    await system.stepFunctions.whenStopped(first.executionArn);
    await watcher.settle();
    const afterFirst = await registry.apps.getApp(DEMO_APP);
    print(
      `${stamp()}    rotation 1 done: ${await tokensLine(clients, app.currentVersionId, afterFirst.currentVersionId)}`,
    );

    print('');
    print(
      `${stamp()} 2. rotor rotate ${DEMO_APP} --expire later; a day into the grace period an admin cancels it in the Rotor Console`,
    );
    const second = await rotate(options, 'to be cancelled (demo)');
    const initiatedBefore = await countEmails(options, 'ROTATION_INITIATED');
    await until('the second rotation is in its grace period and its admins are told', async () => {
      const now = await registry.apps.getApp(DEMO_APP);
      const told =
        (await countEmails(options, 'ROTATION_INITIATED')) === initiatedBefore + DEMO_ADMINS.length;
      return now.state === 'GRACE' && told;
    });
    await watcher.settle();
    // Its webhook delivery arrives before the day passes, as it would (it is signed with the time it leaves).
    await deliveriesEnded(system);
    clock.advanceTo(clock.now() + DAY_MS);
    // The admin takes a moment in the browser: no virtual day passes meanwhile.
    const release = clock.hold();
    try {
      await cancelInConsole(options, CONSOLE_ADMIN);
    } finally {
      release();
    }
    await system.stepFunctions.whenStopped(second.executionArn);
    await watcher.settle();
    print(
      `${stamp()}    rotation 2 cancelled: ${await tokensLine(clients, afterFirst.currentVersionId, second.newVersionId)}`,
    );
  } finally {
    await watcher.stop();
  }

  const emails = await emailsAboutApp(system.endpoints.ses, DEMO_APP);
  print('');
  print(
    `Demo finished in ${((performance.now() - started) / 1000).toFixed(1)} s (${formatDuration(clock.now() - virtualStart)} of virtual time).`,
  );
  print(`${emails.length} emails about ${DEMO_APP} are in the mail viewer: ${options.mailViewer}`);
  print(
    `Who did what, from another terminal: npx rotor --local history ${DEMO_APP}   and   npx rotor --local audit`,
  );
}

/** The demo's console user: an admin with no AWS credentials, who reads Rotor's emails. */
const CONSOLE_ADMIN = 'ben@demo.example';

/** The text of a console page's first message box. */
function messageOf(html: string): string {
  const box = /<div class="(?:ok|error|warn)">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
  return box
    .replace(/<[^>]+>/g, '')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

/**
 * As the admin would in a browser: asks the Rotor Console for a sign-in link, signs in with the one
 * emailed, then presses "Cancel rotation" in the ROTATION_INITIATED email and confirms.
 */
async function cancelInConsole(options: DemoOptions, email: string): Promise<void> {
  const { system, print } = options;
  const browser = new ConsoleClient(system.console.url);
  print(
    `${stamp()}    console ${system.console.url}/ : ${email} asks for a sign-in link (no AWS credentials)`,
  );
  await browser.get('/sign-in');
  await browser.post('/sign-in', { email });
  const signIn = (await linksInLastEmail(system.endpoints.ses, email, /sign-in link|Anmeldelink/)).links[0];
  if (!signIn) throw new Error(`the console sent ${email} no sign-in link`);
  await browser.get(signIn);
  const home = await browser.post(signIn);
  print(
    `${stamp()}    ✉ sign-in link → ${email}; signed in: ${home.status === 200 ? 'the app list shows billing-sync' : home.status}`,
  );
  const initiated = await linksInLastEmail(
    system.endpoints.ses,
    email,
    new RegExp(`${DEMO_APP}: A token rotation`),
  );
  // Its buttons in order: "Expire old token now", "Cancel rotation", "Open in Rotor".
  const cancel = initiated.links[1];
  if (!cancel?.includes('/link/'))
    throw new Error('the ROTATION_INITIATED email has no "Cancel rotation" button');
  await browser.get(cancel);
  const done = await browser.post(cancel);
  print(
    `${stamp()}    console: "Cancel rotation" button of the ROTATION_INITIATED email, confirmed → ${messageOf(done.html)}`,
  );
}

/** `rotor rotate billing-sync --expire later`, through the operator API. */
async function rotate(options: DemoOptions, reason: string) {
  const answer = await options.api.request<{ rotation: { executionArn: string; newVersionId: string } }>(
    'POST',
    `/apps/${DEMO_APP}/rotations`,
    { body: { mode: 'expire-later', reason } },
  );
  return answer.rotation;
}

async function countEmails(options: DemoOptions, event: string): Promise<number> {
  const emails = await emailsAboutApp(options.system.endpoints.ses, DEMO_APP);
  return emails.filter((email) => email.event === event).length;
}

function short(versionId: string | undefined): string {
  return versionId ? versionId.slice(0, 8) : '-';
}

/** Which of the two tokens the verifier accepts now. */
async function tokensLine(
  { registry, secretsManager }: DemoClients,
  oldVersionId: string,
  newVersionId: string,
): Promise<string> {
  const app = await registry.apps.getApp(DEMO_APP);
  const verdict = async (versionId: string) => {
    try {
      const accepted = await isAccepted(
        registry,
        await tokenOfVersion(secretsManager, app.secretArn, versionId),
      );
      return accepted ? 'accepted' : 'refused';
    } catch {
      return 'gone';
    }
  };
  return `old token (${short(oldVersionId)}) ${await verdict(oldVersionId)}, new token (${short(newVersionId)}) ${await verdict(newVersionId)}`;
}

/** Polls the registry and the SES stand-in, and prints each change of state and each new email. */
function watch(options: DemoOptions, clients: DemoClients, app: AppRecord) {
  const { registry } = clients;
  const { system, print } = options;
  let seenEmails = 0;
  let seenEvents = 0;
  let seenDeliveries = 0;
  let signingSecret: string | undefined;
  let lastState = app.state;
  let running = true;

  const poll = async () => {
    const now = await registry.apps.getApp(app.appId);
    if (now.state !== lastState) {
      const detail =
        now.state === 'GRACE' && now.activeRotation?.expiresAt
          ? `: the old token works until ${now.activeRotation.expiresAt.slice(0, 16).replace('T', ' ')} UTC`
          : '';
      print(`${stamp()}    state ${lastState} → ${now.state}${detail}`);
      lastState = now.state;
    }
    const emails = await emailsAboutApp(system.endpoints.ses, app.appId);
    for (const email of emails.slice(seenEmails))
      print(`${stamp(new Date(email.at))}    ${describeEmail(email)}`);
    seenEmails = emails.length;
    const events = system.eventBridge.events().filter((event) => event.detail.appId === app.appId);
    for (const event of events.slice(seenEvents))
      print(`${stamp(new Date(event.time))}    ⇢ event "${event.detailType}" on bus ${event.bus}`);
    seenEvents = events.length;
    const deliveries = system.webhooks.deliveries(app.appId);
    if (deliveries.length > seenDeliveries) {
      signingSecret ??= await webhookSigningSecret(clients, app.appId);
      const verdicts = verifyDeliveries(deliveries, signingSecret ?? '');
      for (const [index, delivery] of deliveries.entries()) {
        if (index < seenDeliveries) continue;
        const verdict = verdicts[index];
        print(
          `${stamp(new Date(delivery.receivedAt))}    ⇢ webhook "${delivery.detailType}" → /hooks/${delivery.hook}: ${delivery.status}, ${
            verdict?.accepted ? 'signature verified' : `refused (${verdict?.reason})`
          }`,
        );
      }
      seenDeliveries = deliveries.length;
    }
  };

  let chain = Promise.resolve();
  const loop = async () => {
    while (running) {
      chain = chain.then(poll);
      await chain;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const looping = loop();
  return {
    /** Prints whatever has happened up to now. */
    settle: async () => {
      chain = chain.then(poll);
      await chain;
    },
    stop: async () => {
      running = false;
      await looping;
      chain = chain.then(poll);
      await chain;
    },
  };
}

/** The signing secret of the app's webhook, read from its secret as the receiver's owner reads it. */
async function webhookSigningSecret({ registry, secretsManager }: DemoClients, appId: string) {
  const webhook = Object.values((await registry.apps.getApp(appId)).webhooks ?? {})[0];
  if (!webhook) return undefined;
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: webhook.secretArn }));
  return (JSON.parse(secret.SecretString ?? '{}') as { signingSecret?: string }).signingSecret;
}

function describeEmail(email: SeenEmail): string {
  return `✉ ${email.event} → ${email.to} (${email.locale}): "${email.subject}"`;
}
