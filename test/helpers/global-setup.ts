// Jest global setup: makes sure a Kafka broker and a schema registry are there before integration and fault
// tests run. jest.config.js wires it to those two projects only, so a run of the `unit` project alone
// (`npm run test:unit`, `jest --selectProjects unit`) never gets here and starts nothing.
//
// - A live `npm run infra:up` (state file) is reused, else KAFKA_BOOTSTRAP + SCHEMA_REGISTRY_URL (e.g. the
//   docker-compose services) are used as they are, else `infra/infra.mjs up` starts the local ones.
// - The run takes a lease on what it uses; global-teardown.ts releases it, and what a test run started is
//   stopped when the last test run using it finishes. What `npm run infra:up` started is left running.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlobalConfig, ProjectConfig } from 'jest';
import { findInfraState, readInfraState } from '../../src/kafka/infra-state';
import { runInfra } from './infra-process';

interface UpResult {
  started: string[];
  reused: string[];
}

declare global {
  // Set here, read by global-teardown.ts (jest runs both in its main process).
  var __JOURNEYS_INFRA_LEASE__: number | undefined;
}

export default async function globalSetup(_globalConfig: GlobalConfig, projectConfig: ProjectConfig): Promise<void> {
  // jest passes the config of the first project (with tests to run) that names this module.
  const project = projectConfig.displayName?.name ?? 'tests';
  if (project === 'unit') return;

  const found = findInfraState();
  if (found?.source === 'env') {
    process.stdout.write(`\n[infra] using KAFKA_BOOTSTRAP=${found.bootstrap} and SCHEMA_REGISTRY_URL=${found.registryUrl} (for ${project})\n`);
    return;
  }
  const resultFile = join(tmpdir(), `journeys-infra-up-${process.pid}.json`);
  process.stdout.write('\n');
  await runInfra(['up', '--lease', String(process.pid), '--result', resultFile]);
  globalThis.__JOURNEYS_INFRA_LEASE__ = process.pid;
  let result: UpResult = { started: [], reused: [] };
  let state;
  try {
    if (existsSync(resultFile)) result = JSON.parse(readFileSync(resultFile, 'utf8')) as UpResult;
    state = readInfraState();
  } catch (err) {
    // jest skips the teardown when the setup fails: release here, so nothing this run started outlives it.
    globalThis.__JOURNEYS_INFRA_LEASE__ = undefined;
    await runInfra(['release', '--lease', String(process.pid)]);
    throw err;
  } finally {
    rmSync(resultFile, { force: true });
  }
  process.stdout.write(
    `[infra] tests run against Apache Kafka ${state.kafkaVersion ?? '?'} at ${state.bootstrap} and ${state.registryVersion ?? 'a schema registry'} at ${state.registryUrl}` +
      ` (started: ${result.started.join(', ') || 'none'}; reused: ${result.reused.join(', ') || 'none'})\n`,
  );
}
