import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeSecret } from '../../lambda/domain/tokens.ts';
import { executionArnFor } from '../../lambda/integrations/workflows.ts';
import { VirtualClock } from '../../local/clock.ts';
import type { FakeHubSpot } from '../../local/hubspot/fake.ts';
import { allEmails } from '../../local/observe.ts';
import {
  emailsAbout,
  eventually,
  historyText,
  labelsOf,
  registryText,
  uniqueAppId,
} from '../support/localSystem.ts';
import { type ApiTestSystem, arnOf, BOB, isOneSentence, startApiTestSystem } from '../support/operatorApi.ts';

/**
 * A HubSpot app through the operator API, on the virtual clock: registration, the handoff, refused and
 * accepted tokens, the grace period and HubSpot's verdict at its end. HubSpot is the local fake.
 */
let env: ApiTestSystem;
let clock: VirtualClock;
let hubspot: FakeHubSpot;
/** Everything the processes wrote to stdout and stderr during the tests (handler logs included). */
const output: string[] = [];
const restore: (() => void)[] = [];
const PORTAL = 4711;

beforeAll(async () => {
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
  clock = VirtualClock.install({ speed: 2_000_000 });
  env = await startApiTestSystem({ clock, retryIntervalOverrides: { CheckPromotion: 50 } });
  hubspot = env.system.hubspot as FakeHubSpot;
});

afterAll(async () => {
  await env?.close();
  clock?.uninstall();
  for (const undo of restore) undo();
});

/** A HubSpot app registered through the API, its current token from the fake HubSpot in its secret. */
async function addHubSpotApp() {
  const appId = uniqueAppId('crm');
  const oldToken = hubspot.issueToken({ hubId: PORTAL, scopes: ['crm.objects.contacts.read', 'tickets'] });
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
      admins: [{ email: `de@${appId}.example` }, { email: `en@${appId}.example`, locale: 'en' }],
    },
  });
  expect(added.status, added.text).toBe(201);
  return { appId, oldToken, added };
}

/** Starts a rotation and waits until its workflow waits for the handoff. */
async function rotationWaitingForHandoff(appId: string) {
  const started = await env.call('POST', `/apps/${appId}/rotations`, { body: { mode: 'expire-later' } });
  expect(started.status, started.text).toBe(202);
  const rotationId = (started.body.rotation as { rotationId: string }).rotationId;
  await eventually(
    async () => (await env.system.registry.apps.getApp(appId)).activeRotation?.handoffTaskToken,
  );
  return { rotationId, executionArn: executionArnFor(env.system.rotationStateMachineArn, rotationId) };
}

describe('HubSpot apps through the operator API', () => {
  it('refuses wrong tokens with a sentence saying why, promotes the right one, and no token value leaks anywhere', async () => {
    // Prepare: the clock is held while the admin works, so no reminder is due meanwhile.
    const { appId, oldToken, added } = await addHubSpotApp();
    const release = clock.hold();
    const { executionArn } = await rotationWaitingForHandoff(appId);
    const otherPortal = hubspot.issueToken({ hubId: 9001, scopes: ['crm.objects.contacts.read'] });
    const missingScope = hubspot.issueToken({ hubId: PORTAL, scopes: ['tickets'] });
    const unknown = 'pat-eu1-00000000-0000-0000-0000-000000000000';

    // Act
    const refusals = [];
    for (const token of [otherPortal, missingScope, unknown, oldToken]) {
      refusals.push(await env.call('POST', `/apps/${appId}/submit`, { user: BOB, body: { token } }));
    }
    const newToken = hubspot.rotate(oldToken, {
      scopes: ['crm.objects.contacts.read', 'crm.objects.deals.read'],
    });
    const accepted = await env.call('POST', `/apps/${appId}/submit`, {
      user: BOB,
      body: { token: newToken },
    });
    release();
    const stopped = await env.system.stepFunctions.whenStopped(executionArn);

    // Assess: each refusal names its reason and changed nothing; the audit log has them with the caller.
    expect(added.body.message).toContain(`portal ${PORTAL}`);
    expect(refusals.map((answer) => answer.status)).toEqual([422, 422, 422, 422]);
    expect(refusals.every((answer) => isOneSentence(answer.body.message))).toBe(true);
    expect(refusals[0]?.body.message).toBe(
      `The token belongs to HubSpot portal 9001, but app "${appId}" is registered for portal ${PORTAL}; submit the token of the app in portal ${PORTAL}.`,
    );
    expect(refusals[1]?.body.message).toMatch(
      /^The token lacks the required scope\(s\) crm\.objects\.contacts\.read;/,
    );
    expect(refusals[2]?.body.message).toMatch(/^HubSpot refuses this token \(HTTP 401\)/);
    expect(refusals[3]?.body.message).toMatch(/^This is the current token of app/);
    expect(accepted.status, accepted.text).toBe(202);
    expect(accepted.body).toMatchObject({
      scopesAdded: ['crm.objects.deals.read'],
      scopesRemoved: ['tickets'],
    });
    expect(stopped.status).toBe('SUCCEEDED');
    const app = await env.system.registry.apps.getApp(appId);
    expect(app.state).toBe('ACTIVE');
    expect(await labelsOf(env.system, app.secretArn)).toEqual({ [app.currentVersionId]: ['AWSCURRENT'] });
    expect(app.hubspot?.scopes).toEqual(['crm.objects.contacts.read', 'crm.objects.deals.read']);
    expect((await emailsAbout(env.system, appId)).map((mail) => mail.event)).toEqual([
      'HANDOFF_REQUESTED',
      'HANDOFF_REQUESTED',
      'ROTATION_INITIATED',
      'ROTATION_INITIATED',
      'TOKEN_EXPIRES_IN_24H',
      'TOKEN_EXPIRES_IN_24H',
      'ROTATION_COMPLETED',
      'ROTATION_COMPLETED',
    ]);
    const { events } = (await env.call('GET', '/audit', { query: { app: appId, since: '30d' } })).body as {
      events: { action: string; outcome: string; actor: string }[];
    };
    expect(
      events.filter((event) => event.action === 'rotation.submit').map((event) => event.outcome),
    ).toEqual(['refused', 'refused', 'refused', 'refused', 'succeeded']);
    expect(events.find((event) => event.action === 'rotation.submit')?.actor).toBe(arnOf(BOB));

    // No token value in DynamoDB, the execution's history, any email, any log line or API answer.
    const everything = [
      await registryText(env.system),
      await historyText(env.system, executionArn),
      JSON.stringify(await allEmails(env.system.endpoints.ses)),
      output.join(''),
      ...refusals.map((answer) => answer.text),
      accepted.text,
      JSON.stringify(events),
    ].join('\n');
    expect(everything).toContain(appId);
    for (const token of [oldToken, newToken, otherPortal, missingScope]) {
      expect(everything.includes(token), 'a token value leaked').toBe(false);
    }
  });

  it('expire now tells the operator and the admins to click "Expire now" in HubSpot while HubSpot still accepts the old token', async () => {
    // Prepare
    const { appId, oldToken } = await addHubSpotApp();
    const release = clock.hold();
    const { executionArn } = await rotationWaitingForHandoff(appId);
    const newToken = hubspot.rotate(oldToken);
    expect((await env.call('POST', `/apps/${appId}/submit`, { body: { token: newToken } })).status).toBe(202);
    await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE');

    // Act
    const expired = await env.call('POST', `/apps/${appId}/expire-now`);
    release();
    await env.system.stepFunctions.whenStopped(executionArn);

    // Assess
    expect(expired.status, expired.text).toBe(200);
    expect(expired.body.message).toContain(
      'HubSpot still accepts the old token, so click "Expire now" in HubSpot',
    );
    const invalidated = (await emailsAbout(env.system, appId)).filter(
      (mail) => mail.event === 'TOKEN_INVALIDATED',
    );
    expect(invalidated.map((mail) => mail.locale)).toEqual(['de', 'en']);
    expect(invalidated[1]?.text).toContain('HubSpot still accepts the old token');
    expect(invalidated[1]?.text).toContain(`Development > Legacy apps > ${appId} > Auth`);
  });

  it('cancel is refused, changing nothing, when HubSpot no longer accepts the old token it would make current again', async () => {
    // Prepare: the admin already ended the old token in HubSpot ("Expire now" there).
    const { appId, oldToken } = await addHubSpotApp();
    const release = clock.hold();
    const { executionArn } = await rotationWaitingForHandoff(appId);
    const newToken = hubspot.rotate(oldToken);
    expect((await env.call('POST', `/apps/${appId}/submit`, { body: { token: newToken } })).status).toBe(202);
    await eventually(async () => (await env.system.registry.apps.getApp(appId)).state === 'GRACE');
    hubspot.expireNow(oldToken);
    const before = await env.system.registry.apps.getApp(appId);

    // Act
    const cancelled = await env.call('POST', `/apps/${appId}/cancel`);

    // Assess: a 409 that says why and what to do; the new token stays current, HubSpot still takes it.
    expect(cancelled.status, cancelled.text).toBe(409);
    expect(isOneSentence(cancelled.body.message)).toBe(true);
    expect(cancelled.body.message).toContain('HubSpot no longer accepts the old token');
    expect(cancelled.body.message).toContain(`rotor expire-now ${appId}`);
    const after = await env.system.registry.apps.getApp(appId);
    expect(after.state).toBe('GRACE');
    expect(after.currentVersionId).toBe(before.currentVersionId);
    expect(await labelsOf(env.system, after.secretArn)).toEqual(await labelsOf(env.system, before.secretArn));
    expect(hubspot.accepts(newToken)).toBe(true);
    release();
    expect((await env.call('POST', `/apps/${appId}/expire-now`)).status).toBe(200);
    await env.system.stepFunctions.whenStopped(executionArn);
  });

  it('a HubSpot app rotates only with expire later, and only its own portal may register it', async () => {
    const { appId } = await addHubSpotApp();
    const now = await env.call('POST', `/apps/${appId}/rotations`, { body: { mode: 'expire-now' } });
    expect(now.status).toBe(400);
    expect(now.body.message).toMatch(/is a hubspot app: it rotates with --expire later/);

    const other = uniqueAppId('crm');
    const token = hubspot.issueToken({ hubId: 9001, scopes: ['crm.objects.contacts.read'] });
    await env.system.secretsManager.send(
      new CreateSecretCommand({
        Name: `rotor/${other}`,
        SecretString: serializeSecret({ token, issuedAt: '' }),
      }),
    );
    const refused = await env.call('POST', '/apps', {
      body: {
        appId: other,
        secret: `rotor/${other}`,
        issuer: 'hubspot',
        hubId: PORTAL,
        admins: [{ email: 'a@b.de' }],
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/belongs to HubSpot portal 9001, not to portal 4711\.$/);
    expect(await env.system.registry.apps.findApp(other)).toBeUndefined();
  });
});
