// Timestamps in the two common shapes are read by a fast path; every other shape by the regular expressions.
// The fast path must agree with them: the same instant written `...+00:00` or `...z` takes the regular path.
import { randomInt } from 'node:crypto';
import { formatTime, parseDate, parseTimestamp } from '../../../src/lib/time';

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

describe('timestamps', () => {
  test('common shapes, valid and invalid', () => {
    expect(parseTimestamp('2026-01-01T10:00:00.000Z')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTimestamp('2026-01-01T10:00:00Z')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTimestamp('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTimestamp('2026-02-29T00:00:00.000Z')).toBeNull();
    expect(parseTimestamp('2026-13-01T00:00:00.000Z')).toBeNull();
    expect(parseTimestamp('2026-00-01T00:00:00Z')).toBeNull();
    expect(parseTimestamp('2026-01-01T24:00:00Z')).toBeNull();
    expect(parseTimestamp('2026-01-01T10:60:00Z')).toBeNull();
    expect(parseTimestamp('2026-01-01T10:00:60Z')).toBeNull();
    expect(parseTimestamp('2026-01-0aT10:00:00Z')).toBeNull();
    expect(parseTimestamp('2026-01-01 10:00:00Z')).toBeNull(); // a message timestamp needs the T
    expect(parseDate('2026-01-01 10:00:00Z')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTimestamp('0050-06-01T00:00:00.000Z')).toBe(new Date('0050-06-01T00:00:00.000Z').getTime());
    // Years 0-99 keep their own calendar: 0000 and 0096 are leap years (1900, which Date.UTC maps them near, is not).
    for (const text of ['0000-02-29T12:00:00.000Z', '0096-02-29T00:00:00.000Z', '0000-02-29T12:00:00+02:00']) {
      expect(parseTimestamp(text)).toBe(new Date(text).getTime());
    }
    expect(parseDate('2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTimestamp('2026-01-01T10:00:00')).toBeNull();
    // RFC 3339 allows a lowercase `t` and `z`: both or neither, so one of them alone does not refuse a message.
    expect(parseTimestamp('2026-01-01t10:00:00z')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseTimestamp('2026-01-01t10:00:00.250+01:00')).toBe(Date.UTC(2026, 0, 1, 9, 0, 0, 250));
    expect(parseDate('2026-01-01t10:00')).toBe(Date.UTC(2026, 0, 1, 10));
  });

  test('the fast path agrees with the regular expressions on 20,000 random instants, valid or not', () => {
    for (let i = 0; i < 20_000; i++) {
      const date = `${pad(randomInt(0, 3000), 4)}-${pad(randomInt(0, 14), 2)}-${pad(randomInt(0, 33), 2)}`;
      const time = `${pad(randomInt(0, 26), 2)}:${pad(randomInt(0, 62), 2)}:${pad(randomInt(0, 62), 2)}`;
      const frac = i % 2 === 0 ? `.${pad(randomInt(0, 1000), 3)}` : '';
      const fast = `${date}T${time}${frac}Z`;
      for (const slow of [`${date}T${time}${frac}+00:00`, `${date}T${time}${frac}z`]) {
        expect([fast, parseTimestamp(fast)]).toEqual([fast, parseTimestamp(slow)]);
        expect([fast, parseDate(fast)]).toEqual([fast, parseDate(slow)]);
      }
      const ms = parseTimestamp(fast);
      if (ms !== null && frac !== '' && Number(date.slice(0, 4)) >= 100) expect(formatTime(ms)).toBe(fast);
    }
  });
});
