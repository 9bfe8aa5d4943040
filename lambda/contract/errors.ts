/**
 * The base of every error Rotor raises on purpose. The `name` of each subclass is an API:
 * Step Functions `Retry` and `Catch` clauses and the operator API's status codes match on it.
 */
export class RotorError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotorError';
  }
}

/** Input that breaks a rule; the message names the field and what is allowed. */
export class ValidationError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

/** A deployment or runtime setting is missing or malformed. */
export class ConfigurationError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** No app is registered under the id, or for the secret, that was asked for. */
export class AppNotFoundError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppNotFoundError';
  }
}

/** The app is not in the state the action needs, e.g. a rotation is already running. */
export class RotationConflictError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationConflictError';
  }
}

/**
 * A Secrets Manager rotation step refused to run or failed. The message names the step and the
 * secret, as AWS's rotation template does, and never contains a token value.
 */
export class RotationStepError extends RotorError {
  public readonly step: string;
  public readonly secretId: string;

  public constructor(step: string, secretId: string, problem: string, options?: ErrorOptions) {
    super(`${step} for secret ${secretId}: ${problem}`, options);
    this.name = 'RotationStepError';
    this.step = step;
    this.secretId = secretId;
  }
}

/** The new token is not current yet; the workflow asks again later (its Retry matches this name). */
export class RotationPendingError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationPendingError';
  }
}

/** A step of the rotation failed for good; the workflow rolls back (its Catch matches this name). */
export class RotationFailedError extends RotorError {
  public readonly step: string;

  /** The message reads `<step>: <what went wrong>`, so the step survives Step Functions' error cause. */
  public constructor(step: string, message: string, options?: ErrorOptions) {
    super(`${step}: ${message}`, options);
    this.name = 'RotationFailedError';
    this.step = step;
  }
}

/** HubSpot did not answer in time, or kept answering 429/5xx through every retry. */
export class HubSpotUnavailableError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HubSpotUnavailableError';
  }
}

/**
 * A handed-over HubSpot token was refused: HubSpot does not know it, it belongs to another portal, or
 * it lacks a scope the app needs. The message says which; nothing was changed.
 */
export class TokenRejectedError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenRejectedError';
  }
}

/**
 * The HubSpot token was handed over while the workflow was between two waits: there is nothing to wait
 * for, and the workflow goes straight on to promote it (its Catch matches this name).
 */
export class HandoffAlreadySubmittedError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandoffAlreadySubmittedError';
  }
}

/** The idempotency key of a request was used before for another request (method, path or body). */
export class IdempotencyKeyReusedError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** The first request with this idempotency key is still running; its replay should retry shortly. */
export class IdempotencyKeyInProgressError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IdempotencyKeyInProgressError';
  }
}

/**
 * A rotation holds its lock but its workflow could not be started (Step Functions failed); sending the
 * same request again with the same idempotency key starts it.
 */
export class WorkflowNotStartedError extends RotorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkflowNotStartedError';
  }
}
