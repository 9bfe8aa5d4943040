import type { Command } from 'commander';
import { type CommandContext, withExample } from '../commandContext.ts';
import { printJson } from '../format.ts';
import { appArgument, jsonOption } from './apps.ts';

export function registerGraceActions(program: Command, context: CommandContext): void {
  const { io } = context;
  const action =
    (path: 'expire-now' | 'cancel') =>
    async (appId: string, options: { json?: boolean }, command: Command) => {
      const api = await context.api(command);
      const answer = await api.request<{ message: string; warnings?: string[] }>(
        'POST',
        `/apps/${appId}/${path}`,
      );
      if (options.json) return printJson(io, answer);
      io.stdout(`${answer.message}\n`);
      for (const warning of answer.warnings ?? []) io.stderr(`rotor: warning: ${warning}\n`);
    };
  withExample(
    program
      .command('expire-now')
      .description('during a grace period: revoke the old token at once (the new one stays current)')
      .addArgument(appArgument())
      .addOption(jsonOption())
      .action(action('expire-now')),
    'rotor expire-now billing-api',
  );
  withExample(
    program
      .command('cancel')
      .description(
        'during a grace period: undo the rotation (the old token is current again, the new one revoked)',
      )
      .addArgument(appArgument())
      .addOption(jsonOption())
      .action(action('cancel')),
    'rotor cancel billing-api',
  );
}
