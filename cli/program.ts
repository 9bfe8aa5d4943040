import { Command, type HelpContext, Option } from 'commander';
import { ApiError } from './client.ts';
import { type CommandContext, withExample } from './commandContext.ts';
import { registerApps } from './commands/apps.ts';
import { registerGraceActions } from './commands/grace.ts';
import { registerAuditAndHistory } from './commands/history.ts';
import { registerRotate } from './commands/rotate.ts';
import { registerSubmit } from './commands/submit.ts';
import { colours } from './format.ts';
import { type ApiClient, type CliIo, CommandFailedError, type ConnectionOptions, UsageError } from './io.ts';

/**
 * A commander Command whose "missing subcommand" is one line of bad usage (exit 2), like every other
 * usage error, instead of a help page on stderr.
 */
class RotorCommand extends Command {
  public override createCommand(name?: string): Command {
    return new RotorCommand(name);
  }

  public override help(context?: HelpContext): never;
  public override help(cb: (str: string) => string): never;
  public override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context?.error) {
      const names = this.commands.map((command) => command.name()).filter((name) => name !== 'help');
      const path = commandPath(this);
      this.error(
        `${path ? `"rotor ${path}"` : 'rotor'} needs a command: ${names.join(', ')} (see "rotor ${path ? `${path} ` : ''}--help")`,
        {
          exitCode: 2,
          code: 'rotor.missingCommand',
        },
      );
    }
    return super.help(context as HelpContext);
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent)
    names.unshift(current.name());
  return names.join(' ');
}

/** Commander's messages as one line: `rotor: unknown command 'aps' (Did you mean apps?)`. */
export function oneLine(message: string): string {
  return `rotor: ${message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')}\n`;
}

/** Builds the `rotor` program; parse it with `exitOverride` semantics (it throws instead of exiting). */
export function createProgram(io: CliIo): Command {
  const program = new RotorCommand('rotor')
    .description('Rotor: rotate access tokens with a grace period, expire now, cancel, history and audit.')
    .version('0.1.0', '-V, --version')
    .addOption(
      new Option('--api-url <url>', 'the operator API URL (else ROTOR_API_URL, else the stack output)'),
    )
    .addOption(new Option('--local', 'use the local Rotor started with "npm start"'))
    .addOption(new Option('--region <region>', 'the AWS region of the stack (else AWS_REGION)'))
    .addOption(
      new Option('--stack <name>', 'the stack to read the API URL from (else ROTOR_STACK, else Rotor)'),
    )
    .addOption(new Option('--no-color', 'no colours (also when NO_COLOR is set or output is not a terminal)'))
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(oneLine(text)),
    });
  withExample(
    program,
    'rotor apps add billing-api --secret rotor/billing-api --admin ops@example.com',
    'rotor rotate billing-api --expire later --grace 7d --reason "quarterly" --wait',
    'rotor apps show billing-api --json',
  );

  let client: Promise<ApiClient> | undefined;
  const context: CommandContext = {
    io,
    api: (command) => {
      const options = command.optsWithGlobals() as ConnectionOptions;
      client ??= io.connect({
        ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
        ...(options.local ? { local: true } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.stack ? { stack: options.stack } : {}),
      });
      return client;
    },
    paint: (command) => colours(io, (command.optsWithGlobals() as { color?: boolean }).color !== false),
  };
  registerApps(program, context);
  registerRotate(program, context);
  registerGraceActions(program, context);
  registerAuditAndHistory(program, context);
  registerSubmit(program, context);
  return program;
}

/** The exit code of a failure, with its one line on stderr: 2 for bad usage, 1 for refused or failed. */
export function reportFailure(error: unknown, io: CliIo): number {
  const { name, code, exitCode } = error as { name?: string; code?: string; exitCode?: number };
  if ((typeof code === 'string' && code.startsWith('commander.')) || code === 'rotor.missingCommand') {
    // Commander has written its own line (or the help) already.
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
    return exitCode === 0 ? 0 : 2;
  }
  const message = (error as Error).message ?? String(error);
  io.stderr(oneLine(message));
  if (error instanceof UsageError) return 2;
  if (error instanceof ApiError) return error.status === 400 ? 2 : 1;
  if (error instanceof CommandFailedError) return 1;
  return name === 'AbortError' ? 1 : 1;
}
