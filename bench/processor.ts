// `npm run bench:processor`: the stream processor (`journeys process`) against a real broker, side by side
// with the least an exactly-once pass-through costs on the same broker (bench/passthrough.ts). One run:
//
//   1. throughput: the same N messages (bench/workload.ts, JSON, keyed by userId, identify → traits, the rest
//      → events, 4 partitions) pre-produced to two fresh topic sets; after a warm-up of the broker (the
//      pass-through over 20k of them on a third set, not measured), the pass-through, then the
//      processor (event clock, the ten journeys of bench/journeys.ts), each timed from its start until its
//      group has committed everything (lag 0);
//   2. latency: a producer at a fixed rate (5k events/s) of `Ping` events whose messageId names their
//      scheduled send time, a read_committed consumer on the output; latency = first output record with that
//      messageId (the processor: transition `cause.messageId`) − scheduled send time. The processor runs on
//      the wall clock with an event-entry journey keyed per event whose first step is a send. The driver's own
//      share is reported too: how late each message was handed to its producer, and its acknowledgement time;
//   3. memory: peak RSS (VmHWM) of the processor process over a 10k-user workload and over 1M distinct users
//      (one message each);
//   4. restore: after the 1M-user run, the processor stopped, its state dir deleted, started again: users/s
//      restored from the changelog (its `state restored` log lines); once right away (the changelog as
//      written), once more after the broker's log cleaner has compacted it (as a restore finds it in production).
//
// Both the processor and the pass-through run as child processes: the processor is the `journeys` CLI
// compiled with the bench (bench/processor-cli.ts), so the code measured is this checkout's source. The
// infra is taken like a test run takes it (`node infra/infra.mjs up --lease`): started when not running and
// stopped again at the end. The topics and groups made here are deleted at the end.
//
// Prints a Markdown table and writes bench/results/processor.json (machine, load averages). Options:
//   --only throughput,latency,memory,restore   (default: all)   --messages N --users N (throughput workload)
//   --rate N --latency-seconds N --warmup-seconds N   --small-users N --small-messages N --large-users N
//   (the memory phase: small-users users sending small-messages messages, default as many as large-users, so
//   that both runs process the same number of messages and differ only in the users they see)
//   --journeys N (run only the first N of the ten journeys, by file name: what the processor costs per journey)
//   --partitions N --max-batch N --profile (CPU profile of the processor's throughput run, hot spots printed)
//   --node-args='...' (extra node flags for the processor processes), --baseline-args='...' (of the pass-through),
//   --processor-args='...' (extra `journeys process` flags, e.g. --cached-users 5000)
//   --quiet-cores X --quiet-wait S (before each phase, wait up to S seconds, default 0, until the other processes
//   of the machine use less than X cores, default 0.25, over 5 s; what they used is in the results either way)
//   --keep (leave temp files and topics)   --no-write
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import { CHANGELOG_MIN_COMPACTION_LAG_MS, createTopics } from '../src/kafka/admin-topics';
import { topicNames, type TopicNames } from '../src/kafka/topics';
import { formatSummary, summarizeProfile, type ProfileSummary } from './cpuprofile';
import { BENCH_AUDIENCES, BENCH_DESTINATIONS, BENCH_JOURNEYS } from './journeys';
import {
  acquireInfra, Child, fmt, load, machine, mb, ownCpuSeconds, percentile, procCpuSeconds, produceInputs, progress, ROOT, round, systemBusySeconds, waitCaughtUp,
  type Infra, type InputRecord,
} from './support';
import { writeWorkload } from './workload';

const RESULTS = join(ROOT, 'bench', 'results', 'processor.json');
const CLI = join(ROOT, 'dist', 'bench', 'bench', 'processor-cli.js');
const PASSTHROUGH = join(ROOT, 'dist', 'bench', 'bench', 'passthrough.js');
const WORKLOAD_START = Date.UTC(2026, 0, 5);
const CHANGELOG_SEGMENT_BYTES = 16 * 1024 * 1024;
const DAY = 86_400_000;

const LATENCY_DESTINATIONS = `destinations:
  - { id: email, type: webhook, url: 'https://email.example.com/hooks', format: segment-track }
`;
/** A transition for every event: a new instance per ping_id, whose first step is a send. */
const LATENCY_JOURNEY = `journey: bench-latency
entry:
  event: Ping
  key: ping_id
steps:
  - id: pong
    send: { to: [email], event: Pong }
`;

type Phase = 'throughput' | 'latency' | 'memory' | 'restore';

interface Options {
  only: Set<Phase>;
  partitions: number;
  messages: number;
  users: number;
  rate: number;
  latencySeconds: number;
  warmupSeconds: number;
  smallUsers: number;
  smallMessages: number;
  largeUsers: number;
  maxBatch: number;
  /** How many of the ten journeys the throughput and memory phases run (the first, in file-name order). */
  journeys: number;
  profile: boolean;
  /** Extra node flags for every processor process (e.g. --require a probe, --max-old-space-size). */
  nodeArgs: string[];
  /** Extra arguments of the pass-through (e.g. --initial-retry-ms 20). */
  baselineArgs: string[];
  /** Extra arguments of `journeys process` (e.g. --cached-users 5000). */
  processorArgs: string[];
  quietCores: number;
  quietWait: number;
  keep: boolean;
  write: boolean;
}

interface TopicSet {
  group: string;
  topics: TopicNames;
}

interface RunResult {
  messages: number;
  seconds: number;
  steadySeconds: number;
  startupSeconds: number;
  eventsPerSecond: number;
  /** Over steadySeconds; null when the run was too short to tell (under a second between first commit and end). */
  steadyEventsPerSecond: number | null;
  cpuSeconds: number | null;
  brokerCpuSeconds: number | null;
  /**
   * CPU seconds used meanwhile by everything else on the machine (all busy CPU time less the process under
   * test, the broker and this driver): how much other work competed with the run.
   */
  otherCpuSeconds: number | null;
  peakRssMB: number;
  /** Peak RssAnon: the process's own memory, without the file pages it maps (LevelDB's tables, code). */
  peakAnonRssMB: number;
  /** RssFile once caught up. */
  fileRssMB: number;
  /** RSS of the process as the committed input grew: [records committed, RSS MB] at the milestones passed. */
  rssByProgress: [number, number][];
  /** From the start until every partition was ready (its `partition ready` log line; null: not logged). */
  readySeconds: number | null;
  /** V8 heap in use and external memory (Buffers, LevelDB not included) once caught up, from its /metrics. */
  heapUsedMB: number | null;
  externalMB: number | null;
  load: [number, number, number];
}

interface LatencyResult {
  rate: number;
  seconds: number;
  sent: number;
  measured: number;
  missing: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  achievedRate: number;
  cpuSeconds: number | null;
  brokerCpuSeconds: number | null;
  otherCpuSeconds: number | null;
  load: [number, number, number];
  /**
   * The driver's part, for reading the two ends' figures: how late after its scheduled time each measured message
   * was handed to the producer (the driver's own event loop), and how long the broker took to acknowledge it.
   */
  driver: { sendLateP50Ms: number; sendLateP99Ms: number; ackP50Ms: number; ackP99Ms: number };
  /** The processor's own view, from its /metrics (null for the baseline): where the time between the ends went. */
  inside: InsideView | null;
}

/** Shares of records and batches under a bound, from the processor's histograms, and its GC pauses. */
interface InsideView {
  /** Records whose batch committed within 25 / 50 ms of the record reaching the processor (arrival to commit). */
  recordsCommittedWithin25Ms: number | null;
  recordsCommittedWithin50Ms: number | null;
  /** Batches processed and committed within 25 / 50 ms. */
  batchesWithin25Ms: number | null;
  batchesWithin50Ms: number | null;
  batches: number | null;
  /** Time spent in garbage collection pauses, by kind (seconds, over the whole run). */
  gcSeconds: Record<string, number>;
}

interface MemoryResult extends RunResult {
  users: number;
  finalRssMB: number;
}

interface RestoreResult {
  users: number;
  records: number;
  recordsPerUser: number;
  /** Waited for the log cleaner before this restore (the compacted one). */
  compactionWaitSeconds?: number;
  /** Restore span: first `restoring state` to last `state restored` line. */
  seconds: number;
  /** Longest restore of one partition (they run at the same time). */
  maxPartitionSeconds: number;
  /** From the process's start until every partition was ready. */
  untilReadySeconds: number;
  usersPerSecond: number;
  recordsPerSecond: number;
  usersPerSecondUntilReady: number;
  /** Per partition: its records and seconds, of which until the first changelog records and reopening the store after. */
  partitions: { partition: number; records: number; seconds: number; untilFirstRecordsSeconds: number; reopenSeconds: number }[];
  peakRssMB: number;
  load: [number, number, number];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      partitions: { type: 'string', default: '4' },
      messages: { type: 'string', default: '200000' },
      users: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '5000' },
      'latency-seconds': { type: 'string', default: '25' },
      'warmup-seconds': { type: 'string', default: '3' },
      'small-users': { type: 'string', default: '10000' },
      'small-messages': { type: 'string' },
      'large-users': { type: 'string', default: '1000000' },
      'max-batch': { type: 'string', default: '2000' },
      journeys: { type: 'string', default: String(Object.keys(BENCH_JOURNEYS).length) },
      profile: { type: 'boolean', default: false },
      'node-args': { type: 'string', default: '' },
      'baseline-args': { type: 'string', default: '' },
      'processor-args': { type: 'string', default: '' },
      'quiet-cores': { type: 'string', default: '0.25' },
      'quiet-wait': { type: 'string', default: '0' },
      keep: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const all: Phase[] = ['throughput', 'latency', 'memory', 'restore'];
  const only = new Set((values.only?.split(',') ?? all).map((s) => s.trim()) as Phase[]);
  for (const p of only) if (!all.includes(p)) throw new Error(`--only: unknown phase ${p} (one of ${all.join(', ')})`);
  const num = (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`not a number: ${v}`);
    return n;
  };
  return {
    only, partitions: num(values.partitions), messages: num(values.messages), users: num(values.users), rate: num(values.rate),
    latencySeconds: num(values['latency-seconds']), warmupSeconds: num(values['warmup-seconds']), smallUsers: num(values['small-users']),
    smallMessages: num(values['small-messages'] ?? values['large-users']), largeUsers: num(values['large-users']), maxBatch: num(values['max-batch']),
    journeys: num(values.journeys), profile: values.profile, nodeArgs: values['node-args'].split(' ').filter((a) => a !== ''),
    baselineArgs: values['baseline-args'].split(' ').filter((a) => a !== ''), processorArgs: values['processor-args'].split(' ').filter((a) => a !== ''), quietCores: num(values['quiet-cores']), quietWait: num(values['quiet-wait']), keep: values.keep, write: !values['no-write'],
  };
}

/** The first `n` of the benchmark's journeys, in file-name order. */
function benchJourneys(n: number): [string, string][] {
  return Object.entries(BENCH_JOURNEYS).sort(([a], [b]) => (a < b ? -1 : 1)).slice(0, n);
}

/** The broker's pid (from the infra state file), to count its CPU time per phase. */
function brokerPid(infra: Infra): number | null {
  const file = infra.state.stateFile;
  if (file === undefined) return null;
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { kafka?: { pid?: unknown } }).kafka?.pid;
    return typeof pid === 'number' ? pid : null;
  } catch {
    return null;
  }
}

/** Workload lines → input records (identify → traits). */
function* recordsOfFile(file: string): Generator<InputRecord> {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const m = JSON.parse(line) as { type?: string; userId?: string };
    yield { traits: m.type === 'identify', key: m.userId ?? '', value: line };
  }
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of items) {
    yield x;
    if (++i >= n) return;
  }
}

const PLANS = ['free', 'trial', 'basic', 'gold', 'platinum'];
const CATEGORIES = ['shoes', 'bags', 'shirts', 'hats'];

/** `users` distinct users, one message each, in time order over a day: identifies and shop events. */
function* oneMessagePerUser(users: number, start: number): Generator<InputRecord> {
  const step = DAY / users;
  for (let u = 0; u < users; u++) {
    const h = Math.imul(u ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    const userId = `u1m-${u}`;
    const base = { userId, messageId: `m1m-${u.toString(36)}`, timestamp: new Date(start + Math.floor(u * step)).toISOString() };
    let msg: Record<string, unknown>;
    switch (h % 10) {
      case 0: case 1: case 2:
        msg = { ...base, type: 'identify', traits: { plan: PLANS[h % PLANS.length], country: h % 3 === 0 ? 'US' : 'DE', first_name: 'Ada', signup_date: new Date(start - (h % 5) * DAY).toISOString() } };
        break;
      case 3: case 4:
        msg = { ...base, type: 'track', event: 'Session Started', properties: { referrer: 'direct' } };
        break;
      case 5: case 6:
        msg = { ...base, type: 'track', event: 'Product Viewed', properties: { product_id: `p${h % 500}`, category: CATEGORIES[h % 4], price: 5 + (h % 200) } };
        break;
      case 7: case 8:
        msg = { ...base, type: 'track', event: 'Product Added', properties: { cart_id: `cart-${u.toString(36)}`, product_id: `p${h % 500}`, price: 5 + (h % 200), total: 20 + (h % 400) } };
        break;
      default:
        msg = { ...base, type: 'track', event: 'Order Completed', properties: { cart_id: `cart-${u.toString(36)}`, order_id: `order-${u.toString(36)}`, total: 20 + (h % 400), currency: 'USD' } };
    }
    yield { traits: msg.type === 'identify', key: userId, value: JSON.stringify(msg) };
  }
}

/** The commit measured, and whether src/ had changes not committed yet. */
function sourceVersion(): { commit: string | null; srcModified: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const srcModified = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').map((l) => l.slice(3));
    return { commit, srcModified };
  } catch {
    return { commit: null, srcModified: [] };
  }
}

/** Heap used and external memory of a processor, from its /metrics (the port it logged at start). */
async function heapOf(child: Child): Promise<{ used: number; external: number } | null> {
  const text = await metricsOf(child);
  if (text === null) return null;
  const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return { used: value('journeys_nodejs_heap_size_used_bytes'), external: value('journeys_nodejs_external_memory_bytes') };
}

/** A processor's /metrics text (on the port it logged at start), or null. */
async function metricsOf(child: Child): Promise<string | null> {
  const started = child.logs.find((l) => l.msg === 'processor started');
  const port = started?.metricsPort;
  if (typeof port !== 'number') return null;
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    return null;
  }
}

/** The processor's histograms of record latency and batch duration, and its GC pauses, from its /metrics. */
async function insideOf(child: Child): Promise<InsideView | null> {
  const text = await metricsOf(child);
  if (text === null) return null;
  const sample = (name: string, labels: string): number | null => {
    const line = text.split('\n').find((l) => (labels === '' ? l.startsWith(`${name} `) : l.startsWith(`${name}{`) && l.includes(labels)));
    return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const share = (histogram: string, le: string): number | null => {
    const under = sample(`${histogram}_bucket`, `le="${le}"`);
    const all = sample(`${histogram}_bucket`, 'le="+Inf"');
    return under === null || all === null || all === 0 ? null : round(under / all, 4);
  };
  const gcSeconds: Record<string, number> = {};
  for (const m of text.matchAll(/^journeys_nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm)) gcSeconds[m[1] as string] = round(Number(m[2]), 3);
  return {
    recordsCommittedWithin25Ms: share('journeys_processing_latency_seconds', '0.025'),
    recordsCommittedWithin50Ms: share('journeys_processing_latency_seconds', '0.05'),
    batchesWithin25Ms: share('journeys_batch_duration_seconds', '0.025'),
    batchesWithin50Ms: share('journeys_batch_duration_seconds', '0.05'),
    batches: sample('journeys_batch_duration_seconds_count', ''),
    gcSeconds,
  };
}

interface Quiet {
  load: [number, number, number];
  /** Cores the other processes of the machine used over the 5 s before the phase. */
  otherCores: number | null;
}

class Bench {
  /** The machine before each phase. */
  readonly quietBefore: Record<string, Quiet> = {};
  private readonly kafka: Kafka;
  private admin!: Admin;
  private producer!: Producer;
  private readonly children = new Set<Child>();
  private readonly sets: TopicSet[] = [];
  private readonly runId = `bench-${process.pid}-${Date.now().toString(36)}`;
  readonly dir: string;
  readonly benchTopologies: string;
  readonly latencyTopologies: string;

  constructor(private readonly infra: Infra, private readonly o: Options) {
    this.kafka = new Kafka({ clientId: 'bench-processor', brokers: infra.brokers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 200, retries: 12 } });
    this.dir = mkdtempSync(join(tmpdir(), 'journeys-bench-processor-'));
    this.benchTopologies = join(this.dir, 'topologies');
    mkdirSync(this.benchTopologies);
    writeFileSync(join(this.benchTopologies, 'destinations.yaml'), BENCH_DESTINATIONS);
    writeFileSync(join(this.benchTopologies, 'audiences.yaml'), BENCH_AUDIENCES);
    for (const [name, text] of benchJourneys(o.journeys)) writeFileSync(join(this.benchTopologies, name), text);
    this.latencyTopologies = join(this.dir, 'latency');
    mkdirSync(this.latencyTopologies);
    writeFileSync(join(this.latencyTopologies, 'destinations.yaml'), LATENCY_DESTINATIONS);
    writeFileSync(join(this.latencyTopologies, 'bench-latency.journey.yaml'), LATENCY_JOURNEY);
    // src/codecs/avro-schemas.ts looks for schemas/ two levels above its compiled file.
    const schemas = join(ROOT, 'dist', 'bench', 'schemas');
    if (!existsSync(schemas)) symlinkSync(join(ROOT, 'schemas'), schemas, 'dir');
  }

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
  }

  async topicSet(name: string, changelogSegmentBytes?: number): Promise<TopicSet> {
    const group = `${this.runId}-${name}`;
    const topics = topicNames({ group, events: `${group}.events`, traits: `${group}.traits`, transitions: `${group}.transitions`, dlq: `${group}.dlq`, dlqPrefix: `${group}.dlq.` });
    await createTopics(this.admin, null, topics, { partitions: this.o.partitions, replicationFactor: 1, definitions: null, ...(changelogSegmentBytes === undefined ? {} : { changelogSegmentBytes }) });
    const set = { group, topics };
    this.sets.push(set);
    return set;
  }

  /** The broker process and the CPU seconds it has used (the pid is read each time: fault tests restart it). */
  brokerCpu(): { pid: number; cpu: number } | null {
    const pid = brokerPid(this.infra);
    const cpu = pid === null ? null : procCpuSeconds(pid);
    return pid === null || cpu === null ? null : { pid, cpu };
  }

  /** Cores used by the other processes of the machine (all but the broker and this driver) over `ms`. */
  async otherCores(ms = 5000): Promise<number | null> {
    const s0 = systemBusySeconds();
    const b0 = this.brokerCpu();
    const d0 = ownCpuSeconds();
    await sleep(ms);
    const s1 = systemBusySeconds();
    const b1 = this.brokerCpu();
    if (s0 === null || s1 === null || b0 === null || b1 === null || b0.pid !== b1.pid) return null;
    return round(Math.max(0, s1 - s0 - (b1.cpu - b0.cpu) - (ownCpuSeconds() - d0)) / (ms / 1000), 2);
  }

  /** Before a phase: waits (up to --quiet-wait seconds) until the other processes use less than --quiet-cores. */
  async quiet(phase: string): Promise<Quiet> {
    const until = Date.now() + this.o.quietWait * 1000;
    let other = await this.otherCores();
    while (other !== null && other >= this.o.quietCores && Date.now() < until) other = await this.otherCores();
    const q = { load: load(), otherCores: other };
    this.quietBefore[phase] = q;
    progress(`${phase}: other processes use ${other ?? '?'} cores (load average ${q.load.join(' ')})${other !== null && other >= this.o.quietCores ? ' — busy' : ''}`);
    return q;
  }

  startProcessor(set: TopicSet, topologies: string, stateDir: string, clock: 'event' | 'wall', nodeArgs: string[] = []): Child {
    const t = set.topics;
    const args = [...this.o.nodeArgs, ...nodeArgs, CLI, 'process', '--topologies', topologies, '--state-dir', stateDir, '--bootstrap', this.infra.state.bootstrap,
      '--registry', this.infra.state.registryUrl, '--clock', clock, '--transitions-format', 'json', '--max-batch', String(this.o.maxBatch), '--metrics-port', '0',
      '--group', set.group, '--events-topic', t.events, '--traits-topic', t.traits, '--transitions-topic', t.transitions, '--dlq-topic', t.dlq, '--changelog-topic', t.changelog,
      ...this.o.processorArgs];
    return this.track(new Child(args, { JOURNEYS_LOG_LEVEL: 'info' }));
  }

  startPassthrough(set: TopicSet): Child {
    const t = set.topics;
    const args = [PASSTHROUGH, '--brokers', this.infra.brokers.join(','), '--group', set.group, '--events', t.events, '--traits', t.traits, '--output', t.transitions, '--max-batch', String(this.o.maxBatch), ...this.o.baselineArgs];
    return this.track(new Child(args, {}));
  }

  private track(child: Child): Child {
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  async stop(child: Child): Promise<void> {
    const code = await child.stop();
    if (code !== 0) throw new Error(`exited with ${code}; output:\n${child.output()}`);
  }

  /** Runs a process over pre-produced inputs until its group has committed them all. */
  async catchUp(set: TopicSet, messages: number, start: () => Child): Promise<RunResult & { child: Child }> {
    const l = load();
    const b0 = this.brokerCpu();
    const s0 = systemBusySeconds();
    const d0 = ownCpuSeconds();
    const child = start();
    // RSS at 1%, 10%, 25%, 50%, 75% and 100% of the input committed (with 1M users: after 10k, 100k, ... users).
    const milestones = [0.01, 0.1, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * messages));
    const rssByProgress: [number, number][] = [];
    const c = await waitCaughtUp(this.admin, set.group, [set.topics.events, set.topics.traits], messages, child.startedAt, child, (lag) => {
      const done = messages - lag;
      while (milestones.length > 0 && done >= (milestones[0] as number)) {
        child.sample();
        rssByProgress.push([milestones.shift() as number, mb(child.lastRss)]);
      }
    });
    const cpu = procCpuSeconds(child.pid);
    const b1 = this.brokerCpu();
    const s1 = systemBusySeconds();
    const driver = ownCpuSeconds() - d0;
    const brokerCpu = b0 === null || b1 === null || b0.pid !== b1.pid ? null : b1.cpu - b0.cpu;
    child.sample();
    const heap = await heapOf(child);
    const readyLines = child.logs.filter((x) => x.msg === 'partition ready');
    const readyAt = readyLines.length >= this.o.partitions ? Math.max(...readyLines.map((x) => Date.parse(x.time ?? ''))) : NaN;
    return {
      rssByProgress, readySeconds: Number.isFinite(readyAt) ? round((readyAt - child.startedWallMs) / 1000, 2) : null,
      heapUsedMB: heap === null ? null : mb(heap.used), externalMB: heap === null ? null : mb(heap.external),
      child, messages, seconds: round(c.seconds, 2), steadySeconds: round(c.steadySeconds, 2), startupSeconds: round(c.startupSeconds, 2),
      eventsPerSecond: Math.round(messages / c.seconds), steadyEventsPerSecond: c.steadySeconds < 1 ? null : Math.round(messages / c.steadySeconds),
      cpuSeconds: cpu === null ? null : round(cpu, 2), brokerCpuSeconds: brokerCpu === null ? null : round(brokerCpu, 2),
      otherCpuSeconds: s0 === null || s1 === null || cpu === null || brokerCpu === null ? null : round(Math.max(0, s1 - s0 - cpu - brokerCpu - driver), 2),
      peakRssMB: mb(Math.max(child.hwm, child.maxRss)), peakAnonRssMB: mb(child.maxAnonRss), fileRssMB: mb(child.lastFileRss), load: l,
    };
  }

  async produce(sets: TopicSet[], records: Iterable<InputRecord>): Promise<number> {
    const t0 = performance.now();
    const n = await produceInputs(this.producer, sets.map((s) => ({ events: s.topics.events, traits: s.topics.traits })), records);
    progress(`  produced ${fmt(n)} messages to ${sets.length} topic set(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // This producer is not idempotent (the latency phase sends concurrently): a send that failed for one partition
    // is sent again for all, which can write records twice. A run on duplicated input would measure other work.
    for (const set of sets) {
      let written = 0;
      for (const topic of [set.topics.events, set.topics.traits]) written += (await this.admin.fetchTopicOffsets(topic)).reduce((m, p) => m + Number(p.high), 0);
      if (written !== n) throw new Error(`${set.group}: ${fmt(written)} input records written for ${fmt(n)} messages sent (a retried send wrote some twice); run again`);
    }
    return n;
  }

  // ---- 1. throughput ---------------------------------------------------------------------------------

  async throughput(): Promise<{ workload: Record<string, unknown>; baseline: RunResult; processor: RunResult; ratio: number; steadyRatio: number | null; cpuRatio: number | null; profile: ProfileSummary | null }> {
    const file = join(this.dir, 'throughput.jsonl');
    const summary = writeWorkload(file, { users: this.o.users, events: this.o.messages, days: 21, start: WORKLOAD_START, seed: 20260105 });
    const base = await this.topicSet('tb');
    const proc = await this.topicSet('tp');
    const warm = await this.topicSet('tw');
    const n = await this.produce([base, proc], recordsOfFile(file));
    // Warm-up, not measured: the broker's transaction and fetch paths (a broker just started is slower).
    const w = await this.produce([warm], take(recordsOfFile(file), Math.min(n, 20_000)));
    rmSync(file, { force: true });
    const wr = await this.catchUp(warm, w, () => this.startPassthrough(warm));
    await this.stop(wr.child);

    await this.quiet('throughput, baseline');
    const b = await this.catchUp(base, n, () => this.startPassthrough(base));
    await this.stop(b.child);
    progress(`  baseline pass-through: ${fmt(b.eventsPerSecond)} events/s (${b.seconds} s, ${b.startupSeconds} s of start-up)`);

    await this.quiet('throughput, processor');
    const profDir = join(this.dir, 'profile');
    const nodeArgs = this.o.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const p = await this.catchUp(proc, n, () => this.startProcessor(proc, this.benchTopologies, join(this.dir, 'state-tp'), 'event', nodeArgs));
    await this.stop(p.child);
    progress(`  processor: ${fmt(p.eventsPerSecond)} events/s (${p.seconds} s, ${p.startupSeconds} s of start-up)`);
    let profile: ProfileSummary | null = null;
    if (this.o.profile) {
      const f = readdirSync(profDir).find((x) => x.endsWith('.cpuprofile'));
      if (f !== undefined) {
        profile = summarizeProfile(join(profDir, f), ROOT, 25);
        process.stdout.write(`\n${formatSummary(profile)}\n`);
      }
    }
    const { child: _b, ...baseline } = b;
    const { child: _p, ...processor } = p;
    return {
      workload: { users: summary.users, messages: n, inputMB: mb(summary.bytes), from: summary.from, to: summary.to, journeys: benchJourneys(this.o.journeys).length, partitions: this.o.partitions, maxBatch: this.o.maxBatch },
      baseline, processor, ratio: round(p.eventsPerSecond / b.eventsPerSecond, 3), steadyRatio: p.steadyEventsPerSecond === null || b.steadyEventsPerSecond === null ? null : round(p.steadyEventsPerSecond / b.steadyEventsPerSecond, 3),
      cpuRatio: p.cpuSeconds === null || b.cpuSeconds === null ? null : round(b.cpuSeconds / p.cpuSeconds, 3), profile,
    };
  }

  // ---- 2. latency ------------------------------------------------------------------------------------

  async latency(kind: 'baseline' | 'processor'): Promise<LatencyResult> {
    const set = await this.topicSet(kind === 'baseline' ? 'lb' : 'lp');
    const prefix = `${set.group}-`;
    const rate = this.o.rate;
    const total = Math.round(rate * (this.o.warmupSeconds + this.o.latencySeconds));
    const measuredFrom = Math.round(rate * this.o.warmupSeconds);
    const scheduled = new Float64Array(total);
    const handedOver = new Float64Array(total);
    const acked = new Float64Array(total);
    const latency = new Float64Array(total).fill(-1);
    const probes = new Set<string>();
    const users = 10_000;

    // The reader first: read_committed, on the output topic.
    const reader: Consumer = this.kafka.consumer({ groupId: `${set.group}-reader`, maxWaitTimeInMs: 50, readUncommitted: false, maxBytes: 16 << 20 });
    await reader.connect();
    await reader.subscribe({ topic: set.topics.transitions, fromBeginning: true });
    const joined = new Promise<void>((res) => reader.on(reader.events.GROUP_JOIN, () => res()));
    const idOf = kind === 'baseline'
      ? (v: Buffer): string | null => (JSON.parse(v.toString('utf8')) as { messageId?: string }).messageId ?? null
      : (v: Buffer): string | null => (JSON.parse(v.toString('utf8')) as { cause?: { messageId?: string | null } | null }).cause?.messageId ?? null;
    await reader.run({
      eachBatch: ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) {
          if (m.value === null) continue;
          const id = idOf(m.value);
          if (id === null || !id.startsWith(prefix)) continue;
          const rest = id.slice(prefix.length);
          if (rest.startsWith('probe-')) {
            probes.delete(rest);
            continue;
          }
          const seq = Number(rest);
          if (Number.isInteger(seq) && seq >= 0 && seq < total && latency[seq] === -1) latency[seq] = now - (scheduled[seq] as number);
        }
        return Promise.resolve();
      },
    });
    await joined;

    const l = load();
    const child = kind === 'baseline' ? this.startPassthrough(set) : this.startProcessor(set, this.latencyTopologies, join(this.dir, 'state-lp'), 'wall');
    const ping = (id: string, user: number): { key: string; value: string } => {
      const userId = `lat-${user}`;
      return { key: userId, value: JSON.stringify({ type: 'track', event: 'Ping', userId, messageId: `${prefix}${id}`, timestamp: new Date().toISOString(), properties: { ping_id: id } }) };
    };
    // Ready when a probe through every partition has come out (32 keys: every partition, almost surely).
    const readySince = performance.now();
    for (let attempt = 0; ; attempt++) {
      const batch = Array.from({ length: 32 }, (_, i) => ping(`probe-${attempt}-${i}`, i));
      for (let i = 0; i < 32; i++) probes.add(`probe-${attempt}-${i}`);
      await this.producer.send({ topic: set.topics.events, messages: batch });
      const t = performance.now();
      while (probes.size > 0 && performance.now() - t < 3000) await sleep(20);
      if (probes.size === 0) break;
      if (performance.now() - readySince > 180_000) throw new Error(`${kind}: no output after 180 s; output:\n${child.output()}`);
      probes.clear();
    }
    progress(`  ${kind}: ready ${((performance.now() - child.startedAt) / 1000).toFixed(1)} s after start; sending ${fmt(rate)} events/s for ${this.o.warmupSeconds} + ${this.o.latencySeconds} s`);

    const cpu0 = procCpuSeconds(child.pid);
    const b0 = this.brokerCpu();
    const s0 = systemBusySeconds();
    const d0 = ownCpuSeconds();
    const start = performance.now() + 50;
    let next = 0;
    const inFlight = new Set<Promise<unknown>>();
    await new Promise<void>((res, rej) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
        if (due > next) {
          const messages: { key: string; value: string }[] = [];
          const first = next;
          const now = performance.now();
          for (; next < due; next++) {
            scheduled[next] = start + (next / rate) * 1000;
            handedOver[next] = now;
            messages.push(ping(String(next), Math.floor(Math.random() * users)));
          }
          const last = next;
          const p = this.producer.send({ topic: set.topics.events, messages });
          inFlight.add(p);
          p.then(() => {
            inFlight.delete(p);
            acked.fill(performance.now(), first, last);
          }, (err: unknown) => {
            clearInterval(timer);
            rej(err instanceof Error ? err : new Error(String(err)));
          });
        }
        if (next >= total) {
          clearInterval(timer);
          res();
        }
      }, 5);
    });
    await Promise.all(inFlight);
    const sentSeconds = (performance.now() - start) / 1000;
    // Until every measured message has come out, or 15 s more.
    const waitUntil = performance.now() + 15_000;
    const outstanding = (): number => {
      let n = 0;
      for (let i = measuredFrom; i < total; i++) if (latency[i] === -1) n++;
      return n;
    };
    while (outstanding() > 0 && performance.now() < waitUntil) await sleep(100);
    const cpu1 = procCpuSeconds(child.pid);
    const b1 = this.brokerCpu();
    const s1 = systemBusySeconds();
    const driver = ownCpuSeconds() - d0;
    const inside = kind === 'processor' ? await insideOf(child) : null;
    await reader.disconnect();
    await this.stop(child);

    const values: number[] = [];
    for (let i = measuredFrom; i < total; i++) if ((latency[i] as number) >= 0) values.push(latency[i] as number);
    const sorted = Float64Array.from(values).sort();
    const r = (x: number): number => round(x, 1);
    const late = new Float64Array(total - measuredFrom);
    const ack = new Float64Array(total - measuredFrom);
    for (let i = measuredFrom; i < total; i++) {
      late[i - measuredFrom] = (handedOver[i] as number) - (scheduled[i] as number);
      ack[i - measuredFrom] = (acked[i] as number) - (handedOver[i] as number);
    }
    late.sort();
    ack.sort();
    const driverTimes = { sendLateP50Ms: r(percentile(late, 0.5)), sendLateP99Ms: r(percentile(late, 0.99)), ackP50Ms: r(percentile(ack, 0.5)), ackP99Ms: r(percentile(ack, 0.99)) };
    const result: LatencyResult = {
      rate, seconds: this.o.latencySeconds, sent: total, measured: sorted.length, missing: total - measuredFrom - sorted.length,
      p50Ms: r(percentile(sorted, 0.5)), p90Ms: r(percentile(sorted, 0.9)), p99Ms: r(percentile(sorted, 0.99)), p999Ms: r(percentile(sorted, 0.999)),
      maxMs: r(sorted[sorted.length - 1] ?? NaN), achievedRate: Math.round(total / sentSeconds),
      cpuSeconds: cpu0 === null || cpu1 === null ? null : round(cpu1 - cpu0, 2),
      brokerCpuSeconds: b0 === null || b1 === null || b0.pid !== b1.pid ? null : round(b1.cpu - b0.cpu, 2),
      otherCpuSeconds: null, load: l, driver: driverTimes, inside,
    };
    if (cpu0 !== null && cpu1 !== null && result.brokerCpuSeconds !== null && s0 !== null && s1 !== null) {
      result.otherCpuSeconds = round(Math.max(0, s1 - s0 - (cpu1 - cpu0) - result.brokerCpuSeconds - driver), 2);
    }
    progress(`  ${kind}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms (${fmt(result.measured)} measured, ${result.missing} missing; driver: sends late p99 ${driverTimes.sendLateP99Ms} ms, acks p99 ${driverTimes.ackP99Ms} ms)`);
    if (inside !== null) progress(`  ${kind}, inside: ${JSON.stringify(inside)}`);
    return result;
  }

  // ---- 3. memory and 4. restore ----------------------------------------------------------------------

  async memorySmall(): Promise<MemoryResult> {
    const file = join(this.dir, 'small.jsonl');
    writeWorkload(file, { users: this.o.smallUsers, events: this.o.smallMessages, days: 21, start: WORKLOAD_START, seed: 7 });
    const set = await this.topicSet('ms');
    const n = await this.produce([set], recordsOfFile(file));
    rmSync(file, { force: true });
    await this.quiet(`memory, ${fmt(this.o.smallUsers)} users`);
    const r = await this.catchUp(set, n, () => this.startProcessor(set, this.benchTopologies, join(this.dir, 'state-ms'), 'event'));
    const finalRss = r.child.lastRss;
    await this.stop(r.child);
    const { child: _c, ...rest } = r;
    progress(`  ${fmt(this.o.smallUsers)} users: peak RSS ${rest.peakRssMB} MB, ${fmt(rest.eventsPerSecond)} events/s`);
    return { ...rest, users: this.o.smallUsers, finalRssMB: mb(finalRss) };
  }

  async memoryLarge(): Promise<{ memory: MemoryResult; set: TopicSet; stateDir: string }> {
    // The log cleaner compacts only rolled segments: at the default 1 GiB a changelog of this size would never
    // roll within the bench; 16 MiB segments let it compact as a production changelog's would. The topic's
    // other settings (compact, min.compaction.lag.ms 60 s, dirty ratio 0.5) are those `topics create` makes.
    const set = await this.topicSet('ml', CHANGELOG_SEGMENT_BYTES);
    const n = await this.produce([set], oneMessagePerUser(this.o.largeUsers, WORKLOAD_START));
    await this.quiet(`memory, ${fmt(this.o.largeUsers)} users`);
    const stateDir = join(this.dir, 'state-ml');
    const r = await this.catchUp(set, n, () => this.startProcessor(set, this.benchTopologies, stateDir, 'event'));
    const finalRss = r.child.lastRss;
    await this.stop(r.child);
    const { child: _c, ...rest } = r;
    progress(`  ${fmt(this.o.largeUsers)} users: peak RSS ${rest.peakRssMB} MB, ${fmt(rest.eventsPerSecond)} events/s`);
    return { memory: { ...rest, users: this.o.largeUsers, finalRssMB: mb(finalRss) }, set, stateDir };
  }

  /**
   * Restores twice: right after the run ("as written": the changelog as the run left it, every update of a user
   * except those the cleaner already compacted while the run went on), then once the broker's log cleaner has
   * caught up (about one record per piece), as a restore after a lost disk finds a changelog in production.
   */
  async restoreBoth(set: TopicSet, stateDir: string, users: number): Promise<{ asWritten: RestoreResult; compacted: RestoreResult }> {
    const asWritten = await this.restore(set, stateDir, users, 'as written');
    const waited = await this.waitForCompaction(set);
    const compacted = { ...(await this.restore(set, stateDir, users, 'compacted')), compactionWaitSeconds: waited };
    return { asWritten, compacted };
  }

  /**
   * Waits until the log cleaner is done with the changelog: past min.compaction.lag.ms since the last write plus
   * the cleaner's back-off (log.cleaner.backoff.ms, 15 s), then until its partitions' size on disk has not
   * changed for 30 s (at most 10 min). Without the broker's data dir (a broker from the environment) only the first part.
   */
  async waitForCompaction(set: TopicSet): Promise<number> {
    const started = performance.now();
    await sleep(CHANGELOG_MIN_COMPACTION_LAG_MS + 15_000);
    const dataDir = this.infra.state.kafkaDataDir;
    if (dataDir !== undefined && existsSync(dataDir)) {
      const size = (): number => readdirSync(dataDir).filter((d) => d.startsWith(`${set.topics.changelog}-`))
        .reduce((n, d) => n + readdirSync(join(dataDir, d)).filter((f) => f.endsWith('.log')).reduce((m, f) => m + statSync(join(dataDir, d, f)).size, 0), 0);
      let last = size();
      let stableSince = performance.now();
      while (performance.now() - stableSince < 30_000 && performance.now() - started < 600_000) {
        await sleep(5000);
        const now = size();
        if (now !== last) {
          last = now;
          stableSince = performance.now();
        }
      }
      progress(`  changelog compacted: ${mb(last)} MB on disk`);
    }
    return round((performance.now() - started) / 1000, 1);
  }

  async restore(set: TopicSet, stateDir: string, users: number, label: string): Promise<RestoreResult> {
    rmSync(stateDir, { recursive: true, force: true });
    await this.quiet('restore');
    const l = load();
    const child = this.startProcessor(set, this.benchTopologies, stateDir, 'event');
    const ready = new Set<number>();
    await child.waitLog((line) => {
      if (line.msg === 'partition ready' && typeof line.partition === 'number') ready.add(line.partition);
      return ready.size >= this.o.partitions;
    }, 30 * 60_000, 'every partition ready');
    const untilReady = (performance.now() - child.startedAt) / 1000;
    child.sample();
    await this.stop(child);
    const time = (x: { time?: string }): number => Date.parse(x.time ?? '');
    const begun = child.logs.filter((x) => x.msg === 'restoring state from the changelog');
    const done = child.logs.filter((x) => x.msg === 'state restored');
    if (done.length < this.o.partitions) throw new Error(`restore: ${done.length} partitions restored, expected ${this.o.partitions}; output:\n${child.output()}`);
    const partitions = done.map((x) => ({
      partition: Number(x.partition), records: Number(x.records), seconds: Number(x.seconds),
      untilFirstRecordsSeconds: Number(x.untilFirstRecordsSeconds), reopenSeconds: Number(x.reopenSeconds),
    })).sort((a, b) => a.partition - b.partition);
    const records = partitions.reduce((s, p) => s + p.records, 0);
    const span = (Math.max(...done.map(time)) - Math.min(...begun.map(time))) / 1000;
    const maxPartition = Math.max(...partitions.map((p) => p.seconds));
    const seconds = Math.max(span, maxPartition);
    const result: RestoreResult = {
      users, records, recordsPerUser: round(records / users, 2), seconds: round(seconds, 2), maxPartitionSeconds: round(maxPartition, 2), untilReadySeconds: round(untilReady, 2),
      usersPerSecond: Math.round(users / seconds), recordsPerSecond: Math.round(records / seconds), usersPerSecondUntilReady: Math.round(users / untilReady),
      partitions, peakRssMB: mb(Math.max(child.hwm, child.maxRss)), load: l,
    };
    const slowest = (f: (p: RestoreResult['partitions'][number]) => number): number => round(Math.max(...partitions.map(f)), 2);
    progress(`  restore (${label}): ${fmt(users)} users (${fmt(records)} changelog records) in ${result.seconds} s: ${fmt(result.usersPerSecond)} users/s ` +
      `(per partition at most: until its first records ${slowest((p) => p.untilFirstRecordsSeconds)} s, reopening its store ${slowest((p) => p.reopenSeconds)} s)`);
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.children].map((c) => c.stop(5000)));
    if (!this.o.keep && this.admin !== undefined) {
      const topics = this.sets.flatMap((s) => [s.topics.events, s.topics.traits, s.topics.transitions, s.topics.dlq, s.topics.changelog]);
      const groups = this.sets.flatMap((s) => [s.group, `${s.group}-reader`]);
      await this.admin.deleteGroups(groups).catch(() => undefined);
      if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 60_000 }).catch(() => undefined);
    }
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    if (this.o.keep) progress(`kept ${this.dir} and the topics of ${this.runId}-*`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  killAll(): void {
    for (const c of this.children) c.proc.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const o = options();
  const infra = await acquireInfra();
  let bench: Bench | undefined;
  const onSignal = (): void => {
    bench?.killAll();
    void infra.release().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const loadAtStart = load();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    broker: { kafka: infra.state.kafkaVersion ?? null, registry: infra.state.registryVersion ?? null, startedForThisRun: infra.started },
    processorRunsAs: 'child process: the journeys CLI (`journeys process`, compiled with the bench), JSON transitions',
    source: sourceVersion(),
    loadAverageAtStart: loadAtStart,
  };
  try {
    bench = new Bench(infra, o);
    await bench.connect();
    let throughput: Awaited<ReturnType<Bench['throughput']>> | null = null;
    if (o.only.has('throughput')) {
      throughput = await bench.throughput();
      results.throughput = { ...throughput, profile: throughput.profile === null ? null : { ...throughput.profile, file: undefined } };
    }
    let latency: { baseline: LatencyResult; processor: LatencyResult } | null = null;
    if (o.only.has('latency')) {
      await bench.quiet('latency, baseline');
      const baseline = await bench.latency('baseline');
      await bench.quiet('latency, processor');
      const processor = await bench.latency('processor');
      latency = { baseline, processor };
      results.latency = { journey: 'bench-latency (event entry keyed by ping_id, first step a send)', clock: 'wall', ...latency };
    }
    let small: MemoryResult | null = null;
    let large: MemoryResult | null = null;
    let restore: { asWritten: RestoreResult; compacted: RestoreResult } | null = null;
    if (o.only.has('memory')) small = await bench.memorySmall();
    if (o.only.has('memory') || o.only.has('restore')) {
      const l = await bench.memoryLarge();
      large = l.memory;
      if (o.only.has('restore')) restore = await bench.restoreBoth(l.set, l.stateDir, large.users);
    }
    if (small !== null || large !== null) results.memory = { small, large, note: 'peak RSS = VmHWM of the processor process (bench journeys, event clock); large = one message per distinct user' };
    if (restore !== null) {
      // `restore` is the compacted changelog's (what a restore finds in production), `restoreAsWritten` the other.
      results.restore = restore.compacted;
      results.restoreAsWritten = restore.asWritten;
    }
    results.loadAverageAtEnd = load();
    results.beforeEachPhase = bench.quietBefore;
    results.targets = { throughputRatio: '>= 0.6 of the pass-through', latencyP99Ms: '<= 50', memory: 'flat from 10k to 1M users', restoreUsersPerSecond: '>= 100000' };

    const rows: [string, string][] = [['machine', `${(results.machine as { cpu: string }).cpu}, ${(results.machine as { cores: number }).cores} cores, node ${process.version}; Kafka ${infra.state.kafkaVersion ?? '?'}`]];
    rows.push(['load average (1/5/15 min) at start / end', `${loadAtStart.join(' ')} / ${(results.loadAverageAtEnd as number[]).join(' ')}`]);
    if (throughput !== null) {
      const { baseline: b, processor: p } = throughput;
      rows.push(['throughput workload', `${fmt(throughput.workload.messages as number)} messages, ${fmt(throughput.workload.users as number)} users, ${o.partitions} partitions, ${fmt(throughput.workload.journeys as number)} journeys, event clock`]);
      const run = (x: RunResult): string =>
        `${fmt(x.eventsPerSecond)} events/s (${x.seconds} s incl. ${x.startupSeconds} s until the first commit, partitions ready after ${x.readySeconds ?? '?'} s; steady ${x.steadyEventsPerSecond === null ? 'not measured (under 1 s past the first commit)' : `${fmt(x.steadyEventsPerSecond)}/s`}; ` +
        `CPU ${x.cpuSeconds} s = ${x.cpuSeconds === null ? '?' : fmt(x.messages / x.cpuSeconds)} events per CPU-second, broker CPU ${x.brokerCpuSeconds ?? '?'} s; ` +
        `load ${x.load[0]}, other processes ${x.otherCpuSeconds ?? '?'} CPU-s)`;
      rows.push(['baseline: kafkajs transactional pass-through', run(b)]);
      rows.push(['processor: journeys process', run(p)]);
      rows.push(['ratio processor / baseline (target ≥ 0.6)', `${throughput.ratio.toFixed(2)} (${throughput.steadyRatio === null ? '' : `steady ${throughput.steadyRatio.toFixed(2)}; `}per CPU-second ${throughput.cpuRatio?.toFixed(2) ?? '?'})`]);
    }
    if (latency !== null) {
      const line = (x: LatencyResult): string => `p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms (p90 ${x.p90Ms}, p99.9 ${x.p999Ms}, max ${x.maxMs}); ${fmt(x.measured)} measured, ${x.missing} missing; ` +
        `sent at ${fmt(x.achievedRate)}/s (handed to the producer late by p50 ${x.driver.sendLateP50Ms} / p99 ${x.driver.sendLateP99Ms} ms, acknowledged in p50 ${x.driver.ackP50Ms} / p99 ${x.driver.ackP99Ms} ms); CPU ${x.cpuSeconds} s; load ${x.load[0]}, other processes ${x.otherCpuSeconds ?? '?'} CPU-s`;
      rows.push([`latency at ${fmt(o.rate)} events/s, baseline`, line(latency.baseline)]);
      rows.push([`latency at ${fmt(o.rate)} events/s, processor (target p99 ≤ 50 ms)`, line(latency.processor)]);
    }
    const memoryRow = (m: MemoryResult): [string, string] => [
      `memory: ${fmt(m.users)} users (${fmt(m.messages)} messages)`,
      `peak RSS ${m.peakRssMB} MB (own memory, RssAnon, at most ${m.peakAnonRssMB} MB; mapped files, RssFile, ${m.fileRssMB} MB at the end); RSS when N messages were committed (N: MB) ${m.rssByProgress.map(([n, r]) => `${fmt(n)}: ${r}`).join(', ')} MB; V8 heap used at the end ${m.heapUsedMB ?? '?'} MB (${fmt(m.eventsPerSecond)} events/s, CPU ${m.cpuSeconds} s; load ${m.load[0]}, other processes ${m.otherCpuSeconds ?? '?'} CPU-s)`,
    ];
    if (small !== null) rows.push(memoryRow(small));
    if (large !== null) rows.push(memoryRow(large));
    if (small !== null && large !== null) {
      const same = small.messages === large.messages ? 'same messages' : `NOT the same messages: ${fmt(small.messages)} vs ${fmt(large.messages)}`;
      rows.push([`peak RSS, ${fmt(large.users)} / ${fmt(small.users)} users (target: flat)`, `${(large.peakRssMB / small.peakRssMB).toFixed(2)} (RssAnon ${(large.peakAnonRssMB / small.peakAnonRssMB).toFixed(2)}; ${same})`]);
    }
    if (restore !== null) {
      const line = (r: RestoreResult): string => `${fmt(r.usersPerSecond)} users/s: ${fmt(r.users)} users, ${fmt(r.records)} records (${r.recordsPerUser} per user) in ${r.seconds} s (${fmt(r.recordsPerSecond)} records/s; ready ${r.untilReadySeconds} s after start; peak RSS ${r.peakRssMB} MB; load ${r.load[0]})`;
      rows.push(['restore from the changelog, compacted (target ≥ 100k users/s)', `${line(restore.compacted)}; after waiting ${restore.compacted.compactionWaitSeconds ?? '?'} s for the log cleaner`]);
      rows.push(['restore from the changelog as written (before compaction)', line(restore.asWritten)]);
    }
    process.stdout.write(`\n| processor benchmark | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n\n`);
    if (o.write) {
      mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
      writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
      process.stdout.write(`written to ${RESULTS}\n`);
    }
  } finally {
    await bench?.close();
    await infra.release();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
