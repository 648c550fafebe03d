// chunkBySize: a transaction's records split into produce requests under the broker's record-batch limit.
import { chunkBySize, MAX_REQUEST_BYTES } from '../../../src/kafka/eos';

const msg = (bytes: number, key = 'k'): { key: string; value: string } => ({ key, value: 'x'.repeat(bytes) });

describe('chunkBySize', () => {
  test('5,000 records of ~170 bytes (over 1 MiB with overheads) go in two requests, each under the limit, in order', () => {
    const messages = Array.from({ length: 5000 }, (_, i) => ({ key: `user-${i}`, value: 'v'.repeat(160) }));
    const chunks = chunkBySize([{ topic: 'out', messages }]);
    expect(chunks.length).toBe(2);
    for (const chunk of chunks) {
      const bytes = chunk.flatMap((t) => t.messages).reduce((s, m) => s + Buffer.byteLength(String(m.key)) + Buffer.byteLength(String(m.value)) + 64, 0);
      expect(bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    expect(chunks.flatMap((c) => c.flatMap((t) => t.messages))).toEqual(messages);
  });

  test('topics keep their records in order across chunks; a record over the limit goes alone', () => {
    const chunks = chunkBySize([
      { topic: 'a', messages: [msg(30, 'a1'), msg(30, 'a2')] },
      { topic: 'b', messages: [msg(500, 'big'), msg(40, 'b2')] },
    ], 200);
    expect(chunks.map((c) => c.map((t) => `${t.topic}:${t.messages.map((m) => String(m.key)).join(',')}`))).toEqual([
      ['a:a1,a2'], ['b:big'], ['b:b2'],
    ]);
  });

  test("headers count toward a request's size (the $exit records' journeys-sent-to)", () => {
    const withHeader = { key: 'k', value: 'v', headers: { 'journeys-sent-to': 'h'.repeat(150) } };
    expect(chunkBySize([{ topic: 'a', messages: [withHeader, withHeader] }], 200).map((c) => c[0]?.messages.length)).toEqual([1, 1]);
    expect(chunkBySize([{ topic: 'a', messages: [msg(10), msg(10)] }], 200).map((c) => c[0]?.messages.length)).toEqual([2]);
  });

  test('nothing to send: no request', () => {
    expect(chunkBySize([{ topic: 'a', messages: [] }])).toEqual([]);
  });

  test('records that fit one request are sent as given (no copies to outlive the round trips); empty topics left out', () => {
    const input = [{ topic: 'a', messages: [msg(10), msg(10)] }, { topic: 'b', messages: [msg(10)] }];
    const [only, ...rest] = chunkBySize(input);
    expect(only).toBe(input);
    expect(rest).toEqual([]);
    expect(chunkBySize([{ topic: 'a', messages: [] }, ...input])).toEqual([input]);
  });
});
