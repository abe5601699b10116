/**
 * `queue_gap_ms`: the plan queue's own cost between items. A `serve` (worker
 * host, SQLite data directory, as deployed) in this process runs quick items
 * (`count` of one point); on the main thread we time each item's last
 * document (its stop) to the next item's start document, p50 and p99. The goal
 * is p99 < 5 ms. Also `queue_items_per_s` over the whole queue.
 *
 * Cold and warm, as everywhere in the benchmarks: `queue_gap_*` are the first
 * 1,000 items of a fresh server (V8 is still compiling the server's code, on
 * threads that compete with both of ours for the machine's cores), and
 * `queue_gap_warm_*` are 1,000 items after 2,000 more have run, as on a server
 * that has been up for a while. What a fresh process pays is issue 16's
 * first-run figure.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { serve } from '../src/cli/serve.js';
import { createLogger } from '../src/server/index.js';
import type { Dispatcher } from '../src/dispatcher/index.js';
import { ANONYMOUS, invoke, type OpContext } from '../src/ops/index.js';
import { percentile } from './stats.js';

const N = 1000;
/** Batches of N run before the warm figure (a batch add takes at most 1,000 items). */
const WARM_UP_BATCHES = 2;

interface Gaps { p50: number; p99: number; itemsPerS: number }

/** Queue `n` quick items, run them, and time the gaps between them. */
async function runQueue(d: Dispatcher, ctx: OpContext, n: number): Promise<Gaps> {
  const item = { plan: 'count', params: { detectors: ['det'], num: 1 } };
  await invoke('queue.add', { items: Array.from({ length: n }, () => item) }, ctx);
  const gaps: number[] = [];
  let lastStop: number | null = null;
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => { finished = resolve; });
  const off = d.listenDocuments((name) => {
    const t = performance.now();
    if (name === 'start' && lastStop !== null) gaps.push(t - lastStop);
    if (name === 'stop') { lastStop = t; if (++done === n) finished(); }
  });
  const t0 = performance.now();
  await invoke('queue.start', {}, ctx);
  await all;
  const seconds = (performance.now() - t0) / 1000;
  off();
  // The queue stops a moment after the last stop document (its end is written first): the next batch's start waits for that.
  while ((await invoke('queue.get', {}, ctx) as { state: string }).state !== 'stopped') await new Promise((r) => setTimeout(r, 1));
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: r(percentile(gaps, 50)), p99: r(percentile(gaps, 99)), itemsPerS: Math.round(n / seconds) };
}

export async function benchQueue(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'warn', destination: sink as never }) });
  try {
    const d = s.dispatcher;
    const ctx: OpContext = { dispatcher: d, runs: null, latestSeq: () => 0, caller: ANONYMOUS };
    const cold = await runQueue(d, ctx, N);
    for (let i = 0; i < WARM_UP_BATCHES; i++) await runQueue(d, ctx, N);
    const warm = await runQueue(d, ctx, N);
    return {
      queue_gap_p50_ms: cold.p50, queue_gap_p99_ms: cold.p99, queue_items_per_s: cold.itemsPerS,
      queue_gap_warm_p50_ms: warm.p50, queue_gap_warm_p99_ms: warm.p99, queue_items_warm_per_s: warm.itemsPerS,
    };
  } finally {
    await s.dispatcher.stop('bench done');
    await s.queueStore?.close();
    await s.store?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
