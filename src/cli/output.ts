// Batches many small writes (one per transition) into large ones: a write per line costs more than the engine.
import type { Writable } from 'node:stream';

export class BufferedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly stream: Writable, private readonly flushAt = 1 << 16) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.flushAt) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.stream.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }

  /**
   * Null when the stream wants more; else a promise of its `drain`. (A pipe takes output more slowly than the
   * engine makes it: written on regardless, gigabytes of records piled up in the process until a write failed.)
   */
  ready(): Promise<void> | null {
    if (!this.stream.writableNeedDrain) return null;
    return new Promise((resolve) => this.stream.once('drain', () => resolve()));
  }

  /** Flushes and waits until the stream has taken everything. */
  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => {
      if (this.stream.writableNeedDrain) this.stream.once('drain', () => resolve());
      else resolve();
    });
  }
}

/** Characters JSON leaves as they are that some line readers (Python's splitlines) take for line breaks. */
const LINE_BREAK = /[\u0085\u2028\u2029]/;
const LINE_BREAKS = /[\u0085\u2028\u2029]/g;

/**
 * One record as a line of JSON: a line whatever reads it, so those characters are written escaped (`\u2028`),
 * which JSON reads back the same.
 */
export function jsonLine(value: object): string {
  const text = JSON.stringify(value);
  return (LINE_BREAK.test(text) ? text.replace(LINE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text) + '\n';
}
