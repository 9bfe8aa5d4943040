import { describe, expect, it } from 'vitest';
import {
  countEmailSent,
  countOldTokenUse,
  countWebhookDeliveries,
  recordTokenAges,
} from '../../lambda/notifications/rotorMetrics.ts';
import { emfLinesOf, metricNamesOf, testMetrics } from '../support/metrics.ts';

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
