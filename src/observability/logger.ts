// Structured logs (pino), one child logger per context: `logger.child({ component: 'sink', destination })`.
// A part that names itself (Sink.start, replayDeadLetters, the Processor) binds its own `component`: give it a
// logger without one, since pino writes a key bound twice twice.
// Messages are constant strings; the variable data goes in the object, so lines can be searched and joined.
// Logs go to stderr: stdout stays free for command output (`journeys dlq replay` prints its counts there).
import pino from 'pino';
import type { logCreator, LogEntry } from 'kafkajs';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Default: $JOURNEYS_LOG_LEVEL, else `info`. */
  level?: LogLevel;
  /** Bound to every line (e.g. `{ component: 'sink' }`). */
  bindings?: Record<string, unknown>;
  /** Default: stderr. */
  destination?: pino.DestinationStream;
}

function levelFromEnv(env: NodeJS.ProcessEnv): LogLevel {
  const raw = env.JOURNEYS_LOG_LEVEL?.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(raw ?? '') ? (raw as LogLevel) : 'info';
}

export function createLogger(options: LoggerOptions = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const logger = pino(
    { level: options.level ?? levelFromEnv(env), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
  return options.bindings === undefined ? logger : logger.child(options.bindings);
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

// kafkajs numeric levels: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5.
const KAFKA_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };

/**
 * Routes kafkajs' own log lines into pino, under `{ source: 'kafkajs', namespace }` beside the logger's own
 * bindings (its `component` says whose client it is; pino would repeat a key bound twice). kafkajs INFO lines
 * (joins, rebalances) are logged at debug: they are noisy and the product logs what matters itself.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ source: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const name = KAFKA_LEVELS[level] ?? 'debug';
      kafkaLogger[name === 'info' || BENIGN_WARNINGS.has(message) ? 'debug' : name]({ namespace, ...extra }, message);
    };
}

/**
 * kafkajs warnings that do not apply to how the product uses it, logged at debug instead of alarming at every start.
 * Limited retries of an idempotent producer: a send out of retries fails its transaction, which is aborted and
 * done again (the processor), or fails the delivery, which is retried or dead-lettered (a kafka destination):
 * no record is silently dropped either way (the fault tests check the processor's).
 */
const BENIGN_WARNINGS = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);
