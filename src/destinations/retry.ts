// Backoff between delivery attempts: exponential with full jitter (AWS architecture blog, "Exponential
// Backoff and Jitter"): the n-th retry waits a uniformly random time in [0, min(maxMs, initialMs * 2^(n-1))].
// A destination's `Retry-After` (seconds, or an HTTP date) replaces the drawn delay.
import type { RetryPolicy } from './types';

/** The delay before retry number `retry` (1 for the wait after the first attempt). */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** A longest honoured Retry-After: a destination asking for more is retried after this (1 hour). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * `Retry-After` in milliseconds from `now`: delta-seconds (`120`) or an HTTP date; null when absent or
 * unreadable. A date in the past gives 0.
 */
export function parseRetryAfter(value: string | undefined | null, now: number): number | null {
  if (value === undefined || value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return null;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * Sends `items` as one request; when the destination refuses it for its size (a 413, a record batch over the
 * topic's limit), each half goes on its own, in order, down to single items: only an item too large by itself is
 * refused. `settle` gets each part that was sent, with the outcome of its last attempt.
 */
export async function sendInHalvesWhileTooLarge<T, R extends { tooLarge: boolean }>(
  items: T[],
  send: (part: T[]) => Promise<R>,
  settle: (part: T[], outcome: R) => void,
): Promise<void> {
  const outcome = await send(items);
  if (outcome.tooLarge && items.length > 1) {
    const half = Math.ceil(items.length / 2);
    await sendInHalvesWhileTooLarge(items.slice(0, half), send, settle);
    await sendInHalvesWhileTooLarge(items.slice(half), send, settle);
    return;
  }
  settle(items, outcome);
}
