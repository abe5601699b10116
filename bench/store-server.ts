/**
 * The store through the server: `server_stored_events_per_s` (a fast count
 * started over v2 on `serve --data`, the default worker engine, one v2
 * subscriber reading everything; compare `inprocess_events_per_s`, the same
 * count on a bare RunEngine in this process, no store; both the median of 5
 * runs of 20,000 after a warm-up run, and `server_inprocess_ratio` their ratio),
 * `disk_bytes_per_event` (the data file's growth per count event, after a
 * checkpoint) and `export_stall_max_ms` (the longest event-loop stall of the
 * server while 5 `curl`s download a 200 000-event run at once: a 1 ms timer's
 * longest gap, counted as the CPU time the process spent in it, since on a
 * shared machine most of a gap can be other processes' turn).
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { serve } from '../src/cli/serve.js';
import { hw } from '../src/devices/index.js';
import { RunEngine } from '../src/engine/index.js';
import { count } from '../src/plans/index.js';
import { createLogger } from '../src/server/index.js';
import { DB_FILE, SqliteStore } from '../src/store/index.js';
import { median } from './stats.js';

export interface StoreServerBench {
  server_stored_events_per_s: number;
  inprocess_events_per_s: number;
  /** server_stored_events_per_s / inprocess_events_per_s (issue 16's goal: at least 0.8). */
  server_inprocess_ratio: number;
  disk_bytes_per_event: number;
  export_stall_max_ms: number;
}

function fileBytes(dir: string): number {
  let n = 0;
  for (const f of [DB_FILE, `${DB_FILE}-wal`]) { try { n += statSync(join(dir, f)).size; } catch { /* absent */ } }
  return n;
}

/** Timed runs per figure, after one warm-up run of 1,000: the median, since one load spike on a shared machine moves a single run by a third. */
const RUNS = 5;

async function inProcess(n: number): Promise<number> {
  const re = new RunEngine();
  re.subscribe(() => {});
  await re.run(count([hw().det], { num: 1000 }));
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await re.run(count([hw().det], { num: n }));
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

/** One count over v2 with one subscriber; resolves with events/s and the file's growth per event. */
async function throughServer(n: number): Promise<{ rate: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-server-'));
  try {
    const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'silent' }) });
    const url = `${s.server.url}v2`;
    const ws = await new Promise<WebSocket>((resolve, reject) => { const w = new WebSocket(url); w.once('open', () => resolve(w)); w.once('error', reject); });
    let lastStop = 0;
    let stops = 0;
    // The subscriber shares the server's thread: it looks for the stop where a frame names its
    // document (`{"seq":…,"topic":"document","time":…,"data":{"name":…`), not through every byte.
    ws.on('message', (d: Buffer) => { if (d.subarray(0, 100).includes('"name":"stop"')) { stops++; lastStop = performance.now(); } });
    ws.send(JSON.stringify({ id: 1, op: 'subscribe' }));
    const runOnce = async (num: number): Promise<number> => {
      const before = stops;
      const t0 = performance.now();
      ws.send(JSON.stringify({ id: 2, op: 'start', plan: 'count', params: { detectors: ['det'], num } }));
      while (stops === before) await new Promise((r) => setTimeout(r, 5));
      return (lastStop - t0) / 1000;
    };
    await runOnce(1000); // warm: the worker's first run
    await s.store?.commit();
    const sizeBefore = checkpointedBytes(dir);
    const rates: number[] = [];
    for (let i = 0; i < RUNS; i++) rates.push(n / await runOnce(n));
    ws.close();
    await s.dispatcher.stop('bench');
    await s.store?.close();
    return { rate: median(rates), bytes: (checkpointedBytes(dir) - sizeBefore) / (n * RUNS) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The data file's size with the WAL folded in (another connection may checkpoint a WAL database). */
function checkpointedBytes(dir: string): number {
  const db = new Database(join(dir, DB_FILE));
  try { db.pragma('wal_checkpoint(TRUNCATE)'); } finally { db.close(); }
  return fileBytes(dir);
}

async function exportStall(events: number, parallel: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  try {
    const store = SqliteStore.open(dir);
    const re = new RunEngine();
    re.subscribe((name, doc) => { store.appendDocument(name, doc); });
    const [uid] = await re.run(count([hw().det], { num: events })) as string[];
    await store.close();
    const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'silent' }) });
    const url = `http://127.0.0.1:${String(s.server.port)}/api/runs/${uid ?? ''}/export.jsonl`;
    let worst = 0;
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    const timer = setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage();
      const gap = now - last - 1;
      // A gap the process did not spend computing is the machine's scheduler, not a blocked loop: count the CPU time.
      const busy = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
      if (process.env.BENCH_DEBUG !== undefined && gap > 50) console.error(`gap ${gap.toFixed(1)} ms, cpu ${busy.toFixed(1)} ms`);
      worst = Math.max(worst, Math.min(gap, busy));
      last = now;
      lastCpu = cpu;
    }, 1);
    const curls = Array.from({ length: parallel }, () => new Promise<number>((resolve) => {
      const c = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download}', url], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => { out += String(d); });
      c.once('close', () => resolve(Number(out)));
    }));
    const sizes = await Promise.all(curls);
    clearInterval(timer);
    await s.dispatcher.stop('bench');
    await s.store?.close();
    if (sizes.some((b) => !(b > events * 100))) throw new Error(`bench: an export was cut short (${sizes.join(', ')} bytes)`);
    return worst;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStoreServer(): Promise<StoreServerBench> {
  const n = 20_000;
  const inprocess = await inProcess(n);
  const server = await throughServer(n);
  const stall = await exportStall(200_000, 5);
  return {
    server_stored_events_per_s: Math.round(server.rate), inprocess_events_per_s: Math.round(inprocess),
    server_inprocess_ratio: Math.round((server.rate / inprocess) * 100) / 100,
    disk_bytes_per_event: Math.round(server.bytes), export_stall_max_ms: Math.round(stall * 10) / 10,
  };
}

// `node --import tsx bench/store-server.ts` prints the figures on their own.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  console.log(JSON.stringify(await benchStoreServer()));
  process.exit(0);
}
