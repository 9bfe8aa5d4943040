/**
 * Benchmark (c): every Lambda handler (`lambda/<name>/index.ts`) bundled the way the stack bundles
 * it (`lib/constructs/TaskFunction.ts`), its size against the 300 KB limit, and the time its module
 * takes to load in a fresh `node` process against a bare `node -e 0`.
 */

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { TASK_FUNCTION_ESBUILD_OPTIONS } from '../local/lambda/bundles.ts';
import { median, ratio, round } from './harness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** The bound on each bundle. */
export const BUNDLE_LIMIT_BYTES = 300 * 1024;

// What `TaskFunction`'s bundling turns into: one definition, shared with local mode's bundles.
export { TASK_FUNCTION_ESBUILD_OPTIONS } from '../local/lambda/bundles.ts';

/** What the stack sets on every function (TaskFunction's `environment`), with stand-in values. */
const FUNCTION_ENVIRONMENT: Record<string, string> = {
  TABLE_NAME: 'rotor-bench',
  TOKEN_PREFIX: 'rtr_',
  NODE_OPTIONS: '--enable-source-maps',
};

/** Stand-in values for the settings handlers read at import with `requiredSetting`. */
const SETTING_VALUES: Record<string, string> = {
  SENDER_ADDRESS: 'rotor@bench.example',
  SECRET_NAME_PREFIX: 'rotor/',
  APP_DEFAULTS: JSON.stringify({
    admins: [],
    locale: 'de',
    timeZone: 'Europe/Berlin',
    intervalSeconds: 180 * 86_400,
    graceSeconds: 7 * 86_400,
    reminderRepeatSeconds: 30 * 86_400,
  }),
};

/** A stand-in for a setting nobody listed above: ARNs look like ARNs, the rest is a word. */
function settingValue(name: string): string {
  const known = SETTING_VALUES[name];
  if (known !== undefined) return known;
  if (name.endsWith('_ARN')) return `arn:aws:lambda:eu-central-1:123456789012:function:rotor-bench-${name}`;
  return 'bench';
}

/** The names a handler's modules read with `requiredSetting('NAME')` (comments, such as TSDoc examples, aside). */
export function requiredSettingNames(sources: readonly string[]): string[] {
  const names = new Set<string>();
  for (const source of sources) {
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const [, name] of code.matchAll(/requiredSetting\(\s*['"`]([A-Z0-9_]+)['"`]/g)) {
      if (name) names.add(name);
    }
  }
  return [...names].sort();
}

/** The handler folders: every `lambda/<name>/index.ts`. */
async function handlerNames(): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, 'lambda'), { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const found = await stat(path.join(ROOT, 'lambda', entry.name, 'index.ts')).catch(() => undefined);
    if (found?.isFile()) names.push(entry.name);
  }
  return names.sort();
}

export interface Bundle {
  readonly handler: string;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly env: Record<string, string>;
  readonly settings: string[];
}

/** Bundles one handler into `outDir/<handler>/index.mjs` with {@link TASK_FUNCTION_ESBUILD_OPTIONS}. */
export async function bundleHandler(handler: string, outDir: string): Promise<Bundle> {
  const outfile = path.join(outDir, handler, 'index.mjs');
  const result = await build({
    ...TASK_FUNCTION_ESBUILD_OPTIONS,
    entryPoints: [path.join('lambda', handler, 'index.ts')],
    outfile,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'warning',
  });
  const ownSources = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('lambda/'));
  const settings = requiredSettingNames(
    await Promise.all(ownSources.map((input) => readFile(path.join(ROOT, input), 'utf8'))),
  );
  return {
    handler,
    file: outfile,
    bytes: (await stat(outfile)).size,
    sourceMapBytes: (await stat(`${outfile}.map`)).size,
    settings,
    env: {
      ...FUNCTION_ENVIRONMENT,
      POWERTOOLS_SERVICE_NAME: `rotor-${handler}`,
      ...Object.fromEntries(settings.map((name) => [name, settingValue(name)])),
    },
  };
}

/** The environment of every child: a PATH, a region and dummy credentials, and every AWS endpoint on a closed local port. */
const BASE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

/** Wall time of one `node` process, and what it printed. */
async function timeNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await run(process.execPath, args, { env: { ...BASE_ENV, ...env }, cwd: tmpdir() });
  return { ms: performance.now() - started, stdout };
}

function importArgs(file: string): string[] {
  const url = pathToFileURL(file).href;
  return [
    '--input-type=module',
    '-e',
    `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`,
  ];
}

export interface BundlesOptions {
  /** Timed `node` processes per handler and for the baseline (after one untimed warm-up each). @default 7 */
  readonly runs?: number;
}

/**
 * Bundles every handler into a temporary folder (with `node_modules/@aws-sdk` linked to the
 * project's, as the Lambda runtime provides the SDK), then times loading each bundle in a fresh
 * process, interleaved with bare `node -e 0` runs so that both see the same machine load.
 */
export async function measureBundles(options: BundlesOptions = {}): Promise<Record<string, unknown>> {
  const runs = options.runs ?? 7;
  const outDir = await mkdtemp(path.join(tmpdir(), 'rotor-bench-bundles-'));
  try {
    await mkdir(path.join(outDir, 'node_modules'));
    await symlink(path.join(ROOT, 'node_modules', '@aws-sdk'), path.join(outDir, 'node_modules', '@aws-sdk'));
    const bundles: Bundle[] = [];
    const failures: Record<string, string> = {};
    for (const handler of await handlerNames()) {
      try {
        bundles.push(await bundleHandler(handler, outDir));
      } catch (error) {
        failures[handler] = `bundling failed: ${(error as Error).message.split('\n')[0]}`;
      }
    }

    const bare = () => timeNode(['-e', '0'], {});
    const load = (bundle: Bundle) => timeNode(importArgs(bundle.file), bundle.env);
    // Warm-up: the file system cache and the SDK's modules. A handler that cannot load is reported, not timed.
    await bare();
    const loadable: Bundle[] = [];
    for (const bundle of bundles) {
      try {
        await load(bundle);
        loadable.push(bundle);
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? String(error);
        failures[bundle.handler] = `loading failed: ${stderr.trim().split('\n').at(-1)}`;
      }
    }
    if (loadable.length === 0) throw new Error(`no handler bundle loads: ${JSON.stringify(failures)}`);
    const bareMs: number[] = [];
    const loads = new Map(
      loadable.map((bundle) => [bundle.handler, { wallMs: [] as number[], importMs: [] as number[] }]),
    );
    for (let i = 0; i < runs; i++) {
      bareMs.push((await bare()).ms);
      for (const bundle of loadable) {
        const { ms, stdout } = await load(bundle);
        const times = loads.get(bundle.handler);
        times?.wallMs.push(ms);
        times?.importMs.push(Number(stdout));
      }
    }

    const bareMedian = median(bareMs);
    const loadFigures = (handler: string) => {
      const times = loads.get(handler);
      if (!times) return { error: failures[handler] };
      const wall = median(times.wallMs);
      return {
        coldProcessMs: round(wall, 1),
        timesBareNode: ratio(wall, bareMedian),
        importMs: round(median(times.importMs), 1),
      };
    };
    const handlers: Record<string, Record<string, unknown>> = Object.fromEntries(
      bundles.map((bundle) => [
        bundle.handler,
        {
          bytes: bundle.bytes,
          ofLimit: ratio(bundle.bytes, BUNDLE_LIMIT_BYTES),
          sourceMapBytes: bundle.sourceMapBytes,
          ...loadFigures(bundle.handler),
          settingsAtImport: bundle.settings,
        },
      ]),
    );
    for (const [handler, error] of Object.entries(failures)) handlers[handler] ??= { error };
    const largest = bundles.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const slowest = loadable
      .map((bundle) => ({
        handler: bundle.handler,
        timesBareNode: loadFigures(bundle.handler).timesBareNode ?? 0,
      }))
      .reduce((a, b) => (b.timesBareNode > a.timesBareNode ? b : a));
    const failed = Object.keys(failures).length > 0;
    return {
      runs,
      bareNodeMs: round(bareMedian, 1),
      handlers,
      maxBytes: {
        handler: largest.handler,
        bytes: largest.bytes,
        ofLimit: ratio(largest.bytes, BUNDLE_LIMIT_BYTES),
      },
      maxTimesBareNode: slowest,
      ...(failed ? { failures } : {}),
      target: {
        rule: `every Lambda bundle is at most ${BUNDLE_LIMIT_BYTES} bytes (300 KB) and loads with the settings the stack gives it`,
        met: !failed && bundles.every((bundle) => bundle.bytes <= BUNDLE_LIMIT_BYTES),
      },
      assumptions: {
        bundling:
          "esbuild with TaskFunction's options: ESM, node24, platform node, minify, external source map, @aws-sdk/* external",
        sizes: 'bytes of index.mjs; the .map file is separate and only read for stack traces',
        loading: `wall time of "node --input-type=module -e await import(bundle)" with the function's environment (NODE_OPTIONS=--enable-source-maps) against "node -e 0", medians of ${runs} runs on Node ${process.versions.node}; the SDK loads from node_modules as the runtime's would`,
      },
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

interface HandlerFigures {
  readonly bytes?: number;
  readonly ofLimit?: number;
  readonly coldProcessMs?: number;
  readonly timesBareNode?: number;
  readonly importMs?: number;
  readonly error?: string;
}

/** The readable report of {@link measureBundles}: one row per handler. */
export function renderBundles(result: {
  bareNodeMs: number;
  runs: number;
  handlers: Record<string, HandlerFigures>;
}): string[] {
  const rows = Object.entries(result.handlers);
  const width = Math.max(7, ...rows.map(([name]) => name.length));
  const cell = (value: number | undefined, width: number, show: (n: number) => string) =>
    (value === undefined ? '-' : show(value)).padStart(width);
  return [
    `  ${'handler'.padEnd(width)}  ${'bundle'.padStart(9)}  ${'of 300 KB'.padStart(9)}  ${'cold process'.padStart(12)}  ${'× node -e 0'.padStart(11)}  ${'import'.padStart(8)}`,
    ...rows.map(([name, figures]) =>
      [
        `  ${name.padEnd(width)}`,
        cell(figures.bytes, 9, (n) => `${(n / 1024).toFixed(1)} KB`),
        cell(figures.ofLimit, 9, (n) => n.toFixed(2)),
        cell(figures.coldProcessMs, 12, (n) => `${n} ms`),
        cell(figures.timesBareNode, 11, (n) => n.toFixed(2)),
        cell(figures.importMs, 8, (n) => `${n} ms`),
        ...(figures.error ? [figures.error] : []),
      ].join('  '),
    ),
    `  bare node -e 0: ${result.bareNodeMs} ms (medians of ${result.runs} runs)`,
  ];
}
