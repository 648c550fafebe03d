// `journeys process` against the real broker and registry: the same transitions as `journeys simulate`,
// bad input to the dead-letter topic, Avro input, metrics, and a clean SIGTERM.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { decodeDeadLetter } from '../../src/codecs/dead-letter-codec';
import { loadAvroSchema } from '../../src/codecs/avro-schemas';
import { SENT_TO_HEADER } from '../../src/codecs/sent-to-header';
import { loadDefinitions, type Json } from '../../src/definitions';
import type { Processor } from '../../src/processor/processor';
import { schemaRegistry, uniqueName } from '../helpers/kafka';
import { writeTopologies } from '../helpers/test-driver';
import {
  ROOT, compareTransitions, produceClockTicks, produceMessages, processorEnv, readTransitions, remakeTopics, runCaughtUp, simulate, startInProcess, startProcessor, waitCaughtUp,
  type ProcessorEnv,
} from '../helpers/processor';
import { generateWorkload } from '../../src/demo/workload';
import { PartitionStore } from '../../src/state/partition-store';

const TOPOLOGIES = join(ROOT, 'topologies');
const defs = loadDefinitions(TOPOLOGIES);

/** A metric of the processor's `/metrics`, summed over its labels (0 when absent). */
async function metric(processor: Processor, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${processor.metricsPort}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The i-th of a run of Order_Confirmation tracks, one second apart, with message id `<prefix>-<i>`. */
function orderConfirmation(prefix: string, i: number, userId: string): Record<string, Json> {
  return { type: 'track', userId, event: 'Order_Confirmation', messageId: `${prefix}-${i}`, timestamp: new Date(Date.parse('2026-05-01T10:00:00Z') + i * 1000).toISOString(), properties: { currency: 'EUR', order_id: `o${i}` } };
}

/** Re-enters every second for two hours after a Product Added: 7,200 entries, each completing at once. */
const LOOP_JOURNEY = `journey: loop
entry: { condition: { performed: Product Added, within: 2h }, reentry: after-exit, reentryAfter: 1s }
exit: { after: 2h }
steps:
  - id: ping
    waitUntil: { condition: { performed: Product Added } }
`;

describe('journeys process', () => {
  let env: ProcessorEnv;
  afterEach(async () => {
    await env?.close();
  });

  test('equals journeys simulate on the same input (event clock, 4 partitions, every example journey)', async () => {
    env = await processorEnv(4, defs);
    const workload = generateWorkload(defs, { users: 200, messages: 4000, start: '2026-05-01T00:00:00.000Z', stepMs: 60_000, seed: 7 });
    const end = new Date(Date.parse(workload.end) + 1000).toISOString();
    await produceMessages(env, workload.messages);
    await produceClockTicks(env, end);
    const expected = simulate(defs, workload.messages, end);
    expect(expected.length).toBeGreaterThan(500);

    const p = startProcessor(env, TOPOLOGIES, join(env.stateRoot, 'a'));
    await waitCaughtUp(env);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);

    const actual = await readTransitions(env);
    expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
    expect(actual).toHaveLength(expected.length);
  });

  test("a send naming several large traits: its record stays under Kafka's 1 MiB and commits, equal to simulate", async () => {
    const dir = writeTopologies({ 'big.journey.yaml': 'journey: big\nentry: { event: Go }\nsteps:\n  - id: tell\n    send: { to: [crm], traits: [a, b, c, d, e] }\n' });
    try {
      const bigDefs = loadDefinitions(dir);
      env = await processorEnv(1, bigDefs);
      const at = (s: number): string => new Date(Date.UTC(2026, 4, 1, 0, 0, s)).toISOString();
      // Five traits of 220 KB, each from its own message (at most 256 KiB): 1.1 MB together, over Kafka's 1 MiB.
      const messages: Record<string, Json>[] = ['a', 'b', 'c', 'd', 'e'].map((name, i) => ({
        type: 'identify', userId: 'u1', messageId: `t-${name}`, timestamp: at(i), traits: { [name]: name.repeat(220_000) },
      }));
      messages.push({ type: 'track', userId: 'u1', event: 'Go', messageId: 'go', timestamp: at(10) });
      await produceMessages(env, messages, 1);
      await runCaughtUp(env, dir, join(env.stateRoot, 'big'));
      const actual = await readTransitions(env);
      expect(compareTransitions(actual, simulate(bigDefs, messages, at(10)))).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
      const traits = actual.find((t) => t.to === 'tell')?.send?.traits;
      expect(Object.keys(traits ?? {})).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(traits?.c).toEqual({ $truncated: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('timers due together beyond --max-batch fire over several transactions, in order: still equal to simulate', async () => {
    env = await processorEnv(2, defs);
    const workload = generateWorkload(defs, { users: 120, messages: 1500, start: '2026-05-01T00:00:00.000Z', stepMs: 60_000, seed: 11 });
    await produceMessages(env, workload.messages);
    const processor = await startInProcess(env, defs, join(env.stateRoot, 'timers'), { maxBatch: 7 });
    // A month later: every timer still pending comes due at that one instant.
    const end = new Date(Date.parse(workload.end) + 30 * 86_400_000).toISOString();
    let pending = 0;
    let batches = 0;
    try {
      await waitCaughtUp(env);
      pending = await metric(processor, 'journeys_timers_pending');
      batches = await metric(processor, 'journeys_batches_committed_total');
      await produceClockTicks(env, end);
      await waitCaughtUp(env);
      batches = (await metric(processor, 'journeys_batches_committed_total')) - batches;
    } finally {
      await processor.stop();
    }
    // At most 7 index entries per transaction, so at least pending / 7 of them.
    expect(pending).toBeGreaterThan(50);
    expect(batches).toBeGreaterThanOrEqual(Math.floor(pending / 7));
    const expected = simulate(defs, workload.messages, end);
    const actual = await readTransitions(env);
    expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
  });

  test("one user's timers making more transitions than a transaction should carry fire over several, in order: equal to simulate", async () => {
    // A re-entry every second for two hours: 7,200 entries, each completing at once, all from one user's timers
    // when the clock jumps. (In one transaction, ten days of it, 1.7 million records, outlasted the session and
    // transaction timeouts and were tried again forever.)
    const dir = writeTopologies({ 'loop.journey.yaml': LOOP_JOURNEY });
    try {
      const loopDefs = loadDefinitions(dir);
      env = await processorEnv(1, loopDefs);
      const messages: Record<string, Json>[] = [{ type: 'track', userId: 'u1', event: 'Product Added', messageId: 'p1', timestamp: '2026-05-01T00:00:00.000Z' }];
      await produceMessages(env, messages);
      const processor = await startInProcess(env, loopDefs, join(env.stateRoot, 'burst'), { maxBatch: 50 });
      const end = '2026-05-01T03:00:00.000Z';
      let batches = 0;
      try {
        await waitCaughtUp(env);
        batches = await metric(processor, 'journeys_batches_committed_total');
        await produceClockTicks(env, end);
        await waitCaughtUp(env);
        batches = (await metric(processor, 'journeys_batches_committed_total')) - batches;
      } finally {
        await processor.stop();
      }
      const expected = simulate(loopDefs, messages, end);
      expect(expected).toHaveLength(14_400);
      const actual = await readTransitions(env);
      expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
      expect(actual).toHaveLength(expected.length);
      // Timers fill a transaction up to 4 x maxBatch = 200 transitions (an instant's two at most past it).
      expect(batches).toBeGreaterThanOrEqual(Math.floor((expected.length - 2) / 202));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a journey going live while a user's timers are far behind brings the user there over several transactions", async () => {
    // Read on the event clock three hours ago, then started on the wall clock with a condition-entry journey
    // added: going live, every user is brought to now first, here through two hours of re-entries (14,400
    // records). In one transaction that was unbounded, as the timer burst above was.
    const dirA = writeTopologies({ 'loop.journey.yaml': LOOP_JOURNEY });
    const dirB = writeTopologies({ 'loop.journey.yaml': LOOP_JOURNEY, 'pro.journey.yaml': 'journey: pro\nentry: { condition: { trait: plan, equals: pro }, historical: true }\nsteps:\n  - { id: hello, wait: 1h }\n' });
    try {
      const loopDefs = loadDefinitions(dirA);
      env = await processorEnv(1, loopDefs);
      const stateDir = join(env.stateRoot, 'golive');
      const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * 3_600_000).toISOString();
      const messages: Record<string, Json>[] = [{ type: 'track', userId: 'u1', event: 'Product Added', messageId: 'p1', timestamp: start }];
      await produceMessages(env, messages);
      const first = await startInProcess(env, loopDefs, stateDir, { maxBatch: 50 });
      try {
        await waitCaughtUp(env);
      } finally {
        await first.stop();
      }
      const expected = simulate(loopDefs, messages, new Date(Date.parse(start) + 3 * 3_600_000).toISOString());
      expect(expected).toHaveLength(14_400);
      const second = await startInProcess(env, loadDefinitions(dirB), stateDir, { maxBatch: 50, clock: 'wall' });
      let batches = 0;
      try {
        // All but the first entry and its completion, which the first run made.
        while ((await metric(second, 'journeys_transitions_total')) < expected.length - 2) await sleep(100);
        batches = await metric(second, 'journeys_batches_committed_total');
      } finally {
        await second.stop();
      }
      const actual = await readTransitions(env);
      expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
      expect(actual).toHaveLength(expected.length);
      expect(batches).toBeGreaterThanOrEqual(Math.floor((expected.length - 2) / 202));
    } finally {
      for (const d of [dirA, dirB]) rmSync(d, { recursive: true, force: true });
    }
  });

  test('messages whose transitions outgrow the byte budget of a transaction go over several, in order: equal to simulate', async () => {
    // Each Go sends a 20 KB trait: ~20 KB of records a message, against a budget of 50 KB a transaction. (At the
    // default 64 MiB, a few messages moving 100 instances with large sends made gigabytes in one transaction,
    // which outlasted the timeouts and was tried again forever.)
    const dir = writeTopologies({ 'big.journey.yaml': 'journey: big\nentry: { event: Go, key: n }\nsteps:\n  - id: tell\n    send: { to: [crm], traits: [blob] }\n' });
    try {
      const bigDefs = loadDefinitions(dir);
      env = await processorEnv(1, bigDefs);
      const at = (s: number): string => new Date(Date.UTC(2026, 4, 1, 0, 0, s)).toISOString();
      const messages: Record<string, Json>[] = [{ type: 'identify', userId: 'u1', messageId: 'blob', timestamp: at(0), traits: { blob: 'b'.repeat(20_000) } }];
      for (let i = 1; i <= 30; i++) messages.push({ type: 'track', userId: 'u1', event: 'Go', messageId: `go-${i}`, timestamp: at(i), properties: { n: i } });
      await produceMessages(env, messages);
      const processor = await startInProcess(env, bigDefs, join(env.stateRoot, 'bytes'), { maxBatchBytes: 50_000 });
      let batches = 0;
      try {
        await waitCaughtUp(env);
        batches = await metric(processor, 'journeys_batches_committed_total');
      } finally {
        await processor.stop();
      }
      const expected = simulate(bigDefs, messages, at(30));
      expect(expected).toHaveLength(60);
      const actual = await readTransitions(env);
      expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
      expect(actual).toHaveLength(expected.length);
      // At most three messages' records (the one crossing the budget stays in) per transaction.
      expect(batches).toBeGreaterThanOrEqual(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('timers_pending after a restore: index entries the restore left behind leave the gauge as they are dropped', async () => {
    // Three waits in a row: a user's due instant only moves forward, so an entry the restore leaves behind is
    // never the user's due again, and once every wait has fired no timer is pending at all.
    const dir = writeTopologies({ 'steps.journey.yaml': 'journey: steps\nentry: { event: Go }\nsteps:\n  - { id: one, wait: 1h }\n  - { id: two, wait: 1h }\n  - { id: three, wait: 1h }\n' });
    const stateDir = mkdtempSync(join(tmpdir(), 'jp-pending-'));
    try {
      const stepDefs = loadDefinitions(dir);
      env = await processorEnv(1, stepDefs);
      const users = 20;
      // Every 5 minutes for 10 hours, users in turn: each enters, waits three times, and enters again.
      await produceMessages(env, Array.from({ length: 120 }, (_, i) => ({
        type: 'track', userId: `u${i % users}`, event: 'Go', messageId: `go-${i}`, timestamp: new Date(Date.UTC(2026, 4, 1) + i * 300_000).toISOString(),
      })));
      // Small batches: each user's state goes to the changelog many times, with its due instant as it was then.
      const start = () => startInProcess(env, stepDefs, stateDir, { maxBatch: 5 });
      let processor = await start();
      await waitCaughtUp(env);
      await processor.stop();
      // Disk lost: the restore puts an index entry for every due instant a user's changelog records carry.
      rmSync(stateDir, { recursive: true, force: true });
      processor = await start();
      /** The gauge, once the partition is ready (restored). */
      const gauge = async (): Promise<number> => {
        for (;;) {
          const text = await (await fetch(`http://127.0.0.1:${processor.metricsPort}/metrics`)).text();
          const value = /^journeys_timers_pending\{partition="0"\} (-?\d+)$/m.exec(text)?.[1];
          if (value !== undefined) return Number(value);
          await sleep(100);
        }
      };
      let restored = 0;
      let after = 0;
      try {
        restored = await gauge();
        // A day later every entry is due: the live ones fire, the ones left behind are dropped.
        await produceClockTicks(env, '2026-05-02T12:00:00.000Z');
        await waitCaughtUp(env);
        after = await gauge();
      } finally {
        await processor.stop();
      }
      // More entries than users: some were left behind.
      expect(restored).toBeGreaterThan(users);
      expect(after).toBe(0);
      const store = await PartitionStore.open(join(stateDir, `${env.group}-0`));
      try {
        expect(await store.timersPending()).toBe(0);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('input the state had not processed, deleted by retention meanwhile: it reads on from the earliest left, not spinning', async () => {
    env = await processorEnv(1, defs);
    const track = (i: number) => orderConfirmation('ret', i, `r${i % 7}`);
    const stateDir = join(env.stateRoot, 'retention');
    const start = () => startInProcess(env, defs, stateDir, { metricsPort: null });
    await produceMessages(env, Array.from({ length: 20 }, (_, i) => track(i)));
    let processor = await start();
    await waitCaughtUp(env);
    await processor.stop();
    // While it is stopped: 40 more, then the topic's first 40 records go (as retention would take them).
    await produceMessages(env, Array.from({ length: 40 }, (_, i) => track(20 + i)));
    await env.admin.deleteTopicRecords({ topic: env.topics.events, partitions: [{ partition: 0, offset: '40' }] });
    processor = await start();
    try {
      await waitCaughtUp(env);
    } finally {
      await processor.stop();
    }
    const causes = new Set((await readTransitions(env)).map((t) => t.cause?.messageId));
    expect(Array.from({ length: 20 }, (_, i) => `ret-${40 + i}`).filter((id) => !causes.has(id))).toEqual([]);
    for (let i = 20; i < 40; i++) expect(causes.has(`ret-${i}`)).toBe(false);
  });

  test('consumer lag is reported from the moment a partition is ready, also with nothing to process', async () => {
    env = await processorEnv(2, defs);
    const track = (i: number) => orderConfirmation('lag', i, `l${i}`);
    await produceMessages(env, Array.from({ length: 20 }, (_, i) => track(i)));
    const stateDir = join(env.stateRoot, 'lag');
    const first = await startInProcess(env, defs, stateDir);
    await waitCaughtUp(env);
    await first.stop();
    // Started again, caught up: no batch to commit, yet every input partition says its lag.
    const again = await startInProcess(env, defs, stateDir);
    try {
      await waitCaughtUp(env);
      const lines = () => fetch(`http://127.0.0.1:${again.metricsPort}/metrics`).then(async (r) => (await r.text()).split('\n').filter((l) => l.startsWith('journeys_consumer_lag_records{')));
      for (let waited = 0; (await lines()).length < 4 && waited < 10_000; waited += 100) await sleep(100);
      expect((await lines()).sort()).toEqual([env.topics.events, env.topics.traits].flatMap((topic) => [0, 1].map((p) => `journeys_consumer_lag_records{topic="${topic}",partition="${p}"} 0`)).sort());
    } finally {
      await again.stop();
    }
  });

  test('input deleted by retention while it runs, before it read it: it reads on from the earliest left, not spinning', async () => {
    env = await processorEnv(1, defs);
    const track = (i: number) => orderConfirmation('run', i, `r${i % 7}`);
    await produceMessages(env, Array.from({ length: 20 }, (_, i) => track(i)));
    const p = startProcessor(env, TOPOLOGIES, join(env.stateRoot, 'running'), [], 'info');
    try {
      await waitCaughtUp(env);
      // Frozen for less than its session, so it stays the partition's owner with its task running: its pending
      // fetch is answered with the first 20 records sent meanwhile; then the next 20 and 10 of them deleted (as
      // retention would): its next fetch, from offset 40, is out of range and kafkajs resets to the earliest, 50.
      p.child.kill('SIGSTOP');
      await produceMessages(env, Array.from({ length: 20 }, (_, i) => track(20 + i)));
      await produceMessages(env, Array.from({ length: 20 }, (_, i) => track(40 + i)));
      await env.admin.deleteTopicRecords({ topic: env.topics.events, partitions: [{ partition: 0, offset: '50' }] });
      p.child.kill('SIGCONT');
      await waitCaughtUp(env);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    const causes = new Set((await readTransitions(env)).map((t) => t.cause?.messageId));
    expect(Array.from({ length: 10 }, (_, i) => `run-${50 + i}`).filter((id) => !causes.has(id))).toEqual([]);
    for (let i = 40; i < 50; i++) expect(causes.has(`run-${i}`)).toBe(false);
    expect(p.output()).toContain('input records the state had not processed were deleted by retention');
  });

  test('a SIGTERM while it starts (before it has joined) stops it cleanly once started: exit 0', async () => {
    env = await processorEnv(2, defs);
    const p = startProcessor(env, TOPOLOGIES, join(env.stateRoot, 'early'), [], 'info');
    // Its first line comes as Processor.start begins (connecting, checking topics, joining the group).
    while (!p.output().includes('"msg":"processor starting"') && p.child.exitCode === null) await sleep(5);
    expect(p.output()).not.toContain('"msg":"processor started"');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('"msg":"processor started"');
    expect(p.output()).toContain('"msg":"processor stopped"');
  });

  test('refuses to start, and exits 1 with the reason, when events and traits are not co-partitioned or a topic is missing', async () => {
    env = await processorEnv(2, defs);
    const missing = startProcessor(env, TOPOLOGIES, join(env.stateRoot, 'missing'), ['--dlq-topic', `${env.group}.no-such-topic`]);
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toContain(`missing topics: ${env.group}.no-such-topic`);
    expect(missing.output()).toContain('JRN_ERR_INFRA');
    await env.admin.createPartitions({ topicPartitions: [{ topic: env.topics.traits, count: 3 }] });
    const mismatched = startProcessor(env, TOPOLOGIES, join(env.stateRoot, 'mismatched'));
    expect(await mismatched.exited).toBe(1);
    expect(mismatched.output()).toContain('JRN_ERR_COPARTITION');
  });

  test('a condition-entry journey deployed to a running processor: users it already holds for enter only with historical, at go-live, touched again or not', async () => {
    const first = { 'ping.journey.yaml': 'journey: ping\nentry: { event: Ping }\nsteps:\n  - { id: p, wait: 1h }\n' };
    const added = (historical: boolean) => `journey: pro${historical ? '-hist' : ''}\nentry:\n  condition: { trait: plan, equals: pro }${historical ? '\n  historical: true' : ''}\nsteps:\n  - { id: hello, wait: 1h }\n`;
    const dirA = writeTopologies(first);
    const dirB = writeTopologies({ ...first, 'pro.journey.yaml': added(false), 'pro-hist.journey.yaml': added(true) });
    // Then version 2 of pro-hist, which takes teams in too.
    const dirC = writeTopologies({ ...first, 'pro.journey.yaml': added(false), 'pro-hist.journey.yaml': `version: 2\n${added(true).replace('equals: pro', 'in: [pro, team]')}` });
    try {
      env = await processorEnv(1, loadDefinitions(dirA));
      const at = (hhmm: string) => `2026-05-01T${hhmm}:00.000Z`;
      await produceMessages(env, [
        { type: 'identify', userId: 'h1', traits: { plan: 'pro' }, timestamp: at('10:00'), messageId: 'i1' },
        { type: 'identify', userId: 'h2', traits: { plan: 'free' }, timestamp: at('10:05'), messageId: 'i2' },
        // Never touched again: enters all the same, by the sweep of the store at go-live.
        { type: 'identify', userId: 'h3', traits: { plan: 'pro' }, timestamp: at('10:07'), messageId: 'i4' },
        { type: 'identify', userId: 'h4', traits: { plan: 'team' }, timestamp: at('10:08'), messageId: 'i5' },
        { type: 'track', userId: 'h1', event: 'Ping', timestamp: at('10:10'), messageId: 't1' },
      ]);
      const stateDir = join(env.stateRoot, 'a');
      const a = startProcessor(env, dirA, stateDir);
      await waitCaughtUp(env);
      a.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);

      // Deployed at the partition's clock, 10:10 (its last record). h1 qualifies then; h2 qualifies only later.
      const b = startProcessor(env, dirB, stateDir, [], 'info');
      await produceMessages(env, [
        { type: 'track', userId: 'h1', event: 'Other', timestamp: at('12:00'), messageId: 't2' },
        { type: 'identify', userId: 'h2', traits: { plan: 'pro' }, timestamp: at('12:30'), messageId: 'i3' },
      ]);
      await waitCaughtUp(env);
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(b.output()).toContain('condition-entry journey goes live');

      // Version 2 goes live at 12:30: h4, a team, qualifies then (h1..h3 entered version 1 already, once).
      const c = startProcessor(env, dirC, stateDir, [], 'info');
      await produceMessages(env, [{ type: 'track', userId: 'h2', event: 'Other', timestamp: at('13:00'), messageId: 't3' }]);
      await waitCaughtUp(env);
      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      const entries = (await readTransitions(env)).filter((t) => t.from === null).map((t) => `${t.journey}@${t.version} ${t.userId} ${t.at} ${t.cause === null ? 'time' : t.cause.messageId}`);
      expect(entries.sort()).toEqual([
        `ping@1 h1 ${at('10:10')} t1`,
        `pro@1 h2 ${at('12:30')} i3`, // a false→true change after go-live
        `pro-hist@1 h1 ${at('10:10')} time`, // already true at go-live: historical only, at that instant
        `pro-hist@1 h3 ${at('10:10')} time`,
        `pro-hist@1 h2 ${at('12:30')} i3`,
        `pro-hist@2 h4 ${at('12:30')} time`,
      ].sort());
    } finally {
      for (const dir of [dirA, dirB, dirC]) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a journey whose file is removed is treated as archived, with a warning in the log (spec §4.6)', async () => {
    const dirA = writeTopologies({ 'ping.journey.yaml': 'journey: ping\nentry: { event: Ping }\nsteps:\n  - { id: p, wait: 1d }\n' });
    const dirB = writeTopologies({ 'other.journey.yaml': 'journey: other\nentry: { event: Other }\nsteps:\n  - { id: o, wait: 1h }\n' });
    try {
      env = await processorEnv(1, loadDefinitions(dirA));
      const stateDir = join(env.stateRoot, 'removed');
      await produceMessages(env, [{ type: 'track', userId: 'r1', event: 'Ping', timestamp: '2026-05-01T10:00:00.000Z', messageId: 'p1' }]);
      const a = startProcessor(env, dirA, stateDir);
      await waitCaughtUp(env);
      a.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      const b = startProcessor(env, dirB, stateDir);
      // Past the ping's day: its instance would have completed had the file stayed.
      await produceMessages(env, [{ type: 'track', userId: 'r1', event: 'Other', timestamp: '2026-05-03T10:00:00.000Z', messageId: 'o1' }]);
      await waitCaughtUp(env);
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(b.output()).toMatch(/"level":"?(40|warn)"?.*"journey":"ping".*treated as archived/);
      const lines = (await readTransitions(env)).map((t) => `${t.instance} ${t.from ?? 'null'}→${t.to}`);
      expect(lines).toEqual(['r1/ping/1 null→p', 'r1/other/1 null→o']);
    } finally {
      for (const dir of [dirA, dirB]) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('archiving a journey or removing its file stops its live instances at once: made live again, those of users not seen meanwhile stay stopped', async () => {
    const journey = (id: string, status: string) => `journey: ${id}\nstatus: ${status}\nentry: { event: Start }\nsteps:\n  - { id: w1, wait: 2d }\n  - { id: w2, wait: 1h }\n`;
    const live = writeTopologies({ 'k-arch.journey.yaml': journey('k-arch', 'live'), 'k-rem.journey.yaml': journey('k-rem', 'live') });
    const retired = writeTopologies({ 'k-arch.journey.yaml': journey('k-arch', 'archived') });
    const start = (messageId: string, timestamp: string) => ({ type: 'track', userId: 'u4', event: 'Start', timestamp, messageId });
    try {
      env = await processorEnv(1, loadDefinitions(live));
      const stateDir = join(env.stateRoot, 'retired');
      await runCaughtUp(env, live, stateDir, () => produceMessages(env, [start('a1', '2026-01-01T10:00:00.000Z')]));
      // Archived and removed while u4 waits; u4 sends nothing meanwhile, and nothing of theirs comes due.
      const out = await runCaughtUp(env, retired, stateDir, () => produceClockTicks(env, '2026-01-01T12:00:00.000Z'));
      expect(out).toMatch(/"journey":"k-rem".*treated as archived/);
      // Live again: u4's first instances are gone, so a Start enters anew, and their waits never fire.
      await runCaughtUp(env, live, stateDir, async () => {
        await produceMessages(env, [start('c1', '2026-01-02T10:00:00.000Z')]);
        await produceClockTicks(env, '2026-01-05T00:00:00.000Z');
      });
      const lines = (await readTransitions(env)).map((t) => `${t.instance} ${t.from ?? 'null'}→${t.to} ${t.at.slice(5, 16)}`);
      expect(lines.sort()).toEqual(['k-arch', 'k-rem'].flatMap((j) => [
        `u4/${j}/1 null→w1 01-01T10:00`, `u4/${j}/2 null→w1 01-02T10:00`, `u4/${j}/2 w1→w2 01-04T10:00`, `u4/${j}/2 w2→$complete 01-04T11:00`,
      ]).sort());
    } finally {
      for (const dir of [live, retired]) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('journey versions (spec §4.6): live instances drain on their version, kept through a disk loss; a later version migrates', async () => {
    const v1 = 'journey: dr\nversion: 1\nentry: { event: Go }\nsteps:\n  - { id: old-wait, wait: 1h, next: tell }\n  - { id: tell, send: { to: [crm] } }\n';
    const v2 = 'journey: dr\nversion: 2\nentry: { event: Go }\nsteps:\n  - { id: new-wait, wait: 1h, next: tell2 }\n  - { id: tell2, send: { to: [email] } }\n';
    const v3 = 'journey: dr\nversion: 3\nentry: { event: Go }\nmigrate: { new-wait: hold }\nsteps:\n'
      + '  - id: hold\n    waitFor: { events: [{ event: Reply, next: end }], timeout: 2h, onTimeout: end }\n';
    const dirs = [v1, v2, v3].map((text) => writeTopologies({ 'dr.journey.yaml': text }));
    const go = (userId: string, hhmm: string) => ({ type: 'track', userId, event: 'Go', timestamp: `2026-05-01T${hhmm}:00.000Z`, messageId: `go-${userId}` });
    try {
      env = await processorEnv(1, loadDefinitions(dirs[0] as string));
      const stateDir = join(env.stateRoot, 'versions');
      const run = (dir: string, produce: () => Promise<void>) => runCaughtUp(env, dir, stateDir, produce, 'info');
      await run(dirs[0] as string, () => produceMessages(env, [go('u1', '10:00'), go('u2', '10:00')]));
      // The disk lost: the store, versions included, comes back from the changelog.
      rmSync(stateDir, { recursive: true, force: true });
      await run(dirs[1] as string, async () => {
        await produceMessages(env, [go('u3', '10:30')]);
        await produceClockTicks(env, '2026-05-01T11:00:00.000Z');
      });
      const migrated = await run(dirs[2] as string, () => produceClockTicks(env, '2026-05-01T14:00:00.000Z'));
      expect(migrated).toContain('live instances of version 2 move to version 3');
      const lines = (await readTransitions(env)).map((t) => `${t.instance} v${t.version} ${t.from ?? 'null'}→${t.to} ${t.reason} ${t.at.slice(11, 16)}${t.send ? ` ${t.send.to.join()}` : ''}`);
      expect(lines).toEqual([
        'u1/dr/1 v1 null→old-wait entry 10:00', 'u2/dr/1 v1 null→old-wait entry 10:00',
        'u3/dr/1 v2 null→new-wait entry 10:30',
        // v1's steps and send, after v2 was loaded on a store restored from the changelog.
        'u1/dr/1 v1 old-wait→tell wait 11:00 crm', 'u1/dr/1 v1 tell→$complete end 11:00',
        'u2/dr/1 v1 old-wait→tell wait 11:00 crm', 'u2/dr/1 v1 tell→$complete end 11:00',
        // Loaded at the partition's clock (11:00): u3 moves to v3's hold, whose 2 h timeout counts from there.
        'u3/dr/1 v3 new-wait→hold next 11:00', 'u3/dr/1 v3 hold→$complete end 13:00',
      ]);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an $exit that undoes sends carries, in the journeys-sent-to header, the destinations its sends went to: a draining or migrated instance's differ from the loaded file's", async () => {
    const version = (n: number, to: string, extra = '') => `journey: hx\nversion: ${n}\nentry: { event: Go }\n${extra}exit: { events: [{ event: Stop }] }\nsteps:\n  - { id: hi, send: { to: [${to}] } }\n  - { id: hold${n}, wait: 1d }\n`;
    const dirs = [version(1, 'crm'), version(2, 'email, ads'), version(3, 'sms', 'migrate: { hold2: hold3 }\n')].map((text) => writeTopologies({ 'hx.journey.yaml': text }));
    const msg = (userId: string, event: string, hhmm: string) => ({ type: 'track', userId, event, timestamp: `2026-05-01T${hhmm}:00.000Z`, messageId: `${event}-${userId}` });
    try {
      env = await processorEnv(1, loadDefinitions(dirs[0] as string));
      const stateDir = join(env.stateRoot, 'sent-to');
      const run = (dir: string, messages: Record<string, string>[]) => runCaughtUp(env, dir, stateDir, () => produceMessages(env, messages));
      await run(dirs[0] as string, [msg('u1', 'Go', '10:00')]);
      // u1 drains on v1; u2 enters v2, then moves to v3 when it is loaded; u3 enters v3.
      await run(dirs[1] as string, [msg('u2', 'Go', '10:05'), msg('u1', 'Stop', '10:10')]);
      await run(dirs[2] as string, [msg('u2', 'Stop', '10:15'), msg('u3', 'Go', '10:20'), msg('u3', 'Stop', '10:25')]);
      const headers = new Map<string, Record<string, string>>();
      const exits = (await readTransitions(env, headers)).filter((t) => t.to === '$exit');
      expect(exits.map((t) => [t.instance, t.version, t.sent, headers.get(t.id)?.[SENT_TO_HEADER]])).toEqual([
        ['u1/hx/1', 1, ['hi'], '{"hi":["crm"]}'],
        ['u2/hx/1', 3, ['hi'], '{"hi":["email","ads"]}'],
        ['u3/hx/1', 3, ['hi'], '{"hi":["sms"]}'],
      ]);
      // Other records carry no such header.
      expect([...headers.values()].filter((h) => SENT_TO_HEADER in h)).toHaveLength(3);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a store left behind a commit that moved no input offset (died between the commit and the store write) is caught up from the changelog', async () => {
    const ping = { 'ping.journey.yaml': 'journey: ping\nentry: { event: Ping }\nsteps:\n  - { id: p, wait: 1h }\n' };
    const dirA = writeTopologies(ping);
    const dirB = writeTopologies({ ...ping, 'pro.journey.yaml': 'journey: pro\nentry:\n  condition: { trait: plan, equals: pro }\n  historical: true\nsteps:\n  - { id: hello, wait: 1h }\n' });
    try {
      env = await processorEnv(1, loadDefinitions(dirA));
      await produceMessages(env, ['k1', 'k2', 'k3'].map((userId, i) => ({ type: 'identify', userId, traits: { plan: 'pro' }, timestamp: `2026-05-01T10:0${i}:00.000Z`, messageId: `i-${userId}` })));
      const stateDir = join(env.stateRoot, 'live');
      const run = async (dir: string) => {
        const p = startProcessor(env, dir, stateDir, [], 'info');
        // Nothing new to read: ready is when the go-live sweep is done.
        while (!p.output().includes('"msg":"partition ready"') && p.child.exitCode === null && p.child.signalCode === null) await sleep(10);
        await waitCaughtUp(env);
        p.child.kill('SIGTERM');
        expect(await p.exited).toBe(0);
      };
      await run(dirA);
      // The store as it was before the go-live sweep's transaction: what a process killed right after that commit,
      // before its store write, leaves behind. The input offsets are the same either way.
      const before = join(env.stateRoot, 'before');
      cpSync(stateDir, before, { recursive: true });
      await run(dirB);
      rmSync(stateDir, { recursive: true, force: true });
      cpSync(before, stateDir, { recursive: true });
      await run(dirB);
      const entries = (await readTransitions(env)).filter((t) => t.journey === 'pro').map((t) => t.userId);
      expect(entries.sort()).toEqual(['k1', 'k2', 'k3']);
    } finally {
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });

  test("the state's own input offsets win over a stale or rewound read of the group's: nothing is processed twice", async () => {
    env = await processorEnv(2, defs);
    // Long enough (about 6 days) that replayed messages fall out of the 24 h dedup window and would count again.
    const workload = generateWorkload(defs, { users: 150, messages: 3000, start: '2026-05-01T00:00:00.000Z', stepMs: 180_000, seed: 11 });
    const end = new Date(Date.parse(workload.end) + 1000).toISOString();
    const expected = simulate(defs, workload.messages, end);
    const third = Math.floor(workload.messages.length / 3);
    const stateDir = join(env.stateRoot, 'rewound');
    const rewind = async () => {
      for (const topic of [env.topics.events, env.topics.traits]) {
        const ends = await env.admin.fetchTopicOffsets(topic);
        await env.admin.setOffsets({ groupId: env.group, topic, partitions: ends.map((e) => ({ partition: e.partition, offset: e.low })) });
      }
    };
    const run = async (): Promise<string> => {
      const p = startProcessor(env, TOPOLOGIES, stateDir);
      await waitCaughtUp(env);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      return p.output();
    };

    await produceMessages(env, workload.messages.slice(0, third));
    await run();
    // The group's offsets back at the start, the local state kept: the state's offsets are used.
    await rewind();
    await produceMessages(env, workload.messages.slice(third, 2 * third));
    expect(await run()).toContain("the group's committed offsets differ from the changelog's");
    // Rewound again and the state dir lost: the changelog's offsets are used.
    await rewind();
    rmSync(stateDir, { recursive: true, force: true });
    await produceMessages(env, workload.messages.slice(2 * third));
    await produceClockTicks(env, end);
    expect(await run()).toContain("the group's committed offsets differ from the changelog's");

    const actual = await readTransitions(env);
    expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
    expect(actual).toHaveLength(expected.length);
  });

  test('a store left from topics since deleted and made again (a reset environment) is rebuilt from the new changelog, not trusted', async () => {
    env = await processorEnv(2, defs);
    const stateDir = join(env.stateRoot, 'reset');
    const run = async (): Promise<string> => {
      const p = startProcessor(env, TOPOLOGIES, stateDir, [], 'info');
      await waitCaughtUp(env);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      return p.output();
    };
    // The same users twice: state kept from the first run would change what the second makes of them.
    const first = generateWorkload(defs, { users: 100, messages: 1500, start: '2026-05-01T00:00:00.000Z', stepMs: 60_000, seed: 21 });
    await produceMessages(env, first.messages);
    await run();

    await remakeTopics(env, defs);
    const second = generateWorkload(defs, { users: 100, messages: 1500, start: '2026-06-01T00:00:00.000Z', stepMs: 60_000, seed: 22 });
    const end = new Date(Date.parse(second.end) + 1000).toISOString();
    await produceMessages(env, second.messages);
    await produceClockTicks(env, end);
    // Caught up from its position instead, the store would wait for changelog records that never come.
    const output = await run();
    expect(output.match(/the store is ahead of the changelog/g)).toHaveLength(2);

    const actual = await readTransitions(env);
    const expected = simulate(defs, second.messages, end);
    expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
    expect(actual).toHaveLength(expected.length);
  });

  test("an input whose end is an open transaction's does not hold the other input back for good", async () => {
    env = await processorEnv(1, defs);
    const at = (min: number) => new Date(Date.UTC(2026, 4, 1, 10, min)).toISOString();
    // Upstream writes traits in a transaction it has not committed yet: the traits partition's high watermark
    // is past everything a read_committed consumer can see.
    const upstream = env.kafka.producer({ transactionalId: uniqueName('upstream'), idempotent: true, maxInFlightRequests: 1 });
    await upstream.connect();
    const open = await upstream.transaction();
    await open.send({ topic: env.topics.traits, messages: [{ key: 'u-open', value: JSON.stringify({ type: 'identify', userId: 'u-open', timestamp: at(30), traits: { plan: 'pro' }, messageId: 't-open' }) }] });
    const events = Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: `u-${i}`, event: 'Signed_Up', timestamp: at(i), messageId: `e-${i}`, properties: {} }));
    await produceMessages(env, events);

    const processor = await startInProcess(env, defs, join(env.stateRoot, 'open'), { metricsPort: null, lagWaitMs: 500 });
    try {
      // The events are processed although the traits input reports records it cannot show yet.
      for (;;) {
        const [committed] = await env.admin.fetchOffsets({ groupId: env.group, topics: [env.topics.events] });
        if (committed?.partitions[0]?.offset === String(events.length)) break;
        await sleep(100);
      }
      await open.commit();
      await waitCaughtUp(env);
    } finally {
      await processor.stop();
      await upstream.disconnect();
    }
    const transitions = await readTransitions(env);
    for (const e of events) expect(transitions.some((t) => t.userId === e.userId && t.journey === 'e11-randomized-split')).toBe(true);
  });

  test('bad input goes to the dead-letter topic with its reason; messages without userId are skipped; the rest is processed', async () => {
    env = await processorEnv(2, defs);
    const registry = schemaRegistry();
    const { id: segmentId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(loadAvroSchema('segmentMessage')) }, { subject: `${env.topics.events}-value` });
    const segmentType = (await import('avsc')).default.Type.forSchema(loadAvroSchema('segmentMessage'));
    const framed = (id: number, body: Buffer) => Buffer.concat([Buffer.from([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), body]);
    const good = (u: string, i: number) => ({ type: 'track', userId: u, event: 'Cart_Viewed', timestamp: `2026-05-01T10:00:${String(i % 60).padStart(2, '0')}.000Z`, messageId: `g${u}-${i}`, properties: { cart_id: `c${i}` } });

    const bad: { key: string; value: Buffer }[] = [];
    for (let i = 0; i < 25; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(`{not json ${i}`) });
    for (let i = 0; i < 25; i++) bad.push({ key: `bad-${i}`, value: framed(987654 + i, Buffer.from([1, 2, 3])) });
    for (let i = 0; i < 25; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(JSON.stringify({ type: 'track', userId: `bad-${i}`, event: 'X', timestamp: '2026-05-01T10:00:00' })) });
    for (let i = 0; i < 25; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(JSON.stringify({ type: 'track', userId: `bad-${i}`, event: 42, properties: 'x', timestamp: '2026-05-01T10:00:00Z' })) });
    for (let i = 0; i < 10; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(JSON.stringify({ type: 'track', userId: `bad-${i}`, event: 'X', timestamp: '2026-05-01T10:00:00Z', properties: { blob: 'x'.repeat(300_000) } })) });
    for (let i = 0; i < 5; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(JSON.stringify({ type: 'click', userId: `bad-${i}`, timestamp: '2026-05-01T10:00:00Z' })) });
    // Values the state could not keep (a number JSON cannot write, nesting that overflows JSON.stringify's stack), a
    // userId with no UTF-8 form, and an id of a registry subject that is no Avro schema: each failed every batch of
    // its partition before, a processor stuck for good.
    for (let i = 0; i < 5; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(`{"type":"track","userId":"bad-${i}","event":"Product Added","timestamp":"2026-05-01T10:00:00Z","properties":{"cart_id":1e400}}`) });
    for (let i = 0; i < 5; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(`{"type":"identify","userId":"bad-${i}","timestamp":"2026-05-01T10:00:00Z","traits":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`) });
    for (let i = 0; i < 5; i++) bad.push({ key: `bad-${i}`, value: Buffer.from(`{"type":"track","userId":"bad-${i}\\ud800","event":"Product Added","timestamp":"2026-05-01T10:00:00Z"}`) });
    // JSON whose bytes are not UTF-8 (a Latin-1 "é"): refused whole, not read with U+FFFD in its place.
    for (let i = 0; i < 5; i++) bad.push({ key: `bad-${i}`, value: Buffer.concat([Buffer.from(`{"type":"track","userId":"bad-${i}","event":"Caf`), Buffer.from([0xe9]), Buffer.from('","timestamp":"2026-05-01T10:00:00Z"}')]) });
    const { id: jsonSchemaId } = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }) }, { subject: `${env.topics.events}-json-value` });
    for (let i = 0; i < 5; i++) bad.push({ key: `bad-${i}`, value: framed(jsonSchemaId, Buffer.from(JSON.stringify(good(`bad-${i}`, i)))) });

    const goodJson = Array.from({ length: 20 }, (_, i) => good(`json-${i}`, i));
    const goodAvro = Array.from({ length: 20 }, (_, i) => good(`avro-${i}`, i));
    const noUser = Array.from({ length: 7 }, (_, i) => ({ type: 'track', event: 'Product Added', timestamp: '2026-05-01T10:00:00Z', properties: {}, messageId: `nouser-${i}` }));
    await env.producer.send({ topic: env.topics.events, messages: goodJson.map((m) => ({ key: m.userId, value: JSON.stringify(m) })) });
    // One record per request: the oversized ones would not fit in one produce request together.
    for (const b of bad) await env.producer.send({ topic: env.topics.events, messages: [b] });
    await env.producer.send({
      topic: env.topics.events,
      messages: goodAvro.map((m) => ({ key: m.userId, value: framed(segmentId, segmentType.toBuffer({ ...m, anonymousId: null, name: null, traits: null, context: null, properties: JSON.stringify(m.properties) })) })),
    });
    await env.producer.send({ topic: env.topics.events, messages: noUser.map((m) => ({ key: null, value: JSON.stringify(m) })) });

    const processor = await startInProcess(env, defs, join(env.stateRoot, 'bad'), { transitionsFormat: 'avro' });
    let metrics = '';
    try {
      await waitCaughtUp(env);
      metrics = await (await fetch(`http://127.0.0.1:${processor.metricsPort}/metrics`)).text();
      // Every record once (records fetched before the partition was ready are fetched again: not counted twice).
      expect(metrics).toContain(`journeys_records_consumed_total{topic="${env.topics.events}"} ${goodJson.length + bad.length + goodAvro.length + noUser.length}`);
      expect(metrics).toMatch(/journeys_records_dropped_total\{reason="no_user_id"\} 7/);
      expect(metrics).toMatch(/journeys_records_dropped_total\{reason="undecodable"\} 60/);
      expect(metrics).toMatch(/journeys_records_dropped_total\{reason="invalid"\} 80/);
      expect(metrics).toContain('journeys_transitions_total{journey=');
      expect((await fetch(`http://127.0.0.1:${processor.metricsPort}/healthz`)).status).toBe(200);
    } finally {
      await processor.stop();
    }

    // Every bad record is in the DLQ with its reason and source coordinates; nothing else is.
    const dlq: ReturnType<typeof decodeDeadLetter>[] = [];
    const consumer = env.kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: env.topics.dlq, fromBeginning: true });
    await new Promise<void>((res) => {
      void consumer.run({ eachMessage: async ({ message }) => {
        dlq.push(decodeDeadLetter(message.value as Buffer));
        if (dlq.length >= bad.length) res();
        return Promise.resolve();
      } });
    });
    await consumer.disconnect();
    expect(dlq).toHaveLength(bad.length);
    const reasons = dlq.map((d) => d.reason);
    expect(reasons.filter((r) => r.includes('neither JSON nor Confluent Avro'))).toHaveLength(25);
    expect(reasons.filter((r) => r.includes('not valid UTF-8'))).toHaveLength(5);
    expect(reasons.filter((r) => r.includes('unknown Avro schema id'))).toHaveLength(30);
    expect(reasons.filter((r) => r.includes('properties holds a number out of range (Infinity)'))).toHaveLength(5);
    expect(reasons.filter((r) => r.includes('traits is nested deeper than 100 levels'))).toHaveLength(5);
    expect(reasons.filter((r) => r.includes('userId is not well-formed Unicode'))).toHaveLength(5);
    expect(reasons.filter((r) => r.includes('is not ISO-8601 with Z or an offset'))).toHaveLength(25);
    expect(reasons.filter((r) => r.includes('track without a string event') || r.includes('properties is not an object'))).toHaveLength(25);
    expect(reasons.filter((r) => r.includes('over the 262144-byte limit'))).toHaveLength(10);
    expect(reasons.filter((r) => r.includes('unknown type'))).toHaveLength(5);
    for (const d of dlq) {
      expect(d.topic).toBe(env.topics.events);
      expect(d.errorCode).toMatch(/^JRN_ERR_/);
      expect(bad.some((b) => b.value.equals(d.value as Buffer))).toBe(true);
    }

    // The good ones (JSON and Avro) entered journeys like anything else.
    const transitions = await readTransitions(env);
    const users = new Set(transitions.map((t) => t.userId));
    for (const m of [...goodJson, ...goodAvro]) expect(users.has(m.userId)).toBe(true);
    expect([...users].some((u) => u.startsWith('bad-'))).toBe(false);
    // The transitions metric counts each one, per journey.
    const counted = new Map([...metrics.matchAll(/^journeys_transitions_total\{journey="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    const perJourney = new Map<string, number>();
    for (const t of transitions) perJourney.set(t.journey, (perJourney.get(t.journey) ?? 0) + 1);
    expect(counted).toEqual(perJourney);
  });
});
