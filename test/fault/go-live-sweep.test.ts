// A condition-entry journey deployed to a processor that already holds users (spec §4.1): at go-live the
// processor brings every user of the store to that instant, a chunk of users per transaction, so `historical: true`
// entries are made for all of them at once. Killed with SIGKILL during that sweep, it must go on from where its
// last committed chunk left off: every qualifying user enters exactly once. A version that migrates live
// instances is swept the same way: every instance moves exactly once.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDefinitions } from '../../src/definitions';
import { faultTest } from '../helpers/fault-tests';
import { writeTopologies } from '../helpers/test-driver';
import { produceMessages, processorEnv, readTransitions, runCaughtUp, startProcessor, type ProcessorEnv, type ProcessorProcess } from '../helpers/processor';

const PING = { 'ping.journey.yaml': 'journey: ping\nentry: { event: Ping }\nsteps:\n  - { id: p, wait: 1h }\n' };
const PRO = 'journey: pro\nentry:\n  condition: { trait: plan, equals: pro }\n  historical: true\nsteps:\n  - { id: hello, wait: 1h }\n';
const USERS = 4000;

/** Polls the processor's output until `done` holds; fails once the process has ended (by exit or signal). */
async function waitFor(p: ProcessorProcess, what: string, done: (output: string) => boolean): Promise<void> {
  while (!done(p.output())) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`processor ended before ${what}:\n${p.output().slice(-3000)}`);
    await sleep(2);
  }
}

const count = (text: string, of: string): number => text.split(of).length - 1;
const resumes = (p: ProcessorProcess): string[] => [...p.output().matchAll(/"after":"([^"]+)","msg":"bringing users/g)].map((m) => m[1] as string);

/**
 * Runs the processor on `before` until it has read everything, then on `after` (whose loading sweeps the store),
 * killed with SIGKILL during the sweep twice, then once more until every partition is ready. Returns where the
 * runs resumed the sweep (information: whether the kills landed between two of its commits).
 */
async function sweepKilledTwice(env: ProcessorEnv, before: string, after: string, stateDir: string): Promise<string[]> {
  await runCaughtUp(env, before, stateDir);
  const resumedFrom: string[] = [];
  for (let kill = 0; kill < 2; kill++) {
    const b = startProcessor(env, after, stateDir, [], 'info');
    // The first run starts the sweep (and may be killed before its first commit); a later one goes on with it
    // only if it was cut short: then it logs where it resumes.
    await waitFor(b, 'the sweep or both partitions ready', (out) => out.includes('bringing users to the go-live') || count(out, '"msg":"partition ready"') >= 2);
    // The sweep takes about 0.5 s here (4 chunks of 500 users per partition): these land between its commits.
    await sleep(150 - 50 * kill);
    b.child.kill('SIGKILL');
    await b.exited;
    resumedFrom.push(...resumes(b));
  }
  const last = startProcessor(env, after, stateDir, [], 'info');
  await waitFor(last, 'both partitions ready', (out) => count(out, '"msg":"partition ready"') >= 2);
  last.child.kill('SIGTERM');
  expect(await last.exited).toBe(0);
  return [...resumedFrom, ...resumes(last)];
}

describe('going live on a store of users', () => {
  let env: ProcessorEnv | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await env?.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  faultTest('killed during the sweep at go-live, twice: every user who qualifies enters once, at the go-live instant', async () => {
    const [dirA, dirB] = [writeTopologies(PING), writeTopologies({ ...PING, 'pro.journey.yaml': PRO })];
    dirs.push(dirA, dirB);
    env = await processorEnv(2, loadDefinitions(dirA));
    const at = (i: number) => new Date(Date.UTC(2026, 4, 1, 10, 0, i)).toISOString();
    await produceMessages(env, Array.from({ length: USERS }, (_, i) => ({ type: 'identify', userId: `s${i}`, traits: { plan: i % 2 === 0 ? 'pro' : 'free' }, timestamp: at(i % 3600), messageId: `i${i}` })));
    const resumedFrom = await sweepKilledTwice(env, dirA, dirB, join(env.stateRoot, 'sweep'));

    const entries = (await readTransitions(env)).filter((t) => t.journey === 'pro' && t.from === null);
    const users = entries.map((t) => t.userId);
    expect(new Set(users).size).toBe(users.length);
    expect(users.sort()).toEqual(Array.from({ length: USERS / 2 }, (_, k) => `s${2 * k}`).sort());
    expect(entries.every((t) => t.cause === null)).toBe(true);
    process.stdout.write(`go-live sweep resumed after: ${JSON.stringify(resumedFrom)}\n`);
  });

  // A new version whose `migrate` moves the live instances of the previous one (spec §4.6) is loaded the same way:
  // every user is brought to the instant it is loaded, by the same sweep.
  faultTest('killed during the sweep of a migrating version, twice: every live instance moves once', async () => {
    const v1 = 'journey: mig\nversion: 1\nentry: { event: Go }\nsteps:\n  - { id: w, wait: 1d }\n';
    const v2 = 'journey: mig\nversion: 2\nentry: { event: Go }\nmigrate: { w: ask }\nsteps:\n'
      + '  - id: ask\n    waitFor: { events: [{ event: Reply, next: end }], timeout: 1d, onTimeout: end }\n';
    const [dirA, dirB] = [writeTopologies({ 'mig.journey.yaml': v1 }), writeTopologies({ 'mig.journey.yaml': v2 })];
    dirs.push(dirA, dirB);
    env = await processorEnv(2, loadDefinitions(dirA));
    const at = (i: number) => new Date(Date.UTC(2026, 4, 1, 10, 0, i)).toISOString();
    await produceMessages(env, Array.from({ length: USERS }, (_, i) => ({ type: 'track', userId: `m${i}`, event: 'Go', timestamp: at(i % 3600), messageId: `g${i}` })));
    const resumedFrom = await sweepKilledTwice(env, dirA, dirB, join(env.stateRoot, 'migrate'));
    process.stdout.write(`migration sweep resumed after: ${JSON.stringify(resumedFrom)}\n`);

    const moves = (await readTransitions(env)).filter((t) => t.version === 2);
    const users = moves.map((t) => t.userId);
    expect(new Set(users).size).toBe(users.length);
    expect(users.sort()).toEqual(Array.from({ length: USERS }, (_, k) => `m${k}`).sort());
    expect(moves.every((t) => t.from === 'w' && t.to === 'ask' && t.reason === 'next' && t.cause === null && t.seq === 2)).toBe(true);
  });
});
