// readInfraState: a live state file first, then KAFKA_BOOTSTRAP + SCHEMA_REGISTRY_URL, else an error that says
// what to do. Files in a temp folder; JOURNEYS_INFRA_STATE keeps the checkout's own state file out of it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, JourneyError } from '../../../src/errors';
import { brokerList, findInfraState, infraStateCandidates, readInfraState } from '../../../src/kafka/infra-state';

/** The PID of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('readInfraState', () => {
  let dir: string;
  let stateFile: string;
  const write = (kafkaPid: number, registryPid: number) =>
    writeFileSync(
      stateFile,
      JSON.stringify({
        version: 1,
        bootstrap: '127.0.0.1:19092',
        registryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
        kafka: { pid: kafkaPid, version: '4.1.2' },
        registry: { pid: registryPid, kind: 'apicurio', version: '2.6.13.Final' },
      }),
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journeys-infra-state-'));
    stateFile = join(dir, 'state.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a state file whose processes run, before the environment', () => {
    write(process.pid, process.pid);
    const state = readInfraState({ JOURNEYS_INFRA_STATE: stateFile, KAFKA_BOOTSTRAP: 'other:9092', SCHEMA_REGISTRY_URL: 'http://other:8081' });
    expect(state).toEqual({
      bootstrap: '127.0.0.1:19092',
      registryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
      source: 'state-file',
      stateFile,
      kafkaVersion: '4.1.2',
      registryVersion: 'apicurio 2.6.13.Final',
    });
  });

  it("resolves the broker's data dir against the root the state file names, else its checkout", () => {
    const withDataDir = (root?: string) => writeFileSync(stateFile, JSON.stringify({
      version: 1, ...(root === undefined ? {} : { root }), bootstrap: '127.0.0.1:19092', registryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
      kafka: { pid: process.pid, version: '4.1.2', dataDir: '.infra/kafka/data' }, registry: { pid: process.pid },
    }));
    withDataDir('/work/checkout');
    expect(readInfraState({ JOURNEYS_INFRA_STATE: stateFile }).kafkaDataDir).toBe('/work/checkout/.infra/kafka/data');
    withDataDir();
    expect(readInfraState({ JOURNEYS_INFRA_STATE: stateFile }).kafkaDataDir).toBe(join(dir, '..', '.infra', 'kafka', 'data'));
  });

  it('ignores a state file whose processes are gone and falls back to the environment', () => {
    write(deadPid(), process.pid);
    const state = readInfraState({ JOURNEYS_INFRA_STATE: stateFile, KAFKA_BOOTSTRAP: 'kafka:9092,kafka2:9092', SCHEMA_REGISTRY_URL: 'http://registry:8081/' });
    expect(state).toEqual({ bootstrap: 'kafka:9092,kafka2:9092', registryUrl: 'http://registry:8081', source: 'env' });
    expect(brokerList(state)).toEqual(['kafka:9092', 'kafka2:9092']);
  });

  it('ignores a state file that is not JSON', () => {
    writeFileSync(stateFile, '{ half');
    expect(findInfraState({ JOURNEYS_INFRA_STATE: stateFile })).toBeUndefined();
  });

  it('finds .infra/state.json in the working directory or a parent', () => {
    mkdirSync(join(dir, '.infra'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    stateFile = join(dir, '.infra', 'state.json');
    write(process.pid, process.pid);
    expect(infraStateCandidates({}, join(dir, 'a', 'b'))[2]).toBe(stateFile);
    expect(findInfraState({}, join(dir, 'a', 'b'))?.stateFile).toBe(stateFile);
  });

  it('throws JRN_ERR_INFRA saying what to do when there is nothing to use', () => {
    const env = { JOURNEYS_INFRA_STATE: join(dir, 'missing.json'), KAFKA_BOOTSTRAP: '127.0.0.1:9092' };
    expect(() => readInfraState(env)).toThrow(JourneyError);
    try {
      readInfraState(env);
    } catch (err) {
      expect((err as JourneyError).code).toBe(ErrorCodes.INFRA);
      expect((err as JourneyError).message).toContain('npm run infra:up');
      expect((err as JourneyError).message).toContain('only one of KAFKA_BOOTSTRAP and SCHEMA_REGISTRY_URL');
    }
  });
});
