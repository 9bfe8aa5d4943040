import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linksInLastEmail } from '../../local/console/client.ts';
import { launchBrowser } from '../support/browser.ts';
import {
  emailsAbout,
  enroll,
  eventually,
  labelsOf,
  rotate,
  startTestSystem,
  type TestSystem,
} from '../support/localSystem.ts';

/** Chromium's start and rendering under the full suite's load on 2 cores. */
const BROWSER_TEST_TIMEOUT_MS = 150_000;
const SCREENSHOTS = {
  list: path.resolve('test-output', 'console-app-list.png'),
  confirm: path.resolve('test-output', 'console-confirm-cancel.png'),
  result: path.resolve('test-output', 'console-cancel-done.png'),
  phone: path.resolve('test-output', 'console-app-list-phone.png'),
};

let system: TestSystem;
let browser: Browser;

beforeAll(async () => {
  // The screenshots prove this run drove a browser: none from an earlier run may stand in for them.
  for (const file of Object.values(SCREENSHOTS)) rmSync(file, { force: true });
  system = await startTestSystem({ retryIntervalOverrides: { CheckPromotion: 400 } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await system?.close();
});

describe('Rotor Console in a browser', () => {
  it(
    'signs in by the emailed link, shows the countdown, and cancels through the email\'s "Cancel rotation" button',
    async () => {
      // Prepare: an app in a one-hour grace period, its ROTATION_INITIATED emails sent
      const app = await enroll(system);
      const email = `en-admin@${app.appId}.example`;
      await rotate(system, app, 'expire-later', { graceSeconds: 3600 });
      await eventually(async () => (await system.registry.apps.getApp(app.appId)).state === 'GRACE');
      await eventually(async () => (await emailsAbout(system, app.appId)).length === 2);
      mkdirSync(path.dirname(SCREENSHOTS.list), { recursive: true });
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'en-GB' });
      page.setDefaultTimeout(60_000);

      // Act: sign in as the admin would, with the link from the SES stand-in
      await page.goto(`${system.console.url}/`);
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByText('a sign-in link is on its way to it').waitFor();
      const signIn = (await linksInLastEmail(system.endpoints.ses, email, /sign-in link/)).links[0] as string;
      await page.goto(signIn);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Your apps' }).waitFor();
      const countdown = page.locator('.countdown').first();
      // The browser's script ticks the countdown (the server writes minutes only): seconds show.
      await expect.poll(() => countdown.textContent(), { timeout: 10_000 }).toMatch(/^\d+ min \d+ s$/);
      await page.screenshot({ path: SCREENSHOTS.list, fullPage: true });
      const listText = await page.locator('main').textContent();
      // On a phone: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: SCREENSHOTS.phone, fullPage: true });
      // Evaluated in the page (the tests' TypeScript has no DOM types).
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      await page.setViewportSize({ width: 1100, height: 900 });

      // Act: the "Cancel rotation" button of the ROTATION_INITIATED email, its confirm page, its POST
      const mail = await linksInLastEmail(system.endpoints.ses, email, /initiated/);
      const cancel = mail.links[1] as string;
      expect(mail.html).toMatch(new RegExp(`<a href="${cancel}" style="[^"]+">Cancel rotation</a>`));
      await page.goto(cancel);
      await page.getByRole('heading', { name: `Cancel rotation: ${app.appId}` }).waitFor();
      await page.screenshot({ path: SCREENSHOTS.confirm, fullPage: true });
      await page.getByRole('button', { name: 'Confirm: Cancel rotation' }).click();
      await page.getByRole('heading', { name: 'Done' }).waitFor();
      await page.screenshot({ path: SCREENSHOTS.result, fullPage: true });
      const resultText = await page.locator('main').textContent();
      await page.close();

      // Assess: the list showed the app in its grace period; the old token is current again
      expect(overflow).toBeLessThanOrEqual(0);
      expect(listText).toContain(app.appId);
      expect(listText).toContain('Grace period');
      expect(listText).toContain('old token expires in');
      expect(resultText).toContain(`Cancelled rotation`);
      expect(await labelsOf(system, app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
      await eventually(async () =>
        (await emailsAbout(system, app.appId)).some(
          (mail) => mail.event === 'ROTATION_CANCELLED' && mail.to === email,
        ),
      );
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
