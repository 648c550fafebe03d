// read_committed on the real broker when aborted transactions of two producers overlap, as a zombie processor's and
// the new owner's do on a changelog partition after a rebalance. The broker lists a fetch's aborted transactions in
// the order they were aborted, not begun, and lists those begun before the fetched offset too: kafkajs 2.2.4 took them
// as sorted by first offset, one per record read, and let records of the other one through. A restore read them
// back as state (a fault test's zombie run found users' states taken from the zombie's aborted batch).
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import { afterRecord, committedValues, connectedAdmin, connectedProducer, createTopics, kafkaClient, uniqueName } from '../helpers/kafka';

describe('read_committed with overlapping aborted transactions', () => {
  let kafka: Kafka;
  let admin: Admin;
  const producers: Producer[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = await connectedAdmin(kafka);
  });

  afterAll(async () => {
    for (const p of producers) await p.disconnect();
    await admin?.disconnect();
  });

  async function transactional(): Promise<Producer> {
    const p = await connectedProducer(kafka, { transactionalId: uniqueName('it-rc'), idempotent: true, maxInFlightRequests: 1 });
    producers.push(p);
    return p;
  }

  test('the records of transactions aborted in another order than they began are never read, from any offset', async () => {
    const topic = uniqueName('it-rc');
    await createTopics(admin, [{ topic }]);
    const [a, b, c] = [await transactional(), await transactional(), await transactional()];
    const send = (txn: Transaction, value: string) => txn.send({ topic, messages: [{ partition: 0, value }] });
    // Offsets: a1 0, b1 1, b2 2, a2 3, B's abort marker 4, A's 5, c1 6, its commit marker 7. A began first, B was
    // aborted first: the broker lists B before A.
    const ta = await a.transaction();
    const tb = await b.transaction();
    await send(ta, 'aborted-a1');
    await send(tb, 'aborted-b1');
    await send(tb, 'aborted-b2');
    await send(ta, 'aborted-a2');
    await tb.abort();
    await ta.abort();
    const tc = await c.transaction();
    await send(tc, 'committed-c1');
    await tc.commit();
    // A's next transaction is committed: its records come through although A aborted one before.
    const ta2 = await a.transaction();
    const last = await send(ta2, 'committed-a3');
    await ta2.commit();

    const committed = ['committed-c1', 'committed-a3'];
    // From inside both aborted transactions: each began before the offset read from. Up to A's last record: the read
    // waits for its commit marker, which the coordinator writes after commit() returns.
    const end = afterRecord(last, 0);
    for (const from of ['0', '1', '2', '3']) expect({ from, values: await committedValues(kafka, admin, topic, 0, { from, end }) }).toEqual({ from, values: committed });
  });
});
