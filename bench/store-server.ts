/**
 * The store through the server: `server_stored_events_per_s` (a fast count
 * started over v2 on `serve --data`, the default worker engine, one v2
 * subscriber reading everything; compare `inprocess_events_per_s`, the same
 * count on a bare RunEngine in a child process, no store; both the median of 5
 * runs of 20,000 after a warm-up run, taken in rounds (see RUNS), and
 * `server_inprocess_ratio` the median of the rounds' ratios;
 * `inprocess_json_events_per_s`, the same bare count with a subscriber that
 * encodes each document as JSON, the least that any store does, and
 * `server_inprocess_json_ratio` the server's rate against it: what is left
 * once the encoding every stored document needs is counted on both sides),
 * `disk_bytes_per_event` (the data file's growth per count event, after a
 * checkpoint) and `export_stall_max_ms` (the longest event-loop stall of the
 * server while 5 `curl`s download a 200 000-event run at once: a 1 ms timer's
 * longest gap, counted as the CPU time the process spent in it, since on a
 * shared machine most of a gap can be other processes' turn).
 * @module
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  inprocess_json_events_per_s: number;
  /** server_stored_events_per_s / inprocess_json_events_per_s. */
  server_inprocess_json_ratio: number;
  disk_bytes_per_event: number;
  export_stall_max_ms: number;
}

function fileBytes(dir: string): number {
  let n = 0;
  for (const f of [DB_FILE, `${DB_FILE}-wal`]) { try { n += statSync(join(dir, f)).size; } catch { /* absent */ } }
  return n;
}

/**
 * Rounds of timed runs, after one warm-up run of 1,000 each. A round runs the three counts back to
 * back (bare, bare with JSON, through the server), so all three see the same load; a figure is the
 * median of its runs and a ratio the median of its rounds' ratios, since one load spike on a shared
 * machine moves a single run by a third (measured one after the other, a ratio moved by as much).
 */
const RUNS = 5;

/** What the bare counts' child is asked: a count of `num`, its subscriber encoding each document as JSON or not. */
interface BareRequest { num: number; encode: boolean }

/**
 * The bare counts run in a child process, not beside the server: run on this thread first, they
 * left the server's next runs about 15 % slower (a probe: ~100k against ~115k events/s).
 */
function bareCounter(): { run(req: BareRequest): Promise<number>; close(): void } {
  const child = fork(fileURLToPath(import.meta.url), [BARE_CHILD], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    run: (req) => new Promise<number>((resolve, reject) => {
      const exited = (code: number | null): void => { reject(new Error(`bench: the bare count child exited (${String(code)})`)); };
      child.once('exit', exited);
      child.once('message', (seconds) => { child.off('exit', exited); resolve(seconds as number); });
      child.send(req);
    }),
    close: () => { child.kill(); },
  };
}

const BARE_CHILD = '--bare-count-child';

/** In the child: one RunEngine per subscriber kind, a count per request, its seconds in reply. */
function serveBareCounts(): void {
  const engines = { plain: new RunEngine(), json: new RunEngine() };
  engines.plain.subscribe(() => {});
  engines.json.subscribe((_name, doc) => { JSON.stringify(doc); });
  process.on('message', (req: BareRequest) => {
    const re = req.encode ? engines.json : engines.plain;
    const t0 = performance.now();
    void re.run(count([hw().det], { num: req.num })).then(() => { process.send?.((performance.now() - t0) / 1000); });
  });
  process.on('disconnect', () => { process.exit(0); });
}

/** A server on `dir` with one v2 subscriber; `run` times a count from its start request to its stop document. */
async function throughServer(dir: string): Promise<{ run(num: number): Promise<number>; close(): Promise<void>; commit(): Promise<void> }> {
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'silent' }) });
  const url = `${s.server.url}v2`;
  const ws = await new Promise<WebSocket>((resolve, reject) => { const w = new WebSocket(url); w.once('open', () => resolve(w)); w.once('error', reject); });
  let lastStop = 0;
  let stops = 0;
  // The subscriber shares the server's thread: it looks for the stop where a frame names its
  // document (`{"seq":…,"topic":"document","time":…,"data":{"name":…`), not through every byte.
  ws.on('message', (d: Buffer) => { if (d.subarray(0, 100).includes('"name":"stop"')) { stops++; lastStop = performance.now(); } });
  ws.send(JSON.stringify({ id: 1, op: 'subscribe' }));
  return {
    run: async (num) => {
      const before = stops;
      const t0 = performance.now();
      ws.send(JSON.stringify({ id: 2, op: 'start', plan: 'count', params: { detectors: ['det'], num } }));
      while (stops === before) await new Promise((r) => setTimeout(r, 5));
      return (lastStop - t0) / 1000;
    },
    commit: async () => { await s.store?.commit(); },
    close: async () => {
      ws.close();
      await s.dispatcher.stop('bench');
      await s.store?.close();
    },
  };
}

interface RateFigures { server: number; bare: number; bareJson: number; ratio: number; jsonRatio: number; bytes: number }

/** The three counts of N events, round by round (see RUNS), and the data file's growth per server event. */
async function rates(n: number): Promise<RateFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-server-'));
  try {
    const child = bareCounter();
    const bare = (num: number): Promise<number> => child.run({ num, encode: false });
    const bareJson = (num: number): Promise<number> => child.run({ num, encode: true });
    const server = await throughServer(dir).catch((e: unknown) => { child.close(); throw e; });
    try {
      for (const run of [bare, bareJson, server.run]) await run(1000); // warm: a worker's and a process's first run
      await server.commit();
      const sizeBefore = checkpointedBytes(dir);
      const rounds: Array<{ server: number; bare: number; bareJson: number }> = [];
      for (let i = 0; i < RUNS; i++) rounds.push({ bare: n / await bare(n), bareJson: n / await bareJson(n), server: n / await server.run(n) });
      child.close();
      await server.close();
      const bytes = (checkpointedBytes(dir) - sizeBefore) / (n * RUNS);
      return {
        server: median(rounds.map((r) => r.server)), bare: median(rounds.map((r) => r.bare)), bareJson: median(rounds.map((r) => r.bareJson)),
        ratio: median(rounds.map((r) => r.server / r.bare)), jsonRatio: median(rounds.map((r) => r.server / r.bareJson)), bytes,
      };
    } catch (e) {
      child.close();
      await server.close();
      throw e;
    }
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
  const r = await rates(20_000);
  const stall = await exportStall(200_000, 5);
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    server_stored_events_per_s: Math.round(r.server), inprocess_events_per_s: Math.round(r.bare), server_inprocess_ratio: round2(r.ratio),
    inprocess_json_events_per_s: Math.round(r.bareJson), server_inprocess_json_ratio: round2(r.jsonRatio),
    disk_bytes_per_event: Math.round(r.bytes), export_stall_max_ms: Math.round(stall * 10) / 10,
  };
}

// `node --import tsx bench/store-server.ts` prints the figures on their own.
if (process.argv.includes(BARE_CHILD)) serveBareCounts();
else if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  console.log(JSON.stringify(await benchStoreServer()));
  process.exit(0);
}
