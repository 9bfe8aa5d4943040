import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsTokenLikeText } from '../../lambda/contract/tokenFormat.ts';
import {
  hashesEqual,
  hashToken,
  isWellFormedToken,
  mintToken,
  parseSecret,
  serializeSecret,
} from '../../lambda/domain/tokens.ts';
import { withLastCharacterChanged } from '../support/mutate.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('Function: mintToken', () => {
  it('mints prefixed tokens that secret scanners can match', () => {
    // Act
    const token = mintToken('rtr_');

    // Assess
    expect(token).toMatch(/^rtr_[0-9A-Za-z]{49}$/);
    expect(isWellFormedToken(token, 'rtr_')).toBe(true);
  });

  it('uses the configured prefix', () => {
    const token = mintToken('acme_');
    expect(token.startsWith('acme_')).toBe(true);
    expect(isWellFormedToken(token, 'acme_')).toBe(true);
    expect(isWellFormedToken(token, 'rtr_')).toBe(false);
  });

  it('never repeats a token and spreads its randomness over the whole body', () => {
    // Prepare
    const tokens = Array.from({ length: 2000 }, () => mintToken());
    const firstBodyChars = new Set(tokens.map((token) => token[4]));
    const lastBodyChars = new Set(tokens.map((token) => token[46]));

    // Assess
    expect(new Set(tokens).size).toBe(tokens.length);
    // 43 base62 characters carry 256 bits; the first one is the high digit (0-4), the rest are uniform.
    expect(firstBodyChars.size).toBeGreaterThan(3);
    expect(lastBodyChars.size).toBeGreaterThan(55);
  });
});

describe('Function: isWellFormedToken', () => {
  it('refuses any token with one character changed, without a lookup', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 52 }), fc.constantFrom(...BASE62), (position, replacement) => {
        const token = mintToken();
        fc.pre(token[position] !== replacement);
        const typo = token.slice(0, position) + replacement + token.slice(position + 1);
        return !isWellFormedToken(typo);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses the near-miss the tests build by changing the last character, also of a token ending in x', () => {
    // Prepare: a token that ends in "x" (1 in 62 do), the case a fixed replacement "x" gets wrong.
    let token = mintToken();
    for (let tries = 0; !token.endsWith('x') && tries < 20_000; tries += 1) token = mintToken();
    expect(token.endsWith('x')).toBe(true);

    // Act
    const typo = withLastCharacterChanged(token);

    // Assess
    expect(typo).not.toBe(token);
    expect(typo).toHaveLength(token.length);
    expect(isWellFormedToken(typo)).toBe(false);
  });

  it('refuses strings of the wrong shape', () => {
    const token = mintToken();
    for (const bad of [
      '',
      'rtr_',
      token.slice(0, -1),
      `${token}0`,
      token.replace('rtr_', 'RTR_'),
      `${token.slice(0, 10)}-${token.slice(11)}`,
    ]) {
      expect(isWellFormedToken(bad)).toBe(false);
    }
  });

  it('refuses arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => !isWellFormedToken(text)));
  });
});

describe('Function: containsTokenLikeText', () => {
  it('finds a token of any prefix, or a HubSpot token, anywhere in a text, and lets ordinary reasons pass', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        fc.constantFrom('rtr_', 'acme_', 'x9_'),
        (before, after, prefix) => containsTokenLikeText(`${before}${mintToken(prefix)}${after}`),
      ),
      { numRuns: 500 },
    );
    expect(containsTokenLikeText('old: pat-eu1-1a2b3c4d-0000-4000-8000-000000000000')).toBe(true);
    for (const reason of ['quarterly rotation', 'token leaked', 'after incident #42', 'rtr_ prefix change']) {
      expect(containsTokenLikeText(reason)).toBe(false);
    }
  });
});

describe('Function: hashToken', () => {
  it('gives a 64-character SHA-256 hex digest that differs per token', () => {
    const a = mintToken();
    const b = mintToken();
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(a)).toBe(hashToken(a));
    expect(hashToken(a)).not.toBe(hashToken(b));
    expect(hashesEqual(hashToken(a), hashToken(a))).toBe(true);
    expect(hashesEqual(hashToken(a), hashToken(b))).toBe(false);
    expect(hashesEqual('', '')).toBe(false);
  });
});

describe('Function: parseSecret', () => {
  it('reads what serializeSecret wrote', () => {
    const token = mintToken();
    expect(parseSecret(serializeSecret({ token, issuedAt: '2026-11-28T10:00:00.000Z' }))).toEqual({
      token,
      issuedAt: '2026-11-28T10:00:00.000Z',
    });
  });

  it('says what is wrong with a malformed value without repeating it', () => {
    const leaked = 'pat-na1-this-must-not-appear';
    expect(() => parseSecret(leaked)).toThrow(/not JSON/);
    expect(() => parseSecret(JSON.stringify({ value: leaked }))).toThrow(/no "token"/);
    for (const value of [leaked, JSON.stringify({ value: leaked })]) {
      try {
        parseSecret(value);
      } catch (error) {
        expect((error as Error).message).not.toContain(leaked);
      }
    }
  });
});
