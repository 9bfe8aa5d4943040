/**
 * The handlers whose Lambda bundle carries the AWS SDK v3 (tree-shaken and minified by esbuild)
 * instead of loading the copy the Node.js 24 runtime ships. Each one is here because its bundled
 * module loaded faster than its external one in `npm run bench -- --only bundles`; the README's
 * Benchmarks section gives the figures. A handler not listed keeps `@aws-sdk/*` external.
 */
export const AWS_SDK_BUNDLED_HANDLERS: ReadonlySet<string> = new Set<string>([
  // Measured 2026-12-02 (README, Benchmarks): bundled each loads in 3.5–4.4x node -e 0, external in 5.2–7.9x.
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
