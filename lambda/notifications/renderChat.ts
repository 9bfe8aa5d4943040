import type { Block } from './copy/localeCopy.ts';
import type { Content } from './emailLayout.ts';

/**
 * What a notification says, as a chat message: the same headline, summary, next steps, `rotor`
 * commands and details as the admins' email, in the app's language. A channel is not an admin, so it
 * gets no single-use action buttons, only "Open in Rotor" (the console asks whoever clicks to sign in).
 */
export interface ChatMessage {
  readonly content: Content;
  /** The console's page of the app, where the console exists. */
  readonly openUrl?: string;
  readonly openLabel: string;
}

function plain(block: Block, importantLabel: string): string {
  return typeof block === 'string' ? block : `${importantLabel}: ${block.warn}`;
}

/** Slack's mrkdwn takes &, < and > as markup; the rest of the text is shown as it is. */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A Slack incoming-webhook message: a header, sections of mrkdwn, and a button to the console. Block
 * Kit caps a header at 150 and a section at 3,000 characters; longer texts are clipped.
 */
export function slackMessage(message: ChatMessage): Record<string, unknown> {
  const { content } = message;
  const section = (text: string) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: clip(text, 3000) },
  });
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(content.headline, 150) } },
    section(content.summary.map((block) => slackEscape(plain(block, content.importantLabel))).join('\n\n')),
    section(
      [
        `*${slackEscape(content.nextHeading)}*`,
        ...content.next.map((block) => slackEscape(plain(block, content.importantLabel))),
        ...content.actions.map((action) => `${slackEscape(action.why)}\n\`${slackEscape(action.command)}\``),
      ].join('\n'),
    ),
    section(
      [
        `*${slackEscape(content.detailsHeading)}*`,
        ...content.facts.map(([label, value]) => `${slackEscape(label)}: ${slackEscape(value)}`),
      ].join('\n'),
    ),
  ];
  if (message.openUrl) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: message.openLabel },
          url: message.openUrl,
          style: 'primary',
        },
      ],
    });
  }
  return { text: content.subject, blocks };
}

/**
 * A Microsoft Teams message (an Adaptive Card, as the "post to a channel when a webhook request is
 * received" workflow takes it): the headline, summary, next steps with their commands, the details as
 * a fact set, and an action to the console.
 */
export function teamsMessage(message: ChatMessage): Record<string, unknown> {
  const { content } = message;
  const text = (value: string, more: Record<string, unknown> = {}) => ({
    type: 'TextBlock',
    text: value,
    wrap: true,
    ...more,
  });
  const card = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      text(content.headline, { size: 'Medium', weight: 'Bolder' }),
      ...content.summary.map((block) => text(plain(block, content.importantLabel))),
      text(content.nextHeading, { weight: 'Bolder' }),
      ...content.next.map((block) => text(plain(block, content.importantLabel))),
      ...content.actions.flatMap((action) => [
        text(action.why),
        text(action.command, { fontType: 'Monospace' }),
      ]),
      {
        type: 'FactSet',
        facts: content.facts.map(([title, value]) => ({ title, value })),
      },
    ],
    ...(message.openUrl
      ? { actions: [{ type: 'Action.OpenUrl', title: message.openLabel, url: message.openUrl }] }
      : {}),
  };
  return {
    type: 'message',
    summary: content.subject,
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
}
