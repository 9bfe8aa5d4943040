/**
 * Starts the local Secrets Manager emulator until SIGINT or SIGTERM.
 *
 * @example
 * npx tsx local/secrets-manager/cli.ts --host 127.0.0.1 --port 4566 --data-file .rotor/secrets.json --region eu-central-1
 */
import { parseArgs } from 'node:util';
import { type SecretsManagerEmulatorOptions, startSecretsManagerEmulator } from './emulator.ts';

const USAGE =
  'Usage: npx tsx local/secrets-manager/cli.ts [--host 127.0.0.1] [--port 4566] [--data-file path.json] ' +
  '[--region us-east-1] [--account-id 123456789012]';

/** Turns the command line into emulator options; throws with the usage on a bad argument. */
function readOptions(args: readonly string[]): SecretsManagerEmulatorOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '4566' },
      'data-file': { type: 'string' },
      region: { type: 'string', default: 'us-east-1' },
      'account-id': { type: 'string', default: '123456789012' },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  }
  return {
    host: values.host,
    port,
    region: values.region,
    accountId: values['account-id'],
    ...(values['data-file'] !== undefined ? { dataFile: values['data-file'] } : {}),
  };
}

async function main(): Promise<void> {
  let options: SecretsManagerEmulatorOptions;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const emulator = await startSecretsManagerEmulator(options);
  process.stdout.write(`secrets-manager listening on ${emulator.url}\n`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`secrets-manager: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
