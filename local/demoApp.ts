/** The app local mode's demo and scenarios (and the tests) register: no imports, cheap to load. */

/**
 * The settings a deployment with cdk.json's defaults gives a new app (German, Europe/Berlin, due
 * after 180 days, 7 days of grace, a reminder every 30 days): the demo's and the tests' apps.
 */
export const APP_DEFAULTS = {
  locale: 'de',
  timeZone: 'Europe/Berlin',
  intervalSeconds: 180 * 86_400,
  graceSeconds: 7 * 86_400,
  reminderRepeatSeconds: 30 * 86_400,
  policy: 'remind',
  defaultMode: 'expire-later',
} as const;

/** The demo app's admins: one reads German, one English. */
export const DEMO_ADMINS = [
  { email: 'anna@demo.example', locale: 'de' as const },
  { email: 'ben@demo.example', locale: 'en' as const },
];
