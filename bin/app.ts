#!/usr/bin/env node
import { ConfigurationError } from '../lambda/contract/errors.ts';
import { buildRotorApp } from '../lib/app.ts';

try {
  buildRotorApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`rotor: ${error.message}`);
  process.exit(1);
}
