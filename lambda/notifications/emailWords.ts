import type { LocaleCopy, Unit, Words } from './copy/localeCopy.ts';
import type { NotificationContext } from './events.ts';

// ---------------------------------------------------------------------------------------------------------
// Times and durations.

const DAY_SECONDS = 86_400;
const UNIT_SECONDS: readonly (readonly [Unit, number])[] = [
  ['day', DAY_SECONDS],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

export function ageInDays(context: NotificationContext): number {
  const issued = Date.parse(context.tokenIssuedAt ?? '');
  const now = Date.parse(context.occurredAt);
  return Number.isNaN(issued) || Number.isNaN(now)
    ? 0
    : Math.max(0, Math.floor((now - issued) / 1000 / DAY_SECONDS));
}

/**
 * DUE_SOON: whole days until the token becomes due, rounded up (the sweep runs within a day after a
 * reminder's time, so a 30-day reminder says 30 days); at least 1.
 */
export function daysUntilDue(context: NotificationContext): number {
  const due = Date.parse(context.dueAt ?? '');
  const now = Date.parse(context.occurredAt);
  return Number.isNaN(due) || Number.isNaN(now)
    ? 1
    : Math.max(1, Math.ceil((due - now) / 1000 / DAY_SECONDS));
}

/** The notice time of a rotation that names none: HubSpot's 24 hours. */
const DEFAULT_NOTICE_SECONDS = 24 * 3600;

/**
 * EXPIRES_IN_24H: how long the old token has left, in seconds. The workflow sends the notice at its
 * time, so that is the rotation's notice time; a notice sent late (by the sweep, after a lost execution)
 * says the time really left. Never more than the notice time.
 */
export function noticeLeftSeconds(context: NotificationContext): number {
  const notice = context.noticeSeconds ?? DEFAULT_NOTICE_SECONDS;
  const left = (Date.parse(context.expiresAt ?? '') - Date.parse(context.occurredAt)) / 1000;
  return Number.isNaN(left) ? notice : Math.max(0, Math.min(notice, left));
}

/** `2026-12-05 13:30 UTC` */
function utcTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const GMT_OFFSET = /^GMT[-+\u2212]/;

function zoneNameIn(intl: string, timeZone: string, date: Date): string {
  const parts = new Intl.DateTimeFormat(intl, { timeZone, timeZoneName: 'short' }).formatToParts(date);
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? timeZone;
}

/**
 * The zone's abbreviation where the locale has one (`MEZ`, `EST`), else its offset (`GMT-5`).
 * American English knows no European abbreviations, so English falls back to British English (`CET`).
 */
function zoneName(intl: string, timeZone: string, date: Date): string {
  const name = zoneNameIn(intl, timeZone, date);
  if (!GMT_OFFSET.test(name) || !intl.startsWith('en')) return name;
  const british = zoneNameIn('en-GB', timeZone, date);
  return GMT_OFFSET.test(british) ? name : british;
}

export function wordsFor(context: NotificationContext, copy: LocaleCopy): Words {
  const numbers = new Intl.NumberFormat(copy.intl);
  let zoned: Intl.DateTimeFormat | undefined;
  try {
    zoned = new Intl.DateTimeFormat(copy.intl, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: context.timeZone,
    });
  } catch {
    zoned = undefined; // An unknown time zone: show UTC only rather than fail the notification.
  }
  const counted = (count: number, unit: Unit, form?: 'dative') => {
    const [one, other, dative] = copy.units[unit];
    return `${numbers.format(count)} ${count === 1 ? one : form === 'dative' ? dative : other}`;
  };
  return {
    app: context.appId,
    time: (iso) => {
      const date = new Date(iso ?? '');
      if (Number.isNaN(date.getTime())) return iso ?? '';
      if (!zoned) return utcTime(date);
      const local = zoned.format(date).replace(/[\u00a0\u202f]/g, ' ');
      return `${local} ${zoneName(copy.intl, context.timeZone, date)} (${utcTime(date)})`;
    },
    duration: (seconds, form) => {
      if (seconds === undefined) return '';
      const [unit, size] = UNIT_SECONDS.find(([, size]) => seconds >= size && seconds % size === 0) ?? [
        'second',
        1,
      ];
      return counted(seconds / size, unit, form);
    },
    times: (count) => copy.times(count, numbers.format(count)),
    days: (count) => counted(count, 'day'),
    timeLeft: (seconds, form) => {
      if (seconds >= 2 * DAY_SECONDS) return counted(Math.round(seconds / DAY_SECONDS), 'day', form);
      if (seconds >= 3600) return counted(Math.round(seconds / 3600), 'hour', form);
      return counted(Math.max(1, Math.round(seconds / 60)), 'minute', form);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The email's content, independent of HTML or text.
