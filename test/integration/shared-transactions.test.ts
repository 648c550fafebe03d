// The process's one transactional producer (src/kafka/shared-transactions.ts) on the real broker: batches ready
// together share a transaction and each learns where its records landed; a member of an older group generation is
// fenced by the group coordinator (the patched kafkajs sends TxnOffsetCommit v3 with the member and generation); a
// batch whose task no longer owns its partition is refused before anything is sent.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { ErrorCodes, JourneyError } from '../../src/errors';
import { lastOffsetOf, SharedTransactions, type GroupMember } from '../../src/kafka/shared-transactions';
import { silentLogger } from '../../src/observability/logger';
import { connectedAdmin, connectedProducer, consumeUntil, createTopics, kafkaClient, testConsumer, uniqueName } from '../helpers/kafka';

const log = silentLogger();

describe('shared transactions', () => {
  let kafka: Kafka;
  let admin: Admin;
  let plain: Producer;
  const consumers: Consumer[] = [];
  const shared: SharedTransactions[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = await connectedAdmin(kafka);
    plain = await connectedProducer(kafka);
  });

  afterAll(async () => {
    for (const s of shared) await s.close();
    for (const c of consumers) await c.disconnect();
    await plain?.disconnect();
    await admin?.disconnect();
  });

  const transactions = (group: string, member: () => GroupMember | null, owns: (owner: object) => boolean = () => true): SharedTransactions => {
    const t = new SharedTransactions({ kafka, group, log, transactionalId: uniqueName('it-shared'), member, owns });
    shared.push(t);
    return t;
  };

  const readAll = async (topic: string, count: number): Promise<{ partition: number; offset: string; value: string }[]> => {
    const got = await consumeUntil(kafka, topic, (r) => r.length >= count);
    return got.map((r) => ({ partition: r.partition, offset: r.message.offset, value: r.message.value?.toString() ?? '' }));
  };

  it('batches submitted while a transaction runs go together in the next one; each learns where its records landed', async () => {
    const out = uniqueName('it-shared-out');
    await createTopics(admin, [{ topic: out, partitions: 2 }]);
    const t = transactions(uniqueName('it-shared-group'), () => null);
    const work = (partition: number, values: string[]) => ({ owner: {}, offsets: [], more: false, topicMessages: [{ topic: out, messages: values.map((value) => ({ key: 'k', value, partition })) }] });
    const first = t.commit(work(0, ['a1', 'a2']));
    const second = t.commit(work(1, ['b1', 'b2', 'b3']));
    const third = t.commit(work(0, ['c1']));
    const [w1, w2, w3] = await Promise.all([first, second, third]);
    expect(t.counts).toEqual({ transactions: 2, batches: 3 });

    const records = await readAll(out, 6);
    const lastOf = (partition: number, value: string) => BigInt(records.find((r) => r.partition === partition && r.value === value)?.offset ?? -1);
    expect(lastOffsetOf(w1, out, 0)).toBe(lastOf(0, 'a2'));
    expect(lastOffsetOf(w2, out, 1)).toBe(lastOf(1, 'b3'));
    // The second transaction's answer is shared by the batches in it.
    expect(lastOffsetOf(w3, out, 0)).toBe(lastOf(0, 'c1'));
    expect(lastOffsetOf(w3, out, 1)).toBe(lastOf(1, 'b3'));
    expect(records.map((r) => r.value).sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'b3', 'c1']);
  });

  it('a transaction waits for a task still building its batch, and takes it too; one that has none releases it', async () => {
    const out = uniqueName('it-shared-out');
    await createTopics(admin, [{ topic: out, partitions: 2 }]);
    const t = new SharedTransactions({ kafka, group: uniqueName('it-shared-group'), log, transactionalId: uniqueName('it-shared'), member: () => null, owns: () => true, buildWaitMs: 60_000 });
    shared.push(t);
    const [a, b, c] = [{}, {}, {}];
    const work = (owner: object, partition: number, value: string, more: boolean) => ({ owner, offsets: [], more, topicMessages: [{ topic: out, messages: [{ key: 'k', value, partition }] }] });
    t.startBuilding(b);
    t.startBuilding(c);
    // Without the wait, the first transaction would start at once with a's batch alone.
    const first = t.commit(work(a, 0, 'a1', true));
    const second = t.commit(work(b, 1, 'b1', true));
    t.doneBuilding(c);
    await Promise.all([first, second]);
    expect(t.counts).toEqual({ transactions: 1, batches: 2 });
    // Both come back for their next batch: b has one, a has none.
    const third = t.commit(work(b, 1, 'b2', false));
    t.doneBuilding(a);
    await third;
    expect(t.counts).toEqual({ transactions: 2, batches: 3 });
    expect((await readAll(out, 3)).map((r) => r.value).sort()).toEqual(['a1', 'b1', 'b2']);
  });

  it('a member of an older generation is refused by the group coordinator, and its records are never seen; a revoked owner sends nothing', async () => {
    const input = uniqueName('it-shared-in');
    const out = uniqueName('it-shared-out');
    const group = uniqueName('it-shared-group');
    await createTopics(admin, [{ topic: input }, { topic: out }]);
    const joins: GroupMember[] = [];
    const join = async (onJoin: (m: GroupMember) => void): Promise<void> => {
      const c = testConsumer(kafka, { groupId: group, sessionTimeout: 6000, heartbeatInterval: 300 });
      consumers.push(c);
      c.on(c.events.GROUP_JOIN, (e) => {
        const { memberId, generationId } = e.payload as typeof e.payload & { generationId?: number };
        if (typeof generationId === 'number') onJoin({ memberId, generationId });
      });
      await c.connect();
      await c.subscribe({ topic: input, fromBeginning: true });
      await c.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
    };
    const waitFor = async (ok: () => boolean): Promise<void> => {
      for (let waited = 0; !ok(); waited += 50) {
        if (waited > 30_000) throw new Error('the group did not rebalance within 30 s');
        await sleep(50);
      }
    };
    await join((m) => joins.push(m));
    await waitFor(() => joins.length >= 1);
    const before = joins[0] as GroupMember;
    // A second member: the first rejoins in the next generation.
    await join(() => undefined);
    await waitFor(() => joins.length >= 2);
    const after = joins.at(-1) as GroupMember;
    expect(after.memberId).toBe(before.memberId);
    expect(after.generationId).toBeGreaterThan(before.generationId);

    let member = before;
    const t = transactions(group, () => member);
    const work = (value: string) => ({ owner: {}, more: false, topicMessages: [{ topic: out, messages: [{ key: 'k', value }] }], offsets: [{ topic: input, partition: 0, offset: '0' }] });
    await expect(t.commit(work('stale'))).rejects.toMatchObject({ type: 'ILLEGAL_GENERATION' });
    member = after;
    await t.commit(work('current'));

    const revoked = new SharedTransactions({ kafka, group, log, transactionalId: uniqueName('it-shared'), member: () => after, owns: () => false });
    shared.push(revoked);
    const refused = revoked.commit(work('revoked'));
    await expect(refused).rejects.toBeInstanceOf(JourneyError);
    await expect(refused).rejects.toMatchObject({ code: ErrorCodes.PARTITION_REVOKED });
    expect(revoked.counts.transactions).toBe(0);

    // Only the current member's record is committed (the reader stops at the first record; one more is never there).
    await plain.send({ topic: out, messages: [{ key: 'k', value: 'end' }] });
    const records = await readAll(out, 2);
    expect(records.map((r) => r.value)).toEqual(['current', 'end']);
  });
});
