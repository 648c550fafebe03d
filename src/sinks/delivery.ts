// One destination's delivery path: hand a message to the connector, and when the delivery is refused or
// exhausts its attempts, write it to the destination's dead-letter topic. A message counts as settled (its
// transition offset may be committed) only once it is acknowledged or dead-lettered.
import type { Connector, DeliveryResult, OutMessage } from '../destinations/types';
import { ErrorCodes } from '../errors';
import type { Logger } from '../observability/logger';
import { deadLetterOf, type DeadLetterWriter, type SourceRef } from './dead-letter';
import type { DeliveryOutcome, SinkSensors } from './sensors';

export class DestinationDelivery {
  readonly id: string;

  constructor(
    readonly connector: Connector,
    private readonly dlq: DeadLetterWriter,
    /** The destination's dead-letter topic. */
    readonly dlqTopic: string,
    private readonly sensors: SinkSensors,
    private readonly logger: Logger,
  ) {
    this.id = connector.destination.id;
  }

  /**
   * Delivers, and dead-letters on failure. Resolves with the connector's result once the message is settled;
   * rejects only when the dead-letter write fails.
   */
  deliver(message: OutMessage, source: SourceRef, replays = 0): Promise<DeliveryResult> {
    this.sensors.deliveryStarted(this.id);
    const started = performance.now();
    const ended = (outcome: DeliveryOutcome) => this.sensors.deliveryEnded(this.id, outcome, (performance.now() - started) / 1000);
    return this.connector.deliver(message).then(
      (result) => {
        if (result.ok) {
          ended('delivered');
          return result;
        }
        return this.deadLetter(message, source, replays, result).finally(() => ended(result.code === ErrorCodes.DELIVERY_REFUSED ? 'refused' : 'exhausted'));
      },
      (err: unknown) => {
        ended('exhausted');
        throw err;
      },
    );
  }

  private async deadLetter(message: OutMessage, source: SourceRef, replays: number, result: Extract<DeliveryResult, { ok: false }>): Promise<DeliveryResult> {
    this.logger.warn(
      { destination: this.id, messageId: message.id, code: result.code, reason: result.reason, attempts: result.attempts, source },
      'delivery failed, dead-lettered',
    );
    await this.dlq.write(
      deadLetterOf(this.dlqTopic, { destination: this.id, message, source, code: result.code, reason: result.reason, attempts: result.attempts, replays }, new Date()),
    );
    this.sensors.deadLettered(this.id, 1);
    return result;
  }
}
