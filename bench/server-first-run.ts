/**
 * The first plan through a fresh server, as its user sees it (issue 16, "no
 * fixed cost"; bench/first-run.ts measures the bare engine in a fresh process).
 * Each sample is its own `serve --data` process with one v2 subscriber: a
 * count([det], num=1000) started 1.5 s after the server listens (a user
 * connects later than that), then REPS more; each timed from the `start`
 * request to its stop document at the subscriber. Reported: the median over
 * fresh processes of the first run, of the warm run (the best later one), and
 * their difference, with the engine's warm-up (the CLI's default) and without
 * (`serve --no-engine-warmup`).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const N = 1000;
const REPS = 6;
const PROCESSES = 3;

/** In the child: one fresh server, REPS+1 counts; prints {"ms": [...]}. */
async function child(warm: boolean): Promise<void> {
  const { WebSocket } = await import('ws');
  const { serve } = await import('../src/cli/serve.js');
  const { createLogger } = await import('../src/server/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-first-'));
  try {
    const s = await serve({ port: 0, data: dir, engineWarmup: warm, logger: createLogger({ level: 'silent' }) });
    await new Promise((r) => setTimeout(r, 1500));
    const ws = await new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
      const w = new WebSocket(`${s.server.url}v2`); w.once('open', () => resolve(w)); w.once('error', reject);
    });
    let stops = 0;
    let lastStop = 0;
    ws.on('message', (d: Buffer) => { if (d.subarray(0, 100).includes('"name":"stop"')) { stops++; lastStop = performance.now(); } });
    ws.send(JSON.stringify({ id: 1, op: 'subscribe', topics: ['document'] }));
    const ms: number[] = [];
    for (let i = 0; i <= REPS; i++) {
      const before = stops;
      const t0 = performance.now();
      ws.send(JSON.stringify({ id: 2 + i, op: 'start', plan: 'count', params: { detectors: ['det'], num: N } }));
      while (stops === before) await new Promise((r) => setTimeout(r, 1));
      ms.push(lastStop - t0);
      await new Promise((r) => setTimeout(r, 50)); // the run's idle state, before the next start
    }
    ws.close();
    await s.dispatcher.stop('bench');
    await s.store?.close();
    console.log(JSON.stringify({ ms }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function benchServerFirstRun(): Record<string, number> {
  const self = fileURLToPath(import.meta.url);
  const out: Record<string, number> = {};
  const round = (x: number): number => Math.round(x * 10) / 10;
  for (const [label, warm] of [['', true], ['_nowarmup', false]] as const) {
    const runs = Array.from({ length: PROCESSES }, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', warm ? 'warm' : 'cold'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
      const last = r.stdout.trim().split('\n').at(-1) ?? '';
      if (r.status !== 0 || !last.startsWith('{')) throw new Error(`server-first-run child failed (exit ${String(r.status)}, ${String(r.signal)})`);
      return (JSON.parse(last) as { ms: number[] }).ms;
    });
    const first = median(runs.map((ms) => ms[0] ?? 0));
    const warmRun = median(runs.map((ms) => Math.min(...ms.slice(1))));
    out[`server_first_run_ms${label}`] = round(first);
    out[`server_warm_run_ms${label}`] = round(warmRun);
    out[`server_first_run_overhead_ms${label}`] = round(first - warmRun);
  }
  return out;
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] === 'warm');
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  console.log(JSON.stringify(benchServerFirstRun()));
  process.exit(0);
}
