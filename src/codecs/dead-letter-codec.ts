// Dead letters (schemas/dead-letter.avsc): the original bytes and where they came from, plus why. Avro in
// the Confluent framing when a registry is configured, else JSON (bytes as base64).
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { IHeaders } from 'kafkajs';
import { loadAvroSchema } from './avro-schemas';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
  /** Kafka timestamp of the original record (ms since the epoch, as kafkajs gives it). */
  recordTimestamp: string;
  errorCode: string;
  reason: string;
  at: string;
}

interface AvroDeadLetter {
  topic: string; partition: number; offset: number; key: Buffer | null; value: Buffer | null;
  headers: { key: string; value: Buffer | null }[]; recordTimestamp: number | null; errorCode: string; reason: string; at: string;
}

function headerList(headers: IHeaders | undefined): { key: string; value: Buffer | null }[] {
  const out: { key: string; value: Buffer | null }[] = [];
  for (const [key, v] of Object.entries(headers ?? {})) {
    // A header written with a null value (Java's RecordHeader(key, null)) reads back as null: kept as null.
    for (const one of Array.isArray(v) ? v : [v]) out.push({ key, value: one === undefined || one === null ? null : Buffer.from(one) });
  }
  return out;
}

function toAvro(d: DeadLetter): AvroDeadLetter {
  const ts = Number(d.recordTimestamp);
  return {
    topic: d.topic, partition: d.partition, offset: Number(d.offset), key: d.key, value: d.value, headers: headerList(d.headers),
    recordTimestamp: Number.isFinite(ts) ? ts : null, errorCode: d.errorCode, reason: d.reason, at: d.at,
  };
}

const deadLetterType = avro.Type.forSchema(loadAvroSchema('deadLetter'));

export type DeadLetterEncoder = (d: DeadLetter) => Buffer;

export function jsonDeadLetterEncoder(d: DeadLetter): Buffer {
  const a = toAvro(d);
  return Buffer.from(JSON.stringify({
    ...a, key: a.key?.toString('base64') ?? null, value: a.value?.toString('base64') ?? null,
    headers: a.headers.map((h) => ({ key: h.key, value: h.value?.toString('base64') ?? null })),
  }));
}

export async function avroDeadLetterEncoder(registry: SchemaRegistry, subject: string): Promise<DeadLetterEncoder> {
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(loadAvroSchema('deadLetter')) }, { subject });
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  return (d) => Buffer.concat([header, deadLetterType.toBuffer(toAvro(d))]);
}

/** Reads a dead letter in either encoding (Avro with our schema). */
export function decodeDeadLetter(value: Buffer): AvroDeadLetter {
  if (value[0] === 0) return deadLetterType.fromBuffer(value.subarray(5)) as AvroDeadLetter;
  const j = JSON.parse(value.toString('utf8')) as Omit<AvroDeadLetter, 'key' | 'value' | 'headers'> & { key: string | null; value: string | null; headers: { key: string; value: string | null }[] };
  const b = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));
  return { ...j, key: b(j.key), value: b(j.value), headers: j.headers.map((h) => ({ key: h.key, value: b(h.value) })) };
}
