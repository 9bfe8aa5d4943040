import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { bundlesAwsSdk, SDK_BUNDLE_ALIASES } from '../../lib/awsSdkBundling.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What `TaskFunction`'s `bundling` turns into, as aws-cdk-lib's NodejsFunction passes it to esbuild:
 * `--bundle --target=node24 --platform=node --format=esm --minify --sourcemap --sources-content=false
 * --external:@aws-sdk/* --banner:js=... --main-fields=module,main`, run in the project folder.
 * Keep in step with `lib/constructs/TaskFunction.ts`.
 */
export const TASK_FUNCTION_ESBUILD_OPTIONS = {
  bundle: true,
  target: 'node24',
  platform: 'node',
  format: 'esm',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: ['@aws-sdk/*'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  mainFields: ['module', 'main'],
} as const satisfies BuildOptions;

/**
 * {@link TASK_FUNCTION_ESBUILD_OPTIONS} for a handler the stack bundles with the AWS SDK inside
 * (`bundleAwsSdk` in `TaskFunction`): the same, with nothing external and {@link SDK_BUNDLE_ALIASES}.
 */
export function taskFunctionEsbuildOptions(bundleAwsSdk: boolean): BuildOptions {
  return bundleAwsSdk
    ? { ...TASK_FUNCTION_ESBUILD_OPTIONS, external: [], alias: { ...SDK_BUNDLE_ALIASES } }
    : TASK_FUNCTION_ESBUILD_OPTIONS;
}

/** Where a process's local Lambdas come from: one bundle per handler, and the worker that runs one. */
export interface LocalBundles {
  /** `file:` URL of the handler's bundle, by handler folder name. */
  readonly handlers: ReadonlyMap<string, string>;
  /** The worker thread's entry (plain JavaScript). */
  readonly worker: URL;
}

let built: Promise<LocalBundles> | undefined;

/**
 * Bundles every handler as the stack does, the AWS SDK inside or external as it chooses (so local mode
 * runs what Lambda runs), built for this
 * machine's Node.js, plus the worker bootstrap. Bundles are kept in node_modules/.cache under a hash of
 * their sources, so a process, and the next one, build only when a source changed.
 */
export function localBundles(): Promise<LocalBundles> {
  built ??= buildLocalBundles();
  return built;
}

async function buildLocalBundles(): Promise<LocalBundles> {
  const handlers = readdirSync(path.join(ROOT, 'lambda'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(ROOT, 'lambda', entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
  const target = `node${process.versions.node.split('.')[0]}`;
  // Each handler as the stack builds it: with the AWS SDK inside or external (lib/awsSdkBundling.ts).
  const groups = [true, false]
    .map((bundleAwsSdk) => ({
      options: taskFunctionEsbuildOptions(bundleAwsSdk),
      handlers: handlers.filter((handler) => bundlesAwsSdk(handler) === bundleAwsSdk),
    }))
    .filter((group) => group.handlers.length > 0);
  const key = sourceHash([path.join(ROOT, 'lambda'), path.join(ROOT, 'local', 'lambda')], {
    options: groups.map((group) => [group.handlers, group.options]),
    choice: readFileSync(path.join(ROOT, 'lib', 'awsSdkBundling.ts'), 'utf8'),
    target,
    lock: readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'),
    virtualDate: readFileSync(path.join(ROOT, 'local', 'virtualDate.ts'), 'utf8'),
  });
  const cache = path.join(ROOT, 'node_modules', '.cache', 'rotor-local-lambda', key);
  const result = (): LocalBundles => ({
    handlers: new Map(
      handlers.map((handler) => [handler, pathToFileURL(path.join(cache, handler, 'index.mjs')).href]),
    ),
    worker: pathToFileURL(path.join(cache, 'worker.mjs')),
  });
  if (existsSync(path.join(cache, 'worker.mjs'))) return result();

  mkdirSync(path.dirname(cache), { recursive: true });
  const partial = mkdtempSync(`${cache}.partial-`);
  try {
    for (const group of groups) {
      await build({
        ...group.options,
        target,
        entryPoints: group.handlers.map((handler) => ({
          in: path.join('lambda', handler, 'index.ts'),
          out: path.join(handler, 'index'),
        })),
        outdir: partial,
        outExtension: { '.js': '.mjs' },
        absWorkingDir: ROOT,
        logLevel: 'warning',
      });
    }
    // The worker bootstrap last: its presence marks a complete build.
    await build({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target,
      entryPoints: [path.join('local', 'lambda', 'worker.ts')],
      outfile: path.join(partial, 'worker.mjs'),
      absWorkingDir: ROOT,
      logLevel: 'warning',
    });
    renameSync(partial, cache);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    // Another process finished the same build first.
    if (!existsSync(path.join(cache, 'worker.mjs'))) throw error;
  }
  return result();
}

/** A hash of every file below `folders` and of `extra`. */
export function sourceHash(folders: readonly string[], extra: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(extra));
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(full);
      else hash.update(full).update(readFileSync(full));
    }
  };
  for (const folder of folders) visit(folder);
  return hash.digest('hex').slice(0, 16);
}
