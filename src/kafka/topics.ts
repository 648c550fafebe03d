// Topic names (spec §6): every persisted name in one place. Each can be changed by a flag.

export interface TopicNames {
  events: string;
  traits: string;
  transitions: string;
  /** Bad input. */
  dlq: string;
  /** The processor group's state changelog (compacted, partitioned like the inputs). */
  changelog: string;
  /** Failed deliveries of one destination. */
  destinationDlq: (destination: string) => string;
}

export const DEFAULT_GROUP = 'journeys';

export interface TopicOverrides {
  group?: string | undefined;
  events?: string | undefined;
  traits?: string | undefined;
  transitions?: string | undefined;
  dlq?: string | undefined;
  changelog?: string | undefined;
  dlqPrefix?: string | undefined;
}

export function topicNames(o: TopicOverrides = {}): TopicNames {
  const group = o.group ?? DEFAULT_GROUP;
  const prefix = o.dlqPrefix ?? 'journeys.dlq.';
  return {
    events: o.events ?? 'journeys.events',
    traits: o.traits ?? 'journeys.traits',
    transitions: o.transitions ?? 'journeys.transitions',
    dlq: o.dlq ?? 'journeys.dlq',
    changelog: o.changelog ?? `${group}.state-changelog`,
    destinationDlq: (destination) => `${prefix}${destination}`,
  };
}

/** Command-line flags for the topic names, shared by `topics create`, `process` and `sink`. */
export const TOPIC_FLAGS = {
  group: { type: 'string' },
  'events-topic': { type: 'string' },
  'traits-topic': { type: 'string' },
  'transitions-topic': { type: 'string' },
  'dlq-topic': { type: 'string' },
  'changelog-topic': { type: 'string' },
  'dlq-topic-prefix': { type: 'string' },
} as const;

/** The topic flags as a usage line shows them. */
export const TOPIC_FLAGS_USAGE = '[--events-topic T] [--traits-topic T] [--transitions-topic T] [--dlq-topic T] [--changelog-topic T] [--dlq-topic-prefix P]';

export function topicNamesFromFlags(values: Partial<Record<keyof typeof TOPIC_FLAGS, string | undefined>>): TopicNames {
  return topicNames({
    group: values.group, events: values['events-topic'], traits: values['traits-topic'], transitions: values['transitions-topic'],
    dlq: values['dlq-topic'], changelog: values['changelog-topic'], dlqPrefix: values['dlq-topic-prefix'],
  });
}
