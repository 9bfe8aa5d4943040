import { extend, object, optional, string, unknown } from 'zod/mini';
import { rotationRef } from '../contract/ids.ts';
import type { RollbackOutput } from '../contract/workflows.ts';
import { rollbackRotation } from '../domain/lifecycle.ts';
import { secretsManagerClient } from '../integrations/aws/secretsManager.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { parseTaskInput } from '../integrations/taskInput.ts';

const input = extend(rotationRef, {
  error: optional(object({ Error: optional(string()), Cause: optional(unknown()) })),
});

/** The step and message of a caught Step Functions error (a Lambda error's Cause is JSON). */
function describeFailure(error: { Error?: string; Cause?: unknown } | undefined): {
  step: string;
  message: string;
} {
  let message = typeof error?.Cause === 'string' ? error.Cause : 'the rotation failed';
  let step = error?.Error ?? 'unknown';
  try {
    const cause = JSON.parse(message) as { errorMessage?: string };
    message = cause.errorMessage ?? message;
  } catch {
    // A plain-text cause is the message itself.
  }
  // RotationFailedError messages read "<step>: <what went wrong>".
  const named = step === 'RotationFailedError' ? /^([A-Za-z]+): (.*)$/s.exec(message) : null;
  if (named) [, step, message] = named as unknown as [string, string, string];
  return { step, message };
}

/**
 * Workflow task: a step failed; keep the old token current and valid, clean up, release the lock. A
 * rotation already committed to its new token is finished instead (`outcome: promoted`), and one that
 * someone else ended is left alone (`nothing`): the workflow sends ROTATION_FAILED only for `rolled-back`.
 */
export const handler = async (event: unknown): Promise<RollbackOutput> => {
  const { appId, rotationId, error } = parseTaskInput('RollBack', input, event);
  const outcome = await rollbackRotation(
    { registry, secretsManager: secretsManagerClient, clock: () => new Date() },
    appId,
    rotationId,
    describeFailure(error),
  );
  return { outcome };
};
