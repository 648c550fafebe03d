// The Avro schemas in schemas/ (shipped with the package), by name.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro, { type Schema } from 'avsc';

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

/** A writer's schema looked up by its id in the registry: its Avro type, or why there is none (the record's fault). */
export type WriterType = { ok: true; type: avro.Type } | { ok: false; why: 'unknown' | 'not-avro' };

/**
 * The writer's type of a Confluent-framed record. An unknown id (404), or a schema that is no Avro one (a JSON
 * Schema or Protobuf subject: avsc refuses it, or the registry client fails to build it, an error without an HTTP
 * status), is the record's fault. The registry down or failing is not (its client reports an HTTP status, 400 for
 * a network error): thrown, for the caller to try again rather than give the record up.
 */
export async function registryWriterType(registry: SchemaRegistry, id: number): Promise<WriterType> {
  let schema: unknown;
  try {
    schema = await registry.getSchema(id);
  } catch (err) {
    const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
    if (status === 404) return { ok: false, why: 'unknown' };
    if (typeof status !== 'number') return { ok: false, why: 'not-avro' };
    throw err;
  }
  try {
    return { ok: true, type: avro.Type.forSchema(schema as Schema) };
  } catch {
    return { ok: false, why: 'not-avro' };
  }
}
