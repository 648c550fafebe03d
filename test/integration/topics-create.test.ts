// `journeys topics create` (the built CLI) on the real broker and registry: every topic with its partition count
// and config, the schemas registered, idempotent; an existing input or changelog it cannot match is refused
// before anything is created; a changelog that is not compacted is refused, by the processor too.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { checkTopics } from '../../src/processor/processor';
import { topicNames } from '../../src/kafka/topics';
import { createTopicsWithLeaders } from '../../src/kafka/admin-topics';
import { connectedAdmin, infra, uniqueName } from '../helpers/kafka';

const BIN = join(__dirname, '..', '..', 'bin', 'journeys.js');
const TOPOLOGIES = join(__dirname, '..', '..', 'topologies');

function topicsCreate(group: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { bootstrap, registryUrl } = infra();
  const r = spawnSync(process.execPath, [BIN, 'topics', 'create', '--topologies', TOPOLOGIES, '--bootstrap', bootstrap, '--registry', registryUrl, '--group', group,
    '--events-topic', `${group}.events`, '--traits-topic', `${group}.traits`, '--transitions-topic', `${group}.transitions`, '--dlq-topic', `${group}.dlq`,
    '--dlq-topic-prefix', `${group}.dlq.`, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const names = (group: string) => topicNames({ group, events: `${group}.events`, traits: `${group}.traits`, transitions: `${group}.transitions`, dlq: `${group}.dlq`, dlqPrefix: `${group}.dlq.` });

async function policy(admin: Admin, topic: string): Promise<string | undefined> {
  const { resources } = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false });
  return resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
}

describe('journeys topics create', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = await connectedAdmin();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  test('creates every topic with the partitions asked for, a compacted changelog, the schemas; a second run changes nothing', async () => {
    const group = uniqueName('tc');
    const t = names(group);
    const first = topicsCreate(group, '--partitions', '3');
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const created = first.stdout.split('\n').filter((l) => l.startsWith('created ')).map((l) => l.slice(8));
    expect(created).toEqual(expect.arrayContaining([t.events, t.traits, t.transitions, t.dlq, t.changelog, `${group}.dlq.crm`]));
    const meta = await admin.fetchTopicMetadata({ topics: [t.events, t.traits, t.changelog] });
    expect(meta.topics.map((m) => m.partitions.length)).toEqual([3, 3, 3]);
    expect(await policy(admin, t.changelog)).toBe('compact');
    expect(first.stdout).toContain(`schema  ${t.events}-value`);
    await expect(checkTopics(admin, t)).resolves.toBe(3);

    const again = topicsCreate(group, '--partitions', '3');
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('created ');
    expect(again.stdout).toContain(`exists  ${t.changelog}`);
  });

  test('an existing input of another partition count is refused before any other topic is made', async () => {
    const group = uniqueName('tc');
    const t = names(group);
    await createTopicsWithLeaders(admin, [{ topic: t.events, numPartitions: 1 }]);
    const r = topicsCreate(group, '--partitions', '4');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${t.events} exists with 1 partitions, not 4`);
    expect(r.stderr).toContain('JRN_ERR_COPARTITION');
    expect((await admin.listTopics()).filter((n) => n.startsWith(`${group}.`))).toEqual([t.events]);
    // With the count the topic has, the rest is made.
    expect(topicsCreate(group, '--partitions', '1').status).toBe(0);
  });

  test('a changelog that is not compacted is refused, by topics create and by the processor', async () => {
    const group = uniqueName('tc');
    const t = names(group);
    expect(topicsCreate(group, '--partitions', '2').status).toBe(0);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: t.changelog, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }] });
    const r = topicsCreate(group, '--partitions', '2');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${t.changelog} exists with cleanup.policy=delete: the state changelog must be compacted`);
    await expect(checkTopics(admin, t)).rejects.toThrow(/must be compacted/);
  });
});
