// One error type for the whole product. Every error carries a stable code (listed in the README) so
// operators can search for it, and a flag saying whether trying again can help.

export const ErrorCodes = {
  /** A journey, destinations or audiences file is invalid; `problems` lists every one with file:line. */
  INVALID_DEFINITIONS: 'JRN_ERR_INVALID_DEFINITIONS',
  /** A command-line flag or configuration value is missing or malformed. */
  INVALID_CONFIG: 'JRN_ERR_INVALID_CONFIG',
  /** An input message is not a valid Segment message (spec §2). */
  INVALID_MESSAGE: 'JRN_ERR_INVALID_MESSAGE',
  /** An input message could not be decoded (not JSON, unknown Avro schema id, ...). */
  UNDECODABLE_MESSAGE: 'JRN_ERR_UNDECODABLE_MESSAGE',
  /** The local infrastructure (Kafka broker, schema registry) could not be started or reached. */
  INFRA: 'JRN_ERR_INFRA',
  /** Events and traits topics are not co-partitioned. */
  COPARTITION: 'JRN_ERR_COPARTITION',
  /** Stored state could not be read back. */
  STATE_CORRUPT: 'JRN_ERR_STATE_CORRUPT',
  /** A destination refused or failed a delivery. */
  DELIVERY: 'JRN_ERR_DELIVERY',
  /** A destination refused a delivery for good (HTTP 4xx other than 429, a non-retriable Kafka error): not retried, dead-lettered. */
  DELIVERY_REFUSED: 'JRN_ERR_DELIVERY_REFUSED',
  /** A delivery failed every attempt (network error, timeout, 5xx, 429, retriable Kafka error): dead-lettered. */
  DELIVERY_EXHAUSTED: 'JRN_ERR_DELIVERY_EXHAUSTED',
  /** A batch of a partition this processor no longer owns was not committed: its new owner processes those records. */
  PARTITION_REVOKED: 'JRN_ERR_PARTITION_REVOKED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class JourneyError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JourneyError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/** Node's codes for an address nothing answers at. */
const NETWORK_CODES = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/;

/**
 * A broker or schema registry out of reach, as the clients report it, turned into a JRN_ERR_INFRA that says what to
 * check; null for any other error. kafkajs wraps its connection error (KafkaJSConnectionError, as the `cause` of
 * the error its retries end with); the registry client reports a network failure as a ResponseError whose message
 * holds Node's code.
 */
export function unreachableInfra(err: unknown): JourneyError | null {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 10 && !chain.includes(e); e = e.cause) chain.push(e);
  const broker = chain.find((e) => e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSConnectionClosedError');
  if (broker !== undefined) {
    return new JourneyError(
      ErrorCodes.INFRA,
      `cannot reach the Kafka broker: ${broker.message}. Is it running, and is --bootstrap (or KAFKA_BOOTSTRAP, or the state file of \`npm run infra:up\`) right?`,
      { retriable: true, cause: err },
    );
  }
  const registry = chain.find((e) => e.message.includes('Confluent_Schema_Registry') && NETWORK_CODES.test(e.message));
  if (registry !== undefined) {
    return new JourneyError(
      ErrorCodes.INFRA,
      `cannot reach the schema registry: ${registry.message.replace(/^.*?status \d+: /, '')}. Is it running, and is --registry (or SCHEMA_REGISTRY_URL, or the state file of \`npm run infra:up\`) right?`,
      { retriable: true, cause: err },
    );
  }
  return null;
}
