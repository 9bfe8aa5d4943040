import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/**
 * The browser of the browser tests: the Chromium that the `@sparticuz/chromium` devDependency ships
 * inside its npm package, so `npm ci` alone brings it (no system package, no download). Set
 * `CHROMIUM_PATH` to drive another Chromium instead.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? (await unpackedChromium());
  return chromium.launch({
    executablePath,
    timeout: 60_000,
    // As root on a machine with no network but loopback: no sandbox, and nothing that phones home.
    args: [
      '--no-sandbox',
      '--no-zygote',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * Unpacks the packaged Chromium once per installed version into node_modules/.cache and returns its
 * path. The package unpacks into `os.tmpdir()` and trusts whatever it finds there, so it unpacks into
 * a private folder that is renamed into place only when complete: two test files starting at once,
 * or a run killed mid-way, never leave a half-written browser behind for the next run.
 */
async function unpackedChromium(): Promise<string> {
  const manifest = path.resolve('node_modules', '@sparticuz', 'chromium', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const cache = path.resolve('node_modules', '.cache', `rotor-chromium-${version}`);
  const binary = path.join(cache, 'chromium');
  if (existsSync(path.join(cache, 'complete'))) return binary;

  mkdirSync(path.dirname(cache), { recursive: true });
  removeAbandonedUnpacks(cache);
  const partial = mkdtempSync(`${cache}.partial-`);
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = partial;
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    await packaged.executablePath();
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  writeFileSync(path.join(partial, 'complete'), `${version}\n`);
  try {
    renameSync(partial, cache);
  } catch (error) {
    // Another test file finished first: use its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(path.join(cache, 'complete'))) throw error;
  }
  return binary;
}

/** Half-unpacked copies (about 200 MB each) that a killed run left; a live unpack takes seconds. */
function removeAbandonedUnpacks(cache: string): void {
  const folder = path.dirname(cache);
  const stem = `${path.basename(cache)}.partial-`;
  for (const name of readdirSync(folder)) {
    const entry = path.join(folder, name);
    if (name.startsWith(stem) && Date.now() - statSync(entry).mtimeMs > 10 * 60_000) {
      rmSync(entry, { recursive: true, force: true });
    }
  }
}
