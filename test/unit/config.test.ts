import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../lambda/contract/duration.ts';
import { EMAIL_ADDRESS_RULE } from '../../lambda/contract/emailAddress.ts';
import { parseRotorConfig, rotorConfigFromContext } from '../../lib/config.ts';

const minimal = { region: 'eu-central-1', senderAddress: 'rotor@example.com' };

describe('Function: parseRotorConfig', () => {
  it('fills in the documented defaults', () => {
    expect(parseRotorConfig(minimal)).toEqual({
      ...minimal,
      stackName: 'Rotor',
      defaultAdmins: [],
      timeZone: 'Europe/Berlin',
      sweepTime: '06:00',
      intervalSeconds: 180 * 86_400,
      graceSeconds: 7 * 86_400,
      reminderRepeatSeconds: 30 * 86_400,
      locale: 'de',
      tokenPrefix: 'rtr_',
      secretNamePrefix: 'rotor/',
      hubspotApiUrl: 'https://api.hubapi.com',
      eventBusName: 'default',
      sesSendRate: 14,
      sweepBatchSize: 500,
    });
  });

  it.each([
    [{ grace: '40d' }, 'Rotor setting "grace" must be a duration from 1h to 30d, such as "7d" (got "40d")'],
    [{ grace: '30m' }, 'Rotor setting "grace" must be a duration from 1h to 30d, such as "7d" (got "30m")'],
    [
      { interval: 'half a year' },
      'Rotor setting "interval" must be a duration from 1d to 3650d, such as "180d" (got "half a year")',
    ],
    [
      { reminderRepeat: '0d' },
      'Rotor setting "reminderRepeat" must be a duration from 1d to 365d, such as "30d" (got "0d")',
    ],
    [
      { eventBusName: 'my bus' },
      'Rotor setting "eventBusName" must be the name of an event bus in the account, such as "default" (got "my bus")',
    ],
    [
      { timeZone: 'Mars/Olympus' },
      'Rotor setting "timeZone" must be an IANA time zone such as "Europe/Berlin" (got "Mars/Olympus")',
    ],
    [
      { sweepTime: '25:00' },
      'Rotor setting "sweepTime" must be a time of day as HH:MM, such as "06:00" (got "25:00")',
    ],
    [{ locale: 'fr' }, 'Rotor setting "locale" must be one of de, en (got "fr")'],
    [
      { senderAddress: 'rotor' },
      `Rotor setting "senderAddress" is not an address SES takes: "rotor" has no "@"; it must be ${EMAIL_ADDRESS_RULE} (got "rotor")`,
    ],
    [
      { senderAddress: 'rotor@bücher.example' },
      `Rotor setting "senderAddress" is not an address SES takes: "rotor@bücher.example" has the non-ASCII domain "bücher.example", which SES takes only in punycode: "xn--bcher-kva.example"; it must be ${EMAIL_ADDRESS_RULE} (got "rotor@bücher.example")`,
    ],
    [
      { defaultAdmins: ['ok@example.com', 'nope'] },
      `Rotor setting "defaultAdmins.1" is not an address SES takes: "nope" has no "@"; it must be ${EMAIL_ADDRESS_RULE} (got ["ok@example.com","nope"])`,
    ],
    [
      { defaultAdmins: ['a@example.com;b@example.com'] },
      `Rotor setting "defaultAdmins.0" is not an address SES takes: "a@example.com;b@example.com" contains ";", which separates addresses: give each address on its own; it must be ${EMAIL_ADDRESS_RULE} (got ["a@example.com;b@example.com"])`,
    ],
    [
      { tokenPrefix: 'RTR-' },
      'Rotor setting "tokenPrefix" must be 2-10 lowercase letters or digits ending in "_", such as "rtr_" (got "RTR-")',
    ],
    [
      { secretNamePrefix: '' },
      'Rotor setting "secretNamePrefix" must be a secret name prefix ending in "/", such as "rotor/" (got "")',
    ],
    [
      { region: 'Frankfurt' },
      'Rotor setting "region" must be an AWS region such as "eu-central-1" (got "Frankfurt")',
    ],
    [
      { hubspotApiUrl: 'http://hubspot.example' },
      'Rotor setting "hubspotApiUrl" must be an https:// URL such as "https://api.hubapi.com" (got "http://hubspot.example")',
    ],
    [
      { graceDays: 7 },
      'Rotor setting "graceDays" is not known; allowed keys: stackName, region, account, senderAddress, defaultAdmins, timeZone, sweepTime, interval, grace, reminderRepeat, locale, tokenPrefix, secretNamePrefix, hubspotApiUrl',
    ],
  ])('refuses %j with one line naming the key and what is allowed', (bad, message) => {
    expect(() => parseRotorConfig({ ...minimal, ...bad })).toThrow(message);
    try {
      parseRotorConfig({ ...minimal, ...bad });
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).name).toBe('ConfigurationError');
    }
  });

  it('names a missing required setting', () => {
    expect(() => parseRotorConfig({ region: 'eu-central-1' })).toThrow(
      'Rotor setting "senderAddress" must be set to the verified SES sender address (it is missing)',
    );
  });
});

describe('Function: rotorConfigFromContext', () => {
  it('lets -c rotor.<key>=value override the cdk.json object', () => {
    const context: Record<string, unknown> = {
      rotor: { ...minimal, grace: '7d' },
      'rotor.grace': '3d',
      'rotor.defaultAdmins': 'a@example.com,b@example.com',
    };
    const config = rotorConfigFromContext((key) => context[key]);
    expect(config.graceSeconds).toBe(3 * 86_400);
    expect(config.defaultAdmins).toEqual(['a@example.com', 'b@example.com']);
  });
});

describe('Function: parseDuration', () => {
  it('reads seconds, minutes, hours and days and round-trips through formatDuration', () => {
    expect(parseDuration('45s')).toBe(45);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('36h')).toBe(129_600);
    expect(parseDuration('7d')).toBe(604_800);
    for (const text of ['45s', '90m', '36h', '7d', '180d'])
      expect(formatDuration(parseDuration(text) as number)).toBe(text);
    for (const bad of ['', '7', 'd', '-1d', '1.5d', '7 days', '1w'])
      expect(parseDuration(bad)).toBeUndefined();
  });
});
