/**
 * Where Rotor reaches HubSpot and what an app may name as HubSpot's API: the rules the stack's
 * settings, the operator API and the CLI check alike. The client that calls HubSpot is
 * `lambda/integrations/hubspot.ts`.
 */

/** HubSpot's API, unless an app or the deployment names another (tests and local mode: a local fake). */
export const DEFAULT_HUBSPOT_API_URL = 'https://api.hubapi.com';
/** The one HubSpot endpoint Rotor calls: what a private-app token or service key is. */
export const ACCESS_TOKEN_INFO_PATH = '/oauth/v2/private-apps/get/access-token-info';

/** HubSpot keeps the old token of "Rotate and expire later" for 7 days; Rotor's grace period mirrors it. */
export const HUBSPOT_GRACE_SECONDS = 7 * 86_400;

/** What an API URL may be: https, or http on this machine (a local fake). */
export function isAllowedHubSpotApiUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password || parsed.search || parsed.hash) return false;
    if (parsed.protocol === 'https:') return true;
    return parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  } catch {
    return false;
  }
}
