// Creates the product's topics (idempotently) and registers the Avro schemas: what `journeys topics create`
// does, also used by tests and `npm run dev`.
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConfigResourceTypes, type Admin, type ITopicConfig } from 'kafkajs';
import { loadAvroSchema, type AvroSchemaName } from '../codecs/avro-schemas';
import type { Definitions } from '../definitions/model';
import { ErrorCodes, JourneyError } from '../errors';
import type { TopicNames } from './topics';

const DLQ_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
/** The changelog's records stay uncompacted this long (the broker's log cleaner leaves them alone until then). */
export const CHANGELOG_MIN_COMPACTION_LAG_MS = 60_000;

export interface CreateTopicsOptions {
  partitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  definitions: Definitions | null;
  /** The changelog's segment size (the broker's default, 1 GiB, when not given): the cleaner compacts only rolled segments. */
  changelogSegmentBytes?: number;
}

export interface CreateTopicsResult {
  created: string[];
  existing: string[];
  subjects: string[];
}

/** Every topic the product uses, with its partition count and config. */
export function plannedTopics(topics: TopicNames, o: CreateTopicsOptions): ITopicConfig[] {
  const p = o.partitions;
  const rf = o.replicationFactor;
  const list: ITopicConfig[] = [
    { topic: topics.events, numPartitions: p, replicationFactor: rf },
    { topic: topics.traits, numPartitions: p, replicationFactor: rf },
    { topic: topics.transitions, numPartitions: p, replicationFactor: rf },
    // A dead letter carries the original record plus why: allow records up to twice the default limit.
    { topic: topics.dlq, numPartitions: p, replicationFactor: rf, configEntries: [{ name: 'max.message.bytes', value: String(DLQ_MAX_MESSAGE_BYTES) }] },
    {
      topic: topics.changelog, numPartitions: p, replicationFactor: rf,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' }, { name: 'min.compaction.lag.ms', value: String(CHANGELOG_MIN_COMPACTION_LAG_MS) },
        ...(o.changelogSegmentBytes === undefined ? [] : [{ name: 'segment.bytes', value: String(o.changelogSegmentBytes) }]),
      ],
    },
  ];
  for (const d of o.definitions?.destinations.values() ?? []) {
    list.push({ topic: topics.destinationDlq(d.id), numPartitions: p, replicationFactor: rf, configEntries: [{ name: 'max.message.bytes', value: String(DLQ_MAX_MESSAGE_BYTES) }] });
    if (d.type === 'kafka') list.push({ topic: d.topic, numPartitions: p, replicationFactor: rf });
  }
  const seen = new Set<string>();
  return list.filter((t) => (seen.has(t.topic) ? false : (seen.add(t.topic), true)));
}

/**
 * Refuses a changelog that is not compacted: with `delete`, a partition's old state records would go with the
 * retention period, and a restore from it would lose users (Kafka Streams refuses such a changelog too).
 */
export async function checkChangelogCompacted(admin: Admin, changelog: string): Promise<void> {
  const { resources } = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: changelog, configNames: ['cleanup.policy'] }], includeSynonyms: false });
  const policy = resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
  if (!policy.split(',').map((p) => p.trim()).includes('compact')) {
    throw new JourneyError(ErrorCodes.INVALID_CONFIG, `${changelog} exists with cleanup.policy=${policy === '' ? '(none)' : policy}: the state changelog must be compacted (kafka-configs.sh --alter --entity-type topics --entity-name ${changelog} --add-config cleanup.policy=compact)`);
  }
}

export async function createTopics(admin: Admin, registry: SchemaRegistry | null, topics: TopicNames, o: CreateTopicsOptions): Promise<CreateTopicsResult> {
  const planned = plannedTopics(topics, o);
  const existingNames = new Set(await admin.listTopics());
  const toCreate = planned.filter((t) => !existingNames.has(t.topic));
  const existing = planned.filter((t) => existingNames.has(t.topic)).map((t) => t.topic);

  // Before anything is created: existing inputs and changelog must have the count asked for (else the command
  // would leave the other topics made with a count no later run could match), and the changelog be compacted.
  if (existing.length > 0) {
    const meta = await admin.fetchTopicMetadata({ topics: existing });
    for (const name of [topics.events, topics.traits, topics.changelog]) {
      const m = meta.topics.find((t) => t.name === name);
      if (m !== undefined && m.partitions.length !== o.partitions) {
        throw new JourneyError(ErrorCodes.COPARTITION, `${name} exists with ${m.partitions.length} partitions, not ${o.partitions}: events, traits and the changelog must have the same count (run again with --partitions ${m.partitions.length}, or delete the topic)`);
      }
    }
    if (existingNames.has(topics.changelog)) await checkChangelogCompacted(admin, topics.changelog);
  }
  if (toCreate.length > 0) await createTopicsWithLeaders(admin, toCreate);

  const subjects: string[] = [];
  if (registry !== null) {
    const register = async (topic: string, schema: AvroSchemaName) => {
      const subject = `${topic}-value`;
      await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(loadAvroSchema(schema)) }, { subject });
      subjects.push(subject);
    };
    await register(topics.events, 'segmentMessage');
    await register(topics.traits, 'segmentMessage');
    await register(topics.transitions, 'transition');
    await register(topics.dlq, 'deadLetter');
    // Destination dead-letter topics hold the formatted message as JSON (see the sink), not Avro.
  }
  return { created: toCreate.map((t) => t.topic), existing, subjects };
}

/** Metadata errors of a topic just created that its broker has not caught up with yet. */
const SETTLING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

function settling(err: unknown): boolean {
  const e = err as { type?: unknown; originalError?: { type?: unknown } } | null;
  return SETTLING.has(String(e?.type)) || SETTLING.has(String(e?.originalError?.type));
}

/**
 * Creates topics (those that exist already are left as they are) and waits until every partition of each has a
 * leader. kafkajs' own wait (`waitForLeaders`) tries again only on LEADER_NOT_AVAILABLE, but a busy broker whose
 * metadata has not caught up with the controller yet answers UNKNOWN_TOPIC_OR_PARTITION for a topic just made,
 * and kafkajs gave up though the topic existed (seen with a few topic sets made at once on a loaded broker).
 * Returns whether any topic was created.
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      const led = (name: string): boolean => {
        const partitions = meta.find((t) => t.name === name)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
      };
      if (names.every(led)) return created;
    } catch (err) {
      if (!settling(err)) throw err;
    }
    if (Date.now() > deadline) throw new JourneyError(ErrorCodes.INFRA, `topics ${names.join(', ')} have no leader ${timeoutMs / 1000} s after they were created`);
    await sleep(100);
  }
}
