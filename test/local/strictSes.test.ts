import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendEmailCommand, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { afterEach, describe, expect, it } from 'vitest';
import { allEmails, clearEmails } from '../../local/observe.ts';
import type { StrictSes, StrictSesOptions } from '../../local/ses/strictSes.ts';
import { startSesWithClient } from '../support/ses.ts';

const SENDER = 'rotor@rotor.example';
let ses: StrictSes | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await ses?.close();
  ses = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(options: StrictSesOptions = {}) {
  const started = await startSesWithClient(options);
  ses = started.ses;
  return { url: started.ses.url, client: started.client };
}

function email(to: string, subject = 'hello') {
  return new SendEmailCommand({
    Source: SENDER,
    Destination: { ToAddresses: [to] },
    Message: { Subject: { Data: subject }, Body: { Text: { Data: 'body' } } },
  });
}

async function refusal(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { name: string; message: string; $metadata: { httpStatusCode?: number } } | undefined;
  expect(error, 'SES accepted what it should refuse').toBeDefined();
  return { name: error?.name, message: error?.message, status: error?.$metadata.httpStatusCode };
}

describe('Local SES: strict front of aws-ses-v2-local', () => {
  it('refuses addresses SES refuses with InvalidParameterValue (400), and keeps nothing', async () => {
    const { url, client } = await start();

    expect(await refusal(client.send(email('ädmin@bücher.example')))).toEqual({
      name: 'InvalidParameterValue',
      message: 'Local address contains control or whitespace',
      status: 400,
    });
    expect(await refusal(client.send(email('admin@bücher.example')))).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Domain contains illegal character',
    });
    expect(await refusal(client.send(email('ad\u200Bmin@example.com')))).toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect(await refusal(client.send(email('a;b@c.example')))).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Illegal address',
    });
    const raw = [`From: ${SENDER}`, 'To: Jörg <jörg@example.com>', 'Subject: raw', '', 'body'].join('\r\n');
    expect(
      await refusal(client.send(new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(raw) } }))),
    ).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    expect(await allEmails(url)).toEqual([]);

    await client.send(email('admin@xn--bcher-kva.example'));
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['admin@xn--bcher-kva.example']);
  });

  it('in sandbox mode refuses an unverified recipient or sender with MessageRejected', async () => {
    const { url, client } = await start({
      region: 'eu-central-1',
      sandbox: { verifiedIdentities: [SENDER, 'verified.example'] },
    });

    await client.send(email('anyone@verified.example'));
    expect(await refusal(client.send(email('ops@elsewhere.example')))).toEqual({
      name: 'MessageRejected',
      message:
        'Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: ops@elsewhere.example',
      status: 400,
    });
    const fromUnverified = new SendEmailCommand({
      Source: 'someone@else.example',
      Destination: { ToAddresses: ['anyone@verified.example'] },
      Message: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } },
    });
    expect(await refusal(client.send(fromUnverified))).toMatchObject({
      name: 'MessageRejected',
      message: expect.stringMatching(/failed the check in region EU-CENTRAL-1: someone@else\.example$/),
    });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual(['anyone@verified.example']);
  });

  it('throttles sends over the maximum send rate ("Maximum sending rate exceeded.") until the second has passed', async () => {
    let now = 0;
    const { url, client } = await start({ maxSendRate: 2, now: () => now });

    await client.send(email('a@example.com'));
    await client.send(email('b@example.com'));
    expect(await refusal(client.send(email('c@example.com')))).toEqual({
      name: 'Throttling',
      message: 'Maximum sending rate exceeded.',
      status: 400,
    });
    now += 500;
    await client.send(email('c@example.com'));
    expect(await refusal(client.send(email('d@example.com')))).toMatchObject({ name: 'Throttling' });
    expect((await allEmails(url)).map((mail) => mail.to)).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
  });

  it('with a data dir, keeps the accepted mails across a restart, for /store and the viewer', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rotor-ses-'));
    dirs.push(dataDir);
    const first = await start({ dataDir });
    await first.client.send(email('kept@example.com', 'kept across restarts'));
    await ses?.close();

    const second = await start({ dataDir });
    const mails = await allEmails(second.url);
    expect(mails).toEqual([
      expect.objectContaining({ to: 'kept@example.com', subject: 'kept across restarts' }),
    ]);
    const viewer = await fetch(`${second.url}/`, { headers: { connection: 'close' } });
    expect(viewer.status).toBe(200);
    expect(await viewer.text()).toContain('<html');

    await second.client.send(email('later@example.com'));
    await clearEmails(second.url);
    await ses?.close();
    const third = await start({ dataDir });
    expect(await allEmails(third.url)).toEqual([]);
  });

  it('without a data dir, a restart starts with no mails', async () => {
    const first = await start();
    await first.client.send(email('gone@example.com'));
    await ses?.close();
    const second = await start();
    expect(await allEmails(second.url)).toEqual([]);
  });
});
