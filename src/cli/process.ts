// `journeys process`: the stream processor (spec §7). Runs until SIGTERM/SIGINT, then finishes the batch in
// progress, commits it, closes its stores and exits 0.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { loadDefinitions } from '../definitions';
import { ErrorCodes, JourneyError } from '../errors';
import { TOPIC_FLAGS, TOPIC_FLAGS_USAGE, topicNamesFromFlags } from '../kafka/topics';
import { Processor } from '../processor/processor';
import { CONNECTION_FLAGS, resolveConnection } from './connection';
import { listenForStop } from './signals';
import { ENGINE_FLAGS, engineOptionsFromFlags, intFlag as parseIntFlag } from './flags';

const USAGE = `usage: journeys process [--topologies <dir>] [--state-dir <dir>] [--group G] [--clock wall|event] [--transitions-format avro|json] [--metrics-port N] [--bootstrap host:port] [--registry url] [--max-instances N] [--max-lifetime 365d] [--max-batch N] [--cached-users N] [--max-idle-ms N]
         ${TOPIC_FLAGS_USAGE}`;

function bad(message: string): never {
  throw new JourneyError(ErrorCodes.INVALID_CONFIG, `${message}\n${USAGE}`);
}

/**
 * Between full collections V8 lets the heap grow to up to 4x what survived the last one; at the processor's
 * allocation rate it goes that far, and RSS follows the number of users seen rather than the data kept. 2x
 * (bench: peak RSS 10k -> 200k users 444 -> 600 MB instead of 483 -> 882, for ~4% less throughput) unless
 * node was given a growth factor of its own.
 */
function boundHeapGrowth(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent'));
  if (!given) setFlagsFromString('--heap-growing-percent=100');
}

/** Flags of the partitions' state that `journeys replay` takes too: it must see it as the processors do. */
export const STATE_FLAGS = {
  topologies: { type: 'string', default: 'topologies' },
  'state-dir': { type: 'string', default: '.journeys-state' },
  clock: { type: 'string', default: 'wall' },
  'transitions-format': { type: 'string', default: 'avro' },
  ...ENGINE_FLAGS,
} as const;

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CONNECTION_FLAGS, ...TOPIC_FLAGS, ...STATE_FLAGS,
      'metrics-port': { type: 'string' },
      'max-batch': { type: 'string' },
      'cached-users': { type: 'string' },
      'max-idle-ms': { type: 'string' },
    },
    strict: true,
  });
  const clock = values.clock;
  if (clock !== 'wall' && clock !== 'event') bad('--clock must be wall or event');
  const format = values['transitions-format'];
  if (format !== 'avro' && format !== 'json') bad('--transitions-format must be avro or json');
  const intFlag = (name: string, v: string | undefined, min: number) => parseIntFlag(name, v, min, USAGE);
  const engine = engineOptionsFromFlags(values, USAGE);
  const definitions = loadDefinitions(values.topologies);
  const conn = resolveConnection(values, format === 'avro');
  const topics = topicNamesFromFlags(values);
  boundHeapGrowth();
  const signals = listenForStop('process');
  let processor: Processor;
  try {
    processor = await Processor.start({
      definitions, brokers: conn.brokers, registryUrl: conn.registryUrl, stateDir: values['state-dir'], group: values.group ?? 'journeys',
      topics, clock, transitionsFormat: format, metricsPort: intFlag('metrics-port', values['metrics-port'], 0) ?? null,
      maxBatch: intFlag('max-batch', values['max-batch'], 1),
      cachedUsers: intFlag('cached-users', values['cached-users'], 0),
      maxIdleMs: intFlag('max-idle-ms', values['max-idle-ms'], 0),
      engine,
    });
  } catch (err) {
    signals.dispose();
    throw err;
  }
  await signals.first;
  await processor.stop();
  // Whatever a stuck connection still holds open, the work is committed: leave.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}

export const command = { summary: 'run the stream processor: events + traits in, transitions out, exactly once', usage: USAGE, run };
