// listenForStop (src/cli/signals.ts) in a real child process: a second signal right after the first is the same
// stop (a Ctrl-C reaches the whole process group and `journeys dev` passes it on too); a later one forces exit 1.
// Runs the compiled module (dist/), as the CLI does: `npm test` builds first.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const SIGNALS = join(__dirname, '..', '..', '..', 'dist', 'cli', 'signals.js');

/** A process that listens, and on the first signal stops by itself 1.5 s later (exit 0). */
function listener(graceMs: number): { send: (s: NodeJS.Signals) => void; lines: (text: string) => Promise<void>; exited: Promise<number | null> } {
  const script = `
    const { listenForStop } = require(${JSON.stringify(SIGNALS)});
    const s = listenForStop('test', ${graceMs});
    s.first.then((sig) => { process.stdout.write('stopping on ' + sig + '\\n'); setTimeout(() => process.exit(0), 1500); });
    setTimeout(() => process.exit(3), 30000);
    process.stdout.write('listening\\n');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const waiting = waiters.splice(0);
    for (const w of waiting) {
      if (out.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  return {
    send: (s) => child.kill(s),
    lines: (text) => new Promise<void>((resolve) => (out.includes(text) ? resolve() : waiters.push({ text, resolve }))),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

describe('listenForStop', () => {
  test('SIGINT then SIGTERM at once (a Ctrl-C passed on by a parent): one clean stop, exit 0', async () => {
    const p = listener(60_000);
    await p.lines('listening');
    p.send('SIGINT');
    await p.lines('stopping on SIGINT');
    p.send('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  test('a signal after the grace period leaves at once: exit 1', async () => {
    const p = listener(0);
    await p.lines('listening');
    p.send('SIGTERM');
    await p.lines('stopping on SIGTERM');
    p.send('SIGTERM');
    expect(await p.exited).toBe(1);
  });
});
