// The send steps of every journey version an `$exit` record may name. Spec §6: on an `$exit`, every destination
// that a step in `sent` sent to is told the user left. A draining instance (spec §4.6) exits on the version it
// entered, whose send steps the loaded file may have removed or sent elsewhere: those come from the versions
// topic, to which the processor group writes every version it keeps (`<journey>/<version>` → the definition).
import type { Admin, Kafka } from 'kafkajs';
import type { Definitions } from '../definitions/model';
import { readPartition } from '../kafka/partition-reader';
import type { Logger } from '../observability/logger';
import { parseVersionRecord } from '../state/journey-versions';
import { sendSteps, type SendIndex, type SendSteps } from './router';

const RETRY_MS = 30_000;

export class KeptVersionIndex implements SendIndex {
  private readonly loaded: Map<string, { version: number; steps: SendSteps }>;
  /** `<journey>/<version>` → send steps, from the versions topic. */
  private readonly kept = new Map<string, SendSteps>();
  /** The versions topic is read up to here. */
  private next = 0n;
  private reading: Promise<void> | null = null;
  /** When a version was last looked for in vain. */
  private readonly missedAt = new Map<string, number>();

  constructor(
    defs: Pick<Definitions, 'journeys'>,
    private readonly source: { kafka: Kafka; admin: Admin; topic: string; groupPrefix: string } | null,
    private readonly logger: Logger,
  ) {
    this.loaded = new Map(defs.journeys.map((j) => [j.id, { version: j.version, steps: sendSteps(j) }]));
  }

  stepsOf(journey: string, version: number): SendSteps | undefined {
    return this.kept.get(`${journey}/${version}`) ?? this.loaded.get(journey)?.steps;
  }

  /** Whether the steps of this version are known (else the loaded version's stand in for them). */
  knows(journey: string, version: number): boolean {
    return this.kept.has(`${journey}/${version}`) || this.loaded.get(journey)?.version === version;
  }

  /**
   * Makes the steps of this version known if the versions topic has them by now. A version still missing after a
   * read (kept by a processor from before the topic existed: published at its next start) is looked for again at
   * most every RETRY_MS, not at every record.
   */
  async learn(journey: string, version: number, now = Date.now()): Promise<void> {
    const key = `${journey}/${version}`;
    if (this.knows(journey, version) || now - (this.missedAt.get(key) ?? Number.NEGATIVE_INFINITY) < RETRY_MS) return;
    await this.refresh();
    if (this.knows(journey, version)) return;
    this.missedAt.set(key, now);
    this.logger.warn({ journey, version }, 'journey version not in the versions topic: the loaded definition tells which destinations its sends went to');
  }

  /** Reads what the versions topic gained since the last read (one read at a time; callers share it). */
  refresh(): Promise<void> {
    this.reading ??= this.readNew().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readNew(): Promise<void> {
    if (this.source === null) return;
    const { kafka, admin, topic, groupPrefix } = this.source;
    if (!(await admin.listTopics()).includes(topic)) {
      this.logger.warn({ topic }, 'no versions topic (no processor of this group has run since it exists): the loaded definitions stand in for earlier versions');
      return;
    }
    const end = BigInt((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? '0');
    if (end <= this.next) return;
    await readPartition(kafka, admin, {
      topic, partition: 0, from: this.next.toString(), end: end.toString(), groupPrefix,
      onBatch: (messages) => {
        for (const m of messages) {
          const key = m.key?.toString('utf8');
          const journey = m.value === null ? null : parseVersionRecord(m.value.toString('utf8'));
          if (key !== undefined && journey !== null) this.kept.set(key, sendSteps(journey));
        }
        return Promise.resolve();
      },
    });
    this.next = end;
  }
}
