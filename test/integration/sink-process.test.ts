// `journeys sink` and `journeys dlq replay` as the built CLI in child processes: SIGKILL mid-stream loses
// nothing; SIGTERM finishes the deliveries in flight, commits and exits 0; /metrics and /healthz; invalid
// destinations exit 2 with file:line; dlq replay prints its counts.
import { join } from 'node:path';
import type { JsonObject } from '../../src/definitions/model';
import { sinkGroupId } from '../../src/sinks/sink';
import { consumeUntil } from '../helpers/kafka';
import { NEVER, OK, Receiver, type Reply } from './destinations/receiver';
import {
  assertBuilt, byMessageId, committedToEnd, connectionArgs, expectedMessages, idOf, produceTransitions, runCli, sinkEnv, userTransitions,
  writeTopologies, type Child, type SinkEnv,
} from './sink-helpers';

let env: SinkEnv;
let receiver: Receiver;
const children: Child[] = [];

beforeAll(() => assertBuilt());

beforeEach(async () => {
  env = await sinkEnv();
  receiver = await Receiver.start();
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await c.exited;
  }
  await receiver.close();
  await env.close();
});

function sink(topologies: string, extra: string[] = []): Child {
  const child = runCli([
    'sink', '--topologies', topologies, ...connectionArgs(), '--transitions-topic', env.transitionsTopic, '--group', env.group,
    '--dlq-topic-prefix', env.dlqPrefix, '--session-timeout-ms', '6000', '--retry-initial-ms', '20', '--retry-max-ms', '200', ...extra,
  ]);
  children.push(child);
  return child;
}

const accepted = (path: string): JsonObject[] => receiver.accepted(path).map((a) => a.message as JsonObject);
const distinctIds = (path: string): Set<string> => new Set(accepted(path).map(idOf));

test('SIGKILL mid-stream loses nothing: after a restart every message is delivered, duplicates only with the same key', async () => {
  const users = Array.from({ length: 150 }, (_, i) => `k${i}`);
  const transitions = users.flatMap((u, i) => userTransitions(u, i % 3 === 0));
  await produceTransitions(env, transitions, 'avro');
  const expected = expectedMessages(transitions);
  // The first run gets 60 crm requests answered, then every request hangs: the kill finds deliveries in flight.
  const phase = { killed: false };
  receiver.on('/crm', (_req, n): Reply | Promise<Reply> => (phase.killed || n <= 60 ? OK : NEVER));
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { concurrency: 4 } });

  const first = sink(topologies, ['--destination', 'crm', '--destination', 'ads']);
  await receiver.until(() => receiver.requestsTo('/crm').length > 60 && receiver.inFlight('/crm') > 0);
  first.proc.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  phase.killed = true;
  expect(distinctIds('/crm').size).toBeLessThan(expected.crm.length);

  const second = sink(topologies, ['--destination', 'crm', '--destination', 'ads']);
  await receiver.until(() => distinctIds('/crm').size >= expected.crm.length && distinctIds('/ads').size >= expected.ads.length);
  for (const [path, want] of [['/crm', expected.crm], ['/ads', expected.ads]] as const) {
    const got = receiver.accepted(path);
    const keyOf = new Map<string, string>();
    for (const a of got) {
      // A redelivered message is the same message; for crm (one message per request) under the same key.
      expect(a.message).toEqual(want.find((m) => idOf(m) === idOf(a.message as JsonObject)));
      if (path === '/crm') {
        const k = keyOf.get(idOf(a.message as JsonObject));
        if (k !== undefined) expect(a.key).toBe(k);
        keyOf.set(idOf(a.message as JsonObject), a.key);
      }
    }
    expect([...new Set(got.map((a) => idOf(a.message as JsonObject)))].sort()).toEqual(want.map(idOf).sort());
  }
  second.proc.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(await committedToEnd(env.admin, sinkGroupId(env.group, 'crm'), env.transitionsTopic)).toBe(true);
});

test('SIGTERM: the delivery in flight finishes, its offset is committed, exit 0; /metrics and /healthz meanwhile', async () => {
  const transitions = userTransitions('t1', false);
  await produceTransitions(env, transitions, 'json');
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  receiver.on('/crm', async () => {
    await held;
    return OK;
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { timeoutMs: 60000 } });
  const child = sink(topologies, ['--destination', 'crm', '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
  const { port } = (await child.untilLog(/"msg":"metrics and health served"/)) as { port: number };
  await receiver.until(() => receiver.inFlight('/crm') > 0);

  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok', destinations: { crm: 'running' } });
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const name of ['journeys_sink_deliveries_total', 'journeys_sink_delivery_duration_seconds', 'journeys_sink_retries_total', 'journeys_sink_dlq_records_total', 'journeys_sink_in_flight']) {
    expect(metrics).toContain(`# TYPE ${name} `);
  }
  expect(metrics).toMatch(/journeys_sink_in_flight\{destination="crm"\} [1-9]/);

  child.proc.kill('SIGTERM');
  await child.untilLog(/"msg":"stopping: finishing deliveries in flight"/);
  release();
  expect(await child.exited).toBe(0);
  expect(accepted('/crm').map(idOf).sort()).toEqual(expectedMessages(transitions).crm.map(idOf).sort());
  expect(await committedToEnd(env.admin, sinkGroupId(env.group, 'crm'), env.transitionsTopic)).toBe(true);
});

test('invalid destinations: exit 2 with destinations.yaml:line (unset secret, unknown destination id)', async () => {
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  const unset = runCli(['sink', '--topologies', topologies, ...connectionArgs(), '--transitions-topic', env.transitionsTopic], { SINK_TEST_CRM_SECRET: '' });
  children.push(unset);
  expect(await unset.exited).toBe(2);
  expect(unset.stderr.join('\n')).toContain(`${join(topologies, 'destinations.yaml')}:6: destination 'crm': environment variable SINK_TEST_CRM_SECRET is not set`);
  const unknown = runCli(['sink', '--topologies', topologies, '--destination', 'nope', ...connectionArgs()]);
  children.push(unknown);
  expect(await unknown.exited).toBe(2);
  expect(unknown.stderr.join('\n')).toContain("unknown destination 'nope' (destinations.yaml has: crm, ads, warehouse) (JRN_ERR_INVALID_CONFIG)");
  // dlq replay reports the same way.
  const unknownReplay = runCli(['dlq', 'replay', 'nope', '--topologies', topologies, ...connectionArgs()]);
  children.push(unknownReplay);
  expect(await unknownReplay.exited).toBe(2);
  expect(unknownReplay.stderr.join('\n')).toContain("journeys: unknown destination 'nope' (destinations.yaml has: crm, ads, warehouse) (JRN_ERR_INVALID_CONFIG)");
});

test('journeys dlq replay: prints what it replayed; exit 1 while it still fails, 0 once delivered; every destination by default', async () => {
  const transitions = userTransitions('r1', true);
  await produceTransitions(env, transitions, 'json');
  const refuse = { on: true };
  receiver.on('/ads', () => (refuse.on ? { status: 422, body: 'no' } : OK));
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic });
  const child = sink(topologies, ['--destination', 'ads']);
  await child.untilLog(/"msg":"sink started"/);
  const dlqTopic = `${env.dlqPrefix}ads`;
  // One batch of two messages (entry identify + user-left identify), refused: two dead letters.
  await consumeUntil(env.kafka, dlqTopic, (rs) => rs.length >= 2);
  child.proc.kill('SIGTERM');
  expect(await child.exited).toBe(0);

  const replay = async (named = ['--destination', 'ads']): Promise<[number | string, string]> => {
    const c = runCli(['dlq', 'replay', ...named, '--topologies', topologies, '--bootstrap', connectionArgs()[1]!, '--group', env.group, '--dlq-topic-prefix', env.dlqPrefix, '--retry-initial-ms', '20']);
    children.push(c);
    const code = await c.exited;
    return [code, c.stdout.join('')];
  };
  expect(await replay()).toEqual([1, `ads: replayed 0, failed again 2, skipped 0 (${dlqTopic})\n`]);
  refuse.on = false;
  expect(await replay()).toEqual([0, `ads: replayed 2, failed again 0, skipped 0 (${dlqTopic})\n`]);
  expect(await replay(['ads'])).toEqual([0, `ads: replayed 0, failed again 0, skipped 0 (${dlqTopic})\n`]);
  // No destination named: every one of destinations.yaml, reported in its order (crm's and warehouse's dead-letter
  // topics were never made).
  const nothing = (id: string) => `${id}: replayed 0, failed again 0, skipped 0 (${env.dlqPrefix}${id})\n`;
  expect(await replay([])).toEqual([0, nothing('crm') + nothing('ads') + nothing('warehouse')]);
  expect(accepted('/ads').sort(byMessageId)).toEqual(expectedMessages(transitions).ads.sort(byMessageId));
});

test('journeys dlq replay replays every destination at once: one whose endpoint hangs holds back no other', async () => {
  const transitions = userTransitions('r2', true);
  await produceTransitions(env, transitions, 'json');
  const refuse = { on: true };
  let adsReplayed = (): void => undefined;
  const adsArrived = new Promise<void>((resolve) => {
    adsReplayed = resolve;
  });
  receiver.on('/ads', () => {
    if (refuse.on) return { status: 422, body: 'no' };
    adsReplayed();
    return OK;
  });
  // crm's endpoint answers a replayed message only once ads has had its own: a replay of one destination after the
  // other (crm first, as destinations.yaml lists it) would wait here until crm's one attempt timed out.
  receiver.on('/crm', async () => {
    if (refuse.on) return { status: 422, body: 'no' };
    await adsArrived;
    return OK;
  });
  const topologies = writeTopologies({ base: receiver.url(''), warehouseTopic: env.warehouseTopic, crm: { timeoutMs: 20000, maxAttempts: 1 } });
  const child = sink(topologies, ['--destination', 'crm', '--destination', 'ads']);
  await child.untilLog(/"msg":"sink started"/);
  // Each destination got the entry's send and the user-left message, refused: two dead letters each.
  await consumeUntil(env.kafka, `${env.dlqPrefix}crm`, (rs) => rs.length >= 2);
  await consumeUntil(env.kafka, `${env.dlqPrefix}ads`, (rs) => rs.length >= 2);
  child.proc.kill('SIGTERM');
  expect(await child.exited).toBe(0);

  refuse.on = false;
  const c = runCli(['dlq', 'replay', '--topologies', topologies, '--bootstrap', connectionArgs()[1]!, '--group', env.group, '--dlq-topic-prefix', env.dlqPrefix, '--retry-initial-ms', '20']);
  children.push(c);
  expect(await c.exited).toBe(0);
  const line = (id: string, n: number) => `${id}: replayed ${n}, failed again 0, skipped 0 (${env.dlqPrefix}${id})\n`;
  expect(c.stdout.join('')).toBe(line('crm', 2) + line('ads', 2) + line('warehouse', 0));
  const mine = (path: string) => accepted(path).filter((m) => m.userId === 'r2').map(idOf).sort();
  expect(mine('/crm')).toEqual(expectedMessages(transitions).crm.map(idOf).sort());
  expect(mine('/ads')).toEqual(expectedMessages(transitions).ads.map(idOf).sort());
});
