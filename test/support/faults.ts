/** Something with the AWS SDK v3 client's `send`. */
interface Sender {
  send(command: unknown, ...rest: unknown[]): Promise<unknown>;
}

/** The name of an SDK command, e.g. `UpdateSecretVersionStageCommand`. */
export function commandName(command: unknown): string {
  return (command as { constructor: { name: string } }).constructor.name;
}

/** The input of an SDK command. */
export function inputOf(command: unknown): Record<string, unknown> {
  return (command as { input: Record<string, unknown> }).input;
}

/**
 * A client whose `send` first runs `before(command, n)` (n counts the calls from 1): it may throw, as a
 * Lambda killed at that call or a service that failed, or run other work first, as a race lost at that
 * call. Everything else is the real client's.
 */
export function intercepted<C extends Sender>(
  client: C,
  before: (command: unknown, call: number) => Promise<void> | void,
): C {
  let calls = 0;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown, ...rest: unknown[]) => {
        calls += 1;
        await before(command, calls);
        return target.send(command, ...rest);
      };
    },
  });
}

/** The error a crashed Lambda leaves behind (the process is gone; nothing after this call runs). */
export class CrashError extends Error {
  public constructor(call: number) {
    super(`the function crashed at its AWS call ${call}`);
    this.name = 'CrashError';
  }
}
