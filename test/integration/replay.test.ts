// `journeys replay --from` (spec §7) against the real broker: history rebuilt for a condition-entry journey
// deployed later, its `historical: true` entries at go-live for every user it holds for, nothing repeated.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinitions } from '../../src/definitions';
import { writeTopologies } from '../helpers/test-driver';
import {
  inputLag, produceClockTicks, produceMessages, processorEnv, readTransitions, runCaughtUp, startJourneys, startProcessor, waitCaughtUp, waitMembers,
  type ProcessorEnv,
} from '../helpers/processor';

const PING = { 'ping.journey.yaml': 'journey: ping\nentry: { event: Ping }\nsteps:\n  - { id: p, wait: 1h }\n' };
/** Journeys deployed later: one counts every order ever, one the orders of the last day. */
const ADDED = {
  ...PING,
  'recent.journey.yaml': 'journey: recent\nentry:\n  condition: { performed: Order Completed, within: 1d }\n  historical: true\nsteps:\n  - { id: r, wait: 1h }\n',
  'vip.journey.yaml': 'journey: vip\nentry:\n  condition: { performed: Order Completed, atLeast: 2 }\n  historical: true\nsteps:\n  - { id: v, wait: 1h }\n',
};

/** The processor's warning for a journey counting events its partition did not keep before. */
const NOT_KEPT = 'counts events this partition did not keep before';

const END = '2026-05-10T12:00:00.000Z';
const before = (hours: number) => new Date(Date.parse(END) - hours * 3_600_000).toISOString();
const order = (userId: string, hoursBefore: number) => ({ type: 'track', userId, event: 'Order Completed', timestamp: before(hoursBefore), messageId: `o-${userId}-${hoursBefore}` });
const ping = (userId: string, hoursBefore: number) => ({ type: 'track', userId, event: 'Ping', timestamp: before(hoursBefore), messageId: `p-${userId}` });
/**
 * Orders before the new journeys exist: v1 three (one in the last day), v2 two, v3 one, v4 none; w1 two with one
 * messageId, 30 h apart, then an identify. The orders count twice only at the `now` each was processed at
 * (deduplication is for 24 h, spec §2), so the replay must learn the messages in the processor's merged order:
 * reading all traits first put the clock at w1's identify, and w1's second order became a duplicate.
 */
const HISTORY = [
  order('v1', 120), order('v2', 120), ping('v1', 110), ping('v2', 110), ping('v3', 110), ping('v4', 110),
  order('v2', 96), order('v1', 72), order('v3', 72), order('v1', 2),
  order('w1', 120), { ...order('w1', 90), messageId: order('w1', 120).messageId },
  { type: 'identify', userId: 'w1', traits: { plan: 'gold' }, timestamp: before(80), messageId: 'i-w1' },
].sort((a, b) => a.timestamp.localeCompare(b.timestamp));

/** Entries only, as `journey user at cause`: what the replay is about. */
async function entries(env: ProcessorEnv): Promise<string[]> {
  const all = await readTransitions(env);
  return all.filter((t) => t.from === null).map((t) => `${t.journey} ${t.userId} ${t.at} ${t.cause === null ? 'time' : t.cause.messageId}`).sort();
}

/** The states a replay reports updated, over its partitions' summary lines. */
function statesUpdated(output: string): number {
  return [...output.matchAll(/^partition \d+: .*?, (\d+) states updated,/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('journeys replay', () => {
  let env: ProcessorEnv | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await env?.close();
    env = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  test('rebuilds the history a journey deployed later counts: its historical entries at go-live, for every user; a second replay repeats nothing', async () => {
    const [dirA, dirB] = [writeTopologies(PING), writeTopologies(ADDED)];
    dirs.push(dirA, dirB);
    env = await processorEnv(2, loadDefinitions(dirA));
    const stateDir = join(env.stateRoot, 'a');
    await produceMessages(env, HISTORY);
    await produceClockTicks(env, END);
    const a = startProcessor(env, dirA, stateDir);
    await waitCaughtUp(env);
    // Not while the group's processors run: both would write the partitions' state.
    await waitMembers(env, 1);
    const refused = startJourneys('replay', env, dirB, join(env.stateRoot, 'elsewhere'), ['--from', 'earliest']);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain('active member');
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const pings = ['v1', 'v2', 'v3', 'v4'].map((u) => `ping ${u} ${before(110)} p-${u}`);
    expect(await entries(env)).toEqual(pings);

    const replay = startJourneys('replay', env, dirB, stateDir, ['--from', 'earliest']);
    expect(await replay.exited).toBe(0);
    expect(replay.output()).toContain(`live: recent@1 at ${END}, vip@1 at ${END}`);
    // Every user's state is written: the go-live records each one's starting truth of the new journeys.
    expect(statesUpdated(replay.output())).toBe(5);
    // The group's processors stopped at END (the clock ticks): the journeys go live then, v1 and v2 with two
    // orders or more, v1 alone with one in the last day. Processor A never counted orders: without the replay
    // nobody would enter.
    expect(await entries(env)).toEqual([...pings, `recent v1 ${END} time`, `vip v1 ${END} time`, `vip v2 ${END} time`, `vip w1 ${END} time`].sort());

    // The processor goes on with the new journeys: v3's second order is a false→true change; v1 is in already.
    const b = startProcessor(env, dirB, stateDir);
    await produceMessages(env, [order('v3', -1), order('v1', -1)]);
    await waitCaughtUp(env);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    // The replay counted the orders, and kept the new versions: nothing to warn about.
    expect(b.output()).not.toContain(NOT_KEPT);
    const after = [...pings, `recent v1 ${END} time`, `vip v1 ${END} time`, `vip v2 ${END} time`, `vip w1 ${END} time`, `recent v3 ${before(-1)} o-v3--1`, `vip v3 ${before(-1)} o-v3--1`].sort();
    expect(await entries(env)).toEqual(after);

    // Run again (as after a replay stopped midway): the histories are the same length, everyone is in already.
    const count = (await readTransitions(env)).length;
    const again = startJourneys('replay', env, dirB, stateDir, ['--from', 'earliest']);
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/partition 0: .* 0 transitions\n/);
    expect(again.output()).toMatch(/partition 1: .* 0 transitions\n/);
    expect(statesUpdated(again.output())).toBe(0);
    expect(await readTransitions(env)).toHaveLength(count);
  });

  test('a processor loading journeys that count events it did not keep warns that earlier ones are not counted, once', async () => {
    const [dirA, dirB] = [writeTopologies(PING), writeTopologies(ADDED)];
    dirs.push(dirA, dirB);
    env = await processorEnv(1, loadDefinitions(dirA));
    const e = env;
    const stateDir = join(env.stateRoot, 'w');
    // runCaughtUp stops each with SIGTERM and fails unless it exits 0.
    const a = await runCaughtUp(e, dirA, stateDir, () => produceMessages(e, HISTORY));
    expect(a).not.toContain(NOT_KEPT);

    const b = await runCaughtUp(e, dirB, stateDir, () => produceMessages(e, [ping('v5', -1)]));
    const warned = b.split('\n').filter((l) => l.includes(NOT_KEPT)).map((l) => (JSON.parse(l) as { journey: string; events: string[] }));
    expect(warned.map((w) => [w.journey, w.events])).toEqual([['recent', ['Order Completed']], ['vip', ['Order Completed']]]);

    // Once: the partition now keeps those versions.
    expect(await runCaughtUp(e, dirB, stateDir, () => produceMessages(e, [ping('v6', -1)]))).not.toContain(NOT_KEPT);
  });

  test('a group that never ran: state built from the history, historical entries only, and the group goes on from the end of the input', async () => {
    const dirB = writeTopologies(ADDED);
    dirs.push(dirB);
    env = await processorEnv(2, loadDefinitions(dirB));
    const stateDir = join(env.stateRoot, 'b');
    await produceMessages(env, HISTORY);
    await produceClockTicks(env, END);
    // From a time: the orders of 120 h before END are not read again, so v2 has one order and stays out.
    const replay = startJourneys('replay', env, dirB, stateDir, ['--from', before(100)]);
    expect(await replay.exited).toBe(0);
    // A state for each user of the span read (v1, v2, v3, w1), written by the replay.
    expect(statesUpdated(replay.output())).toBe(4);
    expect(await inputLag(env)).toBe(0);
    // No ping entries: the history's messages are facts for the replay, not triggers.
    expect(await entries(env)).toEqual([`recent v1 ${END} time`, `vip v1 ${END} time`]);

    const p = startProcessor(env, dirB, stateDir);
    await produceMessages(env, [order('v2', -1), ping('v5', -1)]);
    await waitCaughtUp(env);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(await entries(env)).toEqual([
      `ping v5 ${before(-1)} p-v5`, `recent v1 ${END} time`, `recent v2 ${before(-1)} o-v2--1`, `vip v1 ${END} time`, `vip v2 ${before(-1)} o-v2--1`,
    ].sort());
  });

  test('on the wall clock the journeys go live now, though the history holds a message stamped years ahead', async () => {
    const dirB = writeTopologies(ADDED);
    dirs.push(dirB);
    env = await processorEnv(1, loadDefinitions(dirB));
    const future = '2031-01-01T00:00:00.000Z';
    await produceMessages(env, [...HISTORY, { ...order('v1', 0), timestamp: future, messageId: 'o-future' }]);
    const startedAt = Date.now();
    const replay = startJourneys('replay', env, dirB, join(env.stateRoot, 'w'), ['--from', 'earliest', '--clock', 'wall']);
    expect(await replay.exited).toBe(0);
    const wentLive = (await readTransitions(env)).filter((t) => t.from === null && t.journey === 'vip');
    expect(wentLive.map((t) => t.userId).sort()).toEqual(['v1', 'v2', 'w1']);
    for (const t of wentLive) expect(Date.parse(t.at)).toBeGreaterThanOrEqual(startedAt - 1000);
    for (const t of wentLive) expect(Date.parse(t.at)).toBeLessThan(Date.parse(future));
  });
});
