// isRetriableTxnError: which kafkajs errors let sendOffsetsWithRetry try a transactional call again. The
// errors are made as kafkajs makes them (createErrorFromCode), so the names are kafkajs' own, not Kafka's.
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { isRetriableTxnError } from '../../../src/kafka/eos';

// kafkajs does not export its protocol error table from the package root.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error & { type: string } };

// The runtime constructors take the cause as kafkajs' retrier passes it; the typings leave the option out.
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;

describe('isRetriableTxnError', () => {
  // Coordinator loading, gone or moved, a transaction still closing, a timeout: tried again. A fenced producer or a
  // broken transaction: not (the task restarts from its committed state instead).
  test.each([
    [14, 'GROUP_LOAD_IN_PROGRESS', true],
    [15, 'GROUP_COORDINATOR_NOT_AVAILABLE', true],
    [16, 'NOT_COORDINATOR_FOR_GROUP', true],
    [51, 'CONCURRENT_TRANSACTIONS', true],
    [7, 'REQUEST_TIMED_OUT', true],
    [47, 'INVALID_PRODUCER_EPOCH', false],
    [48, 'INVALID_TXN_STATE', false],
    [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false],
  ])('error code %i (%s): tried again %s', (code, type, retriable) => {
    const err = createErrorFromCode(code);
    expect(err.type).toBe(type);
    expect(isRetriableTxnError(err)).toBe(retriable);
  });

  test('also when kafkajs wraps it: its retrier gives up or bails with the error as the cause', () => {
    const cause = createErrorFromCode(16);
    expect(isRetriableTxnError(new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 100 }))).toBe(true);
    expect(isRetriableTxnError(new NonRetriable(cause, { cause }))).toBe(true);
    expect(isRetriableTxnError(new NonRetriable(createErrorFromCode(47), { cause: createErrorFromCode(47) }))).toBe(false);
  });

  test('anything that is not a kafkajs error: not tried again', () => {
    expect(isRetriableTxnError(new Error('boom'))).toBe(false);
    expect(isRetriableTxnError(null)).toBe(false);
    expect(isRetriableTxnError('NOT_COORDINATOR_FOR_GROUP')).toBe(false);
  });
});
