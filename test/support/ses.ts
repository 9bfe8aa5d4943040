import { SESClient } from '@aws-sdk/client-ses';
import { type StrictSes, type StrictSesOptions, startStrictSes } from '../../local/ses/strictSes.ts';

/**
 * A strict local SES and a client for it that tries once (the SDK would otherwise retry a throttled
 * send by itself, and a test could not see the refusal).
 */
export async function startSesWithClient(
  options: StrictSesOptions = {},
): Promise<{ ses: StrictSes; client: SESClient }> {
  const ses = await startStrictSes(options);
  const client = new SESClient({
    region: 'eu-central-1',
    endpoint: ses.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { ses, client };
}
