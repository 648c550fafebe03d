// A replay's input span spilled to a real LevelDB (classic-level in a temp dir) and given back in the processor's
// merged order (spec §7): the earlier head first, traits first on ties, each input in its own order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message, Side } from '../../../src/ingest/message';
import { InputSpill } from '../../../src/state/input-spill';

function msg(id: string, timestamp: number): Message {
  return { type: 'track', userId: 'u', messageId: id, timestamp, event: 'E', properties: {}, traits: null };
}

describe('InputSpill', () => {
  let dir: string;
  let spill: InputSpill;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'journeys-spill-'));
    spill = await InputSpill.open(dir);
  });
  afterEach(async () => {
    await spill.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function merged(): Promise<string[]> {
    const ids: string[] = [];
    for await (const m of spill.merged()) ids.push(m.messageId ?? '?');
    return ids;
  }

  const add = (side: Side, offsets: [number, Message][]) => spill.add(side, offsets.map(([o, message]) => ({ offset: String(o), message })));

  test('merges by timestamp, traits first on ties; a side out of time order keeps its own order', async () => {
    // Offsets 9 and 10 sort after 2 only as numbers: the keys are padded.
    await add('events', [[2, msg('e1', 10)], [9, msg('e2', 30)], [10, msg('e3', 20)], [11, msg('e4', 40)]]);
    await add('traits', [[0, msg('t1', 10)], [1, msg('t2', 25)], [5, msg('t3', 40)]]);
    // e3 (20) comes after e2 (30) in its input: the merge takes heads, as the processor does, not a global sort.
    expect(await merged()).toEqual(['t1', 'e1', 't2', 'e2', 'e3', 't3', 'e4']);
  });

  test('one side empty, and a spill opened again starts empty', async () => {
    await add('traits', [[3, msg('t1', 5)], [4, msg('t2', 1)]]);
    expect(await merged()).toEqual(['t1', 't2']);
    await spill.close();
    spill = await InputSpill.open(dir);
    expect(await merged()).toEqual([]);
    await add('events', Array.from({ length: 2500 }, (_, i): [number, Message] => [i, msg(`e${i}`, i)]));
    const ids = await merged();
    expect(ids).toHaveLength(2500);
    expect(ids[2499]).toBe('e2499');
  });
});
