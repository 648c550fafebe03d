// The producer partitioner of the processor: Kafka's default (the Java client's murmur2 of the key, as kafkajs'
// DefaultPartitioner), computed in 32-bit integers. kafkajs computes it with its 64-bit Long class, a dozen
// objects per key, and filters the partition list on every message, even one with its partition set; at two
// transitions and a changelog record per event that was a tenth of what the processor allocated.
import { randomInt } from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`) of the bytes, as a signed 32-bit int. */
export function murmur2(data: Buffer, length = data.length): number {
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes, the highest first.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= (data[whole + 2] ?? 0) << 16;
    if (tail >= 2) h ^= (data[whole + 1] ?? 0) << 8;
    h ^= data[whole] ?? 0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Keys are written into this buffer rather than a new one each (user ids are short). */
const scratch = Buffer.allocUnsafe(1024);

/** The partition of a key among `partitions`, as Kafka's default partitioner picks it. */
export function partitionOfKey(key: Buffer | string, partitions: number): number {
  let hash: number;
  if (Buffer.isBuffer(key)) hash = murmur2(key);
  else if (key.length * 3 <= scratch.length) hash = murmur2(scratch, scratch.write(key, 'utf8'));
  else hash = murmur2(Buffer.from(key, 'utf8'));
  return (hash & 0x7fffffff) % partitions;
}

/**
 * kafkajs' DefaultPartitioner, message for message: the partition set on the message; else the key's (above);
 * else round robin over the partitions that have a leader, from a random start per topic.
 */
export const KeyPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return partitionOfKey(message.key, partitionMetadata.length);
    const counter = (counters.get(topic) ?? randomInt(2 ** 31)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length === 0) return (counter & 0x7fffffff) % partitionMetadata.length;
    return available[(counter & 0x7fffffff) % available.length]?.partitionId ?? 0;
  };
};
