/**
 * One plan in a fresh process, for the size and first-run benchmarks:
 * `plan-run.ts PLAN N REPS` runs `count([det], num=N)`, `scan([det], motor,
 * -1, 1, N)` or a √N×√N `grid_scan([det4], motor1, motor2)` REPS times on the
 * simulated devices with a subscriber that serialises every document (as a
 * JSON writer would), and prints `{"ms": [per run], "rss_mib": peak}`.
 * Time is in-process: from `re.run` to its end, imports excluded.
 * @module
 */
import { hw } from '../src/devices/index.js';
import { RunEngine } from '../src/engine/index.js';
import type { Plan } from '../src/model/index.js';
import { count, gridScan, scan } from '../src/plans/index.js';

const [kind = 'count', nText = '1000', repsText = '1'] = process.argv.slice(2);
const n = Number(nText);
const devices = hw();

function plan(): Plan<unknown> {
  if (kind === 'count') return count([devices.det], { num: n });
  if (kind === 'scan') return scan([devices.det], [devices.motor, -1, 1], { num: n });
  if (kind === 'grid') {
    const side = Math.round(Math.sqrt(n));
    return gridScan([devices.det4], [devices.motor1, -1, 1, side, devices.motor2, -1, 1, side], { snakeAxes: true });
  }
  throw new Error(`unknown plan kind "${kind}": count, scan or grid`);
}

const ms: number[] = [];
for (let i = 0; i < Number(repsText); i++) {
  const re = new RunEngine();
  let bytes = 0;
  re.subscribe((name, doc) => { bytes += JSON.stringify([name, doc]).length; });
  const t0 = performance.now();
  await re.run(plan());
  ms.push(performance.now() - t0);
  if (bytes === 0) throw new Error('no documents');
}
console.log(JSON.stringify({ ms, rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }));
