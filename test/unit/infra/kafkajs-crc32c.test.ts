// The kafkajs patch (patches/kafkajs+2.2.4.patch) replaces its byte-at-a-time CRC-32C of record batches with a
// slice-by-8 one: it must give the same checksums, or the broker refuses every produced batch.
import { randomBytes } from 'node:crypto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

/** The reference: reflected CRC-32C (Castagnoli, polynomial 0x82f63b78), one byte at a time. */
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c;
});
function reference(buffer: Buffer): number {
  let crc = -1;
  for (const byte of buffer) crc = (TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

describe('kafkajs CRC-32C (patched)', () => {
  test('the standard check value', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
  });

  test('equals the byte-at-a-time reference for every length 0-600 and a 1 MiB batch', () => {
    for (let n = 0; n <= 600; n++) {
      const b = randomBytes(n);
      expect(crc32C(b)).toBe(reference(b));
    }
    const big = randomBytes(1 << 20);
    expect(crc32C(big)).toBe(reference(big));
    const view = big.subarray(3, 1003); // a view at an odd offset
    expect(crc32C(view)).toBe(reference(view));
  });
});
