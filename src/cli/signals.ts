// Stopping a long-running command (`journeys process`, `journeys sink`) on SIGTERM/SIGINT. Listened to from
// before the command starts, so a signal that comes while it starts (joining its group, restoring state)
// stops it cleanly once started instead of killing it with the signal's default action. Any further signal
// leaves at once (exit 1): a start or stop that hangs on an unreachable broker; what was committed stays.

export interface StopSignals {
  /** The first SIGTERM or SIGINT. */
  readonly first: Promise<NodeJS.Signals>;
  /** Stops listening (a command that failed to start). */
  dispose(): void;
}

export function listenForStop(command: string): StopSignals {
  let received: NodeJS.Signals | null = null;
  let resolveFirst!: (signal: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== null) {
      process.stderr.write(`journeys ${command}: ${signal} again, leaving without a clean stop\n`);
      process.exit(1);
    }
    received = signal;
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
