// The local state of one input partition: a LevelDB database (classic-level) holding user state pieces
// (`u/<user>/...`), the timer index (`t/<due>/<user>`: each user's next due instant), the journey versions
// run (`d/<journey>/<version>`) and metadata (`m/...`: input offsets, changelog offset, clock). Every change of a processed batch is written in one atomic batch,
// so the store is always the state as of some committed input offset, never in between.
import { ClassicLevel } from 'classic-level';
import { nextDue, type UserState } from '../engine/state';
import { VERSION_PREFIX } from './journey-versions';
import { assemble, CORE_PIECE, fromKeyPart, fromPieces, isCoreKey, keyPart, otherPieceKeys, parseCore, userOfKey, userPrefix, type CorePiece } from './pieces';

export interface LoadedUser {
  state: UserState | undefined;
  /** The stored pieces (key → JSON text), to tell what changed. */
  pieces: Map<string, string>;
  /** The due instant in the timer index. */
  due: number | null;
}

export interface StoreMeta {
  /** Next input offsets (last processed + 1), as the consumer group commits them. */
  offsets: Record<string, string>;
  /** The last changelog offset whose record is in this store (-1: none). */
  changelogOffset: string;
  /** The partition's clock: the largest timestamp seen (event clock) or the last `now` (wall clock). */
  clock: number | null;
  /**
   * When condition-entry journeys went live on this partition, by `<journey>@<version>` (null: before any user was
   * seen). A journey version without an entry is new: it goes live at the next start.
   */
  live?: Record<string, number | null>;
  /**
   * Present while users are still to be brought to the partition's clock after journeys went live or a new version's
   * `migrate` was loaded (a sweep of the store, a chunk of users per transaction): the last user done (null: none yet).
   */
  sweep?: { after: string | null };
  /**
   * The journeys retired (archived, or their file removed) when the partition last loaded its files: one newly
   * retired has every user swept, so its live instances stop at once (spec §4.6), not when their user is next seen.
   */
  retired?: string[];
}

export type StoreOp =
  | { type: 'put'; key: string; value: string }
  /** A value as bytes (UTF-8 JSON, as the changelog holds it). */
  | { type: 'put'; key: string; value: Buffer; valueEncoding: 'buffer' }
  | { type: 'del'; key: string };

const META = 'm/meta';
const BUFFER_VALUE = { valueEncoding: 'buffer' } as const;
const TIMER_PREFIX = 't/';
const USER_PREFIX = 'u/';

/**
 * Sixteen characters that sort as the instants do: an instant since 1970 as 16 digits; one before (event time
 * lets a message be from 1969) as '-' and 15 digits of 10^15 + due ('-' sorts before every digit). ISO years from
 * 0000 keep both within their width.
 */
const BEFORE_1970 = 1e15;

function dueText(due: number): string {
  return due >= 0 ? String(due).padStart(16, '0') : `-${String(BEFORE_1970 + due).padStart(15, '0')}`;
}

function dueOfText(text: string): number {
  return text.startsWith('-') ? Number(text.slice(1)) - BEFORE_1970 : Number(text);
}

export function timerKey(due: number, userId: string): string {
  return `${TIMER_PREFIX}${dueText(due)}/${keyPart(userId)}`;
}

export interface TimerEntry {
  key: string;
  due: number;
  userId: string;
}

function timerEntry(key: string): TimerEntry {
  return { key, due: dueOfText(key.slice(2, 18)), userId: fromKeyPart(key.slice(19)) };
}

export function emptyMeta(): StoreMeta {
  return { offsets: {}, changelogOffset: '-1', clock: null };
}

export interface StoreOptions {
  /** LevelDB's memtable size (its default, 4 MiB, when not given). */
  writeBufferBytes?: number;
}

/** What the memtables of the stores restoring at once may take together (each up to twice its size). */
const BULK_LOAD_BUDGET_BYTES = 256 * 1024 * 1024;
const BULK_WRITE_BUFFER_MAX = 64 * 1024 * 1024;
const DEFAULT_WRITE_BUFFER = 4 * 1024 * 1024;

/**
 * The memtable for bulk loading a store (a restore) while `together` stores may restore at once: 64 MiB when
 * 4 or fewer share the budget, less past that, never below LevelDB's 4 MiB default. Fewer, larger level-0
 * tables mean far less compaction while the whole state is written (restore 1M users, same-run A/B: 58-63k ->
 * 83-87k users/s with the reopen; the restore's peak RSS ~420 -> ~600-690 MB). The store is reopened with
 * the default afterwards, so processing keeps its small memtables.
 */
export function bulkLoadBufferBytes(together: number): number {
  const MiB = 1024 * 1024;
  const share = Math.floor(BULK_LOAD_BUDGET_BYTES / Math.max(1, together) / MiB) * MiB;
  return Math.max(DEFAULT_WRITE_BUFFER, Math.min(BULK_WRITE_BUFFER_MAX, share));
}

export class PartitionStore {
  private constructor(private readonly db: ClassicLevel<string, string>, readonly dir: string) {}

  static async open(dir: string, options: StoreOptions = {}): Promise<PartitionStore> {
    const db = new ClassicLevel<string, string>(dir, {
      keyEncoding: 'utf8', valueEncoding: 'utf8', ...(options.writeBufferBytes === undefined ? {} : { writeBufferSize: options.writeBufferBytes }),
    });
    await db.open();
    return new PartitionStore(db, dir);
  }

  async meta(): Promise<StoreMeta> {
    const text = await this.db.get(META);
    return text === undefined ? emptyMeta() : (JSON.parse(text) as StoreMeta);
  }

  metaOp(meta: StoreMeta): StoreOp {
    return { type: 'put', key: META, value: JSON.stringify(meta) };
  }

  async loadUser(userId: string): Promise<LoadedUser> {
    return (await this.loadUsers([userId])).get(userId) as LoadedUser;
  }

  /**
   * Several users at once, with multi-gets rather than a range read per user: their core pieces first (a user
   * without one has no state: pieces are written together), then the other pieces their cores name. Reading
   * a batch's users together keeps LevelDB's threads busy instead of waiting for one read at a time.
   */
  async loadUsers(userIds: readonly string[]): Promise<Map<string, LoadedUser>> {
    const out = new Map<string, LoadedUser>();
    const coreKeys = userIds.map((id) => userPrefix(id) + CORE_PIECE);
    const cores = await this.db.getMany(coreKeys);
    const pending: { userId: string; core: CorePiece; pieces: Map<string, string>; keys: string[] }[] = [];
    const olderLayout: Promise<void>[] = [];
    userIds.forEach((userId, i) => {
      const text = cores[i];
      if (text === undefined) {
        out.set(userId, { state: undefined, pieces: new Map(), due: null });
        return;
      }
      const core = parseCore(text);
      const keys = otherPieceKeys(userId, core);
      if (keys === null) olderLayout.push(this.readPieces(userId).then((user) => void out.set(userId, user)));
      else pending.push({ userId, core, pieces: new Map([[coreKeys[i] as string, text]]), keys });
    });
    // Most cores name no other piece (small instances and histories ride in them): then no second read.
    const otherKeys = pending.flatMap((p) => p.keys);
    const values = otherKeys.length === 0 ? [] : await this.db.getMany(otherKeys);
    let at = 0;
    for (const { userId, core, pieces, keys } of pending) {
      for (const key of keys) {
        const value = values[at++];
        if (value !== undefined) pieces.set(key, value);
      }
      const state = assemble(userId, core, pieces);
      out.set(userId, { state, pieces, due: nextDue(state) });
    }
    await Promise.all(olderLayout);
    return out;
  }

  /** A user's pieces by a range read (cores of the older layout do not name all of them). */
  private async readPieces(userId: string): Promise<LoadedUser> {
    const prefix = userPrefix(userId);
    const pieces = new Map<string, string>();
    for await (const [k, v] of this.db.iterator({ gte: prefix, lt: prefix + '\xff' })) pieces.set(k, v);
    const state = pieces.size === 0 ? undefined : fromPieces(userId, pieces);
    return { state, pieces, due: state === undefined ? null : nextDue(state) };
  }

  /** The journey versions kept (key → JSON record). */
  async journeyVersions(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const [k, v] of this.db.iterator({ gte: VERSION_PREFIX, lt: VERSION_PREFIX + '\xff' })) out.set(k, v);
    return out;
  }

  /** Up to `limit` ids of users with state, in key order, after the user `after` (null: from the first). */
  async userIdsAfter(after: string | null, limit: number): Promise<string[]> {
    const out: string[] = [];
    const keys = this.db.keys({ gt: after === null ? USER_PREFIX : userPrefix(after) + '\xff', lt: USER_PREFIX + '\xff' });
    try {
      // Every user has a core piece; their other pieces sort next to it.
      for (let chunk = await keys.nextv(1000); chunk.length > 0 && out.length < limit; chunk = await keys.nextv(1000)) {
        for (const key of chunk) {
          if (!isCoreKey(key)) continue;
          const userId = userOfKey(key);
          if (userId !== null) out.push(userId);
          if (out.length === limit) break;
        }
      }
    } finally {
      await keys.close();
    }
    return out;
  }

  /** Up to `limit` timer-index entries after the key `afterKey` (null: from the first), in due order. */
  async timerEntriesAfter(afterKey: string | null, limit: number): Promise<TimerEntry[]> {
    const out: TimerEntry[] = [];
    const lt = TIMER_PREFIX + '\xff';
    for await (const key of this.db.keys(afterKey === null ? { gte: TIMER_PREFIX, lt, limit } : { gt: afterKey, lt, limit })) out.push(timerEntry(key));
    return out;
  }

  async timersPending(): Promise<number> {
    // Counted a thousand keys at a time: one `next()` per key cost 4% of a restore's CPU at 300k users.
    const keys = this.db.keys({ gte: TIMER_PREFIX, lt: TIMER_PREFIX + '\xff' });
    let n = 0;
    try {
      for (let chunk = await keys.nextv(1000); chunk.length > 0; chunk = await keys.nextv(1000)) n += chunk.length;
    } finally {
      await keys.close();
    }
    return n;
  }

  async apply(ops: StoreOp[]): Promise<void> {
    if (ops.length === 0) return;
    // A chained batch: one native call per op with its key and value, where an array batch has the binding read
    // each op's properties back (~20% less main-thread time per op, which a restore spends ~1 us on).
    const batch = this.db.batch();
    try {
      for (const op of ops) {
        if (op.type === 'del') batch.del(op.key);
        // Values are strings (the store's encoding) or bytes (an op of its own encoding).
        else if ('valueEncoding' in op) batch.put<string, Buffer>(op.key, op.value, BUFFER_VALUE);
        else batch.put(op.key, op.value);
      }
    } catch (err) {
      await batch.close();
      throw err;
    }
    await batch.write();
  }

  /** Drops everything (before a full restore from the changelog). */
  async clear(): Promise<void> {
    await this.db.clear();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
