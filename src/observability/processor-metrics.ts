// Processor metrics: base units, `_total` counters, bounded labels (topic, partition, reason, journey id;
// never a user id). Names are listed in the README.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ProcessorMetrics {
  readonly registry = new Registry();
  readonly consumed = new Counter({ name: 'journeys_records_consumed_total', help: 'Input records processed and committed', labelNames: ['topic'], registers: [this.registry] });
  readonly dropped = new Counter({ name: 'journeys_records_dropped_total', help: 'Input records not processed, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly transitions = new Counter({ name: 'journeys_transitions_total', help: 'Transition records committed, by journey', labelNames: ['journey'], registers: [this.registry] });
  readonly refusedEntries = new Counter({ name: 'journeys_entries_refused_total', help: 'Entries refused over the per-user instance limit', registers: [this.registry] });
  readonly contextDrops = new Counter({ name: 'journeys_context_snapshots_dropped_total', help: 'Context snapshots dropped to keep a context within 64 KiB', registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'journeys_processing_latency_seconds', help: 'From a record reaching the processor to its batch being committed',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  readonly batchDuration = new Histogram({
    name: 'journeys_batch_duration_seconds', help: 'Time to process and commit one batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  readonly batches = new Counter({ name: 'journeys_batches_committed_total', help: 'Transactions committed', registers: [this.registry] });
  readonly timersPending = new Gauge({ name: 'journeys_timers_pending', help: 'Users with a pending timer, per partition', labelNames: ['partition'], registers: [this.registry] });
  readonly timersFired = new Counter({ name: 'journeys_timers_fired_total', help: 'Users whose due timers fired', registers: [this.registry] });
  readonly timerLateness = new Histogram({
    name: 'journeys_timer_lateness_seconds', help: 'How long after its due time a timer fired (wall clock)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 60], registers: [this.registry],
  });
  readonly restoreRemaining = new Gauge({ name: 'journeys_restore_remaining_records', help: 'Changelog records left to restore, per partition', labelNames: ['partition'], registers: [this.registry] });
  readonly restored = new Counter({ name: 'journeys_restore_records_total', help: 'Changelog records restored', registers: [this.registry] });
  readonly lag = new Gauge({ name: 'journeys_consumer_lag_records', help: 'Records between the processed position and the high watermark', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly partitions = new Gauge({ name: 'journeys_partitions_assigned', help: 'Partitions this processor owns', registers: [this.registry] });

  constructor() {
    // Node's own metrics (prom-client names them process_* and nodejs_*): journeys_process_*, journeys_nodejs_*.
    collectDefaultMetrics({ register: this.registry, prefix: 'journeys_' });
  }
}
