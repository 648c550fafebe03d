// Log lines are JSON a machine reads: each key once, kafkajs' own lines told apart by `source`.
import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { createLogger, kafkaLogCreator } from '../../../src/observability/logger';

function capture(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

test("kafkajs' lines keep the component of the client's owner, once, and say they come from kafkajs", () => {
  const out = capture();
  const logger = createLogger({ level: 'debug', bindings: { component: 'processor', group: 'g' }, destination: out.stream });
  const log = kafkaLogCreator(logger)(logLevel.WARN);
  log({ namespace: 'Connection', level: logLevel.WARN, label: 'WARN', log: { timestamp: 'now', message: 'broker gone', broker: 'b:1' } });
  log({ namespace: 'Consumer', level: logLevel.INFO, label: 'INFO', log: { timestamp: 'now', message: 'joined' } });
  const lines = out.lines();
  expect(lines).toHaveLength(2);
  for (const line of lines) expect(line.split('"component":')).toHaveLength(2);
  const [warn, info] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(warn).toMatchObject({ level: 40, component: 'processor', group: 'g', source: 'kafkajs', namespace: 'Connection', broker: 'b:1', msg: 'broker gone' });
  // kafkajs INFO (joins, rebalances) is noise at info: logged at debug.
  expect(info).toMatchObject({ level: 20, source: 'kafkajs', msg: 'joined' });
});

test("kafkajs' warning about an idempotent producer's limited retries is debug: a send out of retries fails its transaction or delivery, nothing is dropped", () => {
  const out = capture();
  const logger = createLogger({ level: 'debug', destination: out.stream });
  const log = kafkaLogCreator(logger)(logLevel.WARN);
  log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp: 'now', message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' } });
  log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp: 'now', message: 'something else' } });
  expect(out.lines().map((l) => (JSON.parse(l) as { level: number }).level)).toEqual([20, 40]);
});
