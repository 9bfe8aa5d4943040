import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES, type RotorEventDetail } from '../../lambda/contract/rotorEvents.ts';
import {
  registeredDetail,
  removedDetail,
  repairedDetail,
  stuckDetail,
} from '../../lambda/notifications/announce.ts';
import { detailOf } from '../../lambda/notifications/publishEvent.ts';
import type { AppRecord, RotationRecord } from '../../lambda/store/model.ts';
import { eventProblems } from '../../local/eventCheck.ts';
import { eventSchemaFiles, SCHEMA_DIR } from '../../local/eventSchemas.ts';

const app = {
  appId: 'billing-sync',
  issuer: 'managed',
  tokenIssuedAt: '2026-06-01T06:00:00.000Z',
  intervalSeconds: 180 * 86_400,
  graceSeconds: 7 * 86_400,
  policy: 'remind',
  secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:rotor/billing-sync-AbCdEf',
  createdAt: '2026-06-01T06:00:00.000Z',
} as unknown as AppRecord;
const rotation = {
  appId: 'billing-sync',
  rotationId: 'r-20261202T060000Z-abc123',
  mode: 'expire-later',
  trigger: 'schedule',
  startedBy: 'rotor-schedule',
  startedAt: '2026-12-02T06:00:00.000Z',
  graceSeconds: 7 * 86_400,
  expiresAt: '2026-12-09T06:00:00.000Z',
  oldVersionId: 'v-old',
  status: 'grace',
} as unknown as RotationRecord;
const occurredAt = '2026-12-08T06:00:00.000Z';

describe('Contract: EventBridge event schemas', () => {
  it('keeps schemas/events/ equal to the contract (npm run schemas writes it)', () => {
    const files = eventSchemaFiles();
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) {
      expect(
        readFileSync(path.join(SCHEMA_DIR, name), 'utf8'),
        `schemas/events/${name} is stale: npm run schemas`,
      ).toBe(text);
    }
  });

  it('accepts the detail Rotor makes for each event, and refuses one with a field it does not know', () => {
    const made: Partial<Record<keyof typeof DETAIL_TYPES, RotorEventDetail>> = {
      APP_REGISTERED: registeredDetail(app, 'arn:aws:iam::123456789012:user/alice'),
      APP_REMOVED: removedDetail(app, 'arn:aws:iam::123456789012:user/alice', occurredAt),
      APP_STUCK: stuckDetail(
        app,
        [{ problem: 'rotation r-1, started then, has not made its new token current' }],
        occurredAt,
      ),
      APP_REPAIRED: repairedDetail(app, 'rolled-back', 'r-1', occurredAt),
    };
    for (const event of Object.keys(DETAIL_TYPES) as (keyof typeof DETAIL_TYPES)[]) {
      const detail = made[event] ?? detailOf({ app, rotation, event, occurredAt, oldTokenUses: 3 });
      expect(detail.event, event).toBe(event);
      expect(eventProblems({ source: 'rotor', detailType: DETAIL_TYPES[event], detail }), event).toEqual([]);
    }
    const detail = detailOf({ app, rotation, event: 'ROTATION_INITIATED', occurredAt });
    // A token pasted into an event would be an unknown field: the schema refuses it.
    expect(
      eventProblems({
        source: 'rotor',
        detailType: 'Rotor Rotation Initiated',
        detail: { ...detail, token: 'rtr_x' },
      }),
    ).toEqual(['/ must NOT have additional properties']);
    expect(
      eventProblems({
        source: 'rotor',
        detailType: 'Rotor Token Expires Soon',
        detail: { ...detail, event: 'TOKEN_EXPIRES_IN_24H' },
      }),
    ).toContain("/ must have required property 'oldTokenUsesLast24h'");
  });
});
