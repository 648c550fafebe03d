// Input lines for `journeys simulate`: split on LF only (a CRLF's CR dropped), so a bare CR inside a line (JSON
// allows it as whitespace) neither splits a message nor shifts the line numbers, as readline's splitting did; a
// byte order mark at the start of the input is not part of the first line.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export async function* lines(input: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let first = true;
  const take = (text: string): string => {
    let line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (first) {
      if (line.startsWith('\uFEFF')) line = line.slice(1);
      first = false;
    }
    return line;
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      yield take(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending !== '') yield take(pending);
}
