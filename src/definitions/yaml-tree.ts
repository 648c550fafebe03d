// YAML 1.2 (core schema) into a small located tree: maps, lists and scalars, each with the 1-based line it
// starts on. Syntax errors, duplicate keys, unknown aliases and non-JSON values (tags such as !!timestamp
// or !!binary) are reported with their line; the rest of the definitions code reads only this tree.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type ScalarTag, type Tags } from 'yaml';
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
/** The core schema's !!int forms: decimal, 0o octal, 0x hexadecimal. */
const INT_LITERAL = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;

const BOOL_TAG = 'tag:yaml.org,2002:bool';

function onlyLowercaseBooleans(tags: Tags): Tags {
  return tags.map((t) => (typeof t === 'object' && t.tag === BOOL_TAG ? { ...(t as ScalarTag), test: /^(?:true|false)$/ } : t));
}

/**
 * Parses one YAML document. Returns `undefined` when the file cannot be read as YAML (the reasons are
 * reported), `null` for an empty document, else the root node.
 */
export function readYaml(text: string, report: Reporter): YNode | null | undefined {
  const lineCounter = new LineCounter();
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
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
      report.add(lineOf(e.pos[0]), `YAML syntax error: ${yamlMessage(e.message)}`);
      broken = true;
    }
    for (const w of doc.warnings) {
      report.add(lineOf(w.pos[0]), `YAML: ${yamlMessage(w.message)}`);
      broken = true;
    }
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
  if (converter.failed) return undefined;
  return root.t === 'scalar' && root.value === null ? null : root;
}

function yamlMessage(message: string): string {
  // yaml's messages may carry a position and a source excerpt after the first line.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

class Converter {
  failed = false;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineOf: (offset: number | undefined) => number,
    private readonly report: Reporter,
  ) {}

  private fail(line: number, message: string): YScalar {
    this.report.add(line, message);
    this.failed = true;
    return { t: 'scalar', line, value: null };
  }

  /** `fallbackLine`: where an implicit (empty) value sits, i.e. its key's line. */
  convert(node: unknown, fallbackLine: number, depth: number): YNode {
    if (depth > MAX_DEPTH) return this.fail(fallbackLine, 'YAML nested too deeply');
    if (node === null || node === undefined) return { t: 'scalar', line: fallbackLine, value: null };
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
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
        if (typeof rawKey !== 'string' && typeof rawKey !== 'number' && typeof rawKey !== 'boolean') {
          this.fail(keyLine, 'keys must be plain strings');
          continue;
        }
        // A number key as written (`007:` is the key '007', as a quoted one would be).
        const key = typeof rawKey === 'number' && isScalar(keyNode) && keyNode.source !== undefined ? keyNode.source : String(rawKey);
        const seen = firstLine.get(key);
        if (seen !== undefined) {
          this.fail(keyLine, `duplicate key '${key}' (first at line ${seen}): keep one`);
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
