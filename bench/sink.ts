// `npm run bench:sink`: how fast `journeys sink` delivers transitions to a webhook, against a raw HTTP client
// loop to the same server in the same run.
//
// The receiver is a node:http server in a worker thread (its own event loop and core): it parses every body,
// counts the messages (unwrapping {"batch": [...]}) and, for the latency phase, records now − the message's
// `timestamp` (the transition's `at`, set to the wall clock when the record was produced).
//
//   (1) raw loop: pre-built Segment track messages, JSON.stringify'd in batches of --batch-size, POSTed over a
//       keep-alive agent with --concurrency requests in flight: the ceiling of this HTTP path;
//   (2) sink throughput: --records send transitions (Avro, keyed by user, --partitions partitions) are produced
//       first; the sink (in process: Sink.start, one webhook destination, segment-track, batchSize/concurrency as
//       the raw loop) consumes, routes, formats, batches, POSTs and commits; deliveries/s from the first
//       delivery to the last (group join excluded), and from sink start;
//   (3) latency: with the sink caught up, --rate transitions/s are produced for --seconds; p50/p99/max of
//       transition (`at`, produce time) → the receiver having the message.
// Writes bench/results/sink.json (with the machine) unless --no-write.
import { Session } from 'node:inspector';
import { Worker } from 'node:worker_threads';
import { Agent, request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { JsonObject } from '../src/definitions/model';
import { formatSend } from '../src/destinations/formats';
import type { SendPayload, Transition } from '../src/engine/transition';
import { createTopicsWithLeaders } from '../src/kafka/admin-topics';
import { sha256Hex } from '../src/lib/hash';
import { silentLogger } from '../src/observability/logger';
import { SinkMetrics } from '../src/observability/sink-metrics';
import type { Sink } from '../src/sinks/sink';
import { acquireInfra, fmt, load, machine, percentile, progress, ROOT, round } from './support';

/**
 * src/codecs/avro-schemas.ts reads schemas/ two levels above dist/bench/src/codecs: link dist/bench/schemas to
 * the real folder before the modules that load schemas at import time are required.
 */
async function sinkModules() {
  const link = resolve(__dirname, '..', 'schemas');
  if (!existsSync(link)) symlinkSync(join(ROOT, 'schemas'), link, 'dir');
  const [codec, definitions, sink] = await Promise.all([import('../src/codecs/transition-codec'), import('../src/definitions'), import('../src/sinks/sink')]);
  return { avroTransitionEncoder: codec.avroTransitionEncoder, loadDefinitions: definitions.loadDefinitions, Sink: sink.Sink };
}

const RESULTS = join(ROOT, 'bench', 'results', 'sink.json');

// ---- the receiver, in a worker thread ----

const RECEIVER = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
let count = 0, first = 0, last = 0;
let latencies = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const messages = Array.isArray(body.batch) ? body.batch : [body];
    const now = Date.now();
    if (count === 0) first = performance.now();
    count += messages.length;
    last = performance.now();
    for (const m of messages) if (m.properties && m.properties.phase === 'latency') latencies.push(now - Date.parse(m.timestamp));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'reset') { count = 0; first = 0; last = 0; latencies = []; parentPort.postMessage({ reset: true }); }
  if (m === 'stats') parentPort.postMessage({ count, first, last, latencies });
  if (m === 'close') server.close(() => parentPort.postMessage({ closed: true }));
});
`;

interface ReceiverStats {
  count: number;
  /** performance.now() in the worker (its own origin): only differences are meaningful. */
  first: number;
  last: number;
  latencies: number[];
}

class ReceiverThread {
  private constructor(
    private readonly worker: Worker,
    readonly port: number,
  ) {}

  static start(): Promise<ReceiverThread> {
    const worker = new Worker(RECEIVER, { eval: true });
    return new Promise((resolve) => worker.once('message', (m: { port: number }) => resolve(new ReceiverThread(worker, m.port))));
  }

  private ask<T>(message: string): Promise<T> {
    return new Promise((resolve) => {
      this.worker.once('message', (m: T) => resolve(m));
      this.worker.postMessage(message);
    });
  }

  stats(): Promise<ReceiverStats> {
    return this.ask<ReceiverStats>('stats');
  }

  async reset(): Promise<void> {
    await this.ask('reset');
  }

  async until(count: number): Promise<ReceiverStats> {
    for (;;) {
      const s = await this.stats();
      if (s.count >= count) return s;
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    await this.ask('close');
    await this.worker.terminate();
  }
}

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, (err, result) => (err === null ? resolve(result) : reject(err))));
}

// ---- workload ----

function transition(i: number, phase: string, at: string): Transition & { send: SendPayload } {
  const userId = `user-${i % 50_000}`;
  const instance = `${userId}/bench/${1 + Math.floor(i / 50_000)}`;
  return {
    id: sha256Hex(`bench:1:${instance}:${phase}:${i}`),
    journey: 'bench', version: 1, instance, seq: 1, userId, from: null, to: 'nudge', reason: 'entry', at,
    cause: { messageId: `m-${i}`, event: 'Product Added' },
    send: { to: ['hook'], event: 'Cart Abandoned', traits: { plan: 'pro', phase } },
    context: { 'Product Added': { cart_id: `cart-${i}`, sku: 'SKU-123', price: 29.99, quantity: 2 } },
  };
}

function topologies(url: string, batchSize: number, concurrency: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-bench-sink-'));
  writeFileSync(join(dir, 'destinations.yaml'), `destinations:\n  - id: hook\n    type: webhook\n    url: ${url}\n    format: segment-track\n    batchSize: ${batchSize}\n    lingerMs: 5\n    concurrency: ${concurrency}\n    timeoutMs: 30000\n`);
  writeFileSync(join(dir, 'bench.journey.yaml'), 'journey: bench\nentry: { event: Product Added }\nsteps:\n  - id: nudge\n    send: { to: [hook], event: Cart Abandoned, traits: [plan, phase] }\n');
  return dir;
}

// ---- (1) the raw loop ----

async function rawLoop(port: number, messages: JsonObject[], batchSize: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/raw', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
  const workerLoop = async () => {
    for (;;) {
      const start = next;
      if (start >= messages.length) return;
      next += batchSize;
      const batch = messages.slice(start, start + batchSize);
      await post(JSON.stringify(batchSize === 1 ? batch[0] : { batch }));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, workerLoop));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return seconds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '200000' },
      partitions: { type: 'string', default: '4' },
      'batch-size': { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '8' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '10' },
      'no-write': { type: 'boolean', default: false },
      /** Leave the transitions topic (printed) for further experiments. */
      keep: { type: 'boolean', default: false },
      /** Write a V8 CPU profile of the sink throughput phase only (node:inspector) to this file. */
      profile: { type: 'string' },
    },
  });
  const records = Number(values.records);
  const partitions = Number(values.partitions);
  const batchSize = Number(values['batch-size']);
  const concurrency = Number(values.concurrency);
  const rate = Number(values.rate);
  const latencySeconds = Number(values.seconds);

  const { avroTransitionEncoder, loadDefinitions, Sink } = await sinkModules();
  const infra = await acquireInfra();
  const receiver = await ReceiverThread.start();
  const kafka = new Kafka({ clientId: 'bench-sink', brokers: infra.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const name = `bench-sink-${process.pid}-${Date.now().toString(36)}`;
  const topic = `${name}.transitions`;
  const dir = topologies(`http://127.0.0.1:${receiver.port}/hook`, batchSize, concurrency);
  let sink: Sink | null = null;
  try {
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: partitions, replicationFactor: 1 }]);
    const encoder = await avroTransitionEncoder(new SchemaRegistry({ host: infra.state.registryUrl }), `${topic}-value`);

    // (1) raw loop, same messages as the sink will send.
    const at = new Date().toISOString();
    const rawMessages = Array.from({ length: records }, (_, i) => formatSend(transition(i, 'raw', at), 'segment-track'));
    await rawLoop(receiver.port, rawMessages.slice(0, Math.min(records, 20_000)), batchSize, concurrency); // warm-up
    await receiver.reset();
    const rawCpuStart = process.cpuUsage();
    const rawSeconds = await rawLoop(receiver.port, rawMessages, batchSize, concurrency);
    const rawCpuUsage = process.cpuUsage(rawCpuStart);
    const rawCpu = (rawCpuUsage.user + rawCpuUsage.system) / 1e6;
    const rawCount = (await receiver.stats()).count;
    const rawRate = rawCount / rawSeconds;
    progress(`raw loop: ${fmt(rawCount)} messages in ${rawSeconds.toFixed(2)} s: ${fmt(rawRate)}/s (CPU ${rawCpu.toFixed(2)} s, load ${load().join(' ')})`);
    await receiver.reset();

    // (2) sink throughput over a backlog.
    progress(`producing ${fmt(records)} transitions (Avro) to ${topic}`);
    for (let i = 0; i < records; i += 2000) {
      const n = Math.min(2000, records - i);
      await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, k) => { const t = transition(i + k, 'throughput', at); return { key: t.userId, value: encoder.encode(t) }; }) });
    }
    const metrics = new SinkMetrics();
    const session = values.profile === undefined ? null : new Session();
    if (session !== null) {
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.start');
    }
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    sink = await Sink.start({
      definitions: loadDefinitions(dir), topologies: dir, brokers: infra.brokers, registryUrl: infra.state.registryUrl, transitionsTopic: topic,
      group: name, dlqTopicPrefix: `${name}.dlq.`, logger: silentLogger(), sensors: metrics, partitionConcurrency: partitions,
    });
    const tp = await receiver.until(records);
    const wallFromStart = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    if (session !== null && values.profile !== undefined) {
      const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
      writeFileSync(values.profile, JSON.stringify(profile));
      session.disconnect();
      progress(`CPU profile of the sink phase written to ${values.profile}`);
    }
    const sinkCpu = (cpu.user + cpu.system) / 1e6;
    const steadySeconds = (tp.last - tp.first) / 1000;
    const sinkRate = records / steadySeconds;
    progress(`sink: ${fmt(records)} deliveries, first→last ${steadySeconds.toFixed(2)} s: ${fmt(sinkRate)}/s (${wallFromStart.toFixed(2)} s from start, CPU ${sinkCpu.toFixed(2)} s, load ${load().join(' ')})`);
    await receiver.reset();

    // (3) latency at a steady rate, the sink caught up.
    progress(`latency: ${fmt(rate)} transitions/s for ${latencySeconds} s`);
    const total = rate * latencySeconds;
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + perTick);
      if (due > sent) {
        const now = new Date().toISOString();
        const batch = Array.from({ length: due - sent }, (_, k) => transition(records + sent + k, 'latency', now));
        sent = due;
        await producer.send({ topic, acks: -1, messages: batch.map((t) => ({ key: t.userId, value: encoder.encode(t) })) });
      }
      await sleep(tickMs);
    }
    const lat = await receiver.until(total);
    const sorted = Float64Array.from(lat.latencies).sort();
    const latency = { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, samples: sorted.length };
    progress(`latency: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms`);

    const results = {
      date: new Date().toISOString(),
      machine: machine(),
      setup: { records, partitions, batchSize, concurrency, lingerMs: 5, format: 'segment-track', transitions: 'Avro (Confluent framing)', receiver: 'node:http in a worker thread, JSON.parse of every body' },
      raw: { messages: rawCount, seconds: round(rawSeconds, 3), deliveriesPerSecond: Math.round(rawRate), cpuSeconds: round(rawCpu, 2), cpuMicrosPerMessage: round((rawCpu / rawCount) * 1e6, 1) },
      sink: {
        deliveries: records, firstToLastSeconds: round(steadySeconds, 3), deliveriesPerSecond: Math.round(sinkRate), secondsFromStart: round(wallFromStart, 3),
        cpuSeconds: round(sinkCpu, 2), cpuMicrosPerDelivery: round((sinkCpu / records) * 1e6, 1),
      },
      ratio: round(sinkRate / rawRate, 2),
      /** Raw loop CPU per message / sink CPU per delivery (process CPU, receiver thread included in both): less sensitive to a busy machine. */
      cpuRatio: round(rawCpu / rawCount / (sinkCpu / records), 2),
      loadAverage: load(),
      latency: { ratePerSecond: rate, seconds: latencySeconds, p50Ms: latency.p50, p99Ms: latency.p99, maxMs: latency.max, samples: latency.samples },
      targets: 'sink >= 10,000 deliveries/s and >= 0.5x the raw loop',
    };
    const rows: [string, string][] = [
      ['machine', `${results.machine.cpu}, ${results.machine.cores} cores, node ${results.machine.node}`],
      ['setup', `${fmt(records)} send transitions (Avro, ${partitions} partitions), webhook segment-track, batchSize ${batchSize}, concurrency ${concurrency}`],
      ['raw HTTP loop (same server, same batches)', `${fmt(rawRate)} messages/s`],
      ['sink (consume, decode, route, format, POST, commit)', `${fmt(sinkRate)} deliveries/s (first→last ${steadySeconds.toFixed(2)} s; ${wallFromStart.toFixed(2)} s from start incl. group join)`],
      ['ratio sink / raw (target ≥ 0.5)', `${results.ratio.toFixed(2)} wall; ${results.cpuRatio.toFixed(2)} CPU (raw ${results.raw.cpuMicrosPerMessage} µs/message, sink ${results.sink.cpuMicrosPerDelivery} µs/delivery, process CPU incl. the receiver thread)`],
      ['load average (1/5/15 min)', results.loadAverage.join(' / ')],
      [`latency at ${fmt(rate)}/s: transition → delivered`, `p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (${fmt(latency.samples)} samples)`],
    ];
    process.stdout.write(`\n| sink benchmark | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n\n`);
    if (!values['no-write']) {
      mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
      writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
      process.stdout.write(`written to ${RESULTS}\n`);
    }
  } finally {
    await sink?.stop();
    await producer.disconnect();
    if (values.keep) progress(`kept ${topic}`);
    else await admin.deleteTopics({ topics: [topic, `${name}.dlq.hook`] }).catch(() => undefined);
    await admin.disconnect();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
    await infra.release();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
