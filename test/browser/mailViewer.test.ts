import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { emailsAboutApp } from '../../local/observe.ts';
import { clientsFor, enrollDemoApp, startRotation, until } from '../../local/scenarios/scenarios.ts';
import { type LocalSystem, startLocalSystem } from '../../local/system.ts';
import { launchBrowser } from '../support/browser.ts';

/** Chromium's start and rendering under the full suite's load on 2 cores. */
const BROWSER_TEST_TIMEOUT_MS = 120_000;
const SCREENSHOT = path.resolve('test-output', 'mail-viewer-rotation-initiated.png');

let clock: VirtualClock;
let system: LocalSystem;
let browser: Browser;

beforeAll(async () => {
  // The screenshot proves this run drove a browser: none from an earlier run may stand in for it.
  rmSync(SCREENSHOT, { force: true });
  // Slow enough that the rotation is still in its grace period (no clock jump) while the browser looks.
  clock = VirtualClock.install({ speed: 1_000 });
  system = await startLocalSystem({ clock, retryIntervalOverrides: { CheckPromotion: 400 } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await system?.close();
  clock?.uninstall();
});

describe('the mail viewer during a rotation', () => {
  it(
    'shows the ROTATION_INITIATED email of the demo app, with its next action',
    async () => {
      // Prepare: the demo app, mid-way through an expire-later rotation (in its grace period).
      const clients = clientsFor(system);
      const app = await enrollDemoApp({ system, ...clients }, 'billing-sync');
      const executionArn = await startRotation({ system, ...clients }, app, 'expire-later', 'browser-test');
      await until('ROTATION_INITIATED went out', async () => {
        const emails = await emailsAboutApp(system.endpoints.ses, app.appId);
        return emails.filter((email) => email.event === 'ROTATION_INITIATED').length === 2;
      });

      // Act: open the viewer as a person would, find the English email and open its HTML view.
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      // A browser on a 2-core machine that runs the rest of the suite too can be slow: wait for it.
      page.setDefaultTimeout(60_000);
      // The viewer's script must have loaded and fetched the emails before its toggle works: a click on a
      // page still loading (as on a loaded machine) left the HTML view hidden, and the test waiting for it.
      await page.goto(`${system.endpoints.ses}/`, { waitUntil: 'networkidle' });
      const email = page.locator('.email', { hasText: 'billing-sync: A token rotation was initiated' });
      await email.getByRole('button', { name: 'Toggle HTML view' }).click();
      // The iframe of this email's card: other cards hold hidden iframes of their own.
      const html = email.frameLocator('iframe[id$="-html-iframe"]');
      await html.getByText('rotor cancel billing-sync').first().waitFor();
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Assess
      expect(await email.count()).toBe(1);
      expect(await email.textContent()).toContain('ben@demo.example');
      expect(await html.locator('body').textContent()).toContain('billing-sync');
      // Taken during the scenario: the rotation is still waiting out its grace period.
      const running = system.stepFunctions.executions().find((run) => run.executionArn === executionArn);
      expect(running?.status).toBe('RUNNING');
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
