// A small vocabulary for describing YAML keys and values once, from which both the structural checker
// (with file:line messages) and the JSON Schema are derived, so the two never disagree. The key tables
// of spec §4.7 are written in this vocabulary in `keys.ts`.
//
// Every type parses a located YAML node into a typed value, reporting each problem it finds. An object
// always comes back when the node is a mapping, possibly incomplete (`$ok: false`): later checks can still
// look at what is there, and the model is only built from complete objects.
import { parseDuration } from '../lib/duration';
import { ownValue } from '../lib/own';
import { parseDate } from '../lib/time';
import type { Json } from './model';
import { didYouMean, show, suggest, type Reporter } from './problems';
import { describeNode, toJson, type YMap, type YNode } from './yaml-tree';

export type JsonSchema = { [key: string]: unknown };

/** Where a value sits: the key (or list item) holding it and that key's line. */
export interface Site {
  label: string;
  line: number;
}

/** Collects named definitions while a schema is generated. */
export class SchemaBuilder {
  readonly definitions: Record<string, JsonSchema> = {};

  /** Defines `name` once (recursion-safe) and returns a reference to it. */
  ref(name: string, build: () => JsonSchema): JsonSchema {
    if (!(name in this.definitions)) {
      this.definitions[name] = {};
      this.definitions[name] = build();
    }
    return { $ref: `#/definitions/${name}` };
  }
}

export interface Type<T> {
  /** What a valid value looks like, for messages ("a duration like 2h"). */
  readonly expected: string;
  parse(node: YNode, report: Reporter, site: Site): T | undefined;
  schema(sb: SchemaBuilder): JsonSchema;
}

export type TypeOf<X> = X extends Type<infer T> ? T : never;

function mismatch(report: Reporter, site: Site, expected: string, node: YNode, hint = ''): undefined {
  report.add(site.line, `${site.label} must be ${expected}, got ${describeNode(node)}${hint}`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Scalars

export function str(options: { minLength?: number; doc?: string } = {}): Type<string> {
  const minLength = options.minLength ?? 1;
  const expected = minLength > 0 ? 'a non-empty string' : 'a string';
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'scalar' || typeof node.value !== 'string') {
        const hint = node.t === 'scalar' && node.value !== null ? ' (quote it)' : '';
        return mismatch(report, site, expected, node, hint);
      }
      if (node.value.length < minLength) return mismatch(report, site, expected, node);
      return node.value;
    },
    schema: () => ({ type: 'string', ...(minLength > 0 ? { minLength } : {}) }),
  };
}

/** A string matching `pattern` (anchored). */
export function patterned(pattern: RegExp, expected: string, fix?: (text: string) => string | null): Type<string> {
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'scalar' || typeof node.value !== 'string') return mismatch(report, site, expected, node);
      if (!pattern.test(node.value)) {
        const better = fix?.(node.value);
        return mismatch(report, site, expected, node, better ? ` (e.g. '${better}')` : '');
      }
      return node.value;
    },
    schema: () => ({ type: 'string', pattern: pattern.source }),
  };
}

export const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Ids: lowercase slugs, spec §4. An unquoted id of digits (`id: 2`) is YAML's integer 2 but the slug `2` its
 * author wrote: it is taken as written.
 */
export function slug(): Type<string> {
  const text = patterned(SLUG, 'a lowercase slug (letters a-z, digits and single inner hyphens)', (text) => {
    const s = text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
    return s.length > 0 && s !== text ? s : null;
  });
  return {
    ...text,
    parse(node, report, site) {
      if (node.t === 'scalar' && typeof node.value === 'number' && node.source !== undefined && SLUG.test(node.source)) return node.source;
      return text.parse(node, report, site);
    },
    schema: (sb) => sb.ref('slug', () => ({ anyOf: [text.schema(sb), { type: 'integer', minimum: 0 }] })),
  };
}

export function int(options: { min?: number; max?: number } = {}): Type<number> {
  const { min, max } = options;
  const range =
    min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min === 1 ? ' above 0' : min !== undefined ? ` of at least ${min}` : '';
  const expected = `an integer${range}`;
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'scalar' || typeof node.value !== 'number' || !Number.isSafeInteger(node.value) || node.float === true) {
        const hint = node.t === 'scalar' && typeof node.value === 'string' && /^-?\d+$/.test(node.value) ? ' (remove the quotes)' : '';
        return mismatch(report, site, expected, node, hint);
      }
      if ((min !== undefined && node.value < min) || (max !== undefined && node.value > max)) return mismatch(report, site, expected, node);
      return node.value;
    },
    schema: () => ({ type: 'integer', ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) }),
  };
}

/** A number; with `above`, a finite one greater than it (a rate, a fraction). */
export function num(options: { above?: number } = {}): Type<number> {
  const { above } = options;
  const expected = above === undefined ? 'a number' : `a number above ${above}`;
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'scalar' || typeof node.value !== 'number') {
        const hint = node.t === 'scalar' && typeof node.value === 'string' && node.value.trim() !== '' && Number.isFinite(Number(node.value)) ? ' (remove the quotes)' : '';
        return mismatch(report, site, expected, node, hint);
      }
      if (above !== undefined && !(Number.isFinite(node.value) && node.value > above)) return mismatch(report, site, expected, node);
      return node.value;
    },
    schema: () => ({ type: 'number', ...(above !== undefined ? { exclusiveMinimum: above } : {}) }),
  };
}

export function bool(): Type<boolean> {
  const expected = 'true or false';
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'scalar' || typeof node.value !== 'boolean') {
        const hint = node.t === 'scalar' && typeof node.value === 'string' && /^(yes|no|on|off|y|n|True|False|TRUE|FALSE)$/.test(node.value) ? ' (YAML 1.2: only true and false are booleans)' : '';
        return mismatch(report, site, expected, node, hint);
      }
      return node.value;
    },
    schema: () => ({ type: 'boolean' }),
  };
}

export function oneOf<const V extends string>(values: readonly V[], hints: Partial<Record<string, string>> = {}): Type<V> {
  const expected = values.length === 1 ? `'${values[0]}'` : `one of ${values.join(', ')}`;
  return {
    expected,
    parse(node, report, site) {
      const v = node.t === 'scalar' ? node.value : undefined;
      if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as V;
      const hint = typeof v === 'string' ? (hints[v] !== undefined ? ` (${hints[v]})` : didYouMean(v, values)) : '';
      return mismatch(report, site, expected, node, hint);
    },
    schema: () => (values.length === 1 ? { const: values[0] } : { enum: [...values] }),
  };
}

const DURATION_PATTERN = /^[0-9]+(s|m|h|d|w)$/;

/** `30s`, `15m`, `2h`, `7d`, `2w` into milliseconds, within [min, max] (spec §3). */
export function duration(range: { min: number; max: number; minText: string; maxText: string }): Type<number> {
  const expected = 'a duration like 30s, 15m, 2h, 7d or 2w (an integer and one unit)';
  return {
    expected,
    parse(node, report, site) {
      const text = node.t === 'scalar' ? node.value : undefined;
      const ms = typeof text === 'string' ? parseDuration(text) : null;
      if (ms === null) {
        const hint = typeof text === 'number' && Number.isInteger(text) ? ` (add a unit, e.g. ${text}s)` : '';
        return mismatch(report, site, expected, node, hint);
      }
      if (ms < range.min || ms > range.max) {
        report.add(site.line, `${site.label} ${show(text)} is out of range: use from ${range.minText} to ${range.maxText}`);
        return undefined;
      }
      return ms;
    },
    schema: () => ({ type: 'string', pattern: DURATION_PATTERN.source, description: `from ${range.minText} to ${range.maxText}` }),
  };
}

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?)?$/;

/** An ISO-8601 date or date-time (UTC when it has no zone), into epoch milliseconds. */
export function isoDate(): Type<number> {
  const expected = 'an ISO date like 2026-01-31 or 2026-01-31T10:00:00Z';
  return {
    expected,
    parse(node, report, site) {
      const text = node.t === 'scalar' ? node.value : undefined;
      const ms = typeof text === 'string' ? parseDate(text) : null;
      if (ms === null) return mismatch(report, site, expected, node);
      return ms;
    },
    schema: () => ({ type: 'string', pattern: DATE_PATTERN.source }),
  };
}

/** Any JSON value except null (a null never matches anything). */
export function jsonValue(): Type<Json> {
  const expected = 'a value';
  return {
    expected,
    parse(node, report, site) {
      if (node.t === 'scalar' && node.value === null) {
        report.add(site.line, `${site.label} needs a value (a missing or null value matches nothing; to test for absence use exists: false)`);
        return undefined;
      }
      return toJson(node);
    },
    schema: () => ({ type: ['string', 'number', 'boolean', 'array', 'object'] }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Wrappers

/** The value with the line it was written on (for checks made later, e.g. unknown destinations). */
export interface Located<T> {
  value: T;
  line: number;
}

export function located<T>(type: Type<T>): Type<Located<T>> {
  return {
    expected: type.expected,
    parse(node, report, site) {
      const value = type.parse(node, report, site);
      return value === undefined ? undefined : { value, line: node.t === 'scalar' ? node.line : site.line };
    },
    schema: (sb) => type.schema(sb),
  };
}

/** A recursive or shared type, emitted once under `definitions` in the schema. */
export function named<T>(name: string, get: () => Type<T>, doc?: string): Type<T> {
  let cached: Type<T> | undefined;
  const inner = (): Type<T> => (cached ??= get());
  return {
    get expected() {
      return inner().expected;
    },
    parse: (node, report, site) => inner().parse(node, report, site),
    schema: (sb) => sb.ref(name, () => ({ ...(doc !== undefined ? { description: doc } : {}), ...inner().schema(sb) })),
  };
}

/** A type defined later (for recursion); the schema is that of the type itself. */
export function lazy<T>(get: () => Type<T>): Type<T> {
  return {
    get expected() {
      return get().expected;
    },
    parse: (node, report, site) => get().parse(node, report, site),
    schema: (sb) => get().schema(sb),
  };
}

/** When `type` cannot make anything of the node (the problems are reported), what can still be said of it. */
export function salvage<T, F>(type: Type<T>, fallback: (node: YNode, site: Site) => F): Type<T | F> {
  return {
    expected: type.expected,
    parse: (node, report, site) => type.parse(node, report, site) ?? fallback(node, site),
    schema: (sb) => type.schema(sb),
  };
}

/** Another shape for a parsed value. */
export function mapped<A, B>(type: Type<A>, f: (a: A) => B): Type<B> {
  return {
    get expected() {
      return type.expected;
    },
    parse(node, report, site) {
      const a = type.parse(node, report, site);
      return a === undefined ? undefined : f(a);
    },
    schema: (sb) => type.schema(sb),
  };
}

// ---------------------------------------------------------------------------------------------------
// Lists and maps

export interface ListOptions {
  min?: number;
  max?: number;
  /** Message when there are fewer than `min` items. */
  tooFew?: string;
  /** Message when there are more than `max` items. */
  tooMany?: (count: number) => string;
  /** Items must differ: the message for a scalar item written a second time (at its line). */
  unique?: (item: string) => string;
}

/** A list; items that are not even of the right kind are left out (and reported). */
export function list<T>(of: Type<T>, options: ListOptions = {}): Type<T[]> {
  const expected = 'a list';
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'seq') {
        // "write [x]" only where one item makes a valid list (`between: 7d` needs two).
        const one = node.t === 'scalar' && node.value !== null && (options.min ?? 0) <= 1;
        return mismatch(report, site, `a list${one ? ` (write [${String(node.value)}])` : ''}`, node);
      }
      const { min, max } = options;
      if (min !== undefined && node.items.length < min) {
        report.add(site.line, options.tooFew ?? `${site.label} needs at least ${min} item${min === 1 ? '' : 's'}`);
      }
      if (max !== undefined && node.items.length > max) {
        report.add(site.line, options.tooMany?.(node.items.length) ?? `${site.label} has ${node.items.length} items: at most ${max} are allowed`);
      }
      if (options.unique !== undefined) {
        const seen = new Set<string>();
        for (const item of node.items) {
          if (item.t !== 'scalar' || item.value === null) continue;
          const value = item.source ?? String(item.value);
          if (seen.has(value)) report.add(item.line, options.unique(value));
          seen.add(value);
        }
      }
      const out: T[] = [];
      node.items.forEach((item, i) => {
        const v = of.parse(item, report, { label: `${site.label} item ${i + 1}`, line: item.line });
        if (v !== undefined) out.push(v);
      });
      return out;
    },
    schema: (sb) => ({
      type: 'array',
      items: of.schema(sb),
      ...(options.min !== undefined ? { minItems: options.min } : {}),
      ...(options.max !== undefined ? { maxItems: options.max } : {}),
      ...(options.unique !== undefined ? { uniqueItems: true } : {}),
    }),
  };
}

export interface MapEntry<V> {
  key: string;
  line: number;
  value: V;
}

/** A mapping with free keys (validated by `keyType`) and values of one type, in written order. */
export function dictionary<V>(keyType: Type<string>, valueType: Type<V>): Type<MapEntry<V>[]> {
  const expected = 'a mapping';
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'map') return mismatch(report, site, expected, node);
      const out: MapEntry<V>[] = [];
      for (const e of node.entries) {
        const key = keyType.parse({ t: 'scalar', line: e.line, value: e.key }, report, { label: `key ${show(e.key)} of ${site.label}`, line: e.line });
        const value = valueType.parse(e.value, report, { label: e.key, line: e.line });
        if (key !== undefined && value !== undefined) out.push({ key, line: e.line, value });
      }
      return out;
    },
    schema: (sb) => {
      const keySchema = keyType.schema(sb);
      const { type: _type, ...names } = keySchema;
      return { type: 'object', ...(Object.keys(names).length > 0 ? { propertyNames: names } : {}), additionalProperties: valueType.schema(sb) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Objects with a fixed set of keys

export interface Field<T, R extends boolean> {
  type: Type<T>;
  required: R;
  doc: string;
}
export const req = <T>(type: Type<T>, doc: string): Field<T, true> => ({ type, required: true, doc });
export const opt = <T>(type: Type<T>, doc: string): Field<T, false> => ({ type, required: false, doc });

export type Fields = Record<string, Field<unknown, boolean>>;
type FieldValue<X> = X extends Field<infer T, boolean> ? T : never;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, true> ? K : never }[keyof F];
type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;
type Complete<F extends Fields> = { [K in RequiredKeys<F>]: FieldValue<F[K]> } & { [K in OptionalKeys<F>]?: FieldValue<F[K]> };
type Incomplete<F extends Fields> = { [K in keyof F]?: FieldValue<F[K]> };

export interface ObjMeta<F extends Fields> {
  /** Line of the key (or list item) that holds the object. */
  readonly $line: number;
  /** Line of each key present. */
  readonly $at: { readonly [K in keyof F]?: number };
}

/** `$ok`: every key present is valid, every required key is there and the object's own rules hold. */
export type ObjOut<F extends Fields> = ObjMeta<F> & (({ readonly $ok: true } & Complete<F>) | ({ readonly $ok: false } & Incomplete<F>));

export interface ObjOptions<F extends Fields> {
  /** The object's name in messages: `waitFor`, `a send`. */
  name: string;
  doc?: string;
  /** Pairs of keys that cannot be used together. */
  exclusive?: readonly (readonly [keyof F & string, keyof F & string])[];
  /** At least one of these keys must be present. */
  atLeastOne?: { keys: readonly (keyof F & string)[]; message: string };
  /** `a: [b]`: `a` needs `b`. */
  needs?: Partial<Record<keyof F & string, readonly (keyof F & string)[]>>;
}

export interface ObjType<F extends Fields> extends Type<ObjOut<F>> {
  readonly fields: F;
  readonly options: ObjOptions<F>;
  /** As `parse`, with a better message for keys that are unknown here but known elsewhere. */
  parseWith(node: YNode, report: Reporter, site: Site, misplaced: (key: string) => string | undefined): ObjOut<F> | undefined;
}

export function obj<F extends Fields>(fields: F, options: ObjOptions<F>): ObjType<F> {
  const keys = Object.keys(fields);
  const parseWith = (node: YNode, report: Reporter, site: Site, misplaced: (key: string) => string | undefined): ObjOut<F> | undefined => {
    if (node.t !== 'map') return mismatch(report, site, `a mapping (${options.name})`, node);
    const before = report.count;
    const values: Record<string, unknown> = {};
    const at: Record<string, number> = {};
    let unknownKeys = false;
    const meant = new Set<string>();
    for (const e of node.entries) {
      // Own keys only: `constructor` or `toString` is an unknown key, not Object.prototype's member.
      const field = ownValue(fields, e.key);
      if (field === undefined) {
        unknownKeys = true;
        const guess = suggest(e.key, keys);
        if (guess !== null) meant.add(guess);
        report.add(e.line, misplaced(e.key) ?? `unknown key '${e.key}' in ${options.name}${didYouMean(e.key, keys)} (allowed: ${keys.join(', ')})`);
        continue;
      }
      at[e.key] = e.line;
      const v = field.type.parse(e.value, report, { label: e.key, line: e.line });
      if (v !== undefined) values[e.key] = v;
    }
    // A required key that a misspelt key was taken for is reported once, as the misspelling.
    const missing = keys.filter((k) => fields[k]?.required === true && !(k in at) && !meant.has(k));
    if (missing.length > 0) report.add(site.line, `${options.name} needs ${missing.map((k) => `'${k}'`).join(' and ')}`);
    for (const [a, b] of options.exclusive ?? []) {
      const la = at[a], lb = at[b];
      if (la !== undefined && lb !== undefined) report.add(Math.max(la, lb), `'${a}' and '${b}' cannot be used together in ${options.name}: keep one`);
    }
    for (const [k, needed] of Object.entries(options.needs ?? {}) as [string, readonly string[]][]) {
      const line = at[k];
      if (line === undefined) continue;
      for (const n of needed) if (!(n in at)) report.add(line, `'${k}' needs '${n}' in ${options.name}`);
    }
    // An unknown key is most likely a misspelt one of these: reported once, above.
    if (options.atLeastOne && !unknownKeys && !options.atLeastOne.keys.some((k) => k in at)) report.add(site.line, options.atLeastOne.message);
    return { ...values, $line: site.line, $at: at, $ok: report.count === before } as ObjOut<F>;
  };
  return {
    fields,
    options,
    expected: `a mapping (${options.name})`,
    parseWith,
    parse: (node, report, site) => parseWith(node, report, site, () => undefined),
    schema(sb) {
      const properties: Record<string, JsonSchema> = {};
      for (const k of keys) {
        const f = fields[k];
        if (f === undefined) continue;
        const { description, ...rest } = f.type.schema(sb);
        properties[k] = { description: typeof description === 'string' ? `${f.doc} (${description})` : f.doc, ...rest };
      }
      const required = keys.filter((k) => fields[k]?.required === true);
      const allOf = (options.exclusive ?? []).map(([a, b]) => ({ not: { required: [a, b] } }));
      const needs = Object.entries(options.needs ?? {});
      return {
        type: 'object',
        ...(options.doc !== undefined ? { description: options.doc } : {}),
        properties,
        ...(required.length > 0 ? { required } : {}),
        additionalProperties: false,
        ...(allOf.length > 0 ? { allOf } : {}),
        ...(options.atLeastOne ? { anyOf: options.atLeastOne.keys.map((k) => ({ required: [k] })) } : {}),
        ...(needs.length > 0 ? { dependencies: Object.fromEntries(needs) } : {}),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Unions

/** What a union needs of its variants (an `obj`). */
export interface Variant<Out> {
  readonly fields: object;
  parseWith(node: YNode, report: Reporter, site: Site, misplaced: (key: string) => string | undefined): Out | undefined;
  schema(sb: SchemaBuilder): JsonSchema;
}
type VariantOut<X> = X extends Variant<infer O> ? O : never;
type UnionOut<V extends Record<string, Variant<unknown>>> = {
  [K in keyof V & string]: { readonly kind: K } & VariantOut<V[K]>;
}[keyof V & string];

function hasField(variant: Variant<unknown> | undefined, key: string): boolean {
  return variant !== undefined && Object.prototype.hasOwnProperty.call(variant.fields, key);
}

function misplacedIn(variants: Record<string, Variant<unknown>>, chosen: string, noun: (variant: string) => string) {
  return (key: string): string | undefined => {
    const owners = Object.keys(variants).filter((v) => v !== chosen && hasField(variants[v], key));
    if (owners.length === 0) return undefined;
    return `'${key}' is not allowed in ${article(noun(chosen))} (only in ${owners.map(noun).join(', ')})`;
  };
}

function article(phrase: string): string {
  return (/^[aeiou]/i.test(phrase) ? 'an ' : 'a ') + phrase;
}

/**
 * A mapping that has exactly one of the variant keys (`performed`, `trait`, ... for a condition; `wait`,
 * `waitFor`, ... for a step); each variant says which other keys go with it.
 */
export function keyUnion<V extends Record<string, Variant<unknown>>>(
  variants: V,
  options: { name: string; noun: (variant: string) => string; describe?: (node: YMap) => string },
): Type<UnionOut<V>> {
  const names = Object.keys(variants);
  const list = names.length > 2 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}` : names.join(' or ');
  const expected = `a mapping with exactly one of ${list}`;
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'map') return mismatch(report, site, `a mapping (${options.name}) with one of ${list}`, node);
      const found = node.entries.filter((e) => names.includes(e.key));
      const what = options.describe?.(node) ?? options.name;
      if (found.length !== 1) {
        let detail: string;
        if (found.length === 0) {
          const unknown = node.entries.map((e) => e.key).filter((k) => !names.some((n) => hasField(variants[n], k)));
          const guess = unknown.map((k) => suggest(k, names)).find((s) => s !== null);
          const named = unknown.map((k) => `'${k}'`).join(', ');
          if (guess !== undefined) detail = ` (found ${named}: did you mean '${guess}'?)`;
          else detail = unknown.length === 0 ? ' (found none)' : ` (found none; unknown key${unknown.length > 1 ? 's' : ''} ${named})`;
        } else {
          detail = ` (found ${found.map((e) => e.key).join(' and ')}: keep one)`;
        }
        report.add(found[1]?.line ?? site.line, `${what} needs exactly one of ${list}${detail}`);
        return undefined;
      }
      const kind = found[0]?.key ?? '';
      const variant = ownValue(variants, kind);
      if (variant === undefined) return undefined;
      const out = variant.parseWith(node, report, site, misplacedIn(variants, kind, options.noun));
      return out === undefined ? undefined : ({ kind, ...out } as UnionOut<V>);
    },
    schema(sb) {
      return { type: 'object', oneOf: names.map((n) => variants[n]?.schema(sb) ?? {}) };
    },
  };
}

/** A mapping whose `tag` key's value (e.g. `type: webhook`) says which keys go with it. */
export function tagUnion<V extends Record<string, Variant<unknown>>>(
  tag: string,
  variants: V,
  options: { name: string; noun: (variant: string) => string },
): Type<UnionOut<V>> {
  const names = Object.keys(variants);
  const expected = `a mapping (${options.name}) with ${tag}: ${names.join(' or ')}`;
  return {
    expected,
    parse(node, report, site) {
      if (node.t !== 'map') return mismatch(report, site, expected, node);
      const entry = node.entries.find((e) => e.key === tag);
      if (entry === undefined) {
        report.add(site.line, `${options.name} needs '${tag}': ${names.join(' or ')}`);
        return undefined;
      }
      const value = entry.value.t === 'scalar' ? entry.value.value : undefined;
      const variant = typeof value === 'string' ? ownValue(variants, value) : undefined;
      if (typeof value !== 'string' || variant === undefined) {
        const hint = typeof value === 'string' ? didYouMean(value, names) : '';
        report.add(entry.line, `${tag} must be one of ${names.join(', ')}, got ${describeNode(entry.value)}${hint}`);
        return undefined;
      }
      const out = variant.parseWith(node, report, site, misplacedIn(variants, value, options.noun));
      return out === undefined ? undefined : ({ kind: value, ...out } as UnionOut<V>);
    },
    schema(sb) {
      return { type: 'object', required: [tag], oneOf: names.map((n) => variants[n]?.schema(sb) ?? {}) };
    },
  };
}
