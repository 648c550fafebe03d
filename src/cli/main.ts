// `journeys <command>`: each command lives in its own module under src/cli/ and is loaded on demand,
// so `journeys validate` does not pay for the Kafka client.
import { ErrorCodes, JourneyError, unreachableInfra } from '../errors';
import { invalidDefinitionLines } from '../definitions';

type Command = { summary: string; usage: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, () => Command> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  validate: () => (require('./validate') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  simulate: () => (require('./simulate') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  topics: () => (require('./topics') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  process: () => (require('./process') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  replay: () => (require('./replay') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  dev: () => (require('./dev') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sink: () => (require('./sink') as { command: Command }).command,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  dlq: () => (require('./dlq') as { command: Command }).command,
};

function usage(): string {
  const lines = ['usage: journeys <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`journeys: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = load();
  const options = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // node:util parseArgs: an unknown option, a missing value... The message says which; no stack trace.
    if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) {
      process.stderr.write(`journeys ${name}: ${err.message}\n${command.usage.trimEnd()}\n`);
      return 2;
    }
    // Invalid journey files: the problems, one `file:line: reason` a line, and exit 2, from every command alike,
    // exactly as `validate` reports them (spec §5: "the validation messages on stderr"), with no header line.
    if (err instanceof JourneyError && err.code === ErrorCodes.INVALID_DEFINITIONS) {
      process.stderr.write(invalidDefinitionLines(err));
      return 2;
    }
    throw err;
  }
}

// A reader that closed our output early (`journeys simulate ... | head -1`) has what it wanted: stop quietly, as
// Unix tools do, rather than with the write's stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    const err = unreachableInfra(thrown) ?? thrown;
    if (err instanceof JourneyError) process.stderr.write(`journeys: ${err.message} (${err.code})\n`);
    else process.stderr.write(`journeys: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
