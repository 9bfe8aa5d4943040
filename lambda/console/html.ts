import type { Locale } from '../contract/appSettings.ts';

/**
 * The console's HTML: server-rendered pages, every value escaped, no inline script or style (the
 * Content-Security-Policy allows only the console's own stylesheet and countdown script).
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** A piece of HTML that is already safe: built only by {@link html} and the helpers here. */
export class Html {
  public constructor(public readonly text: string) {}
  public toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | undefined | null | false | readonly HtmlValue[];

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A template tag that escapes every interpolated value unless it is {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(text);
}

/** The Content-Security-Policy of every console page: nothing inline, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface PageShell {
  readonly locale: Locale;
  readonly title: string;
  /** The stage's base path, e.g. `/console`: every link and asset is below it. */
  readonly base: string;
  /** The signed-in admin's address, with the sign-out form's CSRF token. */
  readonly signedIn?: {
    readonly email: string;
    readonly csrf: string;
    readonly label: string;
    readonly signOut: string;
  };
  readonly body: Html;
}

export function page(shell: PageShell): string {
  const { base } = shell;
  return `<!DOCTYPE html>\n${
    html`<html lang="${shell.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${shell.title} · Rotor</title>
<link rel="stylesheet" href="${base}/assets/console.css">
<script src="${base}/assets/console.js" defer></script>
</head>
<body>
<header class="bar"><a class="brand" href="${base}/">ROTOR</a>${
      shell.signedIn
        ? html`<span class="who">${shell.signedIn.label}</span><form method="post" action="${base}/sign-out" class="inline"><input type="hidden" name="csrf" value="${shell.signedIn.csrf}"><button class="link">${shell.signedIn.signOut}</button></form>`
        : ''
    }</header>
<main class="card">
${shell.body}
</main>
</body>
</html>`.text
  }\n`;
}

/** The stylesheet: the emails' look (white card, blue actions), readable on a phone. */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;padding:0 0 32px;background:#f4f5f7;color:#1f2933;line-height:1.5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px}
.bar{display:flex;align-items:center;gap:12px;padding:12px 16px;background:#1d4ed8;color:#fff;font-size:13px;font-weight:600;letter-spacing:.04em}
.bar a{color:#fff;text-decoration:none}.bar .who{margin-left:auto;font-weight:normal}
.card{max-width:860px;margin:16px auto;background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:20px 24px}
h1{margin:0 0 16px;font-size:20px;line-height:1.3}h2{margin:24px 0 8px;font-size:16px}
p{margin:0 0 12px}
.note{color:#52606d;font-size:14px}
.ok{padding:10px 14px;background:#ecfdf3;border-left:4px solid #15803d;margin:0 0 12px}
.warn{padding:10px 14px;background:#fff7e6;border-left:4px solid #d97706;margin:0 0 12px}
.error{padding:10px 14px;background:#fef2f2;border-left:4px solid #b91c1c;margin:0 0 12px}
table{border-collapse:collapse;width:100%;font-size:14px;margin:0 0 12px}
th{text-align:left;vertical-align:top;padding:6px 12px 6px 0;color:#52606d;font-weight:normal;white-space:nowrap}
td{vertical-align:top;padding:6px 12px 6px 0;word-break:break-word}
thead th{border-bottom:1px solid #e4e7eb}
tbody tr+tr td{border-top:1px solid #f0f2f5}
.state{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e4e7eb}
.state-GRACE{background:#fff7e6;color:#b45309}.state-ROTATING{background:#e0e7ff;color:#1d4ed8}.state-ACTIVE{background:#ecfdf3;color:#15803d}
.countdown{font-weight:600;color:#b45309}
.button,button{display:inline-block;margin:0 8px 8px 0;padding:10px 16px;border-radius:6px;font:inherit;font-weight:600;text-decoration:none;background:#1d4ed8;color:#fff;border:1px solid #1d4ed8;cursor:pointer}
.button.outline,button.outline{background:#fff;color:#1d4ed8}
button.danger{background:#b91c1c;border-color:#b91c1c}
button.link{background:none;border:none;color:#fff;padding:0;margin:0;font-weight:normal;text-decoration:underline}
form.inline{display:inline;margin:0}
label{display:block;margin:12px 0 4px;font-weight:600}
input[type=email],input[type=text],input[type=password]{width:100%;max-width:420px;padding:8px 10px;font:inherit;border:1px solid #cbd2d9;border-radius:4px}
fieldset{border:none;padding:0;margin:0 0 12px}
fieldset label{font-weight:normal;display:flex;gap:8px;align-items:baseline}
@media (max-width:600px){.card{margin:0;border-radius:0;border-left:none;border-right:none;padding:16px}.hide-small{display:none}}
`;

/** The countdown: each `[data-expires]` element shows the time left, ticking every second. */
export const CONSOLE_JS = `
(function () {
  var units = document.documentElement.lang === 'de' ? ['T', 'Std', 'Min', 's'] : ['d', 'h', 'min', 's'];
  function left(ms) {
    if (ms <= 0) return '0 ' + units[3];
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + ' ' + units[0] + ' ' + h + ' ' + units[1];
    if (h > 0) return h + ' ' + units[1] + ' ' + m + ' ' + units[2];
    return m + ' ' + units[2] + ' ' + (s % 60) + ' ' + units[3];
  }
  // The server's time at rendering (data-now) sets the clock, so a page's countdown agrees with Rotor's.
  var loaded = Date.now();
  function tick() {
    document.querySelectorAll('[data-expires]').forEach(function (el) {
      var now = Date.parse(el.getAttribute('data-now')) + (Date.now() - loaded);
      el.textContent = left(Date.parse(el.getAttribute('data-expires')) - now);
    });
  }
  document.addEventListener('DOMContentLoaded', function () { tick(); setInterval(tick, 1000); });
})();
`;
