// SHA-256 helpers behind transition ids and the random bucket rule (spec §4.5, §5). Deterministic: the
// only thing the engine takes from node:crypto.
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** First 4 bytes of SHA-256 of the UTF-8 string, as a big-endian unsigned integer, mod 100. */
export function bucketOf(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % 100;
}
