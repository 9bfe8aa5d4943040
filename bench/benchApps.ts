import { DUE_SHARD, keys } from '../lambda/contract/table.ts';
import { dueAtOf } from '../lambda/store/dueAt.ts';
import type { AppRecord } from '../lambda/store/model.ts';

const DAY_MS = 86_400_000;
const INTERVAL_SECONDS = 180 * 86_400;

/** An app id that sorts in creation order: `bench-app-000042`. */
export function benchAppId(index: number): string {
  return `bench-app-${String(index).padStart(6, '0')}`;
}

/**
 * `count` registered apps as `registry.apps.createApp` would store them, every `dueEvery`-th one due at
 * `now` (its token older than its 180-day interval) and the rest due in the future. Deterministic:
 * the same arguments give the same apps.
 */
export function benchAppRecords(count: number, dueEvery: number, now: Date): AppRecord[] {
  const apps: AppRecord[] = [];
  for (let index = 0; index < count; index++) {
    const due = index % dueEvery === 0;
    // Due: issued 181-209 days ago. Not due: issued 1-149 days ago, before the first of its reminders
    // (30 days before the due date), spread so the index has many keys.
    const ageDays = due ? 181 + (index % 29) : 1 + (index % 149);
    const issuedAt = new Date(now.getTime() - ageDays * DAY_MS - (index % 3600) * 1000).toISOString();
    const appId = benchAppId(index);
    apps.push({
      appId,
      secretArn: `arn:aws:secretsmanager:eu-central-1:123456789012:secret:rotor/${appId}-AbCdEf`,
      issuer: 'managed',
      admins: [{ email: `ops+${index}@example.com` }, { email: `dev+${index}@example.com`, locale: 'en' }],
      customers: [],
      locale: 'de',
      timeZone: 'Europe/Berlin',
      intervalSeconds: INTERVAL_SECONDS,
      graceSeconds: 7 * 86_400,
      reminderRepeatSeconds: 30 * 86_400,
      policy: index % 2 === 0 ? 'auto' : 'remind',
      defaultMode: 'expire-later',
      state: 'ACTIVE',
      currentVersionId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      tokenIssuedAt: issuedAt,
      lastRotation: { rotationId: `r-bench-${index}`, outcome: 'completed', at: issuedAt },
      createdAt: new Date(now.getTime() - 400 * DAY_MS).toISOString(),
      updatedAt: issuedAt,
    });
  }
  return apps;
}

/** The item `registry.apps.createApp` writes for an app: its keys, the app, and its place in the `due` index. */
export function appItem(app: AppRecord): Record<string, unknown> {
  return { ...keys.app(app.appId), ...app, dueShard: DUE_SHARD, dueAt: dueAtOf(app) };
}
