import { hw } from '../src/devices/index.js';
import { RunEngine } from '../src/engine/index.js';
import { count } from '../src/plans/index.js';
const devices = hw();
for (let r = 0; r < 2; r++) {
  const re = new RunEngine();
  const ts: number[] = [];
  let bytes = 0;
  re.subscribe((name, doc) => { bytes += JSON.stringify([name, doc]).length; if (name === 'event' || name === 'start' || name === 'descriptor' || name === 'stop') ts.push(performance.now()); });
  const t0 = performance.now();
  await re.run(count([devices.det], { num: 1000 }));
  const t1 = performance.now();
  const at = (i: number) => (ts[i]! - t0).toFixed(1);
  console.log(`run ${r}: total ${(t1 - t0).toFixed(1)} start ${at(0)} desc ${at(1)} ev1 ${at(2)} ev10 ${at(11)} ev100 ${at(101)} ev300 ${at(301)} ev500 ${at(501)} ev1000 ${at(1001)} stop ${at(1002)}`);
}
