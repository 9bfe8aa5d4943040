import { Argument, type Command, Option } from 'commander';
import { ISSUERS, LOCALES, MODES, POLICIES } from '../../lambda/contract/appSettings.ts';
import { formatTimeBefore } from '../../lambda/contract/duration.ts';
import type { AppSummaryView, AppView, WebhookView } from '../../lambda/contract/views.ts';
import { WEBHOOK_KINDS } from '../../lambda/contract/webhooks.ts';
import {
  adminArgument,
  appIdArgument,
  customerArgument,
  durationArgument,
  hubIdArgument,
  hubspotApiUrlArgument,
  remindBeforeArgument,
  scopeArgument,
  secretArgument,
  timeZoneArgument,
  webhookArgument,
  webhookIdArgument,
} from '../arguments.ts';
import { type CommandContext, withExample } from '../commandContext.ts';
import { type Colour, formatDuration, localTime, printJson, relative, span, table } from '../format.ts';
import type { ApiClient } from '../io.ts';
import { UsageError } from '../io.ts';

const STATE_COLOURS: Record<string, Colour> = { ACTIVE: 'green', GRACE: 'yellow', ROTATING: 'blue' };
const OUTCOME_COLOURS: Record<string, Colour> = {
  completed: 'green',
  'in-grace': 'yellow',
  cancelled: 'dim',
  failed: 'red',
  succeeded: 'green',
  refused: 'yellow',
};

export const appArgument = () => new Argument('<app>', 'the app id').argParser(appIdArgument);

/** `--remind-before` and `--notice-before`, which `apps add` and `apps update` share. */
const remindBeforeOption = () =>
  new Option(
    '--remind-before <days|none>',
    'remind the admins so long before the token is due, e.g. 30d,7d (the default), or none',
  ).argParser(remindBeforeArgument);
const noticeBeforeOption = () =>
  new Option(
    '--notice-before <duration>',
    'announce the end of a grace period so long before, e.g. 24h (the default)',
  ).argParser(durationArgument('noticeBefore'));

/** The API's fields for the reminder options given. */
function reminderFields(options: { remindBefore?: string[]; noticeBefore?: string }) {
  return {
    ...(options.remindBefore ? { remindBefore: options.remindBefore } : {}),
    ...(options.noticeBefore ? { noticeBefore: options.noticeBefore } : {}),
  };
}
export const jsonOption = () => new Option('--json', 'print JSON for scripts');

/** For a HubSpot app: its portal and the scopes of its token. */
function hubspotLines(app: AppView): [string, string][] {
  if (!app.hubspot) return [];
  const { hubId, scopes, requiredScopes, handoffTimeoutSeconds } = app.hubspot;
  return [
    ['hubspot portal', String(hubId)],
    ['token scopes', scopes.length > 0 ? scopes.join(', ') : '-'],
    ['required', requiredScopes.length > 0 ? requiredScopes.join(', ') : '-'],
    ['handoff', `the new token is awaited for up to ${span(handoffTimeoutSeconds)} after a rotation starts`],
  ];
}

/** The emails SES refused for good, one line each, and what to do about them. */
function undeliveredLines(app: AppView, paint: (colour: Colour, text: string) => string): [string, string][] {
  const emails = app.undeliveredEmails ?? [];
  if (emails.length === 0) return [];
  const lines = emails.map((email, index): [string, string] => [
    index === 0 ? 'undelivered' : '',
    `${paint('red', email.event)} to ${email.recipient}, ${localTime(email.at, app.timeZone)}${
      email.rotationId ? ` (${email.rotationId})` : ''
    }: ${email.reason}`,
  ]);
  lines.push([
    '',
    emails.some((email) => !email.recipient.includes('@'))
      ? "These were refused for good (a webhook: after its retries) and are not tried again: check the address, the SES sandbox, the sender identity, the event bus or the webhook's receiver"
      : 'SES refused these for good and they are not retried: check the address, the SES sandbox and the sender identity',
  ]);
  return lines;
}

/** When the admins hear before a due date and before a grace period ends (`rotor apps update` changes both). */
function noticesText(app: AppView): string {
  // An API from before these settings answers without them: its defaults.
  const before = app.remindBeforeSeconds ?? [30 * 86_400, 7 * 86_400];
  const notice = formatTimeBefore(app.noticeBeforeSeconds ?? 86_400);
  return `${
    before.length === 0
      ? 'no reminders before the due date'
      : `reminded ${before.map(formatDuration).join(' and ')} before the due date`
  }; the old token's expiry announced ${notice} before`;
}

function lastRotationText(last: AppSummaryView['lastRotation'], timeZone: string): string {
  if (!last) return 'never rotated';
  return `${last.outcome}${last.failedStep ? ` at ${last.failedStep}` : ''} ${localTime(last.at, timeZone)}`;
}

/** The lines of `rotor apps show`. */
export function describeApp(
  app: AppView,
  now: Date,
  paint: (colour: Colour, text: string) => string,
): string {
  const tz = app.timeZone;
  const due = app.policy === 'auto' ? 'rotates then by itself' : 'admins are reminded then';
  const lines: [string, string][] = [
    ['state', paint(STATE_COLOURS[app.state] ?? 'bold', app.state)],
    ['issuer', app.issuer],
    ...hubspotLines(app),
    ['secret', app.secretArn],
    [
      'admins',
      app.admins.map((admin) => `${admin.email}${admin.locale ? ` (${admin.locale})` : ''}`).join(', '),
    ],
    ...(app.customers.length > 0 ? ([['customers', app.customers.join(', ')]] as [string, string][]) : []),
    [
      'token',
      `version ${app.currentVersionId}, ${span(app.tokenAgeSeconds)} old (issued ${localTime(app.tokenIssuedAt, tz)})`,
    ],
    [
      'next due',
      `${localTime(app.nextDueAt, tz)} (${relative(app.nextDueAt, now)}); policy ${app.policy}: ${due}`,
    ],
    [
      'settings',
      `interval ${formatDuration(app.intervalSeconds)}, grace ${formatDuration(app.graceSeconds)}, locale ${app.locale}, ${tz}`,
    ],
    ['notices', noticesText(app)],
  ];
  const rotation = app.rotation;
  if (rotation) {
    lines.push([
      'rotation',
      `${rotation.rotationId}: ${rotation.mode}, started ${localTime(rotation.startedAt, tz)} by ${rotation.startedBy}${
        rotation.reason ? ` ("${rotation.reason}")` : ''
      }${rotation.ending ? `, being ended (${rotation.ending})` : ''}`,
    ]);
    if (rotation.expiresAt) {
      const old = rotation.oldToken;
      lines.push([
        'grace ends',
        `${localTime(rotation.expiresAt, tz)} (in ${span(rotation.graceRemainingSeconds ?? 0)}); the old token${
          old ? ` (version ${old.versionId})` : ''
        } is valid until then`,
      ]);
      if (old?.usesLast24h !== undefined) {
        lines.push([
          'old token use',
          old.usesLast24h === 0
            ? 'not used in the last 24 h: nothing seems to depend on it any more'
            : `used ${old.usesLast24h} times in the last 24 h${
                old.lastUsedAt ? `, last ${localTime(old.lastUsedAt, tz)}` : ''
              }: switch those callers to the new token`,
        ]);
      }
      lines.push(['next', `rotor expire-now ${app.appId}   or   rotor cancel ${app.appId}`]);
    }
  }
  for (const [index, webhook] of (app.webhooks ?? []).entries()) {
    lines.push([
      index === 0 ? 'webhooks' : '',
      `${webhook.webhookId} ${webhook.kind} to ${webhook.host} (URL in secret ${webhook.secretArn})`,
    ]);
  }
  lines.push(['last rotation', lastRotationText(app.lastRotation, tz)]);
  for (const [index, work] of (app.stuck ?? []).entries()) {
    lines.push([index === 0 ? 'stuck' : '', `${paint('red', work.problem)}; ${work.next}`]);
  }
  lines.push(...undeliveredLines(app, paint));
  const width = Math.max(...lines.map(([label]) => label.length));
  return `${paint('bold', app.appId)}  (times in ${tz})\n${lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

const webhookOption = () =>
  new Option(
    '--webhook <url>',
    'a webhook to send every event of the app to (repeat for more); its URL is kept in Secrets Manager',
  ).argParser(webhookArgument);
const webhookKindOption = () =>
  new Option(
    '--webhook-kind <kind>',
    'what the --webhook URLs get: a signed JSON event, or a Slack or Teams message (default: from the host)',
  ).choices(WEBHOOK_KINDS);

/** Adds each `--webhook` to an app, one request each; returns the API's sentences. */
async function addWebhooks(
  api: ApiClient,
  appId: string,
  urls: readonly string[],
  kind: string | undefined,
): Promise<{ webhook: WebhookView; message: string }[]> {
  const added: { webhook: WebhookView; message: string }[] = [];
  for (const url of urls) {
    added.push(
      await api.request<{ webhook: WebhookView; message: string }>('POST', `/apps/${appId}/webhooks`, {
        body: { url, ...(kind ? { kind } : {}) },
      }),
    );
  }
  return added;
}

export function registerApps(program: Command, context: CommandContext): void {
  const { io } = context;
  const apps = withExample(
    program.command('apps').description('register, update, list, show and remove apps'),
    'rotor apps list',
  );

  withExample(
    apps
      .command('add')
      .description(
        "register an app: create its secret (or adopt an existing one) and turn on rotation through Rotor's hook",
      )
      .addArgument(appArgument())
      .addOption(
        new Option('--secret <name|arn>', "the secret, under the deployment's name prefix")
          .argParser(secretArgument)
          .makeOptionMandatory(),
      )
      .addOption(new Option('--issuer <issuer>', 'who mints the tokens').choices(ISSUERS).default('managed'))
      .addOption(
        new Option(
          '--admin <email[:locale]>',
          'an admin to email (repeat for more); :en or :de sets their language',
        ).argParser(adminArgument),
      )
      .addOption(new Option('--locale <locale>', 'the language of the emails').choices(LOCALES))
      .addOption(
        new Option('--time-zone <zone>', 'the time zone of the times in emails').argParser(timeZoneArgument),
      )
      .addOption(
        new Option('--interval <duration>', 'a token older than this is due, e.g. 180d').argParser(
          durationArgument('interval'),
        ),
      )
      .addOption(
        new Option('--grace <duration>', 'the default grace period, e.g. 7d').argParser(
          durationArgument('grace'),
        ),
      )
      .addOption(
        new Option('--reminder-repeat <duration>', 'how often to remind, e.g. 30d').argParser(
          durationArgument('reminderRepeat'),
        ),
      )
      .addOption(
        new Option('--policy <policy>', 'what the daily sweep does with a due token').choices(POLICIES),
      )
      .addOption(new Option('--default-mode <mode>', 'the mode of scheduled rotations').choices(MODES))
      .addOption(remindBeforeOption())
      .addOption(noticeBeforeOption())
      .addOption(
        new Option(
          '--customer <email>',
          'a customer contact to tell about rotations (repeat for more)',
        ).argParser(customerArgument),
      )
      .addOption(
        new Option('--hub-id <id>', 'hubspot: the HubSpot portal (hub id) of the app').argParser(
          hubIdArgument,
        ),
      )
      .addOption(
        new Option(
          '--scope <scope>',
          'hubspot: a scope every new token must have (repeat for more)',
        ).argParser(scopeArgument),
      )
      .addOption(
        new Option(
          '--hubspot-api-url <url>',
          "hubspot: HubSpot's API (default https://api.hubapi.com)",
        ).argParser(hubspotApiUrlArgument),
      )
      .addOption(
        new Option(
          '--handoff-timeout <duration>',
          'hubspot: how long a rotation waits for the new token, e.g. 7d',
        ).argParser(durationArgument('handoffTimeout')),
      )
      .addOption(webhookOption())
      .addOption(webhookKindOption())
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        if (options.webhookKind && !options.webhook)
          throw new UsageError('--webhook-kind goes with --webhook <url>');
        const hubspotOnly = ['hubId', 'scope', 'hubspotApiUrl', 'handoffTimeout'].find(
          (key) => options[key] !== undefined,
        );
        if (options.issuer !== 'hubspot' && hubspotOnly) {
          throw new UsageError(
            `--${hubspotOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is only for --issuer hubspot`,
          );
        }
        if (options.issuer === 'hubspot' && options.hubId === undefined) {
          throw new UsageError('--issuer hubspot needs --hub-id, the HubSpot portal of the app (e.g. 4711)');
        }
        const api = await context.api(command);
        const answer = await api.request<{ app: AppView; message: string }>('POST', '/apps', {
          body: {
            appId,
            secret: options.secret,
            ...(options.admin ? { admins: options.admin } : {}),
            ...(options.customer ? { customers: options.customer } : {}),
            ...(options.locale ? { locale: options.locale } : {}),
            ...(options.timeZone ? { timeZone: options.timeZone } : {}),
            ...(options.interval ? { interval: options.interval } : {}),
            ...(options.grace ? { grace: options.grace } : {}),
            ...(options.reminderRepeat ? { reminderRepeat: options.reminderRepeat } : {}),
            ...(options.policy ? { policy: options.policy } : {}),
            ...(options.defaultMode ? { defaultMode: options.defaultMode } : {}),
            ...reminderFields(options),
            ...(options.issuer === 'hubspot'
              ? {
                  issuer: 'hubspot',
                  hubId: options.hubId,
                  ...(options.scope ? { scopes: options.scope } : {}),
                  ...(options.hubspotApiUrl ? { hubspotApiUrl: options.hubspotApiUrl } : {}),
                  ...(options.handoffTimeout ? { handoffTimeout: options.handoffTimeout } : {}),
                }
              : {}),
          },
        });
        const added = await addWebhooks(api, appId, options.webhook ?? [], options.webhookKind);
        const app =
          added.length > 0 ? (await api.request<{ app: AppView }>('GET', `/apps/${appId}`)).app : answer.app;
        if (options.json) return printJson(io, { ...answer, app, webhooks: added });
        const messages = [answer.message, ...added.map((webhook) => webhook.message)].join('\n');
        io.stdout(`${messages}\n\n${describeApp(app, io.now(), context.paint(command))}`);
      }),
    'rotor apps add billing-api --secret rotor/billing-api --admin ops@example.com --admin dev@example.com:en --grace 7d',
  );

  withExample(
    apps
      .command('update')
      .description(
        'change a registered app: the reminders before its token is due, the notice before a grace period ends, its webhooks',
      )
      .addArgument(appArgument())
      .addOption(remindBeforeOption())
      .addOption(noticeBeforeOption())
      .addOption(webhookOption())
      .addOption(webhookKindOption())
      .addOption(
        new Option(
          '--remove-webhook <id>',
          'a webhook to remove, as "rotor apps show" lists it (repeat for more)',
        ).argParser(webhookIdArgument),
      )
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        if (options.webhookKind && !options.webhook) {
          throw new UsageError('--webhook-kind goes with --webhook <url>');
        }
        const settings = reminderFields(options);
        if (Object.keys(settings).length === 0 && !options.webhook && !options.removeWebhook) {
          throw new UsageError(
            'apps update needs something to change: --remind-before, --notice-before, --webhook <url> or --remove-webhook <id>',
          );
        }
        const api = await context.api(command);
        const messages: string[] = [];
        if (Object.keys(settings).length > 0) {
          const changed = await api.request<{ message: string }>('PATCH', `/apps/${appId}`, {
            body: settings,
          });
          messages.push(changed.message);
        }
        for (const webhookId of options.removeWebhook ?? []) {
          const removed = await api.request<{ message: string }>(
            'DELETE',
            `/apps/${appId}/webhooks/${webhookId}`,
          );
          messages.push(removed.message);
        }
        const added = await addWebhooks(api, appId, options.webhook ?? [], options.webhookKind);
        messages.push(...added.map((webhook) => webhook.message));
        const { app } = await api.request<{ app: AppView }>('GET', `/apps/${appId}`);
        if (options.json) return printJson(io, { app, messages, webhooks: added });
        io.stdout(`${messages.join('\n')}\n\n${describeApp(app, io.now(), context.paint(command))}`);
      }),
    'rotor apps update billing-api --remind-before 30d,7d,1d --notice-before 48h',
    'rotor apps update billing-api --webhook https://hooks.slack.com/services/T000/B000/XXXX',
  );

  withExample(
    apps
      .command('list')
      .description('list every app with its state, token age and next due date')
      .addOption(jsonOption())
      .action(async (options, command: Command) => {
        const api = await context.api(command);
        const answer = await api.request<{ apps: AppSummaryView[] }>('GET', '/apps');
        if (options.json) return printJson(io, answer);
        if (answer.apps.length === 0) {
          io.stdout(
            'No apps are registered yet; add one with "rotor apps add <app> --secret <name> --admin <email>".\n',
          );
          return;
        }
        const paint = context.paint(command);
        const now = io.now();
        const rows = answer.apps.map((app) => [
          app.appId,
          paint(STATE_COLOURS[app.state] ?? 'bold', app.state),
          span(app.tokenAgeSeconds),
          app.graceEndsAt ? `grace ends ${relative(app.graceEndsAt, now)}` : relative(app.nextDueAt, now),
          app.lastRotation
            ? paint(OUTCOME_COLOURS[app.lastRotation.outcome] ?? 'bold', app.lastRotation.outcome)
            : '-',
        ]);
        io.stdout(`${table(['APP', 'STATE', 'TOKEN AGE', 'NEXT', 'LAST ROTATION'], rows)}\n`);
      }),
    'rotor apps list --json',
  );

  withExample(
    apps
      .command('show')
      .description(
        'show an app: state, token age, next due date, grace countdown, last rotation, undelivered emails',
      )
      .addArgument(appArgument())
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        const api = await context.api(command);
        const answer = await api.request<{ app: AppView }>('GET', `/apps/${appId}`);
        if (options.json) return printJson(io, answer);
        io.stdout(describeApp(answer.app, io.now(), context.paint(command)));
      }),
    'rotor apps show billing-api',
  );

  withExample(
    apps
      .command('remove')
      .description(
        'remove an app from Rotor (refused while a rotation runs); its secret is kept, not deleted',
      )
      .addArgument(appArgument())
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        const api = await context.api(command);
        const answer = await api.request<{ message: string }>('DELETE', `/apps/${appId}`);
        if (options.json) return printJson(io, answer);
        io.stdout(`${answer.message}\n`);
      }),
    'rotor apps remove billing-api',
  );
}
