/**
 * `npm run schemas`: writes the JSON Schema of each Rotor event's detail to `schemas/events/`, from the
 * contract's schemas (`lambda/contract/rotorEvents.ts`). A test checks the files are current.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toJSONSchema } from 'zod/mini';
import { ROTOR_EVENTS } from '../lambda/contract/notificationEvents.ts';
import { DETAIL_SCHEMAS, DETAIL_TYPES, EVENT_SOURCE, schemaFileOf } from '../lambda/contract/rotorEvents.ts';

export const SCHEMA_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'schemas',
  'events',
);

/** Each event's schema file: its name and its text. */
export function eventSchemaFiles(): Record<string, string> {
  return Object.fromEntries(
    ROTOR_EVENTS.map((event) => {
      const schema = {
        ...toJSONSchema(DETAIL_SCHEMAS[event]),
        $id: `urn:rotor:events:${schemaFileOf(event).replace(/\.json$/, '')}`,
        title: DETAIL_TYPES[event],
        description: `The detail of the EventBridge event with source "${EVENT_SOURCE}" and detail-type "${DETAIL_TYPES[event]}". Never a token value.`,
      };
      return [schemaFileOf(event), `${JSON.stringify(schema, null, 2)}\n`];
    }),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, text] of Object.entries(eventSchemaFiles())) {
    writeFileSync(path.join(SCHEMA_DIR, name), text);
    process.stdout.write(`schemas/events/${name}\n`);
  }
}
