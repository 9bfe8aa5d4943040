/**
 * One local Lambda function's execution environment: a worker thread with the function's own
 * environment variables (its role's credentials among them), running the function's bundle. The
 * main thread sends `{ id, event }`; the worker answers `{ id, result }` or, as Lambda reports a
 * function error, `{ id, error: { errorType, errorMessage } }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installVirtualDate, type SharedOffset } from '../virtualDate.ts';

interface WorkerData {
  readonly handlerUrl: string;
  readonly offset: SharedOffset;
}

const { handlerUrl, offset } = workerData as WorkerData;
installVirtualDate(offset);
const { handler } = (await import(handlerUrl)) as { handler: (event: unknown) => Promise<unknown> };

parentPort?.on('message', async ({ id, event }: { id: number; event: string }) => {
  try {
    const result = await handler(JSON.parse(event));
    parentPort?.postMessage({ id, result: result === undefined ? 'null' : JSON.stringify(result) });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    parentPort?.postMessage({ id, error: { errorType: name, errorMessage: message } });
  }
});
parentPort?.postMessage({ ready: true });
