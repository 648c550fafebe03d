// The kafkajs patch (patches/kafkajs+2.2.4.patch) makes read_committed skip every record of an aborted transaction,
// as the Java consumer does: the broker lists a fetch's aborted transactions in the order they were aborted, and
// lists those begun before the fetched offset too (test/integration/read-committed.test.ts shows it on the broker).
interface Message { offset: string; key: Buffer | null; isControlRecord: boolean; batchContext: { producerId: string; inTransaction: boolean } }
interface Aborted { producerId: string; firstOffset: string }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const filterAborted = require('kafkajs/src/consumer/filterAbortedMessages') as (o: { messages: Message[]; abortedTransactions: Aborted[] }) => Message[];

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const record = (offset: number, producerId: string, key: Buffer | null = null): Message => ({ offset: String(offset), key, isControlRecord: false, batchContext: { producerId, inTransaction: true } });
const marker = (offset: number, producerId: string, key: Buffer): Message => ({ offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true } });
const offsetsOf = (messages: Message[]): number[] => messages.map((m) => Number(m.offset));

describe('kafkajs read_committed filter (patched)', () => {
  // a1 0, b1 1, b2 2, a2 3, B aborted 4, A aborted 5, C committed 6 and 7.
  const log = [record(0, 'A'), record(1, 'B'), record(2, 'B'), record(3, 'A'), marker(4, 'B', ABORT), marker(5, 'A', ABORT), record(6, 'C'), marker(7, 'C', COMMIT)];
  const byAbortOrder: Aborted[] = [{ producerId: 'B', firstOffset: '1' }, { producerId: 'A', firstOffset: '0' }];

  test('aborted transactions listed in the order they were aborted, not begun', () => {
    expect(offsetsOf(filterAborted({ messages: log, abortedTransactions: byAbortOrder }))).toEqual([4, 5, 6, 7]);
  });

  test('read from inside two aborted transactions that both began before the first record read', () => {
    expect(offsetsOf(filterAborted({ messages: log.slice(3), abortedTransactions: byAbortOrder }))).toEqual([4, 5, 6, 7]);
    expect(offsetsOf(filterAborted({ messages: log.slice(2), abortedTransactions: byAbortOrder }))).toEqual([4, 5, 6, 7]);
  });

  test("a producer's committed transaction after its aborted one comes through", () => {
    const messages = [record(0, 'A'), marker(1, 'A', ABORT), record(2, 'A'), marker(3, 'A', COMMIT)];
    expect(offsetsOf(filterAborted({ messages, abortedTransactions: [{ producerId: 'A', firstOffset: '0' }] }))).toEqual([1, 2, 3]);
  });

  test('a data record with a four-zero-byte key does not end the aborted transaction it belongs to', () => {
    const messages = [record(0, 'A'), record(1, 'A', Buffer.from([0, 0, 0, 0])), record(2, 'A'), marker(3, 'A', ABORT)];
    expect(offsetsOf(filterAborted({ messages, abortedTransactions: [{ producerId: 'A', firstOffset: '0' }] }))).toEqual([3]);
  });

  test('without aborted transactions every record comes through', () => {
    expect(filterAborted({ messages: log, abortedTransactions: [] })).toHaveLength(log.length);
  });
});
