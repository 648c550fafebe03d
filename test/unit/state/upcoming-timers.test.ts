// The timer index read ahead a page at a time, on a real LevelDB store.
import { timerKey } from '../../../src/state/partition-store';
import { UpcomingTimers } from '../../../src/state/upcoming-timers';
import { useTempStore } from '../../helpers/temp-store';

const store = useTempStore();
const put = (due: number, user: string) => store().apply([{ type: 'put', key: timerKey(due, user), value: '' }]);
async function takeAll(t: UpcomingTimers, now: number): Promise<string[]> {
  const out: string[] = [];
  for (let e = await t.next(now); e !== undefined; e = await t.next(now)) out.push(`${e.due}:${e.userId}`);
  return out;
}

test('entries come in due order, only once due, across pages', async () => {
  for (let i = 0; i < 25; i++) await put(1000 + i * 10, `u${i}`);
  const t = new UpcomingTimers(store(), 4);
  expect(await takeAll(t, 999)).toEqual([]);
  expect(await takeAll(t, 1035)).toEqual(['1000:u0', '1010:u1', '1020:u2', '1030:u3']);
  expect(await takeAll(t, 1035)).toEqual([]);
  const rest = await takeAll(t, 5000);
  expect(rest).toHaveLength(21);
  expect(rest[0]).toBe('1040:u4');
  expect(rest.at(-1)).toBe('1240:u24');
});

test('entries added after the page was read are not missed, wherever they fall', async () => {
  for (let i = 0; i < 10; i++) await put(1000 + i * 10, `u${i}`);
  const t = new UpcomingTimers(store(), 4);
  expect(await takeAll(t, 1005)).toEqual(['1000:u0']);
  // Inside the page read (1010..1030), past it (in the store only), and before everything left.
  for (const [due, user] of [[1015, 'a'], [1500, 'b'], [1001, 'c']] as const) {
    await put(due, user);
    t.added({ key: timerKey(due, user), due, userId: user });
  }
  expect(await takeAll(t, 2000)).toEqual(['1001:c', '1010:u1', '1015:a', '1020:u2', '1030:u3', '1040:u4', '1050:u5', '1060:u6', '1070:u7', '1080:u8', '1090:u9', '1500:b']);
  // Once the store is read to its end, later additions are kept in memory (and bounded).
  for (let i = 0; i < 20; i++) {
    await put(3000 + i, `late${i}`);
    t.added({ key: timerKey(3000 + i, `late${i}`), due: 3000 + i, userId: `late${i}` });
  }
  const late = await takeAll(t, 4000);
  expect(late).toEqual(Array.from({ length: 20 }, (_, i) => `${3000 + i}:late${i}`));
});

test('instants before 1970 (event time may be that old) come first and in order, their due read back exactly', async () => {
  const dues = [Date.UTC(1969, 11, 31, 21), Date.UTC(1969, 11, 31, 20), Date.UTC(1, 0, 1), -1, 0, 1, Date.UTC(9999, 11, 31), Date.UTC(1970, 0, 1, 1)];
  for (const [i, due] of dues.entries()) await put(due, `u${i}`);
  const taken = await takeAll(new UpcomingTimers(store(), 3), Date.UTC(9999, 11, 31));
  expect(taken).toEqual([...dues.entries()].sort(([, a], [, b]) => a - b).map(([i, due]) => `${due}:u${i}`));
  // The key keeps its width, so the user id after it reads back whole.
  expect(timerKey(-1, 'a/b').length).toBe(timerKey(1, 'a/b').length);
});

test('memory stays bounded when the whole index fits a page: entries taken are dropped, not kept forever', async () => {
  const t = new UpcomingTimers(store(), 1000);
  expect(await takeAll(t, 0)).toEqual([]); // read to the end: the page now takes every entry added
  for (let i = 0; i < 50_000; i++) {
    const due = 1000 + i;
    t.added({ key: timerKey(due, `u${i % 500}`), due, userId: `u${i % 500}` });
    if (i % 10 === 9) expect((await takeAll(t, due)).length).toBeGreaterThan(0);
  }
  const page = (t as unknown as { page: unknown[] }).page;
  expect(page.length).toBeLessThan(3000);
});

test('an entry deleted from the store is taken out of the page too: every entry given is in the store', async () => {
  for (let i = 0; i < 6; i++) await put(1000 + i * 10, `u${i}`);
  const t = new UpcomingTimers(store(), 10);
  expect(await takeAll(t, 1000)).toEqual(['1000:u0']); // the page now holds u1..u5
  // u2's due moved (as a commit writes it): the old entry goes, the new one comes.
  await store().apply([{ type: 'del', key: timerKey(1020, 'u2') }, { type: 'put', key: timerKey(1055, 'u2'), value: '' }]);
  t.removed(timerKey(1020, 'u2'));
  t.added({ key: timerKey(1055, 'u2'), due: 1055, userId: 'u2' });
  t.removed(timerKey(1000, 'u0')); // already taken: nothing changes
  t.removed(timerKey(1234, 'nobody')); // not in the page: nothing changes
  expect(await takeAll(t, 2000)).toEqual(['1010:u1', '1030:u3', '1040:u4', '1050:u5', '1055:u2']);
});
