import { Queue } from '../../../src/lib/queue';

test('a queue gives items back in order, across the compaction of its taken prefix', () => {
  const q = new Queue<number>();
  expect(q.shift()).toBeUndefined();
  let next = 0;
  let expected = 0;
  // Interleaved pushes and shifts, long enough to compact many times.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 700; i++) q.push(next++);
    for (let i = 0; i < 650; i++) expect(q.shift()).toBe(expected++);
    expect(q.length).toBe(next - expected);
    expect(q.peek()).toBe(expected);
  }
  while (q.length > 0) expect(q.shift()).toBe(expected++);
  expect(expected).toBe(next);
  expect(q.peek()).toBeUndefined();
  q.push(1);
  q.clear();
  expect(q.length).toBe(0);
});
