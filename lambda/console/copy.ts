import type { Locale } from '../contract/appSettings.ts';
import type { LinkAction } from '../contract/console.ts';
import type { AppStateView } from '../contract/views.ts';

/** Why an email's button no longer works, as the confirm page says it. */
export type LinkProblem = 'unknown' | 'used' | 'expired' | 'ended' | 'not-admin';

/** The console's words in one language. */
export interface ConsoleCopy {
  readonly intl: string;
  readonly title: string;
  readonly signIn: {
    readonly heading: string;
    readonly intro: string;
    readonly address: string;
    readonly send: string;
    readonly sent: (address: string) => string;
    readonly sentNote: string;
    readonly tooMany: string;
    readonly confirmHeading: string;
    readonly confirmIntro: string;
    readonly confirm: string;
    readonly linkRefused: Readonly<Record<'unknown' | 'used' | 'expired', string>>;
    readonly again: string;
    readonly signedOut: string;
    readonly signOut: string;
    readonly signedInAs: (address: string) => string;
    readonly mailSubject: string;
    readonly mailText: (url: string, minutes: number) => string;
  };
  readonly list: {
    readonly heading: string;
    readonly none: string;
    readonly columns: readonly [string, string, string, string, string];
  };
  readonly states: Readonly<Record<AppStateView, string>>;
  readonly policies: Readonly<Record<'auto' | 'remind', string>>;
  readonly graceLeft: (left: string) => string;
  readonly usesLast24h: (uses: number) => string;
  readonly app: {
    readonly back: string;
    readonly settings: string;
    readonly rotation: string;
    readonly noRotation: string;
    readonly history: string;
    readonly noHistory: string;
    readonly audit: string;
    readonly noAudit: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly actions: Readonly<Record<LinkAction, string>>;
  readonly confirm: {
    readonly heading: (action: string, appId: string) => string;
    readonly explain: Readonly<Record<LinkAction, string>>;
    readonly mode: string;
    readonly expireNow: string;
    readonly expireLater: string;
    readonly grace: string;
    readonly graceHint: string;
    readonly reason: string;
    readonly token: string;
    readonly tokenHint: string;
    readonly button: string;
    readonly cancel: string;
    readonly forAddress: (address: string) => string;
  };
  readonly linkProblems: Readonly<Record<LinkProblem, string>>;
  readonly done: string;
  readonly refused: string;
  readonly openApp: string;
  readonly notFound: string;
  readonly forbidden: string;
  readonly units: Readonly<Record<'d' | 'h' | 'min', string>>;
}

const ENGLISH: ConsoleCopy = {
  intl: 'en-GB',
  title: 'Rotor Console',
  signIn: {
    heading: 'Sign in',
    intro: 'Enter the address Rotor sends your app’s emails to. Rotor emails you a sign-in link.',
    address: 'Email address',
    send: 'Email me a sign-in link',
    sent: (address) =>
      `If ${address} is an admin address of a Rotor app, a sign-in link is on its way to it.`,
    sentNote: 'The link works once, for 15 minutes. Nothing arrived? Check the address and ask again.',
    tooMany: 'Too many sign-in requests from this network; wait a quarter of an hour and try again.',
    confirmHeading: 'Sign in to Rotor',
    confirmIntro: 'Press the button to sign in. The link then stops working.',
    confirm: 'Sign in',
    linkRefused: {
      unknown: 'This sign-in link is not valid. Ask for a new one.',
      used: 'This sign-in link was already used. Ask for a new one.',
      expired: 'This sign-in link has expired (links work for 15 minutes). Ask for a new one.',
    },
    again: 'Ask for a new sign-in link',
    signedOut: 'You are signed out.',
    signOut: 'Sign out',
    signedInAs: (address) => `Signed in as ${address}`,
    mailSubject: '[Rotor] Your sign-in link',
    mailText: (url, minutes) =>
      `Sign in to the Rotor Console with this link. It works once, for ${minutes} minutes:\n\n    ${url}\n\nYou did not ask for it? Then ignore this email; nobody can sign in without the link.\n`,
  },
  list: {
    heading: 'Your apps',
    none: 'No app lists your address as an admin.',
    columns: ['App', 'State', 'Token age', 'Next due', 'Policy'],
  },
  states: { ACTIVE: 'Active', ROTATING: 'Rotating', GRACE: 'Grace period' },
  policies: { auto: 'rotates automatically', remind: 'reminds the admins' },
  graceLeft: (left) => `old token expires in ${left}`,
  usesLast24h: (uses) => `old token used ${uses} ${uses === 1 ? 'time' : 'times'} in the last 24 h`,
  app: {
    back: 'All apps',
    settings: 'Settings',
    rotation: 'Running rotation',
    noRotation: 'No rotation is running.',
    history: 'History',
    noHistory: 'No rotation yet.',
    audit: 'Audit log (7 days)',
    noAudit: 'Nothing in the last 7 days.',
    labels: {
      issuer: 'Issuer',
      state: 'State',
      policy: 'Policy',
      tokenIssuedAt: 'Token issued',
      tokenAge: 'Token age',
      nextDueAt: 'Next due',
      interval: 'Rotation interval',
      grace: 'Grace period',
      admins: 'Admins',
      timeZone: 'Time zone',
      rotationId: 'Rotation',
      mode: 'Mode',
      startedBy: 'Started by',
      startedAt: 'Started',
      expiresAt: 'Old token valid until',
      status: 'Status',
      finishedAt: 'Finished',
      at: 'When',
      action: 'Action',
      actor: 'By',
      outcome: 'Outcome',
      detail: 'Detail',
    },
  },
  actions: {
    'expire-now': 'Expire old token now',
    cancel: 'Cancel rotation',
    submit: 'Hand over the new token',
    rotate: 'Rotate now',
  },
  confirm: {
    heading: (action, appId) => `${action}: ${appId}`,
    explain: {
      'expire-now':
        'The old token stops working at once. Services that still use it fail until they read the new one.',
      cancel: 'The old token becomes current again and stays valid; the new token stops working at once.',
      submit:
        'Paste the new access token from HubSpot. Rotor stores it in Secrets Manager and never shows it again.',
      rotate: 'Rotor makes a new token current now.',
    },
    mode: 'The old token',
    expireNow: 'stops working at once (expire now)',
    expireLater: 'keeps working for the grace period (expire later)',
    grace: 'Grace period',
    graceHint: 'for example 7d or 36h; empty: the app’s own',
    reason: 'Reason (optional)',
    token: 'New access token',
    tokenHint: 'It is sent once, over HTTPS, and never shown again.',
    button: 'Confirm',
    cancel: 'Back',
    forAddress: (address) => `This button was sent to ${address}.`,
  },
  linkProblems: {
    unknown: 'This link is not valid. Open the app in Rotor to act.',
    used: 'This link was already used; each button works once. Open the app in Rotor to act again.',
    expired: 'This link has expired. Open the app in Rotor to act.',
    ended: 'The rotation this button belongs to has already ended; there is nothing left to do here.',
    'not-admin': 'Your address is no longer an admin of this app.',
  },
  done: 'Done',
  refused: 'Not done',
  openApp: 'Open the app in Rotor',
  notFound: 'There is no such page, or it is not yours to see.',
  forbidden: 'The form was too old or came from elsewhere; reload the page and try again.',
  units: { d: 'd', h: 'h', min: 'min' },
};

const GERMAN: ConsoleCopy = {
  intl: 'de-DE',
  title: 'Rotor Console',
  signIn: {
    heading: 'Anmelden',
    intro:
      'Geben Sie die Adresse ein, an die Rotor die E-Mails Ihrer App schickt. Rotor schickt Ihnen einen Anmeldelink.',
    address: 'E-Mail-Adresse',
    send: 'Anmeldelink schicken',
    sent: (address) =>
      `Wenn ${address} eine Admin-Adresse einer Rotor-App ist, ist ein Anmeldelink dorthin unterwegs.`,
    sentNote:
      'Der Link gilt einmal, 15 Minuten lang. Nichts angekommen? Prüfen Sie die Adresse und fragen Sie erneut.',
    tooMany:
      'Zu viele Anmeldeanfragen aus diesem Netz; warten Sie eine Viertelstunde und versuchen Sie es erneut.',
    confirmHeading: 'Bei Rotor anmelden',
    confirmIntro: 'Drücken Sie den Knopf, um sich anzumelden. Danach gilt der Link nicht mehr.',
    confirm: 'Anmelden',
    linkRefused: {
      unknown: 'Dieser Anmeldelink ist ungültig. Fordern Sie einen neuen an.',
      used: 'Dieser Anmeldelink wurde schon benutzt. Fordern Sie einen neuen an.',
      expired: 'Dieser Anmeldelink ist abgelaufen (Links gelten 15 Minuten). Fordern Sie einen neuen an.',
    },
    again: 'Neuen Anmeldelink anfordern',
    signedOut: 'Sie sind abgemeldet.',
    signOut: 'Abmelden',
    signedInAs: (address) => `Angemeldet als ${address}`,
    mailSubject: '[Rotor] Ihr Anmeldelink',
    mailText: (url, minutes) =>
      `Melden Sie sich mit diesem Link bei der Rotor Console an. Er gilt einmal, ${minutes} Minuten lang:\n\n    ${url}\n\nSie haben ihn nicht angefordert? Dann ignorieren Sie diese E-Mail; ohne den Link kann sich niemand anmelden.\n`,
  },
  list: {
    heading: 'Ihre Apps',
    none: 'Keine App führt Ihre Adresse als Admin.',
    columns: ['App', 'Zustand', 'Token-Alter', 'Nächste Fälligkeit', 'Richtlinie'],
  },
  states: { ACTIVE: 'Aktiv', ROTATING: 'Rotiert', GRACE: 'Übergangsfrist' },
  policies: { auto: 'rotiert automatisch', remind: 'erinnert die Admins' },
  graceLeft: (left) => `altes Token läuft in ${left} ab`,
  usesLast24h: (uses) => `altes Token in den letzten 24 h ${uses}-mal benutzt`,
  app: {
    back: 'Alle Apps',
    settings: 'Einstellungen',
    rotation: 'Laufende Rotation',
    noRotation: 'Es läuft keine Rotation.',
    history: 'Verlauf',
    noHistory: 'Noch keine Rotation.',
    audit: 'Audit-Log (7 Tage)',
    noAudit: 'Nichts in den letzten 7 Tagen.',
    labels: {
      issuer: 'Aussteller',
      state: 'Zustand',
      policy: 'Richtlinie',
      tokenIssuedAt: 'Token ausgestellt',
      tokenAge: 'Token-Alter',
      nextDueAt: 'Nächste Fälligkeit',
      interval: 'Rotationsintervall',
      grace: 'Übergangsfrist',
      admins: 'Admins',
      timeZone: 'Zeitzone',
      rotationId: 'Rotation',
      mode: 'Modus',
      startedBy: 'Gestartet von',
      startedAt: 'Gestartet',
      expiresAt: 'Altes Token gültig bis',
      status: 'Status',
      finishedAt: 'Beendet',
      at: 'Wann',
      action: 'Aktion',
      actor: 'Von',
      outcome: 'Ergebnis',
      detail: 'Detail',
    },
  },
  actions: {
    'expire-now': 'Altes Token jetzt ablaufen lassen',
    cancel: 'Rotation abbrechen',
    submit: 'Neues Token übergeben',
    rotate: 'Jetzt rotieren',
  },
  confirm: {
    heading: (action, appId) => `${action}: ${appId}`,
    explain: {
      'expire-now':
        'Das alte Token hört sofort auf zu gelten. Dienste, die es noch benutzen, scheitern, bis sie das neue lesen.',
      cancel: 'Das alte Token wird wieder aktuell und bleibt gültig; das neue Token gilt sofort nicht mehr.',
      submit:
        'Fügen Sie das neue Zugriffstoken aus HubSpot ein. Rotor legt es in Secrets Manager ab und zeigt es nie wieder.',
      rotate: 'Rotor macht jetzt ein neues Token aktuell.',
    },
    mode: 'Das alte Token',
    expireNow: 'gilt sofort nicht mehr (sofort ablaufen)',
    expireLater: 'gilt noch für die Übergangsfrist (später ablaufen)',
    grace: 'Übergangsfrist',
    graceHint: 'zum Beispiel 7d oder 36h; leer: die der App',
    reason: 'Grund (optional)',
    token: 'Neues Zugriffstoken',
    tokenHint: 'Es wird einmal über HTTPS gesendet und nie wieder angezeigt.',
    button: 'Bestätigen',
    cancel: 'Zurück',
    forAddress: (address) => `Dieser Knopf wurde an ${address} geschickt.`,
  },
  linkProblems: {
    unknown: 'Dieser Link ist ungültig. Öffnen Sie die App in Rotor, um zu handeln.',
    used: 'Dieser Link wurde schon benutzt; jeder Knopf gilt einmal. Öffnen Sie die App in Rotor, um erneut zu handeln.',
    expired: 'Dieser Link ist abgelaufen. Öffnen Sie die App in Rotor, um zu handeln.',
    ended: 'Die Rotation, zu der dieser Knopf gehört, ist schon beendet; hier ist nichts mehr zu tun.',
    'not-admin': 'Ihre Adresse ist kein Admin dieser App mehr.',
  },
  done: 'Erledigt',
  refused: 'Nicht erledigt',
  openApp: 'App in Rotor öffnen',
  notFound: 'Diese Seite gibt es nicht, oder sie ist nicht für Sie bestimmt.',
  forbidden:
    'Das Formular war zu alt oder kam von anderswo; laden Sie die Seite neu und versuchen Sie es erneut.',
  units: { d: 'T', h: 'Std', min: 'Min' },
};

export const CONSOLE_COPY: Readonly<Record<Locale, ConsoleCopy>> = { de: GERMAN, en: ENGLISH };

/** The language of a page for someone not signed in: German unless the browser prefers English first. */
export function localeFromHeader(acceptLanguage: string | undefined): Locale {
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'de';
}
