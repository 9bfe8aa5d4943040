import type { Locale } from '../contract/appSettings.ts';
import type { LinkAction } from '../contract/console.ts';
import type { AppView, AuditEventView, RotationView } from '../contract/views.ts';
import { CONSOLE_COPY, type ConsoleCopy } from './copy.ts';
import { type Html, html } from './html.ts';

/** A time in the app's zone, with the zone's name, as the emails show it. */
export function formatTime(iso: string | undefined, locale: Locale, timeZone: string): string {
  if (!iso) return '';
  const copy = CONSOLE_COPY[locale];
  try {
    return new Intl.DateTimeFormat(copy.intl, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    }).format(new Date(iso));
  } catch {
    return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  }
}

/** A length of time in days and hours, or hours and minutes. */
export function formatDuration(seconds: number, copy: ConsoleCopy): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} ${copy.units.d}${hours > 0 ? ` ${hours} ${copy.units.h}` : ''}`;
  if (hours > 0) return `${hours} ${copy.units.h} ${minutes} ${copy.units.min}`;
  return `${minutes} ${copy.units.min}`;
}

/** The countdown to the old token's expiry: rendered by the server, ticking in the browser. */
function countdown(app: AppView, now: Date, copy: ConsoleCopy): Html | string {
  const endsAt = app.graceEndsAt;
  if (!endsAt) return '';
  const left = formatDuration((Date.parse(endsAt) - now.getTime()) / 1000, copy);
  const [before, after] = copy.graceLeft('\u0000').split('\u0000');
  const uses = app.rotation?.oldToken?.usesLast24h;
  return html`<div class="warn">${before}<span class="countdown" data-expires="${endsAt}" data-now="${now.toISOString()}">${left}</span>${after}${
    uses === undefined ? '' : html`<br>${copy.usesLast24h(uses)}`
  }</div>`;
}

function stateBadge(app: Pick<AppView, 'state'>, copy: ConsoleCopy): Html {
  return html`<span class="state state-${app.state}">${copy.states[app.state]}</span>`;
}

/** The actions the app's state allows, as links to their confirm pages. */
export function actionsFor(app: Pick<AppView, 'state' | 'issuer'>): LinkAction[] {
  if (app.state === 'GRACE') return ['expire-now', 'cancel'];
  if (app.state === 'ROTATING') return app.issuer === 'hubspot' ? ['submit'] : [];
  return ['rotate'];
}

export function appListBody(apps: readonly AppView[], base: string, now: Date, locale: Locale): Html {
  const copy = CONSOLE_COPY[locale];
  if (apps.length === 0) return html`<h1>${copy.list.heading}</h1><p>${copy.list.none}</p>`;
  const [app, state, age, due, policy] = copy.list.columns;
  const rows = apps.map(
    (view) => html`<tr>
<td><a href="${base}/apps/${view.appId}">${view.appId}</a></td>
<td>${stateBadge(view, copy)}${countdown(view, now, copy)}</td>
<td>${formatDuration(view.tokenAgeSeconds, copy)}</td>
<td class="hide-small">${formatTime(view.nextDueAt, locale, view.timeZone)}</td>
<td class="hide-small">${copy.policies[view.policy]}</td>
</tr>`,
  );
  return html`<h1>${copy.list.heading}</h1>
<table><thead><tr><th>${app}</th><th>${state}</th><th>${age}</th><th class="hide-small">${due}</th><th class="hide-small">${policy}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function facts(rows: readonly (readonly [string, string | Html | undefined])[]): Html {
  return html`<table>${rows
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([label, value]) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`)}</table>`;
}

export function appPageBody(
  view: AppView,
  rotations: readonly RotationView[],
  audit: readonly AuditEventView[],
  base: string,
  now: Date,
  locale: Locale,
): Html {
  const copy = CONSOLE_COPY[locale];
  const { labels } = copy.app;
  const time = (iso: string | undefined) => formatTime(iso, locale, view.timeZone);
  const rotation = view.rotation;
  const actions = actionsFor(view).map(
    (action) =>
      html`<a class="button${action === 'cancel' ? ' outline' : ''}" href="${base}/apps/${view.appId}/${action}">${copy.actions[action]}</a>`,
  );
  return html`<p><a href="${base}/">← ${copy.app.back}</a></p>
<h1>${view.appId} ${stateBadge(view, copy)}</h1>
${countdown(view, now, copy)}
<p>${actions}</p>
<h2>${copy.app.rotation}</h2>
${
  rotation
    ? facts([
        [labels.rotationId ?? '', rotation.rotationId],
        [labels.mode ?? '', rotation.mode],
        [labels.startedBy ?? '', rotation.startedBy],
        [labels.startedAt ?? '', time(rotation.startedAt)],
        [labels.expiresAt ?? '', time(rotation.expiresAt)],
      ])
    : html`<p class="note">${copy.app.noRotation}</p>`
}
<h2>${copy.app.settings}</h2>
${facts([
  [labels.issuer ?? '', view.issuer],
  [labels.policy ?? '', copy.policies[view.policy]],
  [labels.tokenIssuedAt ?? '', time(view.tokenIssuedAt)],
  [labels.tokenAge ?? '', formatDuration(view.tokenAgeSeconds, copy)],
  [labels.nextDueAt ?? '', time(view.nextDueAt)],
  [labels.interval ?? '', formatDuration(view.intervalSeconds, copy)],
  [labels.grace ?? '', formatDuration(view.graceSeconds, copy)],
  [labels.admins ?? '', view.admins.map((admin) => admin.email).join(', ')],
  [labels.timeZone ?? '', view.timeZone],
])}
<h2>${copy.app.history}</h2>
${
  rotations.length === 0
    ? html`<p class="note">${copy.app.noHistory}</p>`
    : html`<table><thead><tr><th>${labels.startedAt}</th><th>${labels.status}</th><th>${labels.mode}</th><th class="hide-small">${labels.startedBy}</th><th class="hide-small">${labels.finishedAt}</th></tr></thead><tbody>${rotations.map(
        (record) =>
          html`<tr><td>${time(record.startedAt)}</td><td>${record.status}</td><td>${record.mode}</td><td class="hide-small">${record.startedBy}</td><td class="hide-small">${time(record.finishedAt)}</td></tr>`,
      )}</tbody></table>`
}
<h2>${copy.app.audit}</h2>
${
  audit.length === 0
    ? html`<p class="note">${copy.app.noAudit}</p>`
    : html`<table><thead><tr><th>${labels.at}</th><th>${labels.action}</th><th>${labels.actor}</th><th>${labels.outcome}</th></tr></thead><tbody>${[
        ...audit,
      ]
        .reverse()
        .map(
          (event) =>
            html`<tr><td>${time(event.at)}</td><td>${event.action}</td><td>${event.actor}</td><td>${event.outcome}</td></tr>`,
        )}</tbody></table>`
}`;
}

export interface ConfirmForm {
  readonly action: LinkAction;
  readonly appId: string;
  /** Where the form posts. */
  readonly target: string;
  readonly csrf: string;
  /** A fresh idempotency key: a form sent twice acts once. */
  readonly requestKey?: string;
  readonly defaultMode?: 'expire-now' | 'expire-later';
  /** For an email's button: to whom it was sent. */
  readonly recipient?: string;
  readonly back: string;
}

export function confirmBody(form: ConfirmForm, locale: Locale): Html {
  const copy = CONSOLE_COPY[locale];
  const c = copy.confirm;
  const fields =
    form.action === 'rotate'
      ? html`<fieldset><legend>${c.mode}</legend>
<label><input type="radio" name="mode" value="expire-later"${form.defaultMode !== 'expire-now' ? html` checked` : ''}> ${c.expireLater}</label>
<label><input type="radio" name="mode" value="expire-now"${form.defaultMode === 'expire-now' ? html` checked` : ''}> ${c.expireNow}</label>
</fieldset>
<label for="grace">${c.grace}</label><input type="text" id="grace" name="grace" maxlength="16" autocomplete="off"><p class="note">${c.graceHint}</p>
<label for="reason">${c.reason}</label><input type="text" id="reason" name="reason" maxlength="500" autocomplete="off">`
      : form.action === 'submit'
        ? html`<label for="token">${c.token}</label><input type="password" id="token" name="token" required maxlength="512" autocomplete="off"><p class="note">${c.tokenHint}</p>`
        : '';
  return html`<h1>${c.heading(copy.actions[form.action], form.appId)}</h1>
<p>${c.explain[form.action]}</p>
${form.recipient ? html`<p class="note">${c.forAddress(form.recipient)}</p>` : ''}
<form method="post" action="${form.target}">
<input type="hidden" name="csrf" value="${form.csrf}">
${form.requestKey ? html`<input type="hidden" name="request" value="${form.requestKey}">` : ''}
${fields}
<p><button type="submit" class="${form.action === 'expire-now' ? 'danger' : ''}">${c.button}: ${copy.actions[form.action]}</button>
<a class="button outline" href="${form.back}">${c.cancel}</a></p>
</form>`;
}

/** The answer to an action: done, or not done with the operator API's sentence. */
export function resultBody(ok: boolean, message: string, appLink: string, locale: Locale): Html {
  const copy = CONSOLE_COPY[locale];
  return html`<h1>${ok ? copy.done : copy.refused}</h1>
<div class="${ok ? 'ok' : 'error'}">${message}</div>
<p><a class="button outline" href="${appLink}">${copy.openApp}</a></p>`;
}

export function messageBody(
  heading: string,
  message: string,
  kind: 'ok' | 'warn' | 'error',
  link?: { href: string; label: string },
): Html {
  return html`<h1>${heading}</h1><div class="${kind}">${message}</div>${
    link ? html`<p><a class="button outline" href="${link.href}">${link.label}</a></p>` : ''
  }`;
}

export function signInBody(base: string, csrf: string, locale: Locale, notice?: Html): Html {
  const copy = CONSOLE_COPY[locale].signIn;
  return html`<h1>${copy.heading}</h1>
${notice ?? ''}
<p>${copy.intro}</p>
<form method="post" action="${base}/sign-in">
<input type="hidden" name="csrf" value="${csrf}">
<label for="email">${copy.address}</label>
<input type="email" id="email" name="email" required maxlength="254" autocomplete="email">
<p><button type="submit">${copy.send}</button></p>
</form>`;
}
