// Spec §7: with the event clock and input in time order, the processor's transitions equal `journeys simulate`'s.
// Here on the 569 hand-derived spec cases (test/scenarios/spec-cases/: forks, restarts, exits at entry, ties at
// one instant, windows flipping by time, dedup, the instance limit and lifetime, invalid lines...), each through
// the real broker: one partition, every line of the case produced as it is (invalid ones too) to the events
// topic in file order (either topic takes every type, §2; one topic keeps simulate's order), then a clock tick at
// the case's `until`. The transitions topic, read committed, must hold exactly simulate's records, and the DLQ
// exactly the lines simulate skips.
import { join } from 'node:path';
import type { Transition } from '../../src/engine/transition';
import { decodeDeadLetter } from '../../src/codecs/dead-letter-codec';
import {
  compareTransitions, produceClockTicks, processorEnv, readCommitted, readTransitions, startInProcess, waitCaughtUp,
} from '../helpers/processor';
import { readSpecCase, simulateSpecCase, specCaseNames, type SpecCase } from '../helpers/spec-cases';

interface Outcome {
  transitions: Transition[];
  deadLetters: string[];
}

async function runOnProcessor(c: SpecCase): Promise<Outcome> {
  // No destination topics: the processor does not write to them, and the cases' kafka destination names one
  // fixed topic.
  const env = await processorEnv(1, null);
  try {
    await env.producer.send({
      topic: env.topics.events,
      messages: c.lines.map(({ text }) => ({ partition: 0, key: userIdOf(text), value: text })),
    });
    await produceClockTicks(env, c.until.iso);
    const processor = await startInProcess(env, c.definitions, join(env.stateRoot, 'p'), { engine: c.options });
    try {
      await waitCaughtUp(env);
    } finally {
      await processor.stop();
    }
    const deadLetters: string[] = [];
    await readCommitted(env, env.topics.dlq, 1, (m) => {
      deadLetters.push(decodeDeadLetter(m.value as Buffer).reason);
    });
    return { transitions: await readTransitions(env), deadLetters };
  } finally {
    await env.close();
  }
}

/** The record key an upstream app would give the line: its userId when that is a non-empty string. */
function userIdOf(text: string): string | null {
  try {
    const m: unknown = JSON.parse(text);
    const id = typeof m === 'object' && m !== null ? (m as { userId?: unknown }).userId : undefined;
    return typeof id === 'string' && id !== '' ? id : null;
  } catch {
    return null;
  }
}

const names = specCaseNames();

describe('processor = simulate on the hand-derived spec cases (real broker, event clock)', () => {
  it('has all of them', () => {
    expect(names.length).toBeGreaterThanOrEqual(569);
  });

  it.each(names)('%s', async (name) => {
    const c = readSpecCase(name);
    const expected = simulateSpecCase(c);
    const actual = await runOnProcessor(c);
    expect(compareTransitions(actual.transitions, expected.transitions)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
    // Each instance's records in seq order on the topic (what a consumer of the user's partition sees).
    const seqs = new Map<string, number[]>();
    for (const t of actual.transitions) seqs.set(t.instance, [...(seqs.get(t.instance) ?? []), t.seq]);
    for (const [instance, s] of seqs) expect({ instance, s }).toEqual({ instance, s: s.map((_, i) => i + 1) });
    expect(actual.deadLetters).toHaveLength(expected.skipped.length);
  });
});
