// Segment messages as the engine sees them (spec §2): validated once at the edge, so the engine never
// meets a malformed value. Pure: shared by `journeys simulate` and the Kafka processor.
import type { Json, JsonObject } from '../definitions/model';
import { parseTimestamp } from '../lib/time';

export type MessageType = 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';

export interface Message {
  type: MessageType;
  /** null when missing or not a non-empty string: such messages are counted and skipped. */
  userId: string | null;
  /** null: processed without deduplication. */
  messageId: string | null;
  /** Event time, epoch milliseconds. */
  timestamp: number;
  /** The journey event name: `event` of a track, `Page Viewed` / `Screen Viewed`; null for the others. */
  event: string | null;
  /** Event properties (page/screen `name` added as `page_name`/`screen_name`); {} for non-events. */
  properties: JsonObject;
  /** identify traits; null for the others. */
  traits: JsonObject | null;
}

export type ParseResult = { ok: true; message: Message } | { ok: false; reason: string };

const TYPES = new Set<string>(['track', 'page', 'screen', 'identify', 'group', 'alias']);

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(reason: string): ParseResult {
  return { ok: false, reason };
}

/** Validates a decoded JSON value as a Segment message. */
export function parseMessage(raw: unknown): ParseResult {
  if (!isObject(raw)) return invalid('not a JSON object');
  const type = raw.type;
  if (typeof type !== 'string' || !TYPES.has(type)) return invalid(`unknown type ${JSON.stringify(type ?? null)}`);
  const ts = raw.timestamp;
  if (typeof ts !== 'string') return invalid('timestamp missing or not a string');
  const timestamp = parseTimestamp(ts);
  if (timestamp === null) return invalid(`timestamp ${JSON.stringify(ts)} is not ISO-8601 with Z or an offset`);
  if (raw.properties !== undefined && !isObject(raw.properties)) return invalid('properties is not an object');
  if (raw.traits !== undefined && !isObject(raw.traits)) return invalid('traits is not an object');
  let event: string | null = null;
  let properties: JsonObject = {};
  const props = (raw.properties) ?? {};
  switch (type) {
    case 'track':
      if (typeof raw.event !== 'string') return invalid('track without a string event');
      event = raw.event;
      properties = props;
      break;
    case 'page':
    case 'screen': {
      event = type === 'page' ? 'Page Viewed' : 'Screen Viewed';
      const name: Json | undefined = raw.name;
      properties = name === undefined ? props : { ...props, [`${type}_name`]: name };
      break;
    }
  }
  const userId = typeof raw.userId === 'string' && raw.userId !== '' ? raw.userId : null;
  const messageId = typeof raw.messageId === 'string' ? raw.messageId : null;
  const traits = type === 'identify' ? ((raw.traits) ?? {}) : null;
  return { ok: true, message: { type: type as MessageType, userId, messageId, timestamp, event, properties, traits } };
}

/** The processor's two inputs, merged per partition number (spec §7). */
export type Side = 'events' | 'traits';

/**
 * Whether the events input's next message goes before the traits input's when the two are merged (spec §7): the
 * earlier timestamp first, traits first at equal timestamps, so that a user's identify and track messages are
 * seen in the order they happened. Each input stays in its own order.
 */
export function eventsGoFirst(events: Message, traits: Message): boolean {
  return events.timestamp < traits.timestamp;
}
