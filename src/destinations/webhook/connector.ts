// The webhook connector (spec §6): HTTP POST of JSON, batched, signed, with timeouts, retries, and
// per-destination concurrency and rate limits.
//
// Request:
// - body: the message itself when `batchSize` is 1, else `{"batch": [message, ...]}` (Segment's batch API),
//   also for a batch of one, so an endpoint always sees one shape;
// - `Idempotency-Key`: the message id (transition id, `<id>-exit`), or for a batch the lowercase hex SHA-256 of
//   its message ids joined by `\n`; the same on every attempt of the same request;
// - `X-Journeys-Timestamp`: Unix seconds when the attempt was sent; with `secretEnv`,
//   `X-Journeys-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the secret>` (a receiver can
//   reject old timestamps: replays), and `X-Signature: <hex HMAC-SHA256 of the body>`, the header of Segment's
//   webhooks (with SHA-256), for receivers written for those;
// - `X-Journeys-Attempt`: 1, 2, ...; plus the destination's `headers`.
// Outcome: 2xx delivered; 5xx, 429, a timeout (`timeoutMs`, for the whole exchange) or a network error are
// retried up to `maxAttempts` attempts in all, after a backoff with full jitter, or after `Retry-After` when the
// response has one; a batch answered 413 (too large) is sent again in halves, each its own request, down to single
// messages; any other status (3xx, 4xx) is refused at once. Waiting retries hold no request slot.
import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Destination } from '../../definitions/model';
import { ErrorCodes } from '../../errors';
import { sha256Hex } from '../../lib/hash';
import { Batcher } from '../batcher';
import { RateLimiter, Semaphore } from '../limits';
import { backoffMs, parseRetryAfter, sendInHalvesWhileTooLarge } from '../retry';
import type { Connector, ConnectorDeps, DeliveryResult, OutMessage } from '../types';

export type WebhookDestination = Extract<Destination, { type: 'webhook' }>;

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const TIMESTAMP_HEADER = 'X-Journeys-Timestamp';
export const SIGNATURE_HEADER = 'X-Journeys-Signature';
export const BODY_SIGNATURE_HEADER = 'X-Signature';
export const ATTEMPT_HEADER = 'X-Journeys-Attempt';
/** Set by the connector; a destination's `headers` may not set them. */
export const RESERVED_HEADERS = [IDEMPOTENCY_KEY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER, BODY_SIGNATURE_HEADER, ATTEMPT_HEADER, 'Content-Type', 'Content-Length', 'Host', 'Connection', 'Transfer-Encoding'];

/** `sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` with the secret (what a receiver recomputes). */
export function signature(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** Lowercase hex HMAC-SHA256 of the body alone with the secret (Segment's `X-Signature`, with SHA-256). */
export function bodySignature(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The Idempotency-Key of a batch request: SHA-256 of the message ids joined by newlines. */
export function batchIdempotencyKey(ids: readonly string[]): string {
  return sha256Hex(ids.join('\n'));
}

interface Pending {
  message: OutMessage;
  resolve: (result: DeliveryResult) => void;
}

interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The start of the body (for error reasons). */
  text: string;
}

type Attempt = { kind: 'ok' } | { kind: 'retry'; reason: string; retryAfterMs: number | null } | { kind: 'refused'; reason: string; tooLarge: boolean };

const REASON_BYTES = 300;

class TimeoutError extends Error {}

export class WebhookConnector implements Connector {
  readonly maxInFlight: number;
  private readonly url: URL;
  private readonly secret: string | null;
  private readonly slots: Semaphore;
  private readonly rate: RateLimiter | null;
  private readonly batcher: Batcher<Pending>;
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * Users with a message in a batch not settled yet: that batch's number, and the user's later messages, held
   * until it settles. Requests run side by side and a retry waits without holding a slot, so a user's messages
   * never travel in two requests at once: an identify's `false` must not overtake its `true`. A user's messages
   * handed over together still share a batch, in order.
   */
  private readonly users = new Map<string, { batch: number; held: Pending[] }>();
  private agent: HttpAgent | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly destination: WebhookDestination,
    private readonly deps: ConnectorDeps,
  ) {
    this.url = new URL(destination.url);
    const secret = destination.secretEnv === null ? undefined : deps.env[destination.secretEnv];
    this.secret = secret === undefined || secret === '' ? null : secret;
    this.maxInFlight = destination.concurrency;
    this.slots = new Semaphore(destination.concurrency);
    this.rate = destination.ratePerSecond === null ? null : new RateLimiter(destination.ratePerSecond);
    this.batcher = new Batcher({ maxItems: destination.batchSize, lingerMs: destination.lingerMs }, (batch, n) => {
      this.track(this.send(batch).finally(() => this.settled(batch, n)));
    });
  }

  connect(): Promise<void> {
    if (this.closing !== null) return Promise.reject(new Error(`webhook ${this.destination.id}: connect after close`));
    if (this.agent === null) {
      const options = { keepAlive: true, maxSockets: this.destination.concurrency, scheduling: 'lifo' as const };
      this.agent = this.url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    }
    return Promise.resolve();
  }

  deliver(message: OutMessage): Promise<DeliveryResult> {
    if (this.agent === null || this.closing !== null) {
      return Promise.reject(new Error(`webhook ${this.destination.id}: deliver ${this.agent === null ? 'before connect' : 'after close'}`));
    }
    return new Promise((resolve) => this.enqueue({ message, resolve }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Held messages join a batch as the one before them settles: send until nothing is left.
      for (;;) {
        this.batcher.flush();
        if (this.inFlight.size === 0) break;
        await Promise.all([...this.inFlight]);
      }
      this.agent?.destroy();
    })();
    return this.closing;
  }

  /** Into the batch being filled, unless the user's previous message went out in a batch not settled yet. */
  private enqueue(p: Pending): void {
    const { userId } = p.message;
    const user = this.users.get(userId);
    if (user === undefined) {
      this.users.set(userId, { batch: this.batcher.add(p), held: [] });
    } else if (user.held.length === 0 && user.batch === this.batcher.filling) {
      user.batch = this.batcher.add(p);
    } else {
      user.held.push(p);
    }
  }

  /** Batch `n` settled: its users' held messages go on, in order, as long as they fit in the batch being filled. */
  private settled(batch: Pending[], n: number): void {
    for (const { message } of batch) {
      const user = this.users.get(message.userId);
      if (user === undefined || user.batch !== n) continue;
      if (user.held.length === 0) {
        this.users.delete(message.userId);
        continue;
      }
      let next: Pending | undefined;
      while ((user.batch === n || user.batch === this.batcher.filling) && (next = user.held.shift()) !== undefined) {
        user.batch = this.batcher.add(next);
      }
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Sends the batch as one request, or in parts when the endpoint finds it too large (413). */
  private send(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    return sendInHalvesWhileTooLarge(batch, (part) => this.sendOnce(part), (part, { result }) => {
      for (const p of part) p.resolve(result);
    });
  }

  /** One request with its retries; `tooLarge` when it was refused with 413. */
  private async sendOnce(batch: Pending[]): Promise<{ tooLarge: boolean; result: DeliveryResult }> {
    const first = batch[0] as Pending;
    const single = this.destination.batchSize === 1;
    const body = Buffer.from(single ? JSON.stringify(first.message.body) : JSON.stringify({ batch: batch.map((p) => p.message.body) }), 'utf8');
    const key = single ? first.message.id : batchIdempotencyKey(batch.map((p) => p.message.id));
    for (let attempt = 1; ; attempt++) {
      await this.slots.acquire();
      let outcome: Attempt;
      try {
        if (this.rate !== null) await this.rate.take();
        outcome = await this.attempt(body, key, attempt);
      } finally {
        this.slots.release();
      }
      if (outcome.kind === 'ok') return { tooLarge: false, result: { ok: true, attempts: attempt } };
      if (outcome.kind === 'refused') {
        // A 413 is the endpoint's size limit, not its verdict on the messages: the caller sends the halves.
        return { tooLarge: outcome.tooLarge, result: { ok: false, code: ErrorCodes.DELIVERY_REFUSED, reason: outcome.reason, attempts: attempt } };
      }
      if (attempt >= this.destination.maxAttempts) {
        return { tooLarge: false, result: { ok: false, code: ErrorCodes.DELIVERY_EXHAUSTED, reason: outcome.reason, attempts: attempt } };
      }
      const delay = outcome.retryAfterMs ?? backoffMs(this.deps.retry, attempt);
      this.deps.logger.debug({ destination: this.destination.id, attempt, delayMs: delay, reason: outcome.reason, messages: batch.length }, 'webhook delivery failed, will retry');
      this.deps.onRetry?.(this.destination.id);
      await sleep(delay);
    }
  }

  private async attempt(body: Buffer, key: string, attempt: number): Promise<Attempt> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: OutgoingHttpHeaders = {
      'User-Agent': 'kafka-journeys',
      ...this.destination.headers,
      'Content-Type': 'application/json',
      'Content-Length': body.length,
      [IDEMPOTENCY_KEY_HEADER]: key,
      [TIMESTAMP_HEADER]: timestamp,
      [ATTEMPT_HEADER]: String(attempt),
    };
    if (this.secret !== null) {
      headers[SIGNATURE_HEADER] = signature(this.secret, timestamp, body);
      headers[BODY_SIGNATURE_HEADER] = bodySignature(this.secret, body);
    }
    let response: HttpResponse;
    try {
      response = await this.post(body, headers);
    } catch (err) {
      if (err instanceof TimeoutError) return { kind: 'retry', reason: err.message, retryAfterMs: null };
      const code = (err as NodeJS.ErrnoException).code;
      return { kind: 'retry', reason: `network error: ${code === undefined ? '' : `${code} `}${err instanceof Error ? err.message : String(err)}`, retryAfterMs: null };
    }
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: 'ok' };
    const reason = `HTTP ${status}${response.text === '' ? '' : `: ${response.text}`}`;
    if (status === 429 || status >= 500) {
      const retryAfter: string | undefined = response.headers['retry-after'];
      return { kind: 'retry', reason, retryAfterMs: parseRetryAfter(retryAfter, Date.now()) };
    }
    return { kind: 'refused', reason, tooLarge: status === 413 };
  }

  private post(body: Buffer, headers: OutgoingHttpHeaders): Promise<HttpResponse> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeoutMs = this.destination.timeoutMs;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const req = request(this.url, { method: 'POST', headers, agent: this.agent ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < REASON_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, REASON_BYTES).replace(/\s+/g, ' ').trim();
          settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        res.on('error', (err) => settle(() => reject(err)));
        res.on('aborted', () => settle(() => reject(new Error('response aborted'))));
      });
      const timer = setTimeout(() => {
        const err = new TimeoutError(`timeout after ${timeoutMs} ms`);
        settle(() => reject(err));
        req.destroy(err);
      }, timeoutMs);
      req.on('error', (err) => settle(() => reject(err)));
      req.end(body);
    });
  }
}
