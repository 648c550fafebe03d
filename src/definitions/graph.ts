// The step graph of one journey (spec §4.2): acyclic (a `restart` loop-back is not an edge), and every
// step reachable from the first one by explicit or default successors.
import { END } from './model';
import type { Reporter } from './problems';

/** A successor of a step, explicit (`next`, `onTimeout`, `else`, a branch) or by default (the following step). */
export interface Edge {
  from: string;
  to: string;
  /** Line of the key that names the successor, or of the step for a default one. */
  line: number;
}

export interface GraphStep {
  id: string;
  /** Line of the step's `id`. */
  line: number;
  edges: Edge[];
}

/** Reports every cycle (once, at the edge that goes back) and every unreachable step. */
export function checkGraph(steps: GraphStep[], report: Reporter): void {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const succ = (s: GraphStep): Edge[] => s.edges.filter((e) => e.to !== END && index.has(e.to));

  // Cycles: depth-first, with the path of edges on the stack.
  const state = new Map<string, 'open' | 'done'>();
  const reported = new Set<Edge>();
  const visit = (start: GraphStep): void => {
    const stack: { step: GraphStep; edges: Edge[]; next: number; via: Edge | null }[] = [{ step: start, edges: succ(start), next: 0, via: null }];
    state.set(start.id, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const edge = top.edges[top.next++];
      if (edge === undefined) {
        state.set(top.step.id, 'done');
        stack.pop();
        continue;
      }
      const target = steps[index.get(edge.to) ?? -1];
      if (target === undefined) continue;
      const s = state.get(target.id);
      if (s === 'open') {
        // The cycle: the edges from `target` down the stack, then this one.
        const from = stack.findIndex((f) => f.step.id === target.id);
        const cycle = [...stack.slice(from + 1).map((f) => f.via), edge].filter((e): e is Edge => e !== null);
        // Report at the edge that names an earlier (or the same) step: the one that loops back.
        const back = cycle.find((e) => (index.get(e.to) ?? 0) <= (index.get(e.from) ?? 0)) ?? edge;
        if (!reported.has(back)) {
          reported.add(back);
          const names = [...cycle.map((e) => e.from), target.id].join(' → ');
          report.add(
            back.line,
            `cycle in the step graph: ${names} (the steps must not loop; to repeat a wait, use restart: true on a waitFor event)`,
          );
        }
      } else if (s === undefined) {
        state.set(target.id, 'open');
        stack.push({ step: target, edges: succ(target), next: 0, via: edge });
      }
    }
  };
  for (const s of steps) if (!state.has(s.id)) visit(s);

  // Reachability from the first step.
  const first = steps[0];
  if (first === undefined) return;
  const seen = new Set([first.id]);
  const queue = [first];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const e of succ(s)) {
      const t = steps[index.get(e.to) ?? -1];
      if (t !== undefined && !seen.has(t.id)) {
        seen.add(t.id);
        queue.push(t);
      }
    }
  }
  for (const s of steps) {
    if (!seen.has(s.id)) {
      report.add(s.line, `step '${s.id}' is unreachable: no next, onTimeout, else or branch leads to it from the first step '${first.id}' (remove it or point a next at it)`);
    }
  }
}
