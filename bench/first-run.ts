/**
 * What the first run of a fresh process costs against later runs (issue 16:
 * "no fixed cost"): count([det], num=N) and scan([det], motor, -1, 1, N) at
 * N = 1,000, 10,000, 100,000, each in its own fresh process (bench/plan-run.ts,
 * compiled as the package runs: bench/fresh.ts). Reported: the in-process time
 * of the first run, of the second, and of a warm run (the best of the later runs),
 * each the median over several fresh processes at N = 1,000 and 10,000. `first_run_overhead_ms` is the larger first-minus-warm at
 * N = 1,000. A first run that costs what the second does has no one-time cost
 * left: the rest is V8 tiering up (interpreted, then optimised code) over the
 * first few thousand events, which later runs of the same process no longer pay.
 * @module
 */
import { withFreshRunner } from './fresh.js';
import { median } from './stats.js';

/** [label, N, runs per process, fresh processes]: the median over processes, since one load spike on a shared machine moves a single sample. */
const SIZES: ReadonlyArray<[string, number, number, number]> = [['1e3', 1_000, 8, 5], ['1e4', 10_000, 5, 3], ['1e5', 100_000, 3, 1]];

export async function benchFirstRun(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  await withFreshRunner((run) => {
    for (const plan of ['count', 'scan']) {
      for (const [label, n, reps, processes] of SIZES) {
        const runs = Array.from({ length: processes }, () => run([plan, String(n), String(reps)]).ms);
        out[`${plan}_${label}_first_ms`] = round(median(runs.map((ms) => ms[0] ?? 0)));
        out[`${plan}_${label}_second_ms`] = round(median(runs.map((ms) => ms[1] ?? 0)));
        out[`${plan}_${label}_warm_ms`] = round(median(runs.map((ms) => Math.min(...ms.slice(1)))));
      }
    }
  });
  const overhead = (plan: string): number => (out[`${plan}_1e3_first_ms`] ?? 0) - (out[`${plan}_1e3_warm_ms`] ?? 0);
  out.first_run_overhead_ms = round(Math.max(overhead('count'), overhead('scan')));
  return out;
}
