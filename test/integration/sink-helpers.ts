// Helpers for sink tests against the real broker: a topologies folder pointing at a local receiver, transition
// records built by hand per spec §5, produced in Avro or JSON, and the messages each destination must get.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { avroTransitionEncoder, jsonTransitionEncoder } from '../../src/codecs/transition-codec';
import type { JsonObject } from '../../src/definitions/model';
import { formatExit, formatSend } from '../../src/destinations/formats';
import type { SendPayload, Transition, TransitionReason } from '../../src/engine/transition';
import { sha256Hex } from '../../src/lib/hash';
import { connectedAdmin, connectedProducer, createTopics, infra, kafkaClient, schemaRegistry, uniqueName } from '../helpers/kafka';

export const ROOT = resolve(__dirname, '..', '..');
export const SECRET_ENV = 'SINK_TEST_CRM_SECRET';
export const SECRET = 'crm-s3cret';

export interface TopologyOptions {
  /** Receiver base URL, e.g. http://127.0.0.1:1234 */
  base: string;
  warehouseTopic: string;
  crm?: Record<string, string | number>;
  ads?: Record<string, string | number>;
}

/** A journey with two send steps and an exit send, and three destinations: crm (track), ads (identify, batched), warehouse (kafka). */
export function writeTopologies(o: TopologyOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-sink-'));
  const keys = (x: Record<string, string | number>) => Object.entries(x).map(([k, v]) => `    ${k}: ${v}\n`).join('');
  writeFileSync(
    join(dir, 'destinations.yaml'),
    `destinations:
  - id: crm
    type: webhook
    url: ${o.base}/crm
    format: segment-track
    secretEnv: ${SECRET_ENV}
${keys({ timeoutMs: 5000, maxAttempts: 20, ...o.crm })}  - id: ads
    type: webhook
    url: ${o.base}/ads
    format: segment-identify
${keys({ batchSize: 10, lingerMs: 20, ...o.ads })}    headers:
      X-Audience-Source: journeys-test
  - id: warehouse
    type: kafka
    topic: ${o.warehouseTopic}
    format: transition
`,
  );
  writeFileSync(
    join(dir, 'cart.journey.yaml'),
    `journey: cart
version: 2
entry:
  event: Product Added
exit:
  events:
    - event: Order Completed
  send: { to: [warehouse] }
steps:
  - id: nudge
    send: { to: [crm, ads], event: Cart Abandoned, traits: [plan] }
  - id: hold
    wait: 1h
  - id: last-call
    send: { to: [crm] }
`,
  );
  return dir;
}

function transition(userId: string, seq: number, from: string | null, to: string, reason: TransitionReason, at: string, extra: { send?: SendPayload; sent?: string[] } = {}): Transition {
  const instance = `${userId}/cart/1`;
  return {
    id: sha256Hex(`cart:2:${instance}:${seq}`), journey: 'cart', version: 2, instance, seq, userId, from, to, reason, at,
    cause: to === 'nudge' ? { messageId: `m-${userId}`, event: 'Product Added' } : to === '$exit' ? { messageId: `o-${userId}`, event: 'Order Completed' } : null,
    context: { 'Product Added': { cart_id: `c-${userId}`, total: 30 } },
    ...extra,
  };
}

/**
 * A user who completes (both sends) or, with `exits`, leaves after the first send by an exit rule (exit send to
 * warehouse, `sent: [nudge]`): 4 records either way.
 */
export function userTransitions(userId: string, exits: boolean, day = 1): Transition[] {
  const d = String(day).padStart(2, '0');
  const nudge = transition(userId, 1, null, 'nudge', 'entry', `2026-01-${d}T10:00:00.000Z`, { send: { to: ['crm', 'ads'], event: 'Cart Abandoned', traits: { plan: 'pro' } } });
  const hold = transition(userId, 2, 'nudge', 'hold', 'next', `2026-01-${d}T10:00:00.000Z`);
  if (exits) {
    const exit = transition(userId, 3, 'hold', '$exit', 'exit-rule', `2026-01-${d}T10:30:00.000Z`, { send: { to: ['warehouse'], event: 'Journey Exited', traits: {} }, sent: ['nudge'] });
    exit.context = { ...exit.context, 'Order Completed': { total: 30 } };
    return [nudge, hold, exit];
  }
  const last = transition(userId, 3, 'hold', 'last-call', 'wait', `2026-01-${d}T11:00:00.000Z`, { send: { to: ['crm'], event: 'last-call', traits: {} } });
  const done = transition(userId, 4, 'last-call', '$complete', 'end', `2026-01-${d}T11:00:00.000Z`);
  return [nudge, hold, last, done];
}

export interface Expected {
  crm: JsonObject[];
  ads: JsonObject[];
  warehouse: JsonObject[];
}

/** What each destination must receive for these records (spec §6), written out without the router. */
export function expectedMessages(transitions: Transition[]): Expected {
  const out: Expected = { crm: [], ads: [], warehouse: [] };
  for (const t of transitions) {
    if (t.send !== undefined) {
      const withSend = t as Transition & { send: SendPayload };
      if (t.send.to.includes('crm')) out.crm.push(formatSend(withSend, 'segment-track'));
      if (t.send.to.includes('ads')) out.ads.push(formatSend(withSend, 'segment-identify'));
      if (t.send.to.includes('warehouse')) out.warehouse.push(formatSend(withSend, 'transition'));
    }
    if (t.to === '$exit' && (t.sent ?? []).includes('nudge')) {
      out.crm.push(formatExit(t, ['nudge'], 'segment-track'));
      out.ads.push(formatExit(t, ['nudge'], 'segment-identify'));
    }
  }
  return out;
}

/** A message's id (messageId, or id for a transition record). */
export const idOf = (m: JsonObject): string => {
  const id = m.messageId ?? m.id;
  return typeof id === 'string' ? id : '';
};

export const byMessageId = (a: JsonObject, b: JsonObject): number => idOf(a).localeCompare(idOf(b));

export interface SinkEnv {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  transitionsTopic: string;
  warehouseTopic: string;
  group: string;
  dlqPrefix: string;
  close(): Promise<void>;
}

export async function sinkEnv(partitions = 3): Promise<SinkEnv> {
  const name = uniqueName('sink');
  const kafka = kafkaClient();
  const admin = await connectedAdmin(kafka);
  const transitionsTopic = `${name}.transitions`;
  const warehouseTopic = `${name}.warehouse`;
  await createTopics(admin, [{ topic: transitionsTopic, partitions }, { topic: warehouseTopic }]);
  const producer = await connectedProducer(kafka);
  return {
    kafka, admin, producer, transitionsTopic, warehouseTopic, group: name, dlqPrefix: `${name}.dlq.`,
    close: async () => {
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

/** Produces records keyed by userId, Avro (Confluent framing, registered under `<topic>-value`) or JSON. */
export async function produceTransitions(env: SinkEnv, transitions: Transition[], format: 'avro' | 'json'): Promise<void> {
  const encoder = format === 'json' ? jsonTransitionEncoder : await avroTransitionEncoder(schemaRegistry(), `${env.transitionsTopic}-value`);
  for (let i = 0; i < transitions.length; i += 500) {
    await env.producer.send({
      topic: env.transitionsTopic,
      acks: -1,
      messages: transitions.slice(i, i + 500).map((t) => ({ key: t.userId, value: encoder.encode(t) })),
    });
  }
}

/** The committed offsets of a group equal the topic's end offsets (everything settled). */
export async function committedToEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
  return ends.every((e) => e.high === '0' || byPartition.get(e.partition) === e.high);
}

// ---- the built CLI as a child process ----

export const BIN = join(ROOT, 'bin', 'journeys.js');

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'sink.js'))) throw new Error('dist/ is not built: run `npm run build` (npm test does it first)');
}

export interface Child {
  proc: ChildProcess;
  stderr: string[];
  stdout: string[];
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Resolves once a log line matching `pattern` was written; returns it parsed. */
  untilLog(pattern: RegExp): Promise<Record<string, unknown>>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, JOURNEYS_LOG_LEVEL: 'info', [SECRET_ENV]: SECRET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  const stdout: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    stderr.push(...lines);
    for (const w of [...waiters]) w();
  });
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  const exited = new Promise<number | string>((resolveExit) => proc.on('exit', (code, signal) => {
    for (const w of [...waiters]) w();
    resolveExit(code ?? signal ?? -1);
  }));
  const untilLog = (pattern: RegExp) =>
    new Promise<Record<string, unknown>>((resolveLine, reject) => {
      const check = () => {
        const line = stderr.find((l) => pattern.test(l));
        if (line !== undefined) {
          waiters.delete(check);
          resolveLine(JSON.parse(line) as Record<string, unknown>);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          waiters.delete(check);
          reject(new Error(`journeys exited (${proc.exitCode ?? proc.signalCode}) before logging ${pattern}:\n${stderr.join('\n')}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { proc, stderr, stdout, exited, untilLog };
}

export function connectionArgs(): string[] {
  return ['--bootstrap', infra().bootstrap, '--registry', infra().registryUrl];
}
