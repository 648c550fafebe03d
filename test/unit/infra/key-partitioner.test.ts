// The processor's partitioner must put every key where kafkajs' DefaultPartitioner (and the Java client) does:
// the sink and downstream consumers rely on a user's transitions sharing a partition with everything else keyed
// by that user.
import { randomBytes, randomInt } from 'node:crypto';
import type { PartitionerArgs } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { KeyPartitioner, murmur2, partitionOfKey } from '../../../src/kafka/partitioner';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;

/** Test vectors of the Java client's UtilsTest.testMurmur2 and librdkafka's rdmurmur2.c. */
const JAVA: Record<string, number> = {
  '21': -973932308,
  foobar: -790332482,
  'a-little-bit-long-string': -985981536,
  'a-little-bit-longer-string': -1486304829,
  lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
  abc: 479470107,
  kafka: -798503068,
};

function metadata(n: number, leaderless: number[] = []): PartitionerArgs['partitionMetadata'] {
  return Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: leaderless.includes(i) ? -1 : 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
}

describe('key partitioner', () => {
  test('murmur2 gives the Java client test vectors', () => {
    for (const [key, hash] of Object.entries(JAVA)) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  test('murmur2 equals kafkajs for every length 0-100 and random keys, bytes and unicode', () => {
    for (let n = 0; n <= 100; n++) {
      const b = randomBytes(n);
      expect(murmur2(b)).toBe(kafkajsMurmur2(b));
    }
    const alphabet = ['a', 'Z', '9', '-', 'é', 'ß', '日', '本', '😀', ' '];
    for (let i = 0; i < 2000; i++) {
      const key = Array.from({ length: randomInt(0, 40) }, () => alphabet[randomInt(alphabet.length)]).join('');
      expect(murmur2(Buffer.from(key, 'utf8'))).toBe(kafkajsMurmur2(key));
    }
  });

  test('the partition of a key equals kafkajs DefaultPartitioner, string or Buffer, short or long', () => {
    const ours = KeyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 4, 12, 50]) {
      const partitionMetadata = metadata(partitions);
      for (let i = 0; i < 500; i++) {
        const key = i % 50 === 0 ? 'u'.repeat(400 + i) + '日本' : `user-${randomInt(1e9)}`;
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
        expect(ours({ ...args, message: { key: Buffer.from(key), value: 'v' } })).toBe(theirs(args));
        expect(partitionOfKey(key, partitions)).toBe(theirs(args));
      }
    }
  });

  test('a partition set on the message wins; without a key, round robin over partitions with a leader', () => {
    const ours = KeyPartitioner();
    expect(ours({ topic: 't', partitionMetadata: metadata(4), message: { key: 'foobar', value: 'v', partition: 3 } })).toBe(3);
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) seen.add(ours({ topic: 't', partitionMetadata: metadata(4, [1, 2]), message: { value: 'v' } }));
    expect([...seen].sort()).toEqual([0, 3]);
  });
});
