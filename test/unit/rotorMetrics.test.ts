import { describe, expect, it } from 'vitest';
import { tokenAgesOf } from '../../lambda/domain/tokenAges.ts';
import {
  countEmailSent,
  countOldTokenUse,
  countWebhookDeliveries,
  recordTokenAges,
} from '../../lambda/notifications/rotorMetrics.ts';
import type { TokenAge } from '../../lambda/store/AppItems.ts';
import { emfLinesOf, metricNamesOf, testMetrics } from '../support/metrics.ts';

const now = new Date('2026-07-01T06:00:00.000Z');
const DAY = 86_400;

function entry(
  appId: string,
  issuedDaysAgo: number,
  intervalDays: number,
  state: TokenAge['state'] = 'ACTIVE',
) {
  return {
    appId,
    tokenIssuedAt: new Date(now.getTime() - issuedDaysAgo * DAY * 1000).toISOString(),
    intervalSeconds: intervalDays * DAY,
    state,
  };
}

describe('Function: tokenAgesOf', () => {
  it("the oldest current token's age in any state, the next due date and the overdue count of apps not in a rotation", () => {
    // Prepare: one app rotating with the oldest token; one due in 10 days; one 5 days overdue; one due
    // 12 hours ago, which today's sweep is about to rotate or remind (not overdue yet).
    const entries = [
      entry('rotating-app', 400, 180, 'ROTATING'),
      entry('fresh-app', 170, 180),
      entry('late-app', 185, 180),
      entry('due-today', 180.5, 180),
    ];

    // Act
    const ages = tokenAgesOf(entries, now);

    // Assess
    expect(ages).toEqual({ oldestTokenAgeDays: 400, daysUntilNextDue: -5, overdueTokens: 1 });
  });

  it('an empty registry has no ages and no overdue token; one just rotated is due in its interval', () => {
    expect(tokenAgesOf([], now)).toEqual({ overdueTokens: 0 });
    expect(tokenAgesOf([entry('new-app', 0.25, 90)], now)).toEqual({
      oldestTokenAgeDays: 0.25,
      daysUntilNextDue: 89.75,
      overdueTokens: 0,
    });
  });
});

describe('Metrics: what each function prints', () => {
  it('the daily gauges are one EMF line in the Rotor namespace with the service dimension', async () => {
    const metrics = testMetrics();

    const { emf } = await emfLinesOf(() =>
      recordTokenAges({ oldestTokenAgeDays: 171.5, daysUntilNextDue: -2.25, overdueTokens: 3 }, metrics),
    );

    expect(emf).toHaveLength(1);
    expect(emf[0]?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Rotor',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'OldestTokenAgeDays', Unit: 'None' },
          { Name: 'DaysUntilNextDue', Unit: 'None' },
          { Name: 'OverdueTokens', Unit: 'Count' },
        ],
      },
    ]);
    expect(emf[0]).toMatchObject({
      service: 'rotor',
      OldestTokenAgeDays: 171.5,
      DaysUntilNextDue: -2.25,
      OverdueTokens: 3,
    });
  });

  it('emails, webhooks and old-token uses are counted with their ids as metadata; no webhook line for none', async () => {
    const metrics = testMetrics();

    const { emf } = await emfLinesOf(() => {
      countEmailSent({ appId: 'billing-api', event: 'ROTATION_INITIATED' }, metrics);
      countWebhookDeliveries('delivered', 2, { appId: 'billing-api', event: 'ROTATION_INITIATED' }, metrics);
      countWebhookDeliveries('failed', 0, { appId: 'billing-api' }, metrics);
      countWebhookDeliveries('failed', 1, { appId: 'billing-api' }, metrics);
      countOldTokenUse({ appId: 'billing-api', versionId: 'v-old' }, metrics);
    });

    expect(metricNamesOf(emf)).toEqual(['EmailsSent', 'WebhooksDelivered', 'WebhooksFailed', 'OldTokenUses']);
    expect(emf[0]).toMatchObject({ EmailsSent: 1, appId: 'billing-api', event: 'ROTATION_INITIATED' });
    expect(emf[1]).toMatchObject({ WebhooksDelivered: 2 });
    expect(emf[3]).toMatchObject({ OldTokenUses: 1, versionId: 'v-old' });
  });
});
