import { describe, expect, it } from 'vitest';
import type { RotationRecord } from '../../lambda/store/model.ts';
import {
  type AppView,
  checkInvariants,
  checkSettled,
  type MailView,
  newMemory,
  type Snapshot,
} from './invariants.ts';

/**
 * The model-based test is only as good as its invariants: each one must fire on a world broken the way
 * it describes, and stay quiet on a healthy one.
 */
const NOW = Date.parse('2027-01-10T12:00:00Z');
const DAY = 86_400_000;
const ADMINS = ['de-admin@app.example', 'en-admin@app.example'];

const rotation = (overrides: Partial<RotationRecord> = {}): RotationRecord => ({
  appId: 'app',
  rotationId: 'r-1',
  mode: 'expire-later',
  graceSeconds: 7 * 86_400,
  trigger: 'operator',
  startedBy: 'arn:aws:iam::123456789012:user/alice',
  startedAt: new Date(NOW - 8 * DAY).toISOString(),
  oldVersionId: 'v-old',
  newVersionId: 'v-new',
  expiresAt: new Date(NOW - DAY).toISOString(),
  status: 'completed',
  finishedAt: new Date(NOW - DAY).toISOString(),
  endedBy: 'rotor-workflow',
  ...overrides,
});

const mails = (rotationId: string, ...events: string[]): MailView[] =>
  events.flatMap((event) =>
    ADMINS.map((to) => ({ event, to, appId: 'app', rotationId, at: new Date(NOW - DAY).toISOString() })),
  );

/** An app after an expire-later rotation that ran to its end: every email sent, only the new token valid. */
function healthyApp(overrides: Partial<AppView> = {}): AppView {
  return {
    appId: 'app',
    admins: ADMINS,
    state: 'ACTIVE',
    rotations: [rotation()],
    versions: [
      { versionId: 'v-old', labels: [], verifies: false, status: 'grace' },
      { versionId: 'v-new', labels: ['AWSCURRENT'], verifies: true, status: 'current' },
    ],
    runningRotationIds: [],
    pendingStops: [],
    ...overrides,
  };
}

const healthyMails = mails('r-1', 'ROTATION_INITIATED', 'TOKEN_EXPIRES_IN_24H', 'ROTATION_COMPLETED');

function snapshot(app: AppView, sent: readonly MailView[] = healthyMails): Snapshot {
  return { now: NOW, apps: [app], mails: sent };
}

const invariantsOf = (problems: readonly { invariant: string }[]) => [
  ...new Set(problems.map((p) => p.invariant)),
];

describe('Model invariants', () => {
  it('a healthy world breaks none, after a command or settled', () => {
    // Prepare
    const memory = newMemory();

    // Act
    const problems = [
      ...checkInvariants(snapshot(healthyApp()), memory),
      ...checkSettled(snapshot(healthyApp()), memory),
    ];

    // Assess
    expect(problems).toEqual([]);
  });

  it('current-token-verifies: the AWSCURRENT version is refused (an outage for every consumer)', () => {
    const app = healthyApp({
      versions: [
        { versionId: 'v-old', labels: ['AWSCURRENT'], verifies: false, status: 'grace' },
        { versionId: 'v-new', labels: [], verifies: false, status: 'revoked' },
      ],
    });
    const problems = checkInvariants(snapshot(app), newMemory());
    expect(invariantsOf(problems)).toContain('current-token-verifies');
    expect(problems.find((p) => p.invariant === 'current-token-verifies')?.message).toContain('v-old');
  });

  it('labels-mean-validity: an expired version keeps AWSPREVIOUS, or a valid one has no label', () => {
    const expiredButLabelled = healthyApp({
      versions: [
        { versionId: 'v-old', labels: ['AWSPREVIOUS'], verifies: false, status: 'grace' },
        { versionId: 'v-new', labels: ['AWSCURRENT'], verifies: true, status: 'current' },
      ],
    });
    const validUnlabelled = healthyApp({
      versions: [
        { versionId: 'v-old', labels: [], verifies: true, status: 'grace' },
        { versionId: 'v-new', labels: ['AWSCURRENT'], verifies: true, status: 'current' },
      ],
    });
    expect(invariantsOf(checkInvariants(snapshot(expiredButLabelled), newMemory()))).toEqual([
      'labels-mean-validity',
    ]);
    expect(invariantsOf(checkInvariants(snapshot(validUnlabelled), newMemory()))).toEqual([
      'labels-mean-validity',
    ]);
  });

  it('one-rotation-per-app: two open rotations, two running workflows, or two AWSPENDING versions', () => {
    const twoOpen = healthyApp({
      state: 'GRACE',
      rotations: [rotation({ status: 'grace' }), rotation({ rotationId: 'r-2', status: 'rotating' })],
    });
    const twoRunning = healthyApp({ runningRotationIds: ['r-1', 'r-2'] });
    const twoPending = healthyApp({
      versions: [
        ...healthyApp().versions,
        { versionId: 'v-3', labels: ['AWSPENDING'], verifies: false, status: 'pending' },
        { versionId: 'v-4', labels: ['AWSPENDING'], verifies: false, status: 'pending' },
      ],
    });
    for (const app of [twoOpen, twoRunning, twoPending]) {
      expect(invariantsOf(checkInvariants(snapshot(app), newMemory()))).toContain('one-rotation-per-app');
    }
  });

  it("one-rotation-per-app: an ended rotation's execution recorded as left to stop is no second rotation, until the system settles", () => {
    // Prepare: a cancel could not stop r-1's execution and recorded it; r-2 runs
    const leftover = healthyApp({ runningRotationIds: ['r-1', 'r-2'], pendingStops: ['r-1'] });
    expect(checkInvariants(snapshot(leftover), newMemory())).toEqual([]);
    // Once settled, neither the leftover execution nor its record may remain
    const settled = checkSettled(snapshot(healthyApp({ runningRotationIds: ['r-1'] })), newMemory());
    expect(settled.map((problem) => problem.message)).toEqual([
      'app app runs the workflow of ended rotation r-1',
    ]);
    const recorded = checkSettled(snapshot(healthyApp({ pendingStops: ['r-1'] })), newMemory());
    expect(invariantsOf(recorded)).toEqual(['no-app-stuck']);
  });

  it('ended-token-stays-ended: a token refused once verifies again later (a revoked token came back)', () => {
    // Prepare: the old token is valid, then refused (expired now), then accepted again (rolled back onto it)
    const memory = newMemory();
    const valid = healthyApp({
      versions: [{ versionId: 'v-old', labels: ['AWSCURRENT'], verifies: true, status: 'current' }],
    });
    const refused = healthyApp({
      versions: [
        { versionId: 'v-old', labels: [], verifies: false, status: 'revoked' },
        { versionId: 'v-new', labels: ['AWSCURRENT'], verifies: true, status: 'current' },
      ],
    });
    const back = healthyApp({
      versions: [
        { versionId: 'v-old', labels: ['AWSCURRENT'], verifies: true, status: 'current' },
        { versionId: 'v-new', labels: [], verifies: false, status: 'revoked' },
      ],
    });

    // Act
    const first = checkInvariants(snapshot(valid), memory);
    const second = checkInvariants(snapshot(refused), memory);
    const third = checkInvariants(snapshot(back), memory);

    // Assess
    expect([first, second]).toEqual([[], []]);
    expect(invariantsOf(third)).toEqual(['ended-token-stays-ended']);
    expect(third[0]?.message).toContain('version v-old was refused at');
  });

  it('ended-token-stays-ended: a version revoked in the registry that the verifier accepts', () => {
    const app = healthyApp({
      versions: [
        { versionId: 'v-old', labels: ['AWSPREVIOUS'], verifies: true, status: 'revoked' },
        { versionId: 'v-new', labels: ['AWSCURRENT'], verifies: true, status: 'current' },
      ],
    });
    expect(invariantsOf(checkInvariants(snapshot(app), newMemory()))).toEqual(['ended-token-stays-ended']);
  });

  it('no-email-twice: the same event for the same rotation and recipient twice', () => {
    const twice = [...healthyMails, ...mails('r-1', 'ROTATION_COMPLETED').slice(0, 1)];
    const problems = checkInvariants(snapshot(healthyApp(), twice), newMemory());
    expect(problems).toEqual([
      {
        invariant: 'no-email-twice',
        message: '2 emails for app r-1 ROTATION_COMPLETED de-admin@app.example',
      },
    ]);
  });

  it('no-email-twice: a repeat is no violation once a mail sender was told to crash (at least once, never lost)', () => {
    const memory = newMemory();
    memory.mailRepeatsAllowed = true;
    const twice = [...healthyMails, ...mails('r-1', 'ROTATION_COMPLETED').slice(0, 1)];
    expect(checkInvariants(snapshot(healthyApp(), twice), memory)).toEqual([]);
  });

  it('expected-emails-sent: a rotation ended without its email, or a recorded reminder never sent', () => {
    // Prepare
    const memory = newMemory();
    const reminded = healthyApp({ lastReminderAt: new Date(NOW - DAY).toISOString() });
    checkInvariants(snapshot(reminded), memory);
    const withoutCompleted = healthyMails.filter((mail) => mail.event !== 'ROTATION_COMPLETED');

    // Act
    const problems = checkSettled(snapshot(reminded, withoutCompleted), memory);

    // Assess
    expect(problems.map((p) => p.message)).toEqual([
      'app app: no ROTATION_COMPLETED to de-admin@app.example for rotation r-1 (expire-later, completed)',
      'app app: no ROTATION_COMPLETED to en-admin@app.example for rotation r-1 (expire-later, completed)',
      'app app: the registry recorded 1 reminder(s) but 0 ROTATION_REMINDER email(s) went out to its 2 admins',
    ]);
  });

  it('expected-emails-sent: the 24-hour notice is due only when the grace period reached its last day', () => {
    const cancelledEarly = healthyApp({
      rotations: [rotation({ status: 'cancelled', finishedAt: new Date(NOW - 5 * DAY).toISOString() })],
    });
    const cancelledLate = healthyApp({
      rotations: [
        rotation({ status: 'cancelled', finishedAt: new Date(NOW - DAY - 3_600_000).toISOString() }),
      ],
    });
    const sent = mails('r-1', 'ROTATION_INITIATED', 'ROTATION_CANCELLED');
    expect(checkSettled(snapshot(cancelledEarly, sent), newMemory())).toEqual([]);
    expect(invariantsOf(checkSettled(snapshot(cancelledLate, sent), newMemory()))).toEqual([
      'expected-emails-sent',
    ]);
  });

  it('expected-emails-sent: a cancel that beat a late notice owes none, unless the notice was queued or the timer had an hour', () => {
    const noticeAt = NOW - 2 * DAY;
    const cancelledAt = (ms: number, more: Partial<RotationRecord> = {}) =>
      healthyApp({
        rotations: [
          rotation({ status: 'cancelled', finishedAt: new Date(noticeAt + ms).toISOString(), ...more }),
        ],
      });
    const sent = mails('r-1', 'ROTATION_INITIATED', 'ROTATION_CANCELLED');
    const disturbed = { ...newMemory(), disturbed: true };
    // Within the hour after the notice was due, or after a fault or a crash: the cancel may come first.
    expect(checkSettled(snapshot(cancelledAt(30 * 60_000), sent), newMemory())).toEqual([]);
    expect(checkSettled(snapshot(cancelledAt(5 * 3_600_000), sent), disturbed)).toEqual([]);
    // Undisturbed, an hour on, the timer must have queued it; and once queued, it must go out.
    expect(invariantsOf(checkSettled(snapshot(cancelledAt(2 * 3_600_000), sent), newMemory()))).toEqual([
      'expected-emails-sent',
    ]);
    const queued = cancelledAt(60_000, { noticedAt: new Date(noticeAt).toISOString() });
    expect(invariantsOf(checkSettled(snapshot(queued, sent), disturbed))).toEqual(['expected-emails-sent']);
  });

  it('emails-match-outcome: ROTATION_FAILED for a rotation that completed', () => {
    const lying = [...healthyMails, ...mails('r-1', 'ROTATION_FAILED')];
    expect(invariantsOf(checkSettled(snapshot(healthyApp(), lying), newMemory()))).toEqual([
      'emails-match-outcome',
    ]);
  });

  it('no-app-stuck: ROTATING, an unfinished ending, GRACE past expiry or without a workflow, a stale record', () => {
    const graceRotation = rotation({ status: 'grace', expiresAt: new Date(NOW + DAY).toISOString() });
    const cases: AppView[] = [
      healthyApp({ state: 'ROTATING', activeRotation: rotation({ status: 'rotating' }) }),
      healthyApp({
        state: 'GRACE',
        activeRotation: { ...graceRotation, ending: 'cancel' },
        rotations: [graceRotation],
        runningRotationIds: ['r-1'],
      }),
      healthyApp({
        state: 'GRACE',
        activeRotation: rotation({ status: 'grace' }),
        rotations: [rotation({ status: 'grace' })],
        runningRotationIds: ['r-1'],
      }),
      healthyApp({ state: 'GRACE', activeRotation: graceRotation, rotations: [graceRotation] }),
      healthyApp({ rotations: [rotation({ status: 'grace' })] }),
    ];
    for (const app of cases) {
      expect(invariantsOf(checkSettled(snapshot(app), newMemory()))).toContain('no-app-stuck');
    }
  });
});
