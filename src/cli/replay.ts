// `journeys replay --from <ISO time|earliest>` (spec §7): rebuilds the group's state from the input history with
// the event clock, for condition-entry journeys deployed since (`historical: true` entry). The group's processors
// must be stopped; run it with the journey files they are to load next, then start them again.
import { parseArgs } from 'node:util';
import { loadDefinitions } from '../definitions';
import { ErrorCodes, JourneyError } from '../errors';
import { TOPIC_FLAGS, TOPIC_FLAGS_USAGE, topicNamesFromFlags } from '../kafka/topics';
import { parseDate } from '../lib/time';
import { replay } from '../processor/replay';
import { CONNECTION_FLAGS, resolveConnection } from './connection';
import { engineOptionsFromFlags } from './flags';
import { STATE_FLAGS } from './process';

const USAGE = `usage: journeys replay --from <ISO time|earliest> [--topologies <dir>] [--state-dir <dir>] [--group G] [--clock wall|event] [--transitions-format avro|json] [--bootstrap host:port] [--registry url] [--max-instances N] [--max-lifetime 365d]
         ${TOPIC_FLAGS_USAGE}`;

function bad(message: string): never {
  throw new JourneyError(ErrorCodes.INVALID_CONFIG, `${message}\n${USAGE}`);
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CONNECTION_FLAGS, ...TOPIC_FLAGS, ...STATE_FLAGS,
      from: { type: 'string' },
    },
    strict: true,
  });
  if (values.from === undefined) bad('--from is required');
  const from = values.from === 'earliest' ? 'earliest' : parseDate(values.from);
  if (from === null) bad(`--from ${values.from} is not an ISO-8601 date or time, nor earliest`);
  const clock = values.clock;
  if (clock !== 'wall' && clock !== 'event') bad('--clock must be wall or event (the clock the group\'s processors run with)');
  const format = values['transitions-format'];
  if (format !== 'avro' && format !== 'json') bad('--transitions-format must be avro or json');
  const engine = engineOptionsFromFlags(values, USAGE);
  const definitions = loadDefinitions(values.topologies);
  const conn = resolveConnection(values, format === 'avro');
  const summaries = await replay({
    definitions, brokers: conn.brokers, registryUrl: conn.registryUrl, stateDir: values['state-dir'], group: values.group ?? 'journeys',
    topics: topicNamesFromFlags(values), clock, transitionsFormat: format, from, engine,
  });
  for (const s of summaries) {
    const wentLive = Object.entries(s.wentLive).map(([id, at]) => `${id} at ${at === null ? 'the start' : new Date(at).toISOString()}`);
    process.stdout.write(`partition ${s.partition}: ${s.records} records read again, ${s.users} users, ${s.usersUpdated} states updated, ${s.transitions} transitions${wentLive.length > 0 ? `; live: ${wentLive.join(', ')}` : ''}\n`);
  }
  return 0;
}

export const command = { summary: 'rebuild state from input history (event clock) for historical: true entry', usage: USAGE, run };
