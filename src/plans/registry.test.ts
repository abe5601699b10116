/**
 * The by-name plan registry: schemas with defaults, parameter validation with
 * clear errors (unknown parameter, wrong type, unknown device with a
 * suggestion, args layout), and build() reproducing the Python recordings.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanArgumentError } from '../model/errors.js';
import type { Msg } from '../model/msg.js';
import { FakeDetector, FakeMotor, drive, normalize, recorded } from './fixtures.test.js';
import { editDistance, suggest } from './param-validation.js';
import { type JsonSchema, STANDARD_PLANS, getPlanDescriptor, validatePlanParams } from './registry.js';

function devices(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['det', new FakeDetector('det')], ['det1', new FakeDetector('det1')], ['det2', new FakeDetector('det2')],
    ['det4', new FakeDetector('det4', { cls: 'Syn2DGauss' })],
    ['motor', new FakeMotor('motor')], ['motor1', new FakeMotor('motor1')], ['motor2', new FakeMotor('motor2')],
  ]);
}

function build(name: string, params: Record<string, unknown>, devs = devices()): Msg[] {
  const d = getPlanDescriptor(name);
  assert.ok(d, name);
  return drive(d.build(params, devs)).msgs;
}

describe('registry contents', () => {
  it('lists the standard plans by bluesky name', () => {
    assert.deepEqual(STANDARD_PLANS.map((p) => p.name), ['count', 'scan', 'rel_scan', 'list_scan', 'rel_list_scan', 'grid_scan', 'rel_grid_scan', 'log_scan']);
  });
  it('gives every optional parameter a default', () => {
    for (const plan of STANDARD_PLANS) {
      const required = new Set(plan.params.required ?? []);
      for (const [key, schema] of Object.entries(plan.params.properties ?? {}) as Array<[string, JsonSchema]>) {
        if (!required.has(key)) assert.ok(Object.hasOwn(schema, 'default'), `${plan.name}.${key} has a default`);
      }
      assert.equal(plan.params.additionalProperties, false);
      assert.ok(plan.description.length > 0);
    }
  });
});

describe('build() reproduces the recordings', () => {
  const same = (msgs: Msg[], name: string): void => assert.deepEqual(msgs.map(normalize), recorded(name));
  it('count', () => same(build('count', { detectors: ['det1', 'det2'], num: 3, delay: 0 }), 'count'));
  it('scan', () => same(build('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 5 }), 'scan'));
  it('scan with num last in args', () => same(build('scan', { detectors: ['det'], args: ['motor', -1, 1, 5] }), 'scan'));
  it('list_scan', () => same(build('list_scan', { detectors: ['det'], args: ['motor', [0, 0.5, -0.25, 2]] }), 'list_scan'));
  it('grid_scan', () => same(build('grid_scan', { detectors: ['det4'], args: ['motor1', -1, 1, 3, 'motor2', -2, 2, 4], snake_axes: true }), 'grid_scan'));
  it('rel_scan', () => {
    const devs = devices();
    (devs.get('motor') as FakeMotor).position = 1;
    same(build('rel_scan', { detectors: ['det'], args: ['motor', -1, 1], num: 5 }, devs), 'rel_scan');
  });
  it('md is merged and snake_axes may list motors', () => {
    const msgs = build('grid_scan', { detectors: ['det'], args: ['motor1', 0, 1, 2, 'motor2', 0, 1, 2], snake_axes: ['motor2'], md: { sample: 'x' } });
    const open = msgs.find((m) => m.command === 'open_run');
    assert.equal(open?.kwargs['sample'], 'x');
    assert.deepEqual(open?.kwargs['snaking'], [false, true]);
  });
  it('log_scan and the relative plans build', () => {
    assert.equal(build('log_scan', { detectors: ['det'], motor: 'motor', start: 0, stop: 1, num: 2 }).filter((m) => m.command === 'set').length, 2);
    assert.equal(build('rel_list_scan', { detectors: ['det'], args: ['motor', [1, 2]] }).filter((m) => m.command === 'set').length, 3);
    assert.equal(build('rel_grid_scan', { detectors: ['det'], args: ['motor1', 0, 1, 2] }).filter((m) => m.command === 'set').length, 3);
  });
  it('refuses invalid params with a PlanArgumentError carrying the details', () => {
    const d = getPlanDescriptor('count');
    assert.ok(d);
    assert.throws(() => d.build({ detectors: ['nope'] }, devices()), (e: unknown) => e instanceof PlanArgumentError && e.code === 'PLAN_ARGUMENT_INVALID' && e.details.length === 1);
  });
});

describe('validatePlanParams', () => {
  const v = (name: string, params: unknown): ReturnType<typeof validatePlanParams> => validatePlanParams(name, params, devices());
  it('accepts valid params', () => {
    assert.deepEqual(v('count', { detectors: ['det1', 'det2'], num: 3, delay: 0 }), []);
    assert.deepEqual(v('count', { detectors: ['det'] }), []);
    assert.deepEqual(v('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 5 }), []);
    assert.deepEqual(v('list_scan', { detectors: ['det'], args: ['motor', [0, 0.5, -0.25, 2]] }), []);
    assert.deepEqual(v('grid_scan', { detectors: ['det4'], args: ['motor1', -1, 1, 3, 'motor2', -2, 2, 4], snake_axes: true }), []);
    assert.deepEqual(v('grid_scan', { detectors: ['det4'], args: ['motor1', -1, 1, 3, 'motor2', -2, 2, 4, true] }), []);
  });
  it('names an unknown plan with a suggestion', () => {
    const [e] = v('cont', {});
    assert.match(e?.message ?? '', /unknown plan "cont" \(did you mean "count"\?\)/);
  });
  it('reports an unknown parameter with a suggestion', () => {
    const errors = v('count', { detectors: ['det'], nmu: 3 });
    assert.deepEqual(errors, [{ path: '/nmu', message: 'unknown parameter "nmu" (did you mean "num"?)', expected: 'one of: detectors, num, delay, md', got: '"nmu"' }]);
  });
  it('reports a wrong type naming the parameter, what was expected and what was received', () => {
    const [e] = v('count', { detectors: ['det'], num: '3' });
    assert.equal(e?.path, '/num');
    assert.equal(e?.expected, 'an integer from 0 to 10000000 or null');
    assert.equal(e?.got, '"3" (string)');
    assert.match(e?.message ?? '', /parameter "num" must be an integer from 0 to 10000000 or null, got "3" \(string\)/);
    assert.equal(v('count', { detectors: 'det' })[0]?.expected, 'a list of strings (at most 1000 items)');
  });
  it('reports a missing required parameter', () => {
    assert.deepEqual(v('scan', { detectors: ['det'] }).map((e) => [e.path, e.message]), [['/args', 'missing required parameter "args"']]);
  });
  it('reports an unknown device with a did-you-mean suggestion', () => {
    const [e] = v('count', { detectors: ['det1', 'detx'] });
    assert.equal(e?.path, '/detectors/1');
    assert.match(e?.message ?? '', /parameter "detectors\[1\]": unknown device "detx" \(did you mean "det"\?\)/);
    assert.match(e?.expected ?? '', /^a device name: det, det1, det2/);
    const [m] = v('scan', { detectors: ['det'], args: ['motr', -1, 1], num: 3 });
    assert.equal(m?.path, '/args/0');
    assert.match(m?.message ?? '', /did you mean "motor"/);
  });
  it('reports devices without the needed capability', () => {
    const devs = devices();
    devs.set('ro', { name: 'ro', read: () => ({}), describe: () => ({}) });
    const [e] = validatePlanParams('scan', { detectors: ['det'], args: ['ro', 0, 1], num: 2 }, devs);
    assert.match(e?.message ?? '', /cannot be moved/);
  });
  it('reports a wrong args arity', () => {
    const [e] = v('scan', { detectors: ['det'], args: ['motor', -1], num: 3 });
    assert.equal(e?.path, '/args');
    assert.match(e?.message ?? '', /parameter "args" must be motor, start, stop triples .* got 2 values/);
    assert.match(v('scan', { detectors: ['det'], args: ['motor', -1, 1] })[0]?.message ?? '', /followed by the number of points/);
    assert.match(v('list_scan', { detectors: ['det'], args: ['motor'] })[0]?.message ?? '', /motor, \[positions...\] pairs/);
    assert.match(v('list_scan', { detectors: ['det'], args: ['motor1', [1, 2], 'motor2', [1]] })[0]?.message ?? '', /same length/);
    assert.match(v('grid_scan', { detectors: ['det'], args: ['motor1', -1, 1] })[0]?.message ?? '', /motor, start, stop, num for each axis/);
    assert.match(v('grid_scan', { detectors: ['det'], args: ['motor1', -1, 1, 2.5] })[0]?.message ?? '', /whole number >= 1/);
  });
  it('refuses what would only fail once the run had opened (its scan id used up)', () => {
    // count: a delay list gives one delay per gap, at least num - 1 of them.
    const [d] = v('count', { detectors: ['det'], num: 3, delay: [0.01] });
    assert.deepEqual([d?.path, d?.expected], ['/delay', 'at least 2 entries (one per gap), or one number for every gap']);
    assert.match(d?.message ?? '', /lists 1 delay but num=3 readings have 2 gaps/);
    assert.deepEqual(v('count', { detectors: ['det'], num: 3, delay: [0.01, null] }), []);
    assert.deepEqual(v('count', { detectors: ['det'], num: null, delay: [0.01] }), []);
    assert.equal(v('count', { detectors: ['det'], delay: [] }).length, 0, 'num defaults to 1: no gap');
    // Finite ends whose distance overflows made every position NaN (motor.set() refused it mid-run).
    for (const name of ['scan', 'rel_scan']) {
      const [e] = v(name, { detectors: ['det'], args: ['motor', -1.7e308, 1.7e308], num: 3 });
      assert.equal(e?.path, '/args/2', name);
      assert.match(e?.message ?? '', /by more than the largest number/);
    }
    assert.deepEqual(v('scan', { detectors: ['det'], args: ['motor', -1e307, 1e307], num: 3 }), []);
    assert.equal(v('grid_scan', { detectors: ['det4'], args: ['motor1', -1, 1, 3, 'motor2', -1.7e308, 1.7e308, 2] })[0]?.path, '/args/6');
    // log_scan's exponents: 10**400 is Infinity.
    assert.deepEqual(v('log_scan', { detectors: ['det'], motor: 'motor', start: 0, stop: 400, num: 3 }).map((e) => e.path), ['/stop']);
    assert.deepEqual(v('log_scan', { detectors: ['det'], motor: 'motor', start: -400, stop: 308, num: 3 }), []);
  });
  it('checks snake_axes against the scanned motors', () => {
    const args = ['motor1', -1, 1, 3, 'motor2', -2, 2, 4];
    assert.match(v('grid_scan', { detectors: ['det'], args, snake_axes: ['motor1'] })[0]?.message ?? '', /first \(slowest\) motor/);
    assert.match(v('grid_scan', { detectors: ['det'], args, snake_axes: ['motr2'] })[0]?.message ?? '', /did you mean "motor2"/);
    assert.match(v('grid_scan', { detectors: ['det'], args: [...args, true], snake_axes: true })[0]?.message ?? '', /cannot be combined/);
  });
  it('requires an object of params', () => {
    assert.match(v('count', [1, 2])[0]?.message ?? '', /must be an object/);
  });
});

describe('edit distance', () => {
  it('computes Levenshtein distance and suggests close names only', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(suggest('motr', ['motor', 'det']), 'motor');
    assert.equal(suggest('zzzzzz', ['motor', 'det']), null);
  });
});
