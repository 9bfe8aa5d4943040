import { Registry } from '../store/Registry.ts';
import { documentClient } from './aws/dynamodb.ts';
import { readRuntimeSettings } from './settings.ts';

/** The settings every Rotor function reads at cold start. */
export const settings = readRuntimeSettings();

/** The registry of this execution environment. */
export const registry = new Registry({ documentClient, tableName: settings.tableName });
