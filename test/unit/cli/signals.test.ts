// listenForStop (src/cli/signals.ts) in a real child process: a second signal right after the first is the same
// stop (a Ctrl-C reaches the whole process group and `journeys dev` passes it on too); a later one forces exit 1.
// Runs the compiled module (dist/), as the CLI does: `npm test` builds first.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const SIGNALS = join(__dirname, '..', '..', '..', 'dist', 'cli', 'signals.js');

/**
 * Runs a process that listens (and on the first signal stops by itself 1.5 s later, exit 0), sends it `first`,
 * then once it has taken that as a stop, `second`; its exit code.
 */
async function stopTwice(graceMs: number, first: NodeJS.Signals, second: NodeJS.Signals): Promise<number | null> {
  const script = `
    const { listenForStop } = require(${JSON.stringify(SIGNALS)});
    const s = listenForStop('test', ${graceMs});
    s.first.then((sig) => { process.stdout.write('stopping on ' + sig + '\\n'); setTimeout(() => process.exit(0), 1500); });
    setTimeout(() => process.exit(3), 30000);
    process.stdout.write('listening\\n');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  const printed = (text: string): Promise<void> => new Promise((resolve) => {
    const check = (): void => {
      if (!out.includes(text)) return;
      child.stdout.off('data', check);
      resolve();
    };
    child.stdout.on('data', check);
    check();
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await printed('listening');
  child.kill(first);
  await printed(`stopping on ${first}`);
  child.kill(second);
  return exited;
}

describe('listenForStop', () => {
  test('SIGINT then SIGTERM at once (a Ctrl-C passed on by a parent): one clean stop, exit 0', async () => {
    expect(await stopTwice(60_000, 'SIGINT', 'SIGTERM')).toBe(0);
  });

  test('a signal after the grace period leaves at once: exit 1', async () => {
    expect(await stopTwice(0, 'SIGTERM', 'SIGTERM')).toBe(1);
  });
});
