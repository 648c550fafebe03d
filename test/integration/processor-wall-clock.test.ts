// The wall clock (the default): messages are processed at the processor's time, and a scheduler fires
// due timers by itself, with no input arriving; a timer's record carries its due time.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransitionDecoder } from '../../src/codecs/transition-codec';
import { loadDefinitions } from '../../src/definitions';
import type { Transition } from '../../src/engine/transition';
import type { Processor } from '../../src/processor/processor';
import { consumeUntil, schemaRegistry } from '../helpers/kafka';
import { processorEnv, readTransitions, startInProcess, type ProcessorEnv } from '../helpers/processor';

/** A topology of one journey (Ping → wait → send), its topics, and a wall-clock processor to start on them. */
async function pingWithWait(wait: string): Promise<{ dir: string; stateDir: string; env: ProcessorEnv; start: (metricsPort?: number | null) => Promise<Processor> }> {
  const dir = mkdtempSync(join(tmpdir(), 'jp-wall-'));
  writeFileSync(join(dir, 'destinations.yaml'), 'destinations:\n  - { id: email, type: webhook, url: "http://127.0.0.1:9/e", format: segment-track }\n');
  writeFileSync(join(dir, 'ping.journey.yaml'), `journey: ping\nentry:\n  event: Ping\nsteps:\n  - id: pause\n    wait: ${wait}\n  - id: hello\n    send: { to: [email] }\n`);
  const defs = loadDefinitions(dir);
  const env = await processorEnv(1, defs);
  const stateDir = join(dir, 'state');
  const start = (metricsPort: number | null = null) => startInProcess(env, defs, stateDir, { clock: 'wall', transitionsFormat: 'avro', metricsPort });
  return { dir, stateDir, env, start };
}

test('a wait fires on the wall clock without further input, at its due time', async () => {
  const { dir, env, start } = await pingWithWait('2s');
  const processor = await start(0);
  try {
    // An old timestamp: on the wall clock the message is processed now, whatever its timestamp says.
    await env.producer.send({ topic: env.topics.events, messages: [{ key: 'u1', value: JSON.stringify({ type: 'track', userId: 'u1', event: 'Ping', timestamp: '2020-01-01T00:00:00Z', messageId: 'p1' }) }] });
    const decoder = new TransitionDecoder(schemaRegistry());
    const received = await consumeUntil(env.kafka, env.topics.transitions, (r) => r.length >= 3);
    const records: Transition[] = await Promise.all(received.map((r) => decoder.decode(r.message.value as Buffer)));
    expect(records.map((t) => `${t.from ?? 'null'}→${t.to} ${t.reason}`)).toEqual(['null→pause entry', 'pause→hello wait', 'hello→$complete end']);
    const [entry, wait] = records as [Transition, Transition];
    expect(Date.parse(entry.at)).toBeGreaterThan(Date.parse('2025-01-01T00:00:00Z'));
    expect(Date.parse(wait.at) - Date.parse(entry.at)).toBe(2000);
    expect(wait.cause).toBeNull();
    const metrics = await (await fetch(`http://127.0.0.1:${processor.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/journeys_timer_lateness_seconds_count 1/);
  } finally {
    await processor.stop();
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a timer fired on the wall clock whose store write was lost (killed right after the commit) does not fire again', async () => {
  const { dir, stateDir, env, start } = await pingWithWait('5s');
  const ping = (userId: string) => env.producer.send({ topic: env.topics.events, messages: [{ key: userId, value: JSON.stringify({ type: 'track', userId, event: 'Ping', timestamp: '2026-01-01T00:00:00Z', messageId: `p-${userId}` }) }] });
  const seen = async (n: number) => consumeUntil(env.kafka, env.topics.transitions, (r) => r.length >= n);
  try {
    let processor = await start();
    await ping('u1');
    await seen(1);
    await processor.stop();
    expect(await readTransitions(env)).toHaveLength(1); // stopped before the wait was due
    // The store with u1's wait still pending: what a kill right after the firing's commit, before its store
    // write, leaves behind (the firing moves no input offset).
    cpSync(stateDir, `${stateDir}.before`, { recursive: true });
    processor = await start();
    await seen(3);
    await processor.stop();
    rmSync(stateDir, { recursive: true, force: true });
    cpSync(`${stateDir}.before`, stateDir, { recursive: true });
    processor = await start();
    // u1's wait, overdue, would fire at the scheduler's first tick: long before u2's, five seconds after u2 enters.
    await ping('u2');
    await seen(6);
    await processor.stop();
    const ids = (await readTransitions(env)).map((t) => `${t.userId} ${t.to}`);
    expect(ids.sort()).toEqual(['u1 $complete', 'u1 hello', 'u1 pause', 'u2 $complete', 'u2 hello', 'u2 pause']);
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
