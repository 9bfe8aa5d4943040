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
  };
}

// ---------------------------------------------------------------------------------------------------------
// The email's content, independent of HTML or text.
