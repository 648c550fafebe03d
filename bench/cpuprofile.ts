// Hot spots of a V8 CPU profile (`node --cpu-prof`): self and total time per function, mapped back to the
// TypeScript source (file:line) through the compiled files' source maps. Used by `npm run bench:processor
// --profile`; also runs alone:
//   node dist/bench/bench/cpuprofile.js <file.cpuprofile> [--top N]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  /** `function (file:line)`, the file relative to the checkout when it is in it. */
  where: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  /** Share of the samples spent idle (the event loop waiting) or in GC. */
  idlePct: number;
  gcPct: number;
  functions: HotSpot[];
  /** Self time by source file. */
  files: { file: string; selfMs: number; selfPct: number }[];
  /**
   * Time charged to the nearest function of the checkout's src/ on the stack: its own time plus that of the
   * library and runtime code it calls (LevelDB, kafkajs, JSON, ...) until another src/ function.
   */
  bySrcFunction: { where: string; ms: number; pct: number }[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(jsFile: string): SourceMap | null {
  let map = maps.get(jsFile);
  if (map !== undefined) return map;
  map = null;
  const mapFile = `${jsFile}.map`;
  if (existsSync(mapFile)) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
  }
  maps.set(jsFile, map);
  return map;
}

/** file:line of a call frame, in the TypeScript source when a source map says where. */
function locate(frame: CallFrame, root: string): { file: string; line: number } {
  if (frame.url === '') return { file: '', line: 0 };
  let file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  let line = frame.lineNumber + 1;
  if (file.endsWith('.js') && existsSync(file)) {
    const entry = sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry !== undefined && 'originalSource' in entry && typeof entry.originalSource === 'string') {
      const src = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
      file = src;
      line = entry.originalLine + 1;
    }
  }
  if (file.startsWith(root + '/')) file = relative(root, file);
  return { file, line };
}

export function summarizeProfile(path: string, root: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = new Map<number, string>();
  const fileOf = new Map<number, string>();
  const key = (id: number): string => {
    let k = keyOf.get(id);
    if (k === undefined) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      const { file, line } = locate(frame, root);
      const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
      k = file === '' ? name : `${name} (${file}:${line})`;
      keyOf.set(id, k);
      fileOf.set(id, file === '' ? name : file);
    }
    return k;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  const bySrc = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  let gc = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    sampled += dt;
    const k = key(id);
    if (k === '(idle)') idle += dt;
    if (k === '(garbage collector)') gc += dt;
    self.set(k, (self.get(k) ?? 0) + dt);
    const f = fileOf.get(id) as string;
    files.set(f, (files.get(f) ?? 0) + dt);
    let owner = '(outside src/)';
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      key(n);
      if ((fileOf.get(n) as string).startsWith('src/')) {
        owner = key(n);
        break;
      }
    }
    if (k !== '(idle)' && k !== '(program)' && k !== '(garbage collector)') bySrc.set(owner, (bySrc.get(owner) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const nk = key(n);
      if (seen.has(nk)) continue;
      seen.add(nk);
      total.set(nk, (total.get(nk) ?? 0) + dt);
    }
  }
  const pct = (ms: number): number => Math.round((ms / Math.max(1e-9, sampled)) * 1000) / 10;
  const functions = [...self.entries()]
    .filter(([k]) => k !== '(idle)' && k !== '(root)' && k !== '(program)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, ms]) => ({ where, selfMs: Math.round(ms), selfPct: pct(ms), totalMs: Math.round(total.get(where) ?? 0), totalPct: pct(total.get(where) ?? 0) }));
  const fileList = [...files.entries()]
    .filter(([f]) => f !== '(idle)' && f !== '(root)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([file, ms]) => ({ file, selfMs: Math.round(ms), selfPct: pct(ms) }));
  const bySrcFunction = [...bySrc.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([where, ms]) => ({ where, ms: Math.round(ms), pct: pct(ms) }));
  return { file: path, sampledMs: Math.round(sampled), idlePct: pct(idle), gcPct: pct(gc), functions, files: fileList, bySrcFunction };
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [`CPU profile ${s.file}: ${(s.sampledMs / 1000).toFixed(1)} s sampled, ${s.idlePct}% idle, ${s.gcPct}% GC`, '', '| self % | total % | function (source) |', '|---:|---:|---|'];
  for (const f of s.functions) lines.push(`| ${f.selfPct} | ${f.totalPct} | ${f.where} |`);
  lines.push('', '| self % | file |', '|---:|---|');
  for (const f of s.files) lines.push(`| ${f.selfPct} | ${f.file} |`);
  lines.push('', '| % (with the libraries it calls) | nearest src/ function |', '|---:|---|');
  for (const f of s.bySrcFunction) lines.push(`| ${f.pct} | ${f.where} |`);
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
  const root = resolve(__dirname, '..', '..', '..');
  for (const file of positionals) process.stdout.write(formatSummary(summarizeProfile(file, root, Number(values.top))) + '\n');
}
