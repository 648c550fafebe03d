// A FIFO queue with O(1) shift: `Array.prototype.shift` copies the whole array, which with thousands of
// buffered records per input made taking each record cost as much as the buffer is long.
export class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The i-th item from the head (0: the head), without taking it. */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    // Drop the taken prefix once it is most of the array, so memory stays proportional to what is queued.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
