import { describe, expect, it } from 'vitest';
import { CHILD_PROCESS_TIMEOUT_MS, scenarios } from '../support/scenarios.ts';

interface Report {
  passed: boolean;
  scenarios: {
    name: string;
    passed: boolean;
    problems: string[];
    emails: { event: string; to: string; locale: string; subject: string }[];
    events: {
      detailType: string;
      event: string;
      rotationId?: string;
      failedStep?: string;
      schemaProblems: string[];
    }[];
    webhookDeliveries: {
      detailType: string;
      deliveryId: string;
      status: number;
      verdict: string;
      sameAsEvent: boolean;
    }[];
    verifies: { old: boolean; new: boolean | null };
    labels: Record<string, string[]>;
    versions: { old: string; new: string | null };
    virtualElapsedMs: number;
  }[];
}

describe('npm run scenarios', () => {
  it(
    'replays every scenario of the lifecycle and reports each as DESIGN §2 says',
    async () => {
      const { code, stdout } = await scenarios('--json');
      const report = JSON.parse(stdout) as Report;
      const byName = Object.fromEntries(report.scenarios.map((scenario) => [scenario.name, scenario]));

      // The problems first: a failed scenario says what was wrong, not only that the exit code was 1.
      expect(report.scenarios.map((s) => [s.name, s.passed, s.problems])).toEqual(
        [
          'expire-later',
          'expire-now',
          'expire-now-during-grace',
          'cancel-during-grace',
          'reminder-overdue',
          'reminders-before-due',
          'auto-rotation-by-schedule',
          'failure-in-test-step',
          'secrets-manager-native-rotation',
          'hubspot-handoff',
          'hubspot-old-token-still-valid',
          'hubspot-handoff-timeout',
        ].map((name) => [name, true, []]),
      );
      expect(code).toBe(0);
      const expireLater = byName['expire-later'];
      expect(expireLater?.emails.map((mail) => `${mail.event} ${mail.to} ${mail.locale}`)).toEqual([
        'ROTATION_INITIATED anna@demo.example de',
        'ROTATION_INITIATED ben@demo.example en',
        'TOKEN_EXPIRES_IN_24H anna@demo.example de',
        'TOKEN_EXPIRES_IN_24H ben@demo.example en',
        'ROTATION_COMPLETED anna@demo.example de',
        'ROTATION_COMPLETED ben@demo.example en',
      ]);
      expect(expireLater?.verifies).toEqual({ old: false, new: true });
      expect(expireLater?.labels).toEqual({ [expireLater?.versions.new ?? '']: ['AWSCURRENT'] });
      // Seven virtual days passed, to the minute.
      expect(Math.round((expireLater?.virtualElapsedMs ?? 0) / 60_000)).toBe(7 * 24 * 60);
      expect(byName['cancel-during-grace']?.verifies).toEqual({ old: true, new: false });
      expect(byName['failure-in-test-step']?.emails.map((mail) => mail.event)).toEqual([
        'ROTATION_FAILED',
        'ROTATION_FAILED',
      ]);
      // HubSpot: the warning replaces the completion when HubSpot still accepts the old token.
      expect(byName['hubspot-handoff']?.emails.map((mail) => mail.event).at(-1)).toBe('ROTATION_COMPLETED');
      expect(byName['hubspot-old-token-still-valid']?.emails.map((mail) => mail.event).at(-1)).toBe(
        'HUBSPOT_TOKEN_STILL_VALID',
      );
      expect(byName['hubspot-old-token-still-valid']?.verifies).toEqual({ old: true, new: true });
      // EventBridge: one event per step, in order, each fitting its committed JSON Schema.
      const eventsOf = (name: string) =>
        byName[name]?.events.map((event) => `${event.detailType}${event.schemaProblems.length ? ' ✗' : ''}`);
      expect(eventsOf('expire-later')).toEqual([
        'Rotor Rotation Started',
        'Rotor Rotation Initiated',
        'Rotor Token Expires Soon',
        'Rotor Rotation Completed',
      ]);
      expect(eventsOf('cancel-during-grace')).toEqual([
        'Rotor Rotation Started',
        'Rotor Rotation Initiated',
        'Rotor Rotation Cancelled',
      ]);
      expect(eventsOf('failure-in-test-step')).toEqual(['Rotor Rotation Started', 'Rotor Rotation Failed']);
      expect(byName['failure-in-test-step']?.events.at(-1)?.failedStep).toBe('testSecret');
      expect(eventsOf('hubspot-old-token-still-valid')?.at(-1)).toBe('Rotor HubSpot Token Still Valid');
      // And each event reached the app's json webhook once, signed so that the receiver accepts it.
      const deliveriesOf = (name: string) =>
        byName[name]?.webhookDeliveries.map(
          (delivery) =>
            `${delivery.detailType} ${delivery.status} ${delivery.verdict} ${delivery.sameAsEvent}`,
        );
      expect(deliveriesOf('expire-later')).toEqual([
        'Rotor Rotation Started 200 accepted true',
        'Rotor Rotation Initiated 200 accepted true',
        'Rotor Token Expires Soon 200 accepted true',
        'Rotor Rotation Completed 200 accepted true',
      ]);
      expect(deliveriesOf('cancel-during-grace')).toEqual([
        'Rotor Rotation Started 200 accepted true',
        'Rotor Rotation Initiated 200 accepted true',
        'Rotor Rotation Cancelled 200 accepted true',
      ]);
      expect(deliveriesOf('failure-in-test-step')).toEqual([
        'Rotor Rotation Started 200 accepted true',
        'Rotor Rotation Failed 200 accepted true',
      ]);
      const ids = expireLater?.webhookDeliveries.map((delivery) => delivery.deliveryId) ?? [];
      expect(new Set(ids).size).toBe(4);
      // Before the due date: the 30-day and the 7-day reminder once each to each admin, in their own
      // language, though each day's sweep ran twice; then, across the due date, the overdue reminder.
      expect(
        byName['reminders-before-due']?.emails.map((mail) => `${mail.to} ${mail.subject.split(': ')[1]}`),
      ).toEqual([
        'anna@demo.example Token-Rotation in 30 Tagen fällig',
        'ben@demo.example Token rotation due in 30 days',
        'anna@demo.example Token-Rotation in 7 Tagen fällig',
        'ben@demo.example Token rotation due in 7 days',
        'anna@demo.example Token seit mehr als 180 Tagen nicht rotiert',
        'ben@demo.example Token not rotated in over 180 days',
      ]);
      expect(eventsOf('reminders-before-due')).toEqual([
        'Rotor Rotation Due Soon',
        'Rotor Rotation Due Soon',
        'Rotor Rotation Reminder',
      ]);
      // All four are about the one rotation.
      const rotationIds = [...new Set(expireLater?.events.map((event) => event.rotationId))];
      expect(rotationIds).toHaveLength(1);
      expect(rotationIds[0]).toEqual(expect.any(String));
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );
});
