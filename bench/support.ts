// Helpers of `npm run bench:processor` (bench/processor.ts): the infra (taken and released like a test run
// does, so it is left as it was found), child processes with their RSS sampled from /proc, consumer-group
// lag, producing a workload to the inputs, percentiles, the machine and its load.
// BENCH_CHILD_OUTPUT=<prefix> also writes every line a child prints to <prefix>.<pid> (to read a child's
// `--node-args=--trace-gc` output, say).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Message, Producer } from 'kafkajs';
import { brokerList, findInfraState, readInfraState, type InfraState } from '../src/kafka/infra-state';

/** The checkout: dist/bench/bench/ is three levels below it. */
export const ROOT = resolve(__dirname, '..', '..', '..');

// ---- infra -------------------------------------------------------------------------------------------

export interface Infra {
  state: InfraState;
  brokers: string[];
  /** What `infra.mjs up` started for this run (stopped again by release, unless another run uses it). */
  started: string[];
  release(): Promise<void>;
}

function runInfra(args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(ROOT, 'infra', 'infra.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', rej);
    child.once('close', (code, signal) => (code === 0 ? res() : rej(new Error(`node infra/infra.mjs ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))));
  });
}

/**
 * The broker and registry to use: KAFKA_BOOTSTRAP + SCHEMA_REGISTRY_URL as they are, else `node infra/infra.mjs
 * up --lease <pid>` (reuses what runs, starts what does not). `release()` gives the lease back: what this run
 * started is stopped unless a test run uses it meanwhile; what `npm run infra:up` started stays up.
 */
export async function acquireInfra(): Promise<Infra> {
  const found = findInfraState();
  if (found?.source === 'env') return { state: found, brokers: brokerList(found), started: [], release: () => Promise.resolve() };
  const resultFile = join(tmpdir(), `journeys-bench-infra-${process.pid}.json`);
  const lease = String(process.pid);
  await runInfra(['up', '--lease', lease, '--result', resultFile]);
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await runInfra(['release', '--lease', lease]);
  };
  try {
    const result = existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as { started?: string[] }) : {};
    const state = readInfraState();
    return { state, brokers: brokerList(state), started: result.started ?? [], release };
  } catch (err) {
    await release();
    throw err;
  } finally {
    rmSync(resultFile, { force: true });
  }
}

// ---- child processes ---------------------------------------------------------------------------------

export interface LogLine {
  msg?: string;
  time?: string;
  partition?: number;
  [key: string]: unknown;
}

/** A node child process, its JSON log lines (stderr), and its RSS sampled every `sampleMs`. */
export class Child {
  readonly proc: ChildProcess;
  readonly startedAt = performance.now();
  readonly startedWallMs = Date.now();
  readonly exited: Promise<number | null>;
  readonly logs: LogLine[] = [];
  private tail = '';
  private rest = '';
  private listeners: ((l: LogLine) => void)[] = [];
  private sampler: NodeJS.Timeout;
  /** Largest VmRSS sampled, and the last one, in bytes. */
  maxRss = 0;
  lastRss = 0;
  /** VmHWM (the kernel's peak RSS) as last read. */
  hwm = 0;
  /**
   * Largest RssAnon sampled: the process's own memory (V8 heap, malloc: LevelDB's caches and memtables), without
   * the file pages it maps (RssFile: LevelDB's memory-mapped tables, code), which the kernel drops when short.
   */
  maxAnonRss = 0;
  /** RssFile at the last sample. */
  lastFileRss = 0;

  constructor(args: string[], env: NodeJS.ProcessEnv, sampleMs = 200) {
    this.proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((res) => this.proc.once('exit', (code) => res(code)));
    const onData = (d: Buffer): void => {
      const text = this.rest + d.toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    };
    this.proc.stdout?.on('data', onData);
    this.proc.stderr?.on('data', onData);
    this.sampler = setInterval(() => this.sample(), sampleMs);
    this.sampler.unref();
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  private onLine(line: string): void {
    if (process.env.BENCH_CHILD_OUTPUT) appendFileSync(`${process.env.BENCH_CHILD_OUTPUT}.${this.pid}`, line + '\n');
    this.tail = (this.tail + line + '\n').slice(-20_000);
    if (!line.startsWith('{')) return;
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    this.logs.push(parsed);
    for (const l of this.listeners) l(parsed);
  }

  /** The last lines of its output (for error messages). */
  output(): string {
    return this.tail;
  }

  /** Reads VmRSS and VmHWM of the child from /proc. */
  sample(): void {
    const s = procStatus(this.pid);
    if (s === null) return;
    this.lastRss = s.rss;
    this.lastFileRss = s.file;
    if (s.anon > this.maxAnonRss) this.maxAnonRss = s.anon;
    if (s.rss > this.maxRss) this.maxRss = s.rss;
    if (s.hwm > this.hwm) this.hwm = s.hwm;
  }

  /** Resolves with the first log line (already seen or to come) for which `pred` holds. */
  waitLog(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}; output:\n${this.output()}`)), timeoutMs);
      const l = (line: LogLine): void => {
        if (!pred(line)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((x) => x !== l);
        res(line);
      };
      this.listeners.push(l);
      void this.exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`exited (${code}) while waiting for ${what}; output:\n${this.output()}`));
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 60_000): Promise<number | null> {
    this.sample();
    clearInterval(this.sampler);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export function procStatus(pid: number): { rss: number; hwm: number; anon: number; file: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m === null ? 0 : Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds all processors of the machine have been busy (not idle, not waiting on I/O), from /proc/stat. */
export function systemBusySeconds(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const f = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / 100;
}

/** CPU seconds of this process. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// ---- Kafka -------------------------------------------------------------------------------------------

/** Input records of `topics` not yet committed by `group`. */
export async function groupLag(admin: Admin, group: string, topics: string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId: group, topics });
  let lag = 0;
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const c = committed.find((x) => x.topic === topic)?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      lag += Number(end.high) - Math.max(Number(c), Number(end.low));
    }
  }
  return lag;
}

export interface CatchUp {
  /** From `since` until lag 0. */
  seconds: number;
  /** From the first commit seen (lag below the total) until lag 0: the steady part, without start-up. */
  steadySeconds: number;
  startupSeconds: number;
}

/** Polls the group's lag every `pollMs` until 0. `since` is a performance.now() instant. */
export async function waitCaughtUp(
  admin: Admin, group: string, topics: string[], total: number, since: number, child: Child | null,
  onPoll: (lag: number) => void = () => undefined, pollMs = 200, timeoutMs = 30 * 60_000,
): Promise<CatchUp> {
  let firstCommit: number | null = null;
  let lastReport = performance.now();
  for (;;) {
    let lag: number;
    try {
      lag = await groupLag(admin, group, topics);
    } catch {
      await sleep(pollMs);
      continue;
    }
    const now = performance.now();
    onPoll(lag);
    if (firstCommit === null && lag < total) firstCommit = now;
    if (lag === 0) {
      const first = firstCommit ?? now;
      return { seconds: (now - since) / 1000, steadySeconds: (now - first) / 1000, startupSeconds: (first - since) / 1000 };
    }
    if (child !== null && (child.proc.exitCode !== null || child.proc.signalCode !== null)) throw new Error(`the process under test exited (${child.proc.exitCode ?? child.proc.signalCode}); output:\n${child.output()}`);
    if (now - since > timeoutMs) throw new Error(`lag still ${lag} after ${timeoutMs / 1000} s`);
    if (now - lastReport > 10_000) {
      lastReport = now;
      progress(`  lag ${lag.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${((now - since) / 1000).toFixed(0)} s)`);
    }
    await sleep(pollMs);
  }
}

export interface InputRecord {
  /** identify → the traits topic, the rest → the events topic. */
  traits: boolean;
  key: string;
  value: string;
}

/**
 * Produces records to one or more (events, traits) topic pairs, the same records to each, keyed (the default
 * partitioner, as the processor's inputs expect), in chunks with a few requests in flight.
 */
export async function produceInputs(producer: Producer, pairs: { events: string; traits: string }[], records: Iterable<InputRecord>, chunk = 4000, inFlight = 4): Promise<number> {
  const pending = new Set<Promise<unknown>>();
  let n = 0;
  let events: Message[] = [];
  let traits: Message[] = [];
  const flush = async (): Promise<void> => {
    const topicMessages = pairs.flatMap((p) => [
      { topic: p.events, messages: events },
      { topic: p.traits, messages: traits },
    ]).filter((t) => t.messages.length > 0);
    events = [];
    traits = [];
    if (topicMessages.length === 0) return;
    const p = producer.sendBatch({ topicMessages });
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    if (pending.size >= inFlight) await Promise.race(pending);
  };
  for (const r of records) {
    (r.traits ? traits : events).push({ key: r.key, value: r.value });
    n++;
    if (events.length + traits.length >= chunk) await flush();
  }
  await flush();
  await Promise.all(pending);
  return n;
}

// ---- numbers, machine, output ------------------------------------------------------------------------

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

export function mb(bytes: number): number {
  return Math.round((bytes / (1 << 20)) * 10) / 10;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function load(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [round(a ?? 0, 2), round(b ?? 0, 2), round(c ?? 0, 2)];
}

export function machine(): { cpu: string; cores: number; memoryGB: number; node: string; platform: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` };
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
