import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendNotification } from '../../lambda/notifications/sendNotification.ts';
import type { StrictSes } from '../../local/ses/strictSes.ts';
import { enroll, uniqueAppId } from '../support/localSystem.ts';
import { ALICE, type ApiTestSystem, startApiTestSystem } from '../support/operatorApi.ts';
import { startSesWithClient } from '../support/ses.ts';

/**
 * `rotor apps show` (the real binary, through the local operator API and its IAM role) tells the
 * operator which of an app's emails SES refused for good: before, only the audit log had them.
 */
const SENDER = 'rotor@rotor.example';
let env: ApiTestSystem;
let sandbox: StrictSes | undefined;

beforeAll(async () => {
  env = await startApiTestSystem();
});

afterAll(async () => {
  await sandbox?.close();
  await env?.close();
});

function rotor(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'node',
      ['bin/rotor.mjs', ...args],
      {
        env: {
          ...process.env,
          ROTOR_API_URL: env.api.url,
          AWS_ACCESS_KEY_ID: ALICE.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ALICE.secretAccessKey,
          AWS_REGION: 'eu-central-1',
          NO_COLOR: '1',
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('Command: rotor apps show (undelivered emails)', () => {
  it("lists each email SES refused for good with its event, recipient, time and SES's reason; --json the same", async () => {
    // Prepare: in the SES sandbox only the German admin is verified, so the English one is refused.
    const appId = uniqueAppId('undelivered');
    await enroll(env.system, { appId });
    const started = await startSesWithClient({
      sandbox: { verifiedIdentities: [SENDER, `de-admin@${appId}.example`] },
    });
    sandbox = started.ses;
    const outcome = await sendNotification(
      { registry: env.system.registry, ses: started.client, senderAddress: SENDER, clock: () => new Date() },
      { appId, event: 'ROTATION_REMINDER' },
    );

    // Act
    const [table, json] = await Promise.all([
      rotor(['apps', 'show', appId]),
      rotor(['apps', 'show', appId, '--json']),
    ]);

    // Assess
    expect(outcome.failed).toEqual([`en-admin@${appId}.example`]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(
        `\\n {2}undelivered +ROTATION_REMINDER to en-admin@${appId}\\.example, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d: MessageRejected: Email address is not verified\\.`,
      ),
    );
    expect(table.stdout).toContain('SES refused these for good and they are not retried');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).app.undeliveredEmails).toEqual([
      {
        event: 'ROTATION_REMINDER',
        recipient: `en-admin@${appId}.example`,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        reason: expect.stringContaining('MessageRejected: Email address is not verified.'),
      },
    ]);
  });
});
