// Backoff with full jitter, Retry-After, the limits, the batcher, signatures and idempotency keys.
import { createHmac } from 'node:crypto';
import { Batcher } from '../../../src/destinations/batcher';
import { RateLimiter, Semaphore } from '../../../src/destinations/limits';
import { backoffMs, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../src/destinations/retry';
import { batchIdempotencyKey, bodySignature, signature } from '../../../src/destinations/webhook/connector';
import { sha256Hex } from '../../../src/lib/hash';

describe('backoffMs (full jitter)', () => {
  const policy = { initialMs: 100, maxMs: 1000 };
  test('the bound doubles per retry up to maxMs; the draw is uniform in [0, bound)', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffMs(policy, n, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
    expect(backoffMs(policy, 2, () => 0.5)).toBe(100);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test('delta seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });
  test('an HTTP date, relative to now; a past one is 0', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  test('absent or unreadable: null; huge: capped', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
    expect(parseRetryAfter('999999999', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('Semaphore', () => {
  test('at most `permits` holders; waiters served in order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    await s.acquire();
    await s.acquire();
    expect(s.inUse).toBe(2);
    const third = s.acquire().then(() => order.push(3));
    const fourth = s.acquire().then(() => order.push(4));
    await Promise.resolve();
    expect(order).toEqual([]);
    s.release();
    await third;
    expect(order).toEqual([3]);
    s.release();
    await fourth;
    expect(order).toEqual([3, 4]);
    s.release();
    s.release();
    expect(s.inUse).toBe(0);
  });
});

describe('RateLimiter', () => {
  test('starts are spaced 1/rate apart, the first at once', async () => {
    let now = 1000;
    // A clock that jumps to whatever the limiter waits for keeps the test free of real time.
    const limiter = new RateLimiter(4, () => now, (ms) => {
      now += ms;
      return Promise.resolve();
    });
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      await limiter.take();
      starts.push(now);
    }
    expect(starts).toEqual([1000, 1250, 1500, 1750]);
  });
});

describe('Batcher', () => {
  test('full batches go at once; the rest after the current turn (lingerMs 0)', async () => {
    const batches: number[][] = [];
    const numbers: number[] = [];
    const b = new Batcher<number>({ maxItems: 3, lingerMs: 0 }, (items, n) => {
      batches.push(items);
      numbers.push(n);
    });
    // Each item is told the number of the batch it goes out in.
    const told = Array.from({ length: 7 }, (_, i) => b.add(i + 1));
    expect(told).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(b.filling).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(numbers).toEqual([0, 1, 2]);
    expect(b.filling).toBe(3);
  });

  test('with lingerMs, a partial batch waits; flush() sends it now', () => {
    jest.useFakeTimers();
    try {
      const batches: number[][] = [];
      const b = new Batcher<number>({ maxItems: 10, lingerMs: 50 }, (items) => batches.push(items));
      b.add(1);
      b.add(2);
      jest.advanceTimersByTime(49);
      expect(batches).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(batches).toEqual([[1, 2]]);
      b.add(3);
      b.flush();
      expect(batches).toEqual([[1, 2], [3]]);
      expect(b.pending).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('webhook signature and idempotency key', () => {
  test('sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">', () => {
    const expected = createHmac('sha256', 's3cret').update('1767225600.{"a":1}').digest('hex');
    expect(signature('s3cret', '1767225600', '{"a":1}')).toBe(`sha256=${expected}`);
    expect(signature('s3cret', '1767225600', Buffer.from('{"a":1}'))).toBe(`sha256=${expected}`);
  });

  test('X-Signature: <hex HMAC-SHA256 of the body>', () => {
    const expected = createHmac('sha256', 's3cret').update('{"a":1}').digest('hex');
    expect(bodySignature('s3cret', '{"a":1}')).toBe(expected);
    expect(bodySignature('s3cret', Buffer.from('{"a":1}'))).toBe(expected);
  });

  test('a batch key is the SHA-256 of its ids joined by newlines: same ids, same key', () => {
    expect(batchIdempotencyKey(['a', 'b-exit'])).toBe(sha256Hex('a\nb-exit'));
    expect(batchIdempotencyKey(['a', 'b'])).not.toBe(batchIdempotencyKey(['b', 'a']));
  });
});
