import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { emailsAboutApp } from '../../local/observe.ts';
import { clientsFor, enrollDemoApp, startRotation, until } from '../../local/scenarios/scenarios.ts';
import { type LocalSystem, startLocalSystem } from '../../local/system.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'rotor-restart-test-'));
let clock: VirtualClock | undefined;
let system: LocalSystem | undefined;

afterAll(async () => {
  await system?.close();
  clock?.uninstall();
  rmSync(scratch, { recursive: true, force: true });
});

describe('Local mode with a data dir: a restart in the middle of a grace period', () => {
  it('goes on with the waiting rotation after the restart: the 24-hour notice and the expiry still happen, once', async () => {
    // Prepare: a rotation in its grace period; virtual time is held, so its wait cannot end yet.
    clock = VirtualClock.install({ speed: 2_000_000 });
    const dataDir = path.join(scratch, 'data');
    const options = { clock, dataDir, retryIntervalOverrides: { CheckPromotion: 400 } };
    system = await startLocalSystem(options);
    const first = clientsFor(system);
    const app = await enrollDemoApp({ system, ...first }, 'restarted');
    const release = clock.hold();
    const executionArn = await startRotation({ system, ...first }, app, 'expire-later', 'r-restart');
    await until(
      'the rotation is in its grace period',
      async () => (await first.registry.apps.getApp(app.appId)).state === 'GRACE',
    );
    await until(
      'the initiated emails went out',
      async () => (await emailsAboutApp(system?.endpoints.ses ?? '', app.appId)).length === 2,
    );

    // Act: stop local mode and start it again on the same data, then let time run.
    await system.close();
    system = await startLocalSystem(options);
    release();
    const ended = await system.stepFunctions.whenStopped(executionArn);

    // Assess
    const second = clientsFor(system);
    expect(ended.status).toBe('SUCCEEDED');
    expect((await second.registry.apps.getApp(app.appId)).state).toBe('ACTIVE');
    const events = (await emailsAboutApp(system.endpoints.ses, app.appId)).map(
      (mail) => `${mail.event} ${mail.to}`,
    );
    expect(events).toEqual([
      'ROTATION_INITIATED anna@demo.example',
      'ROTATION_INITIATED ben@demo.example',
      'TOKEN_EXPIRES_IN_24H anna@demo.example',
      'TOKEN_EXPIRES_IN_24H ben@demo.example',
      'ROTATION_COMPLETED anna@demo.example',
      'ROTATION_COMPLETED ben@demo.example',
    ]);
  });
});
