// A real LevelDB partition store (classic-level) in a fresh temp dir for each test of the calling file,
// closed and deleted after it. `store()` is the current test's store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionStore } from '../../src/state/partition-store';

export function useTempStore(): () => PartitionStore {
  let dir: string;
  let store: PartitionStore | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'journeys-store-'));
    store = await PartitionStore.open(dir);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (store === undefined) throw new Error('the temp store exists only inside a test');
    return store;
  };
}
