import { allEmails } from '../observe.ts';

/** One answer of the console, as a browser would see it. */
export interface ConsolePage {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly headers: Headers;
}

/**
 * A browser without a screen, for the demo and the tests: it keeps the console's cookies (as a browser
 * does for one site), follows its redirects, and fills the CSRF field of the form it posts from the last
 * page it read, as the page's form would.
 */
export class ConsoleClient {
  readonly #cookies = new Map<string, string>();
  #lastPage: ConsolePage | undefined;

  /** `acceptLanguage` is sent as a browser sends it (the language of pages before sign-in). */
  public constructor(
    private readonly consoleUrl: string,
    private readonly options: { readonly acceptLanguage?: string } = {},
  ) {}

  /** The absolute URL of a console path (`/apps/x`) or an absolute link from an email. */
  public urlOf(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.consoleUrl}${pathOrUrl}`;
  }

  public cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  public async get(pathOrUrl: string, method: 'GET' | 'HEAD' = 'GET'): Promise<ConsolePage> {
    return this.#request(this.urlOf(pathOrUrl), { method });
  }

  /**
   * POSTs a form to `pathOrUrl` (relative to the console, or absolute), with the CSRF token and hidden
   * fields of the last page's form that posts there, unless `fields` gives them.
   */
  public async post(pathOrUrl: string, fields: Record<string, string> = {}): Promise<ConsolePage> {
    const url = this.urlOf(pathOrUrl);
    const hidden = this.#hiddenFieldsFor(new URL(url).pathname);
    const body = new URLSearchParams({ ...hidden, ...fields });
    return this.#request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  }

  #hiddenFieldsFor(pathname: string): Record<string, string> {
    const page = this.#lastPage?.html ?? '';
    for (const form of page.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
      if (decodeEntities(form[1] ?? '') !== pathname) continue;
      const fields: Record<string, string> = {};
      for (const input of (form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
        fields[input[1] as string] = decodeEntities(input[2] ?? '');
      }
      return fields;
    }
    return {};
  }

  async #request(url: string, init: RequestInit, hops = 0): Promise<ConsolePage> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        connection: 'close',
        ...(this.options.acceptLanguage ? { 'accept-language': this.options.acceptLanguage } : {}),
        ...(cookie ? { cookie } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === '')
        this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location && hops < 5) {
      return this.#request(new URL(location, url).toString(), { method: 'GET' }, hops + 1);
    }
    const page = { status: response.status, url, html: await response.text(), headers: response.headers };
    if (init.method !== 'HEAD') this.#lastPage = page;
    return page;
  }
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** The console links of the last email to `to` whose subject matches, as the plain-text body lists them. */
export async function linksInLastEmail(
  sesUrl: string,
  to: string,
  subject: RegExp,
): Promise<{ readonly links: string[]; readonly text: string; readonly html: string }> {
  const email = (await allEmails(sesUrl))
    .filter((mail) => mail.to === to && subject.test(mail.subject))
    .at(-1);
  if (!email) throw new Error(`no email to ${to} whose subject matches ${subject}`);
  return {
    links: [...email.text.matchAll(/https?:\/\/\S+/g)].map((match) => match[0]),
    text: email.text,
    html: email.html,
  };
}
