import { sfnClient } from './sfn.ts';

/** The workflow that delivers to the apps' webhooks (`WEBHOOK_STATE_MACHINE_ARN`, which the stack sets), or none. */
export function webhookStartingFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const stateMachineArn = env.WEBHOOK_STATE_MACHINE_ARN;
  return stateMachineArn ? { client: sfnClient, stateMachineArn } : undefined;
}
