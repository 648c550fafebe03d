// `npm run dev` (journeys dev): from topics to webhook deliveries on the example journeys, then a clean stop.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infra, uniqueName } from '../helpers/kafka';
import { freePort } from '../helpers/free-port';
import { ROOT } from '../helpers/processor';

test('journeys dev runs the processor, the sinks, the receiver and the demo producer, shows deliveries, and stops cleanly', async () => {
  const [receiverPort, processorPort, sinkPort] = [await freePort(), await freePort(), await freePort()];
  const topologies = mkdtempSync(join(tmpdir(), 'jp-dev-topo-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'jp-dev-'));
  cpSync(join(ROOT, 'topologies'), topologies, { recursive: true });
  const destinations = join(topologies, 'destinations.yaml');
  writeFileSync(destinations, readFileSync(destinations, 'utf8').replaceAll('127.0.0.1:8099', `127.0.0.1:${receiverPort}`));
  const g = uniqueName('dev');
  const args = [join(ROOT, 'bin', 'journeys.js'), 'dev', '--duration', '30', '--topologies', topologies, '--group', g,
    '--events-topic', `${g}.events`, '--traits-topic', `${g}.traits`, '--transitions-topic', `${g}.transitions`, '--dlq-topic', `${g}.dlq`,
    '--dlq-topic-prefix', `${g}.dlq.`,
    '--state-dir', stateDir, '--receiver-port', String(receiverPort),
    '--processor-metrics-port', String(processorPort), '--sink-metrics-port', String(sinkPort),
    '--bootstrap', infra().bootstrap, '--registry', infra().registryUrl];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JOURNEYS_LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  const sinkLog = readFileSync(join(stateDir, 'sink.log'), 'utf8');
  const processorLog = readFileSync(join(stateDir, 'processor.log'), 'utf8');
  for (const d of [topologies, stateDir]) rmSync(d, { recursive: true, force: true });
  // The sinks dead-letter to the topics dev made (the prefix passed on), not the default ones.
  expect(sinkLog).toContain(`"dlqTopicPrefix":"${g}.dlq."`);
  // Each log line names its component once (pino writes a key bound twice twice).
  const twice = [...sinkLog.split('\n'), ...processorLog.split('\n')].filter((l) => l.split('"component":').length > 2);
  expect(twice).toEqual([]);
  expect(code).toBe(0);
  expect(out).toMatch(/\[webhook \/(email|sms|ads|support|inapp|crm)\] (track|identify) /);
  expect(out).toMatch(/deliveries [a-z]+ [1-9]/);
  expect(out).toContain('processor exited with 0');
  expect(out).toContain('sink exited with 0');
});
