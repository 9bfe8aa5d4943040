import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_LIMITS } from '../../lambda/contract/console.ts';
import { ConsoleClient } from '../../local/console/client.ts';
import { allEmails } from '../../local/observe.ts';
import { enroll, startTestSystem, type TestSystem } from '../support/localSystem.ts';

/** Sign-in requests are limited per address and per client IP (this file's own system counts them). */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.close();
});

describe('Console: sign-in limits', () => {
  it('sends an address at most 5 links a quarter hour, answering as always; past 30 requests from one IP it says to wait', async () => {
    // Prepare
    const app = await enroll(system);
    const email = `en-admin@${app.appId}.example`;
    const client = new ConsoleClient(system.console.url, { acceptLanguage: 'en' });

    // Act: more requests for one address than its limit, then for other addresses up to the IP's limit
    // Each from the sign-in page, as a browser sends it.
    const ask = async (address: string) => {
      await client.get('/sign-in');
      return client.post('/sign-in', { email: address });
    };
    const forAddress = [];
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress + 2; i += 1) forAddress.push(await ask(email));
    const others = [];
    for (let i = forAddress.length; i < SIGN_IN_LIMITS.perClientIp + 1; i += 1) {
      others.push(await ask(`someone-${i}@elsewhere.example`));
    }

    // Assess: the same page each time for the address, but only 5 emails; then the IP is told to wait
    const distinct = [...new Set(forAddress.map((page) => `${page.status} ${page.html}`))];
    expect(distinct.length).toBe(1);
    expect(forAddress[0]?.status).toBe(200);
    const sent = (await allEmails(system.endpoints.ses)).filter((mail) => mail.to === email);
    expect(sent).toHaveLength(SIGN_IN_LIMITS.perAddress);
    expect(others.at(-2)?.status).toBe(200);
    expect(others.at(-1)?.status).toBe(429);
    expect(others.at(-1)?.html).toContain('Too many sign-in requests from this network');
    const audit = await system.registry.audit.listAuditDay(new Date().toISOString().slice(0, 10));
    expect(audit.filter((event) => event.actor === email).map((event) => event.outcome)).toEqual([
      ...Array(SIGN_IN_LIMITS.perAddress).fill('succeeded'),
      'refused',
      'refused',
    ]);
  });
});
