// Collects items into batches: a batch goes out when it has `maxItems` items, when the oldest item has
// waited `lingerMs`, or (with lingerMs 0) once the current turn of the event loop is over, so the items
// handed over in one go travel together.
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly options: { maxItems: number; lingerMs: number },
    private readonly onBatch: (items: T[]) => void,
  ) {}

  add(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.options.maxItems) {
      this.flush();
      return;
    }
    if (this.options.lingerMs > 0) this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    else this.immediate ??= setImmediate(() => this.flush());
  }

  /** Sends everything pending now, in batches of at most maxItems. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    while (this.items.length > 0) {
      const batch = this.items.splice(0, this.options.maxItems);
      this.onBatch(batch);
    }
  }

  get pending(): number {
    return this.items.length;
  }
}
