// `journeys validate [<path> ...]` (spec §4.7): checks journey files, destinations.yaml and audiences.yaml
// (files or folders; default ./topologies). One line per problem, `<path>:<line>: <reason>`, on stderr;
// exit 0 when every file is valid, 2 otherwise.
import { DEFAULT_TOPOLOGIES, formatProblem, validateTopologies } from '../definitions';

const USAGE = `usage: journeys validate [<path> ...]
  Checks *.journey.yaml, destinations.yaml and audiences.yaml files, or folders of them (default: ./${DEFAULT_TOPOLOGIES}).
  Prints one line per problem, <path>:<line>: <reason>, on stderr; exits 0 when all are valid, 2 otherwise.
`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function run(argv: string[]): Promise<number> {
  const paths: string[] = [];
  let options = true;
  for (const arg of argv) {
    if (options && arg === '--') {
      options = false;
    } else if (options && arg.startsWith('-') && arg !== '-') {
      process.stderr.write(`journeys validate: unknown option '${arg}'\n${USAGE}`);
      return Promise.resolve(2);
    } else {
      paths.push(arg);
    }
  }
  const result = validateTopologies(paths);
  if (result.problems.length > 0) {
    process.stderr.write(result.problems.map((p) => formatProblem(p) + '\n').join(''));
    return Promise.resolve(2);
  }
  process.stdout.write(
    `${plural(result.journeys, 'journey')}, ${plural(result.destinations, 'destination')}, ${plural(result.audiences, 'audience')}: valid\n`,
  );
  return Promise.resolve(0);
}

export const command = {
  summary: 'check journey, destination and audience files; print <path>:<line>: <reason> per problem',
  usage: USAGE,
  run,
};
