import { type Command, Option } from 'commander';
import { CommandFailedError } from '../io.ts';
import { type CommandContext, withExample } from '../program.ts';
import { appArgument } from './apps.ts';

/** `rotor submit` hands over a HubSpot token; the HubSpot issuer is a later issue, so it says so. */
export function registerSubmit(program: Command, _context: CommandContext): void {
  withExample(
    program
      .command('submit')
      .description(
        'hand over the new token of a hubspot app (needs the HubSpot issuer, which is not built yet)',
      )
      .addArgument(appArgument())
      .addOption(new Option('--token-stdin', 'read the token from stdin'))
      .addOption(new Option('--json', 'print JSON for scripts'))
      .action(() => {
        throw new CommandFailedError(
          'submit needs the HubSpot issuer, which is not built yet; managed apps need no submit, their tokens are minted by Rotor',
        );
      }),
    'rotor submit crm-sync --token-stdin < new-token.txt',
  );
}
