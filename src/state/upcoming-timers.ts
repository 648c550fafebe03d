// The next entries of a partition's timer index, read ahead from LevelDB a page at a time. Asking "is anything
// due?" for every record is then a look at the head of an array, and the store is read only when the page
// is used up, not once or twice per record as a range scan per record did.
import type { PartitionStore, TimerEntry } from './partition-store';

export class UpcomingTimers {
  private page: TimerEntry[] = [];
  private head = 0;
  /** The last key read from the store (null: none yet). */
  private cursor: string | null = null;
  /** The page holds every index entry after those taken (the store had no more when it was read). */
  private complete = false;

  constructor(private readonly store: PartitionStore, private readonly pageSize = 1000) {}

  /** Takes the next entry due at or before `now`; undefined when none is. */
  async next(now: number): Promise<TimerEntry | undefined> {
    const entry = await this.peek(now);
    if (entry !== undefined) {
      this.head++;
      // Taken entries are dropped once they are most of the page: a partition whose whole index fits one page
      // (read to its end, so every entry added since goes into it) would otherwise keep every timer it ever had.
      if (this.head >= 1024 && this.head * 2 >= this.page.length) {
        this.page = this.page.slice(this.head);
        this.head = 0;
      }
    }
    return entry;
  }

  /** The next entry due at or before `now`, left in place; undefined when none is. */
  async peek(now: number): Promise<TimerEntry | undefined> {
    for (;;) {
      const entry = this.page[this.head];
      if (entry !== undefined) return entry.due > now ? undefined : entry;
      if (this.complete) return undefined;
      const read = await this.store.timerEntriesAfter(this.cursor, this.pageSize);
      this.page = read;
      this.head = 0;
      this.cursor = read.at(-1)?.key ?? this.cursor;
      this.complete = read.length < this.pageSize;
    }
  }

  /**
   * An entry written to the index (before or after this instance read its place): kept in key order when the
   * page covers that place, else left for a later read.
   */
  added(entry: TimerEntry): void {
    if (!this.complete && (this.cursor === null || entry.key > this.cursor)) return;
    const lo = this.placeOf(entry.key);
    if (this.page[lo]?.key === entry.key) return;
    this.page.splice(lo, 0, entry);
    // Bounded: past twice a page, the tail is dropped and read again from the store when reached.
    if (this.page.length - this.head > 2 * this.pageSize) {
      this.page = this.page.slice(this.head, this.head + this.pageSize);
      this.head = 0;
      this.cursor = (this.page.at(-1) as TimerEntry).key;
      this.complete = false;
    }
  }

  /**
   * An entry deleted from the index (the user's due instant moved): out of the page too, so that every entry the
   * page gives is in the store. (One left there came back as a stale entry, and the pending-timers gauge, which
   * counts entries as they are dropped, went down twice.) The caller still checks each entry against the user.
   */
  removed(key: string): void {
    const at = this.placeOf(key);
    if (this.page[at]?.key === key) this.page.splice(at, 1);
  }

  /** Where `key` is or would go among the entries not yet taken. */
  private placeOf(key: string): number {
    let lo = this.head;
    let hi = this.page.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.page[mid] as TimerEntry).key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
