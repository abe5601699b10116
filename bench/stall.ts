/**
 * Fairness under slow clients: the longest event-loop stall of the server's
 * thread (perf_hooks monitorEventLoopDelay, 1 ms resolution) while 200
 * subscribers (100 v1, 100 v2; in a worker thread, so their own work is not
 * measured) stop reading during a 200,000-event count, through to the last of
 * their sockets being torn down. The server is `serve` with a run store, as the
 * CLI runs it.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { serve } from '../src/cli/serve.js';
import { createLogger } from '../src/server/index.js';

const EVENTS = Number(process.env.BENCH_STALL_EVENTS ?? 200_000);
const SUBSCRIBERS = Number(process.env.BENCH_STALL_SUBSCRIBERS ?? 200);

type Reply = { kind: string; [k: string]: unknown };

function ask(w: Worker, msg: Record<string, unknown>, kind: string, timeoutMs = 120_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`stall bench: no '${kind}' from the clients within ${String(timeoutMs)} ms`)), timeoutMs);
    const on = (m: Reply): void => { if (m.kind === kind) { clearTimeout(t); w.off('message', on); resolve(m); } };
    w.on('message', on);
    w.postMessage(msg);
  });
}

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`stall bench: ${what} within ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function benchStall(): Promise<{ stall_max_ms: number; stall_p99_ms: number; stall_count_s: number; stall_teardown_ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-stall-'));
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'silent' }) });
  // A TypeScript worker: register tsx in it first (a worker's --import does not cover its entry module).
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(new URL('./stall-clients.ts', import.meta.url).href)}); });`;
  const clients = new Worker(boot, { eval: true });
  try {
    const url = s.server.url;
    await ask(clients, { kind: 'connect', v1: url, v2: `${url}v2`, n1: Math.floor(SUBSCRIBERS / 2), n2: SUBSCRIBERS - Math.floor(SUBSCRIBERS / 2) }, 'connected');
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = performance.now();
    const started = await s.dispatcher.startScan('count', { detectors: ['det'], num: EVENTS });
    if (!started.ok) throw new Error(`stall bench: count refused: ${JSON.stringify(started)}`);
    // Every subscriber has seen the run begin; from now on none reads.
    await ask(clients, { kind: 'stop-reading' }, 'stopped');
    await s.dispatcher.whenIdle();
    const countS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    // The clients go away with their receive buffers full: the server tears down 200 backed-up sockets.
    await ask(clients, { kind: 'destroy' }, 'destroyed');
    await until(() => s.server.clientCount === 0, 120_000, 'the server did not close every subscriber');
    const teardownMs = performance.now() - t1;
    h.disable();
    return {
      stall_max_ms: Math.round(h.max / 1e5) / 10, stall_p99_ms: Math.round(h.percentile(99) / 1e5) / 10,
      stall_count_s: Math.round(countS * 10) / 10, stall_teardown_ms: Math.round(teardownMs),
    };
  } finally {
    await clients.terminate();
    await s.dispatcher.stop('bench over');
    await s.store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
