import { Worker } from 'node:worker_threads';
import { localFaults } from '../faults.ts';
import { PROCESS_OFFSET } from '../virtualDate.ts';
import { localBundles } from './bundles.ts';

/** A function error as Lambda reports it: the thrown error's name and message. */
export class LocalFunctionError extends Error {
  public constructor(errorType: string, errorMessage: string) {
    super(errorMessage);
    this.name = errorType;
  }
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** One execution environment of one function: a worker thread, kept warm for the next invocation. */
class ExecutionEnvironment {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #ready: Promise<void>;
  #next = 0;
  #dead: Error | undefined;

  public constructor(workerUrl: URL, handlerUrl: string, env: Record<string, string>, onExit: () => void) {
    this.#worker = new Worker(workerUrl, { env, workerData: { handlerUrl, offset: PROCESS_OFFSET } });
    // An idle environment never keeps the process alive (Ctrl-C and test runs end as before).
    this.#worker.unref();
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.once('message', () => resolve());
      this.#worker.once('error', (error) => reject(new LocalFunctionError(error.name, error.message)));
    });
    this.#worker.on(
      'message',
      (message: { id?: number; result?: string; error?: Record<string, string> }) => {
        if (message.id === undefined) return;
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (this.#pending.size === 0) this.#worker.unref();
        if (message.error) {
          pending?.reject(
            new LocalFunctionError(message.error.errorType ?? 'Error', message.error.errorMessage ?? ''),
          );
        } else {
          pending?.resolve(JSON.parse(message.result ?? 'null'));
        }
      },
    );
    const fail = (error: Error) => {
      this.#dead ??= error;
      onExit();
      for (const pending of this.#pending.values()) pending.reject(this.#dead);
      this.#pending.clear();
    };
    // Lambda reports a crashed runtime as Runtime.ExitError; the next invocation gets a fresh one.
    this.#worker.on('error', (error) => fail(new LocalFunctionError('Runtime.ExitError', error.message)));
    this.#worker.on('exit', (code) =>
      fail(new LocalFunctionError('Runtime.ExitError', `the function's runtime exited with code ${code}`)),
    );
  }

  /** `crashAfterCalls`: the runtime dies after this many answered AWS calls (a planned fault, tests only). */
  public async invoke(event: unknown, crashAfterCalls?: number): Promise<unknown> {
    await this.#ready;
    if (this.#dead) throw this.#dead;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({
        id,
        event: JSON.stringify(event ?? {}),
        ...(crashAfterCalls === undefined ? {} : { crashAfterCalls }),
      });
    });
  }

  public terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

/** An environment's identity, made once per environment object (callers keep theirs). */
const environmentKeys = new WeakMap<Record<string, string>, string>();
function environmentKey(env: Record<string, string>): string {
  let key = environmentKeys.get(env);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(env).sort());
    environmentKeys.set(env, key);
  }
  return key;
}

/** The warm environments of this process, by handler and environment. */
const environments = new Map<string, ExecutionEnvironment>();

/**
 * Invokes a local function as Lambda does: in its own execution environment (a worker thread with
 * exactly `env` as its environment variables and the handler's bundle as its code), the event and
 * the result crossing as JSON. Environments are kept warm and shared by every local system of the
 * process that asks for the same handler with the same environment.
 */
export async function invokeLocalFunction(
  handler: string,
  env: Record<string, string>,
  event: unknown,
): Promise<unknown> {
  const key = `${handler}\n${environmentKey(env)}`;
  let environment = environments.get(key);
  if (!environment) {
    const bundles = await localBundles();
    const handlerUrl = bundles.handlers.get(handler);
    if (!handlerUrl) throw new Error(`local mode has no handler lambda/${handler}`);
    environment = environments.get(key);
    if (!environment) {
      const created = new ExecutionEnvironment(bundles.worker, handlerUrl, env, () => {
        if (environments.get(key) === created) environments.delete(key);
      });
      environment = created;
      environments.set(key, created);
    }
  }
  return environment.invoke(event, localFaults.takeCrash(handler));
}

/** Ends every execution environment of this process (npm start's Ctrl-C). */
export async function terminateLocalFunctions(): Promise<void> {
  const all = [...environments.values()];
  environments.clear();
  await Promise.all(all.map((environment) => environment.terminate()));
}
