// Messages in, Segment payloads out: `journeys process` and `journeys sink` against the real broker and a local
// webhook receiver. The receiver must get exactly the messages the spec's formats give for the transitions of
// `journeys simulate` on the same input: one per destination of every send, plus the "user left" messages,
// duplicates only as redeliveries of the same message id.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDefinitions } from '../../src/definitions';
import type { JsonObject } from '../../src/definitions/model';
import { generateWorkload } from '../../src/demo/workload';
import { buildSendIndex, route } from '../../src/sinks/router';
import { infra } from '../helpers/kafka';
import { ROOT, produceClockTicks, produceMessages, processorEnv, simulate, startProcessor, waitCaughtUp } from '../helpers/processor';


test('the receiver gets exactly the expected Segment payloads, once per message id', async () => {
  const received = new Map<string, Map<string, JsonObject>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonObject & { batch?: JsonObject[] };
      const dest = (req.url ?? '/').slice(1);
      const byId = received.get(dest) ?? new Map<string, JsonObject>();
      for (const m of body.batch ?? [body]) byId.set(typeof m.messageId === 'string' ? m.messageId : '', m);
      received.set(dest, byId);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;

  const topologies = mkdtempSync(join(tmpdir(), 'jp-e2e-'));
  cpSync(join(ROOT, 'topologies'), topologies, { recursive: true });
  const destFile = join(topologies, 'destinations.yaml');
  writeFileSync(destFile, readFileSync(destFile, 'utf8').replaceAll('127.0.0.1:8099', `127.0.0.1:${port}`));
  const defs = loadDefinitions(topologies);

  const env = await processorEnv(2, defs);
  const workload = generateWorkload(defs, { users: 80, messages: 1500, start: '2026-05-01T00:00:00.000Z', stepMs: 60_000, seed: 5 });
  const end = new Date(Date.parse(workload.end) + 1000).toISOString();
  await produceMessages(env, workload.messages);
  await produceClockTicks(env, end);

  // Expected: every webhook destination's messages, by message id.
  const index = buildSendIndex(defs);
  const expected = new Map<string, Map<string, JsonObject>>();
  for (const t of simulate(defs, workload.messages, end)) {
    for (const d of defs.destinations.values()) {
      if (d.type !== 'webhook') continue;
      for (const m of route(t, d, index).messages) {
        const byId = expected.get(d.id) ?? new Map<string, JsonObject>();
        byId.set(m.id, m.body);
        expected.set(d.id, byId);
      }
    }
  }
  const expectedCount = [...expected.values()].reduce((n, m) => n + m.size, 0);
  expect(expectedCount).toBeGreaterThan(100);

  const processor = startProcessor(env, topologies, join(env.stateRoot, 'p'));
  const secrets: Record<string, string> = {};
  for (const d of defs.destinations.values()) if (d.type === 'webhook' && d.secretEnv !== null) secrets[d.secretEnv] = 'e2e-secret';
  const sink = spawn(process.execPath, [join(ROOT, 'bin', 'journeys.js'), 'sink', '--topologies', topologies, '--bootstrap', infra().bootstrap, '--registry', infra().registryUrl,
    '--group', env.group, '--transitions-topic', env.topics.transitions, '--dlq-topic-prefix', `${env.group}.dlq.`],
  { cwd: ROOT, env: { ...process.env, ...secrets, JOURNEYS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let sinkErr = '';
  sink.stderr.on('data', (d: Buffer) => (sinkErr += d.toString()));
  const sinkExited = new Promise<number | null>((r) => sink.on('exit', r));
  try {
    await waitCaughtUp(env);
    const total = () => [...received.values()].reduce((n, m) => n + m.size, 0);
    while (total() < expectedCount) await sleep(200);
  } finally {
    processor.child.kill('SIGTERM');
    sink.kill('SIGTERM');
  }
  expect(await processor.exited).toBe(0);
  expect({ code: await sinkExited, err: sinkErr.slice(-500) }).toMatchObject({ code: 0 });
  await new Promise<void>((r) => server.close(() => r()));
  await env.close();
  rmSync(topologies, { recursive: true, force: true });

  expect(new Set(received.keys())).toEqual(new Set(expected.keys()));
  for (const [dest, byId] of expected) {
    const got = received.get(dest) ?? new Map<string, JsonObject>();
    expect([...got.keys()].sort()).toEqual([...byId.keys()].sort());
    for (const [id, body] of byId) expect(got.get(id)).toEqual(body);
  }
});
