// The Avro schemas in schemas/ parse, live in one namespace, carry every transition field of spec §5, and
// round-trip the shared samples locally (the integration tests do the same through the registry and broker).
import * as avro from 'avsc';
import { AVRO_SCHEMA_FILES, loadAvroSchema } from '../../../src/codecs/avro-schemas';
import type { AvroSchemaName } from '../../../src/codecs/avro-schemas';
import { AVRO_SAMPLES } from '../../fixtures/avro-samples';

const names = Object.keys(AVRO_SCHEMA_FILES) as AvroSchemaName[];
const recordType = (name: AvroSchemaName) => avro.Type.forSchema(loadAvroSchema(name)) as avro.types.RecordType;
const fieldTypes = (name: AvroSchemaName) => Object.fromEntries(recordType(name).fields.map((f) => [f.name, f.type.typeName]));

describe('Avro schemas', () => {
  it.each(names)('%s is a record in namespace io.kafkajourneys', (name) => {
    const type = recordType(name);
    expect(type.typeName).toBe('record');
    expect(type.name).toMatch(/^io\.kafkajourneys\.[A-Z]\w+$/);
  });

  it.each(names)('%s round-trips its samples', (name) => {
    const type = recordType(name);
    expect(AVRO_SAMPLES[name].length).toBeGreaterThan(0);
    for (const sample of AVRO_SAMPLES[name]) {
      expect(type.isValid(sample)).toBe(true);
      expect(type.fromBuffer(type.toBuffer(sample))).toEqual(sample);
    }
  });

  it('the transition record has exactly the fields of spec §5, nullable where the spec allows null or absence', () => {
    expect(fieldTypes('transition')).toEqual({
      id: 'string', journey: 'string', version: 'int', instance: 'string', seq: 'long', userId: 'string',
      from: 'union:unwrapped', to: 'string', reason: 'string', at: 'string',
      cause: 'union:unwrapped', send: 'union:unwrapped', context: 'string', sent: 'union:unwrapped',
    });
    const transition = recordType('transition');
    const send = transition.field('send').type as avro.types.UnwrappedUnionType;
    const sendRecord = send.types[1] as avro.types.RecordType;
    expect(sendRecord.fields.map((f) => f.name)).toEqual(['to', 'event', 'traits']);
    const cause = (transition.field('cause').type as avro.types.UnwrappedUnionType).types[1] as avro.types.RecordType;
    expect(cause.fields.map((f) => f.name)).toEqual(['messageId', 'event']);
  });

  it('the Segment envelope covers the message types and fields of spec §2', () => {
    expect(Object.keys(fieldTypes('segmentMessage'))).toEqual(
      expect.arrayContaining(['type', 'userId', 'anonymousId', 'messageId', 'timestamp', 'event', 'name', 'properties', 'traits', 'context']),
    );
    expect(new Set(AVRO_SAMPLES.segmentMessage.map((m) => m.type))).toEqual(new Set(['track', 'identify', 'page', 'screen', 'group', 'alias']));
    // Free-form objects travel as JSON text.
    for (const m of AVRO_SAMPLES.segmentMessage) {
      for (const f of ['properties', 'traits', 'context']) if (m[f] !== null) expect(typeof JSON.parse(m[f] as string)).toBe('object');
    }
  });

  it('the dead-letter envelope keeps the original bytes and where they came from', () => {
    expect(fieldTypes('deadLetter')).toEqual(
      expect.objectContaining({ topic: 'string', partition: 'int', offset: 'long', key: 'union:unwrapped', value: 'union:unwrapped', errorCode: 'string', reason: 'string', at: 'string' }),
    );
  });
});
