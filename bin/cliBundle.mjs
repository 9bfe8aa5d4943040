// The `rotor` CLI as one esbuild bundle: cli/ and the lambda/contract/ it may import, kept in
// node_modules/.cache/rotor-cli under a hash of those sources, the lock file and Node's version, so an
// edit to a source builds a new bundle on the next run. See bin/rotor.mjs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** What the CLI is made of besides node_modules (the dependency rules keep it to these). */
const SOURCES = ['cli', path.join('lambda', 'contract')];
const ENTRY =
  "import { main } from './cli/index.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n";

function sourceHash(root) {
  const hash = createHash('sha256').update(process.version).update(ENTRY);
  hash.update(readFileSync(path.join(root, 'package-lock.json')));
  const visit = (folder) => {
    const entries = readdirSync(path.join(root, folder), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(file);
      else hash.update(file).update(readFileSync(path.join(root, file)));
    }
  };
  for (const folder of SOURCES) visit(folder);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The path of the CLI's bundle for the sources below `root` as they are now: built (into a folder of its
 * own, then renamed, so concurrent runs never see half a bundle) when missing. Throws when esbuild is
 * missing or fails, or when the CLI imports a file outside cli/ and lambda/contract/.
 */
export async function cliBundle(root) {
  const folder = path.join(root, 'node_modules', '.cache', 'rotor-cli', sourceHash(root));
  const file = path.join(folder, 'rotor.mjs');
  if (existsSync(file)) return file;
  const { build } = await import('esbuild');
  mkdirSync(path.dirname(folder), { recursive: true });
  const partial = mkdtempSync(`${folder}.partial-`);
  try {
    const { metafile } = await build({
      stdin: { contents: ENTRY, resolveDir: root, sourcefile: 'rotor-entry.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // The SDK is loaded from node_modules, and only by the commands that call AWS.
      external: ['@aws-sdk/*', '@smithy/*'],
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      outfile: path.join(partial, 'rotor.mjs'),
      absWorkingDir: root,
      metafile: true,
      logLevel: 'silent',
    });
    const outside = Object.keys(metafile.inputs).filter(
      (input) =>
        !input.startsWith('node_modules/') &&
        input !== 'rotor-entry.ts' &&
        !SOURCES.some((source) => input.startsWith(`${source.split(path.sep).join('/')}/`)),
    );
    // A source the hash does not cover could go stale in the bundle: run through tsx instead.
    if (outside.length > 0) throw new Error(`the CLI imports ${outside.join(', ')}`);
    renameSync(partial, folder);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    // Another `rotor` finished the same build first.
    if (!existsSync(file)) throw error;
  }
  return file;
}
