import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { signRequest } from '../../cli/sign.ts';
import type { RotationMode } from '../../lambda/contract/appSettings.ts';
import {
  isNotificationEvent,
  type NotificationEvent,
  type RotorEvent,
} from '../../lambda/contract/notificationEvents.ts';
import { DEFAULT_EVENT_BUS, DETAIL_TYPES } from '../../lambda/contract/rotorEvents.ts';
import { enrollHubSpotApp, enrollManagedApp } from '../../lambda/domain/enrollApp.ts';
import { submitHubSpotToken } from '../../lambda/domain/hubspotRotation.ts';
import { cancelRotation, expireNow, type OperatorDependencies } from '../../lambda/domain/operatorActions.ts';
import { serializeSecret } from '../../lambda/domain/tokens.ts';
import { executionArnFor, startRotationWorkflow } from '../../lambda/integrations/workflows.ts';
import { deliverOutbox } from '../../lambda/notifications/outbox.ts';
import type { AppRecord } from '../../lambda/store/model.ts';
import { Registry } from '../../lambda/store/Registry.ts';
import { type LocalApi, type LocalApiUser, startLocalApi } from '../api/server.ts';
import { VirtualClock } from '../clock.ts';
import { APP_DEFAULTS, DEMO_ADMINS } from '../demoApp.ts';
import type { ReceivedEvent } from '../eventbridge/server.ts';
import { eventProblems } from '../eventCheck.ts';
import {
  emailsAboutApp,
  isAccepted,
  type SeenEmail,
  tokenOfVersion,
  until,
  versionLabels,
} from '../observe.ts';
import { type LocalSystem, operatorApiOf, startLocalSystem } from '../system.ts';
import { verifyDeliveries } from '../webhooks/receiver.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const OPERATOR = 'arn:aws:iam::123456789012:user/local-admin';
/** What one scenario did, as `npm run scenarios -- --json` reports it. */
export interface ScenarioReport {
  readonly name: string;
  readonly summary: string;
  readonly passed: boolean;
  /** Why it did not pass: each expectation that failed, in a sentence. */
  readonly problems: readonly string[];
  readonly emails: readonly { event: string; to: string; locale: string; subject: string }[];
  /**
   * The app's EventBridge events, in order: detail-type, the email event, the rotation, and what is
   * wrong with its detail by the committed JSON Schema (nothing: it is valid).
   */
  readonly events: readonly {
    detailType: string;
    event: string;
    rotationId?: string;
    /** A failure's event: the step that failed. */
    failedStep?: string;
    time: string;
    schemaProblems: readonly string[];
  }[];
  /**
   * What the app's `json` webhook received, in the order of the events (deliveries run in parallel, so
   * two of one moment may arrive either way round): the event's detail-type, the delivery id, what the
   * receiver answered, its verdict on the signature (as the README's receiver checks it: `accepted`, or
   * `stale`, `mismatch`, `malformed`, `replayed`), and whether the detail is the EventBridge event's.
   */
  readonly webhookDeliveries: readonly {
    detailType: string;
    deliveryId: string;
    receivedAt: string;
    status: number;
    verdict: string;
    sameAsEvent: boolean;
  }[];
  /** Each version of the app's secret that still has labels, with them. */
  readonly labels: Record<string, string[]>;
  readonly versions: { readonly old: string; readonly new: string | null };
  /** Whether the verifier accepts the token of each version at the end (null: there is none). */
  readonly verifies: { readonly old: boolean; readonly new: boolean | null };
  readonly virtualElapsed: string;
  readonly virtualElapsedMs: number;
  readonly wallMs: number;
}

/** What a scenario sees and drives: the whole local system on a virtual clock. */
export interface ScenarioContext {
  readonly system: LocalSystem;
  readonly clock: VirtualClock;
  readonly registry: Registry;
  readonly secretsManager: SecretsManagerClient;
  readonly sfn: SFNClient;
  readonly operator: OperatorDependencies;
  /** Apps whose rotation hook finds its pending token unregistered in testSecret (a real fault). */
  readonly failTestSecret: Set<string>;
  /**
   * Gives an app a `json` webhook to the local receiver (`/hooks/<app>`), through the operator API as
   * `rotor apps update --webhook` does, so the scenario reports each event's delivery.
   */
  readonly addWebhook?: (appId: string) => Promise<void>;
}

/** What a scenario expects at its end (DESIGN §2). */
interface Expectation {
  /** Each email as `EVENT locale`, in the order they arrive. */
  readonly emails: readonly string[];
  /** Which version holds AWSCURRENT at the end; it is the only labelled one. */
  readonly current: 'old' | 'new';
  readonly verifies: { readonly old: boolean; readonly new: boolean | null };
  /** At least this much virtual time passes (e.g. the grace period). */
  readonly minVirtualMs?: number;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly expect: Expectation;
  /** Whether a token works at the end. @default Rotor's verifier accepts it (HubSpot apps: the fake HubSpot does) */
  verify?(context: ScenarioContext, token: string): Promise<boolean>;
  /** Drives the system and returns the app it worked on, once everything it started has ended. */
  run(context: ScenarioContext): Promise<AppRecord>;
}

const each = (event: string) => [`${event} de`, `${event} en`];
/** The emails of an expire-later rotation that runs to its end (DESIGN §2). */
const EXPIRE_LATER_EMAILS = [
  ...each('ROTATION_INITIATED'),
  ...each('TOKEN_EXPIRES_IN_24H'),
  ...each('ROTATION_COMPLETED'),
];

/** Registers the demo app: a managed token, two admins, German by default, 7-day grace. */
export async function enrollDemoApp(
  context: Pick<ScenarioContext, 'system' | 'registry' | 'secretsManager' | 'addWebhook'>,
  appId: string,
  overrides: { policy?: 'auto' | 'remind' } = {},
): Promise<AppRecord> {
  const app = await enrollManagedApp(
    {
      appId,
      secret: `rotor/${appId}`,
      admins: DEMO_ADMINS,
      ...APP_DEFAULTS,
      policy: overrides.policy ?? 'remind',
    },
    {
      secretsManager: context.secretsManager,
      registry: context.registry,
      tokenPrefix: 'rtr_',
      secretNamePrefix: 'rotor/',
      rotationFunctionArn: context.system.rotationHookArn,
      clock: () => new Date(),
    },
  );
  await context.addWebhook?.(appId);
  return app;
}

/** Starts a rotation as the operator API does, and returns its execution's ARN. */
export async function startRotation(
  context: Pick<ScenarioContext, 'sfn' | 'system'>,
  app: AppRecord,
  mode: RotationMode,
  rotationId: string,
): Promise<string> {
  return startRotationWorkflow(context.sfn, context.system.rotationStateMachineArn, {
    appId: app.appId,
    rotationId,
    mode,
    trigger: 'operator',
    startedBy: OPERATOR,
  });
}

async function finished(context: ScenarioContext, executionArn: string): Promise<void> {
  const { status } = await context.system.stepFunctions.whenStopped(executionArn);
  if (status !== 'SUCCEEDED') throw new Error(`the rotation workflow ended ${status}`);
}

/** Waits until the app is in its grace period and the ROTATION_INITIATED emails went out. */
async function inGrace(context: ScenarioContext, app: AppRecord): Promise<void> {
  await until('the app is in its grace period', async () => {
    const now = await context.registry.apps.getApp(app.appId);
    return now.state === 'GRACE';
  });
  await until('ROTATION_INITIATED went to both admins', async () => {
    const mails = await emailsAboutApp(context.system.endpoints.ses, app.appId);
    return mails.filter((mail) => mail.event === 'ROTATION_INITIATED').length === DEMO_ADMINS.length;
  });
}

/**
 * Runs the daily sweep as the schedule does, and waits for it. `again` names a second run the same day
 * (the schedule's own run of a day has one name, so Step Functions would not start it twice).
 */
async function runSweep(context: ScenarioContext, again = ''): Promise<void> {
  const { executionArn } = await context.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: context.system.sweepStateMachineArn,
      name: `sweep-${new Date().toISOString().slice(0, 10)}${again ? `-${again}` : ''}`,
      input: '{}',
    }),
  );
  const { status } = await context.system.whenSweepDone(String(executionArn));
  if (status !== 'SUCCEEDED') throw new Error(`the sweep ended ${status}`);
  await deliveriesEnded(context.system);
}

/**
 * Moves the virtual clock on, as a scenario skips days, once the webhook deliveries under way have ended
 * (see {@link deliveriesEnded}); waits inside functions hold the clock themselves.
 */
async function advanceClock(context: ScenarioContext, untilMs: number): Promise<void> {
  await deliveriesEnded(context.system);
  context.clock.advanceTo(untilMs);
}

/**
 * Waits (at most 15 s) for the webhook deliveries under way: a scenario that moves the clock on by days
 * while a delivery is in flight would have it arrive days after it was signed, which a receiver rightly
 * refuses as a replay. On AWS the clock does not jump.
 */
export async function deliveriesEnded(system: LocalSystem): Promise<void> {
  const running = system.stepFunctions
    .executions('RUNNING')
    .filter((execution) => execution.stateMachineArn === system.webhookStateMachineArn);
  await Promise.race([
    Promise.all(running.map((execution) => system.stepFunctions.whenStopped(execution.executionArn))),
    new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
  ]);
}

/** The rotation workflow execution a rotation the app did not start itself runs in. */
async function rotationExecution(context: ScenarioContext, app: AppRecord): Promise<string> {
  const rotationId = await until('a rotation workflow runs for the app', async () => {
    const [rotation] = await context.registry.rotations.listRotations(app.appId);
    return rotation?.rotationId;
  });
  const executionArn = executionArnFor(context.system.rotationStateMachineArn, rotationId);
  // The rotation is recorded before its execution starts (RotateSecret runs the hook after it answers).
  await until('the rotation workflow has started', async () =>
    context.system.stepFunctions.executions().some((execution) => execution.executionArn === executionArn),
  );
  return executionArn;
}

/** The HubSpot portal of the demo's HubSpot app, and another one. */
const PORTAL = 4711;
const OTHER_PORTAL = 9001;
const OLD_SCOPES = ['crm.objects.contacts.read', 'tickets'];
const NEW_SCOPES = ['crm.objects.contacts.read', 'crm.objects.deals.read'];

function fakeHubSpotOf(context: ScenarioContext) {
  const hubspot = context.system.hubspot;
  if (!hubspot) throw new Error('the scenario needs the fake HubSpot');
  return hubspot;
}

/** A HubSpot private app whose current token (from the fake HubSpot) sits in its secret, registered with Rotor. */
async function enrollHubSpotDemoApp(context: ScenarioContext, appId: string) {
  const hubspot = fakeHubSpotOf(context);
  const oldToken = hubspot.issueToken({ hubId: PORTAL, scopes: OLD_SCOPES });
  await context.secretsManager.send(
    new CreateSecretCommand({
      Name: `rotor/${appId}`,
      SecretString: serializeSecret({ token: oldToken, issuedAt: new Date().toISOString() }),
    }),
  );
  const app = await enrollHubSpotApp(
    {
      appId,
      secret: `rotor/${appId}`,
      admins: DEMO_ADMINS,
      ...APP_DEFAULTS,
      hubId: PORTAL,
      requiredScopes: ['crm.objects.contacts.read'],
    },
    {
      secretsManager: context.secretsManager,
      registry: context.registry,
      secretNamePrefix: 'rotor/',
      hubspotApiUrl: hubspot.url,
      clock: () => new Date(),
    },
  );
  await context.addWebhook?.(appId);
  return { app, oldToken };
}

/** Waits until the workflow waits for the handoff and both admins got an email of `event`. */
async function handoffAwaited(context: ScenarioContext, appId: string, event: string) {
  await until(`${event} went to both admins and the workflow waits`, async () => {
    const app = await context.registry.apps.getApp(appId);
    const mails = await emailsAboutApp(context.system.endpoints.ses, appId);
    return (
      Boolean(app.activeRotation?.handoffTaskToken) &&
      mails.filter((mail) => mail.event === event).length === DEMO_ADMINS.length
    );
  });
}

/**
 * An admin rotates in HubSpot (the fake) and hands tokens over as `rotor submit` does: first one of
 * another portal (must be refused with a sentence naming both portals), then the right one. Virtual
 * time is held meanwhile, as a person takes a moment and no reminder is due.
 */
async function handOver(
  context: ScenarioContext,
  app: AppRecord,
  oldToken: string,
  expireOld: 'later' | 'never',
): Promise<void> {
  const hubspot = fakeHubSpotOf(context);
  const deps = { ...context.operator, sfn: context.sfn };
  const wrong = hubspot.issueToken({ hubId: OTHER_PORTAL, scopes: NEW_SCOPES });
  const refusal = await submitHubSpotToken(deps, app.appId, wrong, OPERATOR).then(
    () => undefined,
    (error: Error) => error,
  );
  if (
    refusal?.name !== 'TokenRejectedError' ||
    !refusal.message.includes(String(OTHER_PORTAL)) ||
    !refusal.message.includes(String(PORTAL))
  ) {
    throw new Error(
      `a token of portal ${OTHER_PORTAL} was not refused with a sentence naming both portals (got: ${refusal?.message ?? 'accepted'})`,
    );
  }
  const newToken = hubspot.rotate(oldToken, { scopes: NEW_SCOPES, expireOld });
  const accepted = await submitHubSpotToken(deps, app.appId, newToken, OPERATOR);
  if (
    accepted.scopesAdded.join() !== 'crm.objects.deals.read' ||
    accepted.scopesRemoved.join() !== 'tickets'
  ) {
    throw new Error(`the scope changes were ${JSON.stringify(accepted)}, expected +deals.read -tickets`);
  }
}

/** The ROTATION_INITIATED emails list the scope changes. */
async function initiatedListsScopes(context: ScenarioContext, appId: string): Promise<void> {
  const initiated = (await emailsAboutApp(context.system.endpoints.ses, appId)).filter(
    (mail) => mail.event === 'ROTATION_INITIATED',
  );
  if (
    !initiated.every((mail) => mail.text.includes('crm.objects.deals.read') && mail.text.includes('tickets'))
  ) {
    throw new Error(
      'the ROTATION_INITIATED emails do not list the scope changes (+crm.objects.deals.read, -tickets)',
    );
  }
}

const HUBSPOT_ACCEPTS = async (context: ScenarioContext, token: string) =>
  fakeHubSpotOf(context).accepts(token);

/** A HubSpot rotation, from the handoff to the end of the grace period. */
async function hubspotRotation(context: ScenarioContext, appId: string, expireOld: 'later' | 'never') {
  const { app, oldToken } = await enrollHubSpotDemoApp(context, appId);
  const release = context.clock.hold();
  let executionArn: string;
  try {
    executionArn = await startRotation(context, app, 'expire-later', `scenario-${appId}`);
    await handoffAwaited(context, appId, 'HANDOFF_REQUESTED');
    await handOver(context, app, oldToken, expireOld);
  } finally {
    release();
  }
  await finished(context, executionArn);
  await initiatedListsScopes(context, appId);
  return app;
}

export { APP_DEFAULTS, DEMO_ADMINS, until };

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'expire-later',
    summary: 'rotate and expire later: the old token works 7 more days, then expires',
    expect: {
      emails: EXPIRE_LATER_EMAILS,
      current: 'new',
      verifies: { old: false, new: true },
      minVirtualMs: 7 * DAY_MS,
    },
    async run(context) {
      const app = await enrollDemoApp(context, 'expire-later');
      await finished(context, await startRotation(context, app, 'expire-later', 'scenario-expire-later'));
      return app;
    },
  },
  {
    name: 'expire-now',
    summary: 'rotate and expire now: the old token dies at once',
    expect: { emails: each('TOKEN_INVALIDATED'), current: 'new', verifies: { old: false, new: true } },
    async run(context) {
      const app = await enrollDemoApp(context, 'expire-now');
      await finished(context, await startRotation(context, app, 'expire-now', 'scenario-expire-now'));
      return app;
    },
  },
  {
    name: 'expire-now-during-grace',
    summary: 'rotate and expire later, then "expire now" two days into the grace period',
    expect: {
      emails: [...each('ROTATION_INITIATED'), ...each('TOKEN_INVALIDATED')],
      current: 'new',
      verifies: { old: false, new: true },
    },
    async run(context) {
      const app = await enrollDemoApp(context, 'expire-now-during-grace');
      const executionArn = await startRotation(context, app, 'expire-later', 'scenario-expire-now-in-grace');
      await inGrace(context, app);
      await advanceClock(context, context.clock.now() + 2 * DAY_MS);
      await expireNow(context.operator, app.appId, OPERATOR);
      await context.system.stepFunctions.whenStopped(executionArn);
      return app;
    },
  },
  {
    name: 'cancel-during-grace',
    summary: 'rotate and expire later, then "cancel rotation": the old token is current again',
    expect: {
      emails: [...each('ROTATION_INITIATED'), ...each('ROTATION_CANCELLED')],
      current: 'old',
      verifies: { old: true, new: false },
    },
    async run(context) {
      const app = await enrollDemoApp(context, 'cancel-during-grace');
      const executionArn = await startRotation(context, app, 'expire-later', 'scenario-cancel-in-grace');
      await inGrace(context, app);
      await advanceClock(context, context.clock.now() + DAY_MS);
      await cancelRotation(context.operator, app.appId, OPERATOR);
      await context.system.stepFunctions.whenStopped(executionArn);
      return app;
    },
  },
  {
    name: 'reminder-overdue',
    summary: 'policy remind: a token older than 180 days gets a reminder from the daily sweep, once',
    expect: { emails: each('ROTATION_REMINDER'), current: 'old', verifies: { old: true, new: null } },
    async run(context) {
      const app = await enrollDemoApp(context, 'reminder-overdue', { policy: 'remind' });
      await advanceClock(context, context.clock.now() + 181 * DAY_MS);
      await runSweep(context);
      // The next day's sweep must not remind again (at most every 30 days).
      await advanceClock(context, context.clock.now() + DAY_MS);
      await runSweep(context);
      return app;
    },
  },
  {
    name: 'reminders-before-due',
    summary:
      'policy remind: the daily sweep reminds 30 and 7 days before the token is due, once each (a re-run sends nothing), then once overdue',
    expect: {
      emails: [...each('ROTATION_DUE_SOON'), ...each('ROTATION_DUE_SOON'), ...each('ROTATION_REMINDER')],
      current: 'old',
      verifies: { old: true, new: null },
      minVirtualMs: 180 * DAY_MS,
    },
    async run(context) {
      const app = await enrollDemoApp(context, 'reminders-before-due', { policy: 'remind' });
      const due = Date.parse(app.tokenIssuedAt) + app.intervalSeconds * 1000;
      // The day before each reminder, its day, and the day before the due date: each day's sweep, then a
      // second run the same day, which must send nothing.
      for (const daysBefore of [31, 30, 8, 7, 1]) {
        await advanceClock(context, due - daysBefore * DAY_MS + HOUR_MS);
        await runSweep(context);
        await runSweep(context, 'again');
      }
      // Across the due date: the token is overdue now, and the 180-day reminder takes over.
      await advanceClock(context, due + HOUR_MS);
      await runSweep(context);
      return app;
    },
  },
  {
    name: 'auto-rotation-by-schedule',
    summary: 'policy auto: the daily sweep starts an expire-later rotation of a token older than 180 days',
    expect: {
      emails: EXPIRE_LATER_EMAILS,
      current: 'new',
      verifies: { old: false, new: true },
      minVirtualMs: 188 * DAY_MS,
    },
    async run(context) {
      const app = await enrollDemoApp(context, 'auto-rotation', { policy: 'auto' });
      await advanceClock(context, context.clock.now() + 181 * DAY_MS);
      await runSweep(context);
      await finished(context, await rotationExecution(context, app));
      return app;
    },
  },
  {
    name: 'failure-in-test-step',
    summary: "the new token fails Secrets Manager's testSecret step: roll back, the old token stays",
    // The half-made version loses AWSPENDING and its token is refused; the old one stays current.
    expect: { emails: each('ROTATION_FAILED'), current: 'old', verifies: { old: true, new: false } },
    async run(context) {
      const app = await enrollDemoApp(context, 'failure-in-test');
      context.failTestSecret.add(app.appId);
      const executionArn = await startRotation(context, app, 'expire-later', 'scenario-failure');
      const { status } = await context.system.stepFunctions.whenStopped(executionArn);
      if (status !== 'FAILED') throw new Error(`the failed rotation's workflow ended ${status}, not FAILED`);
      return app;
    },
  },
  {
    name: 'secrets-manager-native-rotation',
    summary: '`aws secretsmanager rotate-secret` on a managed secret runs the whole lifecycle too',
    expect: {
      emails: EXPIRE_LATER_EMAILS,
      current: 'new',
      verifies: { old: false, new: true },
      minVirtualMs: 7 * DAY_MS,
    },
    async run(context) {
      const app = await enrollDemoApp(context, 'native-rotation');
      await context.secretsManager.send(new RotateSecretCommand({ SecretId: app.secretArn }));
      await finished(context, await rotationExecution(context, app));
      return app;
    },
  },
  {
    name: 'hubspot-handoff',
    summary:
      'a HubSpot token: the admins rotate in HubSpot and hand the new one over; HubSpot refuses the old one after 7 days',
    expect: {
      emails: [
        ...each('HANDOFF_REQUESTED'),
        ...each('ROTATION_INITIATED'),
        ...each('TOKEN_EXPIRES_IN_24H'),
        ...each('ROTATION_COMPLETED'),
      ],
      current: 'new',
      verifies: { old: false, new: true },
      minVirtualMs: 7 * DAY_MS,
    },
    verify: HUBSPOT_ACCEPTS,
    run: (context) => hubspotRotation(context, 'hubspot-handoff', 'later'),
  },
  {
    name: 'hubspot-old-token-still-valid',
    summary:
      'a HubSpot token whose old one HubSpot still accepts when the grace period ends: a warning, not "completed"',
    expect: {
      emails: [
        ...each('HANDOFF_REQUESTED'),
        ...each('ROTATION_INITIATED'),
        ...each('TOKEN_EXPIRES_IN_24H'),
        ...each('HUBSPOT_TOKEN_STILL_VALID'),
      ],
      current: 'new',
      verifies: { old: true, new: true },
      minVirtualMs: 7 * DAY_MS,
    },
    verify: HUBSPOT_ACCEPTS,
    run: (context) => hubspotRotation(context, 'hubspot-still-valid', 'never'),
  },
  {
    name: 'hubspot-handoff-timeout',
    summary:
      'nobody hands the new HubSpot token over: a reminder a day, then after 7 days the rotation gives up',
    expect: {
      emails: [
        ...each('HANDOFF_REQUESTED'),
        ...Array.from({ length: 6 }, () => each('HANDOFF_REMINDER')).flat(),
        ...each('ROTATION_FAILED'),
      ],
      current: 'old',
      verifies: { old: true, new: null },
      minVirtualMs: 7 * DAY_MS,
    },
    verify: HUBSPOT_ACCEPTS,
    async run(context) {
      const { app } = await enrollHubSpotDemoApp(context, 'hubspot-timeout');
      const executionArn = await startRotation(context, app, 'expire-later', 'scenario-hubspot-timeout');
      const { status } = await context.system.stepFunctions.whenStopped(executionArn);
      if (status !== 'FAILED')
        throw new Error(`the abandoned handoff's workflow ended ${status}, not FAILED`);
      const now = await context.registry.apps.getApp(app.appId);
      if (now.state !== 'ACTIVE' || now.currentVersionId !== app.currentVersionId) {
        throw new Error(`after giving up the app is ${now.state} with version ${now.currentVersionId}`);
      }
      return app;
    },
  },
];

/** "7d 0h 12m": a virtual duration for people. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return `${days}d ${hours}h ${minutes % 60}m`;
}

/** Compares what happened with what the scenario expects; each mismatch is one sentence. */
function problemsOf(
  expectation: Expectation,
  seen: Pick<
    ScenarioReport,
    'emails' | 'events' | 'webhookDeliveries' | 'labels' | 'versions' | 'verifies' | 'virtualElapsedMs'
  >,
): string[] {
  const problems: string[] = [];
  // Each event also reached the app's webhook, signed, once, with the event's own detail.
  const delivered = seen.webhookDeliveries.map((delivery) => delivery.detailType);
  const published = seen.events.map((event) => event.detailType);
  if (JSON.stringify(delivered) !== JSON.stringify(published)) {
    problems.push(`webhook deliveries were [${delivered.join(', ')}], expected [${published.join(', ')}]`);
  }
  for (const delivery of seen.webhookDeliveries) {
    if (delivery.verdict !== 'accepted' || !delivery.sameAsEvent) {
      problems.push(
        `the webhook delivery of ${delivery.detailType} was ${delivery.verdict}${delivery.sameAsEvent ? '' : ", with a detail other than the event's"}`,
      );
    }
  }
  const emails = seen.emails.map((mail) => `${mail.event} ${mail.locale}`);
  if (JSON.stringify(emails) !== JSON.stringify(expectation.emails)) {
    problems.push(`emails were [${emails.join(', ')}], expected [${expectation.emails.join(', ')}]`);
  }
  // One event per occasion the admins were emailed about (each of them once), in the same order, each
  // valid by its schema: a run of one step's emails to N recipients is runLength / N occasions.
  const expectedEvents: string[] = [];
  for (let i = 0; i < seen.emails.length; ) {
    const event = seen.emails[i]?.event as NotificationEvent;
    let end = i;
    while (end < seen.emails.length && seen.emails[end]?.event === event) end += 1;
    const run = seen.emails.slice(i, end);
    const occasions = Math.max(1, Math.round(run.length / new Set(run.map((mail) => mail.to)).size));
    for (let k = 0; k < occasions; k += 1) expectedEvents.push(DETAIL_TYPES[event]);
    i = end;
  }
  const emailed = seen.events.filter((event) => isNotificationEvent(event.event as RotorEvent));
  const detailTypes = emailed.map((event) => event.detailType);
  if (JSON.stringify(detailTypes) !== JSON.stringify(expectedEvents)) {
    problems.push(`events were [${detailTypes.join(', ')}], expected [${expectedEvents.join(', ')}]`);
  }
  // And each rotation's first event says that it started, once.
  const rotations = [...new Set(emailed.flatMap((event) => event.rotationId ?? []))];
  for (const rotationId of rotations) {
    const ofRotation = seen.events.filter((event) => event.rotationId === rotationId);
    const started = ofRotation.filter((event) => event.event === 'ROTATION_STARTED');
    if (started.length !== 1 || ofRotation[0]?.event !== 'ROTATION_STARTED') {
      problems.push(
        `rotation ${rotationId} had ${started.length} "Rotor Rotation Started" events, expected one, first`,
      );
    }
  }
  for (const event of seen.events) {
    if (event.schemaProblems.length > 0) {
      problems.push(
        `the ${event.detailType} event does not fit its schema: ${event.schemaProblems.join('; ')}`,
      );
    }
  }
  const currentId = expectation.current === 'old' ? seen.versions.old : seen.versions.new;
  const expectedLabels = currentId ? { [currentId]: ['AWSCURRENT'] } : {};
  if (JSON.stringify(seen.labels) !== JSON.stringify(expectedLabels)) {
    problems.push(
      `labels were ${JSON.stringify(seen.labels)}, expected only the ${expectation.current} version AWSCURRENT`,
    );
  }
  for (const which of ['old', 'new'] as const) {
    if (seen.verifies[which] !== expectation.verifies[which]) {
      problems.push(
        `the ${which} token ${describeVerify(seen.verifies[which])}, expected it ${describeVerify(expectation.verifies[which])}`,
      );
    }
  }
  if (expectation.minVirtualMs !== undefined && seen.virtualElapsedMs < expectation.minVirtualMs) {
    problems.push(
      `only ${formatDuration(seen.virtualElapsedMs)} passed, expected at least ${formatDuration(expectation.minVirtualMs)}`,
    );
  }
  return problems;
}

function describeVerify(value: boolean | null): string {
  return value === null ? 'does not exist' : value ? 'verifies' : 'is refused';
}

export interface RunOptions {
  /** Virtual seconds per real second of a wait. @default 2_000_000 (a 7-day wait in a third of a second) */
  readonly speed?: number;
}

/** The clients a driver of the local system uses, and the operator actions (expire now, cancel) on them. */
export function clientsFor(system: LocalSystem) {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const registry = new Registry({ documentClient, tableName: system.tableName });
  const secretsManager = new SecretsManagerClient({});
  const sfn = new SFNClient({});
  const clock = () => new Date();
  const ses = new SESClient({});
  const senderAddress = system.env.SENDER_ADDRESS ?? 'rotor@example.com';
  // The operator's emails carry the console's buttons and go on the bus, as the operator API's do.
  const events = {
    client: new EventBridgeClient({}),
    busName: system.env.EVENT_BUS_NAME ?? DEFAULT_EVENT_BUS,
  };
  const consoleUrl = system.env.CONSOLE_URL;
  const operator: OperatorDependencies = {
    registry,
    secretsManager,
    sfn,
    rotationStateMachineArn: system.rotationStateMachineArn,
    clock,
    deliver: (appId) =>
      deliverOutbox(
        {
          registry,
          ses,
          senderAddress,
          clock,
          events,
          webhooks: { client: sfn, stateMachineArn: system.webhookStateMachineArn },
          ...(consoleUrl ? { consoleUrl } : {}),
        },
        appId,
      ),
  };
  return { registry, secretsManager, sfn, operator };
}

/** The operator who adds the scenarios' webhooks, through the local operator API. */
const SCENARIO_OPERATOR: LocalApiUser = {
  accessKeyId: 'AKIALOCALSCENARIOS01',
  secretAccessKey: 'scenarios-local-secret',
  userName: 'local-admin',
};

/**
 * The deliveries the app's webhook received, once every delivery execution has ended, each checked as
 * a receiver checks it: with the signing secret from the webhook's secret, at the time it arrived.
 */
async function webhookDeliveriesOf(
  context: ScenarioContext,
  app: AppRecord,
  events: readonly ReceivedEvent[],
): Promise<ScenarioReport['webhookDeliveries']> {
  const { system } = context;
  // Every delivery has ended within seconds (its retries take 200 ms here); one that has not is reported.
  await deliveriesEnded(system);
  const webhook = Object.values(app.webhooks ?? {})[0];
  if (!webhook) return [];
  const secret = await context.secretsManager.send(
    new GetSecretValueCommand({ SecretId: webhook.secretArn }),
  );
  const { signingSecret } = JSON.parse(secret.SecretString ?? '{}') as { signingSecret?: string };
  const deliveries = system.webhooks.deliveries(app.appId);
  const verdicts = verifyDeliveries(deliveries, signingSecret ?? '');
  const details = events
    .filter((event) => event.detail.appId === app.appId)
    .map((event) => JSON.stringify(event.detail));
  const reported = deliveries.map((delivery, index) => {
    const verdict = verdicts[index];
    const detail = JSON.stringify((JSON.parse(delivery.body) as { detail?: unknown }).detail);
    return {
      detailType: delivery.detailType ?? '',
      deliveryId: delivery.deliveryId ?? '',
      receivedAt: delivery.receivedAt,
      status: delivery.status,
      verdict: verdict?.accepted ? 'accepted' : (verdict?.reason ?? 'unchecked'),
      sameAsEvent: details.includes(detail),
      order: details.includes(detail) ? details.indexOf(detail) : details.length + index,
    };
  });
  // Each delivery is an execution of its own, so two of the same moment (a rotation's start and its
  // first step) may arrive in either order: they are reported in the order of their events.
  return reported.sort((a, b) => a.order - b.order).map(({ order: _order, ...delivery }) => delivery);
}

/** Runs one scenario on fresh stand-ins and a fresh virtual clock, and reports what happened. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioReport> {
  const started = performance.now();
  const clock = VirtualClock.install({ speed: options.speed ?? 2_000_000 });
  const failTestSecret = new Set<string>();
  let system: LocalSystem | undefined;
  let api: LocalApi | undefined;
  try {
    system = await startLocalSystem({
      clock,
      // A webhook delivery the receiver did not take is retried in 200 ms rather than AWS's 30 s and more.
      retryIntervalOverrides: { CheckPromotion: 400, DeliverWebhook: 200 },
      // The sweep's send slots (SES's rate) are the sweep-scale test's and bench's subject; here every
      // scenario's few apps go at once, as they did before the slots.
      waitTimeOverrides: { WaitForSendSlot: 0 },
      wrapHandler: (fn, handler) => {
        if (fn.handler !== 'rotation-hook') return handler;
        return async (event) => {
          const { SecretId, ClientRequestToken, Step } = event as Record<string, string>;
          const appId = [...failTestSecret].find((id) => SecretId?.includes(`rotor/${id}`));
          if (appId && Step === 'testSecret') {
            // A real fault: the pending token's registration is gone, so testSecret refuses it.
            await registry.tokens.setTokenStatus(appId, String(ClientRequestToken), {
              status: 'revoked',
              from: ['pending'],
              revokedAt: new Date().toISOString(),
            });
          }
          return handler(event);
        };
      },
    });
    const { registry, secretsManager, sfn, operator } = clientsFor(system);
    api = await startLocalApi({ credentials: [SCENARIO_OPERATOR], handler: operatorApiOf(system) });
    const operatorApi = api;
    const context: ScenarioContext = {
      system,
      clock,
      registry,
      secretsManager,
      sfn,
      operator,
      failTestSecret,
      addWebhook: async (appId) => {
        const url = new URL(`${operatorApi.url}/apps/${appId}/webhooks`);
        const body = JSON.stringify({ url: system?.webhooks.hookUrl(appId), kind: 'json' });
        const headers = await signRequest(
          { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
          SCENARIO_OPERATOR,
          system?.region ?? 'eu-central-1',
        );
        const answer = await fetch(url, { method: 'POST', headers, body });
        if (answer.status !== 201)
          throw new Error(`adding the webhook answered ${answer.status}: ${await answer.text()}`);
      },
    };

    const enrolled = await scenario.run(context);
    const app = await registry.apps.getApp(enrolled.appId);
    const [rotation] = await registry.rotations.listRotations(app.appId);
    const newVersionId = rotation?.newVersionId ?? null;
    const labels = await versionLabels(secretsManager, app.secretArn);
    const verifyVersion = async (versionId: string | null): Promise<boolean | null> => {
      if (versionId === null) return null;
      try {
        const token = await tokenOfVersion(secretsManager, app.secretArn, versionId);
        return scenario.verify ? await scenario.verify(context, token) : await isAccepted(registry, token);
      } catch {
        return null; // the version is gone (a failed rotation removes what it made)
      }
    };
    const verifies = {
      old: (await verifyVersion(enrolled.currentVersionId)) ?? false,
      new: await verifyVersion(newVersionId),
    };
    const emails = (await emailsAboutApp(system.endpoints.ses, app.appId)).map(summaryOf);
    const events = system.eventBridge
      .events()
      .filter((event) => event.detail.appId === app.appId)
      .map((event) => ({
        detailType: event.detailType,
        event: String(event.detail.event),
        ...(typeof event.detail.rotationId === 'string' ? { rotationId: event.detail.rotationId } : {}),
        ...(typeof event.detail.failedStep === 'string' ? { failedStep: event.detail.failedStep } : {}),
        time: event.time,
        schemaProblems: eventProblems(event),
      }));
    const webhookDeliveries = await webhookDeliveriesOf(context, app, system.eventBridge.events());
    const seen = {
      emails,
      events,
      webhookDeliveries,
      labels,
      versions: { old: enrolled.currentVersionId, new: verifies.new === null ? null : newVersionId },
      verifies,
      virtualElapsedMs: clock.elapsed(),
    };
    const problems = problemsOf(scenario.expect, seen);
    return {
      name: scenario.name,
      summary: scenario.summary,
      passed: problems.length === 0,
      problems,
      ...seen,
      virtualElapsed: formatDuration(seen.virtualElapsedMs),
      wallMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    return {
      name: scenario.name,
      summary: scenario.summary,
      passed: false,
      problems: [(error as Error).message],
      emails: [],
      events: [],
      webhookDeliveries: [],
      labels: {},
      versions: { old: '', new: null },
      verifies: { old: false, new: null },
      virtualElapsed: formatDuration(clock.elapsed()),
      virtualElapsedMs: clock.elapsed(),
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await api?.close();
    await system?.close();
    clock.uninstall();
  }
}

function summaryOf(mail: SeenEmail) {
  return { event: mail.event, to: mail.to, locale: mail.locale, subject: mail.subject };
}

/** Runs the named scenarios (all when none is named) one after another, each on fresh stand-ins. */
export async function runScenarios(names: readonly string[], options: RunOptions = {}) {
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  const chosen =
    names.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => names.includes(scenario.name));
  const reports: ScenarioReport[] = [];
  for (const scenario of chosen) reports.push(await runScenario(scenario, options));
  return reports;
}
