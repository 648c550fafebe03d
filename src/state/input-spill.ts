// A replay's input span, spilled to a LevelDB of its own: the events and the traits are read one topic after the
// other (each up to where the group stopped), then given back merged as the processor merged them, without holding
// either in memory.
import { ClassicLevel } from 'classic-level';
import { eventsGoFirst, type Message, type Side } from '../ingest/message';

/** Offsets are padded so that their keys sort as numbers. */
const OFFSET_DIGITS = 20;
/** Messages read from LevelDB at a time, per side. */
const READ_AHEAD = 1000;

export class InputSpill {
  private constructor(private readonly db: ClassicLevel<string, string>) {}

  /** Opens the spill in `dir`, emptied. */
  static async open(dir: string): Promise<InputSpill> {
    const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    await db.clear();
    return new InputSpill(db);
  }

  /** Adds one side's messages, with their input offsets. */
  async add(side: Side, messages: { offset: string; message: Message }[]): Promise<void> {
    if (messages.length === 0) return;
    await this.db.batch(messages.map(({ offset, message }) => ({ type: 'put' as const, key: `${side}/${offset.padStart(OFFSET_DIGITS, '0')}`, value: JSON.stringify(message) })));
  }

  /** Every message added, in the processor's merged order: each side in offset order, the earlier head first. */
  async *merged(): AsyncGenerator<Message> {
    const events = new SideCursor(this.db, 'events');
    const traits = new SideCursor(this.db, 'traits');
    try {
      let e = await events.next();
      let t = await traits.next();
      while (e !== undefined || t !== undefined) {
        if (t === undefined || (e !== undefined && eventsGoFirst(e, t))) {
          yield e as Message;
          e = await events.next();
        } else {
          yield t;
          t = await traits.next();
        }
      }
    } finally {
      await events.close();
      await traits.close();
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** One side's messages in offset order, read ahead in chunks. */
class SideCursor {
  private readonly it;
  private chunk: string[] = [];
  private at = 0;

  constructor(db: ClassicLevel<string, string>, side: Side) {
    this.it = db.values({ gt: `${side}/`, lt: `${side}/\xff` });
  }

  async next(): Promise<Message | undefined> {
    if (this.at === this.chunk.length) {
      this.chunk = await this.it.nextv(READ_AHEAD);
      this.at = 0;
      if (this.chunk.length === 0) return undefined;
    }
    return JSON.parse(this.chunk[this.at++] as string) as Message;
  }

  async close(): Promise<void> {
    await this.it.close();
  }
}
