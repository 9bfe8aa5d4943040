/**
 * The Rotor Console: the web page where an app's admins, signed in by an emailed link, see their apps
 * and act on them. Shared by the console's handler, the emails' buttons, the stack and local mode.
 */

/** The console API's stage: its URLs are `<api>/console/...`. */
export const CONSOLE_STAGE = 'console';

/** A sign-in link works once, for 15 minutes. */
export const SIGN_IN_LINK_SECONDS = 15 * 60;
/** A console session ends 12 hours after sign-in, or at sign-out. */
export const SESSION_SECONDS = 12 * 3600;
/** An email's button works once, until its rotation step ends, and never longer than 72 hours. */
export const ACTION_LINK_MAX_SECONDS = 72 * 3600;

/**
 * Sign-in requests per address and per client IP within a quarter of an hour. Past the address's limit
 * the page answers as always and sends nothing; past the IP's it says to wait.
 */
export const SIGN_IN_LIMITS = { perAddress: 5, perClientIp: 30, windowSeconds: 15 * 60 } as const;

/** The session cookie and the CSRF cookie (HttpOnly, Secure, SameSite=Strict). */
export const SESSION_COOKIE = 'rotor_session';
export const CSRF_COOKIE = 'rotor_csrf';

/** What an email's button asks for: each opens a confirm page, and only its POST acts. */
export const LINK_ACTIONS = ['expire-now', 'cancel', 'submit', 'rotate'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

/** An admin's actions in the console are audited as `<address> (console)`. */
export function consoleActor(email: string): string {
  return `${email} (console)`;
}

/** The URL of an email button's confirm page. */
export function actionLinkUrl(consoleUrl: string, token: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/link/${token}`;
}

/** The URL of an app's page in the console. */
export function appPageUrl(consoleUrl: string, appId: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/apps/${encodeURIComponent(appId)}`;
}
