/**
 * Shared by every AWS client Rotor creates: the SDK's standard retry mode with five attempts, so
 * throttling and 5xx are retried with backoff before a task fails. Endpoints come from the SDK's
 * standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how local mode and the tests reach the
 * stand-ins; there is no code path of their own.
 */
export const CLIENT_CONFIG = { maxAttempts: 5, retryMode: 'standard' } as const;
