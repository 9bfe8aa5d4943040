/**
 * Rotor's dependency rules, checked by `npm run deps` (part of `npm test`) with dependency-cruiser.
 *
 * - Nothing imports in a circle.
 * - `lambda/contract/` is the one part of `lambda/` that `cli/` and `lib/` import: routes, request
 *   rules, durations, ids, errors, the table's keys. It is plain TypeScript: it imports nothing of
 *   the project outside itself and no AWS SDK or Powertools package. (`lib/` names the handlers
 *   `lambda/<task>/index.ts` as file paths for bundling, which are no imports.)
 * - `cli/` never imports `local/`: the local mode's state file is the CLI's (`cli/localState.ts`).
 * - `lambda/` imports none of `lib/`, `cli/`, `local/`, `bench/` or `test/`.
 * - Inside `lambda/`, the folders by role import only downwards: `store/` (the registry in DynamoDB)
 *   only `contract/`; `integrations/` (AWS clients, Secrets Manager labels, workflows, HubSpot,
 *   settings) only `contract/` and `store/`; `notifications/` none of `domain/` and no handler;
 *   `domain/` (the lifecycle) no handler. The handlers, `lambda/<task>/`, import them all.
 *
 * TypeScript is parsed with swc (TypeScript 7 has no JavaScript API), and type-only imports count.
 */

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other in a circle: move what both need into a third module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'cli-not-to-local',
      severity: 'error',
      comment:
        'The CLI talks to local mode through its state file (cli/localState.ts), never through local/.',
      from: { path: '^cli/' },
      to: { path: '^local/' },
    },
    {
      name: 'cli-only-lambda-contract',
      severity: 'error',
      comment: 'cli/ may import from lambda/ only lambda/contract/.',
      from: { path: '^cli/' },
      to: { path: '^lambda/', pathNot: '^lambda/contract/' },
    },
    {
      name: 'lib-only-lambda-contract',
      severity: 'error',
      comment: 'lib/ may import from lambda/ only lambda/contract/; it names handlers as bundle paths.',
      from: { path: '^lib/' },
      to: { path: '^lambda/', pathNot: '^lambda/contract/' },
    },
    {
      name: 'contract-self-contained',
      severity: 'error',
      comment: 'lambda/contract/ imports nothing of the project outside itself.',
      from: { path: '^lambda/contract/' },
      to: { path: '^(bin|lib|lambda|cli|local|bench|consumer|test|types)/', pathNot: '^lambda/contract/' },
    },
    {
      name: 'contract-sdk-free',
      severity: 'error',
      comment: 'lambda/contract/ is shared with the CLI and the stack: no AWS SDK, no Powertools.',
      from: { path: '^lambda/contract/' },
      to: { path: '(^|/)(@aws-sdk|@smithy|@aws-lambda-powertools)/' },
    },
    {
      name: 'lambda-not-to-outside',
      severity: 'error',
      comment: 'Lambda code ships in the bundles: it imports none of lib/, cli/, local/, bench/ or test/.',
      from: { path: '^lambda/' },
      to: { path: '^(lib|cli|local|bench|test)/' },
    },
    {
      name: 'store-only-contract',
      severity: 'error',
      comment:
        'lambda/store/ keeps the registry: it imports from lambda/ only contract/, never what decides (domain/, notifications/) or what calls AWS otherwise (integrations/).',
      from: { path: '^lambda/store/' },
      to: { path: '^lambda/', pathNot: '^lambda/(contract|store)/' },
    },
    {
      name: 'integrations-not-to-domain',
      severity: 'error',
      comment:
        'lambda/integrations/ wraps AWS and HubSpot: it imports from lambda/ only contract/ and store/, never domain/, notifications/ or a handler.',
      from: { path: '^lambda/integrations/' },
      to: { path: '^lambda/', pathNot: '^lambda/(contract|store|integrations)/' },
    },
    {
      name: 'notifications-not-to-domain',
      severity: 'error',
      comment:
        'lambda/notifications/ sends and renders emails the lifecycle queued: it imports none of domain/ and no handler.',
      from: { path: '^lambda/notifications/' },
      to: { path: '^lambda/', pathNot: '^lambda/(contract|store|integrations|notifications)/' },
    },
    {
      name: 'domain-not-to-handlers',
      severity: 'error',
      comment:
        'lambda/domain/ is called by the handlers (lambda/<task>/, rotation-hook/, operator-api/) and imports none of them.',
      from: { path: '^lambda/domain/' },
      to: { path: '^lambda/', pathNot: '^lambda/(contract|store|integrations|notifications|domain)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file: a typo or a file that moved.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
