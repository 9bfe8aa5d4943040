import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseSecret } from '../lambda/domain/tokens.ts';
import { verifyToken } from '../lambda/domain/verifyToken.ts';
import type { Registry } from '../lambda/store/Registry.ts';

/**
 * What a person looking at local mode sees: the emails in the SES stand-in, the labels of a secret's
 * versions, and which tokens the verifier accepts. Shared by the demo, the scenarios and the tests.
 */

/** One email as the SES stand-in kept it. */
export interface SeenEmail {
  /** The Rotor event the email is about, from its footer (`Rotor event: ...`). */
  readonly event: string;
  readonly to: string;
  /** The language it was written in, from its HTML's `lang`. */
  readonly locale: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly at: string;
  readonly messageId: string;
}

interface StoredEmail {
  readonly messageId: string;
  readonly subject: string;
  readonly at: number;
  readonly destination: { readonly to: readonly string[] };
  readonly body: { readonly text?: string; readonly html?: string };
}

/**
 * No kept-alive connections: a fresh system may listen on the port of one just closed, and a pooled
 * socket to the old server would fail the next request.
 */
const ONE_SHOT = { headers: { connection: 'close' } } as const;

/** Every email the SES stand-in received, oldest first. */
export async function allEmails(sesUrl: string): Promise<SeenEmail[]> {
  const response = await fetch(`${sesUrl}/store`, ONE_SHOT);
  if (!response.ok) throw new Error(`the SES stand-in at ${sesUrl} answered ${response.status}`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.map((email) => ({
    event: /Rotor event: ([A-Z0-9_]+)/.exec(email.body.text ?? '')?.[1] ?? 'unknown',
    to: email.destination.to[0] ?? '',
    locale: /<html lang="([a-z]{2})"/.exec(email.body.html ?? '')?.[1] ?? 'unknown',
    subject: email.subject,
    text: email.body.text ?? '',
    html: email.body.html ?? '',
    // The stand-in stores seconds since the epoch.
    at: new Date(email.at * 1000).toISOString(),
    messageId: email.messageId,
  }));
}

/** The emails about one app (their subjects name it), oldest first. */
export async function emailsAboutApp(sesUrl: string, appId: string): Promise<SeenEmail[]> {
  return (await allEmails(sesUrl)).filter((email) => email.subject.includes(`${appId}:`));
}

/** Forgets every email the SES stand-in holds (its store is shared by every server in a process). */
export async function clearEmails(sesUrl: string): Promise<void> {
  await fetch(`${sesUrl}/clear-store`, { ...ONE_SHOT, method: 'POST' });
}

/** Each version id of a secret with its staging labels. */
export async function versionLabels(
  secretsManager: SecretsManagerClient,
  secretId: string,
): Promise<Record<string, string[]>> {
  const secret = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  return secret.VersionIdsToStages ?? {};
}

/** The token a version holds. Local inspection only: never print it. */
export async function tokenOfVersion(
  secretsManager: SecretsManagerClient,
  secretId: string,
  versionId: string,
): Promise<string> {
  const value = await secretsManager.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
  );
  return parseSecret(value.SecretString).token;
}

/** Whether the verifier accepts a token now. */
export async function isAccepted(registry: Registry, token: string): Promise<boolean> {
  return (await verifyToken(token, { registry })).valid;
}

/**
 * Polls `check` every 20 ms until it holds, and fails after `ms` of real time. The deadline is kept
 * on the wall clock: under local mode's virtual clock `Date` jumps days ahead at every wait.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
