// Collects items into batches: a batch goes out when it has `maxItems` items, when the oldest item has
// waited `lingerMs`, or (with lingerMs 0) once the current turn of the event loop is over, so the items
// handed over in one go travel together. Batches are numbered in the order they go out.
export class Batcher<T> {
  private items: T[] = [];
  private fillingNumber = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly options: { maxItems: number; lingerMs: number },
    private readonly onBatch: (items: T[], batch: number) => void,
  ) {}

  /** Adds an item; returns the number of the batch it goes out in. */
  add(item: T): number {
    const batch = this.fillingNumber;
    this.items.push(item);
    if (this.items.length >= this.options.maxItems) {
      this.flush();
      return batch;
    }
    if (this.options.lingerMs > 0) this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    else this.immediate ??= setImmediate(() => this.flush());
    return batch;
  }

  /** Sends everything pending now, in batches of at most maxItems. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    while (this.items.length > 0) {
      const batch = this.items.splice(0, this.options.maxItems);
      this.onBatch(batch, this.fillingNumber++);
    }
  }

  get pending(): number {
    return this.items.length;
  }

  /** The number of the batch being filled (not gone out yet). */
  get filling(): number {
    return this.fillingNumber;
  }
}
