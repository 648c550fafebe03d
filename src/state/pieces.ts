// A user's state split into pieces for LevelDB and the changelog: one core record, plus, for a state too
// large to be one record, a piece of its own for each live instance, each history signature and each trait too
// large to ride in the core, so that no record approaches Kafka's 1 MiB limit however many instances, how much
// history or how many large traits a user has (one trait comes from one message: at most 256 KiB). A state
// whose JSON fits the core budget is the core alone (one JSON.stringify: most users, every message); past it,
// small instances, histories and traits still ride in the core up to the budget.
// Keys sort by user, so one range read loads a user.
import type { Json, JsonObject } from '../definitions/model';
import type { Instance, JourneyState, SignatureHistory, UserState } from '../engine/state';
import { ErrorCodes, JourneyError } from '../errors';
import { setOwn } from '../lib/own';

/**
 * A name (user id, journey id, trait name) as a part of a store key: URI-encoded, so it holds no `/`; a lone
 * surrogate, which `encodeURIComponent` refuses, as `%uXXXX` (no URI encoding has a `u` after `%`, so names still
 * get keys of their own). A trait name may hold one: JSON allows it. Every key part goes through here.
 */
export function keyPart(name: string): string {
  if (name.isWellFormed()) return encodeURIComponent(name);
  return name.split(/(\p{Surrogate})/u).map((part) => !part.isWellFormed() ? `%u${part.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(part)).join('');
}

/** The name a `keyPart` was made of. */
export function fromKeyPart(part: string): string {
  if (!part.includes('%u')) return decodeURIComponent(part);
  return part.split(/(%u[0-9A-F]{4})/).map((p) => p.startsWith('%u') ? String.fromCharCode(parseInt(p.slice(2), 16)) : decodeURIComponent(p)).join('');
}

/** Everything of a user shares this prefix (the id as a key part, so it holds no `/`). */
export function userPrefix(userId: string): string {
  return `u/${keyPart(userId)}/`;
}

/** The key (under the user's prefix) of the core piece. */
export const CORE_PIECE = 'c';

interface CoreJourney extends Omit<JourneyState, 'instances'> {
  /** entrySeqs of the live instances, in order. */
  live: number[];
  /** Live instances kept in the core, by entrySeq; the others are pieces of their own. */
  inline?: Record<string, Instance>;
}

export interface CorePiece extends Omit<UserState, 'history' | 'journeys'> {
  /** Journeys other than never-entered ones (the engine creates those as it needs them). */
  journeys: Record<string, CoreJourney>;
  /** Histories kept in the core (the others are pieces of their own). */
  history?: Record<string, SignatureHistory>;
  /** Signatures whose history is a piece of its own: with `live` and `ownTraits`, the core names every other piece. */
  own?: string[];
  /** Traits that are pieces of their own (the others are in `traits`). */
  ownTraits?: string[];
}

/** A state whose JSON, everything inline, is at most this long is one core piece. Past it... */
export const CORE_INLINE_BUDGET = 16 * 1024;
/** ...an instance or history whose JSON is longer than this gets a piece of its own, and so do those that
 * would take the JSON the core holds inline past the budget (instances first, in order). */
export const INLINE_MAX = 1024;

/** key → JSON text of every piece of the state. */
export function toPieces(state: UserState): Map<string, string> {
  const prefix = userPrefix(state.userId);
  const whole = JSON.stringify(corePiece(state, coreJourneys(state, (_journeyId, inst) => inst), state.history, [], state.traits, []));
  if (whole.length <= CORE_INLINE_BUDGET) return new Map([[prefix + CORE_PIECE, whole]]);

  const pieces = new Map<string, string>();
  let budget = CORE_INLINE_BUDGET;
  /** Whether a piece of this JSON text rides in the core (and takes its share of the budget). */
  const fitsCore = (text: string): boolean => {
    if (text.length > INLINE_MAX || text.length > budget) return false;
    budget -= text.length;
    return true;
  };
  const inlineInstance = (journeyId: string, inst: Instance): Instance | undefined => {
    const text = JSON.stringify(inst);
    if (fitsCore(text)) return inst;
    pieces.set(`${prefix}i/${keyPart(journeyId)}/${inst.seq}`, text);
    return undefined;
  };
  // Instances first (the core takes them in order), then histories.
  const journeys = coreJourneys(state, inlineInstance);
  const inline: Record<string, SignatureHistory> = {};
  const own: string[] = [];
  for (const [sig, h] of Object.entries(state.history)) {
    const text = JSON.stringify(h);
    if (fitsCore(text)) inline[sig] = h;
    else {
      pieces.set(`${prefix}h/${sig}`, text);
      own.push(sig);
    }
  }
  // Then traits (rarely large).
  const traits: JsonObject = {};
  const ownTraits: string[] = [];
  for (const [name, value] of Object.entries(state.traits)) {
    const text = JSON.stringify(value);
    if (fitsCore(text)) setOwn(traits, name, value);
    else {
      pieces.set(`${prefix}t/${keyPart(name)}`, text);
      ownTraits.push(name);
    }
  }
  pieces.set(prefix + CORE_PIECE, JSON.stringify(corePiece(state, journeys, inline, own, traits, ownTraits)));
  return pieces;
}

type InlineChoice = (journeyId: string, inst: Instance) => Instance | undefined;

/** The core's journeys (never-entered ones left out), each live instance inline when `choose` returns it. */
function coreJourneys(state: UserState, choose: InlineChoice): Record<string, CoreJourney> {
  const journeys: Record<string, CoreJourney> = {};
  for (const [id, js] of Object.entries(state.journeys)) {
    if (js.entries === 0 && js.lastEndAt === null && !js.conditionTrue && js.instances.length === 0) continue;
    const cj: CoreJourney = { entries: js.entries, lastEndAt: js.lastEndAt, conditionTrue: js.conditionTrue, live: js.instances.map((i) => i.seq) };
    if (js.liveV !== undefined) cj.liveV = js.liveV;
    if (js.migrated !== undefined) cj.migrated = js.migrated;
    for (const inst of js.instances) {
      const kept = choose(id, inst);
      if (kept !== undefined) (cj.inline ??= {})[inst.seq] = kept;
    }
    journeys[id] = cj;
  }
  return journeys;
}

function corePiece(state: UserState, journeys: Record<string, CoreJourney>, history: Record<string, SignatureHistory>, own: string[], traits: JsonObject, ownTraits: string[]): CorePiece {
  return {
    v: state.v, userId: state.userId, now: state.now, traits, processed: state.processed, dedup: state.dedup,
    journeys, history, own, ...(ownTraits.length > 0 ? { ownTraits } : {}), timers: state.timers, timerSeq: state.timerSeq, flipAt: state.flipAt,
  };
}

/** Reassembles a state from its pieces (keys relative or absolute); undefined without a core piece. */
export function fromPieces(userId: string, pieces: Iterable<[string, string]>): UserState | undefined {
  const prefix = userPrefix(userId);
  let core: CorePiece | undefined;
  const others: [string, string][] = [];
  for (const [fullKey, text] of pieces) {
    const key = fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : fullKey;
    if (key === CORE_PIECE) core = parseCore(text);
    else others.push([key, text]);
  }
  return core === undefined ? undefined : assemble(userId, core, others);
}

export function parseCore(text: string): CorePiece {
  return JSON.parse(text) as CorePiece;
}

/**
 * The keys of the user's other pieces, as the core names them (live instances not inline, own histories), so a
 * user is read with point reads; null for a core of the older layout, which does not name its histories.
 */
export function otherPieceKeys(userId: string, core: CorePiece): string[] | null {
  if (core.own === undefined) return null;
  const prefix = userPrefix(userId);
  const keys: string[] = [];
  for (const [id, cj] of Object.entries(core.journeys)) {
    for (const seq of cj.live) if (cj.inline?.[seq] === undefined) keys.push(`${prefix}i/${keyPart(id)}/${seq}`);
  }
  for (const sig of core.own) keys.push(`${prefix}h/${sig}`);
  for (const name of core.ownTraits ?? []) keys.push(`${prefix}t/${keyPart(name)}`);
  return keys;
}

/** A state from its parsed core and its other pieces (keys relative to the user's prefix or absolute). */
export function assemble(userId: string, core: CorePiece, others: Iterable<[string, string]>): UserState {
  const prefix = userPrefix(userId);
  const history: Record<string, SignatureHistory> = {};
  const instances = new Map<string, Instance>();
  const traits = core.traits;
  const traitsRead = new Set<string>();
  for (const [fullKey, text] of others) {
    const key = fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : fullKey;
    if (key.startsWith('h/')) history[key.slice(2)] = JSON.parse(text) as SignatureHistory;
    else if (key.startsWith('i/')) instances.set(key.slice(2), JSON.parse(text) as Instance);
    else if (key.startsWith('t/')) {
      const name = fromKeyPart(key.slice(2));
      setOwn(traits, name, JSON.parse(text) as Json);
      traitsRead.add(name);
    }
  }
  for (const name of core.ownTraits ?? []) {
    if (!traitsRead.has(name)) throw new JourneyError(ErrorCodes.STATE_CORRUPT, `state of user ${userId}: trait ${name} is missing`);
  }
  // Pieces of the older layout (every history its own piece) read the same.
  for (const [sig, h] of Object.entries(core.history ?? {})) history[sig] ??= h;
  for (const sig of core.own ?? []) {
    if (history[sig] === undefined) throw new JourneyError(ErrorCodes.STATE_CORRUPT, `state of user ${userId}: history ${sig} is missing`);
  }
  const journeys: Record<string, JourneyState> = {};
  for (const [id, cj] of Object.entries(core.journeys)) {
    const live: Instance[] = [];
    for (const seq of cj.live) {
      const inst = cj.inline?.[seq] ?? instances.get(`${keyPart(id)}/${seq}`);
      if (inst === undefined) throw new JourneyError(ErrorCodes.STATE_CORRUPT, `state of user ${userId}: instance ${id}/${seq} is missing`);
      live.push(inst);
    }
    const js: JourneyState = { entries: cj.entries, lastEndAt: cj.lastEndAt, conditionTrue: cj.conditionTrue, instances: live };
    if (cj.liveV !== undefined) js.liveV = cj.liveV;
    if (cj.migrated !== undefined) js.migrated = cj.migrated;
    journeys[id] = js;
  }
  return {
    v: core.v, userId: core.userId, now: core.now, traits, history, processed: core.processed, dedup: core.dedup,
    journeys, timers: core.timers, timerSeq: core.timerSeq, flipAt: core.flipAt,
  };
}

/** The user id of a piece key, or null for keys that are not user pieces. */
export function userOfKey(key: string): string | null {
  if (!key.startsWith('u/')) return null;
  const end = key.indexOf('/', 2);
  return end < 0 ? null : fromKeyPart(key.slice(2, end));
}

export function isCoreKey(key: string): boolean {
  return key.startsWith('u/') && key.endsWith('/' + CORE_PIECE) && key.indexOf('/', 2) === key.length - 2;
}
