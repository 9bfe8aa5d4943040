import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CLIENT_CONFIG } from './config.ts';

/** The EventBridge client of this execution environment. */
export const eventBridgeClient = new EventBridgeClient(CLIENT_CONFIG);

/** The event bus Rotor's events go to (`EVENT_BUS_NAME`, which the stack sets), or none. */
export function eventPublishingFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const busName = env.EVENT_BUS_NAME;
  return busName ? { client: eventBridgeClient, busName } : undefined;
}
