import { Logger } from '@aws-lambda-powertools/logger';
import type { DueAppsOutput } from '../contract/workflows.ts';
import { tokenAgesOf } from '../domain/tokenAges.ts';
import { registry } from '../integrations/registryFromEnv.ts';
import { recordTokenAges } from '../notifications/rotorMetrics.ts';

/** How many due apps one sweep handles; the rest are due again tomorrow (and stay first in line). */
const SWEEP_LIMIT = 2000;

const logger = new Logger();

/** Sweep task: the apps due now, from the `due` index (a Query, never a Scan). */
export const handler = async (): Promise<DueAppsOutput> => {
  const now = new Date().toISOString();
  const appIds: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await registry.apps.findDueApps(now, SWEEP_LIMIT - appIds.length, startKey);
    appIds.push(...page.appIds);
    startKey = page.nextKey;
  } while (startKey && appIds.length < SWEEP_LIMIT);
  await recordGauges(new Date(now));
  return { now, appIds };
};

/** The daily gauges (token ages, next due, overdue tokens); a failure here never holds up the sweep. */
async function recordGauges(now: Date): Promise<void> {
  try {
    recordTokenAges(tokenAgesOf(await registry.apps.tokenAges(), now));
  } catch (error) {
    logger.warn('FindDueApps: the token-age gauges could not be recorded', { error });
  }
}
