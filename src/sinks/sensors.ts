// What the sink runtime reports, as hooks (src/observability/sink-metrics.ts implements them with
// prom-client). Labels are destination ids and outcomes: bounded, never a user id.

/** How a delivery ended: acknowledged, refused at once (4xx...), or failed every attempt. */
export type DeliveryOutcome = 'delivered' | 'refused' | 'exhausted';

export interface SinkSensors {
  /** A message was handed to the destination's connector. */
  deliveryStarted(destination: string): void;
  /** ...and settled after `seconds` (from hand-over to acknowledgement or final failure). */
  deliveryEnded(destination: string, outcome: DeliveryOutcome, seconds: number): void;
  /** An attempt failed and will be tried again. */
  retried(destination: string): void;
  /** Records written to the destination's dead-letter topic. */
  deadLettered(destination: string, records: number): void;
}

export const noSensors: SinkSensors = {
  deliveryStarted: () => undefined,
  deliveryEnded: () => undefined,
  retried: () => undefined,
  deadLettered: () => undefined,
};
