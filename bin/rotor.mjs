#!/usr/bin/env node
// The `rotor` command: registers tsx so Node runs the TypeScript CLI as it is, then runs it.
import { register } from 'tsx/esm/api';

register();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
