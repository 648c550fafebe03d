// The Avro schemas in schemas/ (shipped with the package), by name.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Schema } from 'avsc';

/** schemas/ at the package root: two levels above both src/codecs and dist/codecs. */
export const SCHEMAS_DIR = resolve(__dirname, '..', '..', 'schemas');

export const AVRO_SCHEMA_FILES = {
  segmentMessage: 'segment-message.avsc',
  transition: 'transition.avsc',
  deadLetter: 'dead-letter.avsc',
} as const;

export type AvroSchemaName = keyof typeof AVRO_SCHEMA_FILES;

/** The parsed schema (JSON), ready for avsc's `Type.forSchema` or a registry `register`. */
export function loadAvroSchema(name: AvroSchemaName): Schema {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, AVRO_SCHEMA_FILES[name]), 'utf8')) as Schema;
}
