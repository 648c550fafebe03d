// Every schema in schemas/ through the real registry (Confluent API) and the real broker: register it, encode
// samples with avsc in the Confluent wire format, decode them back with the registry client, field for field.
import { readdirSync } from 'node:fs';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import * as avro from 'avsc';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { AVRO_SCHEMA_FILES, SCHEMAS_DIR, loadAvroSchema } from '../../src/codecs/avro-schemas';
import { SchemaRegistry as Registry } from '@kafkajs/confluent-schema-registry';
import { MessageDecoder } from '../../src/ingest/decode';
import { TransitionDecoder } from '../../src/codecs/transition-codec';
import type { AvroSchemaName } from '../../src/codecs/avro-schemas';
import { AVRO_SAMPLES } from '../fixtures/avro-samples';
import { connectedAdmin, connectedProducer, consumeUntil, createTopics, infra, kafkaClient, schemaRegistry, uniqueName } from '../helpers/kafka';

/** Confluent wire format: magic byte 0, schema id (int32 big-endian), Avro binary. */
function wire(id: number, avroBytes: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, avroBytes]);
}

const names = Object.keys(AVRO_SCHEMA_FILES) as AvroSchemaName[];

describe('schema registry', () => {
  let registry: SchemaRegistry;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    registry = schemaRegistry();
    kafka = kafkaClient();
    admin = await connectedAdmin(kafka);
    producer = await connectedProducer(kafka);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it('has a test for every .avsc file in schemas/', () => {
    const files = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.avsc')).sort();
    expect(files).toEqual(Object.values(AVRO_SCHEMA_FILES).sort());
  });

  it('answers the Confluent API at the configured URL', async () => {
    const res = await fetch(`${infra().registryUrl}/subjects`);
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
  });

  it.each(names)('%s: registers, and decodes avsc-encoded wire-format records field for field, also after a trip through Kafka', async (name) => {
    const schema = loadAvroSchema(name);
    const type = avro.Type.forSchema(schema) as avro.types.RecordType;
    const topic = uniqueName(`it-avro-${name}`);
    const subject = `${topic}-value`;

    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    expect(Number.isInteger(id)).toBe(true);
    // Registering the same schema again gives the same id.
    expect((await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject })).id).toBe(id);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const samples = AVRO_SAMPLES[name];
    const encoded = samples.map((sample) => wire(id, type.toBuffer(sample)));
    const fields = type.fields.map((f) => f.name);

    const expectSame = (decoded: unknown, sample: Record<string, unknown>) => {
      for (const field of fields) expect({ field, value: (decoded as Record<string, unknown>)[field] }).toEqual({ field, value: sample[field] });
    };

    for (const [i, bytes] of encoded.entries()) {
      expect(bytes.readUInt8(0)).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(id);
      expectSame(await registry.decode(bytes), samples[i]!);
      // The registry client's own encoder writes the same bytes.
      expect(await registry.encode(id, samples[i])).toEqual(bytes);
    }

    // Through the broker: produce the wire-format values, read them back, decode.
    await createTopics(admin, [{ topic }]);
    await producer.send({ topic, acks: -1, messages: encoded.map((value, i) => ({ key: String(i), value })) });
    const received = await consumeUntil(kafka, topic, (rs) => rs.length === samples.length);
    for (const r of received) {
      const i = Number(r.message.key!.toString());
      expect(r.message.value).toEqual(encoded[i]);
      expectSame(await registry.decode(r.message.value!), samples[i]!);
    }
  });

  it('input decoding: an id of a JSON Schema subject or an unknown id is the message\'s fault (dead-lettered); an unreachable registry is not', async () => {
    const subject = `${uniqueName('it-json-schema')}-value`;
    const { id } = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }) }, { subject });
    const decoder = new MessageDecoder(registry, 256 * 1024);
    const body = Buffer.from('{"type":"track"}');
    for (const schemaId of [id, 987_654_321]) {
      // Twice: the outcome is remembered, not an error the next message meets.
      for (let i = 0; i < 2; i++) {
        expect(await decoder.decode(wire(schemaId, body))).toEqual({
          ok: false, code: 'JRN_ERR_UNDECODABLE_MESSAGE', reason: `unknown Avro schema id ${schemaId} (not in the registry, or not an Avro schema)`,
        });
      }
    }
    const down = new MessageDecoder(new Registry({ host: 'http://127.0.0.1:1' }), 256 * 1024);
    await expect(down.decode(wire(id, body))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('transition decoding (the sink): an unknown id is the record\'s fault; an unreachable registry is not, and is asked again', async () => {
    const body = Buffer.from([1, 2, 3]);
    await expect(new TransitionDecoder(registry).decode(wire(987_654_321, body))).rejects.toMatchObject({ code: 'JRN_ERR_UNDECODABLE_MESSAGE' });
    const down = new TransitionDecoder(new Registry({ host: 'http://127.0.0.1:1' }));
    for (let i = 0; i < 2; i++) {
      const err = await down.decode(wire(987_654_321, body)).then(() => null, (e: unknown) => e as { code?: unknown; message?: unknown });
      expect([err?.code, String(err?.message).includes('ECONNREFUSED')]).toEqual(['JRN_ERR_INFRA', true]);
    }
  });
});
