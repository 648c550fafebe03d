// The dead letters of bad input keep the record as it came: key, value and headers, also a header whose value
// is null (Java's RecordHeader(key, null), which kafkajs reads back as null).
import type { IHeaders } from 'kafkajs';
import { decodeDeadLetter, jsonDeadLetterEncoder, type DeadLetter } from '../../../src/codecs/dead-letter-codec';

test('a dead letter keeps every header, a null value as null and a repeated key as two headers', () => {
  const headers = { trace: Buffer.from('t-1'), empty: null, twice: ['a', Buffer.from('b')] } as unknown as IHeaders;
  const letter: DeadLetter = {
    topic: 'journeys.events', partition: 3, offset: '42', key: Buffer.from('u1'), value: Buffer.from('not json'), headers,
    recordTimestamp: '1767261600000', errorCode: 'JRN_ERR_UNDECODABLE_MESSAGE', reason: 'value is neither JSON nor Confluent Avro', at: '2026-01-01T10:00:00.000Z',
  };
  const read = decodeDeadLetter(jsonDeadLetterEncoder(letter));
  expect(read.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([['trace', 't-1'], ['empty', null], ['twice', 'a'], ['twice', 'b']]);
  expect([read.topic, read.partition, read.offset, read.key?.toString(), read.value?.toString(), read.recordTimestamp]).toEqual(['journeys.events', 3, 42, 'u1', 'not json', 1767261600000]);
});
