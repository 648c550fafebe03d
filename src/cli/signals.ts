// Stopping a long-running command (`journeys process`, `journeys sink`) on SIGTERM/SIGINT. Listened to from
// before the command starts, so a signal that comes while it starts (joining its group, restoring state)
// stops it cleanly once started instead of killing it with the signal's default action. A further signal
// more than 2 s later leaves at once (exit 1): a start or stop that hangs on an unreachable broker; what was
// committed stays. One sooner is the same request: a Ctrl-C reaches the whole foreground process group, and
// `journeys dev` (or a supervisor) passes the stop on to its children as well.

export interface StopSignals {
  /** The first SIGTERM or SIGINT. */
  readonly first: Promise<NodeJS.Signals>;
  /** Stops listening (a command that failed to start). */
  dispose(): void;
}

/** Signals this soon after the first are taken as the same stop request. */
const REPEAT_SIGNAL_GRACE_MS = 2000;

export function listenForStop(command: string, graceMs = REPEAT_SIGNAL_GRACE_MS): StopSignals {
  let received: NodeJS.Signals | null = null;
  let receivedAt = 0;
  let resolveFirst!: (signal: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== null) {
      if (Date.now() - receivedAt < graceMs) return;
      process.stderr.write(`journeys ${command}: ${signal} again, leaving without a clean stop\n`);
      process.exit(1);
    }
    received = signal;
    receivedAt = Date.now();
    resolveFirst(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    first,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
