#!/usr/bin/env node
// @ts-check
// Local infrastructure for development and tests: a single-node KRaft Kafka broker and an Apicurio schema
// registry (Confluent-compatible API), both run from jars fetched through the pinned POMs in infra/.
//
//   node infra/infra.mjs up        start what is not running (reuses what runs), print addresses, write .infra/state.json
//   node infra/infra.mjs down      stop exactly the processes that `up` started, wipe the broker's data
//   node infra/infra.mjs status    print the state; exit 0 when both answer, 3 otherwise
//   node infra/infra.mjs restart-broker [--kill]   stop the broker (SIGTERM, or SIGKILL) and start it again on
//                                  the same ports with its data kept (for fault tests)
//
// Test runs use `up --lease <pid>` and `release --lease <pid>`: what a test run starts is stopped when the
// last test run using it releases it; what `npm run infra:up` started is left to `npm run infra:down`.
//
// Environment: JOURNEYS_KAFKA_PORT, JOURNEYS_KAFKA_CONTROLLER_PORT, JOURNEYS_REGISTRY_PORT pin ports (default
// 19092, 19093, 18081, or free ones when those are taken); JOURNEYS_KAFKA_VERSION / JOURNEYS_APICURIO_VERSION
// override the pinned versions; JOURNEYS_INFRA_START_TIMEOUT_S (default 120).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InfraError,
  choosePort,
  findJava,
  findMaven,
  fingerprint,
  isOurProcess,
  pidAlive,
  pidsWithMarker,
  pomProperty,
  portAnswers,
  readFrom,
  readJson,
  runMaven,
  say,
  secondsSince,
  sleep,
  stopPid,
  tail,
  withLock,
  writeJsonAtomic,
} from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INFRA = path.join(ROOT, '.infra');
const CACHE = path.join(ROOT, '.cache');
const STATE_FILE = path.join(INFRA, 'state.json');
const LOCK_FILE = path.join(INFRA, 'lock');
const KAFKA_DIR = path.join(INFRA, 'kafka');
const REGISTRY_DIR = path.join(INFRA, 'registry');
const KAFKA_POM = path.join(ROOT, 'infra', 'kafka', 'pom.xml');
const APICURIO_POM = path.join(ROOT, 'infra', 'apicurio', 'pom.xml');
const DEP_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const START_TIMEOUT_MS = Number(process.env.JOURNEYS_INFRA_START_TIMEOUT_S ?? '120') * 1000;
const CCOMPAT_PATH = '/apis/ccompat/v7';

/** Each process we start carries this system property, so we can tell it from any other java process. */
const marker = (/** @type {'kafka' | 'registry'} */ role) => `-Djourneys.infra=${role}@${ROOT}`;
const rel = (/** @type {string} */ p) => path.relative(process.cwd(), p) || '.';

/**
 * @typedef {{ pid: number, version: string, port: number, controllerPort: number, logFile: string, dataDir: string,
 *   clusterId: string, java: string, startedAt: string, startedBy: 'cli' | 'tests' }} KafkaState
 * @typedef {{ pid: number, kind: 'apicurio', version: string, port: number, logFile: string, java: string,
 *   startedAt: string, startedBy: 'cli' | 'tests' }} RegistryState
 * @typedef {{ version: 1, root: string, bootstrap?: string, registryUrl?: string, kafka?: KafkaState,
 *   registry?: RegistryState, leases: number[] }} State
 */

/** @returns {State} */
function loadState() {
  const s = readJson(STATE_FILE);
  if (s && s.version === 1) return { leases: [], ...s };
  return { version: 1, root: ROOT, leases: [] };
}

/** @param {State} s */
function saveState(s) {
  const out = { ...s, root: ROOT };
  out.bootstrap = s.kafka ? `127.0.0.1:${s.kafka.port}` : undefined;
  out.registryUrl = s.registry ? `http://127.0.0.1:${s.registry.port}${CCOMPAT_PATH}` : undefined;
  if (!out.kafka && !out.registry) fs.rmSync(STATE_FILE, { force: true });
  else writeJsonAtomic(STATE_FILE, out);
}

// ---------------------------------------------------------------------------------------------------------
// Fetching (first run): jars into .cache/, through Maven and ~/.m2

/** @returns {{ version: string, libs: string }} */
function kafkaArtifacts() {
  const version = process.env.JOURNEYS_KAFKA_VERSION ?? pomProperty(KAFKA_POM, 'kafka.version');
  const dir = path.join(CACHE, `kafka-${version}`);
  return { version, libs: path.join(dir, 'libs') };
}

/** @returns {{ version: string, app: string }} */
function registryArtifacts() {
  const version = process.env.JOURNEYS_APICURIO_VERSION ?? pomProperty(APICURIO_POM, 'apicurio.version');
  return { version, app: path.join(CACHE, `apicurio-${version}`, 'app') };
}

/**
 * Makes sure `dir` holds a complete download for `key`; runs `fill(tmpDir)` otherwise, then renames.
 * @param {string} dir
 * @param {string} key
 * @param {(tmp: string) => Promise<void>} fill
 */
async function ensureCached(dir, key, fill) {
  const stamp = path.join(dir, '.complete');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === key) return;
  const tmp = `${dir}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
    fs.writeFileSync(path.join(tmp, '.complete'), `${key}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function fetchKafka() {
  const { version, libs } = kafkaArtifacts();
  const dir = path.dirname(libs);
  await ensureCached(dir, fingerprint(fs.readFileSync(KAFKA_POM, 'utf8'), version), async (tmp) => {
    say(`Fetching Apache Kafka ${version} from Maven Central (first run; kept in ${rel(dir)})`);
    await runMaven({
      mvn: findMaven(),
      what: `Kafka ${version}`,
      cwd: ROOT,
      logFile: path.join(INFRA, 'logs', 'maven-kafka.log'),
      args: ['-f', KAFKA_POM, `-Dkafka.version=${version}`, `${DEP_PLUGIN}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${path.join(tmp, 'libs')}`],
    });
    const jars = fs.readdirSync(path.join(tmp, 'libs'));
    for (const need of [`kafka_2.13-${version}.jar`, 'log4j-slf4j-impl-']) {
      if (!jars.some((j) => j.startsWith(need))) {
        throw new InfraError(`the Kafka download lacks ${need}*`, { hint: 'check infra/kafka/pom.xml (restore it from git), then run `npm run infra:up` again' });
      }
    }
  });
  return { version, libs };
}

async function fetchRegistry() {
  const { version, app } = registryArtifacts();
  const dir = path.dirname(app);
  await ensureCached(dir, fingerprint(fs.readFileSync(APICURIO_POM, 'utf8'), version), async (tmp) => {
    say(`Fetching Apicurio Registry ${version} from Maven Central (first run; kept in ${rel(dir)})`);
    await runMaven({
      mvn: findMaven(),
      what: `Apicurio Registry ${version}`,
      cwd: ROOT,
      logFile: path.join(INFRA, 'logs', 'maven-apicurio.log'),
      args: ['-f', APICURIO_POM, `-Dapicurio.version=${version}`, `${DEP_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${tmp}`],
    });
    const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('-all.tar.gz'));
    if (!tarball) throw new InfraError(`the Apicurio download has no *-all.tar.gz in ${tmp}`, { hint: 'check infra/apicurio/pom.xml (restore it from git), then run `npm run infra:up` again' });
    say(`  unpacking ${tarball}`);
    fs.mkdirSync(path.join(tmp, 'app'));
    const r = spawnSync('tar', ['-xzf', path.join(tmp, tarball), '-C', path.join(tmp, 'app')], { encoding: 'utf8' });
    if (r.status !== 0) throw new InfraError(`could not unpack ${tarball}: ${r.stderr || r.error?.message}`, { hint: 'make sure `tar` and gzip are installed and the disk has ~400 MB free, then run `npm run infra:up` again' });
    fs.rmSync(path.join(tmp, tarball));
  });
  return { version, app };
}

/**
 * How to start the unpacked registry: Apicurio 3.x is a Quarkus fast-jar (quarkus-run.jar) built for Java 21;
 * 2.x is a legacy runner jar that runs on Java 11+.
 * @param {string} app
 * @param {string} version
 */
function registryLaunch(app, version) {
  if (fs.existsSync(path.join(app, 'quarkus-run.jar'))) {
    return {
      jar: path.join(app, 'quarkus-run.jar'),
      minJava: 21,
      props: ['-Dquarkus.management.enabled=false', '-Dapicurio.ccompat.use-canonical-hash=true', '-Dapicurio.datasource.jdbc.initial-size=2', '-Dapicurio.datasource.jdbc.min-size=2'],
    };
  }
  const runner = fs.readdirSync(app).find((f) => f.endsWith('-runner.jar'));
  if (!runner) throw new InfraError(`no runnable jar in ${rel(app)} (Apicurio ${version})`, { hint: `delete ${rel(path.dirname(app))} and run \`npm run infra:up\` again` });
  return {
    jar: path.join(app, runner),
    minJava: 11,
    props: ['-Dregistry.ccompat.use-canonical-hash=true', '-Dquarkus.datasource.jdbc.initial-size=2', '-Dquarkus.datasource.jdbc.min-size=2'],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Starting and waiting

/**
 * Starts a detached java process with stdout+stderr appended to `logFile`.
 * @param {string} javaBin
 * @param {string[]} args
 * @param {string} logFile
 */
function spawnJava(javaBin, args, logFile) {
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(javaBin, args, { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (!child.pid) throw new InfraError(`could not start ${javaBin}`, { hint: 'check that Java runs: `java -version`' });
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Polls `ready()` until it answers true; fails when the process exits or the time is up, quoting its log.
 * @param {{ what: string, pid: number, logFile: string, logFrom: number, ready: () => Promise<boolean>, hint: string }} o
 */
async function waitReady({ what, pid, logFile, logFrom, ready, hint }) {
  const started = Date.now();
  // The last lines this process wrote (the log file may hold earlier runs too).
  const lastLines = () => {
    const lines = readFrom(logFile, logFrom).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return `last lines of ${rel(logFile)}:\n${lines.length ? lines.slice(-25).join('\n') : '(nothing written)'}`;
  };
  let nextNote = started + 5000;
  for (;;) {
    if (await ready()) return;
    if (!pidAlive(pid)) {
      throw new InfraError(`${what} did not start: its process (pid ${pid}) exited`, { hint, evidence: lastLines() });
    }
    if (Date.now() - started > START_TIMEOUT_MS) {
      await stopPid(pid, { graceMs: 5000 });
      throw new InfraError(`${what} did not answer within ${START_TIMEOUT_MS / 1000} s (stopped it)`, {
        hint: `${hint}\nOn a slow machine, raise JOURNEYS_INFRA_START_TIMEOUT_S.`,
        evidence: lastLines(),
      });
    }
    if (Date.now() >= nextNote) {
      say(`  still waiting for ${what} (${secondsSince(started)} s)`);
      nextNote += 5000;
    }
    await sleep(150);
  }
}

/**
 * Formats the data directory if needed and starts the broker; resolves once it serves clients.
 * @param {{ javaBin: string, libs: string, version: string, port: number, controllerPort: number, clusterId: string, freshData: boolean, spawned?: number[] }} o
 */
async function startKafka({ javaBin, libs, version, port, controllerPort, clusterId, freshData, spawned }) {
  const dataDir = path.join(KAFKA_DIR, 'data');
  const logFile = path.join(KAFKA_DIR, 'broker.log');
  const props = path.join(KAFKA_DIR, 'server.properties');
  const log4j = path.join(ROOT, 'infra', 'kafka', 'log4j2.properties');
  fs.mkdirSync(KAFKA_DIR, { recursive: true });
  if (freshData) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.writeFileSync(logFile, '');
  }
  const template = fs.readFileSync(path.join(ROOT, 'infra', 'kafka', 'server.properties'), 'utf8');
  const values = { KAFKA_PORT: String(port), CONTROLLER_PORT: String(controllerPort), DATA_DIR: dataDir };
  fs.writeFileSync(props, template.replace(/\$\{(\w+)\}/g, (_, k) => /** @type {Record<string, string>} */ (values)[k] ?? `\${${k}}`));

  const cp = `${libs}/*`;
  const jvm = [
    '-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`, `-Dkafka.logs.dir=${KAFKA_DIR}`,
  ];
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const r = spawnSync(javaBin, [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--ignore-formatted'], { encoding: 'utf8' });
    if (r.status !== 0) {
      const out = `${r.stdout}${r.stderr}`.trim().split('\n');
      const firstError = Math.max(0, out.findIndex((l) => /Exception|ERROR|Error:/.test(l)));
      throw new InfraError('could not format the Kafka storage directory (kafka.tools.StorageTool format)', {
        hint: `fix the broker settings in infra/kafka/server.properties (written to ${rel(props)}), or delete ${rel(dataDir)}; then run \`npm run infra:up\` again`,
        evidence: out.slice(firstError, firstError + 8).join('\n'),
      });
    }
  }
  const from = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const started = Date.now();
  say(`Starting Kafka ${version} (KRaft, broker+controller) on 127.0.0.1:${port}`);
  const pid = spawnJava(javaBin, [...jvm, marker('kafka'), '-cp', cp, 'kafka.Kafka', props], logFile);
  spawned?.push(pid);
  const hint = `read ${rel(logFile)}; \`npm run infra:down\` then \`npm run infra:up\` starts from an empty data directory`;
  try {
    await waitReady({
      what: 'the Kafka broker',
      pid,
      logFile,
      logFrom: from,
      hint,
      ready: async () => readFrom(logFile, from).includes('Kafka Server started') && (await portAnswers(port)),
    });
  } catch (err) {
    if (pidAlive(pid)) await stopPid(pid, { graceMs: 5000 });
    throw err;
  }
  const banner = /Kafka version: (\S+)/.exec(readFrom(logFile, from));
  const running = banner?.[1] ?? version;
  say(`  Kafka ${running} ready in ${secondsSince(started)} s (pid ${pid})`);
  return { pid, version: running, port, controllerPort, logFile: rel(logFile), dataDir: rel(dataDir), clusterId, java: javaBin, startedAt: new Date().toISOString() };
}

/**
 * Starts the registry; resolves once its Confluent-compatible API lists subjects.
 * @param {{ javaBin: string, jar: string, props: string[], version: string, port: number, spawned?: number[] }} o
 */
async function startRegistry({ javaBin, jar, props, version, port, spawned }) {
  const logFile = path.join(REGISTRY_DIR, 'registry.log');
  fs.mkdirSync(REGISTRY_DIR, { recursive: true });
  fs.writeFileSync(logFile, '');
  const started = Date.now();
  say(`Starting Apicurio Registry ${version} (in-memory) on 127.0.0.1:${port}`);
  const args = [
    '-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError',
    marker('registry'), '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${port}`, '-Dquarkus.http.access-log.enabled=false',
    ...props, '-jar', jar,
  ];
  const pid = spawnJava(javaBin, args, logFile);
  spawned?.push(pid);
  const url = `http://127.0.0.1:${port}${CCOMPAT_PATH}/subjects`;
  try {
    await waitReady({
      what: 'the schema registry',
      pid,
      logFile,
      logFrom: 0,
      hint: `read ${rel(logFile)}; then \`npm run infra:down\` and \`npm run infra:up\``,
      // The log line proves that this process (not another one on the same port) serves the API.
      ready: async () => readFrom(logFile, 0).includes(`Listening on: http://127.0.0.1:${port}`) && (await registryAnswers(url)),
    });
  } catch (err) {
    if (pidAlive(pid)) await stopPid(pid, { graceMs: 5000 });
    throw err;
  }
  say(`  Apicurio Registry ${version} ready in ${secondsSince(started)} s (pid ${pid})`);
  return { pid, kind: /** @type {const} */ ('apicurio'), version, port, logFile: rel(logFile), java: javaBin, startedAt: new Date().toISOString() };
}

/** @param {string} url */
async function registryAnswers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok && Array.isArray(await res.json());
  } catch {
    return false;
  }
}

/** A random Kafka cluster id: 16 bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function randomClusterId() {
  // As Kafka's own Uuid.randomUuid: never one starting with '-', which kafka-storage would read as an option
  // ("argument --cluster-id/-t: expected one argument"; 1 start in 64 failed so).
  for (;;) {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Commands

/**
 * @param {{ lease?: number, resultFile?: string }} o
 */
async function up({ lease, resultFile }) {
  const owner = lease ? 'tests' : 'cli';
  /** @type {string[]} */
  const started = [];
  /** @type {string[]} */
  const reused = [];
  const t0 = Date.now();
  /** @type {number[]} */
  const startedPids = [];
  const onSignal = () => {
    for (const pid of startedPids) if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
    fs.rmSync(LOCK_FILE, { force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const state = await withLock(LOCK_FILE, async () => {
    const s = loadState();
    const kafkaUp = Boolean(s.kafka && isOurProcess(s.kafka.pid, marker('kafka')));
    const registryUp = Boolean(s.registry && isOurProcess(s.registry.pid, marker('registry')));
    if (!kafkaUp) delete s.kafka;
    if (!registryUp) delete s.registry;
    // Running but not answering (hung, or killed and restarting): say so rather than hand out a dead address.
    if (s.kafka && !(await portAnswers(s.kafka.port))) {
      throw new InfraError(`the Kafka broker (pid ${s.kafka.pid}) runs but does not answer on 127.0.0.1:${s.kafka.port}`, { hint: '`npm run infra:down`, then `npm run infra:up`', evidence: `last lines of ${s.kafka.logFile}:\n${tail(path.resolve(ROOT, s.kafka.logFile), 15)}` });
    }
    if (s.registry && !(await registryAnswers(`http://127.0.0.1:${s.registry.port}${CCOMPAT_PATH}/subjects`))) {
      throw new InfraError(`the schema registry (pid ${s.registry.pid}) runs but does not answer on 127.0.0.1:${s.registry.port}`, { hint: '`npm run infra:down`, then `npm run infra:up`', evidence: `last lines of ${s.registry.logFile}:\n${tail(path.resolve(ROOT, s.registry.logFile), 15)}` });
    }
    // A CLI `up` takes ownership of what tests started: the user now stops it with infra:down.
    if (s.kafka && owner === 'cli') s.kafka.startedBy = 'cli';
    if (s.registry && owner === 'cli') s.registry.startedBy = 'cli';
    if (s.kafka) reused.push('kafka');
    if (s.registry) reused.push('registry');

    if (!s.kafka || !s.registry) {
      // Leftovers of a crashed run of this checkout (state lost): stop them before starting new ones.
      for (const role of /** @type {const} */ (['kafka', 'registry'])) {
        if (s[role]) continue;
        for (const pid of pidsWithMarker(marker(role))) {
          say(`  stopping a leftover ${role} process of this checkout (pid ${pid})`);
          await stopPid(pid);
        }
      }
      const kafkaJava = findJava(17, 'The local Kafka broker');
      const kafka = s.kafka ? undefined : await fetchKafka();
      const registry = s.registry ? undefined : await fetchRegistry();
      const launch = registry ? registryLaunch(registry.app, registry.version) : undefined;
      const registryJava = launch ? (launch.minJava <= kafkaJava.major ? kafkaJava : findJava(launch.minJava, `Apicurio Registry ${registry?.version}`)) : undefined;

      const taken = [s.kafka?.port, s.kafka?.controllerPort, s.registry?.port].filter((p) => p !== undefined);
      /** @param {string} envName @param {number} preferred @param {string} label */
      const pick = async (envName, preferred, label) => {
        const port = await choosePort({ envName, preferred, label, avoid: taken });
        taken.push(port);
        return port;
      };
      /**
       * Another checkout starting at the same moment can bind a port between our check and the JVM's bind:
       * then start again on other ports (unless they were pinned).
       * @template T
       * @param {string} what
       * @param {string[]} envNames
       * @param {(retry: boolean) => Promise<T>} attempt
       * @returns {Promise<T>}
       */
      const retryOnPortClash = async (what, envNames, attempt) => {
        for (let i = 1; ; i += 1) {
          try {
            return await attempt(i > 1);
          } catch (err) {
            const clash = err instanceof InfraError && /Address already in use|BindException|seems to be in use/.test(err.evidence ?? '');
            if (!clash || i >= 3 || envNames.some((n) => process.env[n])) throw err;
            say(`  a port of ${what} was taken while it started; trying other ports`);
          }
        }
      };
      // Ports chosen one after another (so two choices never get the same free port), then both start at once.
      const first = {
        kafka: kafka ? await pick('JOURNEYS_KAFKA_PORT', 19092, 'Kafka') : 0,
        controller: kafka ? await pick('JOURNEYS_KAFKA_CONTROLLER_PORT', 19093, 'Kafka controller') : 0,
        registry: registry ? await pick('JOURNEYS_REGISTRY_PORT', 18081, 'schema registry') : 0,
      };

      const jobs = [];
      if (kafka) {
        const envNames = ['JOURNEYS_KAFKA_PORT', 'JOURNEYS_KAFKA_CONTROLLER_PORT'];
        jobs.push(
          retryOnPortClash('the Kafka broker', envNames, async (retry) => {
            const port = retry ? await pick(envNames[0] ?? '', 0, 'Kafka') : first.kafka;
            const controllerPort = retry ? await pick(envNames[1] ?? '', 0, 'Kafka controller') : first.controller;
            return startKafka({ javaBin: kafkaJava.bin, libs: kafka.libs, version: kafka.version, port, controllerPort, clusterId: randomClusterId(), freshData: true, spawned: startedPids });
          }).then((k) => {
            s.kafka = { ...k, startedBy: owner };
            started.push('kafka');
          }),
        );
      }
      if (registry && launch && registryJava) {
        jobs.push(
          retryOnPortClash('the schema registry', ['JOURNEYS_REGISTRY_PORT'], async (retry) => {
            const port = retry ? await pick('JOURNEYS_REGISTRY_PORT', 0, 'schema registry') : first.registry;
            return startRegistry({ javaBin: registryJava.bin, jar: launch.jar, props: launch.props, version: registry.version, port, spawned: startedPids });
          }).then((r) => {
            s.registry = { ...r, startedBy: owner };
            started.push('registry');
          }),
        );
      }
      const results = await Promise.allSettled(jobs);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) {
        // Leave nothing half-started behind: stop what this command started, keep what it reused.
        for (const role of /** @type {const} */ (['kafka', 'registry'])) {
          if (started.includes(role) && s[role]) {
            await stopPid(/** @type {KafkaState | RegistryState} */ (s[role]).pid);
            delete s[role];
          }
        }
        saveState(s);
        throw failed.reason;
      }
    }
    if (lease) s.leases = [...new Set([...s.leases.filter(pidAlive), lease])];
    saveState(s);
    return loadState();
  });
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);

  const k = /** @type {KafkaState} */ (state.kafka);
  const r = /** @type {RegistryState} */ (state.registry);
  say('');
  say(`Kafka ${k.version} broker:  ${state.bootstrap}${reused.includes('kafka') ? '   (already running)' : ''}`);
  say(`Schema registry (Apicurio ${r.version}, Confluent API):  ${state.registryUrl}${reused.includes('registry') ? '   (already running)' : ''}`);
  say(`State: ${rel(STATE_FILE)}   Logs: ${k.logFile}, ${r.logFile}   Ready in ${secondsSince(t0)} s`);
  if (!lease) say('Stop with: npm run infra:down');
  if (resultFile) writeJsonAtomic(resultFile, { started, reused, state });
}

/** @param {{ lease: number }} o */
async function release({ lease }) {
  await withLock(LOCK_FILE, async () => {
    const s = loadState();
    s.leases = s.leases.filter((p) => p !== lease && pidAlive(p));
    if (s.leases.length > 0) {
      saveState(s);
      say(`infra: left running for ${s.leases.length} other test run(s) (pid ${s.leases.join(', ')})`);
      return;
    }
    /** @type {string[]} */
    const stopped = [];
    for (const role of /** @type {const} */ (['kafka', 'registry'])) {
      const c = s[role];
      if (c && c.startedBy === 'tests') {
        if (isOurProcess(c.pid, marker(role))) await stopPid(c.pid);
        delete s[role];
        stopped.push(`${role} (pid ${c.pid})`);
      }
    }
    if (!s.kafka) fs.rmSync(path.join(KAFKA_DIR, 'data'), { recursive: true, force: true });
    saveState(s);
    if (stopped.length) say(`infra: stopped ${stopped.join(', ')}, which this test run started`);
  });
}

async function down() {
  await withLock(LOCK_FILE, async () => {
    const s = loadState();
    const users = s.leases.filter(pidAlive);
    if (users.length) say(`infra: note: test runs (pid ${users.join(', ')}) were still using it`);
    /** @type {string[]} */
    const stopped = [];
    for (const role of /** @type {const} */ (['kafka', 'registry'])) {
      const pids = new Set(pidsWithMarker(marker(role)));
      const c = s[role];
      if (c && isOurProcess(c.pid, marker(role))) pids.add(c.pid);
      for (const pid of pids) {
        await stopPid(pid);
        stopped.push(`${role === 'kafka' ? 'Kafka broker' : 'schema registry'} (pid ${pid})`);
      }
    }
    fs.rmSync(path.join(KAFKA_DIR, 'data'), { recursive: true, force: true });
    fs.rmSync(STATE_FILE, { force: true });
    say(stopped.length ? `infra: stopped ${stopped.join(', ')}` : 'infra: nothing was running');
  });
}

async function status() {
  const s = loadState();
  const kafkaUp = Boolean(s.kafka && isOurProcess(s.kafka.pid, marker('kafka')) && (await portAnswers(s.kafka.port)));
  const regUp = Boolean(s.registry && isOurProcess(s.registry.pid, marker('registry')) && (await registryAnswers(`http://127.0.0.1:${s.registry.port}${CCOMPAT_PATH}/subjects`)));
  say(`Kafka broker:    ${kafkaUp && s.kafka ? `up, ${s.bootstrap} (Kafka ${s.kafka.version}, pid ${s.kafka.pid}, started by ${s.kafka.startedBy})` : 'down'}`);
  say(`Schema registry: ${regUp && s.registry ? `up, ${s.registryUrl} (Apicurio ${s.registry.version}, pid ${s.registry.pid}, started by ${s.registry.startedBy})` : 'down'}`);
  if (s.leases.length) say(`Test runs using it: pid ${s.leases.join(', ')}`);
  return kafkaUp && regUp ? 0 : 3;
}

/** @param {{ hard: boolean }} o */
async function restartBroker({ hard }) {
  await withLock(LOCK_FILE, async () => {
    const s = loadState();
    const k = s.kafka;
    if (!k) throw new InfraError('no local Kafka broker to restart', { hint: 'start one with `npm run infra:up`' });
    if (isOurProcess(k.pid, marker('kafka'))) {
      say(`Stopping the Kafka broker (pid ${k.pid}, ${hard ? 'SIGKILL' : 'SIGTERM'})`);
      await stopPid(k.pid, { hard });
    }
    const java = findJava(17, 'The local Kafka broker');
    const { libs, version } = kafkaArtifacts();
    const next = await startKafka({ javaBin: java.bin, libs, version, port: k.port, controllerPort: k.controllerPort, clusterId: k.clusterId, freshData: false });
    s.kafka = { ...next, startedBy: k.startedBy };
    saveState(s);
  });
}

/** @param {string[]} argv */
async function main(argv) {
  const [cmd, ...rest] = argv;
  /** @param {string} name */
  const flag = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const leaseArg = flag('--lease');
  const lease = leaseArg ? Number(leaseArg) : undefined;
  switch (cmd) {
    case 'up':
      await up({ lease, resultFile: flag('--result') });
      return 0;
    case 'release':
      if (!lease) throw new InfraError('release needs --lease <pid>', { hint: 'node infra/infra.mjs release --lease <pid>' });
      await release({ lease });
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status':
      return status();
    case 'restart-broker':
      await restartBroker({ hard: rest.includes('--kill') });
      return 0;
    default:
      process.stderr.write('usage: node infra/infra.mjs up | down | status | restart-broker [--kill]\n');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof InfraError) process.stderr.write(`\n${err.format()}\n`);
    else process.stderr.write(`\ninfra: ${err instanceof Error ? (err.stack ?? err.message) : String(err)} (JRN_ERR_INFRA)\n`);
    process.exitCode = 1;
  },
);
