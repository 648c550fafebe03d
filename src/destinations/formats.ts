// The destination formats of spec §6, as pure functions of a transition record: no I/O, no clock.
//
// - segment-track: a Segment `track` per send (event = the send's event), with the journey context and
//   metadata, `properties.<stepKey>: true`, `audience_key` and the chosen traits; "user left" (on `$exit`):
//   an `Audience Exited` track with `properties.<stepKey>: false` for each step that sent to the destination.
// - segment-identify: a Segment `identify` with `traits.<stepKey>: true`; "user left": `false` for each step;
//   an exit send (on `$exit`): `false` for each step in `sent`.
// - transition: the transition record as is.
//
// The "step" of a send is the step the transition entered (`to`): the send step's id, or `$exit` for an exit
// send (segment-track's step key and metadata).
import type { DestinationFormat, JsonObject } from '../definitions/model';
import { EXIT, type SendPayload, type Transition } from '../engine/transition';
import { setOwn } from '../lib/own';

/** `j_o_<journey with - as _>__<step with - as _>` (spec §6). */
export function stepKey(journey: string, step: string): string {
  return `j_o_${journey.replace(/-/g, '_')}__${step.replace(/-/g, '_')}`;
}

/** The messageId of the "user left" message of an `$exit` record. */
export function exitMessageId(transitionId: string): string {
  return `${transitionId}-exit`;
}

export const AUDIENCE_EXITED = 'Audience Exited';

/** `<stepKey>: false` for each step, in order. */
function falseFlags(journey: string, steps: readonly string[]): JsonObject {
  const flags: JsonObject = {};
  for (const step of steps) flags[stepKey(journey, step)] = false;
  return flags;
}

function personas(journey: string, step: string): JsonObject {
  return { computation_class: 'journey_step', computation_key: stepKey(journey, step), computation_id: `${journey}/${step}` };
}

function metadata(t: Transition): JsonObject {
  return { journey_id: t.journey, journey_version: t.version, step_id: t.to, instance_id: t.instance };
}

function asJson(t: Transition): JsonObject {
  const out: JsonObject = {
    id: t.id, journey: t.journey, version: t.version, instance: t.instance, seq: t.seq, userId: t.userId,
    from: t.from, to: t.to, reason: t.reason, at: t.at,
    cause: t.cause === null ? null : { messageId: t.cause.messageId, event: t.cause.event },
  };
  if (t.send !== undefined) out.send = { to: [...t.send.to], event: t.send.event, traits: t.send.traits };
  out.context = t.context;
  if (t.sent !== undefined) out.sent = [...t.sent];
  return out;
}

/**
 * The message for a transition that carries `send` (a send step, or an exit send on an `$exit` record);
 * its messageId is the transition id.
 */
export function formatSend(t: Transition & { send: SendPayload }, format: DestinationFormat): JsonObject {
  const key = stepKey(t.journey, t.to);
  switch (format) {
    case 'segment-track': {
      // Chosen traits first: the journey's own properties win a name clash. (Built key by key: an object
      // spread followed by more keys is several times slower to build and to serialise.)
      const properties: JsonObject = {};
      const traits = t.send.traits;
      for (const name in traits) setOwn(properties, name, traits[name] ?? null);
      properties.journey_context = t.context;
      properties.journey_metadata = metadata(t);
      properties[key] = true;
      properties.audience_key = key;
      return {
        type: 'track', event: t.send.event, userId: t.userId, messageId: t.id, timestamp: t.at,
        properties, context: { personas: personas(t.journey, t.to) },
      };
    }
    case 'segment-identify': {
      // On an `$exit` record the identify row of spec §6 says `false` for each step in `sent`: an exit send
      // unsets the journey's step traits (`$exit` is no step, and a trait set true here would never be unset).
      if (t.to === EXIT) return { type: 'identify', userId: t.userId, messageId: t.id, timestamp: t.at, traits: falseFlags(t.journey, t.sent ?? []) };
      const traits: JsonObject = {};
      traits[key] = true;
      return { type: 'identify', userId: t.userId, messageId: t.id, timestamp: t.at, traits, context: { personas: personas(t.journey, t.to) } };
    }
    case 'transition':
      return asJson(t);
  }
}

/**
 * The "user left" message of an `$exit` record for one destination (spec §6), `steps` being the steps of
 * `sent` that sent to it (in `sent` order); its messageId is `<transition id>-exit`.
 */
export function formatExit(t: Transition, steps: readonly string[], format: DestinationFormat): JsonObject {
  const flags = falseFlags(t.journey, steps);
  const messageId = exitMessageId(t.id);
  switch (format) {
    case 'segment-track':
      return {
        type: 'track', event: AUDIENCE_EXITED, userId: t.userId, messageId, timestamp: t.at,
        properties: Object.assign({ journey_context: t.context, journey_metadata: metadata(t) }, flags),
      };
    case 'segment-identify':
      return { type: 'identify', userId: t.userId, messageId, timestamp: t.at, traits: flags };
    case 'transition':
      return asJson(t);
  }
}
