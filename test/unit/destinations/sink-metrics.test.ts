// Sink metrics: the names of the README, base units, bounded labels, and what the registry renders.
import { DURATION_BUCKETS, SinkMetrics } from '../../../src/observability/sink-metrics';

describe('SinkMetrics', () => {
  test('every series exists from init, at 0', async () => {
    const m = new SinkMetrics();
    m.init(['crm']);
    const text = await m.registry.metrics();
    for (const line of [
      'journeys_sink_deliveries_total{destination="crm",outcome="delivered"} 0',
      'journeys_sink_deliveries_total{destination="crm",outcome="refused"} 0',
      'journeys_sink_deliveries_total{destination="crm",outcome="exhausted"} 0',
      'journeys_sink_retries_total{destination="crm"} 0',
      'journeys_sink_dlq_records_total{destination="crm"} 0',
      'journeys_sink_in_flight{destination="crm"} 0',
      'journeys_sink_delivery_duration_seconds_count{destination="crm"} 0',
    ]) expect(text).toContain(line);
    expect(text).toContain('# TYPE journeys_sink_delivery_duration_seconds histogram');
    expect(text).toContain('# TYPE journeys_sink_in_flight gauge');
  });

  test('deliveries, durations, retries, dead letters and in-flight as counted; counters never go back between scrapes', async () => {
    const m = new SinkMetrics();
    for (let i = 0; i < 3; i++) m.deliveryStarted('crm');
    m.deliveryEnded('crm', 'delivered', 0.003);
    m.deliveryEnded('crm', 'refused', 0.2);
    m.retried('crm');
    m.retried('crm');
    m.deadLettered('crm', 1);
    const first = await m.registry.metrics();
    expect(first).toContain('journeys_sink_deliveries_total{destination="crm",outcome="delivered"} 1');
    expect(first).toContain('journeys_sink_deliveries_total{destination="crm",outcome="refused"} 1');
    expect(first).toContain('journeys_sink_in_flight{destination="crm"} 1');
    expect(first).toContain('journeys_sink_retries_total{destination="crm"} 2');
    expect(first).toContain('journeys_sink_dlq_records_total{destination="crm"} 1');
    expect(first).toContain('journeys_sink_delivery_duration_seconds_bucket{destination="crm",le="0.001"} 0');
    expect(first).toContain('journeys_sink_delivery_duration_seconds_bucket{destination="crm",le="0.005"} 1');
    expect(first).toContain('journeys_sink_delivery_duration_seconds_bucket{destination="crm",le="0.25"} 2');
    expect(first).toContain('journeys_sink_delivery_duration_seconds_bucket{destination="crm",le="+Inf"} 2');
    expect(first).toContain('journeys_sink_delivery_duration_seconds_sum{destination="crm"} 0.203');
    expect(first).toContain('journeys_sink_delivery_duration_seconds_count{destination="crm"} 2');

    m.deliveryEnded('crm', 'delivered', 100);
    const second = await m.registry.metrics();
    expect(second).toContain('journeys_sink_deliveries_total{destination="crm",outcome="delivered"} 2');
    expect(second).toContain('journeys_sink_retries_total{destination="crm"} 2');
    expect(second).toContain('journeys_sink_delivery_duration_seconds_bucket{destination="crm",le="60"} 2');
    expect(second).toContain('journeys_sink_delivery_duration_seconds_bucket{destination="crm",le="+Inf"} 3');
    expect(DURATION_BUCKETS[DURATION_BUCKETS.length - 1]).toBe(60);
  });

  test('labels are destination ids and outcomes only', async () => {
    const m = new SinkMetrics();
    m.deliveryStarted('a');
    m.deliveryEnded('a', 'exhausted', 1);
    const labels = new Set<string>();
    for (const metric of await m.registry.getMetricsAsJSON()) for (const v of metric.values) for (const k of Object.keys(v.labels)) labels.add(k);
    expect([...labels].sort()).toEqual(['destination', 'le', 'outcome']);
  });
});

describe("Node's own metrics", () => {
  test('the sink names them journeys_sink_process_* and journeys_sink_nodejs_*, the prefix written once', async () => {
    const text = await new SinkMetrics({ defaultMetrics: true }).registry.metrics();
    expect(text).toContain('# TYPE journeys_sink_process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE journeys_sink_nodejs_heap_size_used_bytes gauge');
    expect(text).not.toMatch(/_process_process_|_process_nodejs_/);
  });
});
