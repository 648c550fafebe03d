// The conformance suite every destination connector passes (aesthetics §9.12): against a real endpoint (a
// local HTTP server, the real broker), through the sink's delivery path (connector + dead-letter topic).
//
//   connect/close are idempotent · a success is acknowledged once · transient failures (5xx, not enough
//   replicas) are retried and then delivered · timeouts are retried · permanent failures (4xx, message too
//   large) are not retried and go to the dead-letter topic · exhausted retries go there too · every
//   delivery carries its idempotency id · the in-flight and rate limits hold.
//
// A connector's harness says how to make its endpoint fail; cases it cannot express (a Kafka broker does not
// hang on purpose) are declared, not skipped silently.
import type { Kafka } from 'kafkajs';
import type { Connector, DeliveryResult, OutMessage } from '../../../src/destinations/types';
import { ErrorCodes } from '../../../src/errors';
import { silentLogger } from '../../../src/observability/logger';
import { DeadLetterWriter, DLQ_HEADERS, readDeadLetter } from '../../../src/sinks/dead-letter';
import { DestinationDelivery } from '../../../src/sinks/delivery';
import type { SinkSensors } from '../../../src/sinks/sensors';
import { connectedAdmin, consumeUntil, createTopics, kafkaClient, uniqueName } from '../../helpers/kafka';

export interface TargetOptions {
  maxAttempts?: number;
  timeoutMs?: number;
  concurrency?: number;
  ratePerSecond?: number;
}

/** What the endpoint accepted: the idempotency id it was given, and the message. */
export interface Landed {
  id: string;
  message: Record<string, unknown>;
}

export interface Target {
  connector: Connector;
  /** Waits until the endpoint has accepted at least `n` messages; returns all accepted so far. */
  accepted(n: number): Promise<Landed[]>;
  /** From now on every delivery fails in a retriable way; resolves once that is in effect. */
  failTransiently(): Promise<void>;
  /** From now on every delivery is refused for good; resolves once that is in effect. */
  failPermanently(): Promise<void>;
  /** Deliveries succeed again. */
  heal(): Promise<void>;
  close(): Promise<void>;
}

export interface Harness {
  name: string;
  /** A fresh endpoint and a connector to it; the connector reports retries to `onRetry`. */
  setup(options: TargetOptions, onRetry: (destination: string) => void): Promise<Target>;
  /** The next attempt hangs past the connector's timeout (null: the endpoint cannot be made to hang). */
  hangNext: ((target: Target) => void) | null;
  /** How the endpoint shows the limits at work (null: a kafka topic has no such limits to observe). */
  limits: {
    /** Holds every request until the returned function is called. */
    gate(target: Target): () => void;
    /** Resolves once `n` requests are in flight at the endpoint. */
    untilInFlight(target: Target, n: number): Promise<void>;
    /** Requests in flight at once, at most, as the endpoint saw them. */
    maxInFlightSeen(target: Target): number;
    /** performance.now() of each request's arrival. */
    arrivals(target: Target): number[];
  } | null;
  afterAll?: () => Promise<void>;
}

class CountingSensors implements SinkSensors {
  retries = 0;
  deadLetters = 0;
  private waiters: (() => void)[] = [];
  deliveryStarted(): void {}
  deliveryEnded(): void {}
  retried(_destination: string): void {
    this.retries++;
    for (const w of this.waiters.splice(0)) w();
  }
  deadLettered(_d: string, n: number): void {
    this.deadLetters += n;
  }
  /** Resolves after the next retry is scheduled. */
  nextRetry(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

let counter = 0;
function message(userId = 'u1'): OutMessage {
  counter++;
  const id = `${'c'.repeat(60)}${String(counter).padStart(4, '0')}`;
  return { id, userId, body: { type: 'track', event: 'Conformance', userId, messageId: id, timestamp: '2026-01-01T00:00:00.000Z', properties: { n: counter } } };
}

export function runConformance(harness: Harness): void {
  describe(`destination conformance: ${harness.name}`, () => {
    let kafka: Kafka;
    let dlq: DeadLetterWriter;
    const targets: Target[] = [];

    beforeAll(async () => {
      kafka = kafkaClient();
      dlq = new DeadLetterWriter(kafka, silentLogger());
      await dlq.connect();
    });

    afterAll(async () => {
      for (const t of targets) await t.close();
      await dlq.close();
      await harness.afterAll?.();
    });

    async function fixture(options: TargetOptions = {}) {
      const sensors = new CountingSensors();
      const target = await harness.setup(options, (d) => sensors.retried(d));
      targets.push(target);
      await target.connector.connect();
      const dlqTopic = uniqueName(`dlq-${harness.name}`);
      const admin = await connectedAdmin(kafka);
      await createTopics(admin, [{ topic: dlqTopic }]);
      await admin.disconnect();
      const delivery = new DestinationDelivery(target.connector, dlq, dlqTopic, sensors, silentLogger());
      const source = { topic: 'journeys.transitions', partition: 0, offset: '42' };
      const deliver = (m: OutMessage): Promise<DeliveryResult> => delivery.deliver(m, source);
      return { target, dlqTopic, sensors, deliver, destination: target.connector.destination };
    }

    test('connect and close are idempotent; no delivery after close', async () => {
      const target = await harness.setup({}, () => undefined);
      await target.connector.connect();
      await target.connector.connect();
      const m = message();
      await expect(target.connector.deliver(m)).resolves.toEqual({ ok: true, attempts: 1 });
      await target.connector.close();
      await target.connector.close();
      await expect(target.connector.deliver(message())).rejects.toThrow(/after close/);
      await target.close();
    });

    test('a success is acknowledged, once, with its idempotency id', async () => {
      const { target, deliver, sensors } = await fixture();
      const ms = [message('u1'), message('u2'), message('u3')];
      const results = await Promise.all(ms.map(deliver));
      expect(results).toEqual(ms.map(() => ({ ok: true, attempts: 1 })));
      const landed = await target.accepted(3);
      expect(landed.map((l) => l.id).sort()).toEqual(ms.map((m) => m.id).sort());
      for (const l of landed) expect(l.message).toEqual(ms.find((m) => m.id === l.id)?.body);
      expect([sensors.retries, sensors.deadLetters]).toEqual([0, 0]);
    });

    test('transient failures are retried, then delivered with the same idempotency id', async () => {
      const { target, deliver, sensors } = await fixture({ maxAttempts: 1000 });
      await target.failTransiently();
      const m = message();
      const result = deliver(m);
      await sensors.nextRetry();
      await sensors.nextRetry();
      await target.heal();
      const r = await result;
      expect(r.ok).toBe(true);
      expect(r.attempts).toBeGreaterThanOrEqual(3);
      expect((await target.accepted(1)).map((l) => l.id)).toContain(m.id);
      expect(sensors.deadLetters).toBe(0);
    });

    test('retries that run out go to the dead-letter topic (JRN_ERR_DELIVERY_EXHAUSTED)', async () => {
      const { target, deliver, dlqTopic, sensors } = await fixture({ maxAttempts: 2 });
      await target.failTransiently();
      const m = message('u-exhausted');
      const r = await deliver(m);
      expect(r).toMatchObject({ ok: false, code: ErrorCodes.DELIVERY_EXHAUSTED, attempts: 2 });
      expect(sensors.retries).toBe(1);
      const [record] = await consumeUntil(kafka, dlqTopic, (rs) => rs.length >= 1);
      const read = readDeadLetter(record!.message.key, record!.message.value, record!.message.headers);
      expect(read).toMatchObject({ kind: 'delivery', message: m, code: ErrorCodes.DELIVERY_EXHAUSTED, attempts: 2, replays: 0, source: { topic: 'journeys.transitions', partition: 0, offset: '42' } });
      await target.heal();
    });

    test('permanent failures are not retried and go to the dead-letter topic (JRN_ERR_DELIVERY_REFUSED)', async () => {
      const { target, deliver, dlqTopic, sensors, destination } = await fixture({ maxAttempts: 5 });
      await target.failPermanently();
      const m = message('u-refused');
      const r = await deliver(m);
      expect(r).toMatchObject({ ok: false, code: ErrorCodes.DELIVERY_REFUSED, attempts: 1 });
      expect(sensors.retries).toBe(0);
      expect(sensors.deadLetters).toBe(1);
      const [record] = await consumeUntil(kafka, dlqTopic, (rs) => rs.length >= 1);
      const headers = record!.message.headers ?? {};
      expect(String(headers[DLQ_HEADERS.destination])).toBe(destination.id);
      expect(String(headers[DLQ_HEADERS.messageId])).toBe(m.id);
      expect(String(headers[DLQ_HEADERS.errorCode])).toBe(ErrorCodes.DELIVERY_REFUSED);
      expect(String(headers[DLQ_HEADERS.reason]).length).toBeGreaterThan(0);
      expect(String(headers[DLQ_HEADERS.attempts])).toBe('1');
      expect(Number.isNaN(Date.parse(String(headers[DLQ_HEADERS.failedAt])))).toBe(false);
      expect(record!.message.key?.toString()).toBe('u-refused');
      expect(JSON.parse(record!.message.value!.toString())).toEqual(m.body);
      await target.heal();
    });

    test("a user's messages land in the order handed over, though the first is retried meanwhile", async () => {
      const { target, deliver, sensors } = await fixture({ maxAttempts: 1000, concurrency: 4 });
      await target.failTransiently();
      const first = message('u-order');
      const results = [deliver(first)];
      await sensors.nextRetry();
      // Handed over while the first waits for its retry, with requests free to run beside it.
      const later = [message('u-order'), message('u-order'), message('u-order-other')];
      results.push(...later.map(deliver));
      await target.heal();
      expect((await Promise.all(results)).every((r) => r.ok)).toBe(true);
      const landed = (await target.accepted(4)).map((l) => l.id);
      expect(landed.filter((id) => id !== later[2]!.id)).toEqual([first, later[0]!, later[1]!].map((m) => m.id));
    });

    const hang = harness.hangNext;
    (hang === null ? test.skip : test)('an attempt that hangs past the timeout is retried', async () => {
      const { target, deliver, sensors } = await fixture({ timeoutMs: 300, maxAttempts: 3 });
      hang?.(target);
      const m = message();
      const r = await deliver(m);
      expect(r).toEqual({ ok: true, attempts: 2 });
      expect(sensors.retries).toBe(1);
      expect((await target.accepted(1)).map((l) => l.id)).toEqual([m.id]);
    });

    const limits = harness.limits;
    (limits === null ? test.skip : test)('no more requests in flight than the concurrency limit, and that many', async () => {
      const { target, deliver } = await fixture({ concurrency: 2 });
      const open = limits!.gate(target);
      // Twelve users: one user's messages go one request after the other.
      const ms = Array.from({ length: 12 }, (_, i) => message(`u-limit-${i}`));
      const results = Promise.all(ms.map(deliver));
      await limits!.untilInFlight(target, 2);
      open();
      expect((await results).every((r) => r.ok)).toBe(true);
      expect(target.connector.maxInFlight).toBe(2);
      expect(limits!.maxInFlightSeen(target)).toBe(2);
    });

    (limits === null ? test.skip : test)('no more requests per second than the rate limit', async () => {
      const { target, deliver } = await fixture({ ratePerSecond: 20, concurrency: 8 });
      const ms = Array.from({ length: 9 }, (_, i) => message(`u-rate-${i}`));
      expect((await Promise.all(ms.map(deliver))).every((r) => r.ok)).toBe(true);
      const at = limits!.arrivals(target);
      expect(at).toHaveLength(9);
      // 9 starts at least 50 ms apart span at least 400 ms; allow the first arrival to lag its start by 50 ms.
      expect(Math.max(...at) - Math.min(...at)).toBeGreaterThanOrEqual(350);
    });
  });
}
