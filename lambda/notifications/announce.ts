import type { LifecycleEvent } from '../contract/notificationEvents.ts';
import type { RotorEventDetail } from '../contract/rotorEvents.ts';
import type { AppRecord } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';
import { type EventPublishing, publishEvent } from './publishEvent.ts';
import { startWebhookDeliveries, type WebhookStarting } from './webhookDeliveries.ts';

/** Where the steps no one is emailed about go: the event bus and the app's webhooks, each if configured. */
export interface AnnounceDependencies {
  readonly registry: Registry;
  readonly events?: EventPublishing;
  readonly webhooks?: WebhookStarting;
}

export interface Announcement {
  readonly app: AppRecord;
  readonly event: LifecycleEvent;
  /** Sets this announcement apart from every other of its event: at most one event per occasion and bus. */
  readonly occasion: string;
  readonly detail: RotorEventDetail;
  readonly rotationId?: string;
  /** The app's webhooks get it too, unless they are going away with the app. @default true */
  readonly toWebhooks?: boolean;
}

/**
 * Tells other systems of a step no one is emailed about: its event on the bus, at most once per
 * occasion (the ledger's claim, as for every event), then one delivery per webhook. Throttling is
 * thrown for the caller's retry; a refusal for good is recorded and audited, and never fails the step.
 */
export async function announce(deps: AnnounceDependencies, announcement: Announcement): Promise<void> {
  const { app, event, occasion, detail } = announcement;
  const occurredAt = detail.occurredAt;
  if (deps.events) {
    await publishEvent(
      { registry: deps.registry, events: deps.events },
      `${occasion}#${event}#eventbridge:${deps.events.busName}`,
      { app, rotation: undefined, event, occurredAt, detail },
    );
  }
  if (deps.webhooks && (announcement.toWebhooks ?? true) && Object.keys(app.webhooks ?? {}).length > 0) {
    await startWebhookDeliveries(
      { registry: deps.registry, webhooks: deps.webhooks },
      {
        app,
        event,
        occasion,
        occurredAt,
        detail,
        ...(announcement.rotationId ? { rotationId: announcement.rotationId } : {}),
      },
    );
  }
}

/** Where {@link announceAfterChange} says that telling others failed. */
export interface ErrorLog {
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * Announces each step, in order, after the change it tells of is done (and audited): an event bus or
 * webhook that fails never fails or undoes the change. The failure is logged, by app, event and error
 * name, and the announcements after it are left out.
 */
export async function announceAfterChange(
  deps: AnnounceDependencies,
  announcements: readonly Announcement[],
  log: ErrorLog,
): Promise<void> {
  for (const announcement of announcements) {
    try {
      await announce(deps, announcement);
    } catch (error) {
      log.error('could not tell other systems of the change', {
        appId: announcement.app.appId,
        event: announcement.event,
        errorName: (error as Error).name,
      });
      return;
    }
  }
}

const common = (app: AppRecord, occurredAt: string) => ({
  version: '1' as const,
  appId: app.appId,
  issuer: app.issuer,
  occurredAt,
});

/** "Rotor App Registered": who registered the app, its secret and its schedule. */
export function registeredDetail(app: AppRecord, registeredBy: string): RotorEventDetail {
  return {
    ...common(app, app.createdAt),
    event: 'APP_REGISTERED',
    registeredBy,
    secretArn: app.secretArn,
    policy: app.policy,
    intervalSeconds: app.intervalSeconds,
    graceSeconds: app.graceSeconds,
  };
}

/** "Rotor App Removed": who removed it; its secret stays. */
export function removedDetail(app: AppRecord, removedBy: string, at: string): RotorEventDetail {
  return { ...common(app, at), event: 'APP_REMOVED', removedBy, secretArn: app.secretArn };
}

/** "Rotor App Stuck": what interrupted actions left unfinished, as `rotor apps show` lists it. */
export function stuckDetail(
  app: AppRecord,
  stuck: readonly { readonly problem: string }[],
  at: string,
): RotorEventDetail {
  const rotationId = app.activeRotation?.rotationId;
  return {
    ...common(app, at),
    event: 'APP_STUCK',
    problems: stuck.map((work) => work.problem),
    ...(rotationId ? { rotationId } : {}),
  };
}

/** "Rotor App Repaired": what the sweep did about it. */
export function repairedDetail(
  app: AppRecord,
  repair: Extract<RotorEventDetail, { event: 'APP_REPAIRED' }>['repair'],
  rotationId: string | undefined,
  at: string,
): RotorEventDetail {
  return { ...common(app, at), event: 'APP_REPAIRED', repair, ...(rotationId ? { rotationId } : {}) };
}
