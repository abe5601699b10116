/**
 * Scale-out figures (docs/scale-out.md), against a real PostgreSQL and Redis
 * started for the bench (test/helpers: temp directories, free ports):
 *
 * - `sqlite_count_events_per_s` / `pg_count_events_per_s`: a fast
 *   count([det], num=20000) with the store attached, SQLite (default
 *   durability: WAL, synchronous=NORMAL) and PostgreSQL (fsync on,
 *   synchronous_commit=off: the same promise — a crash of the process loses
 *   nothing committed, an OS crash may lose the last commits). Best of 3.
 * - `bus_events_per_s`: documents per second published by the bus and read
 *   back by a consumer (readDocuments), from the count's first commit to the
 *   consumer's last document (count of 20000 with a SQLite store).
 * - `bus_catch_up_ms`: Redis killed, a fast count of 40000 runs, the outage
 *   lasts 10 s in all, Redis comes back empty: the time from its return to the
 *   bus's buffer being empty (`bus_backlog_entries` were waiting).
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisBus, readDocuments } from '../src/bus/index.js';
import { hw } from '../src/devices/index.js';
import { RunEngine } from '../src/engine/index.js';
import { count } from '../src/plans/index.js';
import { type BaseStore, SqliteStore, attachStore, openPostgresStore } from '../src/store/index.js';
import { TestPostgres } from '../test/helpers/postgres.js';
import { TestRedis } from '../test/helpers/redis.js';

export interface ScaleBench {
  sqlite_count_events_per_s: number;
  pg_count_events_per_s: number;
  pg_vs_sqlite: number;
  bus_events_per_s: number;
  bus_catch_up_ms: number;
  bus_backlog_entries: number;
}

async function countInto(store: BaseStore, n: number): Promise<number> {
  const re = new RunEngine();
  attachStore(re, store);
  const t0 = performance.now();
  await re.run(count([hw().det], { num: n }));
  await store.commit();
  return n / ((performance.now() - t0) / 1000);
}

async function storeRates(n: number, reps: number, pg: TestPostgres): Promise<{ sqlite: number; pg: number }> {
  let sqlite = 0;
  let pgRate = 0;
  for (let i = 0; i < reps; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
    const s = SqliteStore.open(dir);
    try { sqlite = Math.max(sqlite, await countInto(s, n)); } finally { await s.close(); rmSync(dir, { recursive: true, force: true }); }
    const p = await openPostgresStore(await pg.createDatabase('bench'), { instance: 'bench' });
    try { pgRate = Math.max(pgRate, await countInto(p, n)); } finally { await p.close(); }
  }
  return { sqlite, pg: pgRate };
}

async function busRate(redis: TestRedis, n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bus-'));
  const store = SqliteStore.open(dir);
  const bus = await RedisBus.create({ url: redis.url, instance: 'rate', maxlen: 1_000_000 });
  bus.attach(store);
  const ac = new AbortController();
  let seen = 0;
  let tEnd = 0;
  const all = n + 3; // start, descriptor, n events, stop
  const reader = (async () => {
    for await (const _d of readDocuments({ url: redis.url, instance: 'rate', since: '$', signal: ac.signal })) {
      if (++seen === all) { tEnd = performance.now(); ac.abort(); }
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 300)); // the reader has pinned "now"
    const t0 = performance.now();
    await countInto(store, n);
    await reader;
    return all / ((tEnd - t0) / 1000);
  } finally {
    ac.abort();
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function catchUp(redis: TestRedis, n: number, outageMs: number): Promise<{ ms: number; backlog: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bus-'));
  const store = SqliteStore.open(dir);
  const bus = await RedisBus.create({ url: redis.url, instance: 'catchup', bufferEntries: 1_000_000, maxlen: 1_000_000 });
  bus.attach(store);
  try {
    while (!bus.connected) await new Promise((r) => setTimeout(r, 20));
    const down = performance.now();
    await redis.kill();
    await countInto(store, n);
    const left = outageMs - (performance.now() - down);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const backlog = bus.health().pending;
    await redis.restart();
    const back = performance.now();
    while (bus.health().pending > 0) await new Promise((r) => setTimeout(r, 5));
    if (bus.health().lost !== 0) throw new Error('bench: the bus lost entries within its buffer');
    return { ms: performance.now() - back, backlog };
  } finally {
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchScale(): Promise<ScaleBench> {
  const pg = await TestPostgres.start(['synchronous_commit=off']);
  const redis = await TestRedis.start();
  try {
    const rates = await storeRates(20_000, 3, pg);
    const bus = await busRate(redis, 20_000);
    const cu = await catchUp(redis, 40_000, 10_000);
    return {
      sqlite_count_events_per_s: Math.round(rates.sqlite), pg_count_events_per_s: Math.round(rates.pg),
      pg_vs_sqlite: Math.round((rates.pg / rates.sqlite) * 100) / 100,
      bus_events_per_s: Math.round(bus), bus_catch_up_ms: Math.round(cu.ms), bus_backlog_entries: cu.backlog,
    };
  } finally {
    await redis.stop();
    await pg.stop();
  }
}
