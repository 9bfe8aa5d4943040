import { ageInDays, daysUntilDue, noticeLeftSeconds } from '../emailWords.ts';
import { hubspotAuthPage, type LocaleCopy, scopeChanges, type UsageCopy, usageBlocks } from './localeCopy.ts';

/** What the old token's use in the last 24 hours means, in English. */
const ENGLISH_USAGE: UsageCopy = {
  unused: 'The old token was not used in the last 24 hours. Its expiry should not break anything.',
  used: (times, last) =>
    `The old token was still used ${times} in the last 24 hours${last ? `, last on ${last}` : ''}. ` +
    'Those callers will fail once it expires: switch them to the new token, or cancel the rotation.',
};

/** Every email's words in English. */
export const ENGLISH: LocaleCopy = {
  intl: 'en-US',
  units: {
    day: ['day', 'days', 'days'],
    hour: ['hour', 'hours', 'hours'],
    minute: ['minute', 'minutes', 'minutes'],
    second: ['second', 'seconds', 'seconds'],
  },
  times: (count, formatted) => (count === 1 ? 'once' : `${formatted} times`),
  modes: {
    'expire-now': 'Rotate and expire now',
    'expire-later': 'Rotate and expire later',
  },
  graceOf: (duration) => `grace period ${duration}`,
  triggers: {
    operator: 'Operator (rotor CLI)',
    schedule: 'Schedule (daily check)',
    'secrets-manager': 'Secrets Manager (rotate-secret or console)',
  },
  customerTriggers: {
    operator: "The app's admins",
    schedule: 'Automatic (schedule)',
    'secrets-manager': 'Automatic (Secrets Manager)',
  },
  dailyCheck: 'Rotor (daily check)',
  labels: {
    app: 'App',
    rotation: 'Rotation',
    mode: 'Mode',
    startedBy: 'Started by',
    reason: 'Reason',
    occurredAt: 'When',
    expiresAt: 'Old token valid until',
    expiredAt: 'Old token expired',
    usage: 'Old token use (last 24 h)',
    tokenIssuedAt: 'Token issued',
    tokenAge: 'Token age',
    interval: 'Rotation interval',
    dueAt: 'Due on',
    step: 'Failed step',
    failure: 'Error',
    hubId: 'HubSpot portal (hub id)',
    handoffDeadline: 'Rotor waits until',
    scopesAdded: 'Scopes added',
    scopesRemoved: 'Scopes removed',
    details: 'Details',
    nextSteps: 'What you can do next',
    forYou: 'What this means for you',
    important: 'Important',
  },
  usageValue: (calls, last) => (last ? `${calls}, last on ${last}` : calls),
  noUsage: 'none',
  contactAdmins: (app) => `Questions? Contact the admins of ${app}.`,
  footer: (app) => `Sent by Rotor for ${app}. Rotor never puts token values in emails.`,
  buttons: {
    'expire-now': 'Expire old token now',
    cancel: 'Cancel rotation',
    submit: 'Hand over the new token',
    rotate: 'Rotate now',
    open: 'Open in Rotor',
  },
  events: {
    ROTATION_INITIATED: {
      subject: () => 'A token rotation was initiated',
      summary: (c, w) => [
        `A new token is now current for ${w.app}. ` +
          (c.expiresAt
            ? `The old token stays valid ${c.graceSeconds ? `for ${w.duration(c.graceSeconds)}, ` : ''}until ${w.time(c.expiresAt)}.`
            : 'The old token stays valid until the grace period ends.'),
      ],
      admin: () => [
        'Switch every service to the new token before then. ' +
          'Services that read the token from Secrets Manager get the new one on their next read.',
      ],
      customer: (c, w) => [
        `If your systems use this token, switch to the new one${c.expiresAt ? ` before ${w.time(c.expiresAt)}` : ''}. ` +
          `Rotor never sends tokens by email: ask the admins of ${w.app} for it.`,
      ],
      actions: {
        'expire-now': 'Once every service uses the new token, revoke the old one now:',
        cancel:
          'If something breaks, cancel the rotation (the old token becomes current again, the new one is revoked):',
      },
      hubspot: (c, w) => [
        `HubSpot checked the new token (portal ${c.hubId ?? '?'}). Scopes compared with the old token: ` +
          scopeChanges(c, 'unchanged.', 'added', 'removed'),
        'HubSpot expires the old token itself after 7 days; at the end of the grace period Rotor checks that HubSpot refuses it.',
        `If you click "Expire now" or "Cancel rotation" in HubSpot (${hubspotAuthPage(w.app)}), run the matching rotor command too.`,
      ],
    },
    ROTATION_CANCELLED: {
      subject: () => 'A pending rotation was cancelled',
      summary: (_c, w) => [
        `The pending rotation of ${w.app} was cancelled and rolled back. ` +
          'The old token is current again and stays valid; the new token was revoked.',
      ],
      admin: () => [
        'Services that already switched to the new token must read the token from Secrets Manager again.',
      ],
      customer: () => [
        'The token you had before keeps working. If you already switched to the new one, switch back; ' +
          'otherwise there is nothing to do.',
      ],
      actions: { 'rotate-later': 'Start a new rotation when you are ready:' },
      hubspot: (c, w) =>
        c.hubspotCheck?.verdict === 'refused'
          ? ['HubSpot already refuses the new token: the rotation is cancelled in HubSpot too.']
          : [
              {
                warn:
                  (c.hubspotCheck?.verdict === 'accepted'
                    ? 'HubSpot still accepts the new token. '
                    : 'Rotor could not reach HubSpot. ') +
                  `In HubSpot, go to ${hubspotAuthPage(w.app)} and click "Cancel rotation"` +
                  `${c.expiresAt ? ` before ${w.time(c.expiresAt)}` : ''}: otherwise HubSpot expires the old token, which is current again.`,
              },
            ],
    },
    TOKEN_INVALIDATED: {
      subject: () => 'A token was invalidated immediately',
      summary: (c, w) => [
        `The old token of ${w.app} was invalidated on ${w.time(c.occurredAt)} and no longer works. ` +
          'The new token is current.',
      ],
      admin: () => [
        {
          warn:
            'Services still using the old token now get errors (e.g. HTTP 401). ' +
            'Make sure every service reads the new token from Secrets Manager.',
        },
      ],
      customer: (_c, w) => [
        'If your calls have failed with 401 Unauthorized since then, switch to the new token. ' +
          `Ask the admins of ${w.app} for it; Rotor never sends tokens by email.`,
      ],
      actions: {
        show: 'Check that your services use the new token:',
        history: 'See what happened and who started it:',
      },
      hubspot: (c, w) =>
        c.hubspotCheck?.verdict === 'refused'
          ? ['HubSpot refuses the old token too.']
          : [
              {
                warn:
                  (c.hubspotCheck?.verdict === 'accepted'
                    ? 'HubSpot still accepts the old token: Rotor no longer hands it out, but only HubSpot can revoke it. '
                    : 'Rotor could not ask HubSpot whether the old token still works. ') +
                  `In HubSpot, go to ${hubspotAuthPage(w.app)} and click "Expire now" next to the old token.`,
              },
            ],
    },
    TOKEN_EXPIRES_IN_24H: {
      subject: (c, w) => `The old token expires in ${w.timeLeft(noticeLeftSeconds(c))}`,
      summary: (c, w) => [
        `The old token of ${w.app} expires ${c.expiresAt ? `on ${w.time(c.expiresAt)}` : `in ${w.timeLeft(noticeLeftSeconds(c))}`}. ` +
          'After that, only the new token works.',
      ],
      admin: (c, w) => usageBlocks(c, w, ENGLISH_USAGE),
      customer: (c, w) => [
        `If your systems still use the old token, switch to the new one ${c.expiresAt ? `before ${w.time(c.expiresAt)}` : 'before then'}. ` +
          `Ask the admins of ${w.app} for it.`,
      ],
      actions: {
        'expire-now': 'If every service uses the new token, expire the old one now:',
        cancel:
          'If services cannot switch in time, cancel the rotation (the old token becomes current again):',
        show: "See the app's state and its tokens:",
      },
    },
    ROTATION_COMPLETED: {
      subject: (c, w) =>
        c.graceSeconds
          ? `Token rotated; the old one expired after ${w.duration(c.graceSeconds)}`
          : 'Token rotated; the old one has expired',
      summary: (c, w) => [
        `The rotation of ${w.app} is complete: the old token expired` +
          `${c.expiresAt ? ` on ${w.time(c.expiresAt)}` : ''}` +
          `${c.graceSeconds ? `, after a grace period of ${w.duration(c.graceSeconds)}` : ''}. ` +
          'Only the new token works now.',
      ],
      admin: () => ['There is nothing more to do.'],
      customer: (_c, w) => [
        'If you already use the new token, there is nothing to do. If your calls fail with 401 Unauthorized, ' +
          `switch to the new token; ask the admins of ${w.app} for it.`,
      ],
      actions: { history: 'See this and earlier rotations:' },
      hubspot: () => ['Rotor checked: HubSpot refuses the old token.'],
    },
    ROTATION_REMINDER: {
      subject: (c, w) =>
        c.intervalSeconds
          ? `Token not rotated in over ${w.duration(c.intervalSeconds)}`
          : 'Token rotation is due',
      summary: (c, w) => [
        `The token of ${w.app} ` +
          (c.tokenIssuedAt
            ? `was issued on ${w.time(c.tokenIssuedAt)} and is now ${w.days(ageInDays(c))} old, longer than`
            : 'is older than') +
          ` the app's rotation interval${c.intervalSeconds ? ` (${w.duration(c.intervalSeconds)})` : ''}.`,
      ],
      admin: () => [
        'Rotate it when convenient. "Expire later" keeps the old token valid for the grace period so that services ' +
          'can switch; "expire now" invalidates it at once. Until then, Rotor keeps reminding you.',
      ],
      customer: () => ['There is nothing to do now. You will be told when the token is replaced.'],
      actions: {
        'rotate-later': 'Rotate, keeping the old token valid for the grace period (recommended):',
        'rotate-now': 'Rotate and invalidate the old token at once:',
      },
    },
    ROTATION_DUE_SOON: {
      subject: (c, w) => `Token rotation due in ${w.duration(daysUntilDue(c) * 86_400)}`,
      summary: (c, w) => [
        `The token of ${w.app} ` +
          (c.tokenIssuedAt ? `was issued on ${w.time(c.tokenIssuedAt)} and ` : '') +
          `reaches the app's rotation interval${c.intervalSeconds ? ` (${w.duration(c.intervalSeconds)})` : ''} ` +
          `${c.dueAt ? `on ${w.time(c.dueAt)}` : `in ${w.duration(daysUntilDue(c) * 86_400)}`}: its rotation is due then.`,
      ],
      admin: (c, w) =>
        c.policy === 'auto'
          ? [
              'On that day Rotor starts an "expire later" rotation by itself: the new token becomes current, ' +
                `the old one stays valid ${c.graceSeconds ? `for ${w.duration(c.graceSeconds)}` : 'for the grace period'}, ` +
                'and you get an email at every step. If an earlier time suits you better, rotate before then.',
            ]
          : [
              'Please rotate the token before then. "Expire later" keeps the old token valid for the grace period so that ' +
                'services can switch. If it is not rotated by the due date, Rotor keeps reminding you.',
            ],
      customer: () => ['There is nothing to do now. You will be told when the token is replaced.'],
      actions: {
        'rotate-later': 'Rotate now, keeping the old token valid for the grace period (recommended):',
        'rotate-now': 'Rotate and invalidate the old token at once:',
      },
      hubspot: (c, w) => [
        `A HubSpot app is rotated in HubSpot (${hubspotAuthPage(w.app)} > Rotate), and the new token handed over to Rotor` +
          (c.policy === 'auto'
            ? '; on the due date Rotor asks you for it by email.'
            : '; a rotation started with the command below emails you the steps.'),
      ],
    },
    ROTATION_FAILED: {
      subject: () => 'Token rotation failed; the old token still works',
      summary: (c, w) => [
        `The rotation of ${w.app} failed at step ${c.failedStep ?? 'unknown'}: ` +
          `${c.failure ?? 'no error message recorded'}`,
        'The old token still works and is unchanged. Rotor discarded the unfinished new token; ' +
          'a new rotation can start.',
      ],
      admin: () => ['Fix the cause, then try again.'],
      customer: () => ['The token you use still works. There is nothing to do.'],
      actions: {
        history: 'See the failed rotation and its error:',
        'rotate-later': 'Try again once the cause is fixed:',
      },
    },
    HANDOFF_REQUESTED: {
      subject: () => 'Please rotate the HubSpot token and hand it to Rotor',
      summary: (c, w) => [
        `A rotation of ${w.app} has started. HubSpot has no API to rotate tokens: you create the new token in ` +
          `HubSpot and hand it over to Rotor. Rotor waits ${c.handoffDeadline ? `until ${w.time(c.handoffDeadline)}` : 'for it'} ` +
          'and reminds you every day; until then the old token stays current, unchanged.',
      ],
      admin: (_c, w) => [
        `1. In HubSpot: ${hubspotAuthPage(w.app)} > Rotate > "Rotate and expire later". ` +
          'For a service key: its page under Development > Keys > Service keys.',
        '2. Copy the new token and hand it over with the command below (through standard input, never as an argument).',
        '3. Rotor checks it with HubSpot (portal, scopes) and makes it current in Secrets Manager; the old one works for 7 more days.',
      ],
      customer: () => ['There is nothing to do now.'],
      actions: {
        submit: 'Hand over the new token (e.g. from the clipboard or a file):',
        show: 'See where the rotation stands:',
      },
    },
    HANDOFF_REMINDER: {
      subject: () => 'Reminder: the new HubSpot token is still missing',
      summary: (c, w) => [
        `The rotation of ${w.app} still waits for the new token from HubSpot. ` +
          (c.handoffDeadline
            ? `If it does not arrive by ${w.time(c.handoffDeadline)}, Rotor gives up; the old token then stays current.`
            : 'The old token stays current until then.'),
      ],
      admin: (_c, w) => [
        `In HubSpot: ${hubspotAuthPage(w.app)} > Rotate > "Rotate and expire later", then hand the new token over with the command below.`,
      ],
      customer: () => ['There is nothing to do now.'],
      actions: {
        submit: 'Hand over the new token:',
        show: 'See where the rotation stands:',
      },
    },
    HUBSPOT_TOKEN_STILL_VALID: {
      subject: () => 'HubSpot did not expire the old token',
      summary: (c, w) => [
        `The grace period of ${w.app} ended${c.expiresAt ? ` on ${w.time(c.expiresAt)}` : ''}, ` +
          (c.hubspotCheck?.verdict === 'unknown'
            ? 'but Rotor could not ask HubSpot whether the old token still works.'
            : 'but HubSpot still accepts the old token.') +
          ' Rotor no longer hands it out (Secrets Manager no longer labels it); only HubSpot can revoke it.',
      ],
      admin: (_c, w) => [
        {
          warn: `In HubSpot, go to ${hubspotAuthPage(w.app)} and click "Expire now" next to the old token. Until then it keeps working.`,
        },
      ],
      customer: () => ['There is nothing to do now.'],
      actions: {
        show: "See the app's state and its tokens:",
        history: 'See this and earlier rotations:',
      },
    },
  },
};
