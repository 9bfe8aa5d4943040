import { type Command, Option } from 'commander';
import { parseDuration } from '../../lambda/contract/duration.ts';
import type { RotationView, TokenVersionView } from '../../lambda/contract/views.ts';
import { durationArgument, reasonArgument } from '../arguments.ts';
import { type CommandContext, withExample } from '../commandContext.ts';
import { formatDuration, localTime, printJson, span } from '../format.ts';
import type { ApiClient } from '../io.ts';
import { type CliIo, CommandFailedError } from '../io.ts';
import { appArgument, jsonOption } from './apps.ts';

type RotationDetail = RotationView & { oldToken?: TokenVersionView; newToken?: TokenVersionView };

const MODE_OF = { now: 'expire-now', later: 'expire-later' } as const;

/**
 * Polls the rotation until the new token is current (expire-later: the grace period has begun) and,
 * with expire-now, until the old token is refused; prints each step once. Fails when the rotation
 * failed, was cancelled, or did not get there in time.
 */
async function waitForRotation(
  api: ApiClient,
  io: CliIo,
  appId: string,
  rotationId: string,
  options: { timeoutMs: number; pollMs: number; say: (line: string) => void; ok: (text: string) => string },
): Promise<RotationDetail> {
  const deadline = Date.now() + options.timeoutMs;
  const said = new Set<string>();
  const sayOnce = (key: string, line: string) => {
    if (said.has(key)) return;
    said.add(key);
    options.say(line);
  };
  for (;;) {
    const { rotation } = await api.request<{ rotation: RotationDetail }>(
      'GET',
      `/apps/${appId}/rotations/${rotationId}`,
    );
    if (rotation.status === 'failed') {
      throw new CommandFailedError(
        `rotation ${rotationId} failed${rotation.failedStep ? ` at ${rotation.failedStep}` : ''}${
          rotation.failure ? `: ${rotation.failure}` : ''
        }; the old token is still current and valid`,
      );
    }
    if (rotation.status === 'cancelled') {
      throw new CommandFailedError(`rotation ${rotationId} was cancelled; the old token is current again`);
    }
    if (rotation.status === 'rotating') {
      sayOnce('rotating', '… creating and testing the new token');
    } else {
      sayOnce('current', `${options.ok('✔')} new token is current (version ${rotation.newVersionId})`);
      if (rotation.mode === 'expire-later' && rotation.expiresAt) {
        sayOnce(
          'grace',
          `${options.ok('✔')} old token (version ${rotation.oldVersionId}) stays valid until ${localTime(rotation.expiresAt)} UTC (grace ${formatDuration(rotation.graceSeconds)}); end it early with "rotor expire-now ${appId}", undo with "rotor cancel ${appId}"`,
        );
        return rotation;
      }
      if (rotation.oldToken?.status === 'revoked') {
        sayOnce(
          'refused',
          `${options.ok('✔')} old token (version ${rotation.oldVersionId}) is refused since ${localTime(rotation.oldToken.revokedAt ?? rotation.finishedAt ?? '')} UTC`,
        );
        return rotation;
      }
      sayOnce('revoking', '… revoking the old token');
    }
    if (Date.now() > deadline) {
      throw new CommandFailedError(
        `rotation ${rotationId} is still ${rotation.status} after ${span(options.timeoutMs / 1000)}; follow it with "rotor apps show ${appId}"`,
      );
    }
    await io.sleep(options.pollMs);
  }
}

export function registerRotate(program: Command, context: CommandContext): void {
  const { io } = context;
  withExample(
    program
      .command('rotate')
      .description("rotate an app's token: expire the old one now, or later after a grace period")
      .addArgument(appArgument())
      .addOption(
        new Option(
          '--expire <when>',
          'now: the old token dies at once; later: it stays valid for the grace period',
        )
          .choices(['now', 'later'])
          .makeOptionMandatory(),
      )
      .addOption(
        new Option(
          '--grace <duration>',
          "how long the old token stays valid (later), 1h to 30d; default: the app's",
        ).argParser(durationArgument('grace')),
      )
      .addOption(
        new Option('--reason <text>', 'why; goes into the emails and the audit log').argParser(
          reasonArgument,
        ),
      )
      .addOption(
        new Option(
          '--wait',
          'wait and show progress until the new token is current (and, with now, the old one refused)',
        ),
      )
      .addOption(
        new Option('--timeout <duration>', 'how long --wait waits')
          .argParser(durationArgument('since'))
          .default('10m'),
      )
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        const mode = MODE_OF[options.expire as keyof typeof MODE_OF];
        if (options.grace && mode === 'expire-now') {
          throw new CommandFailedError(
            '--grace goes with --expire later; with --expire now the old token has none',
          );
        }
        const api = await context.api(command);
        const started = await api.request<{ rotation: RotationView; message: string }>(
          'POST',
          `/apps/${appId}/rotations`,
          {
            body: {
              mode,
              ...(options.grace ? { grace: options.grace } : {}),
              ...(options.reason ? { reason: options.reason } : {}),
            },
          },
        );
        const { rotation } = started;
        // With --json, stdout carries only the JSON; progress goes to stderr.
        const say = (line: string) => (options.json ? io.stderr(`${line}\n`) : io.stdout(`${line}\n`));
        if (!options.wait) {
          if (options.json) return printJson(io, started);
          say(started.message);
          return;
        }
        say(
          `Rotation ${rotation.rotationId} of ${appId} started (${rotation.mode}${
            rotation.mode === 'expire-later' ? `, grace ${formatDuration(rotation.graceSeconds)}` : ''
          }).`,
        );
        const paint = context.paint(command);
        const done = await waitForRotation(api, io, appId, rotation.rotationId, {
          timeoutMs: (parseDuration(options.timeout) ?? 600) * 1000,
          pollMs: Number(io.env.ROTOR_POLL_MS) || 1000,
          say,
          ok: (text) => (options.json ? text : paint('green', text)),
        });
        if (options.json) printJson(io, { rotation: done });
      }),
    'rotor rotate billing-api --expire later --grace 7d --reason "quarterly rotation" --wait',
    'rotor rotate billing-api --expire now --reason "token leaked" --wait',
  );
}
