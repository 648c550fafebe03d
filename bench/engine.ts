// `npm run bench:engine`: how fast `journeys simulate` runs the engine, against the floor of reading the
// input at all. One run generates the workload (100k users, 1M Segment messages over three weeks, ten
// journeys; bench/workload.ts, bench/journeys.ts) into a temp folder, then measures
//   (a) the floor: node readline over a file stream + JSON.parse of every line;
//   (b) simulate: the same reader, then parseMessage → Simulator → JSON.stringify of every transition into
//       a BufferedWriter over a sink that discards (the code path of `journeys simulate`, src/cli/simulate.ts);
// and prints a Markdown table (events/s of both, their ratio, transitions, state bytes per user, RSS), also
// written to bench/results/engine.json with the machine it ran on.
//
// Options: --users N --events N --days N (a smaller workload), --input FILE and --topologies DIR (reuse),
// --keep (leave the temp folder), --only floor|simulate, --no-write (no results file). Profile with
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/bench/engine.js --only simulate
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { BufferedWriter } from '../src/cli/output';
import { loadDefinitions } from '../src/definitions';
import { Simulator } from '../src/engine/simulator';
import type { Transition } from '../src/engine/transition';
import { parseMessage } from '../src/ingest/message';
import { BENCH_AUDIENCES, BENCH_DESTINATIONS, BENCH_JOURNEYS } from './journeys';
import { DEFAULT_WORKLOAD, writeWorkload, type WorkloadSummary } from './workload';

const ROOT = resolve(__dirname, '..', '..', '..');
const RESULTS = join(ROOT, 'bench', 'results', 'engine.json');

interface FloorResult {
  /** Wall time. */
  seconds: number;
  /** CPU time (user + system) of the process over the same span: less sensitive to a busy machine. */
  cpuSeconds: number;
  lines: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface SimulateResult extends FloorResult {
  /** Wall time spent turning transitions into JSON lines (JSON.stringify + BufferedWriter), included in `seconds`. */
  emitSeconds: number;
  transitions: number;
  outputBytes: number;
  invalid: number;
  stats: Simulator['stats'];
  stateBytes: { users: number; mean: number; p50: number; p99: number; max: number; total: number };
  liveInstances: number;
  rssAfterMB: number;
  heapUsedAfterMB: number;
}

function mb(bytes: number): number {
  return Math.round((bytes / (1 << 20)) * 10) / 10;
}

/** (a) readline over a file stream and JSON.parse of every line, as simulate reads. */
async function floor(file: string): Promise<FloorResult> {
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let keys = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    if (raw !== null && typeof raw === 'object') keys++;
    n++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = cpuNow() - c0;
  if (keys !== n) throw new Error('floor: a line was not an object');
  return { seconds, cpuSeconds, lines: n };
}

/** (b) the body of `journeys simulate` (src/cli/simulate.ts) with stdout replaced by a sink that discards. */
async function simulate(file: string, topologies: string): Promise<SimulateResult> {
  const defs = loadDefinitions(topologies);
  let outputBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      outputBytes += chunk.length;
      cb();
    },
  });
  const out = new BufferedWriter(sink);
  let transitions = 0;
  let emitNs = 0n;
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const sim = new Simulator(defs, {}, (t: Transition) => {
    const e0 = process.hrtime.bigint();
    transitions++;
    out.write(JSON.stringify(t) + '\n');
    emitNs += process.hrtime.bigint() - e0;
  });
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let invalid = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    n++;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      invalid++;
      continue;
    }
    const parsed = parseMessage(raw);
    if (!parsed.ok) {
      invalid++;
      continue;
    }
    sim.push(parsed.message);
  }
  await out.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = cpuNow() - c0;

  const sizes: number[] = [];
  let liveInstances = 0;
  for (const id of sim.userIds()) {
    const state = sim.state(id);
    if (state === undefined) continue;
    sizes.push(JSON.stringify(state).length);
    for (const js of Object.values(state.journeys)) liveInstances += js.instances.length;
  }
  sizes.sort((a, b) => a - b);
  const total = sizes.reduce((s, x) => s + x, 0);
  const pct = (p: number): number => sizes[Math.min(sizes.length - 1, Math.floor(p * sizes.length))] ?? 0;
  const mem = process.memoryUsage();
  return {
    seconds,
    cpuSeconds,
    emitSeconds: Number(emitNs) / 1e9,
    lines: n,
    transitions,
    outputBytes,
    invalid,
    stats: { ...sim.stats },
    stateBytes: { users: sizes.length, mean: Math.round(total / Math.max(1, sizes.length)), p50: pct(0.5), p99: pct(0.99), max: sizes[sizes.length - 1] ?? 0, total },
    liveInstances,
    rssAfterMB: mb(mem.rss),
    heapUsedAfterMB: mb(mem.heapUsed),
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
      input: { type: 'string' },
      topologies: { type: 'string' },
      keep: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const workload = {
    ...DEFAULT_WORKLOAD,
    ...(values.users === undefined ? {} : { users: Number(values.users) }),
    ...(values.events === undefined ? {} : { events: Number(values.events) }),
    ...(values.days === undefined ? {} : { days: Number(values.days) }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'journeys-bench-'));
  try {
    let topologies = values.topologies;
    if (topologies === undefined) {
      topologies = join(dir, 'topologies');
      mkdirSync(topologies);
      writeFileSync(join(topologies, 'destinations.yaml'), BENCH_DESTINATIONS);
      writeFileSync(join(topologies, 'audiences.yaml'), BENCH_AUDIENCES);
      for (const [name, text] of Object.entries(BENCH_JOURNEYS)) writeFileSync(join(topologies, name), text);
    }
    loadDefinitions(topologies); // fail early on an invalid topology

    let file = values.input;
    let summary: WorkloadSummary | null = null;
    if (file === undefined) {
      file = join(dir, 'events.jsonl');
      const g0 = Date.now();
      summary = writeWorkload(file, workload);
      process.stderr.write(`generated ${fmt(summary.messages)} messages for ${fmt(summary.users)} users (${mb(summary.bytes)} MB, ${summary.from} to ${summary.to}) in ${((Date.now() - g0) / 1000).toFixed(1)} s\n`);
    }
    const bytes = statSync(file).size;

    let fl: FloorResult | null = null;
    if (values.only !== 'simulate') {
      // The first pass warms the page cache and the JIT; the second is measured.
      await floor(file);
      fl = await floor(file);
      process.stderr.write(`floor: ${fl.seconds.toFixed(2)} s\n`);
    }
    let sim: SimulateResult | null = null;
    if (values.only !== 'floor') {
      sim = await simulate(file, topologies);
      process.stderr.write(`simulate: ${sim.seconds.toFixed(2)} s\n`);
    }
    const peakRssMB = mb(process.resourceUsage().maxRSS * 1024);

    const floorRate = fl === null ? null : fl.lines / fl.seconds;
    const simRate = sim === null ? null : sim.lines / sim.seconds;
    const ratio = fl !== null && sim !== null ? sim.seconds / fl.seconds : null;
    const cpuRatio = fl !== null && sim !== null ? sim.cpuSeconds / fl.cpuSeconds : null;
    const cpu = cpus()[0];
    const machine = {
      cpu: cpu?.model ?? 'unknown',
      cores: cpus().length,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    };
    const results = {
      date: new Date().toISOString(),
      machine,
      workload: {
        users: summary?.users ?? workload.users,
        messages: fl?.lines ?? sim?.lines ?? 0,
        inputMB: mb(bytes),
        from: summary?.from ?? null,
        to: summary?.to ?? null,
        duplicatesSent: summary?.duplicates ?? null,
        journeys: Object.keys(BENCH_JOURNEYS).length,
      },
      floor: fl === null ? null : { seconds: round(fl.seconds, 3), cpuSeconds: round(fl.cpuSeconds, 3), eventsPerSecond: Math.round(floorRate ?? 0) },
      simulate:
        sim === null
          ? null
          : {
              seconds: round(sim.seconds, 3),
              cpuSeconds: round(sim.cpuSeconds, 3),
              eventsPerSecond: Math.round(simRate ?? 0),
              emitSeconds: round(sim.emitSeconds, 3),
              transitions: sim.transitions,
              outputMB: mb(sim.outputBytes),
              invalidLines: sim.invalid,
              duplicatesIgnored: sim.stats.duplicates,
              refusedEntries: sim.stats.refusedEntries,
              liveInstancesAtEnd: sim.liveInstances,
              stateBytesPerUser: sim.stateBytes,
              rssAfterMB: sim.rssAfterMB,
              heapUsedAfterMB: sim.heapUsedAfterMB,
            },
      ratio: ratio === null ? null : round(ratio, 2),
      cpuRatio: cpuRatio === null ? null : round(cpuRatio, 2),
      target: 'simulate within 3x of the floor',
      peakRssMB,
    };

    const rows: [string, string][] = [
      ['machine', `${machine.cpu}, ${machine.cores} cores, node ${machine.node}`],
      ['workload', `${fmt(results.workload.users)} users, ${fmt(results.workload.messages)} messages (${results.workload.inputMB} MB), ${results.workload.journeys} journeys`],
    ];
    if (fl !== null) rows.push(['floor: readline + JSON.parse', `${fl.seconds.toFixed(2)} s (CPU ${fl.cpuSeconds.toFixed(2)} s), ${fmt(floorRate ?? 0)} events/s`]);
    if (sim !== null) {
      rows.push(['simulate: + parseMessage, engine, JSON.stringify', `${sim.seconds.toFixed(2)} s (CPU ${sim.cpuSeconds.toFixed(2)} s), ${fmt(simRate ?? 0)} events/s`]);
      if (ratio !== null) rows.push(['ratio simulate / floor (target ≤ 3)', `${ratio.toFixed(2)}x wall, ${(cpuRatio ?? 0).toFixed(2)}x CPU`]);
      rows.push(['transitions produced', `${fmt(sim.transitions)} (${mb(sim.outputBytes)} MB of JSON lines)`]);
      rows.push(['of simulate: JSON.stringify of the transitions', `${sim.emitSeconds.toFixed(2)} s`]);
      rows.push(['duplicates ignored / entries refused', `${fmt(sim.stats.duplicates)} / ${fmt(sim.stats.refusedEntries)}`]);
      rows.push(['live instances at the end', fmt(sim.liveInstances)]);
      rows.push(['state bytes per user (JSON): mean / p50 / p99 / max', `${fmt(sim.stateBytes.mean)} / ${fmt(sim.stateBytes.p50)} / ${fmt(sim.stateBytes.p99)} / ${fmt(sim.stateBytes.max)}`]);
      rows.push(['state bytes, all users', `${mb(sim.stateBytes.total)} MB`]);
      rows.push(['RSS after simulate / peak', `${sim.rssAfterMB} MB / ${peakRssMB} MB`]);
    }
    process.stdout.write(`\n| engine benchmark | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n\n`);
    if (!values['no-write']) {
      mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
      writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
      process.stdout.write(`written to ${RESULTS}\n`);
    }
  } finally {
    if (values.keep) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
