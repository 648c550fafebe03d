// The kafkajs patch (patches/kafkajs+2.2.4.patch) writes a produce request's uncompressed record batch straight
// into one buffer (encodeDirect) instead of an encoder per record copied into the batch's. Every transition,
// changelog record and dead letter goes through it, and the broker refuses a batch whose bytes or CRC are off:
// so it must write exactly the bytes kafkajs' own Record + RecordBatch encoders write, for every kind of message.
import { prng } from '../../../src/demo/workload';

/* eslint-disable @typescript-eslint/no-require-imports */
const encodeDirect = require('kafkajs/src/protocol/recordBatch/v0/encodeDirect') as (o: DirectInput) => { buffer: Buffer } | null;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: Record<string, unknown>) => Promise<EncoderLike> };
const RecordEncoder = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: Record<string, unknown>) => EncoderLike;
const Encoder = require('kafkajs/src/protocol/encoder') as new () => EncoderLike;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: string | number): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

interface EncoderLike {
  buffer: Buffer;
  size(): number;
  writeInt32(v: number): EncoderLike;
  writeEncoder(e: EncoderLike): EncoderLike;
}
type Value = Buffer | string | null | undefined;
interface Message { key?: Value; value: Value; headers?: Record<string, Buffer | string | (Buffer | string)[]>; timestamp?: number | string }
interface DirectInput { partition: number; messages: Message[]; dateNow: number; producerId: unknown; producerEpoch: number; firstSequence?: number; transactional: boolean }

/** What kafkajs' produce request wrote for a partition before the patch (request.js, partitionsEncoder). */
async function reference(o: DirectInput): Promise<Buffer> {
  const records = o.messages.map((m, i) => RecordEncoder({ ...m, offsetDelta: i, timestampDelta: 0 }));
  const batch = await RecordBatch({
    compression: 0, records, firstTimestamp: o.dateNow, maxTimestamp: o.dateNow, producerId: o.producerId, producerEpoch: o.producerEpoch,
    firstSequence: o.firstSequence, transactional: o.transactional, lastOffsetDelta: records.length - 1,
  });
  return new Encoder().writeInt32(o.partition).writeInt32(batch.size()).writeEncoder(batch).buffer;
}

describe('kafkajs record batch encoding (patched: written in one buffer)', () => {
  test('the same bytes as Record + RecordBatch for random messages of every kind', async () => {
    const rnd = prng(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const text = (max: number): string => Array.from({ length: Math.floor(rnd() * max) }, () => pick(['a', 'z', '0', '/', 'é', '€', '𝄞', ' '])).join('');
    const value = (max: number): Value => pick<() => Value>([() => null, () => undefined, () => '', () => text(max), () => Buffer.from(text(max)), () => Buffer.alloc(0)])();
    for (let round = 0; round < 300; round++) {
      const count = 1 + Math.floor(rnd() * (round % 10 === 0 ? 400 : 20));
      const messages: Message[] = Array.from({ length: count }, () => {
        const m: Message = { key: value(40), value: value(rnd() < 0.1 ? 40_000 : 2000) };
        if (rnd() < 0.5) {
          const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
          for (let h = Math.floor(rnd() * 4); h > 0; h--) {
            headers[text(12)] = rnd() < 0.3 ? Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => (rnd() < 0.5 ? text(30) : Buffer.from(text(30)))) : rnd() < 0.5 ? text(30) : Buffer.from(text(30));
          }
          m.headers = headers;
        }
        return m;
      });
      const input: DirectInput = {
        partition: Math.floor(rnd() * 1000), messages, dateNow: 1_795_968_000_000 + Math.floor(rnd() * 1e9),
        producerId: rnd() < 0.3 ? Long.fromValue(-1) : Long.fromValue(String(Math.floor(rnd() * 1e12))), producerEpoch: Math.floor(rnd() * 32767),
        firstSequence: rnd() < 0.3 ? undefined : Math.floor(rnd() * 2 ** 31), transactional: rnd() < 0.5,
      };
      const direct = encodeDirect(input);
      expect(direct).not.toBeNull();
      expect((direct as { buffer: Buffer }).buffer.equals(await reference(input))).toBe(true);
    }
  });

  test('messages it does not cover are left to kafkajs: a timestamp of their own, a value of another type, a null header value', () => {
    const base = { partition: 0, dateNow: 1, producerId: Long.fromValue(-1), producerEpoch: 0, transactional: false };
    expect(encodeDirect({ ...base, messages: [{ value: 'a', timestamp: 5 }] })).toBeNull();
    expect(encodeDirect({ ...base, messages: [{ value: 7 as unknown as string }] })).toBeNull();
    expect(encodeDirect({ ...base, messages: [{ value: 'a', headers: { h: null as unknown as string } }] })).toBeNull();
    expect(encodeDirect({ ...base, messages: [] })).toBeNull();
    expect(encodeDirect({ ...base, messages: [{ key: 'k', value: 'v', headers: { due: '1' } }] })).not.toBeNull();
  });
});
