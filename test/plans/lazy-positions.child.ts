/**
 * Child of lazy-positions.test.ts: drives a big scan or grid_scan plan to the
 * end with a minimal responder (no RunEngine, so a million points take
 * seconds), sampling the live heap after a full GC every 100,000 points.
 * Prints `{points, heap_mib: [samples], rss_mib}`. Run with --expose-gc.
 * @module
 */
import { completedStatus } from '../../src/model/index.js';
import type { Msg, Plan } from '../../src/model/index.js';
import { gridScan, scan } from '../../src/plans/index.js';

/** No-op devices: the cheapest Readable and Movable there can be. */
function device(name: string): object {
  const reading = { [name]: { value: 0, timestamp: 0 } };
  return { name, parent: null, read: () => reading, describe: () => ({ [name]: { source: 'noop', dtype: 'number', shape: [] } }), set: () => completedStatus(), trigger: () => completedStatus() };
}

const [kind = 'scan', nText = '1000000'] = process.argv.slice(2);
const n = Number(nText);
const det = device('noop_det');
const plan: Plan<unknown> = kind === 'grid'
  ? gridScan([det] as never, [device('m1'), -1, 1, Math.round(Math.sqrt(n)), device('m2'), -1, 1, Math.round(Math.sqrt(n))], { snakeAxes: true })
  : scan([det] as never, [device('m'), -1, 1], { num: n });

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const heapMib = (): number => { gc(); return Math.round(process.memoryUsage().heapUsed / 2 ** 20); };
const samples = [heapMib()];
let points = 0;
const reply = (m: Msg): unknown => {
  switch (m.command) {
    case 'open_run': return 'run-uid';
    case 'read': return (m.obj as { read: () => unknown }).read();
    case 'set': case 'trigger': return completedStatus();
    case 'save': if (++points % 100_000 === 0) samples.push(heapMib()); return null;
    default: return null;
  }
};
let r = plan.next();
while (r.done !== true) r = plan.next(reply(r.value));
console.log(JSON.stringify({ points, heap_mib: samples, rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }));
