// Validation problems: every one carries the file and the 1-based line it is about, so that
// `journeys validate` can print `<path>:<line>: <reason>` and an editor can jump there.

export interface Problem {
  /** The path as the user gave it (or as joined from the folder they gave). */
  file: string;
  /** 1-based line in that file. */
  line: number;
  /** One line, specific, saying what to do where useful. */
  message: string;
}

/** Collects the problems of one file. */
export class Reporter {
  readonly problems: Problem[] = [];
  /**
   * The file's YAML tree leaves out something written in it (a duplicate key, a key that is no string): checks that
   * need all of it, as the step graph's, are skipped rather than made on a part.
   */
  partial = false;

  constructor(readonly file: string) {}

  add(line: number, message: string): void {
    this.problems.push({ file: this.file, line: Math.max(1, line), message: oneLine(message) });
  }

  get count(): number {
    return this.problems.length;
  }
}

/** `file:line: message`, the format `journeys validate` prints. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** A value quoted for a message, shortened when long: `'abc'`, `42`, `a list`. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? value.slice(0, 57) + '...' : value}'`;
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

/** The closest of `candidates` to `word` (edit distance at most 2, or a case-insensitive match), for "did you mean". */
export function suggest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = word.length < 3 ? 0 : word.length < 6 ? 1 : 2;
  return bestDistance <= limit ? best : null;
}

/** ` (did you mean 'x'?)`, or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const s = suggest(word, candidates);
  return s === null ? '' : ` (did you mean '${s}'?)`;
}

/** Edits between two words, a swap of two neighbouring letters counting as one (`wiat` is one from `wait`). */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      cur.push(d);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
