// What a destination connector is: a spec (type, summary, documented config keys, runtime checks) and a
// connector built from one destination of destinations.yaml. The sink runtime (src/sinks) owns consuming the
// transitions topic, offsets and the dead-letter topic; a connector only delivers messages and says how it went.
import type { Destination, JsonObject } from '../definitions/model';
import type { ErrorCode } from '../errors';
import type { Logger } from '../observability/logger';

/** One message for one destination: a formatted Segment message or a transition record. */
export interface OutMessage {
  /** The message id: the transition id, or `<transition id>-exit` for a "user left" message. Idempotency key. */
  id: string;
  /** Kafka key of a kafka destination; the user the message is about. */
  userId: string;
  /** The payload, as JSON. */
  body: JsonObject;
}

export type DeliveryResult =
  | { ok: true; attempts: number }
  | {
      ok: false;
      /** JRN_ERR_DELIVERY_REFUSED (not retried) or JRN_ERR_DELIVERY_EXHAUSTED (every attempt failed). */
      code: ErrorCode;
      /** The last attempt's error, e.g. `HTTP 400: bad request` or `timeout after 5000 ms`. */
      reason: string;
      attempts: number;
    };

export interface Connector {
  readonly destination: Destination;
  /** Deliveries (requests, produce calls) in flight at most. */
  readonly maxInFlight: number;
  /** Idempotent. */
  connect(): Promise<void>;
  /**
   * Delivers one message (batched with others by the connector as its config says), retrying as the
   * destination's policy says. Never rejects: the result tells what happened. Needs `connect()` first.
   * A user's messages reach the destination in the order they were handed over, retries included (an
   * identify's `false` must not overtake its `true`).
   */
  deliver(message: OutMessage): Promise<DeliveryResult>;
  /** Sends what is pending, waits for deliveries in flight, releases resources. Idempotent. */
  close(): Promise<void>;
}

export interface RetryPolicy {
  /** Backoff before the 2nd attempt is drawn from [0, initialMs]; the bound doubles each attempt (full jitter). */
  initialMs: number;
  /** Upper bound of the backoff. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 200, maxMs: 30_000 };

export interface ConnectorDeps {
  logger: Logger;
  /** Where `secretEnv` variables are read. */
  env: NodeJS.ProcessEnv;
  retry: RetryPolicy;
  /** Kafka bootstrap addresses (kafka destinations produce to the sink's cluster). */
  brokers: string[];
  /** Called before each retry (for journeys_sink_retries_total). */
  onRetry?: (destination: string) => void;
  /** A client id prefix for Kafka clients. */
  clientId?: string;
  /** Tuning of kafka destinations (which have no such keys in destinations.yaml); tests shorten them. */
  kafka?: { maxAttempts?: number; timeoutMs?: number; clientRetries?: number; maxBatch?: number };
}

/** One documented config key of a connector (rendered into the README's destination docs). */
export interface ConfigKeyDoc {
  key: string;
  type: string;
  required: boolean;
  default: string | null;
  doc: string;
}

/** A problem with a destination found at start (environment, headers): reported like validation problems. */
export interface ConfigProblem {
  /** The key the problem is about (its line is looked up in destinations.yaml). */
  key: string;
  message: string;
}

export interface ConnectorSpec<T extends Destination['type'] = Destination['type']> {
  type: T;
  summary: string;
  /** The keys of this type in destinations.yaml (structure and defaults are checked by the definitions loader). */
  config: ConfigKeyDoc[];
  /** Checks that need the runtime (environment variables, header names); [] when fine. */
  check(destination: Extract<Destination, { type: T }>, env: NodeJS.ProcessEnv): ConfigProblem[];
  create(destination: Extract<Destination, { type: T }>, deps: ConnectorDeps): Connector;
}
