import type { Locale } from '../contract/appSettings.ts';
import type { Block } from './copy/localeCopy.ts';

// ---------------------------------------------------------------------------------------------------------
// The email's content, independent of HTML or text.

export interface Action {
  readonly why: string;
  readonly command: string;
}

/** A button of the email: a link into the Rotor Console (its confirm page, or the app's page). */
export interface Button {
  readonly label: string;
  readonly url: string;
  /** The action the email asks for, drawn filled; "Open in Rotor" is drawn as an outline. */
  readonly primary: boolean;
}

export interface Content {
  readonly lang: Locale;
  readonly tone: string;
  readonly subject: string;
  readonly headline: string;
  readonly summary: readonly Block[];
  readonly nextHeading: string;
  readonly next: readonly Block[];
  readonly actions: readonly Action[];
  readonly buttons: readonly Button[];
  readonly detailsHeading: string;
  readonly facts: readonly (readonly [string, string])[];
  readonly importantLabel: string;
  readonly footer: string;
}

// ---------------------------------------------------------------------------------------------------------
// Plain text.

function underline(title: string, char: string): string {
  return `${title}\n${char.repeat(title.length)}`;
}

function textBlock(block: Block, importantLabel: string): string {
  return typeof block === 'string' ? block : `${importantLabel}: ${block.warn}`;
}

export function renderText(content: Content): string {
  const width = Math.max(...content.facts.map(([label]) => label.length)) + 1;
  const sections = [
    underline(content.headline, '='),
    ...content.summary.map((block) => textBlock(block, content.importantLabel)),
    underline(content.nextHeading, '-'),
    ...content.next.map((block) => textBlock(block, content.importantLabel)),
    ...(content.buttons.length > 0
      ? [content.buttons.map((button) => `${button.label}:\n    ${button.url}`).join('\n')]
      : []),
    ...content.actions.map((action) => `${action.why}\n    ${action.command}`),
    underline(content.detailsHeading, '-'),
    content.facts.map(([label, value]) => `  ${`${label}:`.padEnd(width + 1)} ${value}`).join('\n'),
    `-- \n${content.footer}`,
  ];
  return `${sections.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// HTML: one small self-contained document, inline CSS only, every value escaped.

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

const STYLE = {
  body: "margin:0;padding:24px 12px;background:#f4f5f7;color:#1f2933;line-height:1.5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px",
  card: 'max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #d9dde3;border-radius:8px;overflow:hidden',
  bar: 'padding:12px 24px;color:#ffffff;font-size:13px;font-weight:600;letter-spacing:0.04em',
  main: 'padding:20px 24px 8px',
  h1: 'margin:0 0 16px;font-size:20px;line-height:1.3',
  h2: 'margin:24px 0 8px;font-size:16px',
  p: 'margin:0 0 12px',
  warn: 'margin:0 0 12px;padding:10px 14px;background:#fff7e6;border-left:4px solid #d97706',
  why: 'margin:0 0 4px',
  pre: 'margin:0 0 14px;padding:10px 12px;background:#f0f2f5;border:1px solid #e1e5ea;border-radius:4px;white-space:pre-wrap;word-break:break-all',
  code: "font-family:Menlo,Consolas,'Liberation Mono',monospace;font-size:13px",
  table: 'border-collapse:collapse;width:100%;font-size:14px;margin:0 0 12px',
  th: 'text-align:left;vertical-align:top;padding:4px 16px 4px 0;color:#52606d;font-weight:normal;white-space:nowrap',
  td: 'vertical-align:top;padding:4px 0;word-break:break-word',
  buttons: 'margin:4px 0 16px',
  button:
    'display:inline-block;margin:0 8px 8px 0;padding:10px 16px;border-radius:6px;font-weight:600;text-decoration:none;background:#1d4ed8;color:#ffffff;border:1px solid #1d4ed8',
  outline:
    'display:inline-block;margin:0 8px 8px 0;padding:10px 16px;border-radius:6px;font-weight:600;text-decoration:none;background:#ffffff;color:#1d4ed8;border:1px solid #1d4ed8',
  footer: 'padding:12px 24px;border-top:1px solid #e4e7eb;font-size:12px;color:#7b8794',
} as const;

function htmlBlock(block: Block, importantLabel: string): string {
  if (typeof block === 'string') return `<p style="${STYLE.p}">${escapeHtml(block)}</p>`;
  return `<div style="${STYLE.warn}"><strong>${escapeHtml(importantLabel)}:</strong> ${escapeHtml(block.warn)}</div>`;
}

export function renderHtml(content: Content): string {
  const blocks = (list: readonly Block[]) => list.map((block) => htmlBlock(block, content.importantLabel));
  const actions = content.actions.map(
    (action) =>
      `<p style="${STYLE.why}">${escapeHtml(action.why)}</p>\n` +
      `<pre style="${STYLE.pre}"><code style="${STYLE.code}">${escapeHtml(action.command)}</code></pre>`,
  );
  const buttons = content.buttons.map(
    (button) =>
      `<a href="${escapeHtml(button.url)}" style="${button.primary ? STYLE.button : STYLE.outline}">${escapeHtml(button.label)}</a>`,
  );
  const facts = content.facts.map(
    ([label, value]) =>
      `<tr><th scope="row" style="${STYLE.th}">${escapeHtml(label)}</th><td style="${STYLE.td}">${escapeHtml(value)}</td></tr>`,
  );
  return [
    '<!DOCTYPE html>',
    `<html lang="${content.lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(content.subject)}</title>`,
    '</head>',
    `<body style="${STYLE.body}">`,
    `<div style="${STYLE.card}">`,
    `<div style="${STYLE.bar};background:${content.tone}">ROTOR · ${escapeHtml(content.facts[0]?.[1] ?? '')}</div>`,
    `<div style="${STYLE.main}">`,
    `<h1 style="${STYLE.h1}">${escapeHtml(content.headline)}</h1>`,
    ...blocks(content.summary),
    `<h2 style="${STYLE.h2}">${escapeHtml(content.nextHeading)}</h2>`,
    ...blocks(content.next),
    ...(buttons.length > 0 ? [`<div style="${STYLE.buttons}">`, ...buttons, '</div>'] : []),
    ...actions,
    `<h2 style="${STYLE.h2}">${escapeHtml(content.detailsHeading)}</h2>`,
    `<table role="presentation" style="${STYLE.table}">`,
    ...facts,
    '</table>',
    '</div>',
    `<div style="${STYLE.footer}">${escapeHtml(content.footer)}</div>`,
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
