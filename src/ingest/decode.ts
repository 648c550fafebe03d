// Input record bytes → Segment message. Values are JSON or Confluent-framed Avro (schemas/segment-message.avsc
// or any record with its field names), told apart by the first byte. Anything that does not decode or is not
// a valid Segment message comes back as a reason for the dead-letter topic; registry outages are thrown
// instead (they are not the message's fault, so the batch is retried rather than the message dead-lettered).
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { registryWriterType } from '../codecs/avro-schemas';
import { ErrorCodes, type ErrorCode } from '../errors';
import { decodeUtf8 } from '../lib/utf8';
import { parseMessage, type Message, type ParseResult } from './message';

export type Decoded = { ok: true; message: Message } | { ok: false; code: ErrorCode; reason: string };

const AVRO_MAGIC = 0;
/** Free-form objects travel as JSON text in the Avro envelope. */
const JSON_TEXT_FIELDS = ['properties', 'traits', 'context'] as const;

/**
 * The largest input message taken, in bytes (of the record value; of the line in `journeys simulate`): a
 * Segment's API takes messages of at most 32 KB, so a larger one is a producer's mistake, dead-lettered rather than kept
 * in a user's state and context.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Why a message of `bytes` is refused, or null when it is within `max`. */
export function oversized(bytes: number, max: number): string | null {
  return bytes > max ? `message of ${bytes} bytes is over the ${max}-byte limit` : null;
}

/**
 * One line of `journeys simulate`'s input (JSON text) as a message, by the processor's rules for a record value:
 * the size limit, JSON, then a valid Segment message.
 */
export function parseLine(line: string): ParseResult {
  const tooLarge = oversized(Buffer.byteLength(line, 'utf8'), MAX_MESSAGE_BYTES);
  if (tooLarge !== null) return { ok: false, reason: tooLarge };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  return parseMessage(raw);
}

function undecodable(reason: string): Decoded {
  return { ok: false, code: ErrorCodes.UNDECODABLE_MESSAGE, reason };
}

export class MessageDecoder {
  private readonly writerTypes = new Map<number, Promise<avro.Type | null>>();

  constructor(private readonly registry: SchemaRegistry | null, private readonly maxBytes: number) {}

  async decode(value: Buffer | null): Promise<Decoded> {
    if (value === null || value.length === 0) return undecodable('empty value (a tombstone is not a message)');
    const tooLarge = oversized(value.length, this.maxBytes);
    if (tooLarge !== null) return { ok: false, code: ErrorCodes.INVALID_MESSAGE, reason: tooLarge };
    let raw: unknown;
    if (value[0] === AVRO_MAGIC) {
      const r = await this.decodeAvro(value);
      if (!r.ok) return r;
      raw = r.raw;
    } else {
      // JSON text is UTF-8 (RFC 8259).
      const text = decodeUtf8(value);
      if (text === null) return undecodable('value is not valid UTF-8');
      try {
        raw = JSON.parse(text);
      } catch {
        return undecodable('value is neither JSON nor Confluent Avro');
      }
    }
    const parsed = parseMessage(raw);
    return parsed.ok ? parsed : { ok: false, code: ErrorCodes.INVALID_MESSAGE, reason: parsed.reason };
  }

  private async decodeAvro(value: Buffer): Promise<{ ok: true; raw: unknown } | (Decoded & { ok: false })> {
    if (value.length < 5) return { ok: false, code: ErrorCodes.UNDECODABLE_MESSAGE, reason: 'truncated Confluent Avro header' };
    const id = value.readUInt32BE(1);
    const type = await this.writerType(id);
    if (type === null) return { ok: false, code: ErrorCodes.UNDECODABLE_MESSAGE, reason: `unknown Avro schema id ${id} (not in the registry, or not an Avro schema)` };
    let record: unknown;
    try {
      record = type.fromBuffer(value.subarray(5));
    } catch (err) {
      return { ok: false, code: ErrorCodes.UNDECODABLE_MESSAGE, reason: `Avro body does not match schema ${id}: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return { ok: false, code: ErrorCodes.UNDECODABLE_MESSAGE, reason: `schema ${id} is not a record` };
    }
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record as Record<string, unknown>)) {
      if (v === null) continue; // Avro's null is JSON's absent
      if ((JSON_TEXT_FIELDS as readonly string[]).includes(k) && typeof v === 'string') {
        try {
          raw[k] = JSON.parse(v);
        } catch {
          return { ok: false, code: ErrorCodes.INVALID_MESSAGE, reason: `${k} is not JSON text` };
        }
      } else {
        raw[k] = v;
      }
    }
    return { ok: true, raw };
  }

  private writerType(id: number): Promise<avro.Type | null> {
    let type = this.writerTypes.get(id);
    if (type === undefined) {
      const registry = this.registry;
      // The record's fault (an unknown id, no Avro schema) is kept; the registry down is thrown, and not kept.
      type = registry === null
        ? Promise.resolve(null)
        : registryWriterType(registry, id).then(
          (w) => (w.ok ? w.type : null),
          (err: unknown) => {
            this.writerTypes.delete(id);
            throw err;
          },
        );
      this.writerTypes.set(id, type);
    }
    return type;
  }
}
