// Records keyed by names from journey files and messages (journey ids, trait names) are plain objects, so a
// name like `constructor` would find Object.prototype's member and `__proto__` would set the prototype.
import type { JsonObject } from '../definitions/model';

/** The object's own value under `key`, never one it inherits. */
export function ownValue<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Sets `key` as an own, enumerable property: also `__proto__`, which an assignment would take as the prototype. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** A JSON object (what `JSON.parse` gives for `{...}`): not null, not a list. */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
