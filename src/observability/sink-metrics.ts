// Sink metrics (Prometheus naming: base units, `_total` counters, bounded labels: destination ids and
// outcomes, never a user id). The names are listed in the README.
//
// The sink reports every delivery (tens of thousands a second): it counts in plain numbers per destination,
// and prom-client reads them when scraped (`collect`), so the delivery path never hashes label sets.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryOutcome, SinkSensors } from '../sinks/sensors';

const OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'refused', 'exhausted'];
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Local {
  outcomes: Record<DeliveryOutcome, number>;
  retries: number;
  dlq: number;
  inFlight: number;
  /** Non-cumulative counts per bucket of DURATION_BUCKETS, plus one for +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

type HistogramData = Awaited<ReturnType<Histogram<'destination'>['get']>>;

/** An unregistered, never observed histogram: the shape of prom-client's histogram data. */
const TEMPLATE = new Histogram({ name: 'journeys_sink_template', help: 'template', registers: [] });

/** A histogram whose observations are kept in plain arrays per destination and rendered when scraped. */
class LocalHistogram extends Histogram<'destination'> {
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    config: { name: string; help: string; registers: Registry[] },
    private readonly locals: Map<string, Local>,
  ) {
    super({ ...config, labelNames: ['destination'], buckets: DURATION_BUCKETS });
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  private async snapshot(): Promise<HistogramData> {
    const values: HistogramData['values'] = [];
    for (const [destination, l] of this.locals) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += l.buckets[i] ?? 0;
        const labels: Record<string, string | number> = { destination, le };
        values.push({ metricName: `${this.metricName}_bucket`, labels, value: cumulative });
      });
      const inf: Record<string, string | number> = { destination, le: '+Inf' };
      values.push({ metricName: `${this.metricName}_bucket`, labels: inf, value: l.count });
      values.push({ metricName: `${this.metricName}_sum`, labels: { destination }, value: l.sum });
      values.push({ metricName: `${this.metricName}_count`, labels: { destination }, value: l.count });
    }
    // type and aggregator as prom-client sets them at run time (its typings describe `type` differently).
    const template = await TEMPLATE.get();
    return { ...template, name: this.metricName, help: this.metricHelp, values };
  }

  override get(): Promise<HistogramData> {
    return this.snapshot();
  }

  /** What the registry renders (prom-client calls this when present). */
  getForPromString(): Promise<HistogramData> {
    return this.snapshot();
  }
}

export class SinkMetrics implements SinkSensors {
  readonly registry: Registry;
  readonly deliveries: Counter<'destination' | 'outcome'>;
  readonly duration: Histogram<'destination'>;
  readonly retries: Counter<'destination'>;
  readonly dlqRecords: Counter<'destination'>;
  readonly inFlight: Gauge<'destination'>;
  private readonly locals = new Map<string, Local>();

  /** `defaultMetrics`: also the Node process metrics (`journeys_sink_process_*`, `journeys_sink_nodejs_*`); off for in-process tests. */
  constructor(options: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    const locals = this.locals;
    // Counters are pushed forward by what was counted since the last scrape.
    const pushed = new Map<string, number>();
    const advance = (counter: Counter<string>, key: string, labels: Record<string, string>, total: number): void => {
      const delta = total - (pushed.get(key) ?? 0);
      if (delta > 0 || !pushed.has(key)) counter.inc(labels, delta);
      pushed.set(key, total);
    };
    this.deliveries = new Counter({
      name: 'journeys_sink_deliveries_total',
      help: 'Messages whose delivery ended, by destination and outcome (delivered, refused, exhausted)',
      labelNames: ['destination', 'outcome'], registers,
      collect() {
        for (const [destination, l] of locals) for (const outcome of OUTCOMES) advance(this, `d:${destination}:${outcome}`, { destination, outcome }, l.outcomes[outcome]);
      },
    });
    this.duration = new LocalHistogram(
      {
        name: 'journeys_sink_delivery_duration_seconds',
        help: 'From a message being handed to the destination to its acknowledgement or final failure (batching, limits and retries included)',
        registers,
      },
      locals,
    );
    this.retries = new Counter({
      name: 'journeys_sink_retries_total', help: 'Delivery attempts that failed and were tried again', labelNames: ['destination'], registers,
      collect() {
        for (const [destination, l] of locals) advance(this, `r:${destination}`, { destination }, l.retries);
      },
    });
    this.dlqRecords = new Counter({
      name: 'journeys_sink_dlq_records_total', help: 'Records written to the destination dead-letter topic', labelNames: ['destination'], registers,
      collect() {
        for (const [destination, l] of locals) advance(this, `q:${destination}`, { destination }, l.dlq);
      },
    });
    this.inFlight = new Gauge({
      name: 'journeys_sink_in_flight', help: 'Messages handed to the destination and not yet settled', labelNames: ['destination'], registers,
      collect() {
        for (const [destination, l] of locals) this.set({ destination }, l.inFlight);
      },
    });
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'journeys_sink_' });
  }

  private local(destination: string): Local {
    let l = this.locals.get(destination);
    if (l === undefined) {
      l = { outcomes: { delivered: 0, refused: 0, exhausted: 0 }, retries: 0, dlq: 0, inFlight: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
      this.locals.set(destination, l);
    }
    return l;
  }

  /** Makes every destination's series exist (at 0) from the start. */
  init(destinations: Iterable<string>): void {
    for (const destination of destinations) this.local(destination);
  }

  deliveryStarted(destination: string): void {
    this.local(destination).inFlight++;
  }

  deliveryEnded(destination: string, outcome: DeliveryOutcome, seconds: number): void {
    const l = this.local(destination);
    l.inFlight--;
    l.outcomes[outcome]++;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] ?? Infinity)) i++;
    l.buckets[i] = (l.buckets[i] ?? 0) + 1;
    l.sum += seconds;
    l.count++;
  }

  retried(destination: string): void {
    this.local(destination).retries++;
  }

  deadLettered(destination: string, records: number): void {
    this.local(destination).dlq += records;
  }
}
