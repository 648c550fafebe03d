// The transitions topic's wire format: Avro in the Confluent framing (magic byte 0, 4-byte schema id, Avro
// binary of schemas/transition.avsc, `traits` and `context` as JSON text) or plain JSON. Readers tell the two
// apart by the first byte, so a topic may hold both (e.g. after a `--transitions-format` change).
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { JsonObject } from '../definitions/model';
import type { Transition, TransitionReason } from '../engine/transition';
import { ErrorCodes, JourneyError } from '../errors';
import { isJsonObject } from '../lib/own';
import { loadAvroSchema, registryWriterType } from './avro-schemas';

export type TransitionsFormat = 'avro' | 'json';

interface AvroTransition {
  id: string; journey: string; version: number; instance: string; seq: number; userId: string;
  from: string | null; to: string; reason: string; at: string;
  cause: { messageId: string | null; event: string | null } | null;
  send: { to: string[]; event: string; traits: string } | null;
  context: string;
  sent: string[] | null;
}

const MAGIC = 0;

function toAvro(t: Transition): AvroTransition {
  return {
    id: t.id, journey: t.journey, version: t.version, instance: t.instance, seq: t.seq, userId: t.userId,
    from: t.from, to: t.to, reason: t.reason, at: t.at, cause: t.cause,
    send: t.send === undefined ? null : { to: t.send.to, event: t.send.event, traits: JSON.stringify(t.send.traits) },
    context: JSON.stringify(t.context),
    sent: t.sent ?? null,
  };
}

function fromAvro(a: AvroTransition): Transition {
  return {
    id: a.id, journey: a.journey, version: a.version, instance: a.instance, seq: a.seq, userId: a.userId,
    from: a.from, to: a.to, reason: a.reason as TransitionReason, at: a.at,
    cause: a.cause === null ? null : { messageId: a.cause.messageId, event: a.cause.event },
    ...(a.send === null ? {} : { send: { to: a.send.to, event: a.send.event, traits: JSON.parse(a.send.traits) as JsonObject } }),
    context: JSON.parse(a.context) as JsonObject,
    ...(a.sent === null ? {} : { sent: a.sent }),
  };
}

export interface TransitionEncoder {
  readonly format: TransitionsFormat;
  encode(t: Transition): Buffer;
}

export const jsonTransitionEncoder: TransitionEncoder = {
  format: 'json',
  encode: (t) => Buffer.from(JSON.stringify(t), 'utf8'),
};

const transitionType = avro.Type.forSchema(loadAvroSchema('transition'));

/** Registers schemas/transition.avsc under `subject` (TopicNameStrategy: `<topic>-value`) and encodes with it. */
export async function avroTransitionEncoder(registry: SchemaRegistry, subject: string): Promise<TransitionEncoder> {
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(loadAvroSchema('transition')) }, { subject });
  const header = Buffer.alloc(5);
  header.writeUInt8(MAGIC, 0);
  header.writeUInt32BE(id, 1);
  return {
    format: 'avro',
    encode: (t) => Buffer.concat([header, transitionType.toBuffer(toAvro(t))]),
  };
}

/** Reads a transition written in either format (Avro writer schemas are fetched from the registry by id, once). */
export class TransitionDecoder {
  private readonly types = new Map<number, Promise<avro.Type>>();
  private readonly resolvers = new Map<number, ReturnType<avro.Type['createResolver']>>();

  constructor(private readonly registry: SchemaRegistry | null) {}

  async decode(value: Buffer): Promise<Transition> {
    if (value.length > 0 && value[0] === MAGIC) {
      if (value.length < 5) throw new JourneyError(ErrorCodes.UNDECODABLE_MESSAGE, 'transition record: truncated Avro header');
      // Resolve from the writer's schema to ours so older or newer writers still decode. Building a resolver
      // costs far more than decoding a record: one per writer schema id, kept.
      const id = value.readUInt32BE(1);
      const resolver = this.resolvers.get(id) ?? (await this.resolverFor(id));
      return fromAvro(transitionType.fromBuffer(value.subarray(5), resolver) as AvroTransition);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(value.toString('utf8'));
    } catch (err) {
      throw new JourneyError(ErrorCodes.UNDECODABLE_MESSAGE, 'transition record is neither Confluent Avro nor JSON', { cause: err });
    }
    return checkedTransition(raw);
  }

  private async resolverFor(id: number): Promise<ReturnType<avro.Type['createResolver']>> {
    const resolver = transitionType.createResolver(await this.writerType(id));
    this.resolvers.set(id, resolver);
    return resolver;
  }

  /**
   * The writer's schema by id. An unknown id, or a schema that is no Avro one, is the record's fault
   * (UNDECODABLE_MESSAGE: dead-lettered); the registry down or failing (an HTTP status, 400 for a network error)
   * is not (INFRA: the batch is tried again, the record not dead-lettered), and is not cached.
   */
  private writerType(id: number): Promise<avro.Type> {
    let type = this.types.get(id);
    if (type === undefined) {
      const registry = this.registry;
      if (registry === null) throw new JourneyError(ErrorCodes.UNDECODABLE_MESSAGE, `transition record in Avro (schema id ${id}) but no schema registry configured`);
      type = registryWriterType(registry, id).then(
        (w) => {
          if (w.ok) return w.type;
          throw new JourneyError(ErrorCodes.UNDECODABLE_MESSAGE, w.why === 'unknown' ? `transition record: unknown schema id ${id}` : `transition record: schema id ${id} is not an Avro schema`);
        },
        (err: unknown) => {
          this.types.delete(id);
          throw new JourneyError(ErrorCodes.INFRA, `schema registry: schema id ${id} could not be fetched (${err instanceof Error ? err.message : String(err)})`, { cause: err });
        },
      );
      type.catch(() => undefined);
      this.types.set(id, type);
    }
    return type;
  }
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * A JSON record checked against the transition's shape (spec §5), so that a reader never meets a malformed one
 * past the decoder: a record another producer wrote to the topic is dead-lettered, not a crash of every sink.
 */
function checkedTransition(raw: unknown): Transition {
  const wrong = (what: string) => new JourneyError(ErrorCodes.UNDECODABLE_MESSAGE, `transition record: ${what}`);
  if (!isJsonObject(raw)) throw wrong('not a JSON object');
  for (const f of ['id', 'journey', 'instance', 'userId', 'to', 'reason', 'at'] as const) if (typeof raw[f] !== 'string') throw wrong(`${f} is not a string`);
  for (const f of ['version', 'seq'] as const) if (typeof raw[f] !== 'number') throw wrong(`${f} is not a number`);
  if (raw.from !== null && typeof raw.from !== 'string') throw wrong('from is not a string or null');
  const { cause, send, context, sent } = raw;
  if (cause !== null && !(isJsonObject(cause) && (cause.messageId === null || typeof cause.messageId === 'string') && (cause.event === null || typeof cause.event === 'string'))) {
    throw wrong('cause is not null or { messageId, event }');
  }
  if (send !== undefined && !(isJsonObject(send) && isStringList(send.to) && typeof send.event === 'string' && isJsonObject(send.traits))) throw wrong('send is not { to, event, traits }');
  if (!isJsonObject(context)) throw wrong('context is not an object');
  if (sent !== undefined && !isStringList(sent)) throw wrong('sent is not a list of step ids');
  return raw as unknown as Transition;
}
