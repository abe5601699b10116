/**
 * Issue 10, "one request exhausts memory": every parameter that sizes work has
 * a maximum (`--max-points`, default 10,000,000), refused quickly by the
 * validator, before anything is allocated for it; non-finite numbers are
 * refused everywhere. (The time bounds are generous: they only tell "checked"
 * from "tried to build the positions", which took minutes.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerStandardPlans } from '../../src/dispatcher/index.js';
import { DEFAULT_MAX_POINTS, standardPlans, validatePlanParams } from '../../src/plans/index.js';
import { serve } from '../../src/cli/serve.js';
import { pyJson } from '../../src/protocol/v1/index.js';

const devices = hw().devices;
const v = (plan: string, params: unknown): ReturnType<typeof validatePlanParams> => validatePlanParams(plan, params, devices);

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

describe('points limits (default 10,000,000)', () => {
  it('scan num 1e9 is refused at once, naming the limit', async () => {
    v('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 5 }); // compile the validator outside the timing
    const { value: errors, ms } = timed(() => v('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 1e9 }));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, '/num');
    assert.match(errors[0]?.message ?? '', /parameter "num" must be at most 10000000 \(the server's --max-points limit\), got 1000000000 \(number\)/);
    assert.ok(ms < 1000, `validated in ${ms.toFixed(1)} ms`);
  });

  it('num 1e300 and a num that JSON.parse made Infinity (1e999) are refused', async () => {
    assert.equal(v('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 1e300 })[0]?.path, '/num');
    const params = JSON.parse('{"detectors":["det"],"args":["motor",-1,1],"num":1e999}') as unknown;
    const [e] = v('scan', params);
    assert.equal(e?.path, '/num');
    assert.match(e?.message ?? '', /must be a finite number, got Infinity/);
    assert.equal(e?.got, 'Infinity (number)');
  });

  it('non-finite numbers are refused wherever they are (args, delay, md)', async () => {
    const params = JSON.parse('{"detectors":["det"],"args":["motor",-1e999,1,5],"md":{"x":[1,1e999]}}') as unknown;
    assert.deepEqual(v('scan', params).map((e) => e.path), ['/args/1', '/md/x/1']);
    assert.equal(v('count', JSON.parse('{"detectors":["det"],"delay":1e999}') as unknown)[0]?.path, '/delay');
  });

  it('num at the end of scan args and count num are bounded too', async () => {
    assert.match(v('scan', { detectors: ['det'], args: ['motor', -1, 1, 1e9] })[0]?.message ?? '', /args\[3\]" is a number of points and must be at most 10000000/);
    assert.equal(v('scan', { detectors: ['det'], args: ['motor', -1, 1, 1e9] })[0]?.path, '/args/3');
    assert.equal(v('count', { detectors: ['det'], num: DEFAULT_MAX_POINTS + 1 })[0]?.path, '/num');
    assert.deepEqual(v('count', { detectors: ['det'], num: DEFAULT_MAX_POINTS }), []);
    assert.deepEqual(v('count', { detectors: ['det'], num: null }), [], 'until stopped stays allowed: it needs no memory per point');
    assert.equal(v('log_scan', { detectors: ['det'], motor: 'motor', start: 0, stop: 1, num: 1e9 })[0]?.path, '/num');
    // log_scan reads its points from md.plan_pattern_args (as Python does): bounded there too.
    assert.equal(v('log_scan', { detectors: ['det'], motor: 'motor', start: 0, stop: 1, num: 2, md: { plan_pattern_args: { start: 0, stop: 1, num: 1e9 } } })[0]?.path, '/md/plan_pattern_args/num');
  });

  it('a grid whose product overflows is refused though each axis is within the limit', async () => {
    const args = ['motor1', 0, 1, 1e6, 'motor2', 0, 1, 1e6, 'motor3', 0, 1, 1e6];
    const { value: errors, ms } = timed(() => v('grid_scan', { detectors: ['det'], args }));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, '/args');
    assert.match(errors[0]?.message ?? '', /grid of 1000000 × 1000000 × 1000000 points, more than at most 10000000 points in all \(the server's --max-points limit\)/);
    assert.ok(ms < 1000, `validated in ${ms.toFixed(1)} ms`);
    assert.deepEqual(v('grid_scan', { detectors: ['det'], args: ['motor1', 0, 1, 1000, 'motor2', 0, 1, 1000] }), []);
    assert.equal(v('grid_scan', { detectors: ['det'], args: ['motor1', 0, 1, 1e9] })[0]?.path, '/args/3');
  });

  it('the number of axes and detectors is bounded', async () => {
    const args = Array.from({ length: 101 }, (_, i) => ['motor', 0, i]).flat();
    assert.match(v('scan', { detectors: ['det'], args, num: 2 })[0]?.message ?? '', /must be a list of at most 301 items/);
    assert.match(v('count', { detectors: Array<string>(1001).fill('det') })[0]?.message ?? '', /at most 1000 items/);
  });
});

describe('a smaller limit (serve --max-points)', () => {
  const plans = standardPlans({ maxPoints: 10 });
  const check = (name: string, params: unknown): ReturnType<typeof validatePlanParams> => {
    const plan = plans.find((p) => p.name === name);
    assert.ok(plan);
    return plan.validate(params, devices);
  };

  it('bounds num, list lengths, delay lists and grid products, and the schemas say so', async () => {
    assert.deepEqual(check('count', { detectors: ['det'], num: 10 }), []);
    assert.equal(check('count', { detectors: ['det'], num: 11 })[0]?.path, '/num');
    assert.equal(check('count', { detectors: ['det'], num: 2, delay: Array<number>(11).fill(0) })[0]?.path, '/delay');
    assert.equal(check('list_scan', { detectors: ['det'], args: ['motor', Array<number>(11).fill(0)] })[0]?.path, '/args/1');
    assert.equal(check('grid_scan', { detectors: ['det'], args: ['motor1', 0, 1, 4, 'motor2', 0, 1, 3] })[0]?.path, '/args');
    const scanSchema = plans.find((p) => p.name === 'scan')?.params.properties?.num;
    assert.equal(scanSchema?.anyOf?.[0]?.maximum, 10);
  });

  it('through the dispatcher: invalid, nothing started', async () => {
    const d = new Dispatcher({ devices });
    registerStandardPlans(d, ['scan'], { maxPoints: 10 });
    const out = await d.checkScan('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 11 });
    assert.equal(out.ok, false);
    assert.ok(!out.ok && out.reason === 'invalid' && /--max-points/.test(out.summary));
    assert.equal((await d.startScan('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 1e9 })).ok, false);
    assert.equal(d.busy, false);
  });

  it('serve({ maxPoints }) registers the standard plans with it; a bad value is one clear error', async () => {
    const served = await serve({ port: 0, data: false, maxPoints: 10, logLevel: 'silent' });
    try {
      assert.equal((await served.dispatcher.checkScan('count', { detectors: ['det'], num: 11 })).ok, false);
      assert.equal((await served.dispatcher.checkScan('count', { detectors: ['det'], num: 10 })).ok, true);
    } finally {
      await served.dispatcher.stop('test over');
    }
    await assert.rejects(serve({ port: 0, data: false, maxPoints: 'lots', logLevel: 'silent' }), /--max-points must be a whole number >= 1, got lots/);
  });
});

describe('no reply contains NaN or Infinity', () => {
  it("v1's Python-style JSON writes non-finite numbers as null (a last line of defence)", () => {
    const text = pyJson({ a: Number.NaN, b: Infinity, c: [-Infinity, 1.5] });
    assert.equal(text, '{"a": null, "b": null, "c": [null, 1.5]}');
    assert.deepEqual(JSON.parse(text), { a: null, b: null, c: [null, 1.5] });
  });
});
