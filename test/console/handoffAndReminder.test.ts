import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeSecret } from '../../lambda/domain/tokens.ts';
import { executionArnFor } from '../../lambda/integrations/workflows.ts';
import { ConsoleClient, linksInLastEmail } from '../../local/console/client.ts';
import type { FakeHubSpot } from '../../local/hubspot/fake.ts';
import { eventually, historyText, labelsOf, registryText, uniqueAppId } from '../support/localSystem.ts';
import { type ApiTestSystem, startApiTestSystem } from '../support/operatorApi.ts';

/**
 * The console's other buttons: "Hand over the new token" of a HubSpot app's HANDOFF_REQUESTED, and
 * "Rotate now" of ROTATION_REMINDER. HubSpot is the local fake.
 */
let env: ApiTestSystem;
let hubspot: FakeHubSpot;
const output: string[] = [];
const restore: (() => void)[] = [];
const PORTAL = 4711;

beforeAll(async () => {
  // Everything the processes write (handler logs included), to look for token values in.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      output.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  env = await startApiTestSystem({ retryIntervalOverrides: { CheckPromotion: 200 } });
  hubspot = env.system.hubspot as FakeHubSpot;
});

afterAll(async () => {
  await env?.close();
  for (const undo of restore) undo();
});

const browser = () => new ConsoleClient(env.system.console.url, { acceptLanguage: 'en' });

describe('Console: handing over a HubSpot token', () => {
  it('takes the new token from the email\'s "Hand over the new token" page, and shows, logs and keeps it nowhere', async () => {
    // Prepare: a HubSpot app whose rotation waits for its new token
    const appId = uniqueAppId('crm');
    const admin = `en@${appId}.example`;
    const oldToken = hubspot.issueToken({ hubId: PORTAL, scopes: ['crm.objects.contacts.read'] });
    await env.system.secretsManager.send(
      new CreateSecretCommand({
        Name: `rotor/${appId}`,
        SecretString: serializeSecret({ token: oldToken, issuedAt: new Date().toISOString() }),
      }),
    );
    const added = await env.call('POST', '/apps', {
      body: {
        appId,
        secret: `rotor/${appId}`,
        issuer: 'hubspot',
        hubId: PORTAL,
        scopes: ['crm.objects.contacts.read'],
        admins: [{ email: admin, locale: 'en' }],
      },
    });
    expect(added.status, added.text).toBe(201);
    const started = await env.call('POST', `/apps/${appId}/rotations`, { body: { mode: 'expire-later' } });
    const rotationId = (started.body.rotation as { rotationId: string }).rotationId;
    await eventually(
      async () => (await env.system.registry.apps.getApp(appId)).activeRotation?.handoffTaskToken,
    );
    const requested = await eventually(async () => {
      try {
        return await linksInLastEmail(env.system.endpoints.ses, admin, /hand it to Rotor/);
      } catch {
        return undefined;
      }
    });
    const handOver = requested.links[0] as string;
    const newToken = hubspot.rotate(oldToken, { scopes: ['crm.objects.contacts.read'] });
    const client = browser();

    // Act: the confirm page, a wrong token (another portal's), then the right one
    const form = await client.get(handOver);
    const wrong = await client.post(handOver, {
      token: hubspot.issueToken({ hubId: 9001, scopes: ['crm.objects.contacts.read'] }),
    });
    await client.get(handOver);
    const done = await client.post(handOver, { token: newToken });
    const stopped = await eventually(
      async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE',
    );

    // Assess: a password field; the refusal is the API's sentence; the token is current; it is nowhere else
    expect(requested.text).toContain('Hand over the new token:');
    expect(form.html).toContain('<input type="password" id="token" name="token"');
    expect(wrong.status).toBe(422);
    expect(wrong.html).toContain('portal 9001');
    expect(done.status).toBe(200);
    expect(stopped).toBe(true);
    const app = await env.system.registry.apps.getApp(appId);
    expect(Object.values(await labelsOf(env.system, app.secretArn)).flat()).toContain('AWSCURRENT');
    const history = await historyText(
      env.system,
      executionArnFor(env.system.rotationStateMachineArn, rotationId),
    );
    const texts = [
      form.html,
      wrong.html,
      done.html,
      output.join(''),
      await registryText(env.system),
      history,
    ];
    for (const text of texts) expect(text).not.toContain(newToken.slice(8, 36));
    const audit = (
      await env.system.registry.audit.listAuditDay(new Date().toISOString().slice(0, 10))
    ).filter((event) => event.appId === appId && event.action === 'rotation.submit');
    expect(audit.map((event) => `${event.actor} ${event.outcome}`)).toEqual([
      `${admin} (console) refused`,
      `${admin} (console) succeeded`,
    ]);
  });
});

describe('Console: the reminder\'s "Rotate now"', () => {
  it('starts a rotation with the mode and grace chosen on the confirm page, started by the admin', async () => {
    // Prepare: a managed app whose token is past its interval, reminded by the sweep
    const appId = uniqueAppId('old');
    const admin = `en@${appId}.example`;
    const added = await env.call('POST', '/apps', {
      body: { appId, secret: `rotor/${appId}`, admins: [{ email: admin, locale: 'en' }], policy: 'remind' },
    });
    expect(added.status, added.text).toBe(201);
    const now = new Date().toISOString();
    expect(
      await env.system.registry.apps.queueReminder(await env.system.registry.apps.getApp(appId), now, now),
    ).toBe(true);
    await env.system.invoke(env.system.functions.find((fn) => fn.handler === 'notify')?.arn as string, {
      appId,
    });
    const reminder = await linksInLastEmail(env.system.endpoints.ses, admin, /Token not rotated/);
    const rotateNow = reminder.links[0] as string;
    const client = browser();

    // Act
    const form = await client.get(rotateNow);
    const badGrace = await client.post(rotateNow, { mode: 'expire-later', grace: '1y' });
    await client.get(rotateNow);
    const started = await client.post(rotateNow, {
      mode: 'expire-later',
      grace: '2d',
      reason: 'from the reminder',
    });
    const again = await client.get(rotateNow);

    // Assess
    expect(form.html).toContain('name="mode" value="expire-later"');
    expect(badGrace.status).toBe(400);
    expect(badGrace.html).toMatch(/grace/);
    expect(started.status).toBe(200);
    expect(started.html).toContain('Started expire-later rotation');
    expect(again.status).toBe(410);
    const app = await env.system.registry.apps.getApp(appId);
    expect(app.activeRotation).toMatchObject({
      mode: 'expire-later',
      graceSeconds: 2 * 86_400,
      startedBy: `${admin} (console)`,
      reason: 'from the reminder',
    });
  });
});
