// Loading users from a real LevelDB store (classic-level in a temp dir): several at once, by the keys their
// cores name, and by a range read for cores of the older layout.
import { newUserState, nextDue, type UserState } from '../../../src/engine/state';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkLoadBufferBytes, PartitionStore, type StoreOp } from '../../../src/state/partition-store';
import { CORE_INLINE_BUDGET, CORE_PIECE, INLINE_MAX, toPieces, userPrefix } from '../../../src/state/pieces';
import { useTempStore } from '../../helpers/temp-store';

/** bigInstances: too large to ride in the core, so each is a piece of its own (with a trait that takes the state past the core budget). */
function userWith(userId: string, instances: number, bigHistory: boolean, bigInstances = false): UserState {
  const s = newUserState(userId, 1000);
  if (bigInstances) s.traits = { notes: 'n'.repeat(CORE_INLINE_BUDGET) };
  s.processed = 1;
  s.history = { small: { n: 1, ts: [1000] } };
  if (bigHistory) s.history.big = { n: 100, ts: Array.from({ length: 100 }, (_, i) => 1_700_000_000_000 + i) };
  const live = Array.from({ length: instances }, (_, k) => ({
    seq: k + 1, version: 1, enteredAt: 1000, lastSeq: 1, context: bigInstances ? [['E', { note: 'x'.repeat(INLINE_MAX) }]] as [string, { note: string }][] : [], paths: [{ id: 1, step: 'wait', restarts: 0 }], nextPathId: 2, entered: ['wait'], sent: [],
  }));
  s.journeys = { j: { entries: Math.max(1, instances), lastEndAt: instances === 0 ? 900 : null, conditionTrue: false, instances: live } };
  s.timers = live.map((i) => ({ at: 5000 + i.seq, seq: i.seq, kind: 'wait' as const, journey: 'j', instance: i.seq, path: 1 }));
  return s;
}

function puts(pieces: Map<string, string>): StoreOp[] {
  return [...pieces].map(([key, value]) => ({ type: 'put', key, value }));
}

describe('PartitionStore.loadUsers', () => {
  const tempStore = useTempStore();

  test('users with and without state, read together, come back as written, with their pieces and due instant', async () => {
    const store = tempStore();
    const a = userWith('a', 2, true, true);
    const c = userWith('c', 2, false); // its instances ride in the core
    const b = userWith('b/é', 0, false);
    const neighbour = userWith('ab', 1, false); // shares a prefix with `a`: none of its pieces may leak into a's
    await store.apply([...puts(toPieces(a)), ...puts(toPieces(b)), ...puts(toPieces(c)), ...puts(toPieces(neighbour))]);
    const loaded = await store.loadUsers(['a', 'nobody', 'b/é', 'c']);
    expect(loaded.get('a')?.state).toEqual(a);
    expect(loaded.get('a')?.pieces).toEqual(toPieces(a));
    expect(loaded.get('a')?.pieces.size).toBe(5); // core, two instances, the big history, the long trait
    expect(loaded.get('c')?.state).toEqual(c);
    expect(loaded.get('c')?.pieces.size).toBe(1);
    expect(loaded.get('a')?.due).toBe(nextDue(a));
    expect(loaded.get('b/é')?.state).toEqual(b);
    expect(loaded.get('b/é')?.due).toBeNull();
    expect(loaded.get('nobody')).toEqual({ state: undefined, pieces: new Map(), due: null });
    expect(await store.loadUser('ab')).toEqual(await store.loadUsers(['ab']).then((m) => m.get('ab')));
    expect((await store.loadUser('ab')).state).toEqual(neighbour);
  });

  test('a core of the older layout (histories not named in it) is read with all its pieces', async () => {
    const store = tempStore();
    const a = userWith('a', 1, false);
    const prefix = userPrefix('a');
    const pieces = toPieces(a);
    const core = JSON.parse(pieces.get(prefix + CORE_PIECE) as string) as Record<string, unknown>;
    delete core.own;
    delete core.history;
    const old = new Map(pieces);
    old.set(prefix + CORE_PIECE, JSON.stringify(core));
    old.set(`${prefix}h/small`, JSON.stringify(a.history.small));
    await store.apply(puts(old));
    const loaded = (await store.loadUsers(['a'])).get('a');
    expect(loaded?.state).toEqual(a);
    expect(loaded?.pieces).toEqual(old); // so the next write deletes the piece the new layout no longer has
  });

  test("pieces written as bytes (a restore writes the changelog records' bytes as they are) read back the same", async () => {
    const store = tempStore();
    const a = userWith('a', 1, true);
    await store.apply([...toPieces(a)].map(([key, value]) => ({ type: 'put', key, value: Buffer.from(value, 'utf8'), valueEncoding: 'buffer' })));
    expect((await store.loadUsers(['a'])).get('a')?.state).toEqual(a);
  });

  test('an instance the core names but the store lacks is reported as corrupt state', async () => {
    const store = tempStore();
    const a = userWith('a', 1, false, true);
    const pieces = toPieces(a);
    pieces.delete(`${userPrefix('a')}i/j/1`);
    await store.apply(puts(pieces));
    await expect(store.loadUsers(['a'])).rejects.toThrow(/instance j\/1 is missing/);
  });
});

describe('PartitionStore.userIdsAfter', () => {
  const tempStore = useTempStore();

  test('every user with state once, in key order, a page at a time, whatever their pieces; timers and meta are not users', async () => {
    const store = tempStore();
    const users = [userWith('a', 2, true, true), userWith('ab', 1, false), userWith('a-b', 0, false), userWith('b/é', 0, false), userWith('z', 3, true, true)];
    await store.apply([...users.flatMap((u) => puts(toPieces(u))), { type: 'put', key: 't/0000000000005001/a', value: '' }, store.metaOp({ offsets: {}, changelogOffset: '4', clock: 1 })]);
    const pages: string[][] = [];
    for (let ids = await store.userIdsAfter(null, 2); ids.length > 0; ids = await store.userIdsAfter(ids.at(-1) as string, 2)) pages.push(ids);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(['a', 'a-b', 'ab', 'b/é', 'z']);
    expect(new Set(pages.flat()).size).toBe(5);
  });
});

describe('PartitionStore bulk loading', () => {
  test('the bulk-load memtable: 64 MiB for up to 4 partitions restoring together, a 256 MiB share (whole MiB) past that, at least 4 MiB', () => {
    const MiB = 1024 * 1024;
    expect([0, 1, 4, 5, 8, 16, 64, 1000].map((n) => bulkLoadBufferBytes(n) / MiB)).toEqual([64, 64, 64, 51, 32, 16, 4, 4]);
  });

  test('a store written with the bulk-load memtable and reopened with the defaults reads back every user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journeys-bulk-'));
    try {
      // About 8 MB: past the default 4 MiB memtable, under the bulk one, so the reopen must recover it from the log.
      const users = Array.from({ length: 4000 }, (_, i) => userWith(`u${i}`, 2, true));
      const bulk = await PartitionStore.open(dir, { writeBufferBytes: bulkLoadBufferBytes(4) });
      for (let i = 0; i < users.length; i += 500) await bulk.apply(users.slice(i, i + 500).flatMap((u) => puts(toPieces(u))));
      // Nothing flushed to a table yet (the default memtable would have been, twice): the option took effect.
      expect(readdirSync(dir).filter((f) => f.endsWith('.ldb'))).toEqual([]);
      await bulk.close();
      const store = await PartitionStore.open(dir);
      const loaded = await store.loadUsers(users.map((u) => u.userId));
      await store.close();
      expect(loaded.size).toBe(users.length);
      for (const u of users) expect(loaded.get(u.userId)?.state).toEqual(u);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
