// BufferedWriter.ready: `simulate` waits on it after each message, so output the reader has not taken yet does
// not pile up in the process (1.6 GB to a pipe ended in ENOBUFS after 101 lines).
import { Writable } from 'node:stream';
import { BufferedWriter } from '../../../src/cli/output';

test('ready is null while the stream wants more, and a promise of its drain once it does not', async () => {
  const taken: string[] = [];
  let release: (() => void) | undefined;
  const slow = new Writable({
    highWaterMark: 100,
    write(chunk: Buffer, _enc, done) {
      taken.push(chunk.toString());
      release = done; // taken only when the test says so, as a reader that is behind
    },
  });
  const out = new BufferedWriter(slow, 10);
  expect(out.ready()).toBeNull();
  out.write('x'.repeat(50)); // flushed: the stream's first write, in progress
  out.write('y'.repeat(200)); // flushed: buffered in the stream, past its high-water mark
  const ready = out.ready();
  expect(ready).not.toBeNull();
  let drained = false;
  void ready?.then(() => { drained = true; });
  await new Promise((r) => setImmediate(r));
  expect(drained).toBe(false);
  release?.();
  await new Promise((r) => setImmediate(r));
  release?.();
  await ready;
  expect(taken.join('')).toBe('x'.repeat(50) + 'y'.repeat(200));
  expect(out.ready()).toBeNull();
});
