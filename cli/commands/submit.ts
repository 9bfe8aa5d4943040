import { type Command, Option } from 'commander';
import { type CommandContext, withExample } from '../commandContext.ts';
import { printJson } from '../format.ts';
import { UsageError } from '../io.ts';
import { appArgument, jsonOption } from './apps.ts';

interface SubmitAnswer {
  readonly appId: string;
  readonly rotationId: string;
  readonly versionId: string;
  readonly scopesAdded: readonly string[];
  readonly scopesRemoved: readonly string[];
  readonly message: string;
}

/**
 * `rotor submit <app> --token-stdin`: hands the new token of a HubSpot app over to the rotation that
 * waits for it. The token is read from standard input only (never an argument, which shells and `ps`
 * would keep), checked by HubSpot through the API, and never printed.
 */
export function registerSubmit(program: Command, context: CommandContext): void {
  const { io } = context;
  withExample(
    program
      .command('submit')
      .description(
        'hand the new token of a hubspot app to the rotation waiting for it (after "Rotate" in HubSpot)',
      )
      .addArgument(appArgument())
      .addOption(new Option('--token-stdin', 'read the token from standard input (required)'))
      .addOption(jsonOption())
      .action(async (appId: string, options, command: Command) => {
        if (!options.tokenStdin) {
          throw new UsageError(
            `submit reads the token from standard input only: rotor submit ${appId} --token-stdin < token.txt`,
          );
        }
        const token = (await (io.readStdin?.() ?? Promise.resolve(''))).trim();
        if (token === '' || /\s/.test(token)) {
          throw new UsageError(
            'standard input must hold exactly one token on one line (as HubSpot shows it), and it was empty or had spaces',
          );
        }
        const api = await context.api(command);
        const answer = await api.request<SubmitAnswer>('POST', `/apps/${appId}/submit`, { body: { token } });
        if (options.json) return printJson(io, answer);
        io.stdout(`${answer.message}\n`);
      }),
    'rotor submit crm-sync --token-stdin < new-token.txt',
  );
}
