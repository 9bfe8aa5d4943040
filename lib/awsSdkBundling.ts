/**
 * The handlers whose Lambda bundle carries the AWS SDK v3 (tree-shaken and minified by esbuild)
 * instead of loading the copy the Node.js 24 runtime ships. Each one is here because its bundled
 * module loaded faster than its external one in `npm run bench -- --only bundles`; the README's
 * Benchmarks section gives the figures. A handler not listed keeps `@aws-sdk/*` external.
 */
export const AWS_SDK_BUNDLED_HANDLERS: ReadonlySet<string> = new Set<string>([
  // Measured 2026-12-02 (README, Benchmarks): bundled each loads in 2.9–4.0x node -e 0, external in 5.0–8.2x.
  'authorizer',
  'await-handoff',
  'check-grace',
  'check-promotion',
  'console',
  'deliver-webhook',
  'expire-old-token',
  'find-due-apps',
  'handoff-reminder',
  'notify',
  'operator-api',
  'promote-handoff',
  'rollback-rotation',
  'rotation-hook',
  'start-rotation',
  'sweep-app',
]);

/** Whether the stack bundles the AWS SDK into `handler`'s bundle (see {@link AWS_SDK_BUNDLED_HANDLERS}). */
export function bundlesAwsSdk(handler: string): boolean {
  return AWS_SDK_BUNDLED_HANDLERS.has(handler);
}

/**
 * What a bundle that carries the AWS SDK takes in place of an SDK package (paths from the project
 * folder): the environment's credentials instead of the default chain, as Lambda gives them.
 */
export const SDK_BUNDLE_ALIASES = {
  '@aws-sdk/credential-provider-node': './lambda/integrations/aws/lambdaCredentials.ts',
} as const;
