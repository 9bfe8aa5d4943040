import type { infer as Infer, ZodMiniType } from 'zod/mini';
import { ValidationError } from '../contract/errors.ts';

/**
 * Checks a task's input against its schema; a bad input fails with one line that names the task,
 * the field and what was wrong (and never echoes values, which could be anything).
 */
export function parseTaskInput<Schema extends ZodMiniType>(
  task: string,
  schema: Schema,
  input: unknown,
): Infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ValidationError(
    `${task}: input field ${issue?.path.join('.') || '(root)'} is invalid: ${issue?.message}`,
  );
}
