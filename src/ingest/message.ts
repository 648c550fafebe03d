// Segment messages as the engine sees them (spec §2): validated once at the edge, so the engine never
// meets a malformed value. Pure: shared by `journeys simulate` and the Kafka processor.
import type { Json, JsonObject } from '../definitions/model';
import { parseTimestamp } from '../lib/time';
import { isJsonObject } from '../lib/own';

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
const TYPE_LIST = [...TYPES].join(', ');

function invalid(reason: string): ParseResult {
  return { ok: false, reason };
}

/** Deeper property or trait values are refused: the state's JSON (and V8's JSON.stringify) must hold them. */
export const MAX_NESTING = 100;

/**
 * Why a property or trait value would not come back the same from the user's state (JSON, in LevelDB and the
 * changelog), or null: a number JSON cannot write (`1e400` parses to Infinity, written back as null), or nesting
 * so deep that writing it would overflow the stack. The processor would otherwise diverge from `simulate` after
 * a restart, or fail the partition's every batch.
 */
function unkeepable(value: Json, depth: number): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : `holds a number out of range (${String(value)})`;
  if (typeof value !== 'object' || value === null) return null;
  if (depth > MAX_NESTING) return `is nested deeper than ${MAX_NESTING} levels`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const why = unkeepable(item, depth + 1);
      if (why !== null) return why;
    }
    return null;
  }
  for (const key in value) {
    const why = unkeepable(value[key] as Json, depth + 1);
    if (why !== null) return why;
  }
  return null;
}

/** Validates a decoded JSON value as a Segment message. */
export function parseMessage(raw: unknown): ParseResult {
  if (!isJsonObject(raw)) return invalid('not a JSON object');
  const type = raw.type;
  if (type === undefined || type === null) return invalid(`no type (one of ${TYPE_LIST})`);
  if (typeof type !== 'string' || !TYPES.has(type)) return invalid(`unknown type ${JSON.stringify(type)} (one of ${TYPE_LIST})`);
  const ts = raw.timestamp;
  if (typeof ts !== 'string') return invalid('timestamp missing or not a string');
  const timestamp = parseTimestamp(ts);
  if (timestamp === null) return invalid(`timestamp ${JSON.stringify(ts)} is not ISO-8601 with Z or an offset`);
  if (raw.properties !== undefined && !isJsonObject(raw.properties)) return invalid('properties is not an object');
  if (raw.traits !== undefined && !isJsonObject(raw.traits)) return invalid('traits is not an object');
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
      // A null name is no name (as a null value is missing everywhere, §4.3): it leaves a `page_name` property be.
      properties = name === undefined || name === null ? props : { ...props, [`${type}_name`]: name };
      break;
    }
  }
  const userId = typeof raw.userId === 'string' && raw.userId !== '' ? raw.userId : null;
  // A lone surrogate (half of a UTF-16 pair) has no UTF-8 form to key the user's state by.
  if (userId !== null && !userId.isWellFormed()) return invalid('userId is not well-formed Unicode (a lone surrogate)');
  const messageId = typeof raw.messageId === 'string' ? raw.messageId : null;
  const traits = type === 'identify' ? ((raw.traits) ?? {}) : null;
  const propertiesWhy = unkeepable(properties, 1);
  if (propertiesWhy !== null) return invalid(`properties ${propertiesWhy}`);
  const traitsWhy = traits === null ? null : unkeepable(traits, 1);
  if (traitsWhy !== null) return invalid(`traits ${traitsWhy}`);
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
