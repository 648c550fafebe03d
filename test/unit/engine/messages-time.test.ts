// Messages (spec §2), the clock (§3) and journey context (§4.4).
import { parseMessage } from '../../../src/ingest/message';
import { TestDriver } from '../../helpers/test-driver';
import { dedupId } from '../../../src/engine/engine';

const T = (hhmm: string, day = '01'): string => `2026-03-${day}T${hhmm}:00.000Z`;

const counter = `journey: j
entry:
  event: Go
  reentry: always
  key: n
steps:
  - id: s
    wait: 1h
`;

/** `{ a: { a: ... { a: 1 } } }`: an object `levels + 1` deep. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { a: 1 };
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe('message validity', () => {
  test.each<[string, unknown, string | null]>([
    ['a track', { type: 'track', event: 'E', timestamp: '2026-01-01T00:00:00Z' }, null],
    ['an offset', { type: 'identify', timestamp: '2026-01-01T00:00:00.123+02:00', traits: {} }, null],
    ['not an object', [1], 'not a JSON object'],
    ['an unknown type', { type: 'click', timestamp: '2026-01-01T00:00:00Z' }, 'unknown type "click" (one of track, page, screen, identify, group, alias)'],
    // An Avro value written with another schema decodes to an object without one: the reason says so.
    ['no type', { event: 'E', timestamp: '2026-01-01T00:00:00Z' }, 'no type (one of track, page, screen, identify, group, alias)'],
    ['a timestamp without zone', { type: 'track', event: 'E', timestamp: '2026-01-01T00:00:00' }, 'timestamp'],
    ['a date only', { type: 'track', event: 'E', timestamp: '2026-01-01' }, 'timestamp'],
    ['an impossible date', { type: 'track', event: 'E', timestamp: '2026-02-30T00:00:00Z' }, 'timestamp'],
    ['a track without event', { type: 'track', timestamp: '2026-01-01T00:00:00Z' }, 'event'],
    ['a numeric event', { type: 'track', event: 5, timestamp: '2026-01-01T00:00:00Z' }, 'event'],
    ['properties not an object', { type: 'track', event: 'E', properties: [], timestamp: '2026-01-01T00:00:00Z' }, 'properties'],
    ['traits not an object', { type: 'identify', traits: 'x', timestamp: '2026-01-01T00:00:00Z' }, 'traits'],
    // Values the user's state (JSON) could not give back: refused, as the processor's every restart would differ.
    ['a number JSON cannot hold (1e400)', JSON.parse('{"type":"track","event":"E","timestamp":"2026-01-01T00:00:00Z","properties":{"a":[1e400]}}'), 'properties holds a number out of range (Infinity)'],
    ['a trait -1e400', JSON.parse('{"type":"identify","timestamp":"2026-01-01T00:00:00Z","traits":{"score":-1e400}}'), 'traits holds a number out of range (-Infinity)'],
    ['a page name NaN (as Avro may give)', { type: 'page', name: Number.NaN, timestamp: '2026-01-01T00:00:00Z' }, 'properties holds a number out of range (NaN)'],
    ['properties nested 101 deep', { type: 'track', event: 'E', properties: nested(100), timestamp: '2026-01-01T00:00:00Z' }, 'properties is nested deeper than 100 levels'],
    ['properties nested 100 deep', { type: 'track', event: 'E', properties: nested(99), timestamp: '2026-01-01T00:00:00Z' }, null],
    ['traits nested 5,000 deep', JSON.parse(`{"type":"identify","timestamp":"2026-01-01T00:00:00Z","traits":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`), 'traits is nested deeper'],
    ['a userId with a lone surrogate', { type: 'track', event: 'E', userId: 'u\ud800', timestamp: '2026-01-01T00:00:00Z' }, 'userId is not well-formed Unicode'],
    ['a userId with a surrogate pair', { type: 'track', event: 'E', userId: 'u\ud83d\ude00', timestamp: '2026-01-01T00:00:00Z' }, null],
  ])('%s', (_name, raw, reason) => {
    const r = parseMessage(raw);
    if (reason === null) expect(r.ok).toBe(true);
    else expect(r.ok ? 'valid' : r.reason).toContain(reason);
  });

  test('a userId that is not a non-empty string counts as missing', () => {
    for (const userId of ['', 5, null, undefined]) {
      const r = parseMessage({ type: 'track', event: 'E', userId, timestamp: '2026-01-01T00:00:00Z' });
      expect(r.ok && r.message.userId).toBeNull();
    }
  });
});

describe('deduplication', () => {
  test('the same messageId within 24 h of its processing is ignored; later it is processed again', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('10:00'), { n: 1 }, 'dup');
    d.track('u1', 'Go', T('11:00'), { n: 2 }, 'dup'); // ignored
    d.track('u1', 'Go', T('09:59', '02'), { n: 3 }, 'dup'); // still < 24 h after 10:00
    d.track('u1', 'Go', T('10:00', '02'), { n: 4 }, 'dup'); // 24 h later: processed
    d.track('u1', 'Go', T('10:01', '02'), { n: 5 }, 'other');
    expect(d.transitions().filter((t) => t.reason === 'entry').map((t) => t.context.Go)).toEqual([{ n: 1 }, { n: 4 }, { n: 5 }]);
    expect(d.sim.stats.duplicates).toBe(2);
  });

  test('an ignored duplicate does not renew the 24 h', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('00:00'), { n: 1 }, 'dup');
    d.track('u1', 'Go', T('23:00'), { n: 2 }, 'dup'); // ignored, does not renew
    d.track('u1', 'Go', T('00:00', '02'), { n: 3 }, 'dup'); // 24 h after the processed one
    expect(d.transitions().filter((t) => t.reason === 'entry')).toHaveLength(2);
  });

  test('only the last 1,000 processed messages of the user are remembered', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('10:00'), { n: 0 }, 'first');
    for (let i = 1; i <= 1000; i++) d.track('u1', 'Other', T('10:00'), {}, `m${i}`);
    d.track('u1', 'Go', T('10:01'), { n: 1 }, 'first');
    expect(d.transitions().filter((t) => t.reason === 'entry')).toHaveLength(2);
  });

  test('messages without messageId count among the last 1,000 processed; 999 later ones do not push it out', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('10:00'), { n: 0 }, 'first');
    for (let i = 1; i <= 999; i++) d.track('u1', 'Other', T('10:00'));
    d.track('u1', 'Go', T('10:01'), { n: 1 }, 'first'); // still among the last 1,000: ignored
    d.track('u1', 'Other', T('10:02'));
    d.track('u1', 'Go', T('10:03'), { n: 2 }, 'first'); // 1,001 processed since: not a duplicate
    expect(d.transitions().filter((t) => t.reason === 'entry').map((t) => t.context.Go)).toEqual([{ n: 0 }, { n: 2 }]);
  });

  test('messages without messageId are never deduplicated (cause.messageId null)', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('10:00'), { n: 1 }).track('u1', 'Go', T('10:00'), { n: 2 });
    expect(d.transitions().map((t) => t.cause?.messageId)).toEqual([null, null]);
  });

  test('a long messageId is remembered by its hash: still deduplicated, the window stays small', () => {
    const d = TestDriver.fromYaml(counter);
    const long = 'x'.repeat(10_000);
    d.track('u1', 'Go', T('10:00'), { n: 1 }, long);
    d.track('u1', 'Go', T('10:01'), { n: 2 }, long); // ignored
    d.track('u1', 'Go', T('10:02'), { n: 3 }, `${long}y`); // another id
    const exactly64 = 'z'.repeat(64);
    d.track('u1', 'Go', T('10:03'), { n: 4 }, exactly64);
    d.track('u1', 'Go', T('10:04'), { n: 5 }, exactly64); // ignored
    expect(d.transitions().filter((t) => t.reason === 'entry').map((t) => t.context.Go)).toEqual([{ n: 1 }, { n: 3 }, { n: 4 }]);
    expect(d.sim.stats.duplicates).toBe(2);
    const window = d.state('u1')?.dedup.map(([id]) => id) ?? [];
    expect(window).toEqual([dedupId(long), dedupId(`${long}y`), exactly64]);
    expect(window.every((id) => id.length <= 65)).toBe(true);
    expect(dedupId(long)).toMatch(/^#[0-9a-f]{64}$/);
  });

  test('1,000 processed messages with 100 KiB ids keep the state under 200 KiB', () => {
    const d = TestDriver.fromYaml(counter);
    for (let i = 0; i < 1000; i++) d.track('u1', 'Other', T('10:00'), {}, `${i}-${'m'.repeat(100 * 1024)}`);
    expect(Buffer.byteLength(JSON.stringify(d.state('u1')))).toBeLessThan(200 * 1024);
  });

  test('a state written before the cap (a long id kept as it is) still deduplicates that id', () => {
    const long = 'q'.repeat(200);
    const before = TestDriver.fromYaml(counter);
    before.track('u1', 'Go', T('10:00'), { n: 1 }, 'other');
    const state = before.state('u1');
    if (state === undefined) throw new Error('no state');
    state.dedup.push([long, Date.parse(T('10:00')), state.processed]);
    before.track('u1', 'Go', T('10:01'), { n: 2 }, long); // the unhashed entry matches
    expect(before.sim.stats.duplicates).toBe(1);
  });

  test("an id that spells another id's remembered hash is a different id", () => {
    const d = TestDriver.fromYaml(counter);
    const long = 'm'.repeat(100);
    d.track('u1', 'Go', T('10:00'), { n: 1 }, long);
    d.track('u1', 'Go', T('10:01'), { n: 2 }, dedupId(long)); // '#' and the SHA-256 of the first id: not a duplicate
    d.track('u1', 'Go', T('10:02'), { n: 3 }, dedupId(long)); // a duplicate of the second
    expect(d.transitions().filter((t) => t.reason === 'entry').map((t) => t.context.Go)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(d.sim.stats.duplicates).toBe(1);
  });

  test('group and alias messages are deduplicated but trigger nothing', () => {
    const d = TestDriver.fromYaml(counter);
    d.pipe({ type: 'group', userId: 'u1', groupId: 'g', timestamp: T('10:00'), messageId: 'x' });
    d.track('u1', 'Go', T('10:01'), { n: 1 }, 'x');
    expect(d.transitions()).toEqual([]);
    expect(d.sim.stats.ignored).toBe(1);
  });
});

describe('traits', () => {
  test('identify merges top-level keys; null removes; a nested object replaces the old value whole', () => {
    const d = TestDriver.fromYaml(counter);
    d.identify('u1', T('10:00'), { a: 1, b: { x: 1, y: 2 }, c: 'keep' });
    d.identify('u1', T('10:01'), { a: null, b: { x: 3 } });
    expect(d.state('u1')!.traits).toEqual({ b: { x: 3 }, c: 'keep' });
  });

  test('names that are members of every JavaScript object are traits like any other', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Go
steps:
  - id: pick
    split:
      branches:
        - when: { all: [{ trait: __proto__, exists: true }, { trait: constructor, equals: c }, { trait: toString, exists: false }] }
          next: tell
  - id: tell
    send: { to: [crm], traits: [__proto__, constructor, toString] }
`);
    // As JSON.parse reads them off the wire: "__proto__" an own key.
    d.pipe(JSON.parse('{"type":"identify","userId":"u1","timestamp":"2026-03-01T10:00:00.000Z","traits":{"__proto__":{"x":1},"constructor":"c"}}') as Record<string, unknown>);
    d.track('u1', 'Go', T('10:01'));
    expect(d.lines()).toEqual([
      'u1/j/1 null→pick entry 2026-03-01T10:01:00.000Z',
      'u1/j/1 pick→tell split 2026-03-01T10:01:00.000Z',
      'u1/j/1 tell→$complete end 2026-03-01T10:01:00.000Z',
    ]);
    expect(JSON.stringify(d.transitions()[1]?.send?.traits)).toBe('{"__proto__":{"x":1},"constructor":"c"}');
    expect(Object.getPrototypeOf(d.state('u1')!.traits)).toBe(Object.prototype);
  });
});

describe('journey ids', () => {
  test('a journey may be called constructor (a valid slug)', () => {
    const d = TestDriver.fromYaml(`journey: constructor
entry:
  event: Go
steps:
  - id: pause
    wait: 1h
`);
    d.track('u1', 'Go', T('10:00'));
    d.advanceTo(T('11:00'));
    expect(d.lines()).toEqual([
      'u1/constructor/1 null→pause entry 2026-03-01T10:00:00.000Z',
      'u1/constructor/1 pause→$complete end 2026-03-01T11:00:00.000Z',
    ]);
  });
});

describe('the clock', () => {
  test('a message without userId moves the clock (firing due timers) and is counted and skipped', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('10:00'), { n: 1 });
    d.pipe({ type: 'track', event: 'Go', timestamp: T('12:00'), properties: { n: 2 } });
    expect(d.lines()).toEqual([`u1/j/1 null→s entry ${T('10:00')}`, `u1/j/1 s→$complete end ${T('11:00')}`]);
    expect(d.sim.stats.withoutUserId).toBe(1);
  });

  test('an older message is processed at the current now; windows count its own timestamp', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Check
  when: { performed: Buy, within: 1h }
steps:
  - id: s
    wait: 1h
`);
    d.track('u1', 'Tick', T('12:00'));
    d.track('u1', 'Buy', T('10:00')); // older: now stays 12:00, but 10:00 is outside the last hour
    d.track('u1', 'Check', T('12:00'));
    expect(d.transitions()).toEqual([]);
    d.track('u1', 'Buy', T('11:30'));
    d.track('u1', 'Check', T('09:00')); // processed at 12:00
    expect(d.lines()).toEqual([`u1/j/1 null→s entry ${T('12:00')}`]);
  });

  test('a waiting step takes a message stamped before the step was entered: it is processed at now', () => {
    const d = TestDriver.fromYaml(`journey: j
entry: { event: Start }
steps:
  - id: w
    waitFor:
      events: [{ event: Click, next: done }]
      timeout: 1h
  - id: late
    wait: 1h
  - id: done
    wait: 1h
`);
    d.track('u1', 'Start', T('10:00'));
    d.track('u1', 'Click', T('09:30')); // older than the entry: still the next Click the waiting step sees
    d.advanceTo(T('12:00'));
    expect(d.lines()).toEqual([`u1/j/1 null→w entry ${T('10:00')}`, `u1/j/1 w→done event ${T('10:00')}`, `u1/j/1 done→$complete end ${T('11:00')}`]);
  });

  test('a duplicate still moves the clock', () => {
    const d = TestDriver.fromYaml(counter);
    d.track('u1', 'Go', T('10:00'), { n: 1 }, 'a').track('u1', 'Go', T('11:30'), { n: 2 }, 'a');
    expect(d.lines()).toEqual([`u1/j/1 null→s entry ${T('10:00')}`, `u1/j/1 s→$complete end ${T('11:00')}`]);
  });
});

describe('context', () => {
  const loop = `journey: j
entry:
  event: Start
steps:
  - id: hold
    waitFor:
      events:
        - { event: A, restart: true }
        - { event: B, restart: true }
        - { event: C, restart: true }
      timeout: 1d
`;

  test('over 64 KiB the oldest snapshots are dropped, never the newest; replacing a key makes it newest', () => {
    const d = TestDriver.fromYaml(loop);
    const big = (c: string) => ({ blob: c.repeat(30_000) });
    d.track('u1', 'Start', T('10:00'), { s: 1 });
    d.track('u1', 'A', T('10:01'), big('a'));
    d.track('u1', 'B', T('10:02'), big('b'));
    expect(Object.keys(d.transitions().at(-1)!.context)).toEqual(['Start', 'A', 'B']);
    d.track('u1', 'A', T('10:03'), big('c')); // A replaced: order Start, B, A
    d.track('u1', 'C', T('10:04'), { small: true }); // 2 x 30 KB + C > 64 KiB: drop Start? no, still fits
    expect(Object.keys(d.transitions().at(-1)!.context)).toEqual(['Start', 'B', 'A', 'C']);
    d.track('u1', 'C', T('10:05'), big('d')); // 3 x 30 KB: the oldest (Start, then B) go
    const ctx = d.transitions().at(-1)!.context;
    expect(Object.keys(ctx)).toEqual(['A', 'C']);
    expect(Buffer.byteLength(JSON.stringify(ctx))).toBeLessThanOrEqual(65_536);
    expect(d.sim.stats.contextDrops).toBe(2);
  });

  test('a single snapshot over 64 KiB is stored as {"$truncated": true}', () => {
    const d = TestDriver.fromYaml(loop);
    d.track('u1', 'Start', T('10:00'), { blob: 'x'.repeat(70_000) });
    expect(d.transitions()[0]!.context).toEqual({ Start: { $truncated: true } });
  });

  test('the snapshot itself is measured: at exactly 64 KiB it is kept whole (the newest is never dropped), one byte more is truncated', () => {
    // {"blob":"x..."}: 11 bytes of JSON around the string ('é' is 2 bytes in UTF-8).
    const kept = { blob: 'é' + 'x'.repeat(65_536 - 11 - 2) };
    const over = { blob: 'é' + 'x'.repeat(65_536 - 11 - 1) };
    expect(Buffer.byteLength(JSON.stringify(kept))).toBe(65_536);
    const d = TestDriver.fromYaml(loop);
    d.track('u1', 'Start', T('10:00'), kept).track('u2', 'Start', T('10:00'), over);
    expect(d.transitions().find((t) => t.userId === 'u1')!.context).toEqual({ Start: kept });
    expect(d.transitions().find((t) => t.userId === 'u2')!.context).toEqual({ Start: { $truncated: true } });
  });

  test('a send\'s traits stay within 512 KiB: a trait that would take them past it is {"$truncated": true}, in the step\'s order', () => {
    const d = TestDriver.fromYaml(`journey: t
entry: { event: Go }
steps:
  - id: tell
    send: { to: [crm], traits: [a, b, small, c, missing] }
`);
    // Three traits of 200 KB each (the most one message may carry is 256 KiB): the third would pass 512 KiB.
    d.identify('u1', T('09:00'), { a: 'a'.repeat(200_000), b: { v: 'b'.repeat(200_000) }, small: 7, c: 'c'.repeat(200_000) });
    d.track('u1', 'Go', T('10:00'));
    const send = d.transitions().find((t) => t.to === 'tell')!.send!;
    expect(Object.keys(send.traits)).toEqual(['a', 'b', 'small', 'c']);
    expect(send.traits.small).toBe(7);
    expect(send.traits.c).toEqual({ $truncated: true });
    expect((send.traits.a as string).length).toBe(200_000);
    expect(Buffer.byteLength(JSON.stringify(send.traits))).toBeLessThanOrEqual(512 * 1024);
  });

  test('a trait named twice in a send is sent once, and counted once toward the 512 KiB', () => {
    const d = TestDriver.fromYaml(`journey: t
entry: { event: Go }
steps:
  - id: tell
    send: { to: [crm], traits: [big, big, big] }
`);
    d.identify('u1', T('09:00'), { big: 'x'.repeat(200_000) });
    d.track('u1', 'Go', T('10:00'));
    expect(d.transitions().find((t) => t.to === 'tell')!.send!.traits).toEqual({ big: 'x'.repeat(200_000) });
  });

  test('condition-entry instances start with an empty context', () => {
    const d = TestDriver.fromYaml(`journey: c
entry:
  condition: { trait: a, equals: 1 }
steps:
  - id: s
    wait: 1h
`);
    d.identify('u1', T('10:00'), { a: 1 });
    expect(d.transitions()[0]!.context).toEqual({});
  });
});
