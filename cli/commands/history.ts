import { type Command, Option } from 'commander';
import type { AuditEventView, RotationView } from '../../lambda/contract/views.ts';
import { durationArgument } from '../arguments.ts';
import { type CommandContext, withExample } from '../commandContext.ts';
import { type Colour, formatDuration, localTime, printJson, table } from '../format.ts';
import { appArgument, jsonOption } from './apps.ts';

const STATUS_COLOURS: Record<string, Colour> = {
  completed: 'green',
  grace: 'yellow',
  rotating: 'blue',
  cancelled: 'dim',
  failed: 'red',
  succeeded: 'green',
  refused: 'yellow',
};

/** An IAM ARN shortened to what a person reads: `user/alice`, `assumed-role/Ops/alice`. */
function who(actor: string): string {
  return /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:(.+)$/.exec(actor)?.[1] ?? actor;
}

export function registerAuditAndHistory(program: Command, context: CommandContext): void {
  const { io } = context;
  withExample(
    program
      .command('history')
      .description("an app's rotations, newest first: mode, outcome, who started and ended them, why")
      .addArgument(appArgument())
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        const api = await context.api(command);
        const answer = await api.request<{ rotations: RotationView[] }>('GET', `/apps/${appId}/rotations`);
        if (options.json) return printJson(io, answer);
        if (answer.rotations.length === 0) {
          io.stdout(
            `${appId} has not been rotated yet; rotate it with "rotor rotate ${appId} --expire later".\n`,
          );
          return;
        }
        const paint = context.paint(command);
        const rows = answer.rotations.map((rotation) => [
          rotation.rotationId,
          rotation.mode === 'expire-later'
            ? `${rotation.mode} ${formatDuration(rotation.graceSeconds)}`
            : rotation.mode,
          paint(STATUS_COLOURS[rotation.status] ?? 'bold', rotation.status),
          localTime(rotation.startedAt),
          who(rotation.startedBy),
          rotation.finishedAt
            ? `${localTime(rotation.finishedAt)}${rotation.endedBy ? ` ${who(rotation.endedBy)}` : ''}`
            : rotation.expiresAt
              ? `grace until ${localTime(rotation.expiresAt)}`
              : '-',
          rotation.failedStep ? `failed at ${rotation.failedStep}` : (rotation.reason ?? ''),
        ]);
        io.stdout(
          `${table(['ROTATION', 'MODE', 'STATUS', 'STARTED (UTC)', 'BY', 'ENDED (UTC)', 'REASON'], rows)}\n`,
        );
      }),
    'rotor history billing-api',
  );

  withExample(
    program
      .command('audit')
      .description('the audit log: every change, who asked for it (IAM ARN), when, and the outcome')
      .addOption(
        new Option('--since <duration>', 'how far back, 1m to 90d')
          .argParser(durationArgument('since'))
          .default('7d'),
      )
      .addOption(new Option('--app <app>', 'only this app'))
      .addOption(jsonOption())
      .action(async (options, command: Command) => {
        const api = await context.api(command);
        const answer = await api.request<{ events: AuditEventView[]; truncated: boolean; since: string }>(
          'GET',
          '/audit',
          {
            query: { since: options.since, ...(options.app ? { app: options.app } : {}) },
          },
        );
        if (options.json) return printJson(io, answer);
        if (answer.events.length === 0) {
          io.stdout(`No audit events since ${localTime(answer.since)} UTC.\n`);
          return;
        }
        const paint = context.paint(command);
        const rows = answer.events.map((event) => [
          localTime(event.at),
          event.appId,
          event.action,
          paint(STATUS_COLOURS[event.outcome] ?? 'bold', event.outcome),
          who(event.actor),
          (event.detail ?? '').slice(0, 100),
        ]);
        io.stdout(`${table(['TIME (UTC)', 'APP', 'ACTION', 'OUTCOME', 'BY', 'DETAIL'], rows)}\n`);
        if (answer.truncated)
          io.stderr('rotor: only the first 1000 events are shown; use a shorter --since\n');
      }),
    'rotor audit --since 30d --app billing-api',
  );
}
