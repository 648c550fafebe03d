// The kafka destination type: `topic` (checked by the definitions loader); at connect the topic must exist.
import type { ConnectorSpec } from '../types';
import { KafkaConnector } from './connector';

export const kafkaSpec: ConnectorSpec<'kafka'> = {
  type: 'kafka',
  summary: 'produce to a Kafka topic of the same cluster, keyed by userId, the message id in the `journeys-transition-id` header (idempotent producer, acks=all)',
  config: [
    { key: 'topic', type: 'topic name', required: true, default: null, doc: 'the topic (must exist; not the transitions topic)' },
    { key: 'format', type: 'segment-track | segment-identify | transition', required: true, default: null, doc: 'the record value, as JSON (spec §6)' },
  ],
  check: () => [],
  create: (destination, deps) => new KafkaConnector(destination, deps),
};
