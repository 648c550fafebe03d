// YAML 1.2 (core schema) into a small located tree: maps, lists and scalars, each with the 1-based line it
// starts on. Syntax errors, duplicate keys, unknown aliases and non-JSON values (tags such as !!timestamp
// or !!binary) are reported with their line; the rest of the definitions code reads only this tree.
import { isUtf8 } from 'node:buffer';
import { CST, LineCounter, Parser, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Alias, type Document, type Node as YamlNode, type ScalarTag, type Tags } from 'yaml';
import { setOwn } from '../lib/own';
import type { Json } from './model';
import { show, type Reporter } from './problems';

export type YScalarValue = string | number | boolean | null;

export interface YScalar {
  t: 'scalar';
  line: number;
  value: YScalarValue;
  /** A number written as a float (`50.0`, `5e1`): YAML 1.2's core schema makes it !!float, not an integer. */
  float?: true;
  /** An integer's text as written (`7`, `007`): an unquoted id of digits is an id, not a number. */
  source?: string;
}
export interface YSeq {
  t: 'seq';
  line: number;
  items: YNode[];
}
export interface YEntry {
  key: string;
  /** Line of the key. */
  line: number;
  value: YNode;
}
export interface YMap {
  t: 'map';
  line: number;
  entries: YEntry[];
}
export type YNode = YMap | YSeq | YScalar;

/** A description of a node's kind for messages: `a list`, `a mapping`, `'abc'`, `42`, `nothing`. */
export function describeNode(node: YNode): string {
  if (node.t === 'map') return 'a mapping';
  if (node.t === 'seq') return 'a list';
  if (node.float === true && typeof node.value === 'number' && Number.isInteger(node.value)) return `${node.value}.0 (a float)`;
  return show(node.value);
}

/** The node as plain JSON. */
export function toJson(node: YNode): Json {
  if (node.t === 'scalar') return node.value;
  if (node.t === 'seq') return node.items.map(toJson);
  const out: { [key: string]: Json } = {};
  for (const e of node.entries) setOwn(out, e.key, toJson(e.value)); // `__proto__: 5` is a key, not the prototype
  return out;
}

const MAX_DEPTH = 200;
/**
 * Nodes one file may hold once aliases are expanded: a few aliases of aliases ("billion laughs") would otherwise
 * expand to billions. A 200-step journey is a few thousand.
 */
const MAX_NODES = 100_000;
/** The core schema's !!int forms: decimal, 0o octal, 0x hexadecimal. */
const INT_LITERAL = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;

const BOOL_TAG = 'tag:yaml.org,2002:bool';

function onlyLowercaseBooleans(tags: Tags): Tags {
  return tags.map((t) => (typeof t === 'object' && t.tag === BOOL_TAG ? { ...(t as ScalarTag), test: /^(?:true|false)$/ } : t));
}

/**
 * The text of a YAML file's bytes (YAML 1.2 §5.2: UTF-8, or UTF-16 with its byte order mark). Undefined, with the
 * line reported, when the bytes are not text: read as UTF-8 regardless, a Latin-1 `é` became U+FFFD and an event
 * name never matched. Line breaks are made LF (YAML counts a lone CR as one too; the parser does not).
 */
function yamlText(bytes: Buffer, report: Reporter): string | undefined {
  let text: string;
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
  if (utf16 !== null) {
    try {
      text = new TextDecoder(utf16, { fatal: true }).decode(bytes.subarray(2));
    } catch {
      report.add(1, `the file starts with a UTF-16 byte order mark but is not ${utf16.toUpperCase()} text (save it as UTF-8)`);
      return undefined;
    }
  } else if (isUtf8(bytes)) {
    text = bytes.toString('utf8');
  } else {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      const end = i === bytes.length;
      if (!end && bytes[i] !== 0x0a && !(bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) continue;
      if (!isUtf8(bytes.subarray(start, i))) break;
      line++;
      start = i + 1;
    }
    report.add(line, 'the file is not UTF-8 text (save it as UTF-8)');
    return undefined;
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  text = text.replace(/\r\n?/g, '\n');
  // Control characters other than tab and line breaks: YAML 1.2 allows them in no scalar, quoted or not (they must be
  // written as escapes); the parser would take them as text.
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const bad = /[\x00-\x08\x0b\x0c\x0e-\x1f]/.exec(text);
  if (bad !== null) {
    const line = text.slice(0, bad.index).split('\n').length;
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    report.add(line, `YAML: the character U+${code} is not allowed in a YAML file (write it as an escape, \\u${code}, in a double-quoted string)`);
    return undefined;
  }
  return text;
}

/**
 * Parses a file's one YAML document. Returns `undefined` when the file cannot be read as YAML (the reasons are
 * reported), `null` for an empty document, else the root node.
 */
export function readYaml(bytes: Buffer, report: Reporter): YNode | null | undefined {
  const text = yamlText(bytes, report);
  if (text === undefined) return undefined;
  const lineCounter = new LineCounter();
  // An error found at the end of the file (an unclosed `[`) is said on its last written line, not on the empty
  // line after the final newline.
  const lastWritten = Math.max(0, text.trimEnd().length - 1);
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(Math.min(offset, lastWritten)).line);
  const docs = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    version: '1.2',
    schema: 'core',
    // Spec §4: only `true` and `false` are booleans (the core schema also reads True, TRUE, False, FALSE).
    customTags: onlyLowercaseBooleans,
    uniqueKeys: false, // checked below, with the key and the line of its first use
  });
  if (!Array.isArray(docs)) return null; // an empty stream
  let broken = false;
  for (const doc of docs) {
    for (const e of doc.errors) {
      const at = e.code === 'MISSING_CHAR' && e.message.includes('quote') ? unclosedQuoteAt(text, e.pos[0]) : e.pos[0];
      report.add(lineOf(at), `YAML syntax error: ${yamlMessage(e.message)}`);
      broken = true;
    }
    // Warnings (an unresolved tag such as `!foo`) leave a whole tree: reported, and the rest is checked too.
    for (const w of doc.warnings) report.add(lineOf(w.pos[0]), `YAML: ${yamlMessage(w.message)}`);
  }
  if (broken) return undefined;
  const [doc, second] = docs;
  if (second) {
    report.add(lineOf(second.range[0]), 'only one YAML document per file: remove the `---` separator and what follows');
    return undefined;
  }
  if (!doc || doc.contents === null) return null;
  const converter = new Converter(doc, lineOf, report);
  const root = converter.convert(doc.contents, 1, 0);
  if (converter.aborted) return undefined;
  return root.t === 'scalar' && root.value === null ? null : root;
}

/**
 * Where the quoted scalar that a "missing closing quote" error is about opens: the parser puts the error at the end
 * of the input, past the last line, and the line to fix is the one with the opening quote.
 */
function unclosedQuoteAt(text: string, errorOffset: number): number {
  let at = errorOffset;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const t of [item.key, item.value]) {
        if (t?.type !== 'single-quoted-scalar' && t?.type !== 'double-quoted-scalar') continue;
        if (t.offset < errorOffset && t.offset + t.source.length >= errorOffset) at = t.offset;
      }
    });
  }
  return at;
}

function yamlMessage(message: string): string {
  // yaml's messages may carry a position and a source excerpt after the first line.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

class Converter {
  /** The tree could not be built whole (too deep, too many nodes, a value JSON has no form for): not checked further. */
  aborted = false;
  private nodes = 0;
  private overBudget = false;
  private aliasTargets: Map<Alias, YamlNode | undefined> | undefined;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineOf: (offset: number | undefined) => number,
    private readonly report: Reporter,
  ) {}

  /**
   * What an alias stands for: the last node before it with its anchor, as `Alias.resolve` finds, but from one pass
   * over the document for all its aliases (resolve walks the whole document per alias: 10,000 aliases took 9 s).
   */
  private targetOf(alias: Alias): YamlNode | undefined {
    if (this.aliasTargets === undefined) {
      const targets = new Map<Alias, YamlNode | undefined>();
      const last = new Map<string, YamlNode>();
      visit(this.doc, {
        Node: (_key, n) => {
          if (isAlias(n)) targets.set(n, last.get(n.source));
          else if (n.anchor !== undefined) last.set(n.anchor, n);
        },
      });
      this.aliasTargets = targets;
    }
    return this.aliasTargets.get(alias);
  }

  private stopReading(line: number, message: string): YScalar {
    this.overBudget = true;
    return this.fail(line, message);
  }

  /** A key reported and left out of the tree; the rest of the mapping is still read (the file's checks know it is partial). */
  private leaveOut(line: number, message: string): void {
    this.report.add(line, message);
    this.report.partial = true;
  }

  private fail(line: number, message: string): YScalar {
    this.report.add(line, message);
    this.aborted = true;
    return { t: 'scalar', line, value: null };
  }

  /** `fallbackLine`: where an implicit (empty) value sits, i.e. its key's line. */
  convert(node: unknown, fallbackLine: number, depth: number): YNode {
    if (this.overBudget) return { t: 'scalar', line: fallbackLine, value: null };
    // Past either bound the rest of the file is not read (and the reason is said once).
    if (depth > MAX_DEPTH) return this.stopReading(fallbackLine, 'YAML nested too deeply');
    if (++this.nodes > MAX_NODES) return this.stopReading(fallbackLine, `more than ${MAX_NODES.toLocaleString('en-US')} values once aliases are expanded: use fewer aliases`);
    if (node === null || node === undefined) return { t: 'scalar', line: fallbackLine, value: null };
    if (isAlias(node)) {
      const target = this.targetOf(node);
      const line = this.lineOf(node.range?.[0]);
      if (!target) return this.fail(line, `unknown alias *${node.source}: define the anchor &${node.source} before using it`);
      return this.convert(target, line, depth + 1);
    }
    if (isScalar(node)) {
      const range = node.range;
      const empty = !range || range[0] === range[1];
      const line = empty ? fallbackLine : this.lineOf(range[0]);
      const v: unknown = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return { t: 'scalar', line, value: v };
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) return this.fail(line, `${String(v)} is not allowed: numbers must be finite`);
        const source = node.source ?? '';
        return INT_LITERAL.test(source) ? { t: 'scalar', line, value: v, source } : { t: 'scalar', line, value: v, float: true };
      }
      return this.fail(line, `unsupported value${node.tag ? ` (tag ${node.tag})` : ''}: use plain strings, numbers, true/false, lists and mappings`);
    }
    if (isMap(node)) {
      const line = this.lineOf(node.range?.[0]);
      const entries: YEntry[] = [];
      const firstLine = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode: unknown = pair.key;
        const keyLine = isScalar(keyNode) || isMap(keyNode) || isSeq(keyNode) || isAlias(keyNode) ? this.lineOf(keyNode.range?.[0]) : line;
        const rawKey: unknown = isScalar(keyNode) ? keyNode.value : undefined;
        // A mistaken key or a duplicate is reported and left out; the rest of the mapping is still checked.
        if (typeof rawKey !== 'string' && typeof rawKey !== 'number' && typeof rawKey !== 'boolean') {
          this.leaveOut(keyLine, 'keys must be plain strings');
          continue;
        }
        // A number key as written (`007:` is the key '007', as a quoted one would be).
        const key = typeof rawKey === 'number' && isScalar(keyNode) && keyNode.source !== undefined ? keyNode.source : String(rawKey);
        // YAML 1.1's merge key: not in 1.2's core schema, so `<<` would be a key like any other, and the keys it was
        // meant to bring would be missing without a word.
        if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
          this.leaveOut(keyLine, 'merge keys (<<) are not part of YAML 1.2: write the keys out (an alias may stand for a whole value)');
          continue;
        }
        const seen = firstLine.get(key);
        if (seen !== undefined) {
          this.leaveOut(keyLine, `duplicate key '${key}' (first at line ${seen}): keep one`);
          continue;
        }
        firstLine.set(key, keyLine);
        entries.push({ key, line: keyLine, value: this.convert(pair.value, keyLine, depth + 1) });
      }
      return { t: 'map', line, entries };
    }
    if (isSeq(node)) {
      const line = this.lineOf(node.range?.[0]);
      const items: YNode[] = [];
      for (const item of node.items) items.push(this.convert(item, line, depth + 1));
      return { t: 'seq', line, items };
    }
    return this.fail(fallbackLine, 'unsupported YAML node');
  }
}
