import { domainToASCII } from 'node:url';
import { ValidationError } from './errors.ts';

/**
 * The one check of an email address that Rotor will send to or from. SES does not support SMTPUTF8
 * (RFC 6531): an address must be 7-bit ASCII, a non-ASCII domain must be given in punycode, and
 * punycode is not allowed before the "@". A list such as `a@x.de;b@y.de` is not one address.
 * Every place where an address enters Rotor (admins, customer contacts, the sender setting) uses
 * this, so an address SES would refuse is refused before it is stored.
 */

/** What an address may be, in words: the end of "it must be ...". */
export const EMAIL_ADDRESS_RULE =
  'one bare address such as "ops@example.com" in 7-bit ASCII, with a non-ASCII domain written in punycode ("xn--..."), and without spaces, invisible characters, display names or separators';

/** Why an address is refused. */
export interface EmailAddressProblem {
  /** What is wrong with it, worded to follow the address: `"x@y" has no "@"`. */
  readonly problem: string;
  /** What SES answers (InvalidParameterValue) to such an address, for the local SES stand-in. */
  readonly sesMessage: string;
}

const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
/** RFC 5322 atext: what a dot-atom local part may hold besides ".". */
const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
/** Characters that do not show, or that change how text around them shows (controls, format, line breaks). */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}]|[\p{Zs}]/u;
const SEPARATORS = /[,;]/;
const SPECIALS = /[<>()[\]":\\]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: anything outside 7-bit ASCII is what it finds
const NON_ASCII = /[^\u0000-\u007f]/u;

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The address as it can be shown in one line of an error: quoted, invisible characters written as
 * U+XXXX, cut after 80 characters.
 */
export function showEmailAddress(value: string): string {
  const chars = [...value];
  const shown = chars
    .slice(0, 80)
    .map((char) => (INVISIBLE.test(char) && char !== ' ' ? `<${codePoint(char)}>` : char))
    .join('');
  return `"${shown}${chars.length > 80 ? '...' : ''}"`;
}

function invisibleProblem(char: string): string {
  if (char === ' ') return 'contains a space';
  if (/\p{Zs}/u.test(char)) return `contains the space character ${codePoint(char)}`;
  return `contains the invisible character ${codePoint(char)}`;
}

function domainProblem(domain: string): EmailAddressProblem | undefined {
  const illegal = 'Domain contains illegal character';
  if (NON_ASCII.test(domain)) {
    const ascii = domainToASCII(domain);
    return {
      problem: ascii
        ? `has the non-ASCII domain "${domain}", which SES takes only in punycode: "${ascii}"`
        : `has the non-ASCII domain "${domain}", which is not a valid domain name`,
      sesMessage: illegal,
    };
  }
  if (domain.length > MAX_DOMAIN) {
    return { problem: `has a domain longer than ${MAX_DOMAIN} characters`, sesMessage: 'Illegal address' };
  }
  const labels = domain.split('.');
  if (labels.length < 2) {
    return { problem: `has the domain "${domain}", which has no "."`, sesMessage: 'Illegal address' };
  }
  if (labels.some((label) => label === '')) {
    return {
      problem: `has the domain "${domain}", with a "." at its start or end or two in a row`,
      sesMessage: 'Illegal address',
    };
  }
  const bad = labels.find((label) => !DOMAIN_LABEL.test(label));
  if (bad !== undefined) {
    return {
      problem: `has the domain part "${bad}", but a domain part is 1 to 63 letters, digits and "-", not starting or ending with "-"`,
      sesMessage: illegal,
    };
  }
  if (/^\d+$/.test(labels.at(-1) ?? '')) {
    return { problem: `has the domain "${domain}", which ends in a number`, sesMessage: illegal };
  }
  if (domainToASCII(domain) === '') {
    return {
      problem: `has the domain "${domain}", whose punycode ("xn--") does not decode`,
      sesMessage: illegal,
    };
  }
  return undefined;
}

/**
 * Why SES would refuse (or Rotor does not take) this address, or `undefined` if it is fine.
 *
 * @example
 * emailAddressProblem('ops@example.com'); // undefined
 * emailAddressProblem('a;b@example.com')?.problem; // 'contains ";", which separates addresses: ...'
 */
export function emailAddressProblem(value: string): EmailAddressProblem | undefined {
  if (value === '') return { problem: 'is empty', sesMessage: "Missing final '@domain'" };
  const at = value.lastIndexOf('@');
  const separator = SEPARATORS.exec(value);
  if (separator) {
    return {
      problem: `contains "${separator[0]}", which separates addresses: give each address on its own`,
      sesMessage: 'Illegal address',
    };
  }
  const invisible = INVISIBLE.exec(value);
  if (invisible) {
    return {
      problem: invisibleProblem(invisible[0]),
      sesMessage:
        at >= 0 && invisible.index > at
          ? 'Domain contains control or whitespace'
          : 'Local address contains control or whitespace',
    };
  }
  const special = SPECIALS.exec(value);
  if (special) {
    return {
      problem: `contains "${special[0]}": give the bare address, without a display name, quotes or brackets`,
      sesMessage: 'Illegal address',
    };
  }
  if (value.length > MAX_ADDRESS) {
    return {
      problem: `is ${value.length} characters long; an address has at most ${MAX_ADDRESS}`,
      sesMessage: 'Illegal address',
    };
  }
  if (at < 0) return { problem: 'has no "@"', sesMessage: "Missing final '@domain'" };
  if (value.indexOf('@') !== at) return { problem: 'has more than one "@"', sesMessage: 'Illegal address' };
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local === '') return { problem: 'has nothing before the "@"', sesMessage: 'Missing local name' };
  if (domain === '') return { problem: 'has no domain after the "@"', sesMessage: 'Missing domain' };
  const nonAscii = NON_ASCII.exec(local);
  if (nonAscii) {
    return {
      problem: `has the non-ASCII character "${nonAscii[0]}" before the "@", where SES takes only 7-bit ASCII (punycode is not allowed there)`,
      sesMessage: 'Local address contains control or whitespace',
    };
  }
  if (local.length > MAX_LOCAL) {
    return {
      problem: `has ${local.length} characters before the "@"; at most ${MAX_LOCAL} are allowed`,
      sesMessage: 'Illegal address',
    };
  }
  const atoms = local.split('.');
  if (atoms.some((atom) => atom === '')) {
    return {
      problem: 'has a "." at the start or end of the part before the "@", or two in a row',
      sesMessage: 'Illegal address',
    };
  }
  const badAtom = atoms.find((atom) => !LOCAL_ATOM.test(atom));
  if (badAtom !== undefined) {
    return { problem: `has "${badAtom}" before the "@"`, sesMessage: 'Illegal address' };
  }
  return domainProblem(domain);
}

/** One sentence (without its full stop) that names the address, its problem and what is allowed. */
export function emailAddressMessage(
  value: string,
  problem: EmailAddressProblem,
  what = 'email address',
): string {
  return `${what} ${showEmailAddress(value)} ${problem.problem}; it must be ${EMAIL_ADDRESS_RULE}`;
}

/** The end of a sentence about a field or setting that holds the address: "<field> is not an address ...". */
export function emailAddressRefusal(value: string, problem: EmailAddressProblem): string {
  return `is not an address SES takes: ${showEmailAddress(value)} ${problem.problem}; it must be ${EMAIL_ADDRESS_RULE}`;
}

/** Whether Rotor takes this address. */
export function isValidEmailAddress(value: string): boolean {
  return emailAddressProblem(value) === undefined;
}

/**
 * Returns the address if Rotor takes it; else throws a ValidationError with one sentence naming the
 * address, what is wrong with it and what is allowed.
 *
 * @example
 * checkEmailAddress('ops@example.com', 'admin'); // 'ops@example.com'
 */
export function checkEmailAddress(value: string, what = 'email address'): string {
  const problem = emailAddressProblem(value);
  if (problem) throw new ValidationError(emailAddressMessage(value, problem, what));
  return value;
}
