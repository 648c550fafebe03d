// `journeys simulate` (the built CLI: bin/journeys.js → dist/, built by `npm test` first) prints the
// records the in-process Simulator gives on the same generated journeys and messages, with --until,
// --max-lifetime and --max-instances; blank lines are ignored and invalid lines reported and skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { caseArb, loadJourneys, writeJourneys } from '../../helpers/generators';
import { parseAll, simulate } from './harness';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'journeys.js');

describe('journeys simulate (built CLI) agrees with the in-process Simulator', () => {
  test('same records, line for line', () => {
    fc.assert(
      fc.property(caseArb(60, 3), (c) => {
        const expected = simulate(loadJourneys(c.journeys), c.options, parseAll(c.messages), c.until);
        fc.pre(c.messages.length >= 10 && expected.length > 0);
        const topo = writeJourneys(c.journeys);
        const dir = mkdtempSync(join(tmpdir(), 'journeys-cli-'));
        try {
          const lines = c.messages.map((m) => JSON.stringify(m));
          // A blank line (ignored) and an invalid one (reported with its line number, skipped) in the middle.
          const mid = lines.length >> 1;
          const input = [...lines.slice(0, mid), '', '{"type":"track"', ...lines.slice(mid)];
          writeFileSync(join(dir, 'events.jsonl'), input.join('\n') + '\n');
          const r = spawnSync(
            process.execPath,
            [BIN, 'simulate', '--topologies', topo, '--events', join(dir, 'events.jsonl'), '--until', new Date(c.until).toISOString(),
              '--max-lifetime', `${c.options.maxLifetime / 86_400_000}d`, '--max-instances', String(c.options.maxInstances)],
            { encoding: 'utf8', maxBuffer: 1 << 28 },
          );
          expect(r.status).toBe(0);
          expect(r.stderr).toBe(`line ${mid + 2}: not valid JSON, skipped\n`);
          expect(r.stdout).toBe(expected.map((l) => `${l}\n`).join(''));
        } finally {
          rmSync(topo, { recursive: true, force: true });
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 3, seed: 4242 },
    );
  });
});
