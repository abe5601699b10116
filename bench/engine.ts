/**
 * Engine throughput: count([det], num=N), scan([det], motor, -1, 1, N) on the
 * simulated devices, and N bare `null` messages. Best of a few repetitions.
 * @module
 */
import { RunEngine } from '../src/engine/index.js';
import { msg } from '../src/model/msg.js';
import type { Plan } from '../src/model/msg.js';
import { count, scan } from '../src/plans/index.js';
import { hw } from '../src/devices/index.js';

export interface EngineBench {
  count_events_per_s: number;
  scan_points_per_s: number;
  null_msgs_per_s: number;
  count_n: number;
  scan_n: number;
  null_n: number;
}

async function best(reps: number, make: () => Plan, n: number): Promise<number> {
  let rate = 0;
  for (let i = 0; i < reps; i++) {
    const re = new RunEngine();
    let events = 0;
    re.subscribe(() => { events++; }, 'event');
    const t0 = performance.now();
    await re.run(make());
    const seconds = (performance.now() - t0) / 1000;
    if (events !== 0 && events !== n) throw new Error(`expected ${n} events, got ${events}`);
    rate = Math.max(rate, n / seconds);
  }
  return Math.round(rate);
}

export async function benchEngine(countN = 20_000, scanN = 20_000, nullN = 1_000_000): Promise<EngineBench> {
  const devices = hw();
  const countRate = await best(3, () => count([devices.det], { num: countN }), countN);
  const scanRate = await best(3, () => scan([devices.det], [devices.motor, -1, 1], { num: scanN }), scanN);
  const nullRate = await best(3, function* nulls(): Plan {
    const m = msg('null');
    for (let i = 0; i < nullN; i++) yield m;
    return undefined;
  }, nullN);
  return { count_events_per_s: countRate, scan_points_per_s: scanRate, null_msgs_per_s: nullRate, count_n: countN, scan_n: scanN, null_n: nullN };
}
