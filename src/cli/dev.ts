// `journeys dev` (`npm run dev`): the whole product on a local default. Creates the topics, runs the
// processor (event clock) and the sinks on the journeys in topologies/, a local webhook receiver that prints
// what it gets, and a demo producer sending sessions of Segment messages for a few hundred users with an
// accelerated event clock (hours pass in seconds). Shows progress; Ctrl-C stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { loadDefinitions } from '../definitions';
import { generateWorkload } from '../demo/workload';
import { createTopics } from '../kafka/admin-topics';
import { KeyPartitioner } from '../kafka/partitioner';
import { TOPIC_FLAGS, TOPIC_FLAGS_USAGE, topicNamesFromFlags } from '../kafka/topics';
import { CONNECTION_FLAGS, resolveConnection } from './connection';

const BIN = resolve(__dirname, '..', '..', 'bin', 'journeys.js');

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

function startChild(name: string, args: string[], logDir: string, env: Record<string, string> = {}): Child {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JOURNEYS_LOG_LEVEL: process.env.JOURNEYS_LOG_LEVEL ?? 'info', ...env } });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { name, proc, exited };
}

/** Sums a Prometheus counter by one label from a /metrics text. */
function sumBy(text: string, metric: string, label: string, filter: (line: string) => boolean = () => true): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${metric}\\{([^}]*)\\} ([0-9.e+-]+)$`);
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m || !filter(line)) continue;
    const value = new RegExp(`${label}="([^"]*)"`).exec(m[1] ?? '')?.[1];
    if (value !== undefined) out.set(value, (out.get(value) ?? 0) + Number(m[2]));
  }
  return out;
}

async function scrape(port: number): Promise<string> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    return '';
  }
}

function receiver(port: number, onMessage: (path: string, body: unknown) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        const batch = typeof body === 'object' && body !== null && 'batch' in body ? (body as { batch: unknown[] }).batch : [body];
        for (const m of batch) onMessage(req.url ?? '/', m);
        res.writeHead(200).end('{"ok":true}');
      } catch {
        res.writeHead(400).end('{"ok":false}');
      }
    });
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res(server));
  });
}

function describe(m: unknown): string {
  if (typeof m !== 'object' || m === null) return String(m);
  const r = m as { type?: string; event?: string; userId?: string; traits?: Record<string, unknown>; journey?: string; to?: string };
  if (r.type === 'track') return `track "${r.event ?? ''}" ${r.userId ?? ''}`;
  if (r.type === 'identify') return `identify ${r.userId ?? ''} ${JSON.stringify(r.traits ?? {})}`;
  if (r.journey !== undefined) return `transition ${r.journey} → ${r.to ?? ''} ${r.userId ?? ''}`;
  return JSON.stringify(m).slice(0, 120);
}

const USAGE = `usage: journeys dev [--topologies <dir>] [--users N] [--rate N] [--receiver-port N] [--state-dir <dir>] [--duration <seconds>]
                   [--processor-metrics-port N] [--sink-metrics-port N] [--bootstrap host:port] [--registry url]
                   ${TOPIC_FLAGS_USAGE}
  Creates the topics, runs the processor (event clock), the sinks, a local webhook receiver and a demo producer;
  Ctrl-C stops everything.`;

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CONNECTION_FLAGS, ...TOPIC_FLAGS,
      topologies: { type: 'string', default: 'topologies' },
      users: { type: 'string', default: '300' },
      rate: { type: 'string', default: '40' },
      'receiver-port': { type: 'string', default: '8099' },
      'state-dir': { type: 'string', default: '.journeys-dev' },
      duration: { type: 'string' },
      'processor-metrics-port': { type: 'string', default: '9464' },
      'sink-metrics-port': { type: 'string', default: '9465' },
    },
    strict: true,
  });
  const definitions = loadDefinitions(values.topologies);
  const conn = resolveConnection(values, true);
  const topics = topicNamesFromFlags(values);
  const group = values.group ?? 'journeys';
  const stateDir = resolve(values['state-dir']);
  mkdirSync(stateDir, { recursive: true });
  const out = (line: string) => process.stdout.write(line + '\n');

  const kafka = new Kafka({ clientId: 'journeys-dev', brokers: conn.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const registry = new SchemaRegistry({ host: conn.registryUrl as string });
  const created = await createTopics(admin, registry, topics, { partitions: 4, replicationFactor: 1, definitions });
  await admin.disconnect();
  out(`topics: ${created.created.length} created, ${created.existing.length} already there (events: ${topics.events}, transitions: ${topics.transitions})`);

  let received = 0;
  const server = await receiver(Number(values['receiver-port']), (path, m) => {
    received++;
    out(`  [webhook ${path}] ${describe(m)}`);
  });
  out(`webhook receiver on http://127.0.0.1:${values['receiver-port']}/<destination> (destinations.yaml points there)`);

  const common = ['--topologies', values.topologies, '--bootstrap', conn.brokers.join(','), '--registry', conn.registryUrl as string, '--group', group,
    '--events-topic', topics.events, '--traits-topic', topics.traits, '--transitions-topic', topics.transitions, '--dlq-topic', topics.dlq, '--changelog-topic', topics.changelog];
  // Webhooks that sign their requests need their secret: demo ones where the environment has none.
  const secrets: Record<string, string> = {};
  for (const d of definitions.destinations.values()) {
    if (d.type === 'webhook' && d.secretEnv !== null && !process.env[d.secretEnv]) secrets[d.secretEnv] = 'journeys-dev-secret';
  }
  if (Object.keys(secrets).length > 0) out(`demo webhook secrets set for the sinks: ${Object.keys(secrets).join(', ')}`);
  const processorPort = Number(values['processor-metrics-port']);
  const sinkPort = Number(values['sink-metrics-port']);
  const children = [
    startChild('processor', ['process', ...common, '--clock', 'event', '--state-dir', join(stateDir, 'state'), '--metrics-port', String(processorPort)], stateDir),
    startChild('sink', ['sink', '--topologies', values.topologies, '--bootstrap', conn.brokers.join(','), '--registry', conn.registryUrl as string, '--group', group,
      '--transitions-topic', topics.transitions, ...(values['dlq-topic-prefix'] === undefined ? [] : ['--dlq-topic-prefix', values['dlq-topic-prefix']]),
      '--metrics-port', String(sinkPort), '--retry-initial-ms', '200', '--retry-max-ms', '2000'], stateDir, secrets),
  ];
  out(`processor (event clock, metrics :${processorPort}) and sinks (metrics :${sinkPort}) started; logs in ${stateDir}/*.log`);

  // Sessions of Segment messages from now on, the event clock running about an hour ahead per second.
  const users = Number(values.users);
  const workload = generateWorkload(definitions, { users, messages: 200_000, start: new Date().toISOString(), stepMs: 90_000, seed: Date.now() % 100_000 });
  const producer = kafka.producer({ createPartitioner: KeyPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  let stopping = false;
  const stop = new Promise<void>((res) => {
    const done = () => {
      stopping = true;
      res();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (values.duration !== undefined) setTimeout(done, Number(values.duration) * 1000).unref();
  });

  let sent = 0;
  const startedAt = Date.now();
  const rate = Number(values.rate);
  const progress = setInterval(() => {
    void (async () => {
      const transitions = sumBy(await scrape(processorPort), 'journeys_transitions_total', 'journey');
      const deliveries = sumBy(await scrape(sinkPort), 'journeys_sink_deliveries_total', 'destination', (l) => l.includes('outcome="delivered"'));
      const total = [...transitions.values()].reduce((a, b) => a + b, 0);
      const top = [...transitions].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([j, n]) => `${j} ${n}`).join(', ');
      const last = workload.messages[Math.max(0, sent - 1)]?.timestamp;
      const clock = typeof last === 'string' ? last : '';
      out(`== ${Math.round((Date.now() - startedAt) / 1000)}s: ${sent} messages sent (event time ${clock}), ${total} transitions (${top}), ` +
        `deliveries ${[...deliveries].map(([d, n]) => `${d} ${n}`).join(', ') || '0'}, webhook received ${received}`);
    })();
  }, 3000);

  while (!stopping && sent < workload.messages.length) {
    const chunk = workload.messages.slice(sent, sent + Math.max(1, Math.round(rate / 4)));
    await producer.sendBatch({
      topicMessages: [
        { topic: topics.events, messages: chunk.filter((m) => m.type !== 'identify').map((m) => ({ key: m.userId as string, value: JSON.stringify(m) })) },
        { topic: topics.traits, messages: chunk.filter((m) => m.type === 'identify').map((m) => ({ key: m.userId as string, value: JSON.stringify(m) })) },
      ].filter((t) => t.messages.length > 0),
    });
    sent += chunk.length;
    await Promise.race([stop, sleep(250)]);
  }
  await stop;
  out('stopping: producer, processor, sinks, receiver');
  clearInterval(progress);
  await producer.disconnect();
  for (const c of children) c.proc.kill('SIGTERM');
  const codes = await Promise.all(children.map((c) => c.exited));
  await new Promise<void>((res) => server.close(() => res()));
  children.forEach((c, i) => out(`${c.name} exited with ${String(codes[i])}`));
  return codes.every((c) => c === 0) ? 0 : 1;
}

export const command = { summary: 'run everything locally: topics, processor, sinks, a webhook receiver and a demo producer', usage: USAGE, run };
