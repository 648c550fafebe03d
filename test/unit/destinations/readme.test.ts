// The README's destination and sink-metrics tables stay in step with the code: every documented config key
// (with its default) of every connector, every sink metric, every dead-letter header.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectorSpecs } from '../../../src/destinations/registry';
import { SinkMetrics } from '../../../src/observability/sink-metrics';
import { DLQ_HEADERS } from '../../../src/sinks/dead-letter';

const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Sink and destinations'), readme.indexOf('## Layout'));

test.each(Object.values(connectorSpecs).flatMap((spec) => spec.config.map((key) => [spec.type, key.key, key.default] as const)))(
  '%s key `%s` is documented with its default',
  (type, key, dflt) => {
    const part = section.slice(section.indexOf(`**${type}**`));
    const row = part.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
    expect(row).toBeDefined();
    if (dflt !== null) expect(row).toContain(`| ${dflt} |`);
  },
);

test('every sink metric is in the README table', async () => {
  const names = (await new SinkMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
  expect(names).toHaveLength(5);
  for (const name of names) expect(section).toContain(`| \`${name}\` |`);
});

test('every dead-letter header is documented', () => {
  for (const h of Object.values(DLQ_HEADERS)) expect(section).toContain(h.replace(/^journeys-source-(partition|offset)$/, '-$1'));
});
