// The sink (spec §6): one DestinationWorker (consumer group `<group>.sink.<destination>`) per destination,
// a connector each, one dead-letter writer. Start: check the destinations (environment, topics), create the
// dead-letter topics that are missing, connect, join. Stop (SIGTERM): finish the batches in flight, commit
// their offsets, close.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { TransitionDecoder } from '../codecs/transition-codec';
import type { Definitions, Destination } from '../definitions/model';
import { assertDestinationsUsable } from '../destinations/check';
import { createConnector, unknownDestination } from '../destinations/registry';
import { DEFAULT_RETRY, type Connector, type ConnectorDeps, type RetryPolicy } from '../destinations/types';
import { ErrorCodes, JourneyError } from '../errors';
import { kafkaLogCreator, silentLogger, type Logger } from '../observability/logger';
import type { Health } from '../observability/metrics-server';
import { DeadLetterWriter, ensureTopics } from './dead-letter';
import { DestinationDelivery } from './delivery';
import { buildSendIndex } from './router';
import { noSensors, type SinkSensors } from './sensors';
import { DestinationWorker } from './worker';

export const SINK_DEFAULTS = {
  transitionsTopic: 'journeys.transitions',
  group: 'journeys',
  dlqTopicPrefix: 'journeys.dlq.',
  sessionTimeoutMs: 30_000,
  partitionConcurrency: 4,
} as const;

export function sinkGroupId(group: string, destination: string): string {
  return `${group}.sink.${destination}`;
}

export interface SinkOptions {
  definitions: Definitions;
  /** The folder the definitions came from (for file:line in destination problems). */
  topologies: string;
  /** Destination ids; default: every destination of destinations.yaml. */
  destinations?: readonly string[];
  brokers: string[];
  /** Needed to read Avro transition records; null: JSON records only. */
  registryUrl: string | null;
  transitionsTopic?: string;
  group?: string;
  dlqTopicPrefix?: string;
  /** A group without committed offsets starts at the earliest record (default) or the latest. */
  fromBeginning?: boolean;
  retry?: RetryPolicy;
  sessionTimeoutMs?: number;
  partitionConcurrency?: number;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  sensors?: SinkSensors;
  clientId?: string;
  /** Tuning of kafka destinations (tests). */
  kafka?: ConnectorDeps['kafka'];
  /** A destination's consumer stopped for good after an error. */
  onFatal?: (err: Error) => void;
}

/** The destinations to deliver to, checked (unknown ids, environment, header names). */
export function selectDestinations(definitions: Definitions, topologies: string, ids: readonly string[] | undefined, env: NodeJS.ProcessEnv): Destination[] {
  const selected: Destination[] = [];
  for (const id of ids ?? [...definitions.destinations.keys()]) {
    const d = definitions.destinations.get(id);
    if (d === undefined) throw unknownDestination(id, definitions.destinations.keys());
    if (!selected.includes(d)) selected.push(d);
  }
  assertDestinationsUsable(topologies, selected, env);
  return selected;
}

export class Sink {
  private constructor(
    readonly destinations: readonly Destination[],
    private readonly workers: DestinationWorker[],
    private readonly connectors: Connector[],
    private readonly dlq: DeadLetterWriter,
    private readonly logger: Logger,
  ) {}

  static async start(o: SinkOptions): Promise<Sink> {
    const env = o.env ?? process.env;
    const logger = (o.logger ?? silentLogger()).child({ component: 'sink' });
    const sensors = o.sensors ?? noSensors;
    const topic = o.transitionsTopic ?? SINK_DEFAULTS.transitionsTopic;
    const group = o.group ?? SINK_DEFAULTS.group;
    const prefix = o.dlqTopicPrefix ?? SINK_DEFAULTS.dlqTopicPrefix;
    const destinations = selectDestinations(o.definitions, o.topologies, o.destinations, env);
    if (destinations.length === 0) throw new JourneyError(ErrorCodes.INVALID_CONFIG, `no destinations to deliver to (${o.topologies}/destinations.yaml lists none)`);
    for (const d of destinations) {
      if (d.type === 'kafka' && d.topic === topic) {
        throw new JourneyError(ErrorCodes.INVALID_CONFIG, `kafka destination '${d.id}' produces to the transitions topic ${topic}: it would read its own output`);
      }
    }
    const clientId = o.clientId ?? 'journeys-sink';
    const kafka = new Kafka({ clientId, brokers: o.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });

    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) {
        throw new JourneyError(ErrorCodes.INFRA, `transitions topic ${topic} does not exist: create it (journeys topics create) or start the processor first`, { retriable: true });
      }
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      await ensureTopics(admin, destinations.map((d) => `${prefix}${d.id}`), Math.max(1, meta?.partitions.length ?? 1), logger);
    } finally {
      await admin.disconnect();
    }

    const dlq = new DeadLetterWriter(kafka, logger);
    const deps: ConnectorDeps = {
      logger, env, retry: o.retry ?? DEFAULT_RETRY, brokers: o.brokers, clientId,
      onRetry: (destination) => sensors.retried(destination),
      ...(o.kafka === undefined ? {} : { kafka: o.kafka }),
    };
    const connectors = destinations.map((d) => createConnector(d, deps));
    const decoder = new TransitionDecoder(o.registryUrl === null ? null : new SchemaRegistry({ host: o.registryUrl }));
    const index = buildSendIndex(o.definitions);
    const workers = connectors.map((connector) => {
      const d = connector.destination;
      return new DestinationWorker({
        kafka, dlq, decoder, index, topic, sensors, logger,
        delivery: new DestinationDelivery(connector, dlq, `${prefix}${d.id}`, sensors, logger),
        format: d.format,
        groupId: sinkGroupId(group, d.id),
        fromBeginning: o.fromBeginning ?? true,
        sessionTimeoutMs: o.sessionTimeoutMs ?? SINK_DEFAULTS.sessionTimeoutMs,
        partitionConcurrency: o.partitionConcurrency ?? SINK_DEFAULTS.partitionConcurrency,
        ...(o.onFatal === undefined ? {} : { onFatal: o.onFatal }),
      });
    });
    const sink = new Sink(destinations, workers, connectors, dlq, logger);
    try {
      await dlq.connect();
      await Promise.all(connectors.map((c) => c.connect()));
      await Promise.all(workers.map((w) => w.start()));
    } catch (err) {
      await sink.stop().catch(() => undefined);
      throw err;
    }
    logger.info({ topic, group, destinations: destinations.map((d) => d.id), dlqTopicPrefix: prefix }, 'sink started');
    return sink;
  }

  /** Healthy when every destination's consumer runs (has joined its group and not crashed for good). */
  health(): Health {
    const states = Object.fromEntries(this.workers.map((w) => [w.destination, w.state]));
    return { ok: this.workers.every((w) => w.state === 'running'), details: { destinations: states } };
  }

  private stopping: Promise<void> | null = null;

  /** Finishes what is in flight, commits, closes. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.workers.map((w) => w.stop()));
      await Promise.all(this.connectors.map((c) => c.close()));
      await this.dlq.close();
      this.logger.info('sink stopped');
    })();
    return this.stopping;
  }
}
