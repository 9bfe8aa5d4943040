import type { Command } from 'commander';
import type { Colour } from './format.ts';
import type { ApiClient, CliIo } from './io.ts';

/**
 * What the program (`program.ts`) hands each command module (`commands/`): kept apart from the
 * program, which imports every command, so that no command imports it back.
 */

/** What every command gets: where to write, how to colour, and the API (connected on first use). */
export interface CommandContext {
  readonly io: CliIo;
  api(command: Command): Promise<ApiClient>;
  paint(command: Command): (colour: Colour, text: string) => string;
}

/** Adds an example to a command's --help. */
export function withExample(command: Command, ...examples: string[]): Command {
  return command.addHelpText(
    'after',
    `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`,
  );
}
