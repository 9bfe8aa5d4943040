import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RotorError } from '../contract/errors.ts';
import type { NotificationEvent } from '../contract/notificationEvents.ts';
import { keys } from '../contract/table.ts';
import { AppItems } from './AppItems.ts';
import { conflictError } from './conflictError.ts';
import { dueAtOf } from './dueAt.ts';
import { addSeconds, isConditionFailure, stripKeys, type TableOptions } from './items.ts';
import {
  type ActiveRotation,
  type AppRecord,
  type AppState,
  type Handoff,
  type HubSpotCheck,
  noticeId,
  type PendingNotice,
  type RotationEnding,
  type RotationStatus,
  type StepFailure,
} from './model.ts';
import type { RotationStore } from './RotationStore.ts';

/** A rotation's history record keeps what it was, not the bookkeeping of its claims. */
function historyOf(rotation: ActiveRotation): Omit<ActiveRotation, 'ending' | 'handoffTaskToken'> {
  const {
    ending: _ending,
    handoffTaskToken: _taskToken,
    endingStop: _stop,
    endingEvent: _event,
    endingAt: _at,
    endingCheck: _check,
    ...history
  } = rotation;
  return history;
}

/**
 * The app items with the conditional transitions of a rotation: lock, new version, commit, promote,
 * HubSpot handoff, step failure, and claiming and completing an ending. Each change of state is one
 * conditional write on the app's own item, so two actions can never both win, and every method may be
 * called again with the same arguments.
 */
export class AppStore extends AppItems {
  /** The rotation history, which a lock and a promotion write first. */
  protected readonly rotations: RotationStore;

  public constructor(table: TableOptions, rotations: RotationStore) {
    super(table);
    this.rotations = rotations;
  }

  /**
   * Takes the rotation lock: ACTIVE → ROTATING. Calling it again for the same rotation succeeds
   * (`taken` is then false: an earlier call took it); any other rotation in progress makes it fail
   * with {@link RotationConflictError}.
   */
  public async lockForRotation(
    appId: string,
    rotation: ActiveRotation,
    now: string,
    notice?: PendingNotice | readonly PendingNotice[],
  ): Promise<{ app: AppRecord; taken: boolean }> {
    const app = await this.getApp(appId);
    const queue = this.queueNotice(app, notice);
    const next: AppRecord = {
      ...app,
      state: 'ROTATING',
      activeRotation: rotation,
      outbox: queue.outbox,
      updatedAt: now,
    };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(appId),
          UpdateExpression: `SET #state = :rotating, activeRotation = :rotation, updatedAt = :now, dueAt = :due${queue.set}`,
          ConditionExpression: '#state = :active AND attribute_not_exists(activeRotation)',
          ExpressionAttributeNames: { '#state': 'state', ...queue.names },
          ExpressionAttributeValues: {
            ':rotating': 'ROTATING',
            ':active': 'ACTIVE',
            ':rotation': rotation,
            ':now': now,
            ':due': dueAtOf(next),
            ...queue.values,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getApp(appId);
      if (current.activeRotation?.rotationId !== rotation.rotationId) throw conflictError(current, error);
      await this.rotations.recordRotationStart(appId, rotation);
      return { app: current, taken: false };
    }
    await this.rotations.recordRotationStart(appId, rotation);
    return { app: next, taken: true };
  }

  /** Records the Secrets Manager version that will hold the new token of the running rotation. */
  public async attachNewVersion(appId: string, rotationId: string, versionId: string): Promise<void> {
    const updated = await this.updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.newVersionId = :version',
      { ':version': versionId },
      {
        also: '(attribute_not_exists(activeRotation.newVersionId) OR activeRotation.newVersionId = :version)',
        evenWhileEnding: true,
      },
    );
    if (!updated) throw conflictError(await this.getApp(appId));
  }

  /**
   * Commits a rotation to its new token, with one conditional write, before AWSCURRENT moves to it: the
   * app must be ROTATING with this rotation and nobody may have claimed its end (a rollback). Returns the
   * app as it now is (committed again by a retry: the first commit time stays), or `undefined` when the
   * rotation cannot be committed any more.
   */
  public async commitPromotion(
    appId: string,
    rotationId: string,
    now: string,
  ): Promise<AppRecord | undefined> {
    return this.updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.committedAt = if_not_exists(activeRotation.committedAt, :now)',
      { ':now': now },
      { also: 'attribute_exists(activeRotation.newVersionId)' },
    );
  }

  /**
   * Makes a committed rotation's new token current: ROTATING → GRACE (expire-later, with `expiresAt`) or
   * → ACTIVE (expire-now), queuing ROTATION_INITIATED or TOKEN_INVALIDATED in the same write. The history
   * record is written first, so that a crash in between leaves nothing for `rotor history` to get wrong
   * once the next caller finishes the promotion. Returns the app as it is, and whether this call promoted
   * it; a second call changes nothing.
   */
  public async promoteNewToken(
    appId: string,
    rotationId: string,
    expiresAt?: string,
  ): Promise<{ app: AppRecord; promoted: boolean }> {
    const app = await this.getApp(appId);
    const rotation = app.activeRotation;
    if (rotation?.rotationId !== rotationId || app.state !== 'ROTATING') {
      if (app.lastRotation?.rotationId === rotationId || rotation?.rotationId === rotationId) {
        return { app, promoted: false };
      }
      throw conflictError(app);
    }
    if (!rotation.newVersionId || !rotation.committedAt) {
      throw new RotorError(`rotation ${rotationId} of app "${appId}" is not committed to a new token`);
    }
    const now = rotation.committedAt;
    const grace = rotation.mode === 'expire-later';
    const notice: PendingNotice = {
      event: grace ? 'ROTATION_INITIATED' : 'TOKEN_INVALIDATED',
      rotationId,
      at: now,
    };
    const promoted: ActiveRotation = {
      ...rotation,
      expiresAt: expiresAt ?? addSeconds(now, rotation.graceSeconds),
    };
    const next: AppRecord = {
      ...app,
      state: grace ? 'GRACE' : 'ACTIVE',
      activeRotation: grace ? promoted : undefined,
      currentVersionId: rotation.newVersionId,
      tokenIssuedAt: now,
      lastRotation: { rotationId, outcome: grace ? 'in-grace' : 'completed', at: now },
      outbox: { ...app.outbox, [noticeId(notice)]: notice },
      updatedAt: now,
      // A HubSpot token's scopes come with it; the next rotation compares against these.
      ...(app.hubspot && rotation.handoff
        ? { hubspot: { ...app.hubspot, scopes: rotation.handoff.scopes } }
        : {}),
    };
    await this.rotations.putRotation({
      ...historyOf(grace ? promoted : rotation),
      appId,
      status: grace ? 'grace' : 'completed',
      ...(grace ? {} : { finishedAt: now, endedBy: rotation.startedBy }),
    });
    try {
      await this.replaceApp(
        next,
        '#state = :rotating AND activeRotation.rotationId = :rotation AND attribute_exists(activeRotation.committedAt)',
        { ':rotating': 'ROTATING', ':rotation': rotationId },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return this.promoteNewToken(appId, rotationId, expiresAt);
    }
    return { app: next, promoted: true };
  }

  /**
   * Keeps the task token of the workflow that now waits for a HubSpot app's new token, so that
   * `rotor submit` can wake it. Returns the app as it now is, or `undefined` when this rotation is no
   * longer running (ended while the workflow was between two waits).
   */
  public async recordHandoffTaskToken(
    appId: string,
    rotationId: string,
    taskToken: string,
  ): Promise<AppRecord | undefined> {
    return this.updateRunningRotation(appId, rotationId, 'SET activeRotation.handoffTaskToken = :token', {
      ':token': taskToken,
    });
  }

  /**
   * Records the HubSpot token a `rotor submit` handed over (its scopes, never the token). Only once per
   * rotation: a second, different handoff is a RotationConflictError.
   */
  public async recordHandoff(appId: string, rotationId: string, handoff: Handoff): Promise<void> {
    const updated = await this.updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.handoff = :handoff',
      { ':handoff': handoff },
      { also: 'attribute_not_exists(activeRotation.handoff)' },
    );
    if (!updated) throw conflictError(await this.getApp(appId));
  }

  /**
   * Queues the handoff reminder of day `day` of a running HubSpot rotation and counts it, once per day:
   * a retried task finds that day's reminder queued. Returns the app as it now is, or `undefined` when the
   * rotation is no longer running.
   */
  public async queueHandoffReminder(
    appId: string,
    rotationId: string,
    day: number,
    at: string,
  ): Promise<AppRecord | undefined> {
    const notice: PendingNotice = {
      event: 'HANDOFF_REMINDER',
      rotationId,
      occasion: `${rotationId}#reminder-${day}`,
      at,
    };
    const app = await this.getApp(appId);
    const queue = this.queueNotice(app, notice);
    const updated = await this.updateRunningRotation(
      appId,
      rotationId,
      `SET activeRotation.handoffReminders = :day, dueAt = dueAt${queue.set}`,
      { ':day': day, ...queue.values },
      {
        also: '(attribute_not_exists(activeRotation.handoffReminders) OR activeRotation.handoffReminders < :day)',
        names: queue.names,
      },
    );
    if (updated) return updated;
    const now = await this.getApp(appId);
    return now.state === 'ROTATING' && now.activeRotation?.rotationId === rotationId ? now : undefined;
  }

  /** Notes on the running rotation which step failed (the rotation hook calls this; the workflow reads it). */
  public async recordStepFailure(appId: string, rotationId: string, failure: StepFailure): Promise<void> {
    // When the rotation has ended already, there is nothing left to tell it.
    await this.updateRunningRotation(
      appId,
      rotationId,
      'SET activeRotation.failure = :failure',
      { ':failure': failure },
      { evenWhileEnding: true },
    );
  }

  /**
   * Claims the end of a rotation for one action, with one conditional write: the app must be in
   * `from` for this rotation, no other kind of ending may be claimed, and a rollback may not claim a
   * committed rotation. Claiming again for the same kind of ending succeeds and keeps the first
   * claimer, its time and its email (so an interrupted action is finished by whoever comes next, as
   * its first caller meant it). The claim makes the app due for the sweep at once. Returns the app as
   * it now is, or `undefined` when the rotation is not there to end this way.
   */
  public async claimEnding(
    appId: string,
    rotationId: string,
    from: AppState,
    ending: RotationEnding,
    claim: {
      by: string;
      at: string;
      event: NotificationEvent;
      check?: HubSpotCheck;
      request?: string;
      stop?: string;
    },
  ): Promise<AppRecord | undefined> {
    const conditions = [
      '#state = :from',
      'activeRotation.rotationId = :rotation',
      '(attribute_not_exists(activeRotation.ending) OR activeRotation.ending = :ending)',
    ];
    if (ending === 'rollback') conditions.push('attribute_not_exists(activeRotation.committedAt)');
    const sets = [
      'activeRotation.ending = :ending',
      'activeRotation.endedBy = if_not_exists(activeRotation.endedBy, :by)',
      'activeRotation.endingAt = if_not_exists(activeRotation.endingAt, :at)',
      'activeRotation.endingEvent = if_not_exists(activeRotation.endingEvent, :event)',
      'dueAt = :at',
    ];
    const values: Record<string, unknown> = {
      ':from': from,
      ':rotation': rotationId,
      ':ending': ending,
      ':by': claim.by,
      ':at': claim.at,
      ':event': claim.event,
    };
    if (claim.check) {
      sets.push('activeRotation.endingCheck = if_not_exists(activeRotation.endingCheck, :check)');
      values[':check'] = claim.check;
    }
    if (claim.request) {
      sets.push('activeRotation.endingRequest = if_not_exists(activeRotation.endingRequest, :request)');
      values[':request'] = claim.request;
    }
    if (claim.stop) {
      sets.push('activeRotation.endingStop = if_not_exists(activeRotation.endingStop, :stop)');
      values[':stop'] = claim.stop;
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(appId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stripKeys<AppRecord>(Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  /**
   * Completes a claimed ending: the rotation's history record gets its final status first, then the
   * app becomes `next` (ACTIVE, without the rotation) with the ending's email queued and the execution it
   * must stop recorded, in one write that checks the claim is still there. Returns false, changing nothing more, when someone else completed it.
   */
  public async completeEnding(
    claimed: AppRecord,
    next: AppRecord,
    record: {
      status: RotationStatus;
      failedStep?: string;
      failure?: StepFailure;
    },
  ): Promise<boolean> {
    const rotation = claimed.activeRotation;
    if (!rotation?.ending || !rotation.endingAt || !rotation.endingEvent) {
      throw new RotorError(`app "${claimed.appId}" has no claimed ending to complete`);
    }
    const finishedAt = rotation.endingAt;
    await this.rotations.putRotation({
      ...historyOf(rotation),
      appId: claimed.appId,
      ...record,
      finishedAt,
      endedBy: rotation.endedBy ?? 'rotor-workflow',
      ...(rotation.endingCheck ? { hubspotCheck: rotation.endingCheck } : {}),
    });
    const notice: PendingNotice = {
      event: rotation.endingEvent,
      rotationId: rotation.rotationId,
      at: finishedAt,
    };
    const stops = rotation.endingStop
      ? { [rotation.rotationId]: { executionArn: rotation.endingStop, at: finishedAt } }
      : {};
    try {
      await this.replaceApp(
        {
          ...next,
          outbox: { ...claimed.outbox, [noticeId(notice)]: notice },
          pendingStops: { ...claimed.pendingStops, ...stops },
        },
        '#state = :from AND activeRotation.rotationId = :rotation AND activeRotation.ending = :ending',
        { ':from': claimed.state, ':rotation': rotation.rotationId, ':ending': rotation.ending },
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
    return true;
  }
}
