// Which messages a transition record gives one destination (spec §6), as a pure function:
// - a record that carries `send` (a send step, or an exit send on `$exit`) gives each destination of
//   `send.to` the formatted message, messageId = transition id;
// - an `$exit` record gives each destination that a step in `sent` sent to one "user left" message,
//   messageId = `<transition id>-exit`, naming those steps.
// Which destinations a step sent to comes from the record's `journeys-sent-to` header, written by the processor
// from the instance's own version (src/codecs/sent-to-header.ts); without it, from the loaded definitions.
import type { Definitions, DestinationFormat, Journey } from '../definitions/model';
import type { SendSteps } from '../codecs/sent-to-header';
import { EXIT, type SendPayload, type Transition } from '../engine/transition';
import { exitMessageId, formatExit, formatSend } from '../destinations/formats';
import type { OutMessage } from '../destinations/types';

/** journey id → send step id → destination ids, of the loaded definitions. */
export type SendIndex = ReadonlyMap<string, SendSteps>;

export function buildSendIndex(defs: Pick<Definitions, 'journeys'>): SendIndex {
  return new Map(defs.journeys.map((j) => [j.id, sendSteps(j)]));
}

/** A journey's send steps and their destinations. */
export function sendSteps(journey: Pick<Journey, 'steps'>): SendSteps {
  const steps = new Map<string, readonly string[]>();
  for (const step of journey.steps) if (step.type === 'send') steps.set(step.id, step.send.to);
  return steps;
}

export interface Routed {
  messages: OutMessage[];
  /** `sent` steps the header (or, without one, the loaded definitions) lacks: their exit is not announced. */
  unknownSteps: string[];
}

function hasSend(t: Transition): t is Transition & { send: SendPayload } {
  return t.send !== undefined;
}

/**
 * The messages for `destination` (in order: the send, then the "user left" message). `sentTo`: the record's
 * `journeys-sent-to` header, when it has one.
 */
export function route(t: Transition, destination: { id: string; format: DestinationFormat }, index: SendIndex, sentTo: SendSteps | null = null): Routed {
  const messages: OutMessage[] = [];
  const unknownSteps: string[] = [];
  if (hasSend(t) && t.send.to.includes(destination.id)) {
    messages.push({ id: t.id, userId: t.userId, body: formatSend(t, destination.format) });
  }
  if (t.to === EXIT && t.sent !== undefined && t.sent.length > 0) {
    const steps = sentTo ?? index.get(t.journey);
    const left: string[] = [];
    for (const step of t.sent) {
      const to = steps?.get(step);
      if (to === undefined) unknownSteps.push(step);
      else if (to.includes(destination.id) && !left.includes(step)) left.push(step);
    }
    if (left.length > 0) messages.push({ id: exitMessageId(t.id), userId: t.userId, body: formatExit(t, left, destination.format) });
  }
  return { messages, unknownSteps };
}
