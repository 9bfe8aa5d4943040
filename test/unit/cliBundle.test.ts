import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBundle } from '../../bin/cliBundle.mjs';

/** bin/rotor.mjs runs the CLI from this bundle: it must never run sources older than the ones on disk. */
const run = promisify(execFile);
const roots: string[] = [];

function project(cli: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'rotor-cli-bundle-'));
  roots.push(root);
  mkdirSync(path.join(root, 'cli'));
  mkdirSync(path.join(root, 'lambda', 'contract'), { recursive: true });
  writeFileSync(path.join(root, 'package-lock.json'), '{}');
  writeFileSync(path.join(root, 'lambda', 'contract', 'greeting.ts'), "export const GREETING = 'hello';\n");
  writeFileSync(path.join(root, 'cli', 'index.ts'), cli);
  return root;
}

const cliSaying = (word: string) =>
  `import { GREETING } from '../lambda/contract/greeting.ts';\nexport async function main(args: string[]): Promise<number> {\n  console.log(GREETING, '${word}', ...args);\n  return 0;\n}\n`;

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('The rotor command runs a bundle of the CLI', () => {
  it('builds it once, and again after a source changed, so an edit is never run stale', async () => {
    // Prepare
    const root = project(cliSaying('v1'));

    // Act
    const first = await cliBundle(root);
    const again = await cliBundle(root);
    writeFileSync(path.join(root, 'lambda', 'contract', 'greeting.ts'), "export const GREETING = 'hi';\n");
    const edited = await cliBundle(root);

    // Assess
    expect(again).toBe(first);
    expect(edited).not.toBe(first);
    expect((await run(process.execPath, [first, 'apps'])).stdout).toBe('hello v1 apps\n');
    expect((await run(process.execPath, [edited, 'apps'])).stdout).toBe('hi v1 apps\n');
  });

  it('refuses to bundle a CLI that imports a file its hash does not cover (the command then runs the sources)', async () => {
    // Prepare
    const root = project(
      "import { EXTRA } from '../local/extra.ts';\nexport async function main(): Promise<number> {\n  console.log(EXTRA);\n  return 0;\n}\n",
    );
    mkdirSync(path.join(root, 'local'));
    writeFileSync(path.join(root, 'local', 'extra.ts'), "export const EXTRA = 'x';\n");

    // Act + Assess
    await expect(cliBundle(root)).rejects.toThrow('the CLI imports local/extra.ts');
  });
});
