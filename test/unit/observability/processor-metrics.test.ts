// The processor's registry: Node's own metrics under the product's prefix, written once.
import { ProcessorMetrics } from '../../../src/observability/processor-metrics';

test('Node process metrics are journeys_process_* and journeys_nodejs_*', async () => {
  const text = await new ProcessorMetrics().registry.metrics();
  expect(text).toContain('# TYPE journeys_process_cpu_seconds_total counter');
  expect(text).toContain('# TYPE journeys_nodejs_heap_size_used_bytes gauge');
  expect(text).toContain('# TYPE journeys_records_consumed_total counter');
  expect(text).not.toMatch(/_process_process_|_process_nodejs_/);
});
