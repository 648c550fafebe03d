// `journeys dlq replay [--destination <id> ...]`: re-delivers what the destinations' dead-letter topics hold
// (spec §6; default: every destination of the topologies, one after the other), each from its replay group's
// committed position to the topic's current end. Prints `<destination>: replayed N, failed again M, skipped K
// (<topic>)` per destination on stdout; exits 0 when nothing failed again, 1 when something did (it is back in
// the dead-letter topic), 2 on invalid definitions or flags.
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { loadDefinitions } from '../definitions';
import { createConnector } from '../destinations/registry';
import { createLogger, kafkaLogCreator } from '../observability/logger';
import { replayDeadLetters, replayGroupId } from '../sinks/replay';
import { SINK_DEFAULTS } from '../sinks/sink';
import { CONNECTION_FLAGS, resolveConnection } from './connection';
import { destinationsOrExit, retryFlags } from './sink';

const USAGE = `usage: journeys dlq replay [--destination <id> ...] [--topologies <dir>] [--bootstrap host:port] [--group G]
                          [--dlq-topic-prefix P] [--retry-initial-ms N] [--retry-max-ms N]
  Re-delivers the records of <prefix><destination> (default journeys.dlq.<destination>) not replayed yet
  (group <group>.dlq-replay.<destination>) for each destination named (also as arguments: dlq replay crm), or
  for every destination of <dir>/destinations.yaml; what fails again goes back to that topic.`;

async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...CONNECTION_FLAGS,
      topologies: { type: 'string', default: 'topologies' },
      destination: { type: 'string', multiple: true },
      group: { type: 'string' },
      'dlq-topic-prefix': { type: 'string' },
      'retry-initial-ms': { type: 'string' },
      'retry-max-ms': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const named = [...(values.destination ?? []), ...positionals];
  const retry = retryFlags(values, USAGE);
  // Invalid definitions: main reports them (file:line) and exits 2, as for every command.
  const definitions = loadDefinitions(values.topologies);
  const destinations = destinationsOrExit(definitions, values.topologies, named.length === 0 ? undefined : named);
  if (destinations === 2) return 2;
  if (destinations.length === 0) {
    process.stderr.write(`journeys dlq replay: ${values.topologies} has no destinations\n`);
    return 2;
  }
  const conn = resolveConnection(values, false);
  // replayDeadLetters binds `component: dlq-replay` to what it is given (pino would repeat a key bound twice).
  const base = createLogger();
  const logger = base.child({ component: 'dlq-replay' });
  const kafka = new Kafka({ clientId: 'journeys-dlq-replay', brokers: conn.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });
  // Every destination at once, as the sink delivers them: one that is slow or down holds back no other (spec §6).
  // The reports are printed in the order of the destinations once all are done.
  const replays = destinations.map((destination) => {
    const topic = `${values['dlq-topic-prefix'] ?? SINK_DEFAULTS.dlqTopicPrefix}${destination.id}`;
    const connector = createConnector(destination, { logger, env: process.env, retry, brokers: conn.brokers, clientId: 'journeys-dlq-replay' });
    const report = replayDeadLetters({ kafka, connector, topic, groupId: replayGroupId(values.group ?? SINK_DEFAULTS.group, destination.id), logger: base });
    return { destination, topic, report };
  });
  // All settled first: a replay that throws then leaves none of the others running.
  await Promise.allSettled(replays.map((r) => r.report));
  let failed = 0;
  for (const { destination, topic, report } of replays) {
    const { replayed, failed: again, skipped } = await report;
    process.stdout.write(`${destination.id}: replayed ${replayed}, failed again ${again}, skipped ${skipped} (${topic})\n`);
    failed += again;
  }
  return failed === 0 ? 0 : 1;
}

function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'replay') return replay(rest);
  if (sub === undefined || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve(sub === undefined ? 2 : 0);
  }
  process.stderr.write(`journeys dlq: unknown subcommand '${sub}'\n${USAGE}\n`);
  return Promise.resolve(2);
}

export const command = { summary: 'dead-letter topics of destinations: `dlq replay [--destination <id>]` re-delivers them', usage: USAGE, run };
