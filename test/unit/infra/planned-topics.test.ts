// plannedTopics: the changelog is compacted with a compaction lag; its segment size is the broker's unless given.
import { CHANGELOG_MIN_COMPACTION_LAG_MS, plannedTopics } from '../../../src/kafka/admin-topics';
import { topicNames } from '../../../src/kafka/topics';

const topics = topicNames({ group: 'g' });
const changelogConfig = (segmentBytes?: number) =>
  plannedTopics(topics, { partitions: 4, replicationFactor: 1, definitions: null, ...(segmentBytes === undefined ? {} : { changelogSegmentBytes: segmentBytes }) })
    .find((t) => t.topic === topics.changelog)?.configEntries;

describe('plannedTopics: the changelog', () => {
  test('compacted, records kept uncompacted for the compaction lag, segment size left to the broker', () => {
    expect(changelogConfig()).toEqual([{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.compaction.lag.ms', value: String(CHANGELOG_MIN_COMPACTION_LAG_MS) }]);
  });

  test('a segment size when asked for (the bench: the cleaner compacts only rolled segments)', () => {
    expect(changelogConfig(16 << 20)).toContainEqual({ name: 'segment.bytes', value: String(16 << 20) });
    expect(changelogConfig(16 << 20)).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
  });
});
