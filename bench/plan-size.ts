/**
 * Memory of big plans: peak RSS of a fresh process running a 1,000,000-point
 * `scan` and a 1,000×1,000 `grid_scan` on the simulated devices (bench/plan-run.ts).
 * Plans generate their positions lazily, so this stays near the engine's own
 * footprint whatever the number of points (issue 16's goal: < 150 MiB).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('./plan-run.ts', import.meta.url));

/** `{ms, rss_mib}` of `plan-run.ts args` in a fresh process. */
export function runFresh(args: readonly string[]): { ms: number[]; rss_mib: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', RUN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`plan-run ${args.join(' ')} failed (exit ${String(r.status)}, ${String(r.signal)})`);
  return JSON.parse(last) as { ms: number[]; rss_mib: number };
}

export async function benchPlanSize(): Promise<Record<string, number>> {
  const scanRun = runFresh(['scan', '1000000', '1']);
  const gridRun = runFresh(['grid', '1000000', '1']);
  return {
    scan_1e6_peak_rss_mib: scanRun.rss_mib,
    grid_1e6_peak_rss_mib: gridRun.rss_mib,
    scan_1e6_s: Math.round((scanRun.ms[0] ?? 0) / 100) / 10,
    grid_1e6_s: Math.round((gridRun.ms[0] ?? 0) / 100) / 10,
  };
}
