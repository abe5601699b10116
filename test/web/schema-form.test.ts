/** The form generated from plan schemas, against the real plan registry's schemas. @module */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STANDARD_PLANS } from '../../src/plans/index.js';
import { deviceGroups, fieldOfPath, fieldsOf, initialValues, toParams } from '../../src/web/schema-form.js';

const schema = (name: string): unknown => STANDARD_PLANS.find((p) => p.name === name)?.params;

describe('schema-form', () => {
  it('count: detectors pick readable devices; num is an optional integer ≥ 0; md is JSON', () => {
    const f = fieldsOf(schema('count'));
    assert.deepEqual(f.map((x) => [x.name, x.kind]), [['detectors', 'devices'], ['num', 'integer'], ['delay', 'number'], ['md', 'json']]);
    assert.equal(f[0]?.deviceRole, 'readable');
    assert.equal(f[0]?.required, true);
    assert.equal(f[1]?.minimum, 0);
    assert.equal(f[1]?.nullable, true);
    assert.deepEqual(initialValues(schema('count')), { detectors: ['det1', 'det2'], num: '1', delay: '0', md: '' });
  });

  it('scan: args is a table of (motor, start, stop) rows that flattens back to bluesky\'s args', () => {
    const f = fieldsOf(schema('scan'));
    const args = f.find((x) => x.name === 'args');
    assert.equal(args?.kind, 'rows');
    assert.deepEqual(args?.row?.map((c) => [c.title, c.kind, c.deviceRole ?? null]), [['motor', 'device', 'movable'], ['start', 'number', null], ['stop', 'number', null]]);
    const values = { ...initialValues(schema('scan')), args: [['motor', '-1', '1'], ['', '', ''], ['motor2', '0', '2.5']], num: '5' };
    assert.deepEqual(toParams(f, values), { params: { detectors: ['det1', 'det2'], args: ['motor', -1, 1, 'motor2', 0, 2.5], num: 5 }, errors: [] });
  });

  it('grid_scan rows have a num cell; list_scan rows a list of positions', () => {
    assert.deepEqual(fieldsOf(schema('grid_scan')).find((x) => x.name === 'args')?.row?.map((c) => c.kind), ['device', 'number', 'number', 'integer']);
    assert.deepEqual(initialValues(schema('grid_scan')).args, [['motor1', '-1', '1', '3'], ['motor2', '-2', '2', '4']]);
    const f = fieldsOf(schema('list_scan'));
    assert.deepEqual(toParams(f, { detectors: ['det'], args: [['motor', '0, 0.5 1']] }).params, { detectors: ['det'], args: ['motor', [0, 0.5, 1]] });
  });

  it('bad text is reported at the path the server would use, and nothing is sent for it', () => {
    const f = fieldsOf(schema('grid_scan'));
    const r = toParams(f, { detectors: ['det4'], args: [['motor1', 'x', '1', '2.5']] });
    assert.deepEqual(r.errors.map((e) => e.path), ['/params/args/1', '/params/args/3']);
    assert.match(r.errors[1]?.message ?? '', /expected an integer, got "2.5"/);
    assert.deepEqual(toParams(fieldsOf(schema('count')), { detectors: [], num: 'many' }).errors, [{ path: '/params/num', message: 'num: expected an integer, got "many"' }]);
  });

  it('empty optional inputs are left out (the server fills in its defaults); required ones are reported', () => {
    const f = fieldsOf(schema('log_scan'));
    assert.deepEqual(f.find((x) => x.name === 'motor')?.kind, 'device');
    const r = toParams(f, { detectors: ['det'], motor: 'motor', start: '', stop: '1', num: '3', md: '' });
    assert.deepEqual(r.params, { detectors: ['det'], motor: 'motor', stop: 1, num: 3 });
    assert.deepEqual(r.errors, [{ path: '/params/start', message: 'start is required' }]);
  });

  it('user schemas: enums, booleans, format device, strings lists, and untyped "any value" params', () => {
    const f = fieldsOf({
      type: 'object', required: ['mode'], properties: {
        mode: { enum: ['fast', 'slow'] }, dry: { type: 'boolean', default: true }, det: { type: 'string', format: 'device' },
        tags: { type: 'array', items: { type: 'string' } }, anything: { default: null },
      },
    });
    assert.deepEqual(f.map((x) => x.kind), ['enum', 'boolean', 'device', 'strings', 'json']);
    assert.deepEqual(f[0]?.options, ['fast', 'slow']);
    const r = toParams(f, { mode: 'slow', dry: false, det: 'det1', tags: 'a, b,', anything: 'not json' });
    assert.deepEqual(r.params, { mode: 'slow', dry: false, det: 'det1', tags: ['a', 'b'], anything: 'not json' });
    assert.deepEqual(toParams(f, { mode: 'fast', anything: '{"x": [1]}' }).params, { mode: 'fast', anything: { x: [1] } });
    assert.deepEqual(fieldsOf(null), []);
  });

  it('maps server error paths to fields', () => {
    assert.equal(fieldOfPath('/params/args/4'), 'args');
    assert.equal(fieldOfPath('/params/num'), 'num');
    assert.equal(fieldOfPath('/plan'), null);
    assert.equal(fieldOfPath('/params/a~1b'), 'a/b');
  });

  it('plain labels for bluesky\'s jargon: args are motor rows, snake_axes is explained; a schema title still wins', () => {
    const grid = fieldsOf(schema('grid_scan'));
    const by = (n: string) => grid.find((x) => x.name === n);
    assert.equal(by('args')?.title, 'motor rows');
    assert.equal(by('snake_axes')?.title, 'snake rows');
    assert.match(by('snake_axes')?.description ?? '', /every other row backwards/);
    assert.equal(by('md')?.title, 'metadata');
    assert.equal(fieldsOf({ type: 'object', properties: { args: { type: 'string', title: 'Arguments' } } })[0]?.title, 'Arguments');
  });

  it('detectors and motors are offered in separate groups; a motor field offers motors only', () => {
    const devices = [
      { name: 'det', readable: true, movable: false }, { name: 'motor', readable: true, movable: true },
      { name: 'det4', readable: true, movable: false }, { name: 'shutter', readable: false, movable: true },
    ];
    assert.deepEqual(deviceGroups('readable', devices).map((g) => [g.id, g.names]), [['detectors', ['det', 'det4']], ['motors', ['motor']]]);
    assert.deepEqual(deviceGroups('movable', devices).map((g) => [g.id, g.names]), [['motors', ['motor', 'shutter']]]);
    assert.deepEqual(deviceGroups('any', devices)[0]?.names, ['det', 'motor', 'det4', 'shutter']);
    assert.deepEqual(deviceGroups('readable', devices.filter((d) => !d.movable)).map((g) => g.id), ['detectors'], 'an empty group is left out');
  });
});
