import { RotationConflictError } from '../contract/errors.ts';
import type { AppRecord } from './model.ts';

/**
 * The error for an action that needs another state: it names the running rotation and the
 * commands that end it.
 */
export function conflictError(app: AppRecord, cause?: unknown): RotationConflictError {
  const rotation = app.activeRotation;
  const where = rotation?.ending
    ? `being ended (${rotation.ending})`
    : app.state === 'GRACE'
      ? `in its grace period until ${rotation?.expiresAt}`
      : 'running';
  const running = rotation
    ? `rotation ${rotation.rotationId} (${rotation.mode}, started ${rotation.startedAt} by ${rotation.startedBy}) is ${where}`
    : `the app is ${app.state} with no rotation running`;
  const next =
    app.state === 'GRACE' && !rotation?.ending
      ? `end it with "rotor expire-now ${app.appId}" or "rotor cancel ${app.appId}"`
      : app.state === 'ROTATING' && app.issuer === 'hubspot' && !rotation?.handoff && !rotation?.ending
        ? `it waits for the new HubSpot token: hand it over with "rotor submit ${app.appId} --token-stdin"`
        : app.state === 'ROTATING'
          ? 'wait until it finishes or fails'
          : `start one with "rotor rotate ${app.appId} --expire now|later"`;
  return new RotationConflictError(`app "${app.appId}": ${running}; ${next}`, { cause });
}
