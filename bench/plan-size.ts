/**
 * Memory of big plans: peak RSS of a fresh process running a 1,000,000-point
 * `scan` and a 1,000×1,000 snaked `grid_scan` on the simulated devices, with
 * document validation on and a subscriber serialising every document
 * (bench/plan-run.ts, compiled as the package runs: bench/fresh.ts). Plans
 * generate positions lazily, so this stays near the engine's own footprint
 * whatever the number of points (issue 16's goal: < 150 MiB).
 * @module
 */
import { withFreshRunner } from './fresh.js';

export async function benchPlanSize(): Promise<Record<string, number>> {
  return withFreshRunner((run) => {
    const scanRun = run(['scan', '1000000', '1']);
    const gridRun = run(['grid', '1000000', '1']);
    return {
      scan_1e6_peak_rss_mib: scanRun.rss_mib,
      grid_1e6_peak_rss_mib: gridRun.rss_mib,
      scan_1e6_s: Math.round((scanRun.ms[0] ?? 0) / 100) / 10,
      grid_1e6_s: Math.round((gridRun.ms[0] ?? 0) / 100) / 10,
    };
  });
}
