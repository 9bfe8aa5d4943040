import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countUndeliverable } from '../../lambda/notifications/countUndeliverable.ts';
import { NOTIFICATION_LEASE_SECONDS } from '../../lambda/store/notificationLedger.ts';
import { buildRotorApp } from '../../lib/app.ts';
import { testMetrics } from '../support/metrics.ts';

/**
 * Someone is told when SES refuses an email for good: the functions that send email emit the
 * `UndeliverableEmails` metric (Powertools EMF on stdout), and the stack alarms on that same metric.
 */
const outdir = mkdtempSync(path.join(tmpdir(), 'rotor-cdk-'));
let template: Template;

beforeAll(() => {
  const { app, stack } = buildRotorApp({
    outdir,
    context: {
      rotor: { region: 'eu-central-1', senderAddress: 'rotor@example.com', secretNamePrefix: 'rotor/' },
      'aws:cdk:bundling-stacks': [],
    },
  });
  app.synth();
  template = Template.fromStack(stack);
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** What countUndeliverable prints, parsed (EMF: one JSON line per publish). */
function emittedBy(count: number): Record<string, unknown>[] {
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    countUndeliverable({ appId: 'billing-api', event: 'ROTATION_INITIATED' }, count, testMetrics());
  } finally {
    process.stdout.write = write;
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

type EmfDirective = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };

describe('Metric and alarm: UndeliverableEmails', () => {
  it('an email SES refused for good is counted in a metric the stack alarms on at the first one', () => {
    // Act
    const [emf, ...more] = emittedBy(1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === 'UndeliverableEmails',
    );

    // Assess: the EMF line makes the metric the alarm watches (same namespace, name, dimensions).
    expect(more).toEqual([]);
    const directive = (emf?._aws as { CloudWatchMetrics: EmfDirective[] } | undefined)?.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('Rotor');
    expect(directive?.Metrics).toEqual([{ Name: 'UndeliverableEmails', Unit: 'Count' }]);
    expect(directive?.Dimensions).toEqual([['service']]);
    expect(emf).toMatchObject({
      service: 'rotor',
      UndeliverableEmails: 1,
      appId: 'billing-api',
      event: 'ROTATION_INITIATED',
    });
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties).toMatchObject({
      Namespace: directive?.Namespace,
      MetricName: 'UndeliverableEmails',
      Dimensions: [{ Name: 'service', Value: emf?.service }],
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarms[0]?.Properties.AlarmDescription).toContain('rotor apps show <app>');
  });

  it('no refusal, no metric line', () => {
    expect(emittedBy(0)).toEqual([]);
  });

  it("the claim's lease outlasts every function that sends email, so a live attempt's claim is never taken over", () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const senders = functions.filter((fn) =>
      /emails the admins|the operator API/.test(String(fn.Properties.Description)),
    );

    expect(senders).toHaveLength(2);
    for (const fn of senders) expect(fn.Properties.Timeout).toBeLessThan(NOTIFICATION_LEASE_SECONDS);
  });
});
