/** Tests of hw(), deviceKind(), the image detector's asset documents and the trivial flyers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentErrors } from '../model/validate.js';
import {
  isEventCollectable, isFlyable, isWritesExternalAssets,
  type Configurable, type EventCollectable, type Flyable, type HasHints, type HasParent, type Movable, type Readable,
  type Stageable, type Stoppable, type Subscribable, type Triggerable, type WritesExternalAssets,
} from '../model/protocols.js';
import { deviceKind, hw, SynImageDetector, TrivialFlyer } from './index.js';

test('hw() builds a fresh set named as in ophyd.sim', () => {
  const a = hw();
  const b = hw();
  assert.notEqual(a.motor, b.motor);
  assert.deepEqual([...a.devices.keys()], [
    'motor', 'motor1', 'motor2', 'motor3', 'det', 'det1', 'det2', 'det3', 'det4', 'noisy_det',
    'rand', 'img', 'bool_sig', 'sig', 'signal', 'trivial_flyer', 'new_trivial_flyer',
  ]);
  for (const [name, dev] of a.devices) assert.equal(dev.name, name);
  assert.equal(a.devices.get('det1'), a.det1);
  a.motor1.set(0.5);
  a.det1.trigger();
  assert.equal(a.det1.read()['det1']?.value, 5 * Math.exp(-0.5));
  assert.equal(b.det1.read()['det1']?.value, 5, 'the other set did not move');
});

test('deviceKind sorts devices for user interfaces', () => {
  const h = hw();
  const kinds = Object.fromEntries([...h.devices].map(([name, dev]) => [name, deviceKind(dev)]));
  assert.deepEqual(kinds, {
    motor: 'motor', motor1: 'motor', motor2: 'motor', motor3: 'motor',
    det: 'detector', det1: 'detector', det2: 'detector', det3: 'detector', det4: 'detector', noisy_det: 'detector',
    rand: 'detector', img: 'detector', bool_sig: 'signal', sig: 'signal', signal: 'detector',
    trivial_flyer: 'flyer', new_trivial_flyer: 'flyer',
  });
  assert.equal(deviceKind({}), 'signal');
});

test('img: resource on stage, one datum per trigger, valid event-model documents', () => {
  let n = 0;
  const img = new SynImageDetector({ name: 'img', uid: () => `uid-${++n}` });
  assert.ok(isWritesExternalAssets(img));
  assert.deepEqual(img.read(), {});
  assert.deepEqual(img.describe(), {
    img: { source: 'SIM:img', dtype: 'array', shape: [10, 10], precision: 3, external: 'FILESTORE' },
  });
  img.stage();
  assert.equal(img.trigger().done, true);
  img.trigger();
  const docs = [...img.collectAssetDocs()];
  assert.deepEqual(docs.map(([name]) => name), ['resource', 'datum', 'datum']);
  const resource = docs[0]?.[1] ?? {};
  assert.equal(resource['spec'], 'NPY_SEQ');
  assert.equal(resource['root'], '/tmp');
  assert.equal(resource['path_semantics'], 'posix');
  assert.deepEqual(resource['resource_kwargs'], {});
  assert.ok(!('run_start' in resource));
  assert.deepEqual(docs[2]?.[1], { resource: resource['uid'], datum_kwargs: { index: 1 }, datum_id: `${String(resource['uid'])}/1` });
  for (const [name, doc] of docs) assert.deepEqual(documentErrors(name === 'resource' ? 'resource' : 'datum', doc), []);
  assert.equal(img.read()['img']?.value, `${String(resource['uid'])}/1`);
  assert.deepEqual([...img.collectAssetDocs()], [], 'documents are handed over once');
  img.unstage();
  assert.deepEqual(img.read(), {});
});

test('img: a trigger without stage opens a resource itself', () => {
  const img = hw({ savePath: '/data' }).img;
  img.trigger();
  const docs = [...img.collectAssetDocs()];
  assert.deepEqual(docs.map(([name]) => name), ['resource', 'datum']);
  assert.equal(docs[0]?.[1]['root'], '/data');
  assert.match(img.repr(), /^SynSignalWithRegistry\(name='img', value=array\(\[\[1\., 1\./);
});

test('trivial flyer: done statuses, one empty stream, 100 empty events', () => {
  const flyer = new TrivialFlyer();
  assert.equal(flyer.name, 'trivial_flyer');
  assert.equal(flyer.parent, null);
  assert.ok(isFlyable(flyer) && isEventCollectable(flyer));
  assert.equal(flyer.kickoff().done, true);
  assert.equal(flyer.complete().success, true);
  assert.deepEqual(flyer.describeCollect(), { stream_name: {} });
  const events = [...flyer.collect()];
  assert.equal(events.length, 100);
  assert.deepEqual(events[7], { data: {}, timestamps: {}, time: 7, seq_num: 7 });
  assert.deepEqual(flyer.readConfiguration(), {});
  const h = hw();
  assert.deepEqual([...h.new_trivial_flyer.collectAssetDocs()], []);
  assert.equal(h.new_trivial_flyer.repr(), '<ophyd.sim.NewTrivialFlyer object>');
});

test('devices satisfy the model protocols (checked by the compiler)', () => {
  const h = hw();
  type Detector = Readable & Configurable & Triggerable & Stageable & Subscribable & HasHints & HasParent;
  const motor: Detector & Movable<number> & Stoppable = h.motor;
  const dets: Detector[] = [h.det, h.det4, h.noisy_det];
  const signals: Array<Readable & Configurable & Triggerable & Subscribable & HasHints & HasParent> = [h.bool_sig, h.rand, h.img];
  const img: Stageable & WritesExternalAssets = h.img;
  const flyer: Flyable & EventCollectable & Configurable & Stoppable & HasParent = h.trivial_flyer;
  assert.equal([motor, ...dets, ...signals, img, flyer].length, 9);
});
