/**
 * What a token looks like, as far as the CLI and the stack's settings need to know: the prefix rules,
 * and the check that keeps tokens out of free text. Minting, checksums and hashing stay with the
 * Lambdas (`lambda/domain/tokens.ts`).
 */

/** The prefix that makes Rotor's tokens recognisable, unless the deployment picks another. */
export const DEFAULT_TOKEN_PREFIX = 'rtr_';
/** What a token prefix may look like: a short lowercase word ending in an underscore. */
export const TOKEN_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,9}_$/;

/**
 * Whether a free text (a rotation's reason) holds something shaped like a token: a Rotor token of any
 * prefix (the prefix, then 49 base62 characters) or a HubSpot private-app token or service key
 * (`pat-` and its region). Such texts are refused, since reasons go into emails, history and the audit.
 */
export function containsTokenLikeText(text: string): boolean {
  return /[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{40,}/.test(text) || /pat-[a-z]{2,3}\d?-[0-9a-f]{8}/i.test(text);
}
