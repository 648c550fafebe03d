// `journeys topics create --topologies <dir> --partitions N [--group G] [--bootstrap ...] [--registry ...]`
import { parseArgs } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { loadDefinitions } from '../definitions';
import { ErrorCodes, JourneyError } from '../errors';
import { createTopics } from '../kafka/admin-topics';
import { TOPIC_FLAGS, TOPIC_FLAGS_USAGE, topicNamesFromFlags } from '../kafka/topics';
import { CONNECTION_FLAGS, resolveConnection } from './connection';

const USAGE = `usage: journeys topics create [--topologies <dir>] [--partitions N] [--replication-factor N] [--group G] [--bootstrap host:port] [--registry url]
         ${TOPIC_FLAGS_USAGE}`;

async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  // As `journeys dlq`: the usage alone is a usage error (2), asked for it is not (0), an unknown word is (2).
  if (sub === undefined || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'create') {
    process.stderr.write(`journeys topics: unknown subcommand '${sub}'\n${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      ...CONNECTION_FLAGS, ...TOPIC_FLAGS,
      topologies: { type: 'string', default: 'topologies' },
      partitions: { type: 'string', default: '4' },
      'replication-factor': { type: 'string', default: '-1' },
    },
    strict: true,
  });
  const partitions = Number(values.partitions);
  const replicationFactor = Number(values['replication-factor']);
  if (!Number.isInteger(partitions) || partitions < 1) throw new JourneyError(ErrorCodes.INVALID_CONFIG, `--partitions must be a positive integer\n${USAGE}`);
  if (!Number.isInteger(replicationFactor) || (replicationFactor < 1 && replicationFactor !== -1)) throw new JourneyError(ErrorCodes.INVALID_CONFIG, `--replication-factor must be a positive integer (or -1: the broker default)\n${USAGE}`);
  const definitions = loadDefinitions(values.topologies);
  const conn = resolveConnection(values, false);
  const topics = topicNamesFromFlags(values);
  const kafka = new Kafka({ clientId: 'journeys-topics', brokers: conn.brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const registry = conn.registryUrl === null ? null : new SchemaRegistry({ host: conn.registryUrl });
    const r = await createTopics(admin, registry, topics, { partitions, replicationFactor, definitions });
    for (const t of r.created) process.stdout.write(`created ${t}\n`);
    for (const t of r.existing) process.stdout.write(`exists  ${t}\n`);
    for (const s of r.subjects) process.stdout.write(`schema  ${s}\n`);
    if (conn.registryUrl === null) process.stdout.write('no schema registry given: Avro schemas not registered (JSON only)\n');
  } finally {
    await admin.disconnect();
  }
  return 0;
}

export const command = { summary: 'create the topics (idempotent) and register the Avro schemas', usage: USAGE, run };
