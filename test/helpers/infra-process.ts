// Runs infra/infra.mjs (the same script as `npm run infra:up`) from the tests' global setup and teardown, and
// from fault tests that restart the broker.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ErrorCodes, JourneyError } from '../../src/errors';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const INFRA_SCRIPT = join(REPO_ROOT, 'infra', 'infra.mjs');

/** Runs `node infra/infra.mjs <args>` with its output shown; rejects with a JourneyError when it fails. */
export function runInfra(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [INFRA_SCRIPT, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (err) => reject(new JourneyError(ErrorCodes.INFRA, `could not run ${INFRA_SCRIPT}: ${err.message}`, { cause: err })));
    child.once('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new JourneyError(ErrorCodes.INFRA, `\`node infra/infra.mjs ${args.join(' ')}\` failed (${signal ?? `exit ${code}`}); its message is above`));
    });
  });
}

/** Stops the local broker (SIGTERM, or SIGKILL with `kill`) and starts it again on the same ports with its data. */
export function restartBroker(options: { kill?: boolean } = {}): Promise<void> {
  return runInfra(['restart-broker', ...(options.kill ? ['--kill'] : [])]);
}
