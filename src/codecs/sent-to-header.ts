// The `journeys-sent-to` header of an `$exit` record on the transitions topic: for each step of its `sent`, the
// destinations that step sent to, as the version it was sent under defines it (the engine knows). Spec §6 tells every destination a
// step in `sent` sent to that the user left; an instance draining on an earlier version (spec §4.6) may have sent
// from a step the loaded file removed or sends elsewhere, and only the processor keeps that version. The record's
// fields stay exactly those of spec §5; a record without the header is routed by the loaded definitions.
export const SENT_TO_HEADER = 'journeys-sent-to';

/** send step id → destination ids, of one journey version. */
export type SendSteps = ReadonlyMap<string, readonly string[]>;

/** The header's value: `{ "<step>": ["<destination>", ...] }` for the steps of `sent` that the version has. */
export function sentToHeader(sent: readonly string[], steps: SendSteps): string {
  const out: Record<string, readonly string[]> = {};
  for (const step of sent) {
    const to = steps.get(step);
    if (to !== undefined) out[step] = to;
  }
  return JSON.stringify(out);
}

/** The steps and destinations a header names; null when there is none or it cannot be read. */
export function parseSentToHeader(value: Buffer | string | (Buffer | string)[] | undefined): SendSteps | null {
  if (value === undefined || Array.isArray(value)) return null;
  try {
    const parsed: unknown = JSON.parse(value.toString());
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    const steps = new Map<string, readonly string[]>();
    for (const [step, to] of Object.entries(parsed)) {
      if (!Array.isArray(to) || !to.every((d): d is string => typeof d === 'string')) return null;
      steps.set(step, to);
    }
    return steps;
  } catch {
    return null;
  }
}
