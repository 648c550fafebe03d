// Input lines for `journeys simulate`: split on LF only (a CRLF's CR dropped), so a bare CR inside a line (JSON
// allows it as whitespace) neither splits a message nor shifts the line numbers, as readline's splitting did; a
// byte order mark at the start of the input is not part of the first line. Lines are split as bytes (an LF byte
// is never inside a UTF-8 sequence) and each is checked on its own: a line that is not UTF-8 comes back as null,
// to be skipped with its number, rather than read with U+FFFD in place of its bytes (the processor dead-letters
// such a record too).
import type { Readable } from 'node:stream';
import { decodeUtf8 } from '../lib/utf8';

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export async function* lines(input: Readable): AsyncGenerator<string | null> {
  let pending: Buffer[] = [];
  let first = true;
  const take = (parts: Buffer[]): string | null => {
    let line = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (first) {
      if (line.subarray(0, 3).equals(BOM)) line = line.subarray(3);
      first = false;
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    return decodeUtf8(line);
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let end = bytes.indexOf(LF); end >= 0; end = bytes.indexOf(LF, start)) {
      pending.push(bytes.subarray(start, end));
      yield take(pending);
      pending = [];
      start = end + 1;
    }
    if (start < bytes.length) pending.push(bytes.subarray(start));
  }
  if (pending.length > 0) yield take(pending);
}
