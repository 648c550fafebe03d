// Exactly-once helpers around kafkajs transactions.
//
// kafkajs 2.2.4 does not retry AddOffsetsToTxn inside `sendOffsets` (tulios/kafkajs#430): right after a
// commit, while the broker still writes the previous transaction's markers, the call can fail with
// CONCURRENT_TRANSACTIONS (or a coordinator that is loading or moved). Trying the whole `sendOffsets` again is
// safe: adding the same group to the same transaction twice is a no-op for the broker.
import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders, Message, Offsets, TopicMessages, Transaction } from 'kafkajs';

export interface RetryOptions {
  /** Attempts after the first (default 20). */
  retries?: number;
  /** First delay; doubles each time up to maxDelayMs (defaults 50 ms and 1000 ms). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Broker errors after which the same transactional call may simply be tried again, by kafkajs' names: error codes
 * 14-16 (coordinator loading, not available, moved) are GROUP_LOAD_IN_PROGRESS, GROUP_COORDINATOR_NOT_AVAILABLE
 * and NOT_COORDINATOR_FOR_GROUP there, whatever the coordinator's kind.
 */
const RETRIABLE_TXN_ERRORS = new Set(['CONCURRENT_TRANSACTIONS', 'GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP', 'REQUEST_TIMED_OUT']);

export function isRetriableTxnError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const type = (err as { type?: unknown }).type;
  if (typeof type === 'string' && RETRIABLE_TXN_ERRORS.has(type)) return true;
  // kafkajs wraps the last error of its own retrier.
  const cause = (err as { originalError?: unknown; cause?: unknown }).originalError ?? (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isRetriableTxnError(cause);
}

/**
 * What `transaction.sendOffsets` takes; with the consumer's member id and generation (kafkajs patched, KIP-447) the
 * group coordinator refuses the commit once the group has moved on.
 */
export type TransactionOffsets = Offsets & { consumerGroupId: string; memberId?: string; generationId?: number };

/** `transaction.sendOffsets(...)`, tried again on transient coordinator errors. */
export async function sendOffsetsWithRetry(transaction: Transaction, offsets: TransactionOffsets, options: RetryOptions = {}): Promise<void> {
  const retries = options.retries ?? 20;
  let delay = options.initialDelayMs ?? 50;
  const maxDelay = options.maxDelayMs ?? 1000;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await transaction.sendOffsets(offsets);
      return;
    } catch (err) {
      if (attempt >= retries || !isRetriableTxnError(err)) throw err;
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

/**
 * Bytes per produce request: kafkajs sends one record batch per partition per request, and a batch over the
 * broker's message.max.bytes (1 MiB by default) is refused (MESSAGE_TOO_LARGE), so a transaction's records are
 * sent in requests of at most about this size.
 */
export const MAX_REQUEST_BYTES = 768 * 1024;

/**
 * Splits messages into produce requests of at most about `limit` bytes (a larger record goes alone). Messages that
 * fit one request are returned as they are: the arrays of a transaction live as long as its round trips, and copies
 * of them would be promoted to V8's old generation with it.
 */
export function chunkBySize(topicMessages: TopicMessages[], limit = MAX_REQUEST_BYTES): TopicMessages[][] {
  // Sized up to the limit only: past it, the split below sizes every record anyway.
  let total = 0;
  let someEmpty = false;
  sizing: for (const { messages } of topicMessages) {
    if (messages.length === 0) someEmpty = true;
    for (const m of messages) {
      total += recordBytes(m);
      if (total > limit) break sizing;
    }
  }
  if (total <= limit) {
    const sent = someEmpty ? topicMessages.filter((t) => t.messages.length > 0) : topicMessages;
    return sent.length === 0 ? [] : [sent];
  }
  const chunks: TopicMessages[][] = [];
  let current = new Map<string, TopicMessages>();
  let size = 0;
  for (const { topic, messages } of topicMessages) {
    for (const m of messages) {
      const bytes = recordBytes(m);
      if (size > 0 && size + bytes > limit) {
        chunks.push([...current.values()]);
        current = new Map();
        size = 0;
      }
      let entry = current.get(topic);
      if (entry === undefined) {
        entry = { topic, messages: [] };
        current.set(topic, entry);
      }
      entry.messages.push(m);
      size += bytes;
    }
  }
  if (current.size > 0) chunks.push([...current.values()]);
  return chunks;
}

/** About the bytes a message takes in a produce request. */
function recordBytes(m: Message): number {
  return byteLength(m.key) + byteLength(m.value) + headersLength(m.headers) + 64;
}

function headersLength(headers: IHeaders | undefined): number {
  let n = 0;
  if (headers === undefined) return n;
  for (const key in headers) {
    const value = headers[key];
    n += Buffer.byteLength(key);
    if (Array.isArray(value)) for (const v of value) n += byteLength(v);
    else n += byteLength(value);
  }
  return n;
}

function byteLength(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}
