// The kafkajs patch (patches/kafkajs+2.2.4.patch) decodes fetched records faster: offsets and timestamps added
// as numbers while safe (Long past that), records read in place, headers gathered in a loop. Every consumer and
// the changelog restore read through it, so it is checked here against what kafkajs' own (unpatched) encoder
// wrote: offsets, timestamps, keys, values and headers come back exactly, in every case the format allows.
/* eslint-disable @typescript-eslint/no-require-imports */
const Long = require('kafkajs/src/utils/long') as { fromValue(v: string | number): LongValue; fromString(s: string): LongValue };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: BatchInput) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: RecordInput) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<DecodedBatch>;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };
/* eslint-enable @typescript-eslint/no-require-imports */

interface LongValue { add(other: LongValue): LongValue; toString(): string }
type HeaderInput = Record<string, Buffer | string | (Buffer | string)[]>;
interface RecordInput { offsetDelta: number; timestampDelta: LongValue | number; key: Buffer | null; value: Buffer | null; headers?: HeaderInput }
interface BatchInput { firstOffset: LongValue; firstTimestamp: LongValue | number; maxTimestamp: LongValue | number; lastOffsetDelta: number; records: unknown[]; compression?: number }
interface DecodedRecord { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }
interface DecodedBatch { firstOffset: string; records: DecodedRecord[] }

interface Case { firstOffset: string; firstTimestamp: string; records: { offsetDelta: number; timestampDelta: string; key: string | null; value: string | null; headers?: HeaderInput }[] }

async function roundTrip(c: Case, compression = Compression.None): Promise<DecodedRecord[]> {
  const records = c.records.map((r) => Record({
    offsetDelta: r.offsetDelta, timestampDelta: Long.fromValue(r.timestampDelta),
    key: r.key === null ? null : Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), headers: r.headers,
  }));
  const batch = await RecordBatch({
    firstOffset: Long.fromValue(c.firstOffset), firstTimestamp: Long.fromValue(c.firstTimestamp), maxTimestamp: Long.fromValue(c.firstTimestamp),
    lastOffsetDelta: c.records.length - 1, records, compression,
  });
  return (await decodeBatch(new Decoder(batch.buffer))).records;
}

function expected(c: Case): { offset: string; timestamp: string; key: string | null; value: string | null }[] {
  return c.records.map((r) => ({
    offset: Long.fromValue(c.firstOffset).add(Long.fromValue(r.offsetDelta)).toString(),
    timestamp: Long.fromValue(c.firstTimestamp).add(Long.fromValue(r.timestampDelta)).toString(),
    key: r.key, value: r.value,
  }));
}

const plain = (records: DecodedRecord[]) => records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null }));

describe('kafkajs record decoding (patched)', () => {
  const cases: [string, Case][] = [
    ['small offsets and timestamps', {
      firstOffset: '0', firstTimestamp: '1795967646428',
      records: [{ offsetDelta: 0, timestampDelta: '0', key: 'u/a/c', value: 'x' }, { offsetDelta: 1, timestampDelta: '5', key: null, value: null }, { offsetDelta: 7, timestampDelta: '-3', key: '', value: '' }],
    }],
    ['deltas of every varlong length, both signs', {
      firstOffset: '123456789', firstTimestamp: '1795967646428',
      records: [1, 63, 64, 8191, 8192, 2 ** 20, 2 ** 27, 2 ** 34, 2 ** 41, 2 ** 48, 2 ** 49, 2 ** 52].flatMap((d, i) => [
        { offsetDelta: 2 * i, timestampDelta: String(d), key: `k${i}`, value: `v${i}` },
        { offsetDelta: 2 * i + 1, timestampDelta: String(-d), key: `k${i}-`, value: `v${i}-` },
      ]),
    }],
    ['offsets and timestamps past 2^53 (Long arithmetic)', {
      firstOffset: '9007199254740990', firstTimestamp: '9007199254740000',
      records: [{ offsetDelta: 0, timestampDelta: '0', key: 'a', value: 'b' }, { offsetDelta: 5, timestampDelta: '5000', key: 'c', value: 'd' }, { offsetDelta: 2_000_000, timestampDelta: '9000000000000', key: 'e', value: 'f' }],
    }],
    ['negative timestamps (before 1970)', {
      firstOffset: '42', firstTimestamp: '-86400000',
      records: [{ offsetDelta: 0, timestampDelta: '0', key: 'a', value: 'b' }, { offsetDelta: 1, timestampDelta: '-1', key: 'c', value: 'd' }],
    }],
  ];

  test.each(cases)('%s', async (_, c) => {
    expect(plain(await roundTrip(c))).toEqual(expected(c));
    expect(plain(await roundTrip(c, Compression.GZIP))).toEqual(expected(c));
  });

  test('headers: single, repeated (in order), null, and named like Object.prototype members', async () => {
    const headers: HeaderInput = { due: '1795967646428', multi: ['1', '2', '3'], constructor: 'c', toString: ['t1', 't2'], empty: '' };
    Object.defineProperty(headers, '__proto__', { value: 'p', enumerable: true });
    const [record] = await roundTrip({ firstOffset: '10', firstTimestamp: '1', records: [{ offsetDelta: 0, timestampDelta: '0', key: 'k', value: 'v', headers }] });
    const h = record?.headers ?? {};
    const text = (v: Buffer | Buffer[] | undefined) => (Array.isArray(v) ? v.map((b) => b.toString()) : v?.toString());
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect(Object.keys(h).sort()).toEqual(['__proto__', 'constructor', 'due', 'empty', 'multi', 'toString']);
    expect(text(h.due)).toBe('1795967646428');
    expect(text(h.multi)).toEqual(['1', '2', '3']);
    expect(text(h['constructor'] as Buffer)).toBe('c');
    expect(text(h['toString'] as Buffer[])).toEqual(['t1', 't2']);
    expect(text(Object.getOwnPropertyDescriptor(h, '__proto__')?.value as Buffer)).toBe('p');
    expect(text(h.empty)).toBe('');
  });

  test('a thousand records of a changelog-sized value with a header each, in one batch', async () => {
    const value = 'x'.repeat(1300);
    const c: Case = { firstOffset: '5000000', firstTimestamp: '1795967646428', records: Array.from({ length: 1000 }, (_, i) => ({ offsetDelta: i, timestampDelta: String(i * 3), key: `u/user-${i}/c`, value: `${i}:${value}`, headers: { due: String(i) } })) };
    const records = await roundTrip(c);
    expect(plain(records)).toEqual(expected(c));
    expect(records.map((r) => (r.headers.due as Buffer).toString())).toEqual(c.records.map((_, i) => String(i)));
  });
});
