// The transition record (spec §5): what the engine emits, what `journeys simulate` prints and what the
// processor writes to the transitions topic.
import type { JsonObject } from '../definitions/model';

export type TransitionReason =
  | 'entry' | 'next' | 'wait' | 'event' | 'restart' | 'timeout' | 'condition' | 'split' | 'branch' | 'random'
  | 'exit-rule' | 'exit-condition' | 'exit-after' | 'expired' | 'end';

export const END_OF_PATH = '$end';
export const EXIT = '$exit';
export const COMPLETE = '$complete';

export interface Cause {
  messageId: string | null;
  /** The journey event name (`Page Viewed` for a page), null for an identify. */
  event: string | null;
}

export interface SendPayload {
  to: string[];
  event: string;
  /** The named traits the user has, at that moment. */
  traits: JsonObject;
}

export interface Transition {
  /** Lowercase hex SHA-256 of `<journey>:<version>:<instance>:<seq>`. */
  id: string;
  journey: string;
  version: number;
  /** `<userId>/<journey>/<entrySeq>`. */
  instance: string;
  seq: number;
  userId: string;
  from: string | null;
  to: string;
  reason: TransitionReason;
  /** ISO-8601 UTC with milliseconds. */
  at: string;
  cause: Cause | null;
  send?: SendPayload;
  context: JsonObject;
  /** `$exit` records only: send steps entered, in first-entered order. */
  sent?: string[];
}
