import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROTOR_EVENTS } from '../lambda/contract/notificationEvents.ts';
import { DETAIL_TYPES, EVENT_SOURCE, schemaFileOf } from '../lambda/contract/rotorEvents.ts';
import type { ReceivedEvent } from './eventbridge/server.ts';
import { SCHEMA_DIR } from './eventSchemas.ts';

/** The committed JSON Schemas (`schemas/events/`), compiled once, by detail-type. */
const validators = (() => {
  // strict: false lets `format: date-time` pass as an annotation; its `pattern` checks the time.
  const ajv = new Ajv2020({ strict: false, allErrors: true, formats: { 'date-time': true } });
  return new Map(
    ROTOR_EVENTS.map((event) => [
      DETAIL_TYPES[event],
      ajv.compile(JSON.parse(readFileSync(path.join(SCHEMA_DIR, schemaFileOf(event)), 'utf8'))),
    ]),
  );
})();

/** What is wrong with a received event, judged by its detail-type's committed schema; nothing when it is valid. */
export function eventProblems(event: Pick<ReceivedEvent, 'source' | 'detailType' | 'detail'>): string[] {
  if (event.source !== EVENT_SOURCE)
    return [`source is ${JSON.stringify(event.source)}, not "${EVENT_SOURCE}"`];
  const validate = validators.get(event.detailType);
  if (!validate) return [`detail-type ${JSON.stringify(event.detailType)} has no schema`];
  if (validate(event.detail)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}
