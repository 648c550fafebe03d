// Flag parsing shared by the commands. Kept apart from the commands themselves, which main.ts loads lazily:
// `journeys simulate` takes the engine's flags without loading the processor (kafkajs, LevelDB).
import type { EngineOptions } from '../engine/engine';
import { ErrorCodes, JourneyError } from '../errors';
import { DAY, parseDuration } from '../lib/duration';

/** An integer flag of at least `min`; undefined when not given. */
export function intFlag(name: string, value: string | undefined, min: number, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new JourneyError(ErrorCodes.INVALID_CONFIG, `--${name} must be an integer >= ${min}\n${usage}`);
  return n;
}

/** The engine's limits as flags (spec §4.1): `simulate`, `process` and `replay` take them alike. */
export const ENGINE_FLAGS = {
  'max-instances': { type: 'string' },
  'max-lifetime': { type: 'string' },
} as const;

/** `--max-instances` and `--max-lifetime` as engine options. */
export function engineOptionsFromFlags(values: { 'max-instances'?: string; 'max-lifetime'?: string }, usage: string): Partial<EngineOptions> {
  const maxLifetime = values['max-lifetime'] === undefined ? undefined : parseDuration(values['max-lifetime']);
  if (maxLifetime === null || (maxLifetime !== undefined && (maxLifetime < 1000 || maxLifetime > 3650 * DAY))) {
    throw new JourneyError(ErrorCodes.INVALID_CONFIG, `--max-lifetime must be a duration like 365d (1s to 3650d)\n${usage}`);
  }
  const maxInstances = intFlag('max-instances', values['max-instances'], 1, usage);
  return { ...(maxInstances === undefined ? {} : { maxInstances }), ...(maxLifetime === undefined ? {} : { maxLifetime }) };
}
