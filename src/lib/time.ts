// ISO-8601 timestamps. Input messages need a zone (`Z` or an offset); dates in conditions and traits may be
// a plain date or a date-time, read as UTC when they carry no zone (everything is UTC, spec §8). `T` and `Z` may
// be lowercase, as RFC 3339 allows.

const ZONED = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;
const LOOSE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS[month - 1] ?? 31;
}

function toMillis(m: RegExpExecArray): number | null {
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (day > daysIn(year, month)) return null;
  const ms = Number((frac + '000').slice(0, 3));
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)), om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  }
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100) {
    // Date.UTC maps years 0-99 to 1900-1999: the whole date is set again with the year (setting the year alone
    // kept 1900's calendar, so 0000-02-29, a leap day, became 0000-03-01).
    const date = new Date(utc);
    date.setUTCFullYear(year, month - 1, day);
    utc = date.getTime();
  }
  return utc - offsetMin * 60_000;
}

/** The digits at [from, to) as a number, or -1 when one of them is not a digit. */
function digitsAt(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const DASH = 45, COLON = 58, DOT = 46, T = 84, Z = 90;

/**
 * `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DDTHH:MM:SS.sssZ`, the shapes nearly every message carries (what
 * `toISOString` writes), read without a regular expression: undefined for any other text, which the regular
 * expressions then read (with the same result for these two shapes).
 */
function utcFast(text: string): number | null | undefined {
  const len = text.length;
  if ((len !== 20 && len !== 24) || text.charCodeAt(len - 1) !== Z) return undefined;
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== T || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  const year = digitsAt(text, 0, 4), month = digitsAt(text, 5, 7), day = digitsAt(text, 8, 10);
  const hour = digitsAt(text, 11, 13), minute = digitsAt(text, 14, 16), second = digitsAt(text, 17, 19);
  let ms = 0;
  if (len === 24) {
    if (text.charCodeAt(19) !== DOT) return undefined;
    ms = digitsAt(text, 20, 23);
  }
  // A non-digit, or a year Date.UTC would read as 19xx: left to the general path.
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || ms < 0) return undefined;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (day > daysIn(year, month)) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Epoch milliseconds of a message timestamp (zone required), or null. */
export function parseTimestamp(text: string): number | null {
  const fast = utcFast(text);
  if (fast !== undefined) return fast;
  const m = ZONED.exec(text);
  return m ? toMillis(m) : null;
}

/** Epoch milliseconds of a date or date-time value (zone optional, UTC by default), or null. */
export function parseDate(text: string): number | null {
  const fast = utcFast(text);
  if (fast !== undefined) return fast;
  const m = LOOSE.exec(text);
  return m ? toMillis(m) : null;
}

let lastMs = Number.NaN;
let lastText = '';

/** `2026-01-01T10:00:00.000Z`. (Many records share an instant: the last one is remembered.) */
export function formatTime(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
