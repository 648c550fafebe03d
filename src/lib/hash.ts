// SHA-256 helpers behind transition ids and the random bucket rule (spec §4.5, §5). Deterministic: the
// only thing the engine takes from node:crypto. The one-shot `hash` is several times faster than createHash.
import { hash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** First 4 bytes of SHA-256 of the UTF-8 string, as a big-endian unsigned integer, mod 100. */
export function bucketOf(text: string): number {
  return hash('sha256', text, 'buffer').readUInt32BE(0) % 100;
}
