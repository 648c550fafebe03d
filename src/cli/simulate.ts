// `journeys simulate --topologies <dir> --events <file|-> [--until <ISO>]` (spec §5): runs the engine with
// the event-time clock over Segment messages, one JSON object a line, and prints one transition a line.
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDefinitions } from '../definitions';
import { parseDate } from '../lib/time';
import { parseLine } from '../ingest/decode';
import { Simulator } from '../engine/simulator';
import { DEFAULT_OPTIONS } from '../engine/engine';
import type { Transition } from '../engine/transition';
import { ErrorCodes, JourneyError } from '../errors';
import { lines } from './lines';
import { ENGINE_FLAGS, engineOptionsFromFlags } from './flags';
import { BufferedWriter, jsonLine } from './output';

const USAGE = 'usage: journeys simulate --topologies <dir> --events <file.jsonl|-> [--until <ISO time>] [--max-instances N] [--max-lifetime <duration>]';

function fail(message: string): never {
  throw new JourneyError(ErrorCodes.INVALID_CONFIG, `${message}\n${USAGE}`);
}

/** A usage error, said plainly, rather than the stream's raw ENOENT once reading has begun. */
function checkReadable(file: string): void {
  let reason: string | null = null;
  try {
    const stat = statSync(file);
    // A pipe or a device (`<(...)`, /dev/stdin) reads as well as a file.
    if (!stat.isFile() && !stat.isFIFO() && !stat.isCharacterDevice()) reason = 'is not a file';
    else accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
  }
  if (reason !== null) fail(`--events ${file} ${reason}`);
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      topologies: { type: 'string', default: 'topologies' },
      events: { type: 'string' },
      until: { type: 'string' },
      ...ENGINE_FLAGS,
    },
    strict: true,
  });
  if (values.events === undefined) fail('--events is required');
  if (values.events !== '-') checkReadable(values.events);
  let until: number | null = null;
  if (values.until !== undefined) {
    // Read as UTC when it has no zone (everything is UTC, spec §8); a plain date is its midnight.
    until = parseDate(values.until);
    if (until === null) fail(`--until ${values.until} is not an ISO-8601 date or time`);
  }
  // The processor's rules for these flags, so both run the engine alike.
  const options = engineOptionsFromFlags(values, USAGE);

  // Invalid definitions: main reports them (file:line) and exits 2, as for every command.
  const defs = loadDefinitions(values.topologies);

  const out = new BufferedWriter(process.stdout);
  const sim = new Simulator(defs, options, (t: Transition) => out.write(jsonLine(t)));
  const input = values.events === '-' ? process.stdin : createReadStream(values.events);
  let lineNo = 0;
  for await (const line of lines(input)) {
    lineNo++;
    if (line === null) {
      process.stderr.write(`line ${lineNo}: not valid UTF-8, skipped\n`);
      continue;
    }
    if (line.trim() === '') continue;
    // The processor's rules (size limit included), so both take the same messages.
    const parsed = parseLine(line);
    if (!parsed.ok) {
      process.stderr.write(`line ${lineNo}: ${parsed.reason}, skipped\n`);
      continue;
    }
    sim.push(parsed.message);
    const ready = out.ready();
    if (ready !== null) await ready;
  }
  if (until !== null) sim.advanceTo(until);
  await out.close();
  // Spec §4.1: an entry over the instance limit is refused, counted and logged (the processor logs each batch's).
  const refused = sim.stats.refusedEntries;
  if (refused > 0) {
    process.stderr.write(`${refused} ${refused === 1 ? 'entry' : 'entries'} refused over the per-user instance limit (--max-instances ${options.maxInstances ?? DEFAULT_OPTIONS.maxInstances})\n`);
  }
  return 0;
}

export const command = {
  summary: 'run journeys over Segment messages (JSON lines) with the event-time clock; print transitions',
  usage: USAGE,
  run,
};
