/**
 * `queue_gap_ms`: the plan queue's own cost between items. A `serve` (worker
 * host, SQLite data directory, as deployed) in this process runs 1,000 quick
 * items (`count` of one point); on the main thread we time each item's last
 * document (its stop) to the next item's start document, p50 and p99. The goal
 * is p99 < 5 ms. Also `queue_items_per_s` over the whole queue.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { serve } from '../src/cli/serve.js';
import { createLogger } from '../src/server/index.js';
import { ANONYMOUS, invoke } from '../src/ops/index.js';

const N = 1000;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export async function benchQueue(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'warn', destination: sink as never }) });
  try {
    const d = s.dispatcher;
    const ctx = { dispatcher: d, runs: null, latestSeq: () => 0, caller: ANONYMOUS };
    const item = { plan: 'count', params: { detectors: ['det'], num: 1 } };
    await invoke('queue.add', { items: Array.from({ length: N }, () => item) }, ctx);
    const gaps: number[] = [];
    let lastStop: number | null = null;
    let done = 0;
    let finished!: () => void;
    const all = new Promise<void>((resolve) => { finished = resolve; });
    const off = d.listenDocuments((name) => {
      const t = performance.now();
      if (name === 'start' && lastStop !== null) gaps.push(t - lastStop);
      if (name === 'stop') { lastStop = t; if (++done === N) finished(); }
    });
    const t0 = performance.now();
    await invoke('queue.start', {}, ctx);
    await all;
    const seconds = (performance.now() - t0) / 1000;
    off();
    gaps.sort((a, b) => a - b);
    const r = (x: number): number => Math.round(x * 1000) / 1000;
    return { queue_gap_p50_ms: r(quantile(gaps, 0.5)), queue_gap_p99_ms: r(quantile(gaps, 0.99)), queue_items_per_s: Math.round(N / seconds) };
  } finally {
    await s.dispatcher.stop('bench done');
    await s.queueStore?.close();
    await s.store?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

