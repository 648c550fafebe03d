// Start-time checks of the destinations a sink will deliver to: what the definitions loader cannot know
// (environment variables, header names the sink reserves). Problems point at destinations.yaml with the
// line of the key concerned, like `journeys validate` does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Destination } from '../definitions/model';
import { formatProblem, Reporter, type Problem } from '../definitions/problems';
import { readYaml, type YNode } from '../definitions/yaml-tree';
import { ErrorCodes, JourneyError } from '../errors';
import { checkDestination } from './registry';

/** destination id → key → line (and the destination's own line under `key` `''`). */
function lines(file: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  if (!existsSync(file)) return out;
  const root: YNode | null | undefined = readYaml(readFileSync(file), new Reporter(file));
  if (root?.t !== 'map') return out;
  const list = root.entries.find((e) => e.key === 'destinations')?.value;
  if (list?.t !== 'seq') return out;
  for (const item of list.items) {
    if (item.t !== 'map') continue;
    const id = item.entries.find((e) => e.key === 'id')?.value;
    if (id?.t !== 'scalar' || typeof id.value !== 'string') continue;
    const keys = new Map<string, number>([['', item.line]]);
    for (const e of item.entries) keys.set(e.key, e.line);
    out.set(id.value, keys);
  }
  return out;
}

export function checkDestinations(topologies: string, destinations: readonly Destination[], env: NodeJS.ProcessEnv): Problem[] {
  const file = join(topologies, 'destinations.yaml');
  const problems: Problem[] = [];
  let located: Map<string, Map<string, number>> | null = null;
  for (const d of destinations) {
    for (const p of checkDestination(d, env)) {
      located ??= lines(file);
      const keys = located.get(d.id);
      problems.push({ file, line: keys?.get(p.key) ?? keys?.get('') ?? 1, message: `destination '${d.id}': ${p.message}` });
    }
  }
  return problems;
}

/** Throws JRN_ERR_INVALID_CONFIG listing every problem (file:line: reason), if any. */
export function assertDestinationsUsable(topologies: string, destinations: readonly Destination[], env: NodeJS.ProcessEnv): void {
  const problems = checkDestinations(topologies, destinations, env);
  if (problems.length === 0) return;
  throw new JourneyError(ErrorCodes.INVALID_CONFIG, `destinations cannot be used as configured:\n${problems.map(formatProblem).join('\n')}`, { details: { problems } });
}
