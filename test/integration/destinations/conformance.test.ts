// Runs the destination conformance suite for every connector: webhook against a local HTTP server, kafka
// against the real broker.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { KafkaConnector, TRANSITION_ID_HEADER } from '../../../src/destinations/kafka/connector';
import type { ConnectorDeps, OutMessage } from '../../../src/destinations/types';
import { WebhookConnector } from '../../../src/destinations/webhook/connector';
import { silentLogger } from '../../../src/observability/logger';
import { brokerList } from '../../../src/kafka/infra-state';
import { connectedAdmin, connectedProducer, consumeUntil, createTopics, infra, kafkaClient, uniqueName } from '../../helpers/kafka';
import { runConformance, type Landed, type Target, type TargetOptions } from './conformance';
import { NEVER, OK, Receiver, type Reply } from './receiver';

const deps = (): ConnectorDeps => ({
  logger: silentLogger(), env: {}, retry: { initialMs: 20, maxMs: 200 }, brokers: brokerList(infra()),
  kafka: { clientRetries: 1, maxAttempts: 5, timeoutMs: 5000 },
});

// ---- webhook: a local HTTP server ----

interface WebhookTarget extends Target {
  receiver: Receiver;
  path: string;
  mode: { fail: Reply | null; hang: number; gate: Promise<void> | null };
}

async function webhookTarget(o: TargetOptions, onRetry: (destination: string) => void): Promise<WebhookTarget> {
  const receiver = await Receiver.start();
  const path = '/hook';
  const mode: WebhookTarget['mode'] = { fail: null, hang: 0, gate: null };
  receiver.on(path, async () => {
    if (mode.hang > 0) {
      mode.hang--;
      return NEVER;
    }
    if (mode.gate !== null) await mode.gate;
    return mode.fail ?? OK;
  });
  const connector = new WebhookConnector(
    {
      id: 'hook', type: 'webhook', format: 'segment-track', url: receiver.url(path), secretEnv: null, batchSize: 1, lingerMs: 0,
      timeoutMs: o.timeoutMs ?? 5000, maxAttempts: o.maxAttempts ?? 5, concurrency: o.concurrency ?? 4, ratePerSecond: o.ratePerSecond ?? null, headers: {},
    },
    { ...deps(), onRetry },
  );
  const target: WebhookTarget = {
    receiver, path, mode, connector,
    async accepted(n) {
      await receiver.until(() => receiver.accepted(path).length >= n);
      return receiver.accepted(path).map((a): Landed => ({ id: a.key, message: a.message }));
    },
    failTransiently: () => {
      mode.fail = { status: 503, body: 'unavailable' };
      return Promise.resolve();
    },
    failPermanently: () => {
      mode.fail = { status: 400, body: '{"error":"bad request"}' };
      return Promise.resolve();
    },
    heal: () => {
      mode.fail = null;
      return Promise.resolve();
    },
    close: async () => {
      await connector.close();
      await receiver.close();
    },
  };
  return target;
}

runConformance({
  name: 'webhook',
  setup: webhookTarget,
  hangNext: (t) => {
    (t as WebhookTarget).mode.hang++;
  },
  limits: {
    gate: (t) => {
      const w = t as WebhookTarget;
      let open = () => undefined as void;
      w.mode.gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => {
        w.mode.gate = null;
        open();
      };
    },
    untilInFlight: (t, n) => {
      const w = t as WebhookTarget;
      return w.receiver.until(() => w.receiver.inFlight(w.path) >= n);
    },
    maxInFlightSeen: (t) => (t as WebhookTarget).receiver.maxInFlight((t as WebhookTarget).path),
    arrivals: (t) => (t as WebhookTarget).receiver.requestsTo((t as WebhookTarget).path).map((r) => r.at),
  },
});

/** A webhook connector posting to `/<id>` of the receiver (lingerMs 0, 3 attempts). */
function webhookTo(receiver: Receiver, id: string, o: { batchSize: number; concurrency: number }): WebhookConnector {
  return new WebhookConnector(
    {
      id, type: 'webhook', format: 'segment-track', url: receiver.url(`/${id}`), secretEnv: null, batchSize: o.batchSize, lingerMs: 0,
      timeoutMs: 5000, maxAttempts: 3, concurrency: o.concurrency, ratePerSecond: null, headers: {},
    },
    deps(),
  );
}

describe('webhook connector, request size', () => {
  test('a batch answered 413 is sent again in halves: only a message too large by itself is refused', async () => {
    const receiver = await Receiver.start();
    // An endpoint that takes bodies of up to 4,000 bytes: one or two of the 1.5 KB messages below, not eleven.
    receiver.on('/small', (req) => (Buffer.byteLength(req.body) > 4000 ? { status: 413, body: 'payload too large' } : OK));
    const connector = webhookTo(receiver, 'small', { batchSize: 11, concurrency: 2 });
    await connector.connect();
    try {
      const message = (i: number, bytes: number): OutMessage => ({ id: `m${i}`, userId: `u${i % 3}`, body: { messageId: `m${i}`, pad: 'x'.repeat(bytes) } });
      // Delivered together: one batch of eleven.
      const results = await Promise.all([...Array.from({ length: 10 }, (_, i) => message(i, 1500)), message(10, 5000)].map((m) => connector.deliver(m)));
      expect(results.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => ({ ok: true, attempts: 1 })));
      expect(results[10]).toMatchObject({ ok: false, code: 'JRN_ERR_DELIVERY_REFUSED', reason: expect.stringContaining('HTTP 413') as unknown });
      expect(receiver.accepted('/small').map((a) => a.message.messageId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
      // Every request kept the batch shape, also the single-message ones.
      expect(receiver.requestsTo('/small').every((r) => Array.isArray((JSON.parse(r.body) as { batch?: unknown }).batch))).toBe(true);
    } finally {
      await connector.close();
      await receiver.close();
    }
  });
});

describe("webhook connector, one user's messages", () => {
  test('handed over together they share a batch, in order; a later one waits while that request is out', async () => {
    const receiver = await Receiver.start();
    const gate: { open: () => void; held: Promise<void> } = { open: () => undefined, held: Promise.resolve() };
    gate.held = new Promise<void>((resolve) => {
      gate.open = resolve;
    });
    receiver.on('/batched', async () => {
      await gate.held;
      return OK;
    });
    const connector = webhookTo(receiver, 'batched', { batchSize: 3, concurrency: 4 });
    await connector.connect();
    try {
      const message = (id: string, userId: string): OutMessage => ({ id, userId, body: { messageId: id, userId } });
      // a1-a3 fill a batch, which goes out at once; a4 is held while it is out; b1 goes out beside it.
      const ms = [message('a1', 'a'), message('a2', 'a'), message('a3', 'a'), message('a4', 'a'), message('b1', 'b')];
      const results = Promise.all(ms.map((m) => connector.deliver(m)));
      await receiver.until(() => receiver.inFlight('/batched') >= 2);
      const ids = () => receiver.requestsTo('/batched').map((r) => (JSON.parse(r.body) as { batch: { messageId: string }[] }).batch.map((m) => m.messageId));
      expect(ids()).toEqual([['a1', 'a2', 'a3'], ['b1']]);
      gate.open();
      expect(await results).toEqual(ms.map(() => ({ ok: true, attempts: 1 })));
      expect(ids()).toEqual([['a1', 'a2', 'a3'], ['b1'], ['a4']]);
    } finally {
      await connector.close();
      await receiver.close();
    }
  });
});

// ---- kafka: the real broker; faults through topic configs ----

let kafka: Kafka | null = null;
let admin: Admin | null = null;
let probe: Producer | null = null;

async function shared(): Promise<{ kafka: Kafka; admin: Admin; probe: Producer }> {
  kafka ??= kafkaClient();
  admin ??= await connectedAdmin(kafka);
  // Not idempotent: a probe must fail at once with the broker's error, not be retried.
  probe ??= await connectedProducer(kafka, { retry: { retries: 0 }, idempotent: false });
  return { kafka, admin, probe };
}

async function setTopicConfig(a: Admin, topic: string, name: string, value: string): Promise<void> {
  await a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name, value }] }] });
}

/** Produces probes (no transition-id header) until one fails with `type` / succeeds: the config is in effect. */
async function untilProbe(p: Producer, topic: string, failing: string | null): Promise<void> {
  for (;;) {
    try {
      await p.send({ topic, acks: -1, messages: [{ value: 'probe-'.padEnd(200, 'x') }] });
      if (failing === null) return;
    } catch (err) {
      const type = (err as { type?: string }).type ?? (err as { cause?: { type?: string } }).cause?.type;
      if (failing !== null && type === failing) return;
    }
    await sleep(50);
  }
}

runConformance({
  name: 'kafka',
  async setup(o, onRetry) {
    const { kafka: k, admin: a, probe: p } = await shared();
    const topic = uniqueName('kafka-destination');
    await createTopics(a, [{ topic }]);
    const connector = new KafkaConnector({ id: 'topic', type: 'kafka', format: 'transition', topic }, { ...deps(), onRetry, kafka: { clientRetries: 1, timeoutMs: 5000, maxAttempts: o.maxAttempts ?? 5 } });
    return {
      connector,
      async accepted(n) {
        const records = await consumeUntil(k, topic, (rs) => rs.filter((r) => r.message.headers?.[TRANSITION_ID_HEADER] !== undefined).length >= n);
        return records
          .filter((r) => r.message.headers?.[TRANSITION_ID_HEADER] !== undefined)
          .map((r) => ({ id: String(r.message.headers?.[TRANSITION_ID_HEADER]), message: JSON.parse(r.message.value!.toString()) as Record<string, unknown> }));
      },
      // The topic goes away: UNKNOWN_TOPIC_OR_PARTITION, retriable (the broker's "503"). (min.insync.replicas
      // above the replication factor does not fail acks=all produces on Kafka 4.1.)
      async failTransiently() {
        await a.deleteTopics({ topics: [topic] });
        await untilProbe(p, topic, 'UNKNOWN_TOPIC_OR_PARTITION');
      },
      // A record batch over max.message.bytes: MESSAGE_TOO_LARGE, not retriable.
      async failPermanently() {
        await setTopicConfig(a, topic, 'max.message.bytes', '64');
        await untilProbe(p, topic, 'MESSAGE_TOO_LARGE');
      },
      async heal() {
        // Recreate the topic if it was deleted (creation is refused while the deletion completes).
        for (;;) {
          if (!(await a.listTopics()).includes(topic)) {
            try {
              await createTopics(a, [{ topic }]);
            } catch {
              await sleep(100);
              continue;
            }
          }
          break;
        }
        await setTopicConfig(a, topic, 'max.message.bytes', '1048588');
      },
      close: () => connector.close(),
    };
  },
  hangNext: null,
  limits: null,
  async afterAll() {
    await probe?.disconnect();
    await admin?.disconnect();
  },
});

describe('kafka connector, request size', () => {
  test("a request over the topic's max.message.bytes is sent again in halves: only a message too large by itself is refused", async () => {
    const k = kafkaClient();
    const a = await connectedAdmin(k);
    const topic = uniqueName('kafka-destination-small');
    await createTopics(a, [{ topic }]);
    // Room for one or two of the 1.5 KB messages below per record batch, not for ten.
    await setTopicConfig(a, topic, 'max.message.bytes', '4000');
    const connector = new KafkaConnector({ id: 'small', type: 'kafka', format: 'transition', topic }, deps());
    await connector.connect();
    try {
      const message = (i: number, bytes: number): OutMessage => ({ id: `m${i}`, userId: `u${i % 3}`, body: { i, pad: 'x'.repeat(bytes) } });
      // Delivered together: the connector takes them into one request.
      const results = await Promise.all([...Array.from({ length: 10 }, (_, i) => message(i, 1500)), message(10, 5000)].map((m) => connector.deliver(m)));
      expect(results.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => ({ ok: true, attempts: 1 })));
      expect(results[10]).toMatchObject({ ok: false, code: 'JRN_ERR_DELIVERY_REFUSED', reason: expect.stringContaining('MESSAGE_TOO_LARGE') as unknown });
      const landed = await consumeUntil(k, topic, (rs) => rs.length >= 10);
      // Once each, in order per user (the key).
      const ids = landed.map((r) => String(r.message.headers?.[TRANSITION_ID_HEADER]));
      expect([...ids].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
      for (const user of ['u0', 'u1', 'u2']) {
        const mine = landed.filter((r) => r.message.key?.toString() === user).map((r) => Number(String(r.message.headers?.[TRANSITION_ID_HEADER]).slice(1)));
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    } finally {
      await connector.close();
      await a.disconnect();
    }
  });
});
