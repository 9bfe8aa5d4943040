import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { ConfigurationError } from '../contract/errors.ts';
import { MAX_CACHE_TTL_MS, TokenVerifier } from '../domain/tokenVerifier.ts';
import { registry, settings } from '../integrations/registryFromEnv.ts';
import { countOldTokenUse } from '../notifications/rotorMetrics.ts';

const logger = new Logger({ serviceName: 'rotor-authorizer' });

/** Whole seconds from an environment variable, within bounds; fails at cold start with its name. */
function seconds(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!(Number.isFinite(value) && value >= 0 && value <= max)) {
    throw new ConfigurationError(`${name} must be a number of seconds from 0 to ${max} (got ${raw})`);
  }
  return value;
}

const verifier = new TokenVerifier({
  registry,
  prefix: settings.tokenPrefix,
  cacheTtlMs: Math.round(seconds('VERIFY_CACHE_TTL_SECONDS', 30, MAX_CACHE_TTL_MS / 1000) * 1000),
  usageFlushMs: Math.round(seconds('USAGE_FLUSH_SECONDS', 60, 3600) * 1000),
});

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string) {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
}

/**
 * API Gateway TOKEN authorizer for Rotor's managed tokens (`Authorization: Bearer rtr_...`): allows
 * the current token and a grace token until its expiresAt, and answers `Unauthorized` (401) for
 * every other. The caller's app and token version reach the integration as context.
 */
export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const header = event.authorizationToken ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : header.trim();
  const result = await verifier.verify(token);
  if (!result.valid) {
    // The reason, never the token.
    logger.info('token refused', { reason: result.reason });
    throw new Error('Unauthorized');
  }
  // What still depends on a token that is about to die (API Gateway's authorizer cache is off: each request).
  if (result.status === 'grace') countOldTokenUse({ appId: result.appId, versionId: result.versionId });
  return {
    ...policy(result.appId, 'Allow', event.methodArn),
    context: { appId: result.appId, versionId: result.versionId, status: result.status },
  };
};
