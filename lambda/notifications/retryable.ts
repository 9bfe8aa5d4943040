/** The error names (and EventBridge entry codes) of an AWS service that throttles or fails inside. */
export const RETRYABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalException',
  'InternalFailure',
]);

/**
 * Whether an AWS failure is worth retrying: throttling, a 5xx, or no answer at all (connection refused
 * or reset, a socket timeout, DNS: the SDK's networking errors carry no HTTP status, and the service may
 * simply not have been reached). Only an answer with a 4xx status that is not throttling refuses for good
 * (SES: MessageRejected, an unverified sender, or in the sandbox an unverified recipient).
 */
export function isRetryableAwsError(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (RETRYABLE_ERROR_NAMES.has(name ?? '')) return true;
  const status = $metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500;
}

/**
 * A service Rotor notifies through (SES, EventBridge, Step Functions for a webhook's delivery) did not
 * take it now: thrown for the caller's retry. The workflow's Notify states retry this name with backoff.
 */
export class NotificationThrottledError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotificationThrottledError';
  }
}
