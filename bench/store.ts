/**
 * Store throughput: a fast count([det], num=20000) with a SqliteStore attached
 * (temp directory, default durability). Best of a few repetitions.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunEngine } from '../src/engine/index.js';
import { count } from '../src/plans/index.js';
import { hw } from '../src/devices/index.js';
import { SqliteStore, attachStore, type SqliteStoreOptions } from '../src/store/index.js';

export interface StoreBench {
  /** Documents committed per second, from the first append to the last commit. */
  store_docs_per_s: number;
  /** Events per second of the count with the store attached (the engine's own figure is count_events_per_s). */
  count_events_per_s_stored: number;
}

async function once(n: number, options: SqliteStoreOptions): Promise<{ docs: number; events: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const store = SqliteStore.open(dir, options);
  try {
    const re = new RunEngine();
    let committed = 0;
    store.onCommit((b) => { committed += b.documents.length; });
    attachStore(re, store);
    const t0 = performance.now();
    await re.run(count([hw().det], { num: n }));
    await store.commit();
    const seconds = (performance.now() - t0) / 1000;
    if ((await store.getRun((await store.listRuns({ limit: 1 }))[0]?.uid ?? ''))?.numEvents?.primary !== n) throw new Error('bench: the run was not stored whole');
    return { docs: committed / seconds, events: n / seconds };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStore(n = 20_000, reps = 3, options: SqliteStoreOptions = {}): Promise<StoreBench> {
  let docs = 0;
  let events = 0;
  for (let i = 0; i < reps; i++) {
    const r = await once(n, options);
    docs = Math.max(docs, r.docs);
    events = Math.max(events, r.events);
  }
  return { store_docs_per_s: Math.round(docs), count_events_per_s_stored: Math.round(events) };
}

// `node --import tsx bench/store.ts` prints the figures on their own.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify({ normal: await benchStore(), full: await benchStore(20_000, 2, { durability: 'full' }) }));
}
