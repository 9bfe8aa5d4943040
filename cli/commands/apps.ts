import { Argument, type Command, Option } from 'commander';
import { ISSUERS, LOCALES, MODES, POLICIES } from '../../lambda/contract/appSettings.ts';
import { formatTimeBefore } from '../../lambda/contract/duration.ts';
import type { AppSummaryView, AppView } from '../../lambda/contract/views.ts';
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
} from '../arguments.ts';
import { type CommandContext, withExample } from '../commandContext.ts';
import { type Colour, formatDuration, localTime, printJson, relative, span, table } from '../format.ts';
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
    emails.some((email) => email.recipient.startsWith('eventbridge:'))
      ? 'SES or EventBridge refused these for good and they are not retried: check the address, the SES sandbox, the sender identity and the event bus'
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
  lines.push(['last rotation', lastRotationText(app.lastRotation, tz)]);
  for (const [index, work] of (app.stuck ?? []).entries()) {
    lines.push([index === 0 ? 'stuck' : '', `${paint('red', work.problem)}; ${work.next}`]);
  }
  lines.push(...undeliveredLines(app, paint));
  const width = Math.max(...lines.map(([label]) => label.length));
  return `${paint('bold', app.appId)}  (times in ${tz})\n${lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

export function registerApps(program: Command, context: CommandContext): void {
  const { io } = context;
  const apps = withExample(
    program.command('apps').description('register, list, show, update and remove apps'),
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
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
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
        if (options.json) return printJson(io, answer);
        io.stdout(`${answer.message}\n\n${describeApp(answer.app, io.now(), context.paint(command))}`);
      }),
    'rotor apps add billing-api --secret rotor/billing-api --admin ops@example.com --admin dev@example.com:en --grace 7d',
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
      .command('update')
      .description(
        "change an app's settings: the reminders before its token is due and the notice before a grace period ends",
      )
      .addArgument(appArgument())
      .addOption(remindBeforeOption())
      .addOption(noticeBeforeOption())
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        const body = reminderFields(options);
        if (Object.keys(body).length === 0) {
          throw new UsageError('apps update needs a setting to change: --remind-before or --notice-before');
        }
        const api = await context.api(command);
        const answer = await api.request<{ app: AppView; message: string }>('PATCH', `/apps/${appId}`, {
          body,
        });
        if (options.json) return printJson(io, answer);
        io.stdout(`${answer.message}\n\n${describeApp(answer.app, io.now(), context.paint(command))}`);
      }),
    'rotor apps update billing-api --remind-before 30d,7d,1d --notice-before 48h',
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
