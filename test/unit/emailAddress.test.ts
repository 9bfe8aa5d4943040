import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEmailAddress,
  EMAIL_ADDRESS_RULE,
  emailAddressProblem,
  isValidEmailAddress,
} from '../../lambda/contract/emailAddress.ts';
import { enrollManagedApp } from '../../lambda/domain/enrollApp.ts';

const atext = fc.constantFrom(..."abcxyzABC0189!#$%&'*+/=?^_`{|}~-".split(''));
const atom = fc.string({ unit: atext, minLength: 1, maxLength: 10 });
const label = fc
  .string({ unit: fc.constantFrom(...'abcz09-'.split('')), minLength: 1, maxLength: 12 })
  .filter((text) => !text.startsWith('-') && !text.endsWith('-'));
const tld = fc.string({ unit: fc.constantFrom(...'abcdez'.split('')), minLength: 2, maxLength: 6 });
/** Addresses SES sends to: dot-atom ASCII local part, ASCII domain labels. */
const goodAddress = fc
  .tuple(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 1, maxLength: 3 }), tld)
  .map(([atoms, labels, top]) => `${atoms.join('.')}@${[...labels, top].join('.')}`);

describe('Function: emailAddressProblem', () => {
  it('takes plain ASCII addresses, and IDN domains in their punycode form', () => {
    for (const address of [
      'ops@example.com',
      'first.last+tag@sub.example.co.uk',
      "o'brien@example.com",
      'admin@xn--bcher-kva.example',
      'a@b.cd',
    ]) {
      expect(emailAddressProblem(address), address).toBeUndefined();
    }
    fc.assert(fc.property(goodAddress, (address) => isValidEmailAddress(address)));
  });

  it('refuses what SES refuses, with the problem named', () => {
    const cases: [string, RegExp, string][] = [
      [
        'ädmin@bücher.example',
        /non-ASCII character "ä" before the "@"/,
        'Local address contains control or whitespace',
      ],
      [
        'admin@bücher.example',
        /non-ASCII domain "bücher.example", which SES takes only in punycode: "xn--bcher-kva.example"/,
        'Domain contains illegal character',
      ],
      [
        'ad\u200Bmin@example.com',
        /invisible character U\+200B/,
        'Local address contains control or whitespace',
      ],
      ['admin@exam\u202Eple.com', /invisible character U\+202E/, 'Domain contains control or whitespace'],
      ['admin@example.com\n', /invisible character U\+000A/, 'Domain contains control or whitespace'],
      ['a;b@c.example', /contains ";", which separates addresses/, 'Illegal address'],
      ['a@c.example, b@c.example', /contains ",", which separates addresses/, 'Illegal address'],
      ['a@c.example,b@c.example', /contains ","/, 'Illegal address'],
      ['Ops <ops@example.com>', /contains a space/, 'Local address contains control or whitespace'],
      ['<ops@example.com>', /contains "<": give the bare address/, 'Illegal address'],
      ['ops.example.com', /has no "@"/, "Missing final '@domain'"],
      ['@example.com', /nothing before the "@"/, 'Missing local name'],
      ['ops@', /no domain after the "@"/, 'Missing domain'],
      ['a@b@example.com', /more than one "@"/, 'Illegal address'],
      ['.ops@example.com', /a "\." at the start or end/, 'Illegal address'],
      ['ops@localhost', /has no "\."/, 'Illegal address'],
      ['ops@example..com', /two in a row/, 'Illegal address'],
      ['ops@-example.com', /domain part "-example"/, 'Domain contains illegal character'],
      ['ops@exa_mple.com', /domain part "exa_mple"/, 'Domain contains illegal character'],
      ['ops@10.0.0.1', /ends in a number/, 'Domain contains illegal character'],
      ['ops@xn--zz.example', /punycode \("xn--"\) does not decode/, 'Domain contains illegal character'],
      [`${'a'.repeat(65)}@example.com`, /65 characters before the "@"/, 'Illegal address'],
      [
        `a@${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.com`,
        /characters long/,
        'Illegal address',
      ],
      ['', /is empty/, "Missing final '@domain'"],
    ];
    for (const [address, problem, sesMessage] of cases) {
      const refused = emailAddressProblem(address);
      expect(refused?.problem, address).toMatch(problem);
      expect(refused?.sesMessage, address).toBe(sesMessage);
    }
  });

  it('lets no address with a character outside 7-bit ASCII pass', () => {
    const nonAscii = fc
      .integer({ min: 0x80, max: 0x10ffff })
      .filter((code) => code < 0xd800 || code > 0xdfff)
      .map((code) => String.fromCodePoint(code));
    fc.assert(
      fc.property(goodAddress, nonAscii, fc.nat(), (address, char, at) => {
        const position = at % (address.length + 1);
        const mixed = address.slice(0, position) + char + address.slice(position);
        return emailAddressProblem(mixed) !== undefined;
      }),
      { numRuns: 2000 },
    );
  });

  it('lets no address with a control character, space, separator or second "@" pass', () => {
    const bad = fc.constantFrom(
      ...Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)),
      '\u007f',
      ' ',
      ',',
      ';',
      '<',
      '>',
      '"',
      '@',
      '\\',
    );
    fc.assert(
      fc.property(goodAddress, bad, fc.nat(), (address, char, at) => {
        const position = at % (address.length + 1);
        return emailAddressProblem(address.slice(0, position) + char + address.slice(position)) !== undefined;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Function: checkEmailAddress', () => {
  it('throws one sentence that names the address, shows invisible characters and says what is allowed', () => {
    expect(() => checkEmailAddress('ad\u200Bmin@example.com', 'admin email address')).toThrowError(
      `admin email address "ad<U+200B>min@example.com" contains the invisible character U+200B; it must be ${EMAIL_ADDRESS_RULE}`,
    );
    expect(() => checkEmailAddress('ops@example.com')).not.toThrow();
    try {
      checkEmailAddress('a\nb@example.com');
    } catch (error) {
      expect((error as Error).name).toBe('ValidationError');
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('Function: enrollManagedApp (addresses)', () => {
  it('refuses an admin or customer address SES would refuse before it looks anything up or stores anything', async () => {
    // Prepare: dependencies that fail the test if they are touched.
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('enrollment touched a dependency');
        },
      },
    );
    const deps = {
      secretsManager: untouchable,
      registry: untouchable,
      tokenPrefix: 'rtr_',
      secretNamePrefix: 'rotor/',
      rotationFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:hook',
      clock: () => new Date(),
    } as unknown as Parameters<typeof enrollManagedApp>[1];
    const input = {
      appId: 'billing-api',
      secret: 'rotor/billing-api',
      admins: [{ email: 'ops@example.com' }],
      locale: 'de' as const,
      timeZone: 'Europe/Berlin',
      intervalSeconds: 180 * 86_400,
      graceSeconds: 7 * 86_400,
      reminderRepeatSeconds: 30 * 86_400,
      policy: 'remind' as const,
      defaultMode: 'expire-later' as const,
    };

    // Act + Assess
    await expect(
      enrollManagedApp({ ...input, admins: [{ email: 'ädmin@bücher.example' }] }, deps),
    ).rejects.toThrowError(/^admin email address "ädmin@bücher\.example" has the non-ASCII character "ä"/);
    await expect(enrollManagedApp({ ...input, customers: ['a;b@c.example'] }, deps)).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^customer email address "a;b@c\.example" contains ";"/),
    });
  });
});
