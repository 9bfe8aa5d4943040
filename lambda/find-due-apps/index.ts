import type { DueAppsOutput } from '../contract/workflows.ts';
import { registry } from '../integrations/registryFromEnv.ts';

/** How many due apps one sweep handles; the rest are due again tomorrow (and stay first in line). */
const SWEEP_LIMIT = 2000;

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
  return { now, appIds };
};
