// @ts-check
// Building blocks for infra/infra.mjs: errors that say what to do, Java and Maven detection, Maven downloads
// with progress, ports, processes (by PID, checked against the command line we gave them) and a lock.
// Plain Node ESM on purpose: it runs on a fresh clone right after `npm ci`, before or without a build.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Same code as ErrorCodes.INFRA in src/errors/index.ts (this file cannot import the TypeScript sources). */
export const INFRA_ERROR_CODE = 'JRN_ERR_INFRA';

/** An infrastructure failure: what went wrong, what to do about it, and optional evidence (log lines). */
export class InfraError extends Error {
  /**
   * @param {string} message
   * @param {{ hint?: string, evidence?: string }} [options]
   */
  constructor(message, options = {}) {
    super(message);
    this.name = 'InfraError';
    this.code = INFRA_ERROR_CODE;
    this.hint = options.hint;
    this.evidence = options.evidence;
  }

  format() {
    const lines = [`infra: ${this.message} (${this.code})`];
    if (this.hint) lines.push(...this.hint.split('\n').map((l, i) => (i === 0 ? `  what to do: ${l}` : `    ${l}`)));
    if (this.evidence) lines.push(...this.evidence.split('\n').map((l) => `  | ${l}`));
    return lines.join('\n');
  }
}

export const isTTY = Boolean(process.stdout.isTTY);

/** @param {string} msg */
export function say(msg) {
  process.stdout.write(`${msg}\n`);
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {number} startMs */
export const secondsSince = (startMs) => ((Date.now() - startMs) / 1000).toFixed(1);

// ---------------------------------------------------------------------------------------------------------
// Java and Maven

/**
 * The major version of a `java` binary, or undefined when it cannot run.
 * @param {string} javaBin
 */
export function javaMajor(javaBin) {
  const r = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first;
}

const JAVA_INSTALL_HINT = [
  'install a JDK 17 or newer, then run the command again:',
  '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y openjdk-17-jdk-headless',
  '  Fedora/RHEL:   sudo dnf install -y java-17-openjdk-headless',
  '  macOS:         brew install openjdk@17',
  'or point JAVA_HOME at an installed JDK 17+.',
].join('\n');

/**
 * Finds a Java runtime of at least `min`: $JAVA_HOME, then `java` on the PATH, then the JDKs in /usr/lib/jvm.
 * @param {number} min
 * @param {string} purpose
 * @returns {{ bin: string, major: number }}
 */
export function findJava(min, purpose) {
  /** @type {string[]} */
  const candidates = [];
  if (process.env.JAVA_HOME) candidates.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  candidates.push('java');
  try {
    for (const d of fs.readdirSync('/usr/lib/jvm').sort().reverse()) candidates.push(path.join('/usr/lib/jvm', d, 'bin', 'java'));
  } catch {
    // no /usr/lib/jvm (macOS, ...)
  }
  /** @type {string[]} */
  const seen = [];
  for (const bin of candidates) {
    const major = javaMajor(bin);
    if (major === undefined) continue;
    if (major >= min) return { bin, major };
    seen.push(`${bin} is Java ${major}`);
  }
  throw new InfraError(`${purpose} needs Java ${min} or newer, and none was found${seen.length ? ` (${seen.join('; ')})` : ' (no `java` on the PATH, JAVA_HOME unset)'}`, {
    hint: min <= 17 ? JAVA_INSTALL_HINT : `install a JDK ${min}+ (e.g. Eclipse Temurin ${min}) and set JAVA_HOME to it, or use the default pinned registry version in infra/apicurio/pom.xml, which runs on Java 17`,
  });
}

/** @returns {string} the mvn binary */
export function findMaven() {
  const bin = process.env.MVN ?? 'mvn';
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', env: { ...process.env, MAVEN_OPTS: process.env.MAVEN_OPTS ?? '' } });
  if (r.error || r.status !== 0) {
    throw new InfraError('Maven (`mvn`) is needed to fetch Kafka and the schema registry from Maven Central the first time, and it was not found', {
      hint: [
        'install Maven 3.8 or newer, then run the command again:',
        '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y maven',
        '  Fedora/RHEL:   sudo dnf install -y maven',
        '  macOS:         brew install maven',
      ].join('\n'),
    });
  }
  return bin;
}

// ---------------------------------------------------------------------------------------------------------
// Maven downloads, with progress

/**
 * Reads `<name>...</name>` from a POM's <properties>.
 * @param {string} pomFile
 * @param {string} property
 */
export function pomProperty(pomFile, property) {
  const m = new RegExp(`<${property.replace(/\./g, '\\.')}>([^<]+)</`).exec(fs.readFileSync(pomFile, 'utf8'));
  if (!m?.[1]) throw new InfraError(`${pomFile} has no <${property}> property`, { hint: 'restore the file from git' });
  return m[1].trim();
}

/** @param {...string} parts */
export function fingerprint(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** @param {number} bytes */
function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** @param {string} s  e.g. "12 kB", "4.1 MB" */
function parseSize(s) {
  const m = /([\d.]+)\s*(B|kB|KB|MB|GB)/.exec(s);
  if (!m) return 0;
  const mult = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[/** @type {'B'|'kB'|'KB'|'MB'|'GB'} */ (m[2])];
  return Number(m[1]) * mult;
}

/**
 * Runs Maven, showing downloads as they happen (a progress line for big files) and keeping the full
 * output in `logFile`. Throws an InfraError naming Maven's own error lines when it fails.
 * @param {{ mvn: string, args: string[], what: string, logFile: string, cwd: string }} o
 */
export async function runMaven({ mvn, args, what, logFile, cwd }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.createWriteStream(logFile);
  const started = Date.now();
  // Not --batch-mode: Maven then reports per-file progress ("Progress (1): 12/142 MB"), which we condense.
  // -U retries artifacts whose failed download Maven cached in ~/.m2; colours off for the log.
  const child = spawn(mvn, ['-U', '-Dstyle.color=never', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let files = 0;
  let bytes = 0;
  let pending = '';
  let lastProgressAt = 0;
  /** @type {string[]} */
  const errors = [];
  /** @param {string} segment */
  const onSegment = (segment) => {
    const line = segment.trim();
    if (!line) return;
    const progress = /^Progress \(\d+\): (.+)$/.exec(line);
    if (progress) {
      const now = Date.now();
      // Only big files are worth a progress line: "<done>/<total> MB".
      const part = /([\d.]+)\/([\d.]+) MB/.exec(progress[1] ?? '');
      if (part && now - lastProgressAt > (isTTY ? 250 : 3000)) {
        lastProgressAt = now;
        const pct = Math.floor((100 * Number(part[1])) / Number(part[2]));
        const text = `  downloading ${part[1]}/${part[2]} MB (${pct}%)`;
        if (isTTY) process.stdout.write(`\r${text}   `);
        else say(text);
      }
      return;
    }
    log.write(`${line}\n`);
    const done = /^(?:\[INFO\] )?Downloaded from \S+: (\S+) \(([^)]*?)(?: at [^)]*)?\)/.exec(line);
    if (done) {
      files += 1;
      const size = parseSize(done[2] ?? '');
      bytes += size;
      const name = path.basename(done[1] ?? '');
      // One line per big file; the many small ones (POMs, Maven's own plugin jars) only show in the count.
      if (size >= 1e6) {
        if (isTTY) process.stdout.write('\r\x1b[K');
        say(`  fetched ${name} (${done[2]})`);
      } else if (isTTY) {
        process.stdout.write(`\r\x1b[K  fetched ${files} files (${mb(bytes)})`);
      }
      return;
    }
    if (line.startsWith('[ERROR]')) errors.push(line);
  };
  /** @param {Buffer} chunk */
  const onData = (chunk) => {
    pending += chunk.toString('utf8');
    const parts = pending.split(/[\r\n]/);
    pending = parts.pop() ?? '';
    for (const p of parts) onSegment(p);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c ?? -1));
  });
  onSegment(pending);
  await new Promise((resolve) => log.end(resolve));
  if (isTTY) process.stdout.write('\r\x1b[K');
  if (code !== 0) {
    const shown = errors.filter((l) => !/^\[ERROR\]\s*(-> \[Help|$|To see the full|Re-run Maven|For more information|\[Help)/.test(l)).slice(0, 6);
    throw new InfraError(`could not download ${what} from Maven Central (mvn exited with ${code})`, {
      hint: [
        'check that this machine reaches https://repo.maven.apache.org (or the mirror/proxy in ~/.m2/settings.xml),',
        'then run `npm run infra:up` again; partial downloads are not kept.',
        `Full Maven output: ${path.relative(process.cwd(), logFile) || logFile}`,
      ].join('\n'),
      evidence: shown.join('\n') || undefined,
    });
  }
  if (files > 0) say(`  ${what}: fetched ${files} files (${mb(bytes)}) in ${secondsSince(started)} s`);
  else say(`  ${what}: copied from the local Maven repository (~/.m2) in ${secondsSince(started)} s`);
}

// ---------------------------------------------------------------------------------------------------------
// Ports

/**
 * True when nothing listens on 127.0.0.1:port (we can bind it ourselves).
 * @param {number} port
 */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * True when something accepts TCP connections on 127.0.0.1:port.
 * @param {number} port
 */
export function portAnswers(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = (/** @type {boolean} */ ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Chooses a port: the one an environment variable pins (which must be free), else the preferred default
 * when free, else one the OS picks (with a note saying so). `preferred` 0: no preference.
 * @param {{ envName: string, preferred: number, label: string, avoid: number[] }} o
 */
export async function choosePort({ envName, preferred, label, avoid }) {
  const pinned = process.env[envName];
  if (pinned) {
    const port = Number(pinned);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new InfraError(`${envName}=${pinned} is not a port number`, { hint: `set ${envName} to a free TCP port (1-65535), or unset it to let infra:up choose` });
    }
    if (!(await portIsFree(port)) || avoid.includes(port)) {
      throw new InfraError(`port ${port} (${label}, from ${envName}) is already in use on 127.0.0.1`, {
        hint: `stop whatever listens there (see \`ss -ltnp 'sport = :${port}'\`), or set ${envName} to another free port, or unset it to let infra:up choose`,
      });
    }
    return port;
  }
  if (preferred > 0 && !avoid.includes(preferred) && (await portIsFree(preferred))) return preferred;
  for (;;) {
    const port = await freePort();
    if (!avoid.includes(port)) {
      if (preferred > 0) say(`  note: port ${preferred} (${label}) is in use on 127.0.0.1, using ${port} instead (pin one with ${envName}=<port>)`);
      return port;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Processes

/** @param {number} pid */
export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/**
 * True when `pid` is alive and is the process we started with `marker` on its command line (guards against
 * PID reuse). Where /proc does not exist, liveness alone.
 * @param {number | undefined} pid
 * @param {string} marker
 */
export function isOurProcess(pid, marker) {
  if (!pid || !pidAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/**
 * PIDs of live processes whose command line carries `marker` (Linux only; [] elsewhere).
 * @param {string} marker
 */
export function pidsWithMarker(marker) {
  /** @type {number[]} */
  const pids = [];
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(marker)) pids.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Stops one process: SIGTERM (or SIGKILL), then waits for it to exit; SIGKILL after `graceMs`.
 * @param {number} pid
 * @param {{ graceMs?: number, hard?: boolean }} [o]
 */
export async function stopPid(pid, { graceMs = 30000, hard = false } = {}) {
  try {
    process.kill(pid, hard ? 'SIGKILL' : 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && !isZombie(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      await sleep(200);
      if (!pidAlive(pid)) return;
    }
    await sleep(100);
  }
}

/** @param {number} pid */
function isZombie(pid) {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The last `n` lines of a file, for error messages.
 * @param {string} file
 * @param {number} n
 */
export function tail(file, n) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      return lines.slice(-n).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '(no log)';
  }
}

/**
 * Text appended to a file since byte `from`.
 * @param {string} file
 * @param {number} from
 */
export function readFrom(file, from) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= from) return '';
      const buf = Buffer.alloc(size - from);
      fs.readSync(fd, buf, 0, buf.length, from);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Files

/**
 * Writes JSON atomically (temp file + rename), so readers never see half a file.
 * @param {string} file
 * @param {unknown} value
 */
export function writeJsonAtomic(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/**
 * @param {string} file
 * @returns {any}
 */
export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` holding an exclusive lock file (one infra command at a time per checkout). A lock left by a
 * dead process is taken over.
 * @template T
 * @param {string} lockFile
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withLock(lockFile, fn) {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockFile, 'utf8').trim() || '0');
      if (!holder || !pidAlive(holder)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (!announced) {
        say(`  waiting for another infra command (pid ${holder}) to finish...`);
        announced = true;
      }
      if (Date.now() - started > 15 * 60 * 1000) {
        throw new InfraError(`another infra command (pid ${holder}) has held ${lockFile} for 15 minutes`, { hint: `wait for it, or stop it (kill ${holder}) and run the command again` });
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}
