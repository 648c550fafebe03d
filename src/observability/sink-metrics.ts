// Sink metrics (Prometheus naming: base units, `_total` counters, bounded labels: destination ids and
// outcomes, never a user id). The names are listed in the README.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryOutcome, SinkSensors } from '../sinks/sensors';

export class SinkMetrics implements SinkSensors {
  readonly registry: Registry;
  readonly deliveries: Counter<'destination' | 'outcome'>;
  readonly duration: Histogram<'destination'>;
  readonly retries: Counter<'destination'>;
  readonly dlqRecords: Counter<'destination'>;
  readonly inFlight: Gauge<'destination'>;

  /** `defaultMetrics`: also the Node process metrics (`journeys_sink_process_*`); off for in-process tests. */
  constructor(options: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.deliveries = new Counter({
      name: 'journeys_sink_deliveries_total',
      help: 'Messages whose delivery ended, by destination and outcome (delivered, refused, exhausted)',
      labelNames: ['destination', 'outcome'], registers,
    });
    this.duration = new Histogram({
      name: 'journeys_sink_delivery_duration_seconds',
      help: 'From a message being handed to the destination to its acknowledgement or final failure (batching, limits and retries included)',
      labelNames: ['destination'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers,
    });
    this.retries = new Counter({ name: 'journeys_sink_retries_total', help: 'Delivery attempts that failed and were tried again', labelNames: ['destination'], registers });
    this.dlqRecords = new Counter({ name: 'journeys_sink_dlq_records_total', help: 'Records written to the destination dead-letter topic', labelNames: ['destination'], registers });
    this.inFlight = new Gauge({ name: 'journeys_sink_in_flight', help: 'Messages handed to the destination and not yet settled', labelNames: ['destination'], registers });
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'journeys_sink_process_' });
  }

  /** Makes every destination's series exist (at 0) from the start. */
  init(destinations: Iterable<string>): void {
    for (const destination of destinations) {
      for (const outcome of ['delivered', 'refused', 'exhausted'] as const) this.deliveries.labels(destination, outcome).inc(0);
      this.retries.labels(destination).inc(0);
      this.dlqRecords.labels(destination).inc(0);
      this.inFlight.labels(destination).set(0);
    }
  }

  deliveryStarted(destination: string): void {
    this.inFlight.labels(destination).inc();
  }

  deliveryEnded(destination: string, outcome: DeliveryOutcome, seconds: number): void {
    this.inFlight.labels(destination).dec();
    this.deliveries.labels(destination, outcome).inc();
    this.duration.labels(destination).observe(seconds);
  }

  retried(destination: string): void {
    this.retries.labels(destination).inc();
  }

  deadLettered(destination: string, records: number): void {
    this.dlqRecords.labels(destination).inc(records);
  }
}
