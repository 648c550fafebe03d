// Jest global teardown: releases the lease global-setup.ts took. infra/infra.mjs then stops what a test run
// started, once no other test run uses it; what `npm run infra:up` started stays up.
import { runInfra } from './infra-process';

export default async function globalTeardown(): Promise<void> {
  const lease = globalThis.__JOURNEYS_INFRA_LEASE__;
  if (lease === undefined) return;
  globalThis.__JOURNEYS_INFRA_LEASE__ = undefined;
  await runInfra(['release', '--lease', String(lease)]);
}
