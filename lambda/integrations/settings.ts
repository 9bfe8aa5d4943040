import { ConfigurationError } from '../contract/errors.ts';
import { DEFAULT_TOKEN_PREFIX, TOKEN_PREFIX_PATTERN } from '../contract/tokenFormat.ts';

/** What every Rotor Lambda reads from its environment, once, at cold start. */
export interface RuntimeSettings {
  /** `TABLE_NAME`: the registry table. */
  readonly tableName: string;
  /** `TOKEN_PREFIX`: the prefix of managed tokens. */
  readonly tokenPrefix: string;
}

/**
 * Reads one environment variable that a function cannot work without; fails at cold start with its name.
 *
 * @example
 * const stateMachineArn = requiredSetting('ROTATION_STATE_MACHINE_ARN');
 */
export function requiredSetting(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return required(env, name);
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new ConfigurationError(
      `environment variable ${name} is not set; the stack sets it on every Rotor function`,
    );
  return value;
}

/**
 * Reads and checks the settings; a missing or malformed variable fails with its name.
 *
 * @example
 * const settings = readRuntimeSettings(); // at module scope, so a bad deployment fails at cold start
 */
export function readRuntimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const tokenPrefix = env.TOKEN_PREFIX ?? DEFAULT_TOKEN_PREFIX;
  if (!TOKEN_PREFIX_PATTERN.test(tokenPrefix)) {
    throw new ConfigurationError(
      `environment variable TOKEN_PREFIX must be 2-10 lowercase letters or digits ending in "_" (got "${tokenPrefix}")`,
    );
  }
  return { tableName: required(env, 'TABLE_NAME'), tokenPrefix };
}
