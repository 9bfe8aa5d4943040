import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  readonly rule: { readonly name: string; readonly severity: string };
  readonly from: string;
  readonly to: string;
}

/** A tree of TypeScript files (path → source) in a fresh folder, with the project's node_modules. */
async function writeTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rotor-deps-'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [file, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), source);
  }
  return dir;
}

/** Runs `npm run deps`'s command (the project's config) on a tree and returns what it refused. */
async function cruise(dir: string): Promise<{ exitCode: number; violations: Violation[] }> {
  const args = [
    DEPCRUISE,
    '--config',
    CONFIG,
    '--output-type',
    'json',
    'bin',
    'lib',
    'lambda',
    'cli',
    'local',
  ];
  const { stdout, exitCode } = await promisify(execFile)(process.execPath, args, { cwd: dir }).then(
    ({ stdout }) => ({ stdout, exitCode: 0 }),
    (error: { stdout: string; code: number }) => ({ stdout: error.stdout, exitCode: error.code }),
  );
  const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return { exitCode, violations: result.summary.violations };
}

/** What every tree has: each folder importing what the rules allow it to. */
const ALLOWED: Record<string, string> = {
  'lambda/contract/routes.ts': "import { z } from 'zod/mini';\nexport const ROUTES = [z];\n",
  'lambda/contract/duration.ts': "import { ROUTES } from './routes.ts';\nexport const DAY = ROUTES.length;\n",
  'lambda/store/Registry.ts':
    "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\nimport { DAY } from '../contract/duration.ts';\nexport const registry = [SecretsManagerClient, DAY];\n",
  'lambda/integrations/workflows.ts':
    "import { DAY } from '../contract/duration.ts';\nimport { registry } from '../store/Registry.ts';\nexport const workflows = [DAY, registry];\n",
  'lambda/notifications/outbox.ts':
    "import { registry } from '../store/Registry.ts';\nimport { workflows } from '../integrations/workflows.ts';\nexport const outbox = [registry, workflows];\n",
  'lambda/domain/lifecycle.ts':
    "import { outbox } from '../notifications/outbox.ts';\nimport { workflows } from '../integrations/workflows.ts';\nimport { registry } from '../store/Registry.ts';\nexport const lifecycle = [outbox, workflows, registry];\n",
  'lambda/notify/index.ts':
    "import { lifecycle } from '../domain/lifecycle.ts';\nexport const handler = lifecycle;\n",
  // The stack names a handler as a file to bundle, which is no import.
  'lib/RotorStack.ts':
    "import path from 'node:path';\nimport { ROUTES } from '../lambda/contract/routes.ts';\nexport const entry = [path.join(import.meta.dirname, '../lambda/notify/index.ts'), ROUTES];\n",
  'bin/app.ts': "import { entry } from '../lib/RotorStack.ts';\nexport default entry;\n",
  'cli/localState.ts': 'export const STATE_FILE = "state.json";\n',
  'cli/client.ts':
    "import { ROUTES } from '../lambda/contract/routes.ts';\nimport { STATE_FILE } from './localState.ts';\nexport const client = [ROUTES, STATE_FILE];\n",
  'local/start.ts':
    "import { client } from '../cli/client.ts';\nimport { registry } from '../lambda/store/Registry.ts';\nexport const start = [client, registry];\n",
};

describe('Dependency rules (.dependency-cruiser.cjs, npm run deps)', () => {
  let clean: string;
  let broken: string;

  beforeAll(async () => {
    clean = await writeTree(ALLOWED);
    broken = await writeTree({
      ...ALLOWED,
      // cli/ → local/
      'cli/client.ts':
        "import { ROUTES } from '../lambda/contract/routes.ts';\nimport { start } from '../local/start.ts';\nexport const client = [ROUTES, start];\n",
      // cli/ → lambda/ outside contract/
      'cli/format.ts':
        "import { registry } from '../lambda/store/Registry.ts';\nexport const f = registry;\n",
      // lib/ → lambda/ outside contract/
      'lib/constructs/Table.ts':
        "import { registry } from '../../lambda/store/Registry.ts';\nexport const t = registry;\n",
      // lambda/contract/ → the rest of lambda/, and → the AWS SDK
      'lambda/contract/views.ts':
        "import { SESClient } from '@aws-sdk/client-ses';\nimport { registry } from '../store/Registry.ts';\nexport const v = [SESClient, registry];\n",
      // lambda/ → lib/
      'lambda/integrations/settings.ts':
        "import { entry } from '../../lib/RotorStack.ts';\nexport const s = entry;\n",
      // lambda/store/ → lambda/domain/
      'lambda/store/AuditStore.ts':
        "import { lifecycle } from '../domain/lifecycle.ts';\nexport const audit = lifecycle;\n",
      // lambda/integrations/ → lambda/domain/
      'lambda/integrations/hubspot.ts':
        "import { lifecycle } from '../domain/lifecycle.ts';\nexport const hubspot = lifecycle;\n",
      // lambda/notifications/ → lambda/domain/
      'lambda/notifications/renderEmail.ts':
        "import { lifecycle } from '../domain/lifecycle.ts';\nexport const render = lifecycle;\n",
      // lambda/domain/ → a handler
      'lambda/domain/sweep.ts':
        "import { handler } from '../notify/index.ts';\nexport const sweep = handler;\n",
      // a two-file circle
      'lambda/domain/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'lambda/domain/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    });
  });

  afterAll(async () => {
    await rm(clean, { recursive: true, force: true });
    await rm(broken, { recursive: true, force: true });
  });

  it('passes a tree whose imports all follow the rules', async () => {
    // Act
    const { exitCode, violations } = await cruise(clean);

    // Assess
    expect(violations).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it('refuses an import circle, cli/ → local/, and every import across a boundary it guards, inside lambda/ too', async () => {
    // Act
    const { violations } = await cruise(broken);

    // Assess
    // A package is named by its folder in node_modules (the resolved file depends on where that is).
    const found = violations
      .map(
        ({ rule, from, to }) =>
          `${rule.name}: ${from} → ${to.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, 'node_modules/$1')}`,
      )
      .sort();
    expect(found).toEqual(
      [
        'cli-not-to-local: cli/client.ts → local/start.ts',
        // local/start.ts imports cli/client.ts: a circle too (each circle is named once)
        'no-circular: cli/client.ts → local/start.ts',
        'cli-only-lambda-contract: cli/format.ts → lambda/store/Registry.ts',
        'lib-only-lambda-contract: lib/constructs/Table.ts → lambda/store/Registry.ts',
        'contract-self-contained: lambda/contract/views.ts → lambda/store/Registry.ts',
        'contract-sdk-free: lambda/contract/views.ts → node_modules/@aws-sdk/client-ses',
        'lambda-not-to-outside: lambda/integrations/settings.ts → lib/RotorStack.ts',
        'store-only-contract: lambda/store/AuditStore.ts → lambda/domain/lifecycle.ts',
        'integrations-not-to-domain: lambda/integrations/hubspot.ts → lambda/domain/lifecycle.ts',
        'notifications-not-to-domain: lambda/notifications/renderEmail.ts → lambda/domain/lifecycle.ts',
        'domain-not-to-handlers: lambda/domain/sweep.ts → lambda/notify/index.ts',
        'no-circular: lambda/domain/a.ts → lambda/domain/b.ts',
      ].sort(),
    );
    // Errors make `npm run deps`, and so `npm test`, fail.
    expect(violations.every(({ rule }) => rule.severity === 'error')).toBe(true);
  });
});
