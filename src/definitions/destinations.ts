// destinations.yaml (spec §6): ids unique, defaults of the webhook options filled in.
import type { Destination } from './model';
import type { Reporter } from './problems';
import type { destinationsFile } from './keys';
import type { TypeOf } from './descriptor';

export type RawDestinationsFile = TypeOf<typeof destinationsFile>;

export const WEBHOOK_DEFAULTS = {
  batchSize: 1,
  lingerMs: 0,
  timeoutMs: 10_000,
  maxAttempts: 5,
  concurrency: 4,
  ratePerSecond: null,
} as const;

export interface BuiltDestinations {
  /** Every destination, in file order (only complete when the file has no problem). */
  destinations: Map<string, Destination>;
  /** Every id written in the file, also of destinations that are otherwise invalid. */
  ids: Set<string>;
  /** Destinations that cannot be used (invalid), with their line. */
  unusable: Map<string, number>;
}

export function buildDestinations(raw: RawDestinationsFile, report: Reporter): BuiltDestinations {
  const destinations = new Map<string, Destination>();
  const unusable = new Map<string, number>();
  const firstLine = new Map<string, number>();
  for (const d of raw.destinations ?? []) {
    if (d.id === undefined) continue;
    const line = d.$at.id ?? d.$line;
    const first = firstLine.get(d.id);
    if (first !== undefined) {
      report.add(line, `duplicate destination id '${d.id}' (first at line ${first})`);
      // Which of the two a journey means is unclear: it is told at its reference too.
      if (!unusable.has(d.id)) unusable.set(d.id, line);
      continue;
    }
    firstLine.set(d.id, line);
    if (!d.$ok) {
      unusable.set(d.id, line);
      continue;
    }
    if (d.kind === 'kafka') {
      destinations.set(d.id, { id: d.id, type: 'kafka', format: d.format, topic: d.topic });
    } else {
      destinations.set(d.id, {
        id: d.id,
        type: 'webhook',
        format: d.format,
        url: d.url,
        secretEnv: d.secretEnv ?? null,
        batchSize: d.batchSize ?? WEBHOOK_DEFAULTS.batchSize,
        lingerMs: d.lingerMs ?? WEBHOOK_DEFAULTS.lingerMs,
        timeoutMs: d.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
        maxAttempts: d.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts,
        concurrency: d.concurrency ?? WEBHOOK_DEFAULTS.concurrency,
        ratePerSecond: d.ratePerSecond ?? WEBHOOK_DEFAULTS.ratePerSecond,
        headers: Object.fromEntries((d.headers ?? []).map((h) => [h.key, h.value])),
      });
    }
  }
  return { destinations, ids: new Set(firstLine.keys()), unusable };
}
