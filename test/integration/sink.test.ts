// The sink against the real broker and a local HTTP receiver, in process: exactly the expected Segment
// payloads per destination (Avro and JSON records), the $exit "user left" messages, retries (500, 429 with
// Retry-After, a hang past the timeout), 400 to the dead-letter topic then `dlq replay`, and a destination
// that answers nothing not delaying another.
import { createHmac } from 'node:crypto';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { loadDefinitions } from '../../src/definitions';
import type { JsonObject } from '../../src/definitions/model';
import { SENT_TO_HEADER, sentToHeader } from '../../src/codecs/sent-to-header';
import { jsonTransitionEncoder } from '../../src/codecs/transition-codec';
import { formatExit } from '../../src/destinations/formats';
import { createConnector } from '../../src/destinations/registry';
import { TRANSITION_ID_HEADER } from '../../src/destinations/kafka/connector';
import { batchIdempotencyKey } from '../../src/destinations/webhook/connector';
import { ErrorCodes } from '../../src/errors';
import { Simulator } from '../../src/engine/simulator';
import type { Transition } from '../../src/engine/transition';
import { parseMessage } from '../../src/ingest/message';
import { brokerList } from '../../src/kafka/infra-state';
import { sha256Hex } from '../../src/lib/hash';
import { silentLogger } from '../../src/observability/logger';
import { SinkMetrics } from '../../src/observability/sink-metrics';
import { DLQ_HEADERS, readDeadLetter } from '../../src/sinks/dead-letter';
import { replayDeadLetters, replayGroupId } from '../../src/sinks/replay';
import { Sink, sinkGroupId } from '../../src/sinks/sink';
import { consumeUntil, infra, schemaRegistry } from '../helpers/kafka';
import { NEVER, OK, Receiver } from './destinations/receiver';
import {
  byMessageId, committedToEnd, idOf, expectedMessages, produceTransitions, SECRET, SECRET_ENV, sinkEnv, userTransitions, writeTopologies,
  type SinkEnv,
} from './sink-helpers';

const RETRY = { initialMs: 20, maxMs: 200 };

let env: SinkEnv;
let receiver: Receiver;
const sinks: Sink[] = [];

beforeEach(async () => {
  env = await sinkEnv();
  receiver = await Receiver.start();
});

afterEach(async () => {
  for (const s of sinks.splice(0)) await s.stop();
  await receiver.close();
  await env.close();
});

async function startSink(topologies: string, o: { destinations?: string[]; metrics?: SinkMetrics } = {}): Promise<Sink> {
  const sink = await Sink.start({
    definitions: loadDefinitions(topologies),
    topologies,
    ...(o.destinations === undefined ? {} : { destinations: o.destinations }),
    brokers: brokerList(infra()),
    registryUrl: infra().registryUrl,
    transitionsTopic: env.transitionsTopic,
    group: env.group,
    dlqTopicPrefix: env.dlqPrefix,
    retry: RETRY,
    sessionTimeoutMs: 6000,
    env: { [SECRET_ENV]: SECRET },
    logger: silentLogger(),
    ...(o.metrics === undefined ? {} : { sensors: o.metrics }),
  });
  sinks.push(sink);
  return sink;
}

const messagesOf = (path: string): JsonObject[] => receiver.accepted(path).map((a) => a.message as JsonObject);

/** Distinct messages by messageId; fails if a duplicate differs from the first copy or came with another key. */
function distinct(path: string): JsonObject[] {
  const seen = new Map<string, { message: JsonObject; key: string }>();
  for (const a of receiver.accepted(path)) {
    const id = idOf(a.message as JsonObject);
    const first = seen.get(id);
    if (first === undefined) seen.set(id, { message: a.message as JsonObject, key: a.key });
    else {
      expect(a.message).toEqual(first.message);
      expect(a.key).toBe(first.key);
    }
  }
  return [...seen.values()].map((v) => v.message).sort(byMessageId);
}

test('every destination gets exactly its messages, from Avro and JSON records, including the $exit user-left messages', async () => {
  const avroUsers = ['u1', 'u2', 'u3'].map((u, i) => userTransitions(u, i === 1));
  const jsonUsers = ['u4', 'u5'].map((u, i) => userTransitions(u, i === 0));
  await produceTransitions(env, avroUsers.flat(), 'avro');
  await produceTransitions(env, jsonUsers.flat(), 'json');
  const all = [...avroUsers, ...jsonUsers].flat();
  const expected = expectedMessages(all);
  // 5 users: 3 complete (2 crm sends each), 2 exit (1 crm send + 1 user-left each).
  expect([expected.crm.length, expected.ads.length, expected.warehouse.length]).toEqual([10, 7, 2]);

  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  const metrics = new SinkMetrics();
  const sink = await startSink(topologies, { metrics });
  await receiver.until(() => messagesOf('/crm').length >= 10 && messagesOf('/ads').length >= 7);
  const warehouse = await consumeUntil(env.kafka, env.warehouseTopic, (rs) => rs.length >= 2);

  // Exactly once each here (no failures): no duplicates at all.
  expect(messagesOf('/crm').sort(byMessageId)).toEqual(expected.crm.sort(byMessageId));
  expect(messagesOf('/ads').sort(byMessageId)).toEqual(expected.ads.sort(byMessageId));
  expect(warehouse.map((r) => JSON.parse(r.message.value!.toString()) as JsonObject).sort(byMessageId)).toEqual(expected.warehouse.sort(byMessageId));

  // One payload written out by hand: u2's user-left track to crm.
  const exit = all.find((t) => t.userId === 'u2' && t.to === '$exit')!;
  expect(messagesOf('/crm').find((m) => m.messageId === `${exit.id}-exit`)).toEqual({
    type: 'track', event: 'Audience Exited', userId: 'u2', messageId: `${exit.id}-exit`, timestamp: '2026-01-01T10:30:00.000Z',
    properties: {
      journey_context: { 'Product Added': { cart_id: 'c-u2', total: 30 }, 'Order Completed': { total: 30 } },
      journey_metadata: { journey_id: 'cart', journey_version: 2, step_id: '$exit', instance_id: 'u2/cart/1' },
      j_o_cart__nudge: false,
    },
  });

  // crm: one message per request, its id as Idempotency-Key, signed.
  for (const r of receiver.requestsTo('/crm')) {
    const body = JSON.parse(r.body) as JsonObject;
    expect(r.headers['idempotency-key']).toBe(body.messageId);
    const ts = String(r.headers['x-journeys-timestamp']);
    expect(r.headers['x-journeys-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`);
    expect(r.headers['x-signature']).toBe(createHmac('sha256', SECRET).update(r.body).digest('hex'));
    expect(r.headers['content-type']).toBe('application/json');
  }
  // ads: {"batch": [...]} bodies, keyed by the hash of their ids, custom header, unsigned.
  for (const r of receiver.requestsTo('/ads')) {
    const { batch } = JSON.parse(r.body) as { batch: JsonObject[] };
    expect(r.headers['idempotency-key']).toBe(batchIdempotencyKey(batch.map(idOf)));
    expect(r.headers['x-audience-source']).toBe('journeys-test');
    expect(r.headers['x-journeys-signature']).toBeUndefined();
    expect(r.headers['x-signature']).toBeUndefined();
  }
  // warehouse: keyed by userId, the id in a header.
  for (const r of warehouse) {
    const t = JSON.parse(r.message.value!.toString()) as JsonObject;
    expect(r.message.key?.toString()).toBe(t.userId);
    expect(String(r.message.headers?.[TRANSITION_ID_HEADER])).toBe(t.id);
  }

  await sink.stop();
  for (const d of ['crm', 'ads', 'warehouse']) expect(await committedToEnd(env.admin, sinkGroupId(env.group, d), env.transitionsTopic)).toBe(true);
  const deliveries = await metrics.deliveries.get();
  const delivered = (d: string) => deliveries.values.find((v) => v.labels.destination === d && v.labels.outcome === 'delivered')?.value;
  expect([delivered('crm'), delivered('ads'), delivered('warehouse')]).toEqual([10, 7, 2]);
  expect((await metrics.inFlight.get()).values.every((v) => v.value === 0)).toBe(true);
});

test("a user's messages arrive in order: a user-left message waits while the user's earlier send is retried", async () => {
  const users = ['a', 'b', 'c', 'd'];
  await produceTransitions(env, users.flatMap((u) => userTransitions(u, true)), 'json');
  // Each user's send fails once; meanwhile, with 4 requests in flight, the user-left message could go first.
  receiver.on('/crm', (req) => {
    const m = JSON.parse(req.body) as JsonObject;
    return m.event === 'Cart Abandoned' && req.headers['x-journeys-attempt'] === '1' ? { status: 500, body: 'oops' } : OK;
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { concurrency: 4 } });
  await startSink(topologies, { destinations: ['crm'] });
  await receiver.until(() => messagesOf('/crm').length >= 2 * users.length);
  for (const u of users) expect(messagesOf('/crm').filter((m) => m.userId === u).map((m) => m.event)).toEqual(['Cart Abandoned', 'Audience Exited']);
  expect(receiver.requestsTo('/crm').filter((r) => r.status === 500)).toHaveLength(users.length);
});

test("dlq replay keeps a user's messages in order too: the user-left message waits while the user's send is retried", async () => {
  const users = ['a', 'b', 'c', 'd'];
  await produceTransitions(env, users.flatMap((u) => userTransitions(u, true)), 'json');
  const mode = { refuse: true };
  receiver.on('/crm', (req) => {
    if (mode.refuse) return { status: 400, body: 'not now' };
    const m = JSON.parse(req.body) as JsonObject;
    return m.event === 'Cart Abandoned' && req.headers['x-journeys-attempt'] === '1' ? { status: 500, body: 'oops' } : OK;
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { concurrency: 4 } });
  const sink = await startSink(topologies, { destinations: ['crm'] });
  await consumeUntil(env.kafka, `${env.dlqPrefix}crm`, (rs) => rs.length >= 2 * users.length);
  await sink.stop();
  mode.refuse = false;
  const definitions = loadDefinitions(topologies);
  const report = await replayDeadLetters({
    kafka: env.kafka,
    connector: createConnector(definitions.destinations.get('crm')!, { logger: silentLogger(), env: { [SECRET_ENV]: SECRET }, retry: RETRY, brokers: brokerList(infra()) }),
    topic: `${env.dlqPrefix}crm`, groupId: replayGroupId(env.group, 'crm'), logger: silentLogger(),
  });
  expect(report).toEqual({ replayed: 2 * users.length, failed: 0, skipped: 0 });
  for (const u of users) expect(messagesOf('/crm').filter((m) => m.userId === u).map((m) => m.event)).toEqual(['Cart Abandoned', 'Audience Exited']);
});

test('500s for a while, a 429 with Retry-After and a hang past the timeout: retried until delivered, same Idempotency-Key', async () => {
  await produceTransitions(env, ['a', 'b', 'c', 'd'].flatMap((u) => userTransitions(u, false)), 'json');
  const expected = expectedMessages(['a', 'b', 'c', 'd'].flatMap((u) => userTransitions(u, false)));
  let n = 0;
  receiver.on('/crm', () => {
    n++;
    if (n <= 3) return { status: 500, body: 'oops' };
    if (n === 4) return { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' };
    if (n === 5) return NEVER;
    return OK;
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { timeoutMs: 400, concurrency: 1 } });
  const metrics = new SinkMetrics();
  await startSink(topologies, { destinations: ['crm'], metrics });
  await receiver.until(() => new Set(messagesOf('/crm').map((m) => m.messageId)).size >= expected.crm.length);
  expect(distinct('/crm')).toEqual(expected.crm.sort(byMessageId));

  const requests = receiver.requestsTo('/crm');
  expect(requests.slice(0, 5).map((r) => r.status)).toEqual([500, 500, 500, 429, null]);
  expect(requests[4]!.aborted).toBe(true);
  // Each message's attempts carry its id as Idempotency-Key, numbered 1, 2, ...; only the last one succeeded.
  const byKey = new Map<string, typeof requests>();
  for (const r of requests) byKey.set(String(r.headers['idempotency-key']), [...(byKey.get(String(r.headers['idempotency-key'])) ?? []), r]);
  expect([...byKey.keys()].sort()).toEqual(expected.crm.map(idOf).sort());
  for (const attempts of byKey.values()) {
    expect(attempts.map((r) => r.headers['x-journeys-attempt'])).toEqual(attempts.map((_, i) => String(i + 1)));
    expect(attempts.map((r) => r.status === 200)).toEqual(attempts.map((_, i) => i === attempts.length - 1));
  }
  // Retry-After: 1 was honoured: that message's next attempt came about a second later, not after a 20-200 ms backoff.
  const limited = byKey.get(String(requests[3]!.headers['idempotency-key']))!;
  const after = limited[limited.indexOf(requests[3]!) + 1]!;
  expect(after.at - requests[3]!.at).toBeGreaterThanOrEqual(950);
  expect((await metrics.retries.get()).values[0]?.value).toBe(5);
});

test('400: dead-lettered, the stream goes on; after the fix `dlq replay` delivers it, and a second replay sends nothing', async () => {
  const users = ['ok1', 'bad', 'ok2'];
  const transitions = users.flatMap((u) => userTransitions(u, false));
  await produceTransitions(env, transitions, 'avro');
  const expected = expectedMessages(transitions);
  const refuse = { on: true };
  receiver.on('/crm', (req) => (refuse.on && req.body.includes('"userId":"bad"') ? { status: 400, body: '{"error":"unknown user"}' } : OK));
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  const sink = await startSink(topologies, { destinations: ['crm'] });

  const dlqTopic = `${env.dlqPrefix}crm`;
  const dead = await consumeUntil(env.kafka, dlqTopic, (rs) => rs.length >= 2);
  await receiver.until(() => messagesOf('/crm').length >= 4);
  expect(messagesOf('/crm').map((m) => m.userId).sort()).toEqual(['ok1', 'ok1', 'ok2', 'ok2']);
  const read = dead.map((r) => readDeadLetter(r.message.key, r.message.value, r.message.headers));
  expect(read.map((d) => d.kind === 'delivery' && [d.message.userId, d.code, d.attempts, d.reason])).toEqual([
    ['bad', ErrorCodes.DELIVERY_REFUSED, 1, 'HTTP 400: {"error":"unknown user"}'],
    ['bad', ErrorCodes.DELIVERY_REFUSED, 1, 'HTTP 400: {"error":"unknown user"}'],
  ]);
  const badIds = expected.crm.filter((m) => m.userId === 'bad').map((m) => m.messageId).sort();
  expect(read.map((d) => (d.kind === 'delivery' ? d.message.id : null)).sort()).toEqual(badIds);
  expect(String(dead[0]!.message.headers?.[DLQ_HEADERS.sourceTopic])).toBe(env.transitionsTopic);
  await sink.stop();
  expect(await committedToEnd(env.admin, sinkGroupId(env.group, 'crm'), env.transitionsTopic)).toBe(true);

  const definitions = loadDefinitions(topologies);
  const replay = () =>
    replayDeadLetters({
      kafka: env.kafka,
      connector: createConnector(definitions.destinations.get('crm')!, { logger: silentLogger(), env: { [SECRET_ENV]: SECRET }, retry: RETRY, brokers: brokerList(infra()) }),
      topic: dlqTopic,
      groupId: replayGroupId(env.group, 'crm'),
      logger: silentLogger(),
    });

  // Still refused: failed again, back in the DLQ (with one replay counted).
  expect(await replay()).toEqual({ replayed: 0, failed: 2, skipped: 0 });
  const again = await consumeUntil(env.kafka, dlqTopic, (rs) => rs.length >= 4);
  expect(again.slice(2).map((r) => String(r.message.headers?.[DLQ_HEADERS.replays]))).toEqual(['1', '1']);

  refuse.on = false;
  expect(await replay()).toEqual({ replayed: 2, failed: 0, skipped: 0 });
  expect(distinct('/crm').filter((m) => m.userId === 'bad')).toEqual(expected.crm.filter((m) => m.userId === 'bad').sort(byMessageId));
  expect(await replay()).toEqual({ replayed: 0, failed: 0, skipped: 0 });
  expect(messagesOf('/crm').filter((m) => m.userId === 'bad')).toHaveLength(2);
});

test('records on the topic that are no transitions are dead-lettered with the reason, for every destination; the rest is delivered', async () => {
  const before = userTransitions('ok1', false);
  const after = userTransitions('ok2', false);
  await produceTransitions(env, before, 'json');
  // Valid JSON of another shape (they crashed every destination's consumer, and with it the sink), and a record
  // framed with the id of a registry subject that is no Avro schema.
  const { id: jsonSchemaId } = await schemaRegistry().register({ type: SchemaType.JSON, schema: JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }) }, { subject: `${env.transitionsTopic}-json-value` });
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from('{}')]);
  framed.writeUInt32BE(jsonSchemaId, 1);
  const bad = [Buffer.from('null'), Buffer.from('{"send":{}}'), Buffer.from('{"send":{"to":["crm"]},"userId":"x"}'), framed];
  await env.producer.send({ topic: env.transitionsTopic, acks: -1, messages: bad.map((value) => ({ key: 'x', value, partition: 0 })) });
  await produceTransitions(env, after, 'json');
  const expected = expectedMessages([...before, ...after]);
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  const sink = await startSink(topologies, { destinations: ['crm', 'ads'] });
  for (const d of ['crm', 'ads'] as const) {
    const dead = await consumeUntil(env.kafka, `${env.dlqPrefix}${d}`, (rs) => rs.length >= bad.length);
    const read = dead.map((r) => readDeadLetter(r.message.key, r.message.value, r.message.headers));
    expect(read.map((x) => x.kind === 'undecodable' && x.reason)).toEqual([
      'transition record: not a JSON object', 'transition record: id is not a string', 'transition record: id is not a string', `transition record: schema id ${jsonSchemaId} is not an Avro schema`,
    ]);
  }
  await receiver.until(() => messagesOf('/crm').length >= expected.crm.length && messagesOf('/ads').length >= expected.ads.length);
  expect(distinct('/crm')).toEqual(expected.crm.sort(byMessageId));
  expect(sink.health().ok).toBe(true);
});

test('a destination that answers nothing does not hold back another', async () => {
  const transitions = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].flatMap((u) => userTransitions(u, false));
  await produceTransitions(env, transitions, 'json');
  const expected = expectedMessages(transitions);
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  receiver.on('/crm', async () => {
    await gate;
    return OK;
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { timeoutMs: 120000 } });
  await startSink(topologies, { destinations: ['crm', 'ads'] });
  // ads gets everything while every crm request is still unanswered.
  await receiver.until(() => messagesOf('/ads').length >= expected.ads.length);
  expect(messagesOf('/ads').sort(byMessageId)).toEqual(expected.ads.sort(byMessageId));
  expect(receiver.inFlight('/crm')).toBeGreaterThan(0);
  expect(messagesOf('/crm')).toEqual([]);
  release();
  await receiver.until(() => messagesOf('/crm').length >= expected.crm.length);
  expect(distinct('/crm')).toEqual(expected.crm.sort(byMessageId));
});

test('records the engine wrote (Simulator over Segment messages): sends, the exit send and the user-left messages', async () => {
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  const transitions: Transition[] = [];
  const sim = new Simulator(loadDefinitions(topologies), {}, (t) => transitions.push(t));
  const push = (raw: JsonObject) => {
    const parsed = parseMessage(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    sim.push(parsed.message);
  };
  push({ type: 'identify', userId: 'ann', traits: { plan: 'pro' }, timestamp: '2026-03-01T09:00:00Z', messageId: 'i1' });
  push({ type: 'track', userId: 'ann', event: 'Product Added', properties: { cart_id: 'c1' }, timestamp: '2026-03-01T10:00:00Z', messageId: 'e1' });
  push({ type: 'track', userId: 'bob', event: 'Product Added', properties: { cart_id: 'c2' }, timestamp: '2026-03-01T10:05:00Z', messageId: 'e2' });
  push({ type: 'track', userId: 'bob', event: 'Order Completed', properties: { total: 12 }, timestamp: '2026-03-01T10:20:00Z', messageId: 'e3' });
  sim.advanceTo(Date.parse('2026-03-01T12:00:00Z'));
  // ann: nudge (send), hold, last-call (send), $complete; bob: nudge (send), hold, $exit (exit send, sent [nudge]).
  expect(transitions.map((t) => `${t.userId}:${t.to}`)).toEqual(['ann:nudge', 'ann:hold', 'bob:nudge', 'bob:hold', 'bob:$exit', 'ann:last-call', 'ann:$complete']);
  const bobExit = transitions.find((t) => t.userId === 'bob' && t.to === '$exit')!;
  expect([bobExit.send?.to, bobExit.sent]).toEqual([['warehouse'], ['nudge']]);

  await produceTransitions(env, transitions, 'avro');
  const expected = expectedMessages(transitions);
  expect([expected.crm.length, expected.ads.length, expected.warehouse.length]).toEqual([4, 3, 1]);
  await startSink(topologies);
  await receiver.until(() => messagesOf('/crm').length >= 4 && messagesOf('/ads').length >= 3);
  const warehouse = await consumeUntil(env.kafka, env.warehouseTopic, (rs) => rs.length >= 1);
  expect(messagesOf('/crm').sort(byMessageId)).toEqual(expected.crm.sort(byMessageId));
  expect(messagesOf('/ads').sort(byMessageId)).toEqual(expected.ads.sort(byMessageId));
  expect(warehouse.map((r) => JSON.parse(r.message.value!.toString()) as JsonObject)).toEqual(expected.warehouse);
  expect(messagesOf('/crm').find((m) => m.userId === 'ann' && m.event === 'Cart Abandoned')?.properties).toMatchObject({ plan: 'pro', j_o_cart__nudge: true });
  expect(messagesOf('/ads').find((m) => m.messageId === `${bobExit.id}-exit`)?.traits).toEqual({ j_o_cart__nudge: false });
});

test("an $exit's journeys-sent-to header (the instance's own version) says which destinations were sent to; without it, the loaded file does", async () => {
  // Loaded: cart v2, nudge → crm and ads. A v1 instance draining had sent from `welcome` (crm; v2 has no such
  // step) and `nudge` (ads only in v1). The loaded file alone would tell crm about nudge and nothing of welcome.
  const instance = 'd1/cart/1';
  const draining: Transition = {
    id: sha256Hex(`cart:1:${instance}:4`), journey: 'cart', version: 1, instance, seq: 4, userId: 'd1', from: 'hold', to: '$exit',
    reason: 'exit-rule', at: '2026-01-01T10:30:00.000Z', cause: { messageId: 'o-d1', event: 'Order Completed' },
    context: { 'Product Added': { cart_id: 'c-d1' } }, send: { to: ['warehouse'], event: 'Journey Exited', traits: {} }, sent: ['welcome', 'nudge'],
  };
  const [, , loaded] = userTransitions('d2', true);
  await env.producer.send({
    topic: env.transitionsTopic, acks: -1,
    messages: [
      { key: 'd1', value: jsonTransitionEncoder.encode(draining), headers: { [SENT_TO_HEADER]: sentToHeader(draining.sent!, new Map([['welcome', ['crm']], ['nudge', ['ads']]])) } },
      { key: 'd2', value: jsonTransitionEncoder.encode(loaded!) },
    ],
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  await startSink(topologies, { destinations: ['crm', 'ads'] });
  await receiver.until(() => messagesOf('/crm').length >= 2 && messagesOf('/ads').length >= 2);
  expect(distinct('/crm')).toEqual([formatExit(draining, ['welcome'], 'segment-track'), formatExit(loaded!, ['nudge'], 'segment-track')].sort(byMessageId));
  expect(distinct('/ads')).toEqual([formatExit(draining, ['nudge'], 'segment-identify'), formatExit(loaded!, ['nudge'], 'segment-identify')].sort(byMessageId));
});
