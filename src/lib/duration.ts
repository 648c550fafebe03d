// Durations as the spec writes them: an integer and one unit, `30s`, `15m`, `2h`, `7d`, `2w`.

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^([0-9]+)(s|m|h|d|w)$/;

export const SECOND = 1000;
export const DAY = UNIT_MS.d;

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] as keyof typeof UNIT_MS;
  if (!Number.isSafeInteger(n)) return null;
  return n * UNIT_MS[unit];
}

/** The shortest exact spelling of a duration in milliseconds, e.g. 7200000 → `2h`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
