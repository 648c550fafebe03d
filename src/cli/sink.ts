// `journeys sink`: delivers transition records to destinations (spec §6), one consumer group per destination
// (`<group>.sink.<destination>`). Runs until SIGTERM/SIGINT, then finishes the deliveries in flight, commits
// their offsets and exits 0. Exits 2 on invalid definitions or destinations (file:line on stderr), an unknown
// destination id or a kafka destination's missing topic; 1 when a destination's consumer fails for good.
import { parseArgs } from 'node:util';
import { loadDefinitions } from '../definitions';
import type { Definitions, Destination } from '../definitions/model';
import { DEFAULT_RETRY, type RetryPolicy } from '../destinations/types';
import { ErrorCodes, JourneyError } from '../errors';
import { TOPIC_FLAGS } from '../kafka/topics';
import { createLogger } from '../observability/logger';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server';
import { SinkMetrics } from '../observability/sink-metrics';
import { selectDestinations, Sink, SINK_DEFAULTS } from '../sinks/sink';
import { CONNECTION_FLAGS, resolveConnection } from './connection';
import { intFlag } from './flags';
import { listenForStop } from './signals';

const USAGE = `usage: journeys sink [--topologies <dir>] [--destination <id> ...] [--bootstrap host:port] [--registry url]
                    [--transitions-topic T] [--group G] [--dlq-topic-prefix P] [--metrics-port N] [--metrics-host H]
                    [--start earliest|latest] [--session-timeout-ms N] [--retry-initial-ms N] [--retry-max-ms N]
  Delivers the transitions topic to the destinations of <dir>/destinations.yaml (default: all of them), one
  consumer group per destination (<group>.sink.<destination>); failed deliveries go to <prefix><destination>.
  --metrics-port serves /metrics and /healthz (0: any free port).`;

function bad(message: string): never {
  throw new JourneyError(ErrorCodes.INVALID_CONFIG, `${message}\n${USAGE}`);
}

export function retryFlags(values: { 'retry-initial-ms'?: string | undefined; 'retry-max-ms'?: string | undefined }, usage: string = USAGE): RetryPolicy {
  return {
    initialMs: intFlag('retry-initial-ms', values['retry-initial-ms'], 1, usage) ?? DEFAULT_RETRY.initialMs,
    maxMs: intFlag('retry-max-ms', values['retry-max-ms'], 1, usage) ?? DEFAULT_RETRY.maxMs,
  };
}

/**
 * Exit code 2 for a destination configuration error (file:line problems, an unknown destination id, a kafka
 * destination's topic missing), after printing it; undefined for any other error (the caller rethrows it).
 */
export function invalidConfigExit(err: unknown): 2 | undefined {
  if (!(err instanceof JourneyError) || err.code !== ErrorCodes.INVALID_CONFIG) return undefined;
  // A problems list is its own message (file:line per line); a single reason reads as the CLI's other errors.
  process.stderr.write(Array.isArray(err.details.problems) ? `${err.message}\n` : `journeys: ${err.message} (${err.code})\n`);
  return 2;
}

/**
 * The destinations to run (all, or those named), or exit code 2 after printing why they cannot run (an unknown id,
 * a secret not set). Checked before Kafka is looked for: a usage error is reported as one wherever the command runs.
 */
export function destinationsOrExit(definitions: Definitions, topologies: string, ids: readonly string[] | undefined): Destination[] | 2 {
  try {
    return selectDestinations(definitions, topologies, ids, process.env);
  } catch (err) {
    const exit = invalidConfigExit(err);
    if (exit !== undefined) return exit;
    throw err;
  }
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CONNECTION_FLAGS,
      ...TOPIC_FLAGS,
      topologies: { type: 'string', default: 'topologies' },
      destination: { type: 'string', multiple: true },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string', default: '0.0.0.0' },
      start: { type: 'string', default: 'earliest' },
      'session-timeout-ms': { type: 'string' },
      'retry-initial-ms': { type: 'string' },
      'retry-max-ms': { type: 'string' },
    },
    strict: true,
  });
  if (values.start !== 'earliest' && values.start !== 'latest') bad('--start must be earliest or latest');
  const metricsPort = intFlag('metrics-port', values['metrics-port'], 0, USAGE);
  const sessionTimeoutMs = intFlag('session-timeout-ms', values['session-timeout-ms'], 1000, USAGE) ?? SINK_DEFAULTS.sessionTimeoutMs;
  const retry = retryFlags(values);

  // Invalid definitions: main reports them (file:line) and exits 2, as for every command.
  const definitions = loadDefinitions(values.topologies);
  if (destinationsOrExit(definitions, values.topologies, values.destination) === 2) return 2;
  const conn = resolveConnection(values, false);
  // Sink.start binds `component: sink` to what it is given (pino would repeat a key bound twice).
  const base = createLogger();
  const logger = base.child({ component: 'sink' });
  if (conn.registryUrl === null) logger.warn('no schema registry configured: only JSON transition records can be read (Avro ones are dead-lettered)');
  const metrics = new SinkMetrics({ defaultMetrics: true });

  // Signals are listened to from here on: one that comes while the sink starts stops it once started.
  const signals = listenForStop('sink');
  let onFatal!: (error: unknown) => void;
  const fatal = new Promise<{ error: unknown }>((resolve) => {
    onFatal = (error) => resolve({ error });
  });
  let sink: Sink;
  try {
    sink = await Sink.start({
      definitions,
      topologies: values.topologies,
      ...(values.destination === undefined ? {} : { destinations: values.destination }),
      brokers: conn.brokers,
      registryUrl: conn.registryUrl,
      transitionsTopic: values['transitions-topic'] ?? SINK_DEFAULTS.transitionsTopic,
      group: values.group ?? SINK_DEFAULTS.group,
      dlqTopicPrefix: values['dlq-topic-prefix'] ?? SINK_DEFAULTS.dlqTopicPrefix,
      fromBeginning: values.start === 'earliest',
      sessionTimeoutMs,
      retry,
      logger: base,
      sensors: metrics,
      onFatal,
    });
  } catch (err) {
    signals.dispose();
    const exit = invalidConfigExit(err);
    if (exit !== undefined) return exit;
    throw err;
  }
  metrics.init(sink.destinations.map((d) => d.id));

  let server: MetricsServer | null = null;
  if (metricsPort !== undefined) {
    server = await startMetricsServer({ registry: metrics.registry, port: metricsPort, host: values['metrics-host'], health: () => sink.health() });
    logger.info({ port: server.port }, 'metrics and health served');
  }

  const signal = await Promise.race([signals.first, fatal]);
  if (typeof signal === 'string') {
    // A second signal does not wait (listenForStop).
    logger.info({ signal }, 'stopping: finishing deliveries in flight');
  } else {
    logger.error({ err: signal.error }, 'a destination consumer failed for good: stopping');
  }
  await sink.stop();
  await server?.close();
  return typeof signal === 'string' ? 0 : 1;
}

export const command = { summary: 'deliver transitions to destinations (webhooks, Kafka topics), one consumer group per destination', usage: USAGE, run };
