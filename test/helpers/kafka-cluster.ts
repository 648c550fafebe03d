// A throwaway two-broker KRaft cluster for tests that need partitions led by different brokers (the shared test
// broker is one node). Node 1 is broker and controller, node 2 a broker only; both run from the Kafka jars that
// `npm run infra:up` (or the tests' global setup) fetched into .cache/, with the settings of
// infra/kafka/server.properties. Its data lives in a temp dir and goes with it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';
import { REPO_ROOT } from './infra-process';

export interface TwoBrokerCluster {
  /** Bootstrap addresses of node 1 and node 2. */
  brokers: [string, string];
  stop(): Promise<void>;
}

/** The java binary infra/infra.mjs chose for the local broker (it looks past the PATH), when it runs. */
function javaOfLocalBroker(): string | undefined {
  try {
    const state = JSON.parse(readFileSync(join(REPO_ROOT, '.infra', 'state.json'), 'utf8')) as { kafka?: { java?: unknown } };
    return typeof state.kafka?.java === 'string' ? state.kafka.java : undefined;
  } catch {
    return undefined;
  }
}

/** The jars and java the local broker runs with (the same release as infra/kafka/pom.xml names). */
function kafkaRuntime(): { java: string; libs: string } {
  const pom = readFileSync(join(REPO_ROOT, 'infra', 'kafka', 'pom.xml'), 'utf8');
  const version = process.env.JOURNEYS_KAFKA_VERSION ?? /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  const libs = join(REPO_ROOT, '.cache', `kafka-${version ?? '?'}`, 'libs');
  if (!existsSync(libs)) throw new Error(`no Kafka jars in ${libs}: run \`npm run infra:up\` once to fetch them`);
  return { java: javaOfLocalBroker() ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'), libs };
}

/** The local broker's settings, for one node of the cluster. */
function nodeProperties(node: 1 | 2, ports: { client: number; controller: number }, dataDir: string): string {
  const template = readFileSync(join(REPO_ROOT, 'infra', 'kafka', 'server.properties'), 'utf8');
  const values: Record<string, string> = { KAFKA_PORT: String(ports.client), CONTROLLER_PORT: String(ports.controller), DATA_DIR: dataDir };
  let props = template.replace(/\$\{(\w+)\}/g, (_, k: string) => values[k] ?? '');
  if (node === 2) {
    props = props
      .replace(/^process\.roles=.*$/m, 'process.roles=broker')
      .replace(/^node\.id=.*$/m, 'node.id=2')
      .replace(/^listeners=.*$/m, `listeners=PLAINTEXT://127.0.0.1:${ports.client}`);
  }
  return props;
}

async function waitStarted(log: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`a test broker exited before it started; see ${log}`);
    if (existsSync(log) && readFileSync(log, 'utf8').includes('Kafka Server started')) return;
    await sleep(200);
  }
  throw new Error(`a test broker did not start within ${timeoutMs} ms; see ${log}`);
}

/** Marks the brokers' command lines with the test process that owns them. */
const OWNER_FLAG = '-Djourneys.test-cluster.owner=';

/**
 * Kills brokers left by a test process that died without its `afterAll` (a jest worker killed outright): their
 * command line names an owner that no longer runs.
 */
function killOrphans(): void {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return; // no /proc (macOS): nothing to look at
  }
  for (const pid of pids) {
    let owner: number | undefined;
    try {
      const arg = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.startsWith(OWNER_FLAG));
      owner = arg === undefined ? undefined : Number(arg.slice(OWNER_FLAG.length));
    } catch {
      continue; // gone meanwhile
    }
    if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export async function startTwoBrokerCluster(): Promise<TwoBrokerCluster> {
  killOrphans();
  const { java, libs } = kafkaRuntime();
  const dir = mkdtempSync(join(tmpdir(), 'journeys-two-brokers-'));
  const controller = await freePort();
  const clients = { 1: await freePort(), 2: await freePort() };
  // A cluster id as `kafka-storage random-uuid` makes it: 16 bytes, base64url. One starting with '-' reads as a flag.
  const clusterId = `A${randomBytes(16).toString('base64url').slice(1)}`;
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const node of [1, 2] as const) {
      const nodeDir = join(dir, `node${node}`);
      mkdirSync(nodeDir);
      const props = join(nodeDir, 'server.properties');
      writeFileSync(props, nodeProperties(node, { client: clients[node], controller }, join(nodeDir, 'data')));
      const cp = `${libs}/*`;
      const format = spawnSync(java, ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], { encoding: 'utf8' });
      if (format.status !== 0) throw new Error(`kafka-storage format failed for test broker ${node}: ${format.stdout}${format.stderr}`);
      const log = join(nodeDir, 'broker.log');
      const out = openSync(log, 'a');
      const child = spawn(java, [
        `${OWNER_FLAG}${process.pid}`, '-Xms64m', '-Xmx384m', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${join(REPO_ROOT, 'infra', 'kafka', 'log4j2.properties')}`,
        `-Dkafka.logs.dir=${nodeDir}`, '-cp', cp, 'kafka.Kafka', props,
      ], { stdio: ['ignore', out, out] });
      children.push(child);
      await waitStarted(log, child);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers: [`127.0.0.1:${clients[1]}`, `127.0.0.1:${clients[2]}`], stop };
}
