// Where the Kafka broker and the schema registry are: the state file that `npm run infra:up` writes
// (.infra/state.json) when its processes still run, else the KAFKA_BOOTSTRAP / SCHEMA_REGISTRY_URL environment
// variables. Commands such as `journeys topics create`, the dev scripts and the tests read it through here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ErrorCodes, JourneyError } from '../errors';

export interface InfraState {
  /** Kafka bootstrap address, `host:port` (comma-separated when several). */
  bootstrap: string;
  /** Confluent-compatible schema registry base URL, e.g. `http://127.0.0.1:18081/apis/ccompat/v7`. */
  registryUrl: string;
  /** Where the addresses came from. */
  source: 'state-file' | 'env';
  /** The state file read, when source is `state-file`. */
  stateFile?: string;
  /** Broker version as the broker printed it (state file only). */
  kafkaVersion?: string;
  /** Registry product and version, e.g. `apicurio 2.6.13.Final` (state file only). */
  registryVersion?: string;
  /** The broker's log dir, absolute (state file only): where the bench watches the log cleaner's work. */
  kafkaDataDir?: string;
}

interface StateFileComponent {
  pid?: unknown;
  version?: unknown;
  kind?: unknown;
  dataDir?: unknown;
}
interface StateFile {
  /** The checkout infra/infra.mjs ran in; paths in the file are relative to it. */
  root?: unknown;
  bootstrap?: unknown;
  registryUrl?: unknown;
  kafka?: StateFileComponent;
  registry?: StateFileComponent;
}

const STATE_RELATIVE = join('.infra', 'state.json');

/**
 * Candidate state files, most specific first: $JOURNEYS_INFRA_STATE, then `.infra/state.json` in the current
 * directory or the nearest parent, then the one of the checkout this module belongs to.
 */
export function infraStateCandidates(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string[] {
  if (env.JOURNEYS_INFRA_STATE) return [resolve(env.JOURNEYS_INFRA_STATE)];
  const out: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    out.push(join(dir, STATE_RELATIVE));
    if (dirname(dir) === dir) break;
  }
  // src/kafka/ and dist/kafka/ are both two levels below the checkout.
  const own = join(resolve(__dirname, '..', '..'), STATE_RELATIVE);
  if (!out.includes(own)) out.push(own);
  return out;
}

function alive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads one state file; undefined when absent, unreadable, incomplete or when its processes no longer run. */
export function readStateFile(file: string): InfraState | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: StateFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
  const { bootstrap, registryUrl, kafka, registry } = parsed;
  if (typeof bootstrap !== 'string' || typeof registryUrl !== 'string') return undefined;
  if (!alive(kafka?.pid) || !alive(registry?.pid)) return undefined;
  const state: InfraState = { bootstrap, registryUrl, source: 'state-file', stateFile: file };
  if (typeof kafka?.version === 'string') state.kafkaVersion = kafka.version;
  if (typeof registry?.version === 'string') state.registryVersion = `${typeof registry.kind === 'string' ? `${registry.kind} ` : ''}${registry.version}`;
  // .infra/state.json sits in the checkout's .infra/ when the file does not name its root.
  if (typeof kafka?.dataDir === 'string') state.kafkaDataDir = resolve(typeof parsed.root === 'string' ? parsed.root : dirname(dirname(file)), kafka.dataDir);
  return state;
}

/** The infrastructure to use, or undefined when neither a live state file nor both variables are there. */
export function findInfraState(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): InfraState | undefined {
  for (const file of infraStateCandidates(env, cwd)) {
    const state = readStateFile(file);
    if (state) return state;
  }
  const bootstrap = env.KAFKA_BOOTSTRAP?.trim();
  const registryUrl = env.SCHEMA_REGISTRY_URL?.trim();
  if (bootstrap && registryUrl) return { bootstrap, registryUrl: registryUrl.replace(/\/+$/, ''), source: 'env' };
  return undefined;
}

/** Like findInfraState, but throws a JourneyError (JRN_ERR_INFRA) that says what to do. */
export function readInfraState(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): InfraState {
  const state = findInfraState(env, cwd);
  if (state) return state;
  const partial = env.KAFKA_BOOTSTRAP || env.SCHEMA_REGISTRY_URL ? ' (only one of KAFKA_BOOTSTRAP and SCHEMA_REGISTRY_URL is set)' : '';
  throw new JourneyError(
    ErrorCodes.INFRA,
    `no Kafka broker and schema registry to use${partial}: run \`npm run infra:up\` for local ones, or set KAFKA_BOOTSTRAP (host:port) and SCHEMA_REGISTRY_URL (http://host:port)`,
    { retriable: true },
  );
}

/** The bootstrap address as the list kafkajs takes. */
export function brokerList(state: Pick<InfraState, 'bootstrap'>): string[] {
  return state.bootstrap
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}
