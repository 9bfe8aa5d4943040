/**
 * One local Lambda function's execution environment: a worker thread with the function's own
 * environment variables (its role's credentials among them), running the function's bundle. The
 * main thread sends `{ id, event }`; the worker answers `{ id, result }` or, as Lambda reports a
 * function error, `{ id, error: { errorType, errorMessage } }`. A message may carry `crashAfterCalls`
 * (a planned fault, local/faults.ts): the runtime then dies once that many AWS calls of the invocation
 * have been answered, before the handler sees the answer, as a Lambda killed mid-way does.
 */
import { subscribe } from 'node:diagnostics_channel';
import { parentPort, workerData } from 'node:worker_threads';
import { installVirtualDate, type SharedOffset } from '../virtualDate.ts';

interface WorkerData {
  readonly handlerUrl: string;
  readonly offset: SharedOffset;
}

interface Invocation {
  readonly id: number;
  readonly event: string;
  readonly crashAfterCalls?: number;
}

const { handlerUrl, offset } = workerData as WorkerData;
installVirtualDate(offset);
const { handler } = (await import(handlerUrl)) as { handler: (event: unknown) => Promise<unknown> };

/** AWS calls (HTTP answers) left until the planned crash; undefined when none is planned. */
let callsBeforeCrash: number | undefined;
let counting = false;

/** The runtime dies: the main thread sees the thread exit and reports Runtime.ExitError, as Lambda does. */
function crash(): void {
  process.exit(1);
}

function planCrash(afterCalls: number): void {
  if (afterCalls <= 0) crash();
  callsBeforeCrash = afterCalls;
  // Counted only once a crash is planned: an environment without one pays nothing.
  if (counting) return;
  counting = true;
  subscribe('http.client.response.finish', () => {
    if (callsBeforeCrash === undefined) return;
    callsBeforeCrash -= 1;
    if (callsBeforeCrash === 0) crash();
  });
}

parentPort?.on('message', async ({ id, event, crashAfterCalls }: Invocation) => {
  if (crashAfterCalls !== undefined) planCrash(crashAfterCalls);
  try {
    const result = await handler(JSON.parse(event));
    parentPort?.postMessage({ id, result: result === undefined ? 'null' : JSON.stringify(result) });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    parentPort?.postMessage({ id, error: { errorType: name, errorMessage: message } });
  } finally {
    if (crashAfterCalls !== undefined) callsBeforeCrash = undefined;
  }
});
parentPort?.postMessage({ ready: true });
