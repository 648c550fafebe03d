// `journeys validate [<path> ...]` (spec §4.7): one `<path>:<line>: <reason>` line per problem on stderr,
// exit 0 when every file is valid (with a summary on stdout), 2 otherwise. The command's run function is
// tested in process; the built CLI (bin/journeys.js → dist/, built by `npm test` first) end to end.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { command } from '../../../src/cli/validate';
import { DESTINATIONS, FIXTURES, topology } from './helpers';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'journeys.js');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    const code = await command.run(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const BAD = 'journey: j\nentry: { event: A }\nsteps:\n  - id: hold\n    waitFor: { events: [{ event: B }], timeout: 2h, onTimeout: nudg }\n  - { id: nudge, send: { to: [crm] } }\n';

describe('journeys validate (in process)', () => {
  test('valid files: exit 0 and a summary on stdout, nothing on stderr', async () => {
    expect(await run([join(FIXTURES, 'valid')])).toEqual({ code: 0, out: '3 journeys, 3 destinations, 2 audiences: valid\n', err: '' });
  });

  test('singular summary', async () => {
    const dir = topology({ 'j.journey.yaml': 'journey: j\nentry: { event: A }\nsteps: [{ id: a, send: { to: [crm] } }]\n', 'destinations.yaml': 'destinations: [{ id: crm, type: kafka, topic: t, format: transition }]\n' });
    expect((await run([dir])).out).toBe('1 journey, 1 destination, 0 audiences: valid\n');
  });

  test('invalid files: exit 2 and one <path>:<line>: <reason> line per problem on stderr', async () => {
    const dir = topology({ 'x.journey.yaml': BAD, 'destinations.yaml': DESTINATIONS, 'y.journey.yaml': 'journey: y\n' });
    const { code, out, err } = await run([dir]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(
      `${join(dir, 'x.journey.yaml')}:5: unknown step 'nudg' in onTimeout (did you mean 'nudge'?)\n` +
        `${join(dir, 'y.journey.yaml')}:1: a journey file needs 'entry' and 'steps'\n`,
    );
  });

  test('several paths: every problem of every path', async () => {
    const a = topology({ 'x.journey.yaml': BAD, 'destinations.yaml': DESTINATIONS });
    const b = topology({ 'z.journey.yaml': 'journey: Z\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n' });
    const { code, err } = await run([a, join(b, 'z.journey.yaml')]);
    expect(code).toBe(2);
    expect(err.split('\n').filter(Boolean).map((l) => l.replace(/:\d+: .*/, ''))).toEqual([join(a, 'x.journey.yaml'), join(b, 'z.journey.yaml')]);
  });

  test('an unknown option exits 2 (--help is answered before the command runs: test/unit/cli/main.test.ts)', async () => {
    expect(await run(['--strict'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown option '--strict'") as unknown });
  });
});

describe('bin/journeys.js validate (the built CLI)', () => {
  const cli = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [BIN, 'validate', ...args], { cwd, encoding: 'utf8' });

  test('exit 0 on valid files', () => {
    const r = cli([join(FIXTURES, 'valid')]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '3 journeys, 3 destinations, 2 audiences: valid\n', '']);
  });

  test('default path ./topologies, reported relative as given', () => {
    const dir = topology({ 'topologies/x.journey.yaml': BAD, 'topologies/destinations.yaml': DESTINATIONS });
    const r = cli([], dir);
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', "topologies/x.journey.yaml:5: unknown step 'nudg' in onTimeout (did you mean 'nudge'?)\n"]);
  });

  test('exit 2 when the path does not exist', () => {
    const r = cli(['no-such-folder'], topology({}));
    expect([r.status, r.stderr]).toEqual([2, 'no-such-folder:1: no such file or directory\n']);
  });
});
