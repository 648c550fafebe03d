// Chaos soak of `journeys process --clock event` (`npm run soak`; not part of `npm test`): rounds with a new seed
// each, a generated workload (users, messages, stepMs, partitions drawn from the seed; the repo's topologies or a
// spec case's), input produced up front or partly while the processors run, and a random mix of faults: SIGKILL at
// random moments, right after start and during a restore; processors joining and leaving; a lost state dir; SIGSTOP
// past the session, then SIGCONT; one broker restart. At the end of each round every processor has caught up and
// exits 0 on SIGTERM, and the transitions topic (read_committed) must equal `journeys simulate` on the same input,
// id for id. A processor that exits by itself (a start while the broker restarts gives up after ~10 s) is started
// again on its state dir, as an orchestrator would, and reported.
//
//   SOAK_MINUTES    no new round starts after this many minutes (default 30)
//   SOAK_SEEDS      comma-separated seeds to run again (each round's seed is in its log line)
//   SOAK_SEED_BASE  first seed (default: from the time); each round adds 7919
//   SOAK_DROP       comma-separated fault kinds left out of each round's schedule (narrowing a failure)
//   SOAK_CONTINUE=1 go on after a failed round (default: stop, keeping its topics and state dirs)
//   SOAK_PROC_ARGS  extra `journeys process` flags for every processor
//   SOAK_INTERLEAVED_ARGS  extra flags where input is produced while processors run (default `--max-idle-ms 3000`:
//                   a chunk's events may show before its traits; README, Stream processor)
//   SOAK_LOG_DIR    per-round records (rounds.jsonl) and failed rounds' processor outputs (default .soak/)
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDefinitions } from '../../src/definitions';
import type { Definitions, Json } from '../../src/definitions/model';
import type { Transition } from '../../src/engine/transition';
import { restartBroker } from '../helpers/infra-process';
import {
  ROOT, compareTransitions, inputLag, produceClockTicks, produceMessages, processorEnv, readTransitions, simulate, startProcessor, waitCaughtUp, waitJoined, whenLogged,
  type Comparison, type ProcessorEnv, type ProcessorProcess,
} from '../helpers/processor';
import { generateWorkload, prng } from '../../src/demo/workload';

const LOG_DIR = process.env.SOAK_LOG_DIR ?? join(ROOT, '.soak');
const UNTIL = Date.now() + Number(process.env.SOAK_MINUTES ?? 30) * 60_000;
const SEEDS = process.env.SOAK_SEEDS ? process.env.SOAK_SEEDS.split(',').map(Number) : null;
const SEED_BASE = Number(process.env.SOAK_SEED_BASE ?? (Date.now() % 1_000_000));
const DROP = new Set((process.env.SOAK_DROP ?? '').split(',').filter((s) => s !== ''));
const DEADLINE_MS = Number(process.env.FAULT_DEADLINE_MS ?? 8 * 60_000);
const SESSION_MS = 10_000;
const PROC_ARGS = (process.env.SOAK_PROC_ARGS ?? '').split(' ').filter((s) => s !== '');
const INTERLEAVED_ARGS = (process.env.SOAK_INTERLEAVED_ARGS ?? '--max-idle-ms 3000').split(' ').filter((s) => s !== '');
const procArgs = (pl: { split: number | null }): string[] => [...PROC_ARGS, ...(pl.split !== null ? INTERLEAVED_ARGS : [])];
const REPO_TOPOLOGIES = join(ROOT, 'topologies');
const SPEC_CASES = join(ROOT, 'test', 'scenarios', 'spec-cases');

jest.setTimeout(Math.max(UNTIL - Date.now(), 0) + 40 * 60_000);

type FaultKind = 'kill' | 'killEarly' | 'killRestore' | 'join' | 'leave' | 'diskLoss' | 'zombie' | 'broker' | 'produceRest';
interface Fault { kind: FaultKind; at: number; r: number[] }

interface RoundPlan {
  seed: number; topologies: string; topologySet: string; partitions: number; users: number; messages: number; stepMs: number;
  split: number | null; initial: number; faults: Fault[];
}

const byMs = (t0: number) => () => Date.now() - t0;

function specCaseTopologies(): string[] {
  return readdirSync(SPEC_CASES).filter((n) => !n.startsWith('_') && !existsSync(join(SPEC_CASES, n, 'args')) && existsSync(join(SPEC_CASES, n, 'topologies'))).sort();
}

function plan(seed: number): RoundPlan {
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  let topologies = REPO_TOPOLOGIES;
  let topologySet = 'topologies/';
  if (rnd() < 0.2) {
    const cases = specCaseTopologies();
    const name = cases[Math.floor(rnd() * cases.length)] as string;
    topologies = join(SPEC_CASES, name, 'topologies');
    topologySet = `spec-cases/${name}`;
  }
  const partitions = int(2, 6);
  const users = int(300, 2000);
  const messages = int(5000, 30000);
  const stepMs = Math.round(Math.exp(Math.log(1000) + rnd() * (Math.log(60_000) - Math.log(1000))));
  const interleaved = rnd() < 0.35;
  const split = interleaved ? Math.floor(messages * rnd() * 0.6) : null;
  const initial = int(1, 2);
  const n = int(3, 7);
  const faults: Fault[] = [];
  const weights: [FaultKind, number][] = [['kill', 28], ['killEarly', 10], ['killRestore', 9], ['join', 15], ['leave', 12], ['diskLoss', 10], ['zombie', 10], ['broker', 6]];
  const totalW = weights.reduce((s, [, w]) => s + w, 0);
  let broker = false;
  for (let i = 0; i < n; i++) {
    let x = rnd() * totalW;
    let kind: FaultKind = 'kill';
    for (const [k, w] of weights) { if ((x -= w) < 0) { kind = k; break; } }
    if (kind === 'broker') { if (broker) kind = 'kill'; broker = true; }
    faults.push({ kind, at: 0.02 + rnd() * 0.9, r: [rnd(), rnd(), rnd(), rnd(), rnd()] });
  }
  if (split !== null) faults.push({ kind: 'produceRest', at: (split / (messages + partitions)) * (0.3 + rnd() * 0.6), r: [] });
  faults.sort((a, b) => a.at - b.at);
  return { seed, topologies, topologySet, partitions, users, messages, stepMs, split, initial, faults: faults.filter((f) => !DROP.has(f.kind)) };
}

interface Proc { name: string; dir: string; p: ProcessorProcess; expectedExit: boolean; stopped: boolean; startedAt: number; done: boolean; code?: number | null; needsRestart?: boolean }

interface RoundResult { ok: boolean; reason?: string; comparison?: Comparison; expected?: number; actual?: number; anomalies: string[]; selfExits: string[] }

const counts: Record<string, number> = {};
const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

async function runRound(pl: RoundPlan): Promise<{ result: RoundResult; schedule: string[]; env: ProcessorEnv; procs: Proc[]; ms: number }> {
  const t0 = Date.now();
  const now = byMs(t0);
  const schedule: string[] = [];
  const anomalies: string[] = [];
  // Processes that exited by themselves (not the harness's signal): kept with their output, restarted on their dir as
  // an orchestrator would; they fail the round only if the end result is wrong (they are reported either way).
  const selfExits: string[] = [];
  const note = (s: string) => { schedule.push(`${(now() / 1000).toFixed(1)}s ${s}`); };
  const defs: Definitions = loadDefinitions(pl.topologies);
  const workload = generateWorkload(defs, { users: pl.users, messages: pl.messages, start: '2026-05-01T00:00:00.000Z', stepMs: pl.stepMs, seed: pl.seed });
  const end = new Date(Date.parse(workload.end) + 1000).toISOString();
  const expected: Transition[] = simulate(defs, workload.messages, end);
  const env = await processorEnv(pl.partitions, defs);
  const total = workload.messages.length + pl.partitions;
  let produced = 0;
  const rnd = prng(pl.seed ^ 0x5eed);
  const procs: Proc[] = [];
  let procNo = 0;
  const alive = () => procs.filter((x) => !x.done);
  const runningAlive = () => procs.filter((x) => !x.done && !x.stopped);
  // Kills and leaves take a running processor while there is one: a frozen one killed before its SIGCONT would
  // never come back after its session expired, which is what the zombie fault is for.
  const targets = () => (runningAlive().length > 0 ? runningAlive() : alive());

  const start = (dir?: string): Proc => {
    const name = `p${++procNo}`;
    const d = dir ?? join(env.stateRoot, name);
    const p = startProcessor(env, pl.topologies, d, procArgs(pl), 'info');
    const proc: Proc = { name, dir: d, p, expectedExit: false, stopped: false, startedAt: now(), done: false };
    procs.push(proc);
    void p.exited.then((code) => {
      proc.done = true;
      proc.code = code;
      if (!proc.expectedExit) {
        const out = p.output();
        const why = out.includes('cannot reach the Kafka broker') ? 'broker unreachable' : (out.trim().split('\n').filter((l) => !l.startsWith('{')).pop() ?? '').slice(0, 200);
        selfExits.push(`${name} (pid ${p.child.pid}, started ${(proc.startedAt / 1000).toFixed(1)}s, ${out.includes('"msg":"processor started"') ? 'after' : 'before'} "processor started") exited by itself with ${String(code)} at ${(now() / 1000).toFixed(1)}s: ${why}`);
        note(`UNEXPECTED EXIT ${name} code ${String(code)} (${why})`);
        mkdirSync(join(LOG_DIR, 'self-exits'), { recursive: true });
        writeFileSync(join(LOG_DIR, 'self-exits', `seed${pl.seed}-${name}-pid${p.child.pid}-code${String(code)}.log`), out);
        proc.needsRestart = true;
      }
    });
    note(`start ${name} pid ${p.child.pid} dir ${d.split('/').pop()}`);
    return proc;
  };
  const kill = async (x: Proc, signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> => {
    x.expectedExit = true;
    if (signal === 'SIGTERM') {
      // Only a processor that has joined has its handler installed (the suite documents exit null otherwise).
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 90_000);
      try { await waitJoined(env, x.p, ac.signal); } catch { note(`${x.name} not joined within 90 s; SIGKILL instead`); signal = 'SIGKILL'; } finally { clearTimeout(timer); }
    }
    x.p.child.kill(signal);
    const code = await x.p.exited;
    note(`${signal} ${x.name} -> ${String(code)}`);
    if (signal === 'SIGTERM' && code !== 0) anomalies.push(`${x.name} SIGTERM exit ${String(code)}`);
    return code;
  };
  const pick = (xs: Proc[], r: number): Proc | undefined => xs[Math.floor(r * xs.length)];
  const ensureOne = () => {
    for (const x of procs) if (x.needsRestart) { x.needsRestart = false; note(`restart after self-exit of ${x.name}`); start(x.dir); }
    if (alive().length === 0) start();
  };

  const produce = async (msgs: Record<string, Json>[]) => {
    await produceMessages(env, msgs);
    produced += msgs.length;
  };
  const ticks = async () => { await produceClockTicks(env, end); produced += pl.partitions; };

  const waitProgress = async (fraction: number) => {
    const until = Date.now() + 5 * 60_000;
    for (;;) {
      const lag = await inputLag(env);
      const done = produced - lag;
      if ((lag === 0 && produced === total) || done / total >= fraction) return;
      if (lag === 0 && produced < total) return; // (interleaved: nothing more to consume yet)
      if (Date.now() > until) { anomalies.push(`no progress to ${fraction.toFixed(2)} in 5 min (at ${(done / total).toFixed(3)})`); note('STALL'); return; }
      await sleep(100);
    }
  };
  let zombie: Promise<void> | null = null;

  // Input up front, or a first part before the processors start.
  if (pl.split === null) { await produce(workload.messages); await ticks(); } else await produce(workload.messages.slice(0, pl.split));
  note(`produced ${produced} of ${total}`);
  for (let i = 0; i < pl.initial; i++) start();

  for (const f of pl.faults) {
    await waitProgress(f.at);
    ensureOne();
    const r = f.r;
    const [r0 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0] = r;
    note(`-- ${f.kind} at ${(f.at * 100).toFixed(0)}%`);
    if (f.kind !== 'produceRest') count(f.kind);
    switch (f.kind) {
      case 'produceRest': {
        await produce(workload.messages.slice(pl.split ?? 0));
        await ticks();
        note(`produced rest, ${produced} of ${total}`);
        break;
      }
      case 'kill': {
        const x = pick(targets(), r0);
        if (x === undefined) break;
        await sleep(Math.floor(r1 * 700));
        await kill(x, 'SIGKILL');
        if (r2 < 0.85 || alive().length === 0) { await sleep(Math.floor(r3 * 2000)); start(x.dir); }
        break;
      }
      case 'killEarly': {
        const x = pick(targets(), r0);
        if (x === undefined) break;
        await kill(x, 'SIGKILL');
        // Killed right after (re)start, twice: before it has joined, or while it loads its partitions.
        let y = start(x.dir);
        await sleep(Math.floor(r1 * 1500));
        await kill(y, 'SIGKILL');
        y = start(x.dir);
        await sleep(Math.floor(r2 * 4000));
        await kill(y, 'SIGKILL');
        start(x.dir);
        break;
      }
      case 'killRestore': {
        const x = pick(targets(), r0);
        if (x === undefined) break;
        await kill(x, x.stopped || r1 < 0.5 ? 'SIGKILL' : 'SIGTERM');
        if (r2 < 0.7) { rmSync(x.dir, { recursive: true, force: true }); note(`rm state dir ${x.name}`); }
        const y = start(x.dir);
        // Within 20 s, unless it exits first (then it is started again below anyway).
        const seen = await Promise.race([whenLogged(y.p, '"msg":"restoring state from the changelog"').then(() => true, () => false), sleep(20_000, false, { ref: false })]);
        await sleep(Math.floor(r3 * 400));
        note(`restore logged: ${seen}`);
        await kill(y, 'SIGKILL');
        if (r4 < 0.5) { rmSync(x.dir, { recursive: true, force: true }); note(`rm state dir ${x.name} again`); }
        start(x.dir);
        break;
      }
      case 'join': {
        const k = 1 + Math.floor(r0 * 3);
        const joined = Array.from({ length: k }, () => start());
        if (r1 < 0.5) {
          const ac = new AbortController();
          const timer = setTimeout(() => ac.abort(), 90_000);
          try { for (const j of joined) await waitJoined(env, j.p, ac.signal); note(`joined ${joined.map((j) => j.name).join(',')}`); } catch { note('join wait timed out'); } finally { clearTimeout(timer); }
        }
        break;
      }
      case 'leave': {
        let cands = targets();
        if (cands.length < 2) { start(); cands = targets(); await sleep(Math.floor(r3 * 5000)); }
        const k = Math.min(cands.length - 1, 1 + Math.floor(r0 * 3));
        const shuffled = [...cands].sort(() => rnd() - 0.5).slice(0, k);
        // Leaving concurrently: some clean (SIGTERM), some not (SIGKILL); a stopped (zombie) one only by SIGKILL.
        await Promise.all(shuffled.map((x, i) => kill(x, x.stopped || (r1 + i * 0.37) % 1 < 0.5 ? 'SIGKILL' : 'SIGTERM')));
        break;
      }
      case 'diskLoss': {
        const x = pick(targets(), r0);
        if (x === undefined) break;
        await kill(x, x.stopped || r1 < 0.5 ? 'SIGKILL' : 'SIGTERM');
        rmSync(x.dir, { recursive: true, force: true });
        note(`rm state dir ${x.name}`);
        await sleep(Math.floor(r2 * 3000));
        start(x.dir);
        break;
      }
      case 'zombie': {
        if (zombie !== null) { note('zombie already frozen: skipped'); break; }
        const x = pick(runningAlive(), r0);
        if (x === undefined) break;
        x.p.child.kill('SIGSTOP');
        x.stopped = true;
        const ms = SESSION_MS + 2000 + Math.floor(r1 * 15_000);
        note(`SIGSTOP ${x.name} for ${ms} ms`);
        zombie = sleep(ms).then(() => {
          if (!x.done) { x.p.child.kill('SIGCONT'); note(`SIGCONT ${x.name}`); }
          x.stopped = false;
          zombie = null;
        });
        // Sometimes another processor is there to take its partitions, sometimes not.
        if (r2 < 0.5 && runningAlive().length === 0) start();
        break;
      }
      case 'broker': {
        const hard = r0 < 0.5;
        note(`broker restart${hard ? ' (SIGKILL)' : ''}`);
        await restartBroker({ kill: hard });
        note('broker back');
        break;
      }
    }
  }

  // The end: every input produced (with the clock ticks after it), every zombie thawed, all caught up.
  if (produced < total) { await produce(workload.messages.slice(pl.split ?? 0)); await ticks(); note('produced rest (late)'); }
  if (zombie !== null) await zombie;
  ensureOne();
  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(), DEADLINE_MS);
  let result: RoundResult;
  let running: Proc[] = [];
  try {
    await waitCaughtUp(env, () => ensureOne(), ac.signal);
    note('caught up');
    running = alive();
    for (const x of running) await waitJoined(env, x.p, ac.signal);
    clearTimeout(deadline);
    for (const x of running) x.expectedExit = true;
    for (const x of running) x.p.child.kill('SIGTERM');
    // Unref'd timers, so a pending one does not keep jest alive after the last round.
    const codes = await Promise.race([Promise.all(running.map((x) => x.p.exited)), sleep(120_000, 'timeout' as const, { ref: false })]);
    note(`SIGTERM all -> ${JSON.stringify(codes)}`);
    if (codes === 'timeout' || codes.some((c) => c !== 0)) anomalies.push(`final SIGTERM exits ${JSON.stringify(codes)}`);
    const actual = await readTransitions(env);
    const comparison = compareTransitions(actual, expected);
    const equal = comparison.missing.length + comparison.extra.length + comparison.duplicated.length + comparison.different.length === 0 && actual.length === expected.length;
    result = { ok: equal && anomalies.length === 0, comparison, expected: expected.length, actual: actual.length, anomalies, selfExits, reason: equal ? (anomalies.length ? 'anomalies' : undefined) : 'DIVERGENCE' };
  } catch (err) {
    clearTimeout(deadline);
    note(`HANG: not caught up in ${DEADLINE_MS / 1000} s (lag ${await inputLag(env).catch(() => -1)})`);
    result = { ok: false, reason: `hang: ${(err as Error).message}`, anomalies, selfExits, expected: expected.length };
  }
  return { result, schedule, env, procs, ms: now() };
}

test('chaos soak: random faults, many seeds, transitions equal simulate', async () => {
  mkdirSync(LOG_DIR, { recursive: true });
  const started = Date.now();
  let round = 0;
  let totalMessages = 0;
  const failures: string[] = [];
  for (;;) {
    if (SEEDS !== null ? round >= SEEDS.length : Date.now() > UNTIL) break;
    const seed = SEEDS !== null ? (SEEDS[round] as number) : SEED_BASE + round * 7919;
    round++;
    const pl = plan(seed);
    const header = { round, seed, procArgs: procArgs(pl), topologySet: pl.topologySet, partitions: pl.partitions, users: pl.users, messages: pl.messages, stepMs: pl.stepMs, split: pl.split, initial: pl.initial, faults: pl.faults.map((f) => `${f.kind}@${(f.at * 100).toFixed(0)}%`), drop: [...DROP] };
    process.stdout.write(`\n[soak] ${new Date().toISOString()} round ${round} ${JSON.stringify(header)}\n`);
    const { result, schedule, env, procs, ms } = await runRound(pl);
    totalMessages += pl.messages;
    const summary = { ...header, result: result.ok ? (result.selfExits.length ? 'ok (with self-exits)' : 'ok') : result.reason, expected: result.expected, actual: result.actual, anomalies: result.anomalies, selfExits: result.selfExits, durationS: Math.round(ms / 1000), schedule,
      comparison: result.comparison && !result.ok ? {
        missing: result.comparison.missing.length, extra: result.comparison.extra.length, duplicated: result.comparison.duplicated.length, different: result.comparison.different.length,
        first: { missing: result.comparison.missing.slice(0, 10), extra: result.comparison.extra.slice(0, 10), duplicated: result.comparison.duplicated.slice(0, 10), different: result.comparison.different.slice(0, 5) },
      } : undefined };
    appendFileSync(join(LOG_DIR, 'rounds.jsonl'), `${JSON.stringify(summary)}\n`);
    process.stdout.write(`[soak] round ${round} seed ${seed}: ${summary.result} (${summary.durationS}s, ${result.actual ?? '?'}/${result.expected ?? '?'} transitions)${result.anomalies.length ? ` anomalies: ${JSON.stringify(result.anomalies)}` : ''}${result.selfExits.length ? ` self-exits: ${JSON.stringify(result.selfExits)}` : ''}\n`);
    if (!result.ok) {
      const dir = join(LOG_DIR, `round-${seed}${DROP.size ? `-drop-${[...DROP].join('+')}` : ''}-${Date.now()}`);
      mkdirSync(dir, { recursive: true });
      for (const x of procs) writeFileSync(join(dir, `${x.name}-pid${x.p.child.pid}-code${String(x.code)}.log`), x.p.output());
      writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...summary, comparisonFull: result.comparison, group: env.group, topics: env.topics, stateRoot: env.stateRoot }, null, 2));
      for (const x of procs) if (!x.done) x.p.child.kill('SIGKILL');
      // The env's state is kept (topics, state dirs): only its clients are closed.
      await env.producer.disconnect().catch(() => undefined);
      await env.admin.disconnect().catch(() => undefined);
      failures.push(`seed ${seed}: ${summary.result} (${dir})`);
      if (process.env.SOAK_CONTINUE !== '1') break;
    } else {
      await env.close();
    }
  }
  const doneMsg = { rounds: round, totalMessages, faults: counts, wallS: Math.round((Date.now() - started) / 1000), failures };
  appendFileSync(join(LOG_DIR, 'rounds.jsonl'), `${JSON.stringify({ end: doneMsg })}\n`);
  process.stdout.write(`\n[soak] done ${JSON.stringify(doneMsg)}\n`);
  expect(failures).toEqual([]);
});
