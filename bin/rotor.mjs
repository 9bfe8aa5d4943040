#!/usr/bin/env node
// The `rotor` command. It runs the TypeScript CLI from one bundle (bin/cliBundle.mjs), built on first
// use: a command then starts on about a quarter of the CPU that loading the sources one by one through
// tsx takes (0.3 s instead of 1.2 s here). Without esbuild, or if the build fails, it runs the sources
// through tsx.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliBundle } from './cliBundle.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let bundle;
try {
  bundle = await cliBundle(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
} catch {
  bundle = undefined;
}
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/index.ts');
  process.exitCode = await main(process.argv.slice(2));
}
