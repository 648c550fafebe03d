// A binary min-heap of (due, key) pairs: the timer queue of the simulator and the processor's scheduler.
// Stale entries are allowed (the owner checks them against its own index when popping).

export class DueHeap {
  private dues: number[] = [];
  private keys: string[] = [];

  get size(): number {
    return this.dues.length;
  }

  push(due: number, key: string): void {
    this.dues.push(due);
    this.keys.push(key);
    let i = this.dues.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(parent, i)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** The smallest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.dues[0];
  }

  pop(): [number, string] | undefined {
    const n = this.dues.length;
    if (n === 0) return undefined;
    const top: [number, string] = [this.dues[0] as number, this.keys[0] as string];
    const lastDue = this.dues.pop() as number;
    const lastKey = this.keys.pop() as string;
    if (n > 1) {
      this.dues[0] = lastDue;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < n - 1 && this.less(l, m)) m = l;
        if (r < n - 1 && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  // Ties broken by key so the order of equal due times is deterministic.
  private less(a: number, b: number): boolean {
    const da = this.dues[a] as number, db = this.dues[b] as number;
    return da < db || (da === db && (this.keys[a] as string) < (this.keys[b] as string));
  }

  private swap(a: number, b: number): void {
    const d = this.dues[a] as number, k = this.keys[a] as string;
    this.dues[a] = this.dues[b] as number;
    this.keys[a] = this.keys[b] as string;
    this.dues[b] = d;
    this.keys[b] = k;
  }
}
